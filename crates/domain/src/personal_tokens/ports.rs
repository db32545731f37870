//! Where tokens are kept (PostgreSQL, the record) and where looked-up grants
//! are remembered (Redis, an accelerator).

use super::model::{NewPersonalToken, PersonalToken, TokenGrant, TOUCH_INTERVAL};
use crate::ids::UserId;
use crate::DomainError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;
use uuid::Uuid;

/// The `last_used_at` write a lookup may make: set it to `at` if the token
/// is live at `at` and was last used at or before `unused_since` (or never).
/// The domain picks the instants; storage only compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    pub at: DateTime<Utc>,
    pub unused_since: DateTime<Utc>,
}

impl Touch {
    /// A use at `now`, recorded only when the last recorded use is at least
    /// a minute old (contract: at most once a minute per token).
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            at: now,
            unused_since: now - TOUCH_INTERVAL,
        }
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PersonalTokenRepository: Send + Sync {
    /// Stores it unless its user has `limit` live (unrevoked, unexpired at
    /// `token.created_at`) tokens already (`None`). The count and the insert
    /// are one step under the user's row lock, so two concurrent creations
    /// cannot both take the last place.
    ///
    /// # Errors
    /// `Unauthenticated` when the user no longer exists; `Unavailable`.
    async fn create_within(
        &self,
        token: NewPersonalToken,
        limit: usize,
    ) -> Result<Option<PersonalToken>, DomainError>;

    /// `user`'s live tokens at `now`, newest first.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn list(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<PersonalToken>, DomainError>;

    /// Revokes `user`'s unrevoked token `id` at `now`; the revoked token's
    /// hash (to tell the cache), or `None` when there is no such token.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn revoke(
        &self,
        user: UserId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, DomainError>;

    /// The unrevoked token with `prefix` and `hash`, of a user who still
    /// exists, making `touch` — one indexed statement.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn find(
        &self,
        prefix: &str,
        hash: &[u8],
        touch: Touch,
    ) -> Result<Option<TokenGrant>, DomainError>;
}

/// A remembered lookup: the grant, or that the token was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachedGrant {
    Grant(TokenGrant),
    Revoked,
}

/// Grants by token hash, shared by every replica. Never the record: a miss
/// or an error sends the lookup to storage.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TokenGrantCache: Send + Sync {
    /// # Errors
    /// `Unavailable` when the cache does not answer.
    async fn get(&self, hash: &[u8]) -> Result<Option<CachedGrant>, DomainError>;

    /// Remembers `grant` for `ttl` unless something is remembered for
    /// `hash` already — above all a revocation, which a grant read before
    /// it must not overwrite.
    ///
    /// # Errors
    /// `Unavailable` when the cache does not answer.
    async fn remember(
        &self,
        hash: &[u8],
        grant: TokenGrant,
        ttl: Duration,
    ) -> Result<(), DomainError>;

    /// Remembers that the token is revoked for `ttl`, replacing any grant.
    ///
    /// # Errors
    /// `Unavailable` when the cache does not answer.
    async fn revoked(&self, hash: &[u8], ttl: Duration) -> Result<(), DomainError>;
}
