//! Which version a conditional write expects: the body's `version` or
//! `If-Match: "<version>"`. The domain only sees a `Version`; *how* the client
//! sent it decides the status of a mismatch, and that is decided here, at the
//! edge: 409 `version_conflict` for the body, 412 `precondition_failed` for
//! `If-Match` (RFC 9110 §13.1.1), 428 when neither was sent.

use crate::problem::ApiError;
use actix_web::http::header;
use actix_web::HttpRequest;
use domain::tasks::Version;
use domain::DomainError;

/// How the client sent its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSource {
    Body,
    IfMatch,
}

/// The expected version and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedVersion {
    pub version: Version,
    pub source: VersionSource,
}

impl ExpectedVersion {
    /// The HTTP answer to a domain error of a write made with this version: a
    /// lost lock is 412 when the version came from `If-Match`.
    pub fn answer(self, error: DomainError) -> ApiError {
        match (error, self.source) {
            (DomainError::VersionConflict { current }, VersionSource::IfMatch) => {
                ApiError::PreconditionFailed { current }
            }
            (error, _) => error.into(),
        }
    }
}

/// # Errors
/// 400 for a malformed `If-Match` or one that disagrees with the body, 428 when
/// no version is given at all.
pub fn expected_version(
    request: &HttpRequest,
    body_version: Option<i64>,
) -> Result<ExpectedVersion, ApiError> {
    let if_match = match request.headers().get(header::IF_MATCH) {
        None => None,
        Some(value) => Some(parse_if_match(value.to_str().unwrap_or_default())?),
    };
    let (version, source) = match (if_match, body_version) {
        (Some(header), Some(body)) if header != body => {
            return Err(ApiError::bad_request(
                "If-Match and the body's version disagree; send one of them.",
            ))
        }
        (Some(header), _) => (header, VersionSource::IfMatch),
        (None, Some(body)) => (body, VersionSource::Body),
        (None, None) => return Err(ApiError::PreconditionRequired),
    };
    Ok(ExpectedVersion {
        version: Version(version),
        source,
    })
}

/// Accepts the ETag this service sends (`"3"`), also without quotes. `*` would
/// mean "any version", a blind overwrite, so it is refused.
fn parse_if_match(raw: &str) -> Result<i64, ApiError> {
    let trimmed = raw.trim();
    let unquoted = trimmed
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(trimmed);
    unquoted
        .parse::<i64>()
        .ok()
        .filter(|version| *version >= 1)
        .ok_or_else(|| ApiError::bad_request("If-Match must be the task's ETag, e.g. \"3\"."))
}

/// The ETag for a version: a strong validator, the version in quotes.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn expected(version: i64, source: VersionSource) -> Option<ExpectedVersion> {
        Some(ExpectedVersion {
            version: Version(version),
            source,
        })
    }

    #[test]
    fn if_match_wins_and_must_agree_with_the_body() {
        let request = TestRequest::default()
            .insert_header(("If-Match", "\"4\""))
            .to_http_request();
        assert_eq!(
            expected_version(&request, None).ok(),
            expected(4, VersionSource::IfMatch)
        );
        assert_eq!(
            expected_version(&request, Some(4)).ok(),
            expected(4, VersionSource::IfMatch)
        );
        assert!(expected_version(&request, Some(3)).is_err());
    }

    #[test]
    fn the_body_version_is_used_without_if_match_and_neither_is_428() {
        let request = TestRequest::default().to_http_request();
        assert_eq!(
            expected_version(&request, Some(2)).ok(),
            expected(2, VersionSource::Body)
        );
        assert!(matches!(
            expected_version(&request, None),
            Err(ApiError::PreconditionRequired)
        ));
    }

    #[test]
    fn a_lost_lock_is_409_from_the_body_and_412_from_if_match() {
        let conflict = || DomainError::VersionConflict { current: 5 };
        let body = expected(4, VersionSource::Body).unwrap();
        let header = expected(4, VersionSource::IfMatch).unwrap();
        assert_eq!(body.answer(conflict()).problem().status, 409);
        assert_eq!(header.answer(conflict()).problem().status, 412);
        assert_eq!(
            header
                .answer(DomainError::NotFound("task"))
                .problem()
                .status,
            404
        );
    }

    #[test]
    fn malformed_or_wildcard_if_match_is_refused() {
        for value in ["*", "W/\"1\"", "abc", "\"0\""] {
            let request = TestRequest::default()
                .insert_header(("If-Match", value))
                .to_http_request();
            assert!(expected_version(&request, None).is_err(), "{value}");
        }
    }
}
