//! Personal access tokens (contract → Personal access tokens): the caller's
//! own tokens — create (signed in with a session only), list, revoke.

use crate::envelope::{Data, Page};
use crate::extract::{CurrentUser, Json, SessionUser};
use crate::paging::{paginate, PageQuery};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::personal_tokens::{IssuedPersonalToken, PersonalToken, TokenRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A scope a token may hold.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeName {
    /// GET and HEAD.
    Read,
    /// Every method.
    Write,
}

impl ScopeName {
    fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "CI deploys", "scopes": ["read"], "expires_in_days": 30}))]
pub struct CreateTokenBody {
    /// 1 to 100 characters.
    pub name: String,
    /// `read` (GET and HEAD only) and/or `write` (every method).
    #[schema(inline, min_items = 1)]
    pub scopes: Vec<ScopeName>,
    /// 1 to 365; 90 when absent.
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a40-7e31-8f4a-5b6c7d8e9fa0", "name": "CI deploys", "scopes": ["read"], "prefix": "ofp_x7Kq2mPz", "created_at": "2026-12-06T09:00:00Z", "expires_at": "2027-01-05T09:00:00Z", "last_used_at": null, "token": "ofp_x7Kq2mPz9R4tV1wY6bN3cD8eF0gH5jK2lM7nQ4sT"}))]
pub struct TokenBody {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    /// The token's first 12 characters, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The last request made with it, recorded at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Only in the answer to its creation: it is stored as a keyed hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<PersonalToken> for TokenBody {
    fn from(token: PersonalToken) -> Self {
        Self {
            id: token.id,
            name: token.name.into_inner(),
            scopes: token
                .scopes
                .names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            prefix: token.prefix,
            created_at: token.created_at,
            expires_at: token.expires_at,
            last_used_at: token.last_used_at,
            token: None,
        }
    }
}

impl From<IssuedPersonalToken> for TokenBody {
    fn from(issued: IssuedPersonalToken) -> Self {
        Self {
            token: Some(issued.secret),
            ..Self::from(issued.token)
        }
    }
}

/// Create a personal access token; the token is in this answer only. Needs a
/// session: a token cannot create tokens.
#[utoipa::path(tag = "tokens", request_body = CreateTokenBody, security(("bearer" = [])),
    responses((status = 201, body = inline(Data<TokenBody>)), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, description = "presented with a personal access token", body = Problem, content_type = "application/problem+json"), (status = 409, description = "limit_reached: 50 live tokens", body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/users/me/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    caller: SessionUser,
    body: Json<CreateTokenBody>,
) -> Result<HttpResponse, ApiError> {
    let scopes: Vec<String> = body
        .scopes
        .iter()
        .map(|scope| scope.as_str().to_owned())
        .collect();
    let issued = state
        .tokens
        .create(
            caller.0.id,
            TokenRequest {
                name: &body.name,
                scopes: &scopes,
                expires_in_days: body.expires_in_days,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(Data::new(TokenBody::from(issued))))
}

/// The caller's live tokens, newest first (never the token itself).
#[utoipa::path(tag = "tokens", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(Page<TokenBody>)), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/users/me/tokens")]
pub async fn list_tokens(
    state: web::Data<AppState>,
    caller: CurrentUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = query.parse()?;
    let tokens = state.tokens.list(caller.id()).await?;
    let page = paginate(tokens.into_iter().map(TokenBody::from).collect(), &params)?;
    Ok(HttpResponse::Ok().json(page))
}

/// Revoke one of the caller's tokens: it stops working at once, on every
/// replica.
#[utoipa::path(tag = "tokens", params(("token_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/users/me/tokens/{token_id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.tokens.revoke(caller.id(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
