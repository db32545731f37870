//! Which version a conditional write expects: the body's `version` (409 on
//! mismatch) or `If-Match: "<version>"` (412 on mismatch). Neither is 428.

use crate::problem::ApiError;
use actix_web::http::header;
use actix_web::HttpRequest;
use domain::tasks::VersionCheck;

/// # Errors
/// 400 for a malformed `If-Match` or one that disagrees with the body, 428 when
/// no version is given at all.
pub fn version_check(
    request: &HttpRequest,
    body_version: Option<i64>,
) -> Result<VersionCheck, ApiError> {
    let if_match = match request.headers().get(header::IF_MATCH) {
        None => None,
        Some(value) => Some(parse_if_match(value.to_str().unwrap_or_default())?),
    };
    match (if_match, body_version) {
        (Some(header), Some(body)) if header != body => Err(ApiError::bad_request(
            "If-Match and the body's version disagree; send one of them.",
        )),
        (Some(header), _) => Ok(VersionCheck::IfMatch(header)),
        (None, Some(body)) => Ok(VersionCheck::Body(body)),
        (None, None) => Err(ApiError::PreconditionRequired),
    }
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

    #[test]
    fn if_match_wins_and_must_agree_with_the_body() {
        let request = TestRequest::default()
            .insert_header(("If-Match", "\"4\""))
            .to_http_request();
        assert_eq!(
            version_check(&request, None).ok(),
            Some(VersionCheck::IfMatch(4))
        );
        assert_eq!(
            version_check(&request, Some(4)).ok(),
            Some(VersionCheck::IfMatch(4))
        );
        assert!(version_check(&request, Some(3)).is_err());
    }

    #[test]
    fn body_version_alone_and_nothing_at_all() {
        let request = TestRequest::default().to_http_request();
        assert_eq!(
            version_check(&request, Some(2)).ok(),
            Some(VersionCheck::Body(2))
        );
        assert!(matches!(
            version_check(&request, None),
            Err(ApiError::PreconditionRequired)
        ));
    }

    #[test]
    fn malformed_or_wildcard_if_match_is_refused() {
        for value in ["*", "W/\"1\"", "abc", "\"0\""] {
            let request = TestRequest::default()
                .insert_header(("If-Match", value))
                .to_http_request();
            assert!(version_check(&request, None).is_err(), "{value}");
        }
    }
}
