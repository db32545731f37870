//! The OpenAPI 3.1 document's frame. Paths are collected from the handlers as
//! they are registered (utoipa-actix-web), so the document is generated from the
//! router itself.

use crate::problem::{Problem, ProblemField};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "OpsFlow API",
        version = "1.0.0",
        description = "Team workflow service: teams, projects, tasks, comments, activity, reminders.",
        license(name = "MIT", identifier = "MIT")
    ),
    components(schemas(Problem, ProblemField)),
    tags(
        (name = "operations", description = "Liveness, readiness and documentation"),
    )
)]
pub struct ApiDoc;

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
