//! `HEAD` on every `GET` route (RFC 9110 §9.3.2: a server that answers `GET`
//! should answer `HEAD` the same way, without the content).
//!
//! The request is routed as a `GET`; the body is dropped by actix's HTTP/1
//! codec, which remembers that the request on the wire was `HEAD` and writes
//! the headers of the `GET` response (including its `Content-Length`) but no
//! bytes of content. Tested in `tests/api/security_probe.rs`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// # Errors
/// Whatever the wrapped service returns.
pub async fn head_as_get(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if request.method() == Method::HEAD {
        request.head_mut().method = Method::GET;
    }
    next.call(request).await
}
