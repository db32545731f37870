//! Storage of idempotent outcomes.

use crate::DomainError;
use async_trait::async_trait;

/// What a request produced, as it will be replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOutcome {
    pub status: u16,
    pub body: String,
    /// Headers worth replaying (`Location`, `ETag`).
    pub headers: Vec<(String, String)>,
}

/// The answer to "may I run this request?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First time: run it, then `complete` (or `release` on failure).
    Acquired,
    /// Done before with the same request: replay this.
    Replay(StoredOutcome),
    /// The key was used with a different request (422).
    Mismatch,
    /// The same request is running right now (409; retry shortly).
    InFlight,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Atomically claims `(scope, key)` for a request with `fingerprint`, or
    /// reports what happened to it before.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn claim(&self, scope: &str, key: &str, fingerprint: &str) -> Result<Claim, DomainError>;

    /// Stores the outcome for replay (kept 24 h).
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        outcome: &StoredOutcome,
    ) -> Result<(), DomainError>;

    /// Forgets a claim whose request failed without an outcome worth keeping
    /// (a 5xx), so a retry runs it again.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn release(&self, scope: &str, key: &str) -> Result<(), DomainError>;
}
