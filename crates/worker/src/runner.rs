//! The claim → run → record loop. Shutdown is cooperative: the runner checks the
//! stop signal only between jobs, so a job that started is finished and recorded
//! before the process exits (a job cut off by a crash instead comes back when its
//! lease expires).

use chrono::Utc;
use domain::jobs::{
    Job, JobFailure, JobHandler, JobKind, JobObserver, JobQueue, Lane, Recorded, RetryPolicy,
};
use domain::DomainError;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// Names this process in `jobs.locked_by`.
    pub worker_id: String,
    /// The kinds this runner's loops claim (docs/jobs.md → Lanes).
    pub lane: Lane,
    /// How long to wait before polling again when no job is due.
    pub poll_interval: Duration,
    /// How long a claimed job stays ours; longer than any job should run.
    pub lease: Duration,
    pub retry: RetryPolicy,
}

pub struct Runner {
    queue: Arc<dyn JobQueue>,
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
    settings: RunnerSettings,
    observer: Option<Arc<dyn JobObserver>>,
}

/// What one turn of the loop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    Idle,
    Completed,
    Retried,
    DeadLettered,
    /// The job ran, but its lease expired and another claim took it before
    /// the outcome was written: nothing was recorded (the other claim's
    /// outcome stands).
    LeaseLost,
}

impl Runner {
    pub fn new(
        queue: Arc<dyn JobQueue>,
        handlers: Vec<Arc<dyn JobHandler>>,
        settings: RunnerSettings,
    ) -> Self {
        let handlers = handlers
            .into_iter()
            .map(|handler| (handler.kind(), handler))
            .collect();
        Self {
            queue,
            handlers,
            settings,
            observer: None,
        }
    }

    /// Reports every job's outcome to `observer` (the worker's metrics).
    pub fn with_observer(mut self, observer: Arc<dyn JobObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    fn observe(&self, kind: JobKind, outcome: &'static str) {
        if let Some(observer) = &self.observer {
            observer.finished(kind, outcome);
        }
    }

    /// Runs until `stop` turns true, finishing the job in hand first.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker.id = %self.settings.worker_id, lane = self.settings.lane.as_str(), "job loop started");
        while !*stop.borrow() {
            match self.run_once().await {
                Ok(Turn::Idle) => {}
                Ok(_) => continue,
                Err(error) => tracing::warn!(error = %error, "job queue unavailable"),
            }
            tokio::select! {
                _ = stop.changed() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
        tracing::info!(worker.id = %self.settings.worker_id, lane = self.settings.lane.as_str(), "job loop stopped");
    }

    /// Claims and runs at most one job.
    ///
    /// # Errors
    /// When the queue itself fails; a failing job is an outcome, not an error.
    pub async fn run_once(&self) -> Result<Turn, DomainError> {
        let worker_id = self.settings.worker_id.as_str();
        let Some(job) = self
            .queue
            .claim(worker_id, self.settings.lane, self.settings.lease)
            .await?
        else {
            return Ok(Turn::Idle);
        };
        let span = tracing::info_span!("job", job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempt);
        // `.instrument`, not `span.enter()`: a guard held across `.await` would
        // leave the span entered on whatever task the executor runs meanwhile.
        self.finish(job).instrument(span).await
    }

    async fn finish(&self, job: Job) -> Result<Turn, DomainError> {
        match self.dispatch(&job).await {
            Ok(()) => {
                if self.queue.complete(job.id, job.lease).await? == Recorded::LeaseLost {
                    return Ok(Turn::LeaseLost);
                }
                self.observe(job.kind, "succeeded");
                tracing::info!("job succeeded");
                Ok(Turn::Completed)
            }
            Err(failure @ JobFailure::Retryable(_))
                if self.settings.retry.should_retry(job.attempt) =>
            {
                let message = failure.causes();
                let delay = self.settings.retry.delay(job.attempt, fastrand::f64());
                let run_at =
                    Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
                let recorded = self
                    .queue
                    .retry(job.id, job.lease, &message, run_at)
                    .await?;
                if recorded == Recorded::LeaseLost {
                    return Ok(Turn::LeaseLost);
                }
                self.observe(job.kind, "retried");
                tracing::warn!(error = %message, retry_in_ms = delay.as_millis() as u64, "job failed, will retry");
                Ok(Turn::Retried)
            }
            Err(failure) => {
                let message = failure.report();
                let recorded = self.queue.dead_letter(job.id, job.lease, &message).await?;
                if recorded == Recorded::LeaseLost {
                    return Ok(Turn::LeaseLost);
                }
                self.observe(job.kind, "dead");
                tracing::error!(error = %message, "job dead-lettered");
                Ok(Turn::DeadLettered)
            }
        }
    }

    async fn dispatch(&self, job: &Job) -> Result<(), JobFailure> {
        match self.handlers.get(&job.kind) {
            Some(handler) => handler.run(job).await,
            None => Err(JobFailure::permanent(format!(
                "no handler for job kind {}",
                job.kind
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ids::JobId;
    use domain::jobs::{LeaseToken, MockJobHandler, MockJobQueue};
    use mockall::predicate::eq;

    fn job(attempt: u32) -> Job {
        Job {
            id: JobId::new(),
            kind: JobKind::TaskReminder,
            payload: serde_json::json!({}),
            attempt,
            lease: LeaseToken(uuid::Uuid::now_v7()),
        }
    }

    fn settings() -> RunnerSettings {
        RunnerSettings {
            worker_id: "w1".into(),
            lane: Lane::Reminders,
            poll_interval: Duration::from_millis(10),
            lease: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }

    fn handler(outcome: Result<(), JobFailure>) -> Arc<dyn JobHandler> {
        let mut handler = MockJobHandler::new();
        handler.expect_kind().return_const(JobKind::TaskReminder);
        handler.expect_run().times(1).return_once(move |_| outcome);
        Arc::new(handler)
    }

    fn queue_with(claimed: Option<Job>) -> MockJobQueue {
        let mut queue = MockJobQueue::new();
        queue
            .expect_claim()
            .with(eq("w1"), eq(Lane::Reminders), eq(Duration::from_secs(30)))
            .times(1)
            .return_once(move |_, _, _| Ok(claimed));
        queue
    }

    #[tokio::test]
    async fn an_empty_queue_is_an_idle_turn() {
        let runner = Runner::new(Arc::new(queue_with(None)), vec![], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::Idle));
    }

    #[tokio::test]
    async fn a_successful_job_is_completed_by_its_lease_holder() {
        let claimed = job(1);
        let mut queue = queue_with(Some(claimed.clone()));
        queue
            .expect_complete()
            .with(eq(claimed.id), eq(claimed.lease))
            .times(1)
            .returning(|_, _| Ok(Recorded::Written));
        let runner = Runner::new(Arc::new(queue), vec![handler(Ok(()))], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::Completed));
    }

    #[tokio::test]
    async fn an_outcome_refused_for_a_stale_lease_is_reported_as_lost_not_counted() {
        let claimed = job(1);
        let mut queue = queue_with(Some(claimed.clone()));
        queue
            .expect_complete()
            .times(1)
            .returning(|_, _| Ok(Recorded::LeaseLost));
        let runner = Runner::new(Arc::new(queue), vec![handler(Ok(()))], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::LeaseLost));
    }

    #[tokio::test]
    async fn a_retryable_failure_is_scheduled_in_the_future() {
        let claimed = job(2);
        let mut queue = queue_with(Some(claimed.clone()));
        let before = Utc::now();
        queue
            .expect_retry()
            .withf(move |id, lease, error, run_at| {
                *id == claimed.id
                    && *lease == claimed.lease
                    && error == "timeout"
                    // Full jitter: anywhere in [now, now + window(2)), and
                    // window(2) is 2 s with the default 1 s base.
                    && *run_at >= before
                    && *run_at <= Utc::now() + chrono::Duration::seconds(2)
            })
            .times(1)
            .returning(|_, _, _, _| Ok(Recorded::Written));
        let failing = handler(Err(JobFailure::retryable("timeout")));
        let runner = Runner::new(Arc::new(queue), vec![failing], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::Retried));
    }

    #[tokio::test]
    async fn the_last_attempt_is_dead_lettered_instead_of_retried() {
        let claimed = job(8);
        let mut queue = queue_with(Some(claimed.clone()));
        queue
            .expect_dead_letter()
            .with(eq(claimed.id), eq(claimed.lease), eq("retryable: timeout"))
            .times(1)
            .returning(|_, _, _| Ok(Recorded::Written));
        let failing = handler(Err(JobFailure::retryable("timeout")));
        let runner = Runner::new(Arc::new(queue), vec![failing], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::DeadLettered));
    }

    #[tokio::test]
    async fn the_configured_attempts_decide_not_a_default() {
        // OPSFLOW_JOB_MAX_ATTEMPTS=2: the second failed try is the last.
        let claimed = job(2);
        let mut queue = queue_with(Some(claimed.clone()));
        queue.expect_retry().never();
        queue
            .expect_dead_letter()
            .times(1)
            .returning(|_, _, _| Ok(Recorded::Written));
        let failing = handler(Err(JobFailure::retryable("timeout")));
        let mut two_attempts = settings();
        two_attempts.retry.max_attempts = 2;
        let runner = Runner::new(Arc::new(queue), vec![failing], two_attempts);
        assert_eq!(runner.run_once().await.ok(), Some(Turn::DeadLettered));
    }

    #[tokio::test]
    async fn a_job_without_a_handler_is_dead_lettered() {
        let claimed = job(1);
        let mut queue = queue_with(Some(claimed.clone()));
        queue
            .expect_dead_letter()
            .withf(|_, _, error| error.contains("no handler"))
            .times(1)
            .returning(|_, _, _| Ok(Recorded::Written));
        let runner = Runner::new(Arc::new(queue), vec![], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::DeadLettered));
    }

    #[tokio::test]
    async fn run_returns_once_stop_is_signalled() {
        let mut queue = MockJobQueue::new();
        queue.expect_claim().returning(|_, _, _| Ok(None));
        let runner = Runner::new(Arc::new(queue), vec![], settings());
        let (stop_tx, stop_rx) = watch::channel(false);
        let running = runner.run(stop_rx);
        let stopper = async {
            let _ = stop_tx.send(true);
        };
        // Completes only because the runner observes the stop signal; the
        // timeout turns a runner that ignores it into a failure, not a hang.
        let stopped = tokio::time::timeout(Duration::from_secs(5), async {
            tokio::join!(running, stopper)
        })
        .await;
        assert!(stopped.is_ok(), "the runner did not stop within 5 s");
    }
}
