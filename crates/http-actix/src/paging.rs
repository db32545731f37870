//! Paging of short, bounded lists (a user's teams, a team's members) that the
//! service returns whole. Their cursor is opaque to clients but is an offset
//! inside; long lists (tasks) use real keyset cursors instead.

use crate::envelope::{Page, PageMeta};
use crate::extract::PageParams;
use crate::problem::ApiError;
use domain::FieldError;

pub fn paginate<T>(items: Vec<T>, params: &PageParams) -> Result<Page<T>, ApiError> {
    let start = match &params.cursor {
        None => params.offset as usize,
        Some(cursor) => cursor
            .strip_prefix('o')
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::BadRequest {
                detail: "Invalid paging parameters.".into(),
                errors: vec![FieldError::new("cursor", "is not a valid cursor")],
            })?,
    };
    let total = items.len();
    let end = start.saturating_add(params.limit as usize).min(total);
    let next_cursor = (end < total).then(|| format!("o{end}"));
    let data: Vec<T> = items
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    Ok(Page {
        data,
        meta: PageMeta {
            limit: params.limit,
            offset: u32::try_from(start).unwrap_or(u32::MAX),
            total: i64::try_from(total).unwrap_or(i64::MAX),
            next_cursor,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(limit: u32, offset: u32, cursor: Option<&str>) -> PageParams {
        PageParams {
            limit,
            offset,
            cursor: cursor.map(Into::into),
        }
    }

    #[test]
    fn walking_the_cursor_visits_every_item_once() {
        let items: Vec<u32> = (0..7).collect();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = paginate(items.clone(), &params(3, 0, cursor.as_deref())).unwrap();
            assert_eq!(page.meta.total, 7);
            seen.extend(page.data);
            match page.meta.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn an_offset_past_the_end_is_an_empty_page() {
        let page = paginate(vec![1, 2], &params(20, 50, None)).unwrap();
        assert!(page.data.is_empty());
        assert_eq!(page.meta.next_cursor, None);
    }

    #[test]
    fn a_forged_cursor_is_a_400() {
        assert!(paginate(vec![1], &params(20, 0, Some("zzz"))).is_err());
    }
}
