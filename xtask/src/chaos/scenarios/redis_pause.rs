//! 1. Redis paused (SIGSTOP) for 5 s under load, then resumed.

use crate::chaos::load::Load;
use crate::chaos::process::send_signal;
use crate::chaos::Run;
use crate::http::request;
use anyhow::{Context, Result};
use serde_json::json;
use std::time::{Duration, Instant};

pub async fn run(run: &Run, project: &str) -> Result<()> {
    println!("1. Redis paused for 5 s under load, then resumed");
    let redis_pid: u32 = std::fs::read_to_string(&run.settings.redis_pid_file)?
        .trim()
        .parse()
        .context("redis pid file")?;
    // A task only the stale-read probe edits, in its own project.
    let probe_project = run.project("stale probe").await?;
    let path = format!("/api/v1/projects/{probe_project}/tasks");
    let probe = request(
        &run.http,
        run.api(0),
        "POST",
        &path,
        Some(json!({ "title": "v0" })),
        Some(&run.token),
    )
    .await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let prober = tokio::spawn(stale_probe(
        run.http.clone(),
        [run.api(0).to_owned(), run.api(1).to_owned()],
        run.token.clone(),
        probe_project.clone(),
        probe.data().clone(),
        stopped,
    ));

    let load = Load::start(&run.cluster, &run.http, &run.token, project, 6);
    tokio::time::sleep(Duration::from_secs(3)).await;
    send_signal(redis_pid, "STOP")?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    send_signal(redis_pid, "CONT")?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let _ = stop.send(());
    let (probes, stale) = prober.await??;
    let record = load.finish().await;

    run.checks.check(
        "0 5xx while Redis was paused",
        record.server_errors.is_empty(),
        format!("{} answers, {:?}", record.total(), record.statuses),
    );
    run.checks.check(
        "0 failed in-flight requests",
        record.in_flight_failures.is_empty(),
        record.in_flight_summary(),
    );
    run.checks.check(
        "no stale read across replicas",
        probes > 20 && stale.is_empty(),
        format!(
            "{probes} write-then-read probes, {} stale {:?}",
            stale.len(),
            stale.iter().take(2).collect::<Vec<_>>()
        ),
    );
    let hit = wait_for_hit(run, &format!("{path}?limit=7")).await?;
    run.checks.check(
        "the cache serves hits again after Redis resumes",
        hit.as_deref() == Some("HIT"),
        format!("X-Cache: {hit:?}"),
    );
    Ok(())
}

/// Writes through replica A and reads the list through replica B until told
/// to stop: the list must show the write (the cache key carries the list's
/// generation). The number of probes, and each stale answer.
async fn stale_probe(
    http: reqwest::Client,
    [writer, reader]: [String; 2],
    token: String,
    project: String,
    mut probe: serde_json::Value,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) -> Result<(usize, Vec<String>)> {
    let (mut probes, mut stale) = (0, Vec::new());
    while stop.try_recv().is_err() {
        let title = format!("v{}", probes + 1);
        let id = probe["id"].as_str().unwrap_or_default().to_owned();
        let update = json!({ "title": title, "version": probe["version"] });
        let answer = request(
            &http,
            &writer,
            "PATCH",
            &format!("/api/v1/tasks/{id}"),
            Some(update),
            Some(&token),
        )
        .await?;
        if answer.status == 200 {
            probe = answer.data().clone();
            let listed = request(
                &http,
                &reader,
                "GET",
                &format!("/api/v1/projects/{project}/tasks"),
                None,
                Some(&token),
            )
            .await?;
            probes += 1;
            if listed.status != 200 || listed.data()[0]["title"] != title.as_str() {
                stale.push(format!(
                    "{title}: {} X-Cache {:?} {}",
                    listed.status, listed.x_cache, listed.body
                ));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((probes, stale))
}

/// Reads the list through replica B until the cache answers it (10 s at
/// most); the last X-Cache seen.
async fn wait_for_hit(run: &Run, path: &str) -> Result<Option<String>> {
    let mut hit = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && hit.as_deref() != Some("HIT") {
        let answer = request(&run.http, run.api(1), "GET", path, None, Some(&run.token)).await?;
        hit = answer.x_cache;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(hit)
}
