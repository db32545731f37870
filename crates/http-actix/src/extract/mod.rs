//! Extractor configuration: how malformed bodies, queries and paths are answered.
//! Each maps to an `ApiError`, so they come out as problem+json like everything.

use crate::problem::ApiError;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::web;
use domain::FieldError;

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _request| {
        let message = match error {
            QueryPayloadError::Deserialize(error) => client_wording(&error.to_string()),
            other => client_wording(&other.to_string()),
        };
        ApiError::bad_request(format!("Invalid query string: {message}.")).into()
    })
}

/// Every path parameter of the API is a UUID; the error names each one that
/// is not (serde's own message would say "Path deserialize error: ...").
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_error: PathError, request| {
        let errors: Vec<FieldError> = request
            .match_info()
            .iter()
            .filter(|(_, value)| uuid::Uuid::parse_str(value).is_err())
            .map(|(name, _)| FieldError::new(name, "must be a UUID"))
            .collect();
        let names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        ApiError::BadRequest {
            detail: format!(
                "Invalid path parameter: {} must be a UUID.",
                names.join(", ")
            ),
            errors,
        }
        .into()
    })
}

mod auth_user;
mod body;
mod if_none_match;
mod version;

pub(crate) use auth_user::{check_origin, presented_token, GrantedToken, VerifiedToken};
pub use auth_user::{Credential, CurrentUser, SessionUser};
pub(crate) use body::client_wording;
pub use body::{
    decode_object, read_body, BodyLimits, Json, OptionalBody, DEFAULT_BODY_READ_TIMEOUT,
    JSON_BODY_LIMIT,
};
pub use if_none_match::IfNoneMatch;
pub use version::{etag, expected_version, ExpectedVersion, VersionSource};
