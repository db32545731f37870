//! Routes only the harness mounts: a JSON echo (to exercise the shared body
//! limits and JSON errors), a handler that fails internally, and a slow handler
//! held open by a gate the test controls (for graceful shutdown).

use actix_web::{web, HttpResponse};
use domain::DomainError;
use http_actix::problem::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::Notify;

#[derive(Default)]
struct Gate {
    entered: Notify,
    open: Notify,
}

fn gates() -> &'static Mutex<HashMap<String, Arc<Gate>>> {
    static GATES: OnceLock<Mutex<HashMap<String, Arc<Gate>>>> = OnceLock::new();
    GATES.get_or_init(Default::default)
}

fn gate(name: &str) -> Arc<Gate> {
    let mut gates = gates().lock().expect("gates");
    Arc::clone(gates.entry(name.to_owned()).or_default())
}

/// Waits until a request is inside the slow handler for `name`.
pub async fn wait_until_gate_entered(name: &str) {
    gate(name).entered.notified().await;
}

/// Lets the slow handler for `name` finish.
pub fn open_gate(name: &str) {
    gate(name).open.notify_one();
}

pub(crate) fn test_routes(config: &mut web::ServiceConfig) {
    config
        .route("/test/echo", web::post().to(echo))
        .route("/test/internal-error", web::get().to(internal_error))
        .route("/test/slow/{gate}", web::get().to(slow));
}

async fn echo(body: http_actix::extract::Json<serde_json::Value>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "data": body.into_inner() }))
}

async fn internal_error() -> Result<HttpResponse, ApiError> {
    tracing::info!("about to fail");
    Err(DomainError::internal("connection to db-7.internal:5432 refused").into())
}

async fn slow(name: web::Path<String>) -> HttpResponse {
    let gate = gate(&name);
    gate.entered.notify_one();
    gate.open.notified().await;
    HttpResponse::Ok().json(serde_json::json!({ "finished": name.into_inner() }))
}
