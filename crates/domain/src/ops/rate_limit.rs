//! Rate limiting, as a port: a quota per key, shared by every api replica
//! (the implementation keeps the state in Redis; see docs/rate-limiting.md).

use crate::DomainError;
use async_trait::async_trait;
use std::time::Duration;

/// So many requests per minute, all of which may come at once (the burst is
/// the whole minute's allowance), refilled evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub per_minute: u32,
}

/// The answer for one request, with what the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests still allowed right now after this one.
    pub remaining: u32,
    /// Until the key's whole allowance is back.
    pub reset_after: Duration,
    /// When refused: until the next request would be allowed.
    pub retry_after: Duration,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request against `key`'s `quota` and says whether it may go.
    /// Atomic across replicas: two replicas can never both spend the last one.
    ///
    /// # Errors
    /// `Unavailable` when the shared state cannot be reached; callers let the
    /// request through (fail open) and log it.
    async fn acquire(&self, key: &str, quota: Quota) -> Result<RateDecision, DomainError>;
}
