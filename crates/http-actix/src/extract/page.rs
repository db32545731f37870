//! The paging parameters every list endpoint accepts: `limit`, `offset` or an
//! opaque `cursor`. The rules themselves are `domain::paging::parse_page`,
//! shared with the task list.

use crate::problem::ApiError;
use domain::paging::{parse_page, PageRequest};
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
}
