//! Extractor configuration: how malformed bodies, queries and paths are answered.
//! Each maps to an `ApiError`, so they come out as problem+json like everything.

use crate::problem::ApiError;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::web;

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
                JsonPayloadError::Deserialize(error) => {
                    ApiError::bad_request(format!("Invalid JSON body: {error}"))
                }
                other => ApiError::bad_request(format!("Invalid request body: {other}")),
            };
            api_error.into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _request| {
        ApiError::bad_request(format!("Invalid query string: {error}")).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error: PathError, _request| {
        ApiError::bad_request(format!("Invalid path parameter: {error}")).into()
    })
}

mod auth_user;
mod page;
mod version;

pub use auth_user::CurrentUser;
pub use page::{PageParams, PageQuery};
pub use version::{etag, version_check};

/// Raw bodies (`web::Bytes`, used where the body is optional) get the same
/// 1 MiB limit as JSON ones; actix's own default would be 256 KiB.
pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}
