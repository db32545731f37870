//! The queue the worker drives and the handlers it dispatches to.

use super::model::{Finished, Job, JobFailure, JobKind, Lane, LeaseToken, Outcome, Recorded};
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
    /// Claims up to `limit` of the oldest due jobs of `lane` that no other
    /// worker holds, in one statement, leasing each for `lease` under its
    /// own fresh token. For deliveries, only jobs whose receiver host and
    /// team are within their in-flight bounds; an adapter may claim fewer
    /// than `limit` (PostgreSQL claims deliveries one at a time, since the
    /// bounds are counted per claim).
    ///
    /// # Errors
    /// `DomainError::Unavailable` when storage does not answer.
    async fn claim_batch(
        &self,
        worker_id: &str,
        lane: Lane,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>, DomainError>;

    /// Writes the outcomes of a batch in one statement; answer `i` is for
    /// `finished[i]`. Only an outcome presenting the job's current lease
    /// token counts; any other records nothing and answers `LeaseLost`.
    ///
    /// # Errors
    /// `DomainError::Unavailable` when storage does not answer.
    async fn record(&self, finished: &[Finished]) -> Result<Vec<Recorded>, DomainError>;

    /// Claims at most one job (`claim_batch` with a limit of one).
    ///
    /// # Errors
    /// As `claim_batch`.
    async fn claim(
        &self,
        worker_id: &str,
        lane: Lane,
        lease: Duration,
    ) -> Result<Option<Job>, DomainError> {
        let claimed = self.claim_batch(worker_id, lane, lease, 1).await?;
        Ok(claimed.into_iter().next())
    }

    /// Marks one job done (`record` of one outcome).
    ///
    /// # Errors
    /// As `record`.
    async fn complete(&self, id: JobId, lease: LeaseToken) -> Result<Recorded, DomainError> {
        let outcome = Outcome::Succeeded;
        first(self.record(&[Finished { id, lease, outcome }]).await?)
    }

    /// Puts one failed job back to run again at `run_at` (fenced like
    /// `complete`).
    ///
    /// # Errors
    /// As `record`.
    async fn retry(
        &self,
        id: JobId,
        lease: LeaseToken,
        error: &str,
        run_at: DateTime<Utc>,
    ) -> Result<Recorded, DomainError> {
        let outcome = Outcome::Retry {
            error: error.to_owned(),
            run_at,
        };
        first(self.record(&[Finished { id, lease, outcome }]).await?)
    }

    /// Gives up on one job: it stays stored as `dead` for an operator to
    /// inspect (fenced like `complete`).
    ///
    /// # Errors
    /// As `record`.
    async fn dead_letter(
        &self,
        id: JobId,
        lease: LeaseToken,
        error: &str,
    ) -> Result<Recorded, DomainError> {
        let outcome = Outcome::Dead {
            error: error.to_owned(),
        };
        first(self.record(&[Finished { id, lease, outcome }]).await?)
    }
}

/// The answer for a batch of one.
fn first(recorded: Vec<Recorded>) -> Result<Recorded, DomainError> {
    recorded
        .first()
        .copied()
        .ok_or_else(|| DomainError::internal("the queue answered no outcome for a batch of one"))
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

/// Runs a whole claimed batch of one kind at once (the reminder handler: one
/// read, one insert of notifications, one of deliveries per batch, instead
/// of a transaction per job). Handlers must be idempotent, as for
/// `JobHandler`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BatchJobHandler: Send + Sync {
    fn kind(&self) -> JobKind;

    /// Answer `i` is for `jobs[i]`.
    async fn run_batch(&self, jobs: &[Job]) -> Vec<Result<(), JobFailure>>;
}

#[cfg(test)]
mod tests {
    //! The one-job methods are the batch ones with a batch of one: a fake
    //! queue that implements only `claim_batch` and `record` shows what they
    //! ask for and what they answer.
    use super::*;
    use futures_executor::block_on;
    use std::sync::Mutex;

    #[derive(Default)]
    struct BatchOnly {
        limits: Mutex<Vec<usize>>,
        recorded: Mutex<Vec<Finished>>,
        claimable: Vec<Job>,
        answers: Vec<Recorded>,
    }

    #[async_trait]
    impl JobQueue for BatchOnly {
        async fn claim_batch(
            &self,
            _worker_id: &str,
            _lane: Lane,
            _lease: Duration,
            limit: usize,
        ) -> Result<Vec<Job>, DomainError> {
            self.limits
                .lock()
                .map_err(|_| DomainError::internal("poisoned"))?
                .push(limit);
            Ok(self.claimable.iter().take(limit).cloned().collect())
        }

        async fn record(&self, finished: &[Finished]) -> Result<Vec<Recorded>, DomainError> {
            let mut recorded = self
                .recorded
                .lock()
                .map_err(|_| DomainError::internal("poisoned"))?;
            recorded.extend_from_slice(finished);
            Ok(self.answers.clone())
        }
    }

    fn job() -> Job {
        Job {
            id: JobId::new(),
            kind: JobKind::TaskReminder,
            payload: serde_json::json!({}),
            attempt: 1,
            lease: LeaseToken(uuid::Uuid::now_v7()),
        }
    }

    fn recorded(queue: &BatchOnly) -> Vec<Finished> {
        queue.recorded.lock().map(|r| r.clone()).unwrap_or_default()
    }

    #[test]
    fn claim_asks_for_a_batch_of_one_and_hands_out_its_job() {
        let (first, second) = (job(), job());
        let queue = BatchOnly {
            claimable: vec![first.clone(), second],
            ..BatchOnly::default()
        };
        let claimed = block_on(queue.claim("w", Lane::Reminders, Duration::from_secs(1)));
        assert_eq!(claimed.ok().flatten(), Some(first));
        assert_eq!(
            queue.limits.lock().map(|l| l.clone()).unwrap_or_default(),
            vec![1]
        );
        let empty = BatchOnly::default();
        let none = block_on(empty.claim("w", Lane::Reminders, Duration::from_secs(1)));
        assert_eq!(none.ok(), Some(None));
    }

    #[test]
    fn one_outcome_is_recorded_as_a_batch_of_one_and_answers_its_own_answer() {
        let claimed = job();
        let (id, lease) = (claimed.id, claimed.lease);
        let run_at = chrono::Utc::now();
        let queue = BatchOnly {
            answers: vec![Recorded::LeaseLost],
            ..BatchOnly::default()
        };
        assert_eq!(
            block_on(queue.complete(id, lease)).ok(),
            Some(Recorded::LeaseLost)
        );
        assert_eq!(
            block_on(queue.retry(id, lease, "busy", run_at)).ok(),
            Some(Recorded::LeaseLost)
        );
        assert_eq!(
            block_on(queue.dead_letter(id, lease, "gone")).ok(),
            Some(Recorded::LeaseLost)
        );
        let retry = Outcome::Retry {
            error: "busy".into(),
            run_at,
        };
        let dead = Outcome::Dead {
            error: "gone".into(),
        };
        let expected: Vec<Finished> = [Outcome::Succeeded, retry, dead]
            .into_iter()
            .map(|outcome| Finished { id, lease, outcome })
            .collect();
        assert_eq!(recorded(&queue), expected);
    }

    #[test]
    fn a_queue_that_answers_nothing_for_one_outcome_is_an_error_not_a_guess() {
        let claimed = job();
        let queue = BatchOnly::default();
        assert!(block_on(queue.complete(claimed.id, claimed.lease)).is_err());
    }
}
