//! Extractor configuration: how malformed bodies, queries and paths are answered.
//! Each maps to an `ApiError`, so they come out as problem+json like everything.

use crate::problem::ApiError;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::web;
use domain::FieldError;

/// Request bodies above this get `413` (the contract's 1 MiB).
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |error, _request| {
            let api_error = match error {
                JsonPayloadError::OverflowKnownLength { limit, .. }
                | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge { limit },
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
                JsonPayloadError::Deserialize(error) => body_error(&error.to_string()),
                other => ApiError::bad_request(format!("Invalid request body: {other}")),
            };
            api_error.into()
        })
}

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
mod json_object;
mod version;

pub use auth_user::CurrentUser;
pub(crate) use auth_user::{check_origin, presented_token, VerifiedToken};
pub use json_object::Json;
pub(crate) use json_object::{body_error, client_wording, object_from_slice};
pub use version::{etag, expected_version, ExpectedVersion, VersionSource};

/// Raw bodies (`web::Bytes`, used where the body is optional) get the same
/// 1 MiB limit as JSON ones; actix's own default would be 256 KiB.
pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}
