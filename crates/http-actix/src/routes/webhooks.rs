//! Team webhooks: register (the secret is in this answer only), list, delete.
//! Admins only.

use crate::envelope::{Data, Page};
use crate::extract::{CurrentUser, Json};
use crate::paging::{page, page_request, PageQuery};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::ids::{TeamId, WebhookId};
use domain::webhooks::Webhook;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/opsflow", "events": ["task.created", "task.updated", "task.due_soon"]}))]
pub struct CreateWebhookBody {
    /// Absolute `http`/`https` URL of a public host.
    pub url: String,
    /// Activity actions (`task.created`, ...) and `task.due_soon`.
    pub events: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a14-7f36-83d5-8a7b6c5d4e3f", "url": "https://hooks.example.com/opsflow", "events": ["task.created", "task.updated"], "created_at": "2026-12-03T09:30:00Z"}))]
pub struct WebhookBody {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookBody {
    fn from(webhook: Webhook) -> Self {
        Self {
            id: webhook.id.as_uuid(),
            url: webhook.url.as_str().to_owned(),
            events: webhook.events.into_inner(),
            created_at: webhook.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a14-7f36-83d5-8a7b6c5d4e3f", "url": "https://hooks.example.com/opsflow", "events": ["task.created", "task.updated"], "created_at": "2026-12-03T09:30:00Z", "secret": "whsec_8f3a1c9e2b7d4f6a0c5e9b1d3f7a2c4e"}))]
pub struct CreatedWebhookBody {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Signs every delivery (`X-OpsFlow-Signature`); shown only here.
    pub secret: String,
}

/// Register a webhook (team admin). The signing secret is in this response only.
#[utoipa::path(tag = "webhooks", params(("team_id" = Uuid, Path)), request_body = CreateWebhookBody, security(("bearer" = [])),
    responses((status = 201, body = inline(Data<CreatedWebhookBody>)), (status = 400, description = "validation_failed, or url_not_allowed: the host is or resolves to a non-public address", body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/teams/{team_id}/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    body: Json<CreateWebhookBody>,
) -> Result<HttpResponse, ApiError> {
    let created = state
        .webhooks
        .create(
            caller.id(),
            TeamId(path.into_inner()),
            &body.url,
            &body.events,
        )
        .await?;
    Ok(HttpResponse::Created().json(Data::new(CreatedWebhookBody {
        id: created.webhook.id.as_uuid(),
        url: created.webhook.url.as_str().to_owned(),
        events: created.webhook.events.into_inner(),
        created_at: created.webhook.created_at,
        secret: created.secret,
    })))
}

/// The team's webhooks (team admin), newest first. Never the secrets.
#[utoipa::path(tag = "webhooks", params(("team_id" = Uuid, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(Page<WebhookBody>)), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/teams/{team_id}/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(&query)?;
    let found = state
        .webhooks
        .list(caller.id(), TeamId(path.into_inner()), request)
        .await?;
    Ok(HttpResponse::Ok().json(page::<_, WebhookBody>(found.items, found.total, request)))
}

/// Delete a webhook (team admin): it receives nothing more.
#[utoipa::path(tag = "webhooks", params(("webhook_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/webhooks/{webhook_id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .webhooks
        .delete(caller.id(), WebhookId(path.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
