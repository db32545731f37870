//! The worker process: the job runner plus a small `/health` endpoint for the
//! orchestrator, stopped gracefully on a signal. Built and run like the api
//! (`Worker::build`, then `run_until`), so tests and the binary share one path.

use crate::config::Config;
use crate::pools::worker_postgres_pool;
use adapters_postgres::{PgJobQueue, PgPool, PgReminderHandler, PgWebhookRepository, Wakes};
use anyhow::Context;
use domain::jobs::{JobHandler, Lane, RetryPolicy};
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use tokio::sync::watch;
use worker::{Runner, RunnerSettings, WebhookDeliveryHandler};

pub struct Worker {
    /// One runner per lane, each with its own loops.
    lanes: Vec<(Runner, usize)>,
    health: actix_web::dev::Server,
    address: SocketAddr,
    postgres: PgPool,
    /// Woken by the process's one LISTEN connection (`jobs::wake`).
    wakes: Wakes,
    database_url: String,
}

impl Worker {
    /// Builds the runner and binds the health endpoint to `health_listener`.
    ///
    /// # Errors
    /// When the pool or the health listener cannot be set up.
    pub fn build(config: &Config, health_listener: TcpListener) -> anyhow::Result<Self> {
        let postgres = worker_postgres_pool(config)?;
        let queue = Arc::new(
            PgJobQueue::new(postgres.clone()).with_delivery_bounds(config.jobs.delivery_bounds),
        );
        let deliveries = WebhookDeliveryHandler::new(
            Arc::new(PgWebhookRepository::new(postgres.clone())),
            config.webhooks.timeout,
            config.webhooks.allow_private,
        )
        .map_err(anyhow::Error::msg)?;
        let reminders = Arc::new(PgReminderHandler::new(postgres.clone()));
        let handlers: Vec<Arc<dyn JobHandler>> = vec![reminders.clone(), Arc::new(deliveries)];
        let wakes = Wakes::default();
        let metrics = http_actix::metrics::Metrics::new();
        crate::metrics::watch_pool(&metrics, postgres.clone());
        crate::metrics::watch_queue(&metrics, postgres.clone());
        let observer = Arc::new(crate::metrics::JobCounter(Arc::clone(&metrics)));
        let runner = |lane| {
            Runner::new(
                queue.clone(),
                handlers.clone(),
                RunnerSettings {
                    worker_id: format!("{}-{}", hostname(), std::process::id()),
                    lane,
                    poll_interval: config.jobs.poll_interval,
                    lease: config.jobs.lease,
                    retry: RetryPolicy {
                        base: config.jobs.backoff_base,
                        cap: config.jobs.backoff_max,
                        max_attempts: config.jobs.max_attempts,
                    },
                    batch_size: config.jobs.batch_size,
                },
            )
            .with_batch_handler(reminders.clone())
            .with_wake(wakes.lane(lane))
            .with_observer(observer.clone())
        };
        let lanes = vec![
            (runner(Lane::Reminders), config.jobs.concurrency),
            (runner(Lane::Deliveries), config.jobs.delivery_concurrency),
        ];
        let address = health_listener
            .local_addr()
            .context("reading the health listen address")?;
        let health = http_actix::serve_health(health_listener, config.shutdown_grace, metrics)
            .context("binding the worker health listener")?;
        Ok(Self {
            lanes,
            health,
            address,
            postgres,
            wakes,
            database_url: config.database_url.clone(),
        })
    }

    /// Runs jobs until `stop` resolves; the job in hand is finished and
    /// recorded before this returns, then the health server and pool close.
    pub async fn run_until(self, stop: impl Future<Output = &'static str>) {
        let health_handle = self.health.handle();
        let health_task = tokio::spawn(self.health);
        let (stop_tx, stop_rx) = watch::channel(false);
        let signal_task = async move {
            let reason = stop.await;
            tracing::info!(signal = reason, "stopping: finishing the current job");
            let _ = stop_tx.send(true);
        };
        tracing::info!(address = %self.address, "worker health listening");
        let housekeeping = housekeeping(self.postgres.clone(), stop_rx.clone());
        let listener = adapters_postgres::jobs::wake::listen(
            self.database_url.clone(),
            self.wakes.clone(),
            std::time::Duration::from_secs(1),
            stop_rx.clone(),
        );
        // Several jobs in flight per process: a job spends most of its time
        // waiting on PostgreSQL or a webhook receiver, so one loop per process
        // leaves the process idle. SKIP LOCKED keeps the loops (and the other
        // replicas) on different jobs. Each lane has its own loops, so slow
        // receivers can hold delivery loops but never a reminder's.
        let loops = futures_util::future::join_all(
            self.lanes
                .iter()
                .flat_map(|(runner, loops)| (0..*loops).map(|_| runner.run(stop_rx.clone()))),
        );
        tokio::join!(loops, signal_task, housekeeping, listener);
        health_handle.stop(true).await;
        let _ = health_task.await;
        self.postgres.close();
        tracing::info!("worker stopped: pools closed");
    }
}

/// How often the worker deletes expired rows (idempotency keys past 24 h,
/// succeeded jobs past `JOB_RETENTION`).
const HOUSEKEEPING_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// How long a succeeded job is kept (for "did this run?" questions) before
/// housekeeping deletes it. Dead letters are kept until re-queued.
pub const JOB_RETENTION: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Deletes what has outlived its purpose, at start and then every
/// `HOUSEKEEPING_EVERY`, until stopped. Every replica may run it: the
/// `DELETE` is idempotent, so N workers cost N cheap statements, never a
/// wrong result.
async fn housekeeping(postgres: adapters_postgres::PgPool, mut stop: watch::Receiver<bool>) {
    loop {
        match adapters_postgres::repositories::idempotency_keys::prune_expired(&postgres).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "expired idempotency keys deleted"),
            Err(error) => tracing::warn!(error = %error, "idempotency key pruning failed"),
        }
        match adapters_postgres::jobs::job_admin::prune_finished(&postgres, JOB_RETENTION).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "finished jobs deleted"),
            Err(error) => tracing::warn!(error = %error, "job pruning failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(HOUSEKEEPING_EVERY) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".to_owned())
}
