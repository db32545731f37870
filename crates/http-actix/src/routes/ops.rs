//! Operational endpoints: liveness and readiness.

use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use domain::ops::DependencyCheck;
use domain::DomainError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::ToSchema;

/// Every dependency check at once: `(name, required, outcome)`. `/ready`
/// answers from it, and the metrics hook (`opsflow_dependency_up`) reads the
/// same outcomes at each scrape.
pub async fn run_checks(
    checks: &[Arc<dyn DependencyCheck>],
) -> Vec<(&'static str, bool, Result<(), DomainError>)> {
    futures_util::future::join_all(
        checks
            .iter()
            .map(|check| async move { (check.name(), check.required(), check.check().await) }),
    )
    .await
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct HealthBody {
    /// Always `ok`.
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ready", "checks": {"postgres": "up", "redis": "up"}}))]
pub struct ReadyBody {
    /// `ready`; `degraded` while an accelerator (Redis) does not answer: the
    /// instance still serves every request, more slowly.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// Per dependency: `ok`, or `unavailable` (only ever for one the service
    /// can run without; a required one failing is the 503).
    pub checks: BTreeMap<&'static str, &'static str>,
}

/// Liveness: the process is up and serving. Touches no dependency, so a database
/// outage never gets healthy pods killed by their orchestrator.
#[utoipa::path(tag = "operations", responses((status = 200, body = HealthBody)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody { status: "ok" })
}

/// Readiness: PostgreSQL answers (503 naming it otherwise: load balancers stop
/// routing here). Redis not answering is `200` `degraded`: the api serves
/// without it, and taking every replica out of the load balancer would turn a
/// cache outage into a full outage.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, body = ReadyBody),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut checks = BTreeMap::new();
    let mut failing = Vec::new();
    let mut degraded = false;
    for (name, required, result) in run_checks(&state.dependency_checks).await {
        match result {
            Ok(()) => {
                checks.insert(name, "ok");
            }
            Err(error) => {
                tracing::warn!(dependency = name, required, error = %error, "readiness check failed");
                checks.insert(name, "unavailable");
                if required {
                    failing.push(name.to_owned());
                } else {
                    degraded = true;
                }
            }
        }
    }
    if !failing.is_empty() {
        return Err(ApiError::DependenciesUnavailable(failing));
    }
    Ok(HttpResponse::Ok().json(ReadyBody {
        status: if degraded { "degraded" } else { "ready" },
        checks,
    }))
}
