//! 3. SIGTERM to one api replica under load.

use crate::chaos::load::Load;
use crate::chaos::process::Process;
use crate::chaos::{Run, PASSWORD};
use crate::http::{request, CallError};
use crate::sync::locked;
use anyhow::Result;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct SlowLogins {
    sigterm_at: Option<Instant>,
    /// Statuses of the logins that answered after SIGTERM landed.
    after_sigterm: Vec<u16>,
    failures: Vec<String>,
}

/// The pause between leaving the rotation and SIGTERM (a preStop hook).
const PRE_STOP: Duration = Duration::from_millis(500);

pub async fn run(run: &mut Run, project: &str) -> Result<()> {
    println!("3. SIGTERM to one api replica under load");
    let draining = Arc::new(AtomicBool::new(false));
    let slow = Arc::new(Mutex::new(SlowLogins::default()));
    let slow_task = tokio::spawn(slow_logins(
        run.http.clone(),
        run.api(0).to_owned(),
        run.email.clone(),
        draining.clone(),
        slow.clone(),
    ));
    let load = Load::start(&run.cluster, &run.http, &run.token, project, 8);
    tokio::time::sleep(Duration::from_secs(3)).await;
    // What the preStop pause is for: the load balancer stops sending new
    // requests to A, and those it had already sent reach A before SIGTERM
    // (production pauses 5 s, deploy/k8s; 0.5 s here). Without the pause a
    // request dispatched to A just before it left the rotation can be
    // written onto an idle keep-alive connection the draining server is
    // closing: a reset no server can prevent (CI saw one). The slow logins
    // go to A directly and keep going through the pause, so one is in
    // flight when SIGTERM lands.
    run.cluster.set_rotation(vec![run.api(1).to_owned()]);
    tokio::time::sleep(PRE_STOP).await;
    draining.store(true, Ordering::Relaxed);
    locked(&slow).sigterm_at = Some(Instant::now());
    run.apis[0].signal("TERM")?;
    let code = run.apis[0].wait(Duration::from_secs(20)).await?;
    let _ = tokio::time::timeout(Duration::from_secs(20), slow_task).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let record = load.finish().await;

    let slow = std::mem::take(&mut *locked(&slow));
    let failures: Vec<_> = record
        .in_flight_failures
        .iter()
        .chain(&slow.failures)
        .take(3)
        .cloned()
        .collect();
    run.checks.check(
        "the replica drained and exited 0",
        code == Some(0),
        format!("exit code {code:?}"),
    );
    run.checks.check(
        "requests in flight at SIGTERM completed",
        slow.after_sigterm == [200],
        format!(
            "the login in flight when SIGTERM landed answered {:?}",
            slow.after_sigterm
        ),
    );
    run.checks.check(
        "0 failed in-flight requests",
        failures.is_empty(),
        format!(
            "{} answers under load; {}",
            record.total(),
            failures.join("; ")
        ),
    );
    run.checks.check(
        "0 5xx",
        record.server_errors.is_empty(),
        format!("{:?}", record.statuses),
    );
    super::no_acknowledged_write_lost(run, &record).await?;
    run.apis[0] =
        Process::start(&run.settings, &run.http, "opsflow-api", "api-a-restarted").await?;
    run.cluster
        .set_rotation(run.apis.iter().map(|api| api.base.clone()).collect());
    Ok(())
}

/// Logins on replica A until it drains: at bcrypt cost 12 one takes ~0.25 s,
/// so one is nearly always in flight and the SIGTERM lands on real work.
async fn slow_logins(
    http: reqwest::Client,
    base: String,
    email: String,
    draining: Arc<AtomicBool>,
    slow: Arc<Mutex<SlowLogins>>,
) {
    let credentials = json!({ "email": email, "password": PASSWORD });
    while !draining.load(Ordering::Relaxed) {
        let outcome = request(
            &http,
            &base,
            "POST",
            "/api/v1/auth/login",
            Some(credentials.clone()),
            None,
        )
        .await;
        let mut slow = locked(&slow);
        match outcome {
            Ok(answer) => {
                if slow.sigterm_at.is_some_and(|at| Instant::now() > at) {
                    slow.after_sigterm.push(answer.status);
                }
            }
            Err(CallError::NotSent) => break,
            Err(CallError::Failed(error)) => slow.failures.push(error),
        }
    }
}
