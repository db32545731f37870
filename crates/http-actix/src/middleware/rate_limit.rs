//! Rate limiting of `/api/v1`: per user when the request carries a valid
//! access token, per token when it carries a valid personal access token
//! (a script's loop must not spend its owner's interactive quota), else per
//! client address; the anonymous endpoints (register,
//! login, refresh) always per client address, whatever token they carry (a
//! valid token must not buy a second quota for guessing passwords); login has
//! its own, stricter quota per address and email (in the login handler, which
//! knows the email), and every login answer reports that one. The
//! counting is the `RateLimiter` port's (Redis, shared by every replica).
//! `/health`, `/ready`, `/metrics`, the docs and the OpenAPI document are
//! never limited: probes and scrapers must not be refused.
//!
//! Redis unavailable: the request goes through (fail open, logged); limits
//! protect capacity, and refusing everyone because the counter is down would
//! be the outage they exist to prevent.

use crate::client_ip::client_ip;
use crate::extract::{presented_token, GrantedToken, VerifiedToken};
use crate::problem::ApiError;
use crate::rate_limit_headers::{add_headers, LIMIT};
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse};
use domain::ops::RateDecision;
use domain::personal_tokens::PresentedToken;

fn is_limited(path: &str) -> bool {
    path.starts_with("/api/v1/") && path != "/api/v1/openapi.json"
}

/// Endpoints used without being signed in: counted per address only.
fn is_anonymous(path: &str) -> bool {
    matches!(
        path,
        "/api/v1/auth/register" | "/api/v1/auth/login" | "/api/v1/auth/refresh"
    )
}

/// A stricter quota a handler counted the request against (login's per
/// address and email). The middleware reports it in the `RateLimit-*`
/// headers instead of its own, on success and failure alike.
#[derive(Debug, Clone, Copy)]
pub struct StricterQuota(pub RateDecision);

pub async fn rate_limit(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let policy = state
        .as_ref()
        .and_then(|state| state.rate_limit.clone())
        .filter(|_| is_limited(request.path()));
    let (Some(policy), Some(state)) = (policy, state) else {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    // Verified once here and kept for the `CurrentUser` extractor. An
    // anonymous endpoint ignores any token for counting.
    let anonymous = is_anonymous(request.path());
    let presented = presented_token(request.request()).filter(|_| !anonymous);
    let account = match presented {
        Some(token) if PresentedToken::claims_to_be(&token) => {
            // Authenticated here (cache first) and kept for the extractor.
            let grant = state.tokens.authenticate(&token).await.ok();
            grant.map(|grant| {
                let key = format!("token:{}", grant.token);
                request
                    .extensions_mut()
                    .insert(GrantedToken { token, grant });
                key
            })
        }
        Some(token) => state.auth.verify(&token).ok().map(|claims| {
            let key = format!("user:{}", claims.sub);
            request
                .extensions_mut()
                .insert(VerifiedToken { token, claims });
            key
        }),
        None => None,
    };
    let decision = match account {
        Some(key) => policy.acquire("user", &key, policy.per_user).await,
        None => {
            let ip = client_ip(
                request.peer_addr().map(|addr| addr.ip()),
                request.headers(),
                &policy.trusted_proxies,
            );
            let ip = ip.map(|ip| ip.to_string()).unwrap_or_default();
            policy
                .acquire("ip", &format!("ip:{ip}"), policy.per_ip)
                .await
        }
    };
    match decision {
        Some(decision) if !decision.allowed => {
            // `from_error` keeps the error on the response, so the outermost
            // middleware renders it as every other problem (request id included).
            let response = HttpResponse::from_error(ApiError::RateLimited(decision));
            let (request, _) = request.into_parts();
            Ok(ServiceResponse::new(request, response))
        }
        Some(decision) => {
            let mut response = next.call(request).await?.map_into_boxed_body();
            let stricter = response
                .request()
                .extensions()
                .get::<StricterQuota>()
                .map(|quota| quota.0);
            // A 429 from a handler's own quota already carries its headers.
            if !response.headers().contains_key(LIMIT) {
                add_headers(response.headers_mut(), &stricter.unwrap_or(decision));
            }
            Ok(response)
        }
        None => next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body),
    }
}
