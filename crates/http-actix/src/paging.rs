//! Paging at the HTTP edge, in one place: the `limit`/`offset`/`cursor`
//! parameters every list accepts (the rules themselves are the domain's
//! `paging::parse_page`, shared with the task list), offset-paged lists
//! (projects, comments, activity), and short bounded lists the service returns
//! whole (a user's teams, a team's members), whose cursor is opaque to clients
//! but an offset inside. The task list uses real keyset cursors instead
//! (`routes/task_query.rs`).

use crate::envelope::{Page, PageMeta};
use crate::problem::ApiError;
use domain::paging::{parse_page, PageRequest, MAX_OFFSET};
use domain::FieldError;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1..=100, default 20.
    pub limit: Option<String>,
    /// 0..=10000, default 0.
    pub offset: Option<String>,
    /// `meta.next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageParams {
    pub limit: u32,
    pub offset: u32,
    pub cursor: Option<String>,
}

impl PageQuery {
    /// # Errors
    /// `400` naming the parameter when a value is malformed or out of range.
    pub fn parse(&self) -> Result<PageParams, ApiError> {
        let mut errors = Vec::new();
        let PageRequest { limit, offset } = parse_page(
            self.limit.as_deref(),
            self.offset.as_deref(),
            self.cursor.is_some(),
            &mut errors,
        );
        if let Some(cursor) = &self.cursor {
            if cursor.is_empty() || cursor.len() > 512 {
                errors.push(FieldError::new("cursor", "is not a valid cursor"));
            }
        }
        if errors.is_empty() {
            Ok(PageParams {
                limit,
                offset,
                cursor: self.cursor.clone(),
            })
        } else {
            Err(ApiError::BadRequest {
                detail: "Invalid paging parameters.".into(),
                errors,
            })
        }
    }
}

pub(crate) fn page_request(query: &PageQuery) -> Result<PageRequest, ApiError> {
    let params = query.parse()?;
    if params.cursor.is_some() {
        return Err(ApiError::BadRequest {
            detail: "This list pages by offset.".into(),
            errors: vec![FieldError::new(
                "cursor",
                "is not supported on this list; use offset",
            )],
        });
    }
    Ok(PageRequest {
        limit: params.limit,
        offset: params.offset,
    })
}

pub(crate) fn page<T, U: From<T>>(items: Vec<T>, total: i64, request: PageRequest) -> Page<U> {
    Page {
        data: items.into_iter().map(U::from).collect(),
        meta: PageMeta {
            limit: request.limit,
            offset: request.offset,
            total,
            next_cursor: None,
            total_capped: false,
        },
    }
}

/// Where a page of a list with opaque offset cursors starts: `offset`, or
/// the `o<n>` cursor of the page before. One bound for both spellings: a
/// cursor cannot reach past `MAX_OFFSET` any more than `offset` can.
///
/// # Errors
/// `400` naming `cursor` when it is not one this server made.
pub(crate) fn start_offset(params: &PageParams) -> Result<u32, ApiError> {
    match &params.cursor {
        None => Ok(params.offset),
        Some(cursor) => cursor
            .strip_prefix('o')
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n <= MAX_OFFSET)
            .ok_or_else(|| ApiError::BadRequest {
                detail: "Invalid paging parameters.".into(),
                errors: vec![FieldError::new("cursor", "is not a valid cursor")],
            }),
    }
}

/// The cursor of the page starting at `end`, when there is one (none past
/// `MAX_OFFSET`: the server never hands out a cursor it would refuse).
pub(crate) fn next_offset_cursor(end: i64, total: i64) -> Option<String> {
    (end < total && end <= i64::from(MAX_OFFSET)).then(|| format!("o{end}"))
}

pub fn paginate<T>(items: Vec<T>, params: &PageParams) -> Result<Page<T>, ApiError> {
    let start = start_offset(params)? as usize;
    let total = items.len();
    let end = start.saturating_add(params.limit as usize).min(total);
    let next_cursor = next_offset_cursor(
        i64::try_from(end).unwrap_or(i64::MAX),
        i64::try_from(total).unwrap_or(i64::MAX),
    );
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
            total_capped: false,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(limit: Option<&str>, offset: Option<&str>, cursor: Option<&str>) -> PageQuery {
        PageQuery {
            limit: limit.map(Into::into),
            offset: offset.map(Into::into),
            cursor: cursor.map(Into::into),
        }
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            query(None, None, None).parse().ok(),
            Some(PageParams {
                limit: 20,
                offset: 0,
                cursor: None
            })
        );
        assert!(query(Some("100"), Some("10000"), None).parse().is_ok());
        for (limit, offset) in [
            (Some("0"), None),
            (Some("101"), None),
            (Some("x"), None),
            (None, Some("10001")),
            (None, Some("-1")),
        ] {
            assert!(
                query(limit, offset, None).parse().is_err(),
                "{limit:?} {offset:?}"
            );
        }
    }

    #[test]
    fn cursor_and_offset_together_are_refused() {
        let Err(ApiError::BadRequest { errors, .. }) = query(None, Some("0"), Some("abc")).parse()
        else {
            panic!("expected 400");
        };
        assert_eq!(errors[0].field, "cursor");
    }

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
