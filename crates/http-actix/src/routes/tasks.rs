//! Task endpoints: create, list (filters, sorting, offset and keyset paging),
//! read with ETag, PATCH/PUT under optimistic locking, delete.

use crate::envelope::{Data, Page, PageMeta};
use crate::extract::{etag, expected_version, CurrentUser, IfNoneMatch, Json};
use crate::idempotency::{self, Rendered};
use crate::problem::{ApiError, Problem};
use crate::routes::double_option::{not_null, present};
use crate::routes::task_query::TaskListParams;
use crate::routes::timestamp;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::ids::{ProjectId, TaskId, UserId};
use domain::tasks::{ListTag, Listed, Task, TaskDraft, TaskPage, TaskPatch, TaskView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Write the release notes for 1.4", "description": "Cover the new reminders and the webhook limits.", "priority": "high", "due_at": "2026-12-10T17:00:00Z"}))]
pub struct CreateTaskBody {
    pub title: String,
    pub description: Option<String>,
    /// `todo` (default), `in_progress`, `in_review`, `done`.
    pub status: Option<String>,
    /// `low`, `medium` (default), `high`, `urgent`.
    pub priority: Option<String>,
    #[serde(default, deserialize_with = "timestamp::optional")]
    pub due_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 3, "status": "in_review"}))]
pub struct PatchTaskBody {
    /// The version last read (or send `If-Match`).
    pub version: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String)]
    pub priority: Option<String>,
    #[serde(default, deserialize_with = "timestamp::present")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub due_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 3, "title": "Write the release notes for 1.4", "description": null, "status": "done", "priority": "medium", "due_at": null, "assignee_id": null}))]
pub struct ReplaceTaskBody {
    /// The version last read (or send `If-Match`).
    pub version: Option<i64>,
    pub title: String,
    pub description: Option<String>,
    pub status: String,
    pub priority: String,
    #[serde(default, deserialize_with = "timestamp::optional")]
    pub due_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
}

/// The OpenAPI schema of a task. The wire shape is the domain's
/// `TaskView` (the same one the `task.due_soon` webhook event carries);
/// `tests::the_task_schema_names_exactly_the_fields_a_task_view_serializes`
/// keeps this description of it honest.
#[derive(ToSchema)]
#[allow(dead_code)] // read by the OpenAPI derive only
#[schema(example = json!({"id": "019b0e4c-7a13-7e25-b2c4-7f6a5b4c3d2e", "project_id": "019b0e4c-7a12-7d94-a1b3-6e5f4a3b2c1d", "title": "Write the release notes for 1.4", "description": "Cover the new reminders and the webhook limits.", "status": "in_progress", "priority": "high", "due_at": "2026-12-10T17:00:00Z", "assignee_id": "019b0e4c-7a10-7cc2-9a51-3f0e2d1c4b5a", "created_by": "019b0e4c-7a10-7cc2-9a51-3f0e2d1c4b5a", "version": 3, "created_at": "2026-12-03T09:30:00Z", "updated_at": "2026-12-03T09:30:00Z", "comment_count": 2}))]
pub struct TaskBody {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub status: &'static str,
    pub priority: &'static str,
    pub due_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    pub created_by: Uuid,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub comment_count: i64,
}

fn with_etag(mut response: actix_web::HttpResponseBuilder, task: Task) -> HttpResponse {
    response
        .insert_header(("ETag", etag(task.version)))
        .json(Data::new(TaskView::from(task)))
}

/// Create a task (any member). `Location` and `ETag` name the new task. With an
/// `Idempotency-Key`, a retry gets the first response instead of a second task.
#[utoipa::path(tag = "tasks", params(("project_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "1..=255 characters; retries within 24 h replay the first response")), request_body = CreateTaskBody, security(("bearer" = [])),
    responses((status = 201, body = inline(Data<TaskBody>)), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, description = "idempotency_key_reused", body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/projects/{project_id}/tasks")]
pub async fn create_task(
    state: web::Data<AppState>,
    caller: CurrentUser,
    request: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<CreateTaskBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let canonical = serde_json::to_value(&body)
        .map_err(|error| domain::DomainError::internal_from("unexpected failure", error))?;
    let project = ProjectId(path.into_inner());
    let draft = TaskDraft::parse(
        &body.title,
        body.description.as_deref(),
        body.status.as_deref(),
        body.priority.as_deref(),
        body.due_at,
        body.assignee_id.map(UserId),
    )?;
    let once = idempotency::requested(&request, &canonical, render_created)?;
    let settled = state
        .tasks
        .create(caller.id(), project, draft, once)
        .await?;
    idempotency::respond(settled, render_created)
}

/// `201` with the task, `Location` and `ETag`: the response a create answers
/// and an idempotent retry replays.
fn render_created(task: &Task) -> Result<Rendered, domain::DomainError> {
    let body = serde_json::to_string(&Data::new(TaskView::from(task.clone())))
        .map_err(|error| domain::DomainError::internal_from("task body", error))?;
    Ok(Rendered {
        status: StatusCode::CREATED,
        body,
        headers: vec![
            ("location", format!("/api/v1/tasks/{}", task.id)),
            ("etag", etag(task.version)),
        ],
    })
}

/// Tasks of a project: filters, sorting, offset or keyset (`cursor`) paging.
/// A weak `ETag` names the page (list generation, query, caller's view); a
/// matching `If-None-Match` is answered `304` without reading the page.
#[utoipa::path(tag = "tasks", params(("project_id" = Uuid, Path), TaskListParams, ("If-None-Match" = Option<String>, Header, description = "ETag of the page last read")), security(("bearer" = [])),
    responses((status = 200, body = inline(Page<TaskBody>), headers(("X-Cache" = String, description = "HIT, MISS or BYPASS"), ("ETag" = String, description = "Weak validator of this page"))), (status = 304, description = "The page named by If-None-Match is unchanged", headers(("ETag" = String))), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/projects/{project_id}/tasks")]
pub async fn list_tasks(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    query: web::Query<TaskListParams>,
    held: IfNoneMatch,
) -> Result<HttpResponse, ApiError> {
    let query = query.parse(ProjectId(path.into_inner()), caller.id())?;
    let (body, cache, tag) = match state
        .tasks
        .list(caller.id(), query, &held.0, &render_page)
        .await?
    {
        Listed::Unchanged { tag } => return Ok(not_modified(weak_etag(&tag))),
        Listed::Page { body, cache, tag } => (body, cache, tag),
    };
    state
        .metrics
        .cache_requests
        .with_label_values(&[&cache.as_str().to_ascii_lowercase()])
        .inc();
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("X-Cache", cache.as_str()))
        .insert_header(("ETag", weak_etag(&tag)))
        .body(body))
}

/// A list page's tag as a weak validator (`W/"…"`).
fn weak_etag(tag: &ListTag) -> String {
    format!("W/\"{}\"", tag.as_str())
}

/// `304`: no body, the validator the client holds.
fn not_modified(etag: String) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header(("ETag", etag))
        .finish()
}

/// A page as the client receives it, and as the list cache keeps it: a HIT
/// sends these bytes as they are.
fn render_page(page: &TaskPage) -> Result<Vec<u8>, domain::DomainError> {
    let body = Page {
        data: page
            .tasks
            .iter()
            .cloned()
            .map(TaskView::from)
            .collect::<Vec<_>>(),
        meta: PageMeta {
            limit: page.limit,
            offset: page.offset,
            total: page.total.count,
            next_cursor: page.next_cursor.as_ref().map(|c| c.encode()),
            total_capped: page.total.capped,
        },
    };
    serde_json::to_vec(&body)
        .map_err(|error| domain::DomainError::internal_from("task page", error))
}

/// One task, with `ETag: "<version>"` for conditional writes; `304` to a
/// matching `If-None-Match`.
#[utoipa::path(tag = "tasks", params(("task_id" = Uuid, Path), ("If-None-Match" = Option<String>, Header, description = "ETag of the version last read")), security(("bearer" = [])),
    responses((status = 200, body = inline(Data<TaskBody>), headers(("ETag" = String, description = "The task's version, quoted"))), (status = 304, description = "The version named by If-None-Match is current", headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/tasks/{task_id}")]
pub async fn get_task(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    held: IfNoneMatch,
) -> Result<HttpResponse, ApiError> {
    let task = state
        .tasks
        .get(caller.id(), TaskId(path.into_inner()))
        .await?;
    if held.0.holds(&task.version.to_string()) {
        return Ok(not_modified(etag(task.version)));
    }
    Ok(with_etag(HttpResponse::Ok(), task))
}

/// Change some fields. Needs the version last read (body or `If-Match`).
#[utoipa::path(tag = "tasks", params(("task_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version last read")), request_body = PatchTaskBody, security(("bearer" = [])),
    responses((status = 200, body = inline(Data<TaskBody>)), (status = 409, description = "version_conflict", body = Problem, content_type = "application/problem+json"), (status = 412, description = "precondition_failed", body = Problem, content_type = "application/problem+json"), (status = 428, body = Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/tasks/{task_id}")]
pub async fn patch_task(
    state: web::Data<AppState>,
    caller: CurrentUser,
    request: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<PatchTaskBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let expected = expected_version(&request, body.version)?;
    let patch = TaskPatch::parse(
        body.title.as_deref(),
        body.description.as_ref().map(Option::as_deref),
        body.status.as_deref(),
        body.priority.as_deref(),
        body.due_at,
        body.assignee_id.map(|inner| inner.map(UserId)),
    )?;
    let task = state
        .tasks
        .patch(
            caller.id(),
            TaskId(path.into_inner()),
            expected.version,
            patch,
        )
        .await
        .map_err(|error| expected.answer(error))?;
    Ok(with_etag(HttpResponse::Ok(), task))
}

/// Replace every field. Needs the version last read (body or `If-Match`).
#[utoipa::path(tag = "tasks", params(("task_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version last read")), request_body = ReplaceTaskBody, security(("bearer" = [])),
    responses((status = 200, body = inline(Data<TaskBody>)), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 428, body = Problem, content_type = "application/problem+json")))]
#[put("/api/v1/tasks/{task_id}")]
pub async fn replace_task(
    state: web::Data<AppState>,
    caller: CurrentUser,
    request: HttpRequest,
    path: web::Path<Uuid>,
    body: Json<ReplaceTaskBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let expected = expected_version(&request, body.version)?;
    let draft = TaskDraft::parse(
        &body.title,
        body.description.as_deref(),
        Some(&body.status),
        Some(&body.priority),
        body.due_at,
        body.assignee_id.map(UserId),
    )?;
    let task = state
        .tasks
        .replace(
            caller.id(),
            TaskId(path.into_inner()),
            expected.version,
            draft,
        )
        .await
        .map_err(|error| expected.answer(error))?;
    Ok(with_etag(HttpResponse::Ok(), task))
}

/// Delete a task (soft delete). Deleting again is 404.
#[utoipa::path(tag = "tasks", params(("task_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/tasks/{task_id}")]
pub async fn delete_task(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .tasks
        .delete(caller.id(), TaskId(path.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::tasks::{Priority, Status};
    use utoipa::PartialSchema;

    #[test]
    fn the_task_schema_names_exactly_the_fields_a_task_view_serializes() {
        let task = Task {
            id: TaskId::new(),
            project_id: ProjectId::new(),
            fields: TaskDraft {
                title: domain::tasks::TaskTitle::parse("T").unwrap(),
                description: domain::projects::Description::default(),
                status: Status::Todo,
                priority: Priority::High,
                due_at: None,
                assignee_id: None,
            },
            created_by: UserId::new(),
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            comment_count: 0,
        };
        let wire = serde_json::to_value(TaskView::from(task)).unwrap();
        let schema = serde_json::to_value(<TaskBody as PartialSchema>::schema()).unwrap();
        let mut documented: Vec<&String> = schema["properties"]
            .as_object()
            .expect("an object schema")
            .keys()
            .collect();
        let mut sent: Vec<&String> = wire.as_object().unwrap().keys().collect();
        documented.sort();
        sent.sort();
        assert_eq!(documented, sent);
        assert_eq!(wire["priority"], "high", "enums by their contract names");
    }
}
