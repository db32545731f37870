//! Team and membership endpoints. Handlers only translate: who may do what is
//! decided in `domain::teams::TeamService`.

use crate::envelope::{Data, Page};
use crate::extract::{CurrentUser, Json};
use crate::paging::{paginate, PageQuery};
use crate::problem::{ApiError, Problem};
use crate::routes::dto::UserBody;
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::access::Role;
use domain::auth::Email;
use domain::error::merge_invalid;
use domain::ids::{TeamId, UserId};
use domain::teams::{parse_role, Member, TeamName, TeamView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Platform team"}))]
pub struct TeamNameBody {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "grace@example.com", "role": "member"}))]
pub struct AddMemberBody {
    pub email: String,
    /// `admin`, `manager` or `member`.
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "manager"}))]
pub struct RoleBody {
    pub role: String,
}

/// `team`, with the caller's own role in it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a11-7b63-8f2e-5d4c3b2a1f0e", "name": "Platform team", "created_at": "2026-12-03T09:30:00Z", "role": "admin"}))]
pub struct TeamBody {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

impl From<TeamView> for TeamBody {
    fn from(view: TeamView) -> Self {
        Self {
            id: view.team.id.as_uuid(),
            name: view.team.name.into_inner(),
            role: view.role.as_str().to_owned(),
            created_at: view.team.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"user": {"id": "019b0e4c-7a10-7cc2-9a51-3f0e2d1c4b5a", "email": "ada@example.com", "name": "Ada Lovelace", "created_at": "2026-12-03T09:30:00Z"}, "role": "admin", "joined_at": "2026-12-03T09:30:00Z"}))]
pub struct MemberBody {
    pub user: UserBody,
    pub role: String,
    pub joined_at: DateTime<Utc>,
}

impl From<Member> for MemberBody {
    fn from(member: Member) -> Self {
        Self {
            user: member.user.into(),
            role: member.role.as_str().to_owned(),
            joined_at: member.joined_at,
        }
    }
}

/// Create a team; the caller becomes its admin.
#[utoipa::path(tag = "teams", request_body = TeamNameBody, security(("bearer" = [])),
    responses((status = 201, body = inline(Data<TeamBody>)), (status = 400, body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/teams")]
pub async fn create_team(
    state: web::Data<AppState>,
    caller: CurrentUser,
    body: Json<TeamNameBody>,
) -> Result<HttpResponse, ApiError> {
    let name = TeamName::parse(&body.name)?;
    let view = state.teams.create(caller.id(), name).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/teams/{}", view.team.id)))
        .json(Data::new(TeamBody::from(view))))
}

/// Teams the caller belongs to.
#[utoipa::path(tag = "teams", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(Page<TeamBody>)), (status = 400, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/teams")]
pub async fn list_teams(
    state: web::Data<AppState>,
    caller: CurrentUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = query.parse()?;
    let teams = state.teams.list(caller.id()).await?;
    let page = paginate(teams.into_iter().map(TeamBody::from).collect(), &params)?;
    Ok(HttpResponse::Ok().json(page))
}

/// One team (members only; others get 404).
#[utoipa::path(tag = "teams", params(("team_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Data<TeamBody>)), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/teams/{team_id}")]
pub async fn get_team(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .teams
        .get(caller.id(), TeamId(path.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(Data::new(TeamBody::from(view))))
}

/// Rename a team (admin).
#[utoipa::path(tag = "teams", params(("team_id" = Uuid, Path)), request_body = TeamNameBody, security(("bearer" = [])),
    responses((status = 200, body = inline(Data<TeamBody>)), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/teams/{team_id}")]
pub async fn rename_team(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    body: Json<TeamNameBody>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .teams
        .rename(
            caller.id(),
            TeamId(path.into_inner()),
            TeamName::parse(&body.name)?,
        )
        .await?;
    Ok(HttpResponse::Ok().json(Data::new(TeamBody::from(view))))
}

/// Delete a team (admin; soft delete).
#[utoipa::path(tag = "teams", params(("team_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/teams/{team_id}")]
pub async fn delete_team(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .teams
        .delete(caller.id(), TeamId(path.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Members of a team, oldest first.
#[utoipa::path(tag = "members", params(("team_id" = Uuid, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(Page<MemberBody>)), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/teams/{team_id}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = query.parse()?;
    let members = state
        .teams
        .members(caller.id(), TeamId(path.into_inner()))
        .await?;
    let page = paginate(members.into_iter().map(MemberBody::from).collect(), &params)?;
    Ok(HttpResponse::Ok().json(page))
}

/// Add an existing user to a team (admin).
#[utoipa::path(tag = "members", params(("team_id" = Uuid, Path)), request_body = AddMemberBody, security(("bearer" = [])),
    responses((status = 201, body = inline(Data<MemberBody>)), (status = 404, description = "team or user not found", body = Problem, content_type = "application/problem+json"), (status = 409, description = "already_member", body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/teams/{team_id}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    body: Json<AddMemberBody>,
) -> Result<HttpResponse, ApiError> {
    let (email, role) = email_and_role(&body.email, &body.role)?;
    let member = state
        .teams
        .add_member(caller.id(), TeamId(path.into_inner()), email, role)
        .await?;
    Ok(HttpResponse::Created().json(Data::new(MemberBody::from(member))))
}

/// Change a member's role (admin). Demoting the last admin is `409 last_admin`.
#[utoipa::path(tag = "members", params(("team_id" = Uuid, Path), ("user_id" = Uuid, Path)), request_body = RoleBody, security(("bearer" = [])),
    responses((status = 200, body = inline(Data<MemberBody>)), (status = 409, description = "last_admin", body = Problem, content_type = "application/problem+json")))]
#[patch("/api/v1/teams/{team_id}/members/{user_id}")]
pub async fn change_role(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<RoleBody>,
) -> Result<HttpResponse, ApiError> {
    let (team, user) = path.into_inner();
    let member = state
        .teams
        .change_role(
            caller.id(),
            TeamId(team),
            UserId(user),
            parse_role(&body.role)?,
        )
        .await?;
    Ok(HttpResponse::Ok().json(Data::new(MemberBody::from(member))))
}

/// Remove a member (admin), or leave (the member themself). Removing the last
/// admin is `409 last_admin`.
#[utoipa::path(tag = "members", params(("team_id" = Uuid, Path), ("user_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 409, description = "last_admin", body = Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/teams/{team_id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (team, user) = path.into_inner();
    state
        .teams
        .remove_member(caller.id(), TeamId(team), UserId(user))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An address and a role as a client sent them (add member, invite): both
/// checked, every invalid field reported at once.
pub(crate) fn email_and_role(email: &str, role: &str) -> Result<(Email, Role), ApiError> {
    match (Email::parse(email), parse_role(role)) {
        (Ok(email), Ok(role)) => Ok((email, role)),
        (email, role) => Err(merge_invalid([email.err(), role.err()]).into()),
    }
}
