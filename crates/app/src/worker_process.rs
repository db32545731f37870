//! The worker process: the job runner plus a small `/health` endpoint for the
//! orchestrator, stopped gracefully on a signal.

use crate::api::postgres_pool;
use crate::config::Config;
use actix_web::{web, App, HttpResponse, HttpServer};
use adapters_postgres::PgJobQueue;
use anyhow::Context;
use domain::jobs::{JobHandler, RetryPolicy};
use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use worker::{Runner, RunnerSettings};

/// Longer than any job should take; a job still leased past it is presumed
/// abandoned by a dead worker and is claimed again.
const JOB_LEASE: Duration = Duration::from_secs(300);

/// Runs the worker until `stop` resolves. The job in hand is finished and
/// recorded before this returns.
///
/// # Errors
/// When pools or the health listener cannot be set up.
pub async fn run(
    config: &Config,
    health_listener: TcpListener,
    stop: impl Future<Output = &'static str>,
) -> anyhow::Result<()> {
    let postgres = postgres_pool(config)?;
    let queue = Arc::new(PgJobQueue::new(postgres.clone()));
    // Job kinds register their handlers here as they are built (reminders,
    // webhooks); until then a claimed job is dead-lettered as unhandled.
    let handlers: Vec<Arc<dyn JobHandler>> = Vec::new();
    let worker_id = format!("{}-{}", hostname(), std::process::id());
    let runner = Runner::new(
        queue,
        handlers,
        RunnerSettings {
            worker_id,
            poll_interval: config.jobs.poll_interval,
            lease: JOB_LEASE,
            retry: RetryPolicy {
                max_attempts: config.jobs.max_attempts,
                ..RetryPolicy::default()
            },
        },
    );

    let health = HttpServer::new(|| {
        App::new().route(
            "/health",
            web::get()
                .to(|| async { HttpResponse::Ok().json(serde_json::json!({"status": "ok"})) }),
        )
    })
    .listen(health_listener)
    .context("binding the worker health listener")?
    .workers(1)
    .disable_signals()
    .run();
    let health_handle = health.handle();
    let health_task = tokio::spawn(health);

    let (stop_tx, stop_rx) = watch::channel(false);
    let runner_task = runner.run(stop_rx);
    let signal_task = async move {
        let reason = stop.await;
        tracing::info!(signal = reason, "stopping: finishing the current job");
        let _ = stop_tx.send(true);
    };
    tokio::join!(runner_task, signal_task);

    health_handle.stop(true).await;
    let _ = health_task.await;
    postgres.close();
    tracing::info!("worker stopped: pools closed");
    Ok(())
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".to_owned())
}
