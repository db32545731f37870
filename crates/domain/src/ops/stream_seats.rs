//! Seats for live event streams, as a port: how many streams one user holds
//! across every api replica, for the contract's per-user cap
//! (`OPSFLOW_EVENTS_MAX_STREAMS_PER_USER`). The implementation keeps the
//! counts in Redis (docs/events.md → The per-user cap across replicas):
//! like the rate limiter, a shared limit that fails open to each process's
//! own count when Redis is away.
//!
//! Each api process (a *replica*, named by an id of its own) keeps its own
//! count per user in the shared state and says it is alive by a heartbeat;
//! the streams of a replica whose heartbeat has lapsed (it died) stop
//! counting, so its users can reconnect elsewhere at once.

use crate::ids::UserId;
use crate::DomainError;
use async_trait::async_trait;
use std::time::Duration;
use uuid::Uuid;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StreamSeats: Send + Sync {
    /// Counts one more stream of `user` on `replica`, unless the user's
    /// streams on live replicas number `cap` already; atomic across
    /// replicas (two can never both take the last seat). `replica` is alive
    /// for `alive` from now.
    ///
    /// # Errors
    /// `Unavailable` when the shared state cannot be reached; callers admit
    /// the stream on their own process's count (fail open) and log it.
    async fn take(
        &self,
        user: UserId,
        replica: Uuid,
        cap: usize,
        alive: Duration,
    ) -> Result<bool, DomainError>;

    /// Counts one stream of `user` on `replica` fewer.
    ///
    /// # Errors
    /// `Unavailable` when the shared state cannot be reached (the next
    /// heartbeat sets the count right).
    async fn release(&self, user: UserId, replica: Uuid) -> Result<(), DomainError>;

    /// Says `replica` is alive for `alive` from now, and sets its count of
    /// each user's streams to the exact number in `counts` (zero: none).
    ///
    /// # Errors
    /// `Unavailable` when the shared state cannot be reached.
    async fn heartbeat(
        &self,
        replica: Uuid,
        counts: &[(UserId, usize)],
        alive: Duration,
    ) -> Result<(), DomainError>;
}
