//! The claim → run → record loop, a batch at a time: one statement claims up
//! to `batch_size` due jobs, the handlers run them (a batch handler in one
//! transaction, others concurrently), one statement records every outcome.
//! Shutdown is cooperative: the runner checks the stop signal only between
//! batches, so a batch that started is finished and recorded before the
//! process exits (a batch cut off by a crash instead comes back when its
//! leases expire).

use chrono::Utc;
use domain::jobs::{
    BatchJobHandler, Finished, Job, JobFailure, JobHandler, JobKind, JobObserver, JobQueue, Lane,
    Outcome, Recorded, RetryPolicy,
};
use domain::DomainError;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tracing::Instrument;

#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// Names this process in `jobs.locked_by`.
    pub worker_id: String,
    /// The kinds this runner's loops claim (docs/jobs.md → Lanes).
    pub lane: Lane,
    /// How long to wait before polling again when no job is due and no
    /// wake-up came (the fallback to NOTIFY).
    pub poll_interval: Duration,
    /// How long a claimed job stays ours; longer than any batch should run.
    pub lease: Duration,
    pub retry: RetryPolicy,
    /// Most jobs one claim takes (`OPSFLOW_WORKER_BATCH`).
    pub batch_size: usize,
}

/// How a runner runs one kind of job.
#[derive(Clone)]
enum Handler {
    One(Arc<dyn JobHandler>),
    Batch(Arc<dyn BatchJobHandler>),
}

pub struct Runner {
    queue: Arc<dyn JobQueue>,
    handlers: HashMap<JobKind, Handler>,
    settings: RunnerSettings,
    observer: Option<Arc<dyn JobObserver>>,
    wake: Option<Arc<Notify>>,
}

/// What became of one claimed job.
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
            .map(|handler| (handler.kind(), Handler::One(handler)))
            .collect();
        Self {
            queue,
            handlers,
            settings,
            observer: None,
            wake: None,
        }
    }

    /// Runs `handler`'s kind a whole batch at a time (replaces a one-job
    /// handler of the same kind).
    pub fn with_batch_handler(mut self, handler: Arc<dyn BatchJobHandler>) -> Self {
        self.handlers
            .insert(handler.kind(), Handler::Batch(handler));
        self
    }

    /// Reports every job's outcome to `observer` (the worker's metrics).
    pub fn with_observer(mut self, observer: Arc<dyn JobObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Ends an idle wait early when `wake` is notified (the process's
    /// LISTEN connection heard a job enqueued for this lane).
    pub fn with_wake(mut self, wake: Arc<Notify>) -> Self {
        self.wake = Some(wake);
        self
    }

    fn observe(&self, kind: JobKind, outcome: &'static str) {
        if let Some(observer) = &self.observer {
            observer.finished(kind, outcome);
        }
    }

    /// Runs until `stop` turns true, finishing the batch in hand first.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker.id = %self.settings.worker_id, lane = self.settings.lane.as_str(), "job loop started");
        let never = Arc::new(Notify::new());
        let wake = self.wake.as_ref().unwrap_or(&never);
        while !*stop.borrow() {
            // Registered before the claim: a wake-up that lands while the
            // claim runs is not lost (`Notify` keeps one permit).
            let woken = wake.notified();
            match self.run_batch().await {
                Ok(turns) if !turns.is_empty() => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(error = %error, "job queue unavailable"),
            }
            tokio::select! {
                _ = stop.changed() => {}
                () = woken => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
        tracing::info!(worker.id = %self.settings.worker_id, lane = self.settings.lane.as_str(), "job loop stopped");
    }

    /// Claims and runs one job at most: the first turn of a batch (tests
    /// and tools run their runners with a batch size of one).
    ///
    /// # Errors
    /// When the queue itself fails; a failing job is an outcome, not an error.
    pub async fn run_once(&self) -> Result<Turn, DomainError> {
        Ok(self
            .run_batch()
            .await?
            .first()
            .copied()
            .unwrap_or(Turn::Idle))
    }

    /// Claims up to `batch_size` jobs, runs them and records every outcome
    /// in one write; what became of each (empty when none was due).
    ///
    /// # Errors
    /// When the queue itself fails; a failing job is an outcome, not an error.
    pub async fn run_batch(&self) -> Result<Vec<Turn>, DomainError> {
        let settings = &self.settings;
        let limit = settings.batch_size.max(1);
        let jobs = self
            .queue
            .claim_batch(&settings.worker_id, settings.lane, settings.lease, limit)
            .await?;
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let span = tracing::info_span!("jobs", lane = settings.lane.as_str(), jobs = jobs.len());
        // `.instrument`, not `span.enter()`: a guard held across `.await` would
        // leave the span entered on whatever task the executor runs meanwhile.
        let results = self.dispatch(&jobs).instrument(span).await;
        let finished: Vec<Finished> = jobs
            .iter()
            .zip(results)
            .map(|(job, result)| self.decide(job, result))
            .collect();
        let recorded = self.queue.record(&finished).await?;
        Ok(jobs
            .iter()
            .zip(&finished)
            .zip(recorded)
            .map(|((job, finished), recorded)| self.report(job, &finished.outcome, recorded))
            .collect())
    }

    /// What to record for a job's result: done, retried later (with full
    /// jitter) while attempts remain, or dead.
    fn decide(&self, job: &Job, result: Result<(), JobFailure>) -> Finished {
        let outcome = match result {
            Ok(()) => Outcome::Succeeded,
            Err(failure @ JobFailure::Retryable(_))
                if self.settings.retry.should_retry(job.attempt) =>
            {
                let delay = self.settings.retry.delay(job.attempt, fastrand::f64());
                let run_at =
                    Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
                Outcome::Retry {
                    error: failure.causes(),
                    run_at,
                }
            }
            Err(failure) => Outcome::Dead {
                error: failure.report(),
            },
        };
        Finished {
            id: job.id,
            lease: job.lease,
            outcome,
        }
    }

    /// Logs and counts an outcome that was written; a lost lease is neither.
    fn report(&self, job: &Job, outcome: &Outcome, recorded: Recorded) -> Turn {
        let (id, kind, attempt) = (job.id, job.kind, job.attempt);
        if recorded == Recorded::LeaseLost {
            return Turn::LeaseLost;
        }
        match outcome {
            Outcome::Succeeded => {
                self.observe(kind, "succeeded");
                tracing::info!(job.id = %id, job.kind = %kind, job.attempt = attempt, "job succeeded");
                Turn::Completed
            }
            Outcome::Retry { error, run_at } => {
                self.observe(kind, "retried");
                tracing::warn!(job.id = %id, job.kind = %kind, job.attempt = attempt, error = %error, run_at = %run_at, "job failed, will retry");
                Turn::Retried
            }
            Outcome::Dead { error } => {
                self.observe(kind, "dead");
                tracing::error!(job.id = %id, job.kind = %kind, job.attempt = attempt, error = %error, "job dead-lettered");
                Turn::DeadLettered
            }
        }
    }

    /// Runs each job with its kind's handler; answer `i` is for `jobs[i]`.
    /// A batch handler gets all jobs of its kind at once; one-job handlers
    /// run their jobs concurrently.
    async fn dispatch(&self, jobs: &[Job]) -> Vec<Result<(), JobFailure>> {
        let mut results: Vec<Option<Result<(), JobFailure>>> = jobs.iter().map(|_| None).collect();
        let mut kinds: Vec<JobKind> = Vec::new();
        for job in jobs {
            if !kinds.contains(&job.kind) {
                kinds.push(job.kind);
            }
        }
        for kind in kinds {
            let indexes: Vec<usize> = (0..jobs.len()).filter(|i| jobs[*i].kind == kind).collect();
            let batch: Vec<Job> = indexes.iter().map(|i| jobs[*i].clone()).collect();
            let answers = match self.handlers.get(&kind) {
                Some(Handler::Batch(handler)) => handler.run_batch(&batch).await,
                Some(Handler::One(handler)) => {
                    futures_util::future::join_all(batch.iter().map(|job| handler.run(job))).await
                }
                None => batch
                    .iter()
                    .map(|job| {
                        Err(JobFailure::permanent(format!(
                            "no handler for job kind {}",
                            job.kind
                        )))
                    })
                    .collect(),
            };
            for (index, answer) in indexes.into_iter().zip(answers) {
                results[index] = Some(answer);
            }
        }
        results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(JobFailure::retryable("the handler answered no outcome"))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ids::JobId;
    use domain::jobs::{LeaseToken, MockBatchJobHandler, MockJobHandler, MockJobQueue};
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
            batch_size: 1,
        }
    }

    fn handler(outcome: Result<(), JobFailure>) -> Arc<dyn JobHandler> {
        let mut handler = MockJobHandler::new();
        handler.expect_kind().return_const(JobKind::TaskReminder);
        handler.expect_run().times(1).return_once(move |_| outcome);
        Arc::new(handler)
    }

    fn queue_with(claimed: Vec<Job>, limit: usize) -> MockJobQueue {
        let mut queue = MockJobQueue::new();
        queue
            .expect_claim_batch()
            .with(
                eq("w1"),
                eq(Lane::Reminders),
                eq(Duration::from_secs(30)),
                eq(limit),
            )
            .times(1)
            .return_once(move |_, _, _, _| Ok(claimed));
        queue
    }

    /// Expects one `record` of exactly `expected`, answering `answer`.
    fn expect_record(queue: &mut MockJobQueue, expected: Vec<Finished>, answer: Vec<Recorded>) {
        queue
            .expect_record()
            .withf(move |finished| finished == expected.as_slice())
            .times(1)
            .return_once(move |_| Ok(answer));
    }

    #[tokio::test]
    async fn an_empty_queue_is_an_idle_turn() {
        let mut queue = queue_with(vec![], 1);
        queue.expect_record().never();
        let runner = Runner::new(Arc::new(queue), vec![], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::Idle));
    }

    #[tokio::test]
    async fn a_successful_job_is_completed_by_its_lease_holder() {
        let claimed = job(1);
        let mut queue = queue_with(vec![claimed.clone()], 1);
        let done = Finished {
            id: claimed.id,
            lease: claimed.lease,
            outcome: Outcome::Succeeded,
        };
        expect_record(&mut queue, vec![done], vec![Recorded::Written]);
        let runner = Runner::new(Arc::new(queue), vec![handler(Ok(()))], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::Completed));
    }

    #[tokio::test]
    async fn an_outcome_refused_for_a_stale_lease_is_reported_as_lost_not_counted() {
        let claimed = job(1);
        let mut queue = queue_with(vec![claimed.clone()], 1);
        queue
            .expect_record()
            .times(1)
            .returning(|_| Ok(vec![Recorded::LeaseLost]));
        let runner = Runner::new(Arc::new(queue), vec![handler(Ok(()))], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::LeaseLost));
    }

    #[tokio::test]
    async fn a_retryable_failure_is_scheduled_in_the_future() {
        let claimed = job(2);
        let mut queue = queue_with(vec![claimed.clone()], 1);
        let before = Utc::now();
        queue
            .expect_record()
            .withf(move |finished| match finished {
                [Finished {
                    id,
                    lease,
                    outcome: Outcome::Retry { error, run_at },
                }] => {
                    *id == claimed.id
                        && *lease == claimed.lease
                        && error == "timeout"
                        // Full jitter: anywhere in [now, now + window(2)), and
                        // window(2) is 2 s with the default 1 s base.
                        && *run_at >= before
                        && *run_at <= Utc::now() + chrono::Duration::seconds(2)
                }
                _ => false,
            })
            .times(1)
            .returning(|_| Ok(vec![Recorded::Written]));
        let failing = handler(Err(JobFailure::retryable("timeout")));
        let runner = Runner::new(Arc::new(queue), vec![failing], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::Retried));
    }

    #[tokio::test]
    async fn the_last_attempt_is_dead_lettered_instead_of_retried() {
        let claimed = job(8);
        let mut queue = queue_with(vec![claimed.clone()], 1);
        let error = "retryable: timeout".to_owned();
        let dead = Finished {
            id: claimed.id,
            lease: claimed.lease,
            outcome: Outcome::Dead { error },
        };
        expect_record(&mut queue, vec![dead], vec![Recorded::Written]);
        let failing = handler(Err(JobFailure::retryable("timeout")));
        let runner = Runner::new(Arc::new(queue), vec![failing], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::DeadLettered));
    }

    #[tokio::test]
    async fn the_configured_attempts_decide_not_a_default() {
        // OPSFLOW_JOB_MAX_ATTEMPTS=2: the second failed try is the last.
        let claimed = job(2);
        let mut queue = queue_with(vec![claimed.clone()], 1);
        queue
            .expect_record()
            .withf(|finished| {
                matches!(
                    finished,
                    [Finished {
                        outcome: Outcome::Dead { .. },
                        ..
                    }]
                )
            })
            .times(1)
            .returning(|_| Ok(vec![Recorded::Written]));
        let failing = handler(Err(JobFailure::retryable("timeout")));
        let mut two_attempts = settings();
        two_attempts.retry.max_attempts = 2;
        let runner = Runner::new(Arc::new(queue), vec![failing], two_attempts);
        assert_eq!(runner.run_once().await.ok(), Some(Turn::DeadLettered));
    }

    #[tokio::test]
    async fn a_job_without_a_handler_is_dead_lettered() {
        let claimed = job(1);
        let mut queue = queue_with(vec![claimed.clone()], 1);
        queue
            .expect_record()
            .withf(|finished| {
                matches!(finished, [Finished { outcome: Outcome::Dead { error }, .. }] if error.contains("no handler"))
            })
            .times(1)
            .returning(|_| Ok(vec![Recorded::Written]));
        let runner = Runner::new(Arc::new(queue), vec![], settings());
        assert_eq!(runner.run_once().await.ok(), Some(Turn::DeadLettered));
    }

    #[tokio::test]
    async fn a_batch_is_claimed_once_run_by_its_batch_handler_once_and_recorded_in_one_write() {
        let jobs = vec![job(1), job(1), job(8)];
        let mut queue = queue_with(jobs.clone(), 3);
        let mut handler = MockBatchJobHandler::new();
        handler.expect_kind().return_const(JobKind::TaskReminder);
        let ids: Vec<JobId> = jobs.iter().map(|job| job.id).collect();
        handler
            .expect_run_batch()
            .withf(move |batch| batch.iter().map(|job| job.id).collect::<Vec<_>>() == ids)
            .times(1)
            .return_once(|_| {
                vec![
                    Ok(()),
                    Err(JobFailure::retryable("busy")),
                    Err(JobFailure::permanent("gone")),
                ]
            });
        let expected = jobs.clone();
        queue
            .expect_record()
            .withf(move |finished| {
                finished.len() == 3
                    && finished.iter().zip(&expected).all(|(f, job)| f.id == job.id && f.lease == job.lease)
                    && finished[0].outcome == Outcome::Succeeded
                    && matches!(&finished[1].outcome, Outcome::Retry { error, .. } if error == "busy")
                    && matches!(&finished[2].outcome, Outcome::Dead { error } if error == "permanent: gone")
            })
            .times(1)
            .returning(|_| Ok(vec![Recorded::Written, Recorded::Written, Recorded::LeaseLost]));
        let mut batched = settings();
        batched.batch_size = 3;
        let runner =
            Runner::new(Arc::new(queue), vec![], batched).with_batch_handler(Arc::new(handler));
        let turns = runner.run_batch().await.ok();
        assert_eq!(
            turns,
            Some(vec![Turn::Completed, Turn::Retried, Turn::LeaseLost])
        );
    }

    #[tokio::test]
    async fn run_returns_once_stop_is_signalled() {
        let mut queue = MockJobQueue::new();
        queue
            .expect_claim_batch()
            .returning(|_, _, _, _| Ok(vec![]));
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

    #[tokio::test]
    async fn an_idle_runner_claims_again_as_soon_as_it_is_woken_not_after_the_poll_interval() {
        let mut queue = MockJobQueue::new();
        let (claims_tx, mut claims) = tokio::sync::mpsc::unbounded_channel();
        queue.expect_claim_batch().returning(move |_, _, _, _| {
            let _ = claims_tx.send(());
            Ok(vec![])
        });
        let mut slow_poll = settings();
        slow_poll.poll_interval = Duration::from_secs(3600);
        let wake = Arc::new(Notify::new());
        let runner = Runner::new(Arc::new(queue), vec![], slow_poll).with_wake(wake.clone());
        let (stop_tx, stop_rx) = watch::channel(false);
        let woken_claim = async {
            claims.recv().await; // the first, idle claim
            wake.notify_one();
            // A second claim within 5 s only if the wake-up ended the wait
            // (the poll interval is an hour).
            let again = tokio::time::timeout(Duration::from_secs(5), claims.recv()).await;
            let _ = stop_tx.send(true);
            again.is_ok()
        };
        let (_, woke) = tokio::join!(runner.run(stop_rx), woken_claim);
        assert!(woke, "the runner did not claim again after the wake-up");
    }
}
