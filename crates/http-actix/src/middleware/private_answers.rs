//! Every answer under `/api/` is its caller's own (contract → Conditional
//! reads): `Cache-Control: private, no-cache` keeps shared caches from
//! storing it and makes a browser revalidate (with `If-None-Match`) before
//! reusing it; `Vary: Authorization, Cookie` says the same URL answers
//! differently per credential. A handler that sets its own `Cache-Control`
//! keeps it (token answers say `no-store`: a token is never kept on disk).
//! Errors are answers too: a 404 for one caller is not one for another.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, CACHE_CONTROL, VARY};
use actix_web::middleware::Next;

const CREDENTIALS: &str = "Authorization, Cookie";

/// # Errors
/// Whatever the wrapped service returns.
pub async fn private_answers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let api = request.path().starts_with("/api/");
    let mut response = next.call(request).await?;
    if api {
        let headers = response.headers_mut();
        if !headers.contains_key(CACHE_CONTROL) {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        }
        // One `Vary` line: the CORS layer outside extends the first line only.
        let vary = match headers.get(VARY).and_then(|v| v.to_str().ok()) {
            Some(existing) => HeaderValue::from_str(&format!("{existing}, {CREDENTIALS}"))
                .unwrap_or(HeaderValue::from_static(CREDENTIALS)),
            None => HeaderValue::from_static(CREDENTIALS),
        };
        headers.insert(VARY, vary);
    }
    Ok(response)
}
