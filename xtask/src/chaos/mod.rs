//! `make chaos` (scripts/chaos.sh owns the private PostgreSQL and Redis and
//! calls `xtask chaos`): two api processes and three workers, steady bounded
//! load, five faults, one invariant check after each.
//!
//! Scenarios (each bounded in time; loopback only):
//!   1. Redis paused (SIGSTOP) then resumed: 0 5xx, no stale read across
//!      replicas, the cache serves hits again afterwards.
//!   2. PostgreSQL restarted: only 503 problem+json while it is down,
//!      recovery without restarting our processes, no acknowledged write lost.
//!   3. SIGTERM to an api under load, after the balancer stopped sending it
//!      new requests (what Kubernetes' preStop pause is for): the requests in
//!      flight complete, 0 fail.
//!   4. kill -9 of a worker mid-batch: every reminder notifies exactly once,
//!      every webhook delivery arrives (duplicates of a crashed delivery share
//!      its delivery id, so the receiver de-duplicates), nothing dead-lettered.
//!   5. kill -9 of an api with 1,000 live-event streams open, writes going on
//!      through the other: every stream (the example client) resumes there
//!      with `Last-Event-ID` and has heard exactly the log, in order.
//!
//! Prints one line per invariant; fails if any does not hold.

mod checks;
mod database;
mod load;
mod process;
mod receiver;
mod scenarios;

use crate::http::{request, Cluster};
use anyhow::Result;
use checks::Checks;
use process::{Process, Settings};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// The reminder lead time the workers run with.
const LEAD_SECS: i64 = 3600;
/// Jobs one worker runs at once: the most a kill can leave half-done.
const WORKER_CONCURRENCY: usize = 4;
const PASSWORD: &str = "chaos runs only";

/// What every scenario works with: the processes, one signed-in user and
/// the team the run creates.
pub struct Run {
    settings: Arc<Settings>,
    http: reqwest::Client,
    apis: Vec<Process>,
    workers: Vec<Process>,
    cluster: Arc<Cluster>,
    token: String,
    user_id: String,
    email: String,
    team: String,
    checks: Checks,
}

impl Run {
    fn api(&self, n: usize) -> &str {
        &self.apis[n].base
    }

    /// Creates a project in the run's team through replica A; its id.
    async fn project(&self, name: &str) -> Result<String> {
        let path = format!("/api/v1/teams/{}/projects", self.team);
        let created = request(
            &self.http,
            self.api(0),
            "POST",
            &path,
            Some(json!({ "name": name })),
            Some(&self.token),
        )
        .await?;
        created.id()
    }
}

pub fn run() -> Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_scenarios())
}

async fn run_scenarios() -> Result<bool> {
    let started = Instant::now();
    let settings = Arc::new(Settings::from_env()?);
    let http = crate::http::client()?;
    let mut apis = Vec::new();
    let mut workers = Vec::new();
    let outcome = async {
        apis.push(Process::start(&settings, &http, "opsflow-api", "api-a").await?);
        apis.push(Process::start(&settings, &http, "opsflow-api", "api-b").await?);
        for n in 1..=3 {
            workers.push(
                Process::start(&settings, &http, "opsflow-worker", &format!("worker-{n}")).await?,
            );
        }
        let mut run = sign_in(
            settings.clone(),
            http.clone(),
            std::mem::take(&mut apis),
            std::mem::take(&mut workers),
        )
        .await?;
        println!(
            "chaos: 2 api processes, 3 workers, private PostgreSQL and Redis (logs in {})",
            settings.logs.display()
        );
        let project = run.project("Load").await?;
        let outcome = scenarios::all(&mut run, &project).await;
        apis = std::mem::take(&mut run.apis);
        workers = std::mem::take(&mut run.workers);
        outcome.map(|()| run.checks)
    }
    .await;
    for process in apis.iter().chain(&workers) {
        process.terminate();
    }
    for process in apis.iter_mut().chain(workers.iter_mut()) {
        process
            .stop_within(std::time::Duration::from_secs(20))
            .await;
    }
    let checks = outcome?;
    let failures = checks.failures();
    let verdict = if failures.is_empty() {
        "all invariants hold".to_owned()
    } else {
        format!("FAILED: {}", failures.join(", "))
    };
    println!("chaos: {verdict} ({} s)", started.elapsed().as_secs());
    Ok(failures.is_empty())
}

async fn sign_in(
    settings: Arc<Settings>,
    http: reqwest::Client,
    apis: Vec<Process>,
    workers: Vec<Process>,
) -> Result<Run> {
    let email = format!(
        "chaos-{}@example.com",
        &uuid::Uuid::now_v7().simple().to_string()[24..]
    );
    let base = apis[0].base.clone();
    let (token, user_id) = crate::http::sign_up(&http, &base, &email, PASSWORD, &email).await?;
    let team = request(
        &http,
        &base,
        "POST",
        "/api/v1/teams",
        Some(json!({ "name": "Chaos" })),
        Some(&token),
    )
    .await?
    .id()?;
    let cluster = Arc::new(Cluster::new(
        apis.iter().map(|api| api.base.clone()).collect(),
    ));
    Ok(Run {
        settings,
        http,
        apis,
        workers,
        cluster,
        token,
        user_id,
        email,
        team,
        checks: Checks::default(),
    })
}
