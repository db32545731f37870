//! Pickup latency (part of `make bench`): how long a due job waits for an
//! idle worker — from the write that enqueues it to the handler's
//! transaction — with one worker process and the release api on a fresh
//! database. Each task is created alone, 20 ms after the previous one's
//! reminder could have run, so the worker is idle at every enqueue.
//!
//! Measured in PostgreSQL's own clock: a job's `created_at` is its write's
//! transaction time, its notification's `created_at` the reminder
//! transaction's (the notification is keyed by the job's id).

use crate::bench_http::api::{Api, FreshDatabase};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const QUERY: &str = "
SELECT count(*)::bigint,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY waited),
       percentile_cont(0.99) WITHIN GROUP (ORDER BY waited),
       max(waited)
  FROM (SELECT extract(epoch FROM n.created_at - j.created_at)::float8 * 1000 AS waited
          FROM notifications n JOIN jobs j ON j.id::text = n.dedupe_key) AS picked";

pub fn run(bin_dir: &Path, count: usize) -> Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(bin_dir, count))?;
    Ok(true)
}

/// The worker process, killed when dropped.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_worker(bin_dir: &Path, database: &FreshDatabase) -> Result<Worker> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = std::fs::File::create(".data/bench-pickup-worker.log")?;
    let child = Command::new(bin_dir.join("opsflow-worker"))
        .env("DATABASE_URL", &database.url)
        .env("OPSFLOW_REDIS_PREFIX", &database.redis_prefix)
        .env("OPSFLOW_WORKER_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()
        .context("starting opsflow-worker")?;
    Ok(Worker(child))
}

async fn measure(bin_dir: &Path, count: usize) -> Result<()> {
    let server = crate::postgres::server_url()?;
    std::fs::create_dir_all(".data")?;
    let database = FreshDatabase::create(bin_dir, &server, "pickup").await?;
    let http = crate::http::client()?;
    let api = Api::start(
        bin_dir,
        &database,
        true,
        Path::new(".data/bench-pickup-api.log"),
        &http,
    )
    .await?;
    let _worker = start_worker(bin_dir, &database)?;
    let db = crate::postgres::connect(&database.url).await?;
    wait_until_listening(&db).await?;
    let (token, user) = crate::http::sign_up(
        &http,
        &api.base,
        "pickup@example.com",
        "local runs only",
        "Pickup",
    )
    .await?;
    let team = crate::http::request(
        &http,
        &api.base,
        "POST",
        "/api/v1/teams",
        Some(json!({ "name": "Pickup" })),
        Some(&token),
    )
    .await?
    .id()?;
    let projects = format!("/api/v1/teams/{team}/projects");
    let project = crate::http::request(
        &http,
        &api.base,
        "POST",
        &projects,
        Some(json!({ "name": "Pickup" })),
        Some(&token),
    )
    .await?
    .id()?;
    let tasks = format!("/api/v1/projects/{project}/tasks");
    for n in 0..count {
        // Due in 30 minutes with the default hour's lead: due at once.
        let due = (chrono::Utc::now() + chrono::Duration::minutes(30)).to_rfc3339();
        let body = json!({ "title": format!("pickup {n}"), "assignee_id": user, "due_at": due });
        let created =
            crate::http::request(&http, &api.base, "POST", &tasks, Some(body), Some(&token))
                .await?;
        if created.status != 201 {
            bail!("create answered {}: {}", created.status, created.body);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    report(&db, count).await
}

/// The worker listens before anything is enqueued.
async fn wait_until_listening(db: &tokio_postgres::Client) -> Result<()> {
    let listening = "SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN opsflow_jobs'";
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.query_one(listening, &[]).await?.try_get::<_, i64>(0)? == 0 {
        if Instant::now() > deadline {
            bail!("the worker did not LISTEN within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Waits (30 s at most) for every reminder to fire; prints the latencies.
async fn report(db: &tokio_postgres::Client, count: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = db.query_one(QUERY, &[]).await?;
        let picked: i64 = row.try_get(0)?;
        if picked as usize >= count || Instant::now() > deadline {
            let (p50, p99, max): (Option<f64>, Option<f64>, Option<f64>) =
                (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
            let ms = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.1} ms"));
            println!("| pickup, idle worker (enqueue → handler) | {picked} of {count} | p50 {} | p99 {} | max {} |", ms(p50), ms(p99), ms(max));
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
