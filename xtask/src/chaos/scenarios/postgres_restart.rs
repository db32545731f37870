//! 2. PostgreSQL stopped for 3 s under load, then started.

use crate::chaos::load::Load;
use crate::chaos::Run;
use crate::http::request;
use anyhow::{bail, Result};
use std::time::{Duration, Instant};

/// Runs one of the shell commands scripts/chaos.sh hands over (pg_ctl).
async fn shell(command: &str) -> Result<()> {
    let command = command.to_owned();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .args(["-c", &command])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
    })
    .await??;
    if !status.success() {
        bail!("PostgreSQL stop/start command failed: {status}");
    }
    Ok(())
}

pub async fn run(run: &Run, project: &str) -> Result<()> {
    println!("2. PostgreSQL stopped for 3 s under load, then started");
    let load = Load::start(&run.cluster, &run.http, &run.token, project, 6);
    tokio::time::sleep(Duration::from_secs(3)).await;
    shell(&run.settings.pg_stop).await?;
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    shell(&run.settings.pg_start).await?;
    let up_at = Instant::now();
    let recovered = || load.last_success().filter(|at| *at > up_at);
    while up_at.elapsed() < Duration::from_secs(20) && recovered().is_none() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered_after = recovered().map(|at| at - up_at);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let record = load.finish().await;

    let problems: Vec<_> = record
        .server_errors
        .iter()
        .filter(|(status, kind)| *status != 503 || !kind.starts_with("application/problem+json"))
        .collect();
    run.checks.check(
        "only 503 problem+json during the outage (no 500, no other shape)",
        problems.is_empty(),
        format!(
            "{} × 503 over {:.1} s down; others: {:?}",
            record.server_errors.len(),
            (up_at - down_at).as_secs_f64(),
            problems.iter().take(2).collect::<Vec<_>>()
        ),
    );
    run.checks.check(
        "0 failed in-flight requests",
        record.in_flight_failures.is_empty(),
        record.in_flight_summary(),
    );
    run.checks.check(
        "recovered without restarting any process",
        recovered_after.is_some(),
        match recovered_after {
            Some(after) => format!(
                "first success {:.2} s after PostgreSQL was back",
                after.as_secs_f64()
            ),
            None => "no success within 20 s".to_owned(),
        },
    );
    let mut ready = Vec::new();
    for api in &run.apis {
        ready.push(
            request(&run.http, &api.base, "GET", "/ready", None, None)
                .await?
                .status,
        );
    }
    run.checks.check(
        "every api replica is ready again",
        ready.iter().all(|s| *s == 200),
        format!("/ready: {ready:?}"),
    );
    super::no_acknowledged_write_lost(run, &record).await
}
