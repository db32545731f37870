//! The team's audit trail: who changed the team, its people or its
//! integrations (admins only).

use crate::extract::CurrentUser;
use crate::paging::{page, page_request, PageQuery};
use crate::problem::{ApiError, Problem};
use crate::routes::comments::ActivityBody;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use domain::ids::TeamId;
use uuid::Uuid;

/// The team's audit trail, newest first (admins only): `team.updated`,
/// `member.*`, `invitation.*`, `webhook.*`; the entity is the team.
#[utoipa::path(tag = "activity", params(("team_id" = Uuid, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(crate::envelope::Page<ActivityBody>)), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/teams/{team_id}/activity")]
pub async fn list_team_activity(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(&query)?;
    let found = state
        .activity
        .list_team(caller.id(), TeamId(path.into_inner()), request)
        .await?;
    Ok(HttpResponse::Ok().json(page::<_, ActivityBody>(found.items, found.total, request)))
}
