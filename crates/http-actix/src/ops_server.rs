//! The small HTTP server of processes that serve no API (the worker): only
//! `/health`, with the API's conventions — `X-Request-Id`, the access-log line,
//! problem+json for everything else (`404`, `405`) — because it is the same
//! `request_context` middleware and the same ops route. The worker crate never
//! depends on this; `app` assembles the two.

use crate::metrics::Metrics;
use crate::middleware::{head_as_get, request_context};
use crate::problem::ApiError;
use crate::routes;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpRequest, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// Serves `/health` on `listener` with one worker thread. Signals are left to
/// the caller, which stops the returned server through its handle.
///
/// # Errors
/// When the listener cannot be used.
pub fn serve_health(
    listener: TcpListener,
    shutdown_grace: Duration,
    metrics: Arc<Metrics>,
) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(Arc::clone(&metrics)))
            .service(routes::ops::health)
            .route("/metrics", web::get().to(crate::metrics::serve_metrics))
            .default_service(web::to(not_here))
            .wrap(from_fn(head_as_get))
            .wrap(from_fn(request_context))
    })
    .listen(listener)?
    .workers(1)
    .disable_signals()
    .shutdown_timeout(shutdown_grace.as_secs())
    .run();
    Ok(server)
}

async fn not_here(request: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    if request.path() == "/health" || request.path() == "/metrics" {
        Err(ApiError::MethodNotAllowed {
            allow: "GET, HEAD".into(),
        })
    } else {
        Err(ApiError::RouteNotFound)
    }
}
