//! Invitations (contract → Invitations): an admin invites an address to a
//! team; whoever signs in with it accepts with the token.

use crate::envelope::{Data, Page};
use crate::extract::{CurrentUser, Json};
use crate::paging::{paginate, PageQuery};
use crate::problem::{ApiError, Problem};
use crate::routes::teams::{email_and_role, TeamBody};
use crate::state::AppState;
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::ids::TeamId;
use domain::invitations::{Invitation, IssuedInvitation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "grace@example.com", "role": "member"}))]
pub struct InviteBody {
    pub email: String,
    /// `admin`, `manager` or `member`.
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "kU8m2Qy7vR1sT4wX9zA3bC6dE0fG5hJ2kL8nP1qR4sT"}))]
pub struct AcceptBody {
    /// The token the invitation was created with.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a30-7d21-9e3f-4a5b6c7d8e9f", "email": "grace@example.com", "role": "member", "created_at": "2026-12-03T09:30:00Z", "expires_at": "2026-12-10T09:30:00Z", "token": "kU8m2Qy7vR1sT4wX9zA3bC6dE0fG5hJ2kL8nP1qR4sT"}))]
pub struct InvitationBody {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Only in the answer to its creation: it is stored as a hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<Invitation> for InvitationBody {
    fn from(invitation: Invitation) -> Self {
        Self {
            id: invitation.id,
            email: invitation.email.as_str().to_owned(),
            role: invitation.role.as_str().to_owned(),
            created_at: invitation.created_at,
            expires_at: invitation.expires_at,
            token: None,
        }
    }
}

impl From<IssuedInvitation> for InvitationBody {
    fn from(issued: IssuedInvitation) -> Self {
        Self {
            token: Some(issued.token),
            ..Self::from(issued.invitation)
        }
    }
}

/// Invite an address to a team with a role (admin). The token is in this
/// answer only.
#[utoipa::path(tag = "invitations", params(("team_id" = Uuid, Path)), request_body = InviteBody, security(("bearer" = [])),
    responses((status = 201, body = inline(Data<InvitationBody>)), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "already_member or already_invited", body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/teams/{team_id}/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    body: Json<InviteBody>,
) -> Result<HttpResponse, ApiError> {
    let (email, role) = email_and_role(&body.email, &body.role)?;
    let issued = state
        .invitations
        .create(caller.id(), TeamId(path.into_inner()), email, role)
        .await?;
    Ok(HttpResponse::Created().json(Data::new(InvitationBody::from(issued))))
}

/// The team's invitations that can still be accepted, oldest first (admin;
/// never the token).
#[utoipa::path(tag = "invitations", params(("team_id" = Uuid, Path), PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(Page<InvitationBody>)), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/teams/{team_id}/invitations")]
pub async fn list_invitations(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = query.parse()?;
    let pending = state
        .invitations
        .pending(caller.id(), TeamId(path.into_inner()))
        .await?;
    let page = paginate(
        pending.into_iter().map(InvitationBody::from).collect(),
        &params,
    )?;
    Ok(HttpResponse::Ok().json(page))
}

/// Revoke a pending invitation (admin of its team).
#[utoipa::path(tag = "invitations", params(("invitation_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/invitations/{invitation_id}", guard = "not_accept")]
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .invitations
        .revoke(caller.id(), path.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `/invitations/accept` is a path of its own (POST), not an invitation id:
/// a DELETE of it falls through to the method table's `405`.
fn not_accept(context: &actix_web::guard::GuardContext<'_>) -> bool {
    context.head().uri.path() != "/api/v1/invitations/accept"
}

/// Join the invitation's team with its role, as the signed-in user whose
/// email it was sent to.
#[utoipa::path(tag = "invitations", request_body = AcceptBody, security(("bearer" = [])),
    responses((status = 200, body = inline(Data<TeamBody>)), (status = 403, description = "the invitation is for another email address", body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "already_member", body = Problem, content_type = "application/problem+json"), (status = 410, description = "invitation_gone: expired, revoked or used", body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/invitations/accept")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    caller: CurrentUser,
    body: Json<AcceptBody>,
) -> Result<HttpResponse, ApiError> {
    let view = state.invitations.accept(caller.id(), &body.token).await?;
    Ok(HttpResponse::Ok().json(Data::new(TeamBody::from(view))))
}
