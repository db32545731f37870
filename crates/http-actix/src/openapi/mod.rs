//! The OpenAPI 3.1 document's frame. Paths are collected from the handlers as
//! they are registered (utoipa-actix-web), so the document is generated from the
//! router itself; `complete` then adds what the code enforces, so a client
//! (or a fuzzer) reading it learns the whole truth. That is done on the
//! document as JSON once at startup: utoipa's derive attributes take literals
//! only, and these rules are data.

mod edge_responses;
mod links;
mod operations;
mod patterns;
mod rules;

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
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Liveness, readiness and documentation"),
        (name = "auth", description = "Accounts, login, token refresh and logout"),
        (name = "sessions", description = "The caller's sessions and password"),
        (name = "tokens", description = "The caller's personal access tokens"),
        (name = "teams", description = "Teams the caller belongs to"),
        (name = "members", description = "Team membership and roles"),
        (name = "invitations", description = "Inviting an address to a team, and accepting"),
        (name = "projects", description = "Projects of a team"),
        (name = "tasks", description = "Tasks, with optimistic locking"),
        (name = "comments", description = "Comments on tasks"),
        (name = "activity", description = "What happened in a project"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme that secured operations reference: an HS256
/// access JWT, or a personal access token (`ofp_…`).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or ofp_ personal access token")
                    .build(),
            ),
        );
    }
}

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// The generated document completed with input constraints, every status an
/// operation can answer, and links between operations.
pub fn complete(openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let Ok(mut document) = serde_json::to_value(&openapi) else {
        return openapi;
    };
    rules::constrain(&mut document);
    edge_responses::document_edge_responses(&mut document);
    links::add_links(&mut document);
    serde_json::from_value(document).unwrap_or(openapi)
}
