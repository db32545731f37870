//! The caller's sessions (contract → Sessions): list, end one, end all, and
//! the password change that ends every other one.

use crate::client_ip::client_ip;
use crate::envelope::Page;
use crate::extract::{Json, SessionUser};
use crate::middleware::rate_limit::StricterQuota;
use crate::paging::{paginate, PageQuery};
use crate::problem::{ApiError, Problem};
use crate::routes::auth::cleared_cookies;
use crate::state::AppState;
use actix_web::{delete, get, post, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::auth::SessionView;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a20-7c11-8d2e-3f4a5b6c7d8e", "created_at": "2026-12-03T09:30:00Z", "last_used_at": "2026-12-03T11:05:00Z", "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "ip": "203.0.113.7", "current": true}))]
pub struct SessionBody {
    /// The session (the access tokens' `sid`).
    pub id: Uuid,
    /// The login.
    pub created_at: DateTime<Utc>,
    /// The last login or refresh.
    pub last_used_at: DateTime<Utc>,
    /// As sent at login, without control characters, at most 256 characters.
    pub user_agent: Option<String>,
    /// The client address at login.
    pub ip: Option<String>,
    /// The session this request is made with.
    pub current: bool,
}

impl From<SessionView> for SessionBody {
    fn from(view: SessionView) -> Self {
        let session = view.session;
        Self {
            id: session.id,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            user_agent: session.client.user_agent().map(str::to_owned),
            ip: session.client.ip().map(|ip| ip.to_string()),
            current: view.current,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "correct horse battery staple", "new_password": "a longer passphrase than before"}))]
pub struct PasswordChangeBody {
    pub current_password: String,
    /// 8 to 128 characters (the document's rules say so: `openapi/rules.rs`).
    pub new_password: String,
}

/// The caller's live sessions, the most recently used first.
#[utoipa::path(tag = "sessions", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = inline(Page<SessionBody>)), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/users/me/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    caller: SessionUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = query.parse()?;
    let sessions = state.auth.sessions(&caller.0).await?;
    let page = paginate(
        sessions.into_iter().map(SessionBody::from).collect(),
        &params,
    )?;
    Ok(HttpResponse::Ok().json(page))
}

/// End one of the caller's sessions: its refresh and access tokens stop at
/// once, on every replica.
#[utoipa::path(tag = "sessions", params(("session_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/api/v1/users/me/sessions/{session_id}")]
pub async fn end_session(
    state: web::Data<AppState>,
    caller: SessionUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.auth.end_session(&caller.0, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End every session of the caller's, this one included; clears both
/// cookies.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/auth/logout-all")]
pub async fn logout_all(
    state: web::Data<AppState>,
    caller: SessionUser,
) -> Result<HttpResponse, ApiError> {
    state.auth.logout_all(&caller.0).await?;
    let mut response = HttpResponse::NoContent();
    for cleared in cleared_cookies(state.cookies) {
        response.cookie(cleared);
    }
    Ok(response.finish())
}

/// Change the caller's password; every other session ends. A wrong current
/// password is `403`, counted against the login quota (per address and
/// user) like a login.
#[utoipa::path(tag = "sessions", request_body = PasswordChangeBody, security(("bearer" = [])),
    responses((status = 204), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, description = "the current password is wrong", body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/users/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: SessionUser,
    request: HttpRequest,
    body: Json<PasswordChangeBody>,
) -> Result<HttpResponse, ApiError> {
    // Before the password is looked at: guessing it is what this limits.
    if let Some(policy) = &state.rate_limit {
        let ip = client_ip(
            request.peer_addr().map(|addr| addr.ip()),
            request.headers(),
            &policy.trusted_proxies,
        );
        let key = password_key(ip, &caller);
        if let Some(decision) = policy.acquire("login", &key, policy.per_login).await {
            if !decision.allowed {
                return Err(ApiError::RateLimited(decision));
            }
            request.extensions_mut().insert(StricterQuota(decision));
        }
    }
    state
        .auth
        .change_password(&caller.0, &body.current_password, &body.new_password)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One quota per client address and user, hashed like login's.
fn password_key(ip: Option<std::net::IpAddr>, caller: &SessionUser) -> String {
    let digest = hex::encode(Sha256::digest(caller.0.id.as_uuid().as_bytes()));
    format!(
        "password:{}:{digest}",
        ip.map(|ip| ip.to_string()).unwrap_or_default()
    )
}
