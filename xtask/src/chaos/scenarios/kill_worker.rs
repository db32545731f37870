//! 4. kill -9 of a worker mid-batch (reminders and webhook deliveries).

use crate::chaos::database::{count, row};
use crate::chaos::process::Process;
use crate::chaos::receiver::{Received, Receiver};
use crate::chaos::{Run, LEAD_SECS, WORKER_CONCURRENCY};
use crate::http::request;
use crate::sync::locked;
use anyhow::Result;
use chrono::{Duration as Span, Utc};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const REMINDERS: usize = 600;

pub async fn run(run: &mut Run) -> Result<()> {
    println!("4. kill -9 of a worker mid-batch (reminders and webhook deliveries)");
    let receiver = Receiver::start()?;
    let hooks = format!("/api/v1/teams/{}/webhooks", run.team);
    let hook = json!({ "url": receiver.url, "events": ["task.created", "task.due_soon"] });
    let hook = request(
        &run.http,
        run.api(0),
        "POST",
        &hooks,
        Some(hook),
        Some(&run.token),
    )
    .await?;
    locked(&receiver.received).secret = hook.data()["secret"]
        .as_str()
        .unwrap_or_default()
        .as_bytes()
        .to_vec();
    let project = run.project("reminders").await?;
    let created = create_due_tasks(run, &project).await;
    run.checks.check(
        "tasks created",
        created == REMINDERS,
        format!("{created} of {REMINDERS}"),
    );

    // Kill a worker as soon as the reminders start to be worked through.
    let url = run.settings.database_url.clone();
    let notifications = "SELECT count(*) FROM notifications";
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && count(&url, notifications).await? == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let done_at_kill = count(&url, notifications).await?;
    run.workers[0].kill()?;
    let running_at_kill = count(&url, "SELECT count(*) FROM jobs WHERE status = 'running'").await?;
    run.workers[0] = Process::start(
        &run.settings,
        &run.http,
        "opsflow-worker",
        "worker-1-restarted",
    )
    .await?;
    // Jobs the dead worker held come back after their lease (5 s here).
    let unfinished = "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')";
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && count(&url, unfinished).await? != 0 {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let pending = count(&url, unfinished).await?;
    run.checks.check(
        "the queue drained (the killed worker's leases expired and were reclaimed)",
        pending == 0,
        format!("killed after {done_at_kill} of {REMINDERS} reminders, {running_at_kill} jobs running at the kill"),
    );
    let notified = row(
        &url,
        "SELECT count(*), count(DISTINCT task_id) FROM notifications",
        &[],
    )
    .await?;
    let (rows, tasks): (i64, i64) = (notified.try_get(0)?, notified.try_get(1)?);
    let expected = REMINDERS as i64;
    run.checks.check(
        "every reminder notified exactly once",
        (rows, tasks) == (expected, expected),
        format!("notifications (rows, tasks): ({rows}, {tasks})"),
    );

    let received = std::mem::take(&mut *locked(&receiver.received));
    check_deliveries(run, &received);
    let dead = count(&url, "SELECT count(*) FROM jobs WHERE status = 'dead'").await?;
    run.checks
        .check("nothing dead-lettered", dead == 0, format!("{dead} dead"));
    receiver.stop().await;
    Ok(())
}

/// REMINDERS tasks due just over the lead from now (each reminder becomes
/// due within seconds), created by six clients over both replicas; how many
/// were created.
async fn create_due_tasks(run: &Run, project: &str) -> usize {
    let due = (Utc::now() + Span::seconds(LEAD_SECS + 4)).to_rfc3339();
    let path = format!("/api/v1/projects/{project}/tasks");
    let creators = (0..6).map(|n| {
        let (http, token, user, path, due) = (run.http.clone(), run.token.clone(), run.user_id.clone(), path.clone(), due.clone());
        let bases = [run.api(0).to_owned(), run.api(1).to_owned()];
        tokio::spawn(async move {
            let mut created = 0;
            for i in (n..REMINDERS).step_by(6) {
                let body = json!({ "title": format!("due {i}"), "assignee_id": user, "due_at": due });
                if matches!(request(&http, &bases[i % 2], "POST", &path, Some(body), Some(&token)).await, Ok(a) if a.status == 201) {
                    created += 1;
                }
            }
            created
        })
    });
    let mut created = 0;
    for creator in creators.collect::<Vec<_>>() {
        created += creator.await.unwrap_or(0);
    }
    created
}

/// Every event delivered once per delivery id, re-sent only from the crash,
/// every signature valid.
fn check_deliveries(run: &Run, received: &Received) {
    let mut events = BTreeMap::<&str, usize>::new();
    for (_, event) in received.deliveries.keys() {
        *events.entry(event).or_default() += 1;
    }
    let duplicates: u64 = received.deliveries.values().map(|n| n - 1).sum();
    let every_event =
        events == BTreeMap::from([("task.created", REMINDERS), ("task.due_soon", REMINDERS)]);
    run.checks.check(
        "every webhook delivery arrived",
        every_event,
        format!("distinct delivery ids by event: {events:?}"),
    );
    run.checks.check(
        "re-sent deliveries only from the crash, each with its original delivery id",
        duplicates <= WORKER_CONCURRENCY as u64,
        format!("{duplicates} duplicate(s) (≤ {WORKER_CONCURRENCY}: the jobs in flight at the kill), de-duplicated by X-OpsFlow-Delivery"),
    );
    run.checks.check(
        "every delivery correctly signed",
        received.bad_signatures == 0,
        format!("{} bad", received.bad_signatures),
    );
}
