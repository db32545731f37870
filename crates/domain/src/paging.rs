//! Offset paging as the domain sees it, and the contract's paging rules, defined
//! once for every list. Keyset cursors are per list (tasks have their own),
//! because what a cursor holds depends on the list's sort.

use crate::FieldError;

/// `limit` rows starting at `offset`; both already range-checked at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub offset: u32,
}

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
pub const MAX_OFFSET: u32 = 10_000;

/// Parses `limit` (1..=100, default 20) and `offset` (0..=10000, default 0),
/// and refuses `cursor` together with `offset`. Each problem is pushed to
/// `errors`, naming its parameter; the returned values are then the defaults.
pub fn parse_page(
    limit: Option<&str>,
    offset: Option<&str>,
    cursor_given: bool,
    errors: &mut Vec<FieldError>,
) -> PageRequest {
    if cursor_given && offset.is_some() {
        errors.push(FieldError::new("cursor", "cannot be combined with offset"));
    }
    PageRequest {
        limit: bounded(limit, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, errors),
        offset: bounded(offset, "offset", 0, 0, MAX_OFFSET, errors),
    }
}

fn bounded(
    raw: Option<&str>,
    name: &str,
    default: u32,
    min: u32,
    max: u32,
    errors: &mut Vec<FieldError>,
) -> u32 {
    match raw.map(str::parse::<u32>) {
        None => default,
        Some(Ok(value)) if (min..=max).contains(&value) => value,
        Some(_) => {
            errors.push(FieldError::new(
                name,
                format!("must be an integer from {min} to {max}"),
            ));
            default
        }
    }
}

/// One page of rows and how many rows match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

impl<T> Paged<T> {
    /// The same page with each item converted (rows into entities); the
    /// first failure fails the page.
    ///
    /// # Errors
    /// The first error `convert` returns.
    pub fn try_map<U, E>(self, convert: impl FnMut(T) -> Result<U, E>) -> Result<Paged<U>, E> {
        Ok(Paged {
            items: self
                .items
                .into_iter()
                .map(convert)
                .collect::<Result<_, _>>()?,
            total: self.total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_converts_item_by_item_and_keeps_its_total() {
        let page = Paged {
            items: vec!["1", "2"],
            total: 7,
        };
        let parsed = page.clone().try_map(str::parse::<i32>);
        assert_eq!(
            parsed,
            Ok(Paged {
                items: vec![1, 2],
                total: 7
            })
        );
        let failed = Paged {
            items: vec!["1", "x"],
            total: 2,
        }
        .try_map(str::parse::<i32>);
        assert!(failed.is_err());
    }

    fn fields(
        limit: Option<&str>,
        offset: Option<&str>,
        cursor: bool,
    ) -> (PageRequest, Vec<String>) {
        let mut errors = Vec::new();
        let page = parse_page(limit, offset, cursor, &mut errors);
        (page, errors.into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn defaults_bounds_and_the_cursor_offset_rule() {
        assert_eq!(
            fields(None, None, false),
            (
                PageRequest {
                    limit: 20,
                    offset: 0
                },
                vec![]
            )
        );
        assert_eq!(
            fields(Some("100"), Some("10000"), false).1,
            Vec::<String>::new()
        );
        assert_eq!(
            fields(Some("0"), Some("10001"), false).1,
            ["limit", "offset"]
        );
        assert_eq!(fields(Some("x"), Some("-1"), false).1, ["limit", "offset"]);
        assert_eq!(fields(None, Some("0"), true).1, ["cursor"]);
        assert_eq!(fields(None, None, true).1, Vec::<String>::new());
    }
}
