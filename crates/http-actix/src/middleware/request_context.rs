//! The outermost middleware: gives every request its id, a tracing span that every
//! log line inside the request inherits, one access-log line, and the final
//! problem+json rendering of errors (so the body carries the request id, whatever
//! layer produced the error).

use crate::problem::{ApiError, Problem};
use crate::request_id::{
    accept_request_id, current_request_id, RequestId, CURRENT_REQUEST_ID, REQUEST_ID_HEADER,
};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use std::time::Instant;
use tracing::Instrument;

pub async fn request_context(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let incoming = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok());
    let request_id =
        accept_request_id(incoming).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));

    let span = tracing::info_span!(
        "http.request",
        request_id = %request_id,
        http.method = %request.method(),
        http.path = %request.path(),
        http.route = tracing::field::Empty,
    );
    let outcome = CURRENT_REQUEST_ID
        .scope(
            request_id.clone(),
            next.call(request).instrument(span.clone()),
        )
        .await;
    let response = match outcome {
        Ok(response) => response.map_into_boxed_body(),
        Err(error) => {
            // An error no inner layer turned into a response. The request has
            // been consumed, so answer through actix's own error path with a
            // response rendered here, where the request id is known.
            let mut rendered =
                CURRENT_REQUEST_ID.sync_scope(request_id.clone(), || render_problem(&error, &span));
            let status = rendered.status();
            set_request_id(&mut rendered, &request_id);
            log_completion(&span, status, "<unmatched>", started);
            return Err(InternalError::from_response(error.to_string(), rendered).into());
        }
    };

    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "<unmatched>".to_owned());
    let status = response.status();
    if let Some(metrics) = response
        .request()
        .app_data::<actix_web::web::Data<std::sync::Arc<crate::metrics::Metrics>>>()
    {
        metrics.observe_request(
            response.request().method().as_str(),
            &route,
            status.as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    let mut response = render_error(response, &request_id, &span);
    set_request_id(response.response_mut(), &request_id);
    log_completion(&span, status, &route, started);
    Ok(response)
}

fn set_request_id(response: &mut HttpResponse, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
}

/// The one access-log line per request.
fn log_completion(span: &tracing::Span, status: StatusCode, route: &str, started: Instant) {
    span.record("http.route", route);
    span.in_scope(|| {
        tracing::info!(
            http.status = status.as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request completed"
        );
    });
}

/// The response for an error, logging 5xx causes in full, once: an
/// `ApiError` renders itself (its status decided there, once); actix's own
/// errors become a problem document for their status.
fn render_problem(error: &actix_web::Error, span: &tracing::Span) -> HttpResponse {
    let response = match error.as_error::<ApiError>() {
        Some(api_error) => api_error.error_response(),
        None => {
            let status = error.as_response_error().status_code();
            let mut problem = Problem::for_status(status);
            if status.is_client_error() {
                problem.detail = error.to_string();
            }
            problem
                .with_request_id(current_request_id())
                .into_response()
        }
    };
    log_server_error(error, response.status(), span);
    response
}

/// A 5xx's cause, in full, in the log (never in the body).
fn log_server_error(error: &actix_web::Error, status: StatusCode, span: &tracing::Span) {
    if status.is_server_error() {
        let chain = cause_chain(error);
        span.in_scope(|| {
            tracing::error!(error.message = %error, error.chain = %chain, "request failed");
        });
    }
}

/// The error and every cause behind it, outermost first, joined with `: `
/// (e.g. `internal error: listing teams: relation "teams" does not exist`).
fn cause_chain(error: &actix_web::Error) -> String {
    let Some(api_error) = error.as_error::<ApiError>() else {
        return error.to_string();
    };
    let mut parts = vec![api_error.to_string()];
    let mut cause = std::error::Error::source(api_error);
    while let Some(current) = cause {
        parts.push(current.to_string());
        cause = current.source();
    }
    parts.join(": ")
}

/// Logs an error response's cause and, for actix's own errors (whose
/// bodies are plain text), replaces the body with a problem document carrying
/// the request id, keeping the headers the error set. An `ApiError`'s
/// response is complete already.
fn render_error(
    response: ServiceResponse<BoxBody>,
    request_id: &str,
    span: &tracing::Span,
) -> ServiceResponse<BoxBody> {
    let Some(error) = response.response().error() else {
        return response;
    };
    if let Some(api_error) = error.as_error::<ApiError>() {
        log_server_error(error, response.status(), span);
        if response.status() == StatusCode::UNAUTHORIZED {
            // Why authentication failed (expired, revoked, reused refresh
            // token) is worth an operator's eye; logged here, once.
            span.in_scope(|| tracing::info!(auth.failure = %api_error, "authentication failed"));
        }
        return response;
    }
    let kept_headers: Vec<_> = response
        .headers()
        .iter()
        .filter(|(name, _)| **name != header::CONTENT_TYPE && **name != header::CONTENT_LENGTH)
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let rendered =
        CURRENT_REQUEST_ID.sync_scope(request_id.to_owned(), || render_problem(error, span));
    let (request, _) = response.into_parts();
    let mut rendered = rendered;
    for (name, value) in kept_headers {
        rendered.headers_mut().insert(name, value);
    }
    ServiceResponse::new(request, rendered)
}
