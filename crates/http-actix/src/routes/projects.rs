//! Project endpoints.

use crate::envelope::{Data, Page};
use crate::extract::{CurrentUser, Json};
use crate::paging::{page, page_request, PageQuery};
use crate::problem::{ApiError, Problem};
use crate::routes::double_option::{not_null, present};
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::error::merge_invalid;
use domain::ids::{ProjectId, TeamId};
use domain::projects::{Description, Project, ProjectChanges, ProjectName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Release 1.4", "description": "Everything that ships in December."}))]
pub struct CreateProjectBody {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Release 1.4 (December)"}))]
pub struct UpdateProjectBody {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String)]
    pub name: Option<String>,
    /// `null` clears the description.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a12-7d94-a1b3-6e5f4a3b2c1d", "team_id": "019b0e4c-7a11-7b63-8f2e-5d4c3b2a1f0e", "name": "Release 1.4", "description": "Everything that ships in December.", "created_by": "019b0e4c-7a10-7cc2-9a51-3f0e2d1c4b5a", "created_at": "2026-12-03T09:30:00Z", "updated_at": "2026-12-03T09:30:00Z"}))]
pub struct ProjectBody {
    pub id: Uuid,
    pub team_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Project> for ProjectBody {
    fn from(project: Project) -> Self {
        Self {
            id: project.id.as_uuid(),
            team_id: project.team_id.as_uuid(),
            name: project.name.into_inner(),
            description: project.description.into_inner(),
            created_by: project.created_by.as_uuid(),
            created_at: project.created_at,
            updated_at: project.updated_at,
        }
    }
}

/// Create a project (admin, manager).
#[utoipa::path(tag = "projects", params(("team_id" = Uuid, Path)), request_body = CreateProjectBody, security(("bearer" = [])),
    responses((status = 201, body = inline(Data<ProjectBody>)), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/teams/{team_id}/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    body: Json<CreateProjectBody>,
) -> Result<HttpResponse, ApiError> {
    let (name, description) = match (
        ProjectName::parse(&body.name),
        Description::parse(body.description.as_deref()),
    ) {
        (Ok(name), Ok(description)) => (name, description),
        (name, description) => {
            return Err(merge_invalid([name.err(), description.err()]).into());
        }
    };
    let project = state
        .projects
        .create(caller.id(), TeamId(path.into_inner()), name, description)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/projects/{}", project.id)))
        .json(Data::new(ProjectBody::from(project))))
}

/// Live projects of a team, newest first.
#[utoipa::path(tag = "projects", params(("team_id" = Uuid, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(Page<ProjectBody>)), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/teams/{team_id}/projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(&query)?;
    let found = state
        .projects
        .list(caller.id(), TeamId(path.into_inner()), request)
        .await?;
    Ok(HttpResponse::Ok().json(page::<_, ProjectBody>(found.items, found.total, request)))
}

/// One project.
#[utoipa::path(tag = "projects", params(("project_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Data<ProjectBody>)), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/projects/{project_id}")]
pub async fn get_project(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let project = state
        .projects
        .get(caller.id(), ProjectId(path.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(Data::new(ProjectBody::from(project))))
}

/// Rename or describe a project (admin, manager).
#[utoipa::path(tag = "projects", params(("project_id" = Uuid, Path)), request_body = UpdateProjectBody, security(("bearer" = [])),
    responses((status = 200, body = inline(Data<ProjectBody>)), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/projects/{project_id}")]
pub async fn update_project(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    body: Json<UpdateProjectBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let name = body.name.as_deref().map(ProjectName::parse);
    let description = body
        .description
        .as_ref()
        .map(|d| Description::parse(d.as_deref()));
    let changes = match (name.transpose(), description.transpose()) {
        (Ok(name), Ok(description)) => ProjectChanges { name, description },
        (name, description) => {
            return Err(domain::error::merge_invalid([name.err(), description.err()]).into())
        }
    };
    let project = state
        .projects
        .update(caller.id(), ProjectId(path.into_inner()), changes)
        .await?;
    Ok(HttpResponse::Ok().json(Data::new(ProjectBody::from(project))))
}

/// Delete a project (admin; soft delete, its tasks disappear with it).
#[utoipa::path(tag = "projects", params(("project_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/projects/{project_id}")]
pub async fn delete_project(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .projects
        .delete(caller.id(), ProjectId(path.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
