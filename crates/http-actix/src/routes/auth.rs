//! Auth endpoints: register, login, refresh, logout, and the caller's profile.

use crate::client_ip::client_ip;
use crate::envelope::Data;
use crate::extract::{check_origin, decode_object, CurrentUser, Json, OptionalBody, SessionUser};
use crate::middleware::rate_limit::StricterQuota;
use crate::problem::{ApiError, Problem};
use crate::routes::dto::UserBody;
use crate::state::{AppState, CookieSettings};
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::{get, post, web, HttpMessage, HttpRequest, HttpResponse};
use domain::auth::{IssuedTokens, Registration, SessionClient};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub const REFRESH_COOKIE: &str = "refresh_token";
const ACCESS_COOKIE_PATH: &str = "/";
const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery staple", "name": "Ada Lovelace"}))]
pub struct RegisterBody {
    pub email: String,
    pub password: String,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery staple"}))]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "rt_2q9Xb7vKp4LmN8sT1wYc6Rz3"}))]
pub struct RefreshBody {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTliMGU0YyJ9.sig", "token_type": "Bearer", "expires_in": 900, "user": {"id": "019b0e4c-7a10-7cc2-9a51-3f0e2d1c4b5a", "email": "ada@example.com", "name": "Ada Lovelace", "created_at": "2026-12-03T09:30:00Z"}}))]
pub struct TokenBody {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: UserBody,
}

fn cookie(
    name: &'static str,
    value: String,
    path: &'static str,
    max_age: time::Duration,
    settings: CookieSettings,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(settings.secure)
        .path(path)
        .max_age(max_age)
        .finish()
}

fn seconds(duration: std::time::Duration) -> time::Duration {
    time::Duration::seconds(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
}

/// The login/refresh response: the access token in the body (for API clients)
/// and both tokens as HTTP-only cookies (for browsers: scripts cannot read them).
fn token_response(tokens: IssuedTokens, settings: CookieSettings) -> HttpResponse {
    let access_cookie = cookie(
        "access_token",
        tokens.access_token.clone(),
        ACCESS_COOKIE_PATH,
        seconds(tokens.access_expires_in),
        settings,
    );
    let refresh_cookie = cookie(
        REFRESH_COOKIE,
        tokens.refresh_token.0.clone(),
        REFRESH_COOKIE_PATH,
        seconds(tokens.refresh_expires_in),
        settings,
    );
    HttpResponse::Ok()
        .cookie(access_cookie)
        .cookie(refresh_cookie)
        .insert_header(("Cache-Control", "no-store"))
        .json(Data::new(TokenBody {
            access_token: tokens.access_token,
            token_type: "Bearer",
            expires_in: tokens.access_expires_in.as_secs(),
            user: tokens.user.into(),
        }))
}

/// Cookies that make the browser forget both tokens.
pub(crate) fn cleared_cookies(settings: CookieSettings) -> [Cookie<'static>; 2] {
    [
        cookie(
            "access_token",
            String::new(),
            ACCESS_COOKIE_PATH,
            time::Duration::ZERO,
            settings,
        ),
        cookie(
            REFRESH_COOKIE,
            String::new(),
            REFRESH_COOKIE_PATH,
            time::Duration::ZERO,
            settings,
        ),
    ]
}

/// The refresh token from the JSON body if one was sent, else from the cookie.
/// A cookie is sent by the browser on its own, so a cookie-borne token obeys
/// the same Origin rule as every cookie-authenticated write (CSRF).
fn presented_refresh_token(
    state: &AppState,
    request: &HttpRequest,
    body: &OptionalBody,
) -> Result<Option<String>, ApiError> {
    let body = &body.0;
    // The body is optional: no bytes, or a JSON `null`, means "use the cookie".
    let absent = body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null";
    if !absent {
        let parsed: RefreshBody = decode_object(body)?;
        return Ok(Some(parsed.refresh_token));
    }
    let cookie = request
        .cookie(REFRESH_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty());
    if cookie.is_some() {
        check_origin(request, state)?;
    }
    Ok(cookie)
}

/// Create an account.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterBody,
    responses(
        (status = 201, body = inline(Data<UserBody>)),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "email_taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    body: Json<RegisterBody>,
) -> Result<HttpResponse, ApiError> {
    let user = state
        .auth
        .register(Registration::parse(
            &body.email,
            &body.password,
            &body.name,
        )?)
        .await?;
    Ok(HttpResponse::Created().json(Data::new(UserBody::from(user))))
}

/// Exchange email and password for tokens. Wrong email and wrong password are
/// indistinguishable (same 401, same time).
#[utoipa::path(
    tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, body = inline(Data<TokenBody>), description = "Also sets the access_token and refresh_token cookies"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    // Before the password is even looked at: guessing is what this limits.
    let trusted = state
        .rate_limit
        .as_ref()
        .map_or(&[][..], |policy| &policy.trusted_proxies[..]);
    let ip = client_ip(
        request.peer_addr().map(|addr| addr.ip()),
        request.headers(),
        trusted,
    );
    let decision = match &state.rate_limit {
        Some(policy) => {
            let key = login_key(ip, &body.email);
            policy.acquire("login", &key, policy.per_login).await
        }
        None => None,
    };
    if let Some(decision) = decision {
        if !decision.allowed {
            return Err(ApiError::RateLimited(decision));
        }
        // The stricter of the two quotas this request counted against: the
        // rate-limit middleware reports it on every answer, a 401 included.
        request.extensions_mut().insert(StricterQuota(decision));
    }
    // Any bytes a client sent, readable: the domain drops what is not.
    let user_agent = request
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let client = SessionClient::new(user_agent.as_deref(), ip);
    let tokens = state
        .auth
        .login(&body.email, &body.password, client)
        .await?;
    Ok(token_response(tokens, state.cookies))
}

/// One login quota per client address and email (normalized as login itself
/// compares it: every spelling of one address shares a quota), hashed: the
/// key has a fixed size whatever was sent.
fn login_key(ip: Option<std::net::IpAddr>, email: &str) -> String {
    let email = email.trim();
    let identity = domain::auth::normalize_email(email).unwrap_or_else(|_| email.to_lowercase());
    let digest = Sha256::digest(identity.as_bytes());
    let hex = hex::encode(digest);
    format!(
        "login:{}:{hex}",
        ip.map(|ip| ip.to_string()).unwrap_or_default()
    )
}

/// Rotate a refresh token (cookie, or `{refresh_token}` in the body) into a new
/// pair. A token presented twice revokes its whole family.
#[utoipa::path(
    tag = "auth",
    request_body(content = Option<RefreshBody>, description = "Optional when the refresh_token cookie is sent"),
    responses(
        (status = 200, body = inline(Data<TokenBody>)),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: OptionalBody,
) -> Result<HttpResponse, ApiError> {
    let presented = presented_refresh_token(&state, &request, &body)?.ok_or(
        domain::DomainError::Unauthenticated("no refresh token presented"),
    )?;
    let tokens = state.auth.refresh(&presented).await?;
    Ok(token_response(tokens, state.cookies))
}

/// End the session: revokes the refresh-token family and the current access
/// token, and clears both cookies.
#[utoipa::path(
    tag = "auth",
    request_body(content = Option<RefreshBody>, description = "Optional: the refresh token when it is not sent as a cookie"),
    responses(
        (status = 204),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    caller: SessionUser,
    request: HttpRequest,
    body: OptionalBody,
) -> Result<HttpResponse, ApiError> {
    let presented = presented_refresh_token(&state, &request, &body)?;
    state.auth.logout(&caller.0, presented.as_deref()).await?;
    let mut response = HttpResponse::NoContent();
    for cleared in cleared_cookies(state.cookies) {
        response.cookie(cleared);
    }
    Ok(response.finish())
}

/// The caller's own profile.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, body = inline(Data<UserBody>)),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/users/me")]
pub async fn me(state: web::Data<AppState>, caller: CurrentUser) -> Result<HttpResponse, ApiError> {
    let user = state.auth.me(caller.id()).await?;
    Ok(HttpResponse::Ok().json(Data::new(UserBody::from(user))))
}
