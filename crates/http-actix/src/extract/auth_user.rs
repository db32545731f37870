//! `CurrentUser`: the authenticated caller, from `Authorization: Bearer` (an
//! access JWT or a personal access token) or the `access_token` cookie.
//! Verification is the domain's (`AuthService::authenticate`,
//! `PersonalTokenService::authenticate`); this finds the token, applies the
//! cookie-origin rule and — the one place it is checked — a personal access
//! token's scope against the request's method. `SessionUser` is the caller
//! of the routes a token must never reach (sign-out, sessions, password,
//! creating tokens).

use crate::problem::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::HttpMessage;
use actix_web::{web, FromRequest, HttpRequest};
use domain::auth::{AccessClaims, AuthenticatedUser};
use domain::personal_tokens::{PresentedToken, TokenGrant};
use domain::DomainError;
use futures_util::future::LocalBoxFuture;

pub const ACCESS_COOKIE: &str = "access_token";

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An access JWT of a session (a login).
    Session(AuthenticatedUser),
    /// A personal access token.
    Token(TokenGrant),
}

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub credential: Credential,
}

impl CurrentUser {
    pub fn id(&self) -> domain::ids::UserId {
        match &self.credential {
            Credential::Session(user) => user.id,
            Credential::Token(grant) => grant.user,
        }
    }
}

/// The caller of a route that needs a session: a personal access token is
/// refused (`403`) — a token must not end sessions, change the password or
/// mint more tokens.
#[derive(Debug, Clone)]
pub struct SessionUser(pub AuthenticatedUser);

enum Source {
    Header,
    Cookie,
}

fn find_token(request: &HttpRequest) -> Result<(String, Source), ApiError> {
    if let Some(value) = request.headers().get(header::AUTHORIZATION) {
        // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` works too.
        let value = value.to_str().unwrap_or_default().trim();
        return match value.split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Ok((token.trim().to_owned(), Source::Header))
            }
            _ => Err(DomainError::Unauthenticated("Authorization must be 'Bearer <token>'").into()),
        };
    }
    match request.cookie(ACCESS_COOKIE) {
        Some(cookie) if !cookie.value().is_empty() => {
            Ok((cookie.value().to_owned(), Source::Cookie))
        }
        _ => Err(DomainError::Unauthenticated("authentication required").into()),
    }
}

/// The access token the request presents, if any (the rate limiter uses it
/// to account a request to its user).
pub(crate) fn presented_token(request: &HttpRequest) -> Option<String> {
    find_token(request).ok().map(|(token, _)| token)
}

/// A token a middleware already verified (signature, expiry), kept in the
/// request's extensions so the extractor does not decode it again.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedToken {
    pub token: String,
    pub claims: AccessClaims,
}

/// A personal access token a middleware already authenticated, kept for the
/// extractor (one lookup per request).
#[derive(Debug, Clone)]
pub(crate) struct GrantedToken {
    pub token: String,
    pub grant: TokenGrant,
}

/// Browsers attach cookies to cross-site requests; SameSite=Strict stops that in
/// current browsers, and this check stops it in the rest: a cookie-authenticated
/// write whose `Origin` is present and not ours is refused.
pub(crate) fn check_origin(request: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    match origin {
        Some(origin) if unsafe_method && !state.allowed_origins.iter().any(|a| a == origin) => {
            Err(DomainError::Forbidden(
                "cookie-authenticated requests from this origin are not allowed",
            )
            .into())
        }
        _ => Ok(()),
    }
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let found = find_token(request).and_then(|(token, source)| {
            let state = state
                .clone()
                .ok_or_else(|| ApiError::from(DomainError::internal("AppState missing")))?;
            if matches!(source, Source::Cookie) {
                check_origin(request, &state)?;
            }
            Ok((token, state))
        });
        let verified = request.extensions().get::<VerifiedToken>().cloned();
        let granted = request.extensions().get::<GrantedToken>().cloned();
        let safe = matches!(*request.method(), Method::GET | Method::HEAD);
        Box::pin(async move {
            let (token, state) = found?;
            if PresentedToken::claims_to_be(&token) {
                let grant = match granted {
                    Some(granted) if granted.token == token => granted.grant,
                    _ => state.tokens.authenticate(&token).await?,
                };
                grant.permits(safe)?;
                return Ok(CurrentUser {
                    credential: Credential::Token(grant),
                });
            }
            let user = match verified {
                Some(verified) if verified.token == token => {
                    state.auth.authenticate_verified(verified.claims).await?
                }
                _ => state.auth.authenticate(&token).await?,
            };
            Ok(CurrentUser {
                credential: Credential::Session(user),
            })
        })
    }
}

impl FromRequest for SessionUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = CurrentUser::from_request(request, payload);
        Box::pin(async move {
            match caller.await?.credential {
                Credential::Session(user) => Ok(SessionUser(user)),
                Credential::Token(_) => Err(DomainError::Forbidden(
                    "a personal access token cannot be used here: sign in",
                )
                .into()),
            }
        })
    }
}
