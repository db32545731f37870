//! Comment endpoints and the project activity feed.

use crate::envelope::Data;
use crate::extract::{CurrentUser, Json};
use crate::paging::{page, page_request, PageQuery};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::activity::{ActivityEntry, Actor, ChangeSet};
use domain::comments::{Comment, CommentBody as CommentText};
use domain::ids::{CommentId, ProjectId, TaskId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "Draft is in the shared folder; needs a second pair of eyes."}))]
pub struct CommentInput {
    pub body: String,
}

/// `{id, name}` of a comment's author or an entry's actor.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a10-7cc2-9a51-3f0e2d1c4b5a", "name": "Ada Lovelace"}))]
pub struct ActorBody {
    pub id: Uuid,
    pub name: String,
}

impl From<Actor> for ActorBody {
    fn from(actor: Actor) -> Self {
        Self {
            id: actor.id.as_uuid(),
            name: actor.name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a14-7f36-83d5-8a7b6c5d4e3f", "task_id": "019b0e4c-7a13-7e25-b2c4-7f6a5b4c3d2e", "author": {"id": "019b0e4c-7a10-7cc2-9a51-3f0e2d1c4b5a", "name": "Ada Lovelace"}, "body": "Draft is in the shared folder; needs a second pair of eyes.", "created_at": "2026-12-03T09:30:00Z", "updated_at": "2026-12-03T09:30:00Z"}))]
pub struct CommentBody {
    pub id: Uuid,
    pub task_id: Uuid,
    pub author: ActorBody,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Comment> for CommentBody {
    fn from(comment: Comment) -> Self {
        Self {
            id: comment.id.as_uuid(),
            task_id: comment.task_id.as_uuid(),
            author: comment.author.into(),
            body: comment.body.into_inner(),
            created_at: comment.created_at,
            updated_at: comment.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a14-7f36-83d5-8a7b6c5d4e3f", "actor": {"id": "019b0e4c-7a10-7cc2-9a51-3f0e2d1c4b5a", "name": "Ada Lovelace"}, "action": "task.updated", "entity_type": "task", "entity_id": "019b0e4c-7a13-7e25-b2c4-7f6a5b4c3d2e", "changes": {"status": {"from": "todo", "to": "in_progress"}}, "created_at": "2026-12-03T09:30:00Z"}))]
pub struct ActivityBody {
    pub id: Uuid,
    pub actor: ActorBody,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    /// `{field: {"from": old, "to": new}}` for updates; `{}` otherwise.
    #[schema(value_type = Object)]
    pub changes: ChangeSet,
    pub created_at: DateTime<Utc>,
}

impl From<ActivityEntry> for ActivityBody {
    fn from(entry: ActivityEntry) -> Self {
        Self {
            id: entry.id.as_uuid(),
            actor: entry.actor.into(),
            action: entry.action.as_str().to_owned(),
            entity_type: entry.action.entity_type().as_str().to_owned(),
            entity_id: entry.entity_id,
            changes: entry.changes,
            created_at: entry.created_at,
        }
    }
}

/// Comment on a task (any member).
#[utoipa::path(tag = "comments", params(("task_id" = Uuid, Path)), request_body = CommentInput, security(("bearer" = [])),
    responses((status = 201, body = inline(Data<CommentBody>)), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/tasks/{task_id}/comments")]
pub async fn create_comment(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    body: Json<CommentInput>,
) -> Result<HttpResponse, ApiError> {
    let comment = state
        .comments
        .create(
            caller.id(),
            TaskId(path.into_inner()),
            CommentText::parse(&body.body)?,
        )
        .await?;
    Ok(HttpResponse::Created().json(Data::new(CommentBody::from(comment))))
}

/// A task's comments, oldest first, each with its author.
#[utoipa::path(tag = "comments", params(("task_id" = Uuid, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(crate::envelope::Page<CommentBody>)), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/tasks/{task_id}/comments")]
pub async fn list_comments(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(&query)?;
    let found = state
        .comments
        .list(caller.id(), TaskId(path.into_inner()), request)
        .await?;
    Ok(HttpResponse::Ok().json(page::<_, CommentBody>(found.items, found.total, request)))
}

/// Edit a comment (its author only).
#[utoipa::path(tag = "comments", params(("comment_id" = Uuid, Path)), request_body = CommentInput, security(("bearer" = [])),
    responses((status = 200, body = inline(Data<CommentBody>)), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/comments/{comment_id}")]
pub async fn update_comment(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    body: Json<CommentInput>,
) -> Result<HttpResponse, ApiError> {
    let comment = state
        .comments
        .update(
            caller.id(),
            CommentId(path.into_inner()),
            CommentText::parse(&body.body)?,
        )
        .await?;
    Ok(HttpResponse::Ok().json(Data::new(CommentBody::from(comment))))
}

/// Delete a comment (its author or an admin).
#[utoipa::path(tag = "comments", params(("comment_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/comments/{comment_id}")]
pub async fn delete_comment(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .comments
        .delete(caller.id(), CommentId(path.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The project's activity, newest first.
#[utoipa::path(tag = "activity", params(("project_id" = Uuid, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(crate::envelope::Page<ActivityBody>)), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/projects/{project_id}/activity")]
pub async fn list_activity(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(&query)?;
    let found = state
        .activity
        .list(caller.id(), ProjectId(path.into_inner()), request)
        .await?;
    Ok(HttpResponse::Ok().json(page::<_, ActivityBody>(found.items, found.total, request)))
}
