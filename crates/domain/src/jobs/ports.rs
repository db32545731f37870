//! The queue the worker drives and the handlers it dispatches to.

use super::model::{Job, JobFailure, JobKind, Lane, LeaseToken, Recorded};
use crate::ids::JobId;
use crate::DomainError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Durable job storage with leases: a claimed job belongs to one worker until its
/// lease runs out, so a crashed worker's job is picked up again by another.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Claims the oldest due job of `lane` that no other worker holds (and,
    /// for deliveries, whose host and team are within their in-flight
    /// bounds), leasing it for `lease`.
    ///
    /// # Errors
    /// `DomainError::Unavailable` when storage does not answer.
    async fn claim(
        &self,
        worker_id: &str,
        lane: Lane,
        lease: Duration,
    ) -> Result<Option<Job>, DomainError>;

    /// Marks a job done. Only the call presenting the job's current lease
    /// token counts; any other records nothing and answers `LeaseLost`.
    ///
    /// # Errors
    /// `DomainError::Unavailable` when storage does not answer.
    async fn complete(&self, id: JobId, lease: LeaseToken) -> Result<Recorded, DomainError>;

    /// Puts a failed job back to run again at `run_at` (fenced like `complete`).
    ///
    /// # Errors
    /// `DomainError::Unavailable` when storage does not answer.
    async fn retry(
        &self,
        id: JobId,
        lease: LeaseToken,
        error: &str,
        run_at: DateTime<Utc>,
    ) -> Result<Recorded, DomainError>;

    /// Gives up on a job: it stays stored as `dead` for an operator to inspect
    /// (fenced like `complete`).
    ///
    /// # Errors
    /// `DomainError::Unavailable` when storage does not answer.
    async fn dead_letter(
        &self,
        id: JobId,
        lease: LeaseToken,
        error: &str,
    ) -> Result<Recorded, DomainError>;
}

/// Hears how each job ended (the worker's metrics).
pub trait JobObserver: Send + Sync {
    /// `outcome`: `succeeded`, `retried` or `dead`.
    fn finished(&self, kind: JobKind, outcome: &'static str);
}

/// Runs one kind of job. Handlers must be idempotent: a job whose worker died
/// after the work but before `complete` runs again.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobHandler: Send + Sync {
    fn kind(&self) -> JobKind;

    /// # Errors
    /// `JobFailure::Retryable` to try again later, `JobFailure::Permanent` to
    /// dead-letter now.
    async fn run(&self, job: &Job) -> Result<(), JobFailure>;
}
