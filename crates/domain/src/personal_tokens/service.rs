//! Personal access token use cases: create, list, revoke — each the caller's
//! own tokens only — and authenticating a request that presents one.

use super::model::{
    IssuedPersonalToken, NewPersonalToken, PersonalToken, PresentedToken, Scopes, TokenExpiry,
    TokenGrant, TokenName, CACHE_TTL, MAX_TOKENS_PER_USER, SECRET_LEN, TOKEN_PREFIX,
};
use super::ports::{CachedGrant, PersonalTokenRepository, TokenGrantCache, Touch};
use crate::auth::{Clock, SecretMinter};
use crate::ids::UserId;
use crate::{ConflictKind, DomainError};
use chrono::SubsecRound;
use std::sync::Arc;
use uuid::Uuid;

pub struct PersonalTokenService {
    pub tokens: Arc<dyn PersonalTokenRepository>,
    pub cache: Arc<dyn TokenGrantCache>,
    pub minter: Arc<dyn SecretMinter>,
    pub clock: Arc<dyn Clock>,
}

/// The fields of a token to create, as the client sent them.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    pub name: &'a str,
    pub scopes: &'a [String],
    pub expires_in_days: Option<i64>,
}

impl PersonalTokenService {
    /// Creates a token for `caller`; the secret is in the answer only.
    ///
    /// # Errors
    /// `Invalid` (name, scopes, expires_in_days); `Conflict(LimitReached)`
    /// at 50 live tokens.
    pub async fn create(
        &self,
        caller: UserId,
        request: TokenRequest<'_>,
    ) -> Result<IssuedPersonalToken, DomainError> {
        let name = TokenName::parse(request.name)?;
        let scopes = Scopes::parse(request.scopes)?;
        let expiry = TokenExpiry::parse(request.expires_in_days)?;
        let secret = format!("{TOKEN_PREFIX}{}", self.minter.mint_base62(SECRET_LEN));
        let presented = PresentedToken::parse(&secret)
            .ok_or_else(|| DomainError::internal("a minted token has the wrong shape"))?;
        let now = self.clock.now().trunc_subsecs(6);
        let new = NewPersonalToken {
            id: Uuid::now_v7(),
            user: caller,
            name,
            scopes,
            prefix: presented.prefix().to_owned(),
            token_hash: self.minter.keyed_digest(&secret),
            created_at: now,
            expires_at: expiry.after(now),
        };
        let token = self
            .tokens
            .create_within(new, MAX_TOKENS_PER_USER)
            .await?
            .ok_or(DomainError::Conflict(ConflictKind::LimitReached {
                owner: "user",
                what: "personal access tokens",
                limit: MAX_TOKENS_PER_USER,
            }))?;
        Ok(IssuedPersonalToken { token, secret })
    }

    /// The caller's live tokens, newest first.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    pub async fn list(&self, caller: UserId) -> Result<Vec<PersonalToken>, DomainError> {
        self.tokens.list(caller, self.clock.now()).await
    }

    /// Revokes one of the caller's tokens: refused from the next request on,
    /// on every replica — the record first, then the shared cache is told
    /// (a cache that cannot be told keeps a stale grant for at most
    /// `CACHE_TTL`: docs/auth.md).
    ///
    /// # Errors
    /// `NotFound("token")` for a token that is not the caller's, unknown or
    /// revoked already.
    pub async fn revoke(&self, caller: UserId, id: Uuid) -> Result<(), DomainError> {
        let hash = self
            .tokens
            .revoke(caller, id, self.clock.now())
            .await?
            .ok_or(DomainError::NotFound("token"))?;
        // Twice the grants' lifetime: a grant read just before the revocation
        // and remembered just after it finds this in its place.
        let _ = self.cache.revoked(&hash, CACHE_TTL * 2).await;
        Ok(())
    }

    /// The grant of a presented token: the cache's answer when it has one
    /// (no statement), else one statement that also records the use when the
    /// last recorded one is a minute old, remembered for the next request.
    ///
    /// # Errors
    /// `Unauthenticated` for a malformed, unknown, revoked or expired token,
    /// or one whose user is gone; `Unavailable` when neither the cache nor
    /// storage can answer (fail closed).
    pub async fn authenticate(&self, presented: &str) -> Result<TokenGrant, DomainError> {
        let presented = PresentedToken::parse(presented).ok_or(DomainError::Unauthenticated(
            "malformed personal access token",
        ))?;
        let hash = self.minter.keyed_digest(presented.as_str());
        let now = self.clock.now();
        let cached = self.cache.get(&hash).await;
        let grant = match cached {
            Ok(Some(CachedGrant::Grant(grant))) => grant,
            Ok(Some(CachedGrant::Revoked)) => return Err(revoked()),
            Ok(None) | Err(_) => {
                let grant = self
                    .tokens
                    .find(presented.prefix(), &hash, Touch::at(now))
                    .await?
                    .ok_or_else(revoked)?;
                if cached.is_ok() {
                    let _ = self.cache.remember(&hash, grant, CACHE_TTL).await;
                }
                grant
            }
        };
        if !grant.live_at(now) {
            return Err(DomainError::Unauthenticated(
                "this personal access token has expired",
            ));
        }
        Ok(grant)
    }
}

fn revoked() -> DomainError {
    DomainError::Unauthenticated("unknown or revoked personal access token")
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
