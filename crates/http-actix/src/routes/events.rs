//! `GET /api/v1/projects/{id}/events`: the project's activity as
//! Server-Sent Events (contract → Live events; docs/events.md).

use crate::extract::CurrentUser;
use crate::problem::{ApiError, Problem};
use crate::sse;
use crate::state::AppState;
use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::events::Resume;
use domain::ids::{ActivityId, ProjectId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// Resume after this entry (as `Last-Event-ID`, for clients that cannot
    /// set headers). The header wins when both are sent. Any value is
    /// accepted: empty is a fresh start, an id the log cannot replay from
    /// (or not a UUID at all) a reset.
    pub last_event_id: Option<String>,
}

/// One event of the stream, as a client's parser hands it over (what the
/// document's `text/event-stream` schema describes: each event, not the
/// body's text). Documentation only: `sse.rs` writes the frames.
#[derive(ToSchema)]
#[schema(example = json!({
    "event": "task.updated",
    "data": "{\"id\":\"019b0e4c-7a14-7f36-83d5-8a7b6c5d4e3f\",\"actor\":{\"id\":\"019b0e4c-7a10-7cc2-9a51-3f0e2d1c4b5a\",\"name\":\"Ada Lovelace\"},\"action\":\"task.updated\",\"entity_type\":\"task\",\"entity_id\":\"019b0e4c-7a13-7e25-b2c4-7f6a5b4c3d2e\",\"changes\":{\"status\":{\"from\":\"todo\",\"to\":\"in_progress\"}},\"created_at\":\"2026-12-03T09:30:00Z\"}",
    "id": "019b0e4c-7a14-7f36-83d5-8a7b6c5d4e3f"
}))]
#[allow(dead_code)]
pub struct ServerSentEvent {
    /// The entry's action (`task.updated`, …), or `reset`, `revoked`,
    /// `deleted`.
    event: String,
    /// The activity entry as JSON, as in the activity log (`{}` for
    /// `reset`, `revoked` and `deleted`).
    #[schema(content_media_type = "application/json")]
    data: String,
    /// The activity entry's id: what `Last-Event-ID` resumes after.
    id: Option<Uuid>,
    /// How long to wait before reconnecting, in milliseconds.
    retry: Option<u64>,
}

/// Follow a project's activity: one event per entry (`id:` its id, `event:`
/// its action, `data:` the entry as in the activity log), in stream order,
/// resumable with `Last-Event-ID`. Ends with `revoked` when the caller
/// leaves the team, `deleted` when the project goes.
#[utoipa::path(tag = "events", params(("project_id" = Uuid, Path), EventsParams, ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received (an activity entry id); any other value is a reset")), security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", body = ServerSentEvent, description = "The event stream"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/projects/{project_id}/events")]
pub async fn project_events(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    params: web::Query<EventsParams>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let resume = resume_point(&request, params.into_inner().last_event_id);
    let permit = state.streams.admit(caller.id()).await?;
    let events = state
        .events
        .open(caller.id(), ProjectId(path.into_inner()), resume)
        .await?;
    let body = sse::frames(sse::Body {
        events,
        keep_alive: state.events_keep_alive,
        stopping: state.stopping.clone(),
        metrics: state.metrics.clone(),
        permit,
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        // An event stream is never stored; proxies must not buffer it.
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// `Last-Event-ID`, else `?last_event_id=`: none or empty is a fresh
/// start, an entry id a resume after it, anything else unreadable (a reset;
/// docs/events.md).
fn resume_point(request: &HttpRequest, query: Option<String>) -> Resume {
    let header = request
        .headers()
        .get("Last-Event-ID")
        .map(|value| value.to_str().map(str::to_owned).unwrap_or_default());
    let raw = header.or(query).unwrap_or_default();
    let raw = raw.trim();
    if raw.is_empty() {
        return Resume::Fresh;
    }
    Uuid::parse_str(raw).map_or(Resume::Unreadable, |id| Resume::After(ActivityId(id)))
}
