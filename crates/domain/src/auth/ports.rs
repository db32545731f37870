//! What the identity services need from the outside world.

use crate::auth::{
    AccessClaims, Email, NewRefreshToken, NewUser, Password, PasswordHash, RefreshTokenRecord,
    RotateOutcome, User, UserWithHash,
};
use crate::ids::UserId;
use crate::DomainError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;
use uuid::Uuid;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// # Errors
    /// `Conflict(EmailTaken)` when the email is in use in any letter case.
    async fn create(&self, user: NewUser) -> Result<User, DomainError>;

    /// Case-insensitive lookup.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    /// The account whose normalized email is `email`'s.
    async fn find_by_email(&self, email: &Email) -> Result<Option<UserWithHash>, DomainError>;

    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn find(&self, id: UserId) -> Result<Option<User>, DomainError>;

    /// The user with their password hash.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn find_with_hash(&self, id: UserId) -> Result<Option<UserWithHash>, DomainError>;

    /// Replaces the user's password hash.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn set_password(&self, id: UserId, hash: PasswordHash) -> Result<(), DomainError>;
}

/// Slow, salted password hashing (bcrypt). Implementations run the hashing off
/// the async executor so a login never stalls other requests.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// # Errors
    /// `Internal` when hashing fails.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, DomainError>;

    /// Whether `password` matches `hash`; a malformed hash is simply no match.
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> bool;

    /// A valid hash of nothing anyone knows, made at the configured cost: login
    /// verifies against it when the email is unknown, so an unknown email costs
    /// the same time as a wrong password.
    fn dummy_hash(&self) -> PasswordHash;
}

/// Signs and checks access tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait AccessTokenCodec: Send + Sync {
    /// # Errors
    /// `Internal` when signing fails.
    fn encode(&self, claims: &AccessClaims) -> Result<String, DomainError>;

    /// Checks signature, algorithm and expiry at `now` (Unix seconds).
    ///
    /// # Errors
    /// `Unauthenticated` for anything but a valid, unexpired token.
    fn decode(&self, token: &str, now: i64) -> Result<AccessClaims, DomainError>;
}

/// Random secrets and their digests (refresh tokens).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretMinter: Send + Sync {
    /// A new 256-bit random token, URL-safe encoded.
    fn mint(&self) -> String;

    /// SHA-256 of the token: what the database stores.
    fn digest(&self, token: &str) -> Vec<u8>;

    /// The refresh token a rotation of `presented` issues: derived from it
    /// with a key only the server holds, so a second refresh of `presented`
    /// inside the grace window gets the same successor although only its
    /// hash is stored — and a client holding `presented` cannot compute it
    /// without asking the server (which is what reuse detection watches).
    fn successor(&self, presented: &str) -> String;

    /// `len` random base62 characters (a personal access token's secret).
    fn mint_base62(&self, len: usize) -> String;

    /// HMAC-SHA256 of `token` under a key derived from the server's secret:
    /// what storage keeps of a personal access token. A keyed hash, so a
    /// copy of the table alone cannot even confirm a guessed token.
    fn keyed_digest(&self, token: &str) -> Vec<u8>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RefreshTokenRepository: Send + Sync {
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn insert(&self, record: RefreshTokenRecord) -> Result<(), DomainError>;

    /// In one transaction: finds the token by hash and locks it; if it is live,
    /// marks it consumed (`replaced_by`) and inserts `successor` (same family,
    /// created at `now`); if it was consumed or revoked before, changes
    /// nothing and answers what it was rotated into (`Consumed`). Concurrent
    /// calls with one token serialize on the row lock: exactly one rotates,
    /// the others see it consumed.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn rotate(
        &self,
        presented_hash: Vec<u8>,
        successor: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RotateOutcome, DomainError>;

    /// Revokes every token of `user`'s refresh family `family` (a session: all
    /// tokens descending from one login). A family of another user, or an
    /// unknown one, is left alone: logout is idempotent.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn revoke_family(
        &self,
        user: UserId,
        family: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError>;

    /// `user`'s live sessions at `now` (families with an unreplaced,
    /// unrevoked, unexpired token), the most recently used first.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::auth::Session>, DomainError>;

    /// Revokes every family of `user` but `except`, and answers which
    /// families had a token revoked.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn revoke_all(
        &self,
        user: UserId,
        except: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, DomainError>;

    /// The family of the refresh token with this hash, if it is `user`'s.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn family_of(
        &self,
        user: UserId,
        token_hash: Vec<u8>,
    ) -> Result<Option<Uuid>, DomainError>;
}

/// Sessions whose access tokens are refused before they expire (logout, refresh
/// reuse), by session id: the refresh family every access token names in `sid`.
/// The service calls `revoke` after the revocation is recorded durably (the
/// family's refresh tokens are revoked in the same request); the production
/// implementation is [`super::SessionDenylist`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TokenDenylist: Send + Sync {
    /// Remembers `session` for `ttl`: the access-token lifetime, after which
    /// every access token the session was issued has expired anyway.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn revoke(&self, session: Uuid, ttl: Duration) -> Result<(), DomainError>;

    /// # Errors
    /// `Unavailable` when no storage can answer (the production implementation
    /// falls back from Redis to PostgreSQL first): callers fail closed.
    async fn is_revoked(&self, session: Uuid) -> Result<bool, DomainError>;
}

/// The durable record of revoked sessions (PostgreSQL: a refresh family with a
/// revoked token). Always right; one query per question.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RevokedSessions: Send + Sync {
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn is_revoked(&self, session: Uuid) -> Result<bool, DomainError>;

    /// Every session revoked at or after `since`, with when (to refill a cache
    /// that lost its contents).
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn revoked_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, DomainError>;
}

/// The fast path in front of [`RevokedSessions`] (Redis). It may be
/// unreachable or emptied (a restart without persistence): it says so rather
/// than answer "not revoked" from a list it no longer has.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RevocationCache: Send + Sync {
    /// `Some(answer)` when the cache holds every live revocation; `None` when
    /// it was emptied since it was last filled, so only `true` would be
    /// trustworthy.
    ///
    /// # Errors
    /// `Unavailable` when the cache does not answer.
    async fn lookup(&self, session: Uuid) -> Result<Option<bool>, DomainError>;

    /// Stores each session for its ttl; with `complete`, also marks the cache
    /// as holding every live revocation (after a refill from the record).
    ///
    /// # Errors
    /// `Unavailable` when the cache does not answer.
    async fn remember(
        &self,
        sessions: &[(Uuid, Duration)],
        complete: bool,
    ) -> Result<(), DomainError>;
}

/// The current time, injectable so expiry logic is testable.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
