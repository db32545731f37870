//! Storage of idempotent outcomes, keyed by an opaque scope (the caller) and key.

use crate::DomainError;
use async_trait::async_trait;

/// A response to keep for replay, opaque here: the transport encodes it and
/// decodes it again; storage keeps the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptResponse(pub Vec<u8>);

/// The answer to "may I run this request?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First time: run it, then `complete` (or `release` on failure).
    Acquired,
    /// Done before with the same request: replay this.
    Replay(KeptResponse),
    /// The key was used with a different request.
    Mismatch,
    /// The same request is running right now (retry shortly).
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
        outcome: &KeptResponse,
    ) -> Result<(), DomainError>;

    /// Forgets a claim whose request failed without an outcome worth keeping
    /// (a 5xx), so a retry runs it again.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn release(&self, scope: &str, key: &str) -> Result<(), DomainError>;
}
