//! Personal access tokens (contract → Personal access tokens): long-lived
//! credentials a user creates for scripts, each acting as the user within its
//! scopes. Only a keyed hash of a token is stored; a request presenting one
//! is authenticated by `PersonalTokenService::authenticate` (cache first,
//! then one indexed statement), and its scope is checked in one place, the
//! transport's caller extractor, with `TokenGrant::permits`.

mod model;
mod ports;
mod service;

pub use model::{
    IssuedPersonalToken, NewPersonalToken, PersonalToken, PresentedToken, Scopes, TokenExpiry,
    TokenGrant, TokenName, CACHE_TTL, MAX_TOKENS_PER_USER, SECRET_LEN, TOKEN_PREFIX,
    TOUCH_INTERVAL,
};
pub use ports::{CachedGrant, PersonalTokenRepository, TokenGrantCache, Touch};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockPersonalTokenRepository, MockTokenGrantCache};
pub use service::{PersonalTokenService, TokenRequest};
