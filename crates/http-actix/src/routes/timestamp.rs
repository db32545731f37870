//! Date-times in request bodies: RFC 3339 with an offset, and an error that
//! says so. chrono's own `Deserialize` answers `"2026-12-04"` with "premature
//! end of input", which tells a client nothing about what to send.
//!
//! `#[serde(default, deserialize_with = "timestamp::optional")]` on an
//! `Option<DateTime<Utc>>`; `timestamp::present` on a PATCH field's
//! `Option<Option<DateTime<Utc>>>` (absent → `None`, null → `Some(None)`).

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// What a client must send, with an example.
pub const RULE: &str = "must be an RFC 3339 date-time, e.g. 2026-12-04T09:00:00Z";

struct Rfc3339(DateTime<Utc>);

impl<'de> Deserialize<'de> for Rfc3339 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer).map_err(|_| D::Error::custom(RULE))?;
        DateTime::parse_from_rfc3339(&raw)
            .map(|parsed| Rfc3339(parsed.with_timezone(&Utc)))
            .map_err(|_| D::Error::custom(RULE))
    }
}

pub fn optional<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<Rfc3339>::deserialize(deserializer).map(|value| value.map(|v| v.0))
}

pub fn present<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<DateTime<Utc>>>, D::Error> {
    optional(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "optional")]
        due_at: Option<DateTime<Utc>>,
    }

    #[test]
    fn a_date_without_a_time_is_refused_with_the_rule_and_an_example() {
        let error = serde_json::from_str::<Body>(r#"{"due_at":"2026-12-04"}"#).unwrap_err();
        assert!(error.to_string().starts_with(RULE), "{error}");
        let error = serde_json::from_str::<Body>(r#"{"due_at":5}"#).unwrap_err();
        assert!(error.to_string().starts_with(RULE), "{error}");
        let parsed: Body =
            serde_json::from_str(r#"{"due_at":"2026-12-04T10:00:00+01:00"}"#).unwrap();
        assert_eq!(
            parsed.due_at.unwrap().to_rfc3339(),
            "2026-12-04T09:00:00+00:00"
        );
        let absent: Body = serde_json::from_str("{}").unwrap();
        assert!(absent.due_at.is_none());
        let null: Body = serde_json::from_str(r#"{"due_at":null}"#).unwrap();
        assert!(null.due_at.is_none());
    }
}
