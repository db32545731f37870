//! CORS from configuration. actix-cors does the negotiation; the contract wants
//! preflights answered with `204 No Content`, which `preflight_no_content` adds.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::Error;

/// How long browsers may cache a preflight answer.
pub const PREFLIGHT_MAX_AGE_SECS: usize = 600;

/// Exact-match allowed origins; credentials (cookies) allowed, so never `*`.
pub fn cors(allowed_origins: &[String]) -> Cors {
    let allowed: Vec<String> = allowed_origins.to_vec();
    Cors::default()
        .allowed_origin_fn(move |origin, _| {
            origin
                .to_str()
                .map(|origin| allowed.iter().any(|allowed| allowed == origin))
                .unwrap_or(false)
        })
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("ratelimit-limit"),
            header::HeaderName::from_static("ratelimit-remaining"),
            header::HeaderName::from_static("ratelimit-reset"),
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-cache"),
            header::HeaderName::from_static("idempotent-replayed"),
        ])
        .supports_credentials()
        .max_age(PREFLIGHT_MAX_AGE_SECS)
}

pub async fn preflight_no_content(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = next.call(request).await?;
    if is_preflight && response.status() == StatusCode::OK {
        *response.response_mut().status_mut() = StatusCode::NO_CONTENT;
    }
    Ok(response)
}
