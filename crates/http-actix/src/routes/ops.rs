//! Operational endpoints: liveness and readiness.

use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    /// Always `ok`.
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyBody {
    /// `ready`.
    pub status: &'static str,
    /// `ok` for every dependency checked.
    pub checks: BTreeMap<&'static str, &'static str>,
}

/// Liveness: the process is up and serving. Touches no dependency, so a database
/// outage never gets healthy pods killed by their orchestrator.
#[utoipa::path(tag = "operations", responses((status = 200, body = HealthBody)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody { status: "ok" })
}

/// Readiness: PostgreSQL and Redis both answer. Load balancers stop routing to an
/// instance that is not ready; 503 names the dependencies that failed.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = ReadyBody),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let results = futures_util::future::join_all(
        state
            .dependency_checks
            .iter()
            .map(|check| async move { (check.name(), check.check().await) }),
    )
    .await;
    let mut checks = BTreeMap::new();
    let mut failing = Vec::new();
    for (name, result) in results {
        match result {
            Ok(()) => {
                checks.insert(name, "ok");
            }
            Err(error) => {
                tracing::warn!(dependency = name, error = %error, "readiness check failed");
                failing.push(name.to_owned());
            }
        }
    }
    if failing.is_empty() {
        Ok(HttpResponse::Ok().json(ReadyBody {
            status: "ready",
            checks,
        }))
    } else {
        Err(ApiError::DependenciesUnavailable(failing))
    }
}
