//! The caller's own notifications (due-date reminders), and marking one read.

use crate::envelope::{Page, PageMeta};
use crate::extract::CurrentUser;
use crate::paging::{next_offset_cursor, start_offset, PageQuery};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::ids::NotificationId;
use domain::notifications::Notification;
use domain::paging::PageRequest;
use domain::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a14-7f36-83d5-8a7b6c5d4e3f", "kind": "task.due_soon", "task_id": "019b0e4c-7a13-7e25-b2c4-7f6a5b4c3d2e", "message": "\"Write the release notes for 1.4\" is due at 2026-12-10T17:00:00Z", "created_at": "2026-12-03T09:30:00Z", "read_at": null}))]
pub struct NotificationBody {
    pub id: Uuid,
    /// `task.due_soon`.
    pub kind: String,
    pub task_id: Option<Uuid>,
    /// Names the task's title.
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationBody {
    fn from(notification: Notification) -> Self {
        Self {
            id: notification.id.as_uuid(),
            kind: notification.kind.as_str().to_owned(),
            task_id: notification.task_id.map(|task| task.as_uuid()),
            message: notification.message,
            created_at: notification.created_at,
            read_at: notification.read_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnreadQuery {
    /// `true`: only notifications not yet read.
    pub unread: Option<String>,
}

fn unread_only(query: &UnreadQuery) -> Result<bool, ApiError> {
    match query.unread.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::BadRequest {
            detail: "Invalid query string.".into(),
            errors: vec![FieldError::new("unread", "must be true or false")],
        }),
    }
}

/// The caller's own notifications, newest first.
#[utoipa::path(tag = "notifications", params(UnreadQuery, PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(Page<NotificationBody>))))]
#[get("/api/v1/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    caller: CurrentUser,
    unread: web::Query<UnreadQuery>,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let unread = unread_only(&unread)?;
    let params = paging.parse()?;
    let request = PageRequest {
        limit: params.limit,
        offset: start_offset(&params)?,
    };
    let found = state
        .notifications
        .list(caller.id(), unread, request)
        .await?;
    let end = i64::from(request.offset) + found.items.len() as i64;
    let next_cursor = next_offset_cursor(end, found.total);
    Ok(HttpResponse::Ok().json(Page {
        data: found
            .items
            .into_iter()
            .map(NotificationBody::from)
            .collect::<Vec<_>>(),
        meta: PageMeta {
            limit: request.limit,
            offset: request.offset,
            total: found.total,
            next_cursor,
            total_capped: false,
        },
    }))
}

/// Mark one of the caller's notifications read. Idempotent.
#[utoipa::path(tag = "notifications", params(("notification_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/notifications/{notification_id}/read")]
pub async fn read_notification(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .notifications
        .mark_read(caller.id(), NotificationId(path.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
