//! Due-date reminders end to end: armed by the task's own transaction,
//! fired by workers (several at once), one notification per (task, due_at),
//! re-armed and cancelled by task writes, and the notifications API.

use adapters_postgres::jobs::wake;
use adapters_postgres::{PgJobQueue, PgPool, PgPoolSettings, PgReminderHandler, Wakes};
use chrono::{Duration as Span, Utc};
use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use domain::jobs::{JobHandler, JobQueue, Lane, RetryPolicy};
use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use worker::{Runner, RunnerSettings, Turn};

fn pool(app: &TestApp) -> PgPool {
    PgPool::new(&PgPoolSettings {
        url: app.database_url(),
        max_size: 4,
        acquire_timeout: Duration::from_secs(5),
        statement_counter: None,
        session_settings: Vec::new(),
    })
    .unwrap()
}

fn settings(name: &str, batch_size: usize) -> RunnerSettings {
    RunnerSettings {
        worker_id: name.to_owned(),
        lane: Lane::Reminders,
        poll_interval: Duration::from_millis(10),
        lease: Duration::from_secs(60),
        retry: RetryPolicy::default(),
        batch_size,
    }
}

/// One reminder per claim, through the one-job handler.
fn runner(app: &TestApp, name: &str) -> Runner {
    let pool = pool(app);
    let handlers: Vec<Arc<dyn JobHandler>> = vec![Arc::new(PgReminderHandler::new(pool.clone()))];
    Runner::new(Arc::new(PgJobQueue::new(pool)), handlers, settings(name, 1))
}

/// Batches of up to 50, through the batch handler, as the worker runs them.
fn batch_runner(app: &TestApp, name: &str) -> Runner {
    let pool = pool(app);
    Runner::new(
        Arc::new(PgJobQueue::new(pool.clone())),
        vec![],
        settings(name, 50),
    )
    .with_batch_handler(Arc::new(PgReminderHandler::new(pool)))
}

/// Runs batches until none is due: (jobs that completed, batches claimed).
async fn drain_batches(runner: &Runner) -> (usize, usize) {
    let (mut jobs, mut batches) = (0, 0);
    loop {
        let turns = runner.run_batch().await.unwrap();
        if turns.is_empty() {
            return (jobs, batches);
        }
        assert!(
            turns.iter().all(|turn| *turn == Turn::Completed),
            "{turns:?}"
        );
        jobs += turns.len();
        batches += 1;
    }
}

/// Runs `runner` until the queue has nothing due: deterministic, no sleeping.
async fn drain(runner: &Runner) -> usize {
    let mut ran = 0;
    while !matches!(runner.run_once().await.unwrap(), Turn::Idle) {
        ran += 1;
    }
    ran
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(&mut app.database().await)
        .await
        .unwrap()
        .n
}

async fn notifications(app: &TestApp, user: &TestUser, query: &str) -> Value {
    let response = app
        .call(
            user,
            Method::GET,
            &format!("/api/v1/notifications?{query}"),
            None,
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

struct Setup {
    app: TestApp,
    admin: TestUser,
    project: String,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    Setup {
        app,
        admin,
        project,
    }
}

/// A task assigned to `admin`, due `in_minutes` from now (the default lead is
/// an hour, so under 60 is already due for a reminder).
async fn assigned_task(setup: &Setup, title: &str, in_minutes: i64) -> String {
    let due = (Utc::now() + Span::minutes(in_minutes)).to_rfc3339();
    let task = setup
        .app
        .task(
            &setup.admin,
            &setup.project,
            json!({"title": title, "assignee_id": setup.admin.id, "due_at": due}),
        )
        .await;
    task["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_due_task_reminds_its_assignee_once_and_the_notification_can_be_read() {
    let setup = setup().await;
    let Setup { app, admin, .. } = &setup;
    let task = assigned_task(&setup, "Ship the release", 30).await;

    assert_eq!(drain(&runner(app, "w1")).await, 1);
    assert_eq!(drain(&runner(app, "w2")).await, 0, "nothing left to fire");

    let unread = notifications(app, admin, "unread=true").await;
    assert_eq!(unread["meta"]["total"], 1);
    let notification = &unread["data"][0];
    assert_eq!(notification["kind"], "task.due_soon");
    assert_eq!(notification["task_id"], task.as_str());
    assert!(notification["message"]
        .as_str()
        .unwrap()
        .contains("Ship the release"));
    assert!(notification["read_at"].is_null());
    let id = notification["id"].as_str().unwrap();

    let read = format!("/api/v1/notifications/{id}/read");
    for _ in 0..2 {
        let response = app.call(admin, Method::POST, &read, None).await;
        assert_eq!(response.status(), 204, "idempotent");
    }
    assert_eq!(
        notifications(app, admin, "unread=true").await["meta"]["total"],
        0
    );
    let all = notifications(app, admin, "").await;
    assert_eq!(all["meta"]["total"], 1);
    assert!(all["data"][0]["read_at"].is_string());

    let stranger = app.user("stranger").await;
    assert_eq!(
        app.call(&stranger, Method::POST, &read, None)
            .await
            .status(),
        404,
        "another user's notification does not exist for them"
    );
    assert_eq!(notifications(app, &stranger, "").await["meta"]["total"], 0);
    let bad = app
        .call(
            admin,
            Method::GET,
            "/api/v1/notifications?unread=maybe",
            None,
        )
        .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn changing_the_due_date_re_arms_and_done_unassigned_or_deleted_cancels() {
    let setup = setup().await;
    let Setup { app, admin, .. } = &setup;
    let queued = |task: &str| {
        format!(
            "SELECT count(*) AS n FROM jobs WHERE kind = 'task_reminder' AND status = 'queued' \
             AND task_id = '{task}'"
        )
    };
    let patch = |task: &str, version: i64, body: Value| {
        let mut body = body;
        body["version"] = json!(version);
        let path = format!("/api/v1/tasks/{task}");
        async move {
            let response = app.call(admin, Method::PATCH, &path, Some(body)).await;
            assert_eq!(response.status(), 200);
        }
    };

    // Re-armed: far in the future, nothing fires now.
    let moved = assigned_task(&setup, "Moved", 30).await;
    assert_eq!(count(app, &queued(&moved)).await, 1);
    let later = (Utc::now() + Span::days(10)).to_rfc3339();
    patch(&moved, 1, json!({"due_at": later})).await;
    assert_eq!(
        count(app, &queued(&moved)).await,
        1,
        "one reminder, for the new date"
    );

    // Cancelled three ways.
    let done = assigned_task(&setup, "Done", 30).await;
    patch(&done, 1, json!({"status": "done"})).await;
    let unassigned = assigned_task(&setup, "Unassigned", 30).await;
    patch(&unassigned, 1, json!({"assignee_id": null})).await;
    let deleted = assigned_task(&setup, "Deleted", 30).await;
    let response = app
        .call(
            admin,
            Method::DELETE,
            &format!("/api/v1/tasks/{deleted}"),
            None,
        )
        .await;
    assert_eq!(response.status(), 204);
    for task in [&done, &unassigned, &deleted] {
        assert_eq!(count(app, &queued(task)).await, 0, "cancelled");
    }

    drain(&runner(app, "w1")).await;
    assert_eq!(notifications(app, admin, "").await["meta"]["total"], 0);

    // Back to a near date: armed again, and it fires once.
    let soon = (Utc::now() + Span::minutes(20)).to_rfc3339();
    patch(&moved, 2, json!({"due_at": soon})).await;
    assert_eq!(drain(&runner(app, "w1")).await, 1);
    assert_eq!(notifications(app, admin, "").await["meta"]["total"], 1);
}

#[tokio::test]
async fn three_workers_and_two_thousand_due_tasks_make_exactly_two_thousand_notifications() {
    let setup = setup().await;
    let Setup {
        app,
        admin,
        project,
    } = &setup;
    // Tasks that fell due while no worker ran: bulk SQL, armed by the
    // operator's command (`opsflow jobs arm-reminders`).
    app.database()
        .await
        .batch_execute(&format!(
            "INSERT INTO tasks (id, project_id, title, assignee_id, due_at, created_by)
             SELECT gen_random_uuid(), '{project}', 'Due ' || n, '{user}', now() + interval '5 minutes', '{user}'
               FROM generate_series(1, 2000) AS n",
            user = admin.id
        ))
        .await
        .unwrap();
    let (lead, pool) = (domain::notifications::ReminderLead::default(), pool(app));
    let armed = adapters_postgres::jobs::job_admin::arm_reminders(&pool, lead).await;
    assert_eq!(armed.unwrap(), 2000);
    let again = adapters_postgres::jobs::job_admin::arm_reminders(&pool, lead).await;
    assert_eq!(again.unwrap(), 0, "re-arming keeps what is armed");

    // Three workers claiming batches of up to 50, each batch fired in one
    // transaction by the batch handler, as the worker process runs them.
    let (a, b, c) = (
        batch_runner(app, "w1"),
        batch_runner(app, "w2"),
        batch_runner(app, "w3"),
    );
    let (ran_a, ran_b, ran_c) =
        tokio::join!(drain_batches(&a), drain_batches(&b), drain_batches(&c));

    let jobs = ran_a.0 + ran_b.0 + ran_c.0;
    let batches = ran_a.1 + ran_b.1 + ran_c.1;
    assert_eq!(jobs, 2000, "each reminder ran once");
    assert!(
        ran_a.0 > 0 && ran_b.0 > 0 && ran_c.0 > 0,
        "all three took part"
    );
    assert!(
        batches * 10 <= jobs,
        "claimed in batches: {batches} claims for {jobs} jobs"
    );
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM notifications").await,
        2000
    );
    assert_eq!(
        count(
            app,
            "SELECT count(DISTINCT task_id) AS n FROM notifications"
        )
        .await,
        2000
    );
}

#[tokio::test]
async fn a_reminder_whose_worker_died_after_notifying_completes_once_after_its_lease() {
    let setup = setup().await;
    let Setup { app, admin, .. } = &setup;
    assigned_task(&setup, "Crash test", 30).await;
    let pool = pool(app);
    let queue = PgJobQueue::new(pool.clone());

    // A worker claims the job and does the work, then dies before `complete`.
    let job = queue
        .claim("doomed", Lane::Reminders, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    PgReminderHandler::new(pool).run(&job).await.unwrap();
    assert_eq!(
        drain(&runner(app, "w1")).await,
        0,
        "leased: nobody else takes it"
    );

    // Its lease runs out (moved into the past rather than waited for).
    app.database()
        .await
        .batch_execute("UPDATE jobs SET locked_until = now() - interval '1 second'")
        .await
        .unwrap();
    assert_eq!(
        drain(&runner(app, "w1")).await,
        1,
        "claimed again and completed"
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) AS n FROM jobs WHERE status = 'succeeded'"
        )
        .await,
        1
    );
    assert_eq!(
        notifications(app, admin, "").await["meta"]["total"],
        1,
        "the second run did not notify twice"
    );
}

/// Removing a member unassigns their tasks in the team in the removal's own
/// transaction: a new version, a `task.updated` entry by the admin who
/// removed them, the queued reminder cancelled. And a reminder that fires
/// for an assignee who is no longer a member (the removal raced a reminder
/// already in hand) notifies nobody: the handler re-checks membership.
#[tokio::test]
async fn removing_a_member_unassigns_their_tasks_and_their_reminders_stop() {
    let setup = setup().await;
    let Setup {
        app,
        admin,
        project,
    } = &setup;
    let team: String = {
        let body: Value = app
            .call(
                admin,
                Method::GET,
                &format!("/api/v1/projects/{project}"),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        body["data"]["team_id"].as_str().unwrap().to_owned()
    };
    let leaving = app.user("leaving").await;
    app.add_member(admin, &team, &leaving, "member").await;
    let due = (Utc::now() + Span::minutes(30)).to_rfc3339();
    let task = app
        .task(
            admin,
            project,
            json!({"title": "Theirs", "assignee_id": leaving.id, "due_at": due}),
        )
        .await;
    let id = task["id"].as_str().unwrap();
    let armed =
        format!("SELECT count(*) AS n FROM jobs WHERE task_id = '{id}' AND status = 'queued'");
    assert_eq!(count(app, &armed).await, 1, "armed for the assignee");

    let removed = app
        .call(
            admin,
            Method::DELETE,
            &format!("/api/v1/teams/{team}/members/{}", leaving.id),
            None,
        )
        .await;
    assert_eq!(removed.status(), 204);

    let now: Value = app
        .call(admin, Method::GET, &format!("/api/v1/tasks/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(now["data"]["assignee_id"].is_null(), "{now}");
    assert_eq!(now["data"]["version"], 2);
    let activity: Value = app
        .call(
            admin,
            Method::GET,
            &format!("/api/v1/projects/{project}/activity?limit=10"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let entry = &activity["data"][0];
    assert_eq!(entry["action"], "task.updated");
    assert_eq!(entry["entity_id"], id);
    assert_eq!(entry["actor"]["id"], admin.id.as_str());
    assert_eq!(
        entry["changes"],
        json!({"assignee_id": {"from": leaving.id, "to": null}})
    );
    assert_eq!(count(app, &armed).await, 0, "the reminder is cancelled");
    assert_eq!(drain(&runner(app, "w")).await, 0);
    assert_eq!(notifications(app, &leaving, "").await["meta"]["total"], 0);

    // The fire-time check: a reminder for an assignee whose membership is
    // gone (written straight to the tables, as if the removal committed
    // while the reminder was in hand) notifies nobody.
    let other = app.user("other").await;
    app.add_member(admin, &team, &other, "member").await;
    let due = (Utc::now() + Span::minutes(30)).to_rfc3339();
    app.task(
        admin,
        project,
        json!({"title": "Raced", "assignee_id": other.id, "due_at": due}),
    )
    .await;
    app.database()
        .await
        .batch_execute(&format!(
            "DELETE FROM team_members WHERE user_id = '{}'",
            other.id
        ))
        .await
        .unwrap();
    assert_eq!(drain(&runner(app, "w")).await, 1, "the reminder ran");
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM notifications").await,
        0,
        "and notified nobody"
    );
}

/// The reminders queue, counting the jobs each claim hands out: the test
/// knows when the runner has gone idle and when it claimed again.
struct CountingQueue {
    inner: PgJobQueue,
    claims: tokio::sync::mpsc::UnboundedSender<usize>,
}

#[async_trait::async_trait]
impl JobQueue for CountingQueue {
    async fn claim_batch(
        &self,
        worker_id: &str,
        lane: Lane,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<domain::jobs::Job>, domain::DomainError> {
        let jobs = self
            .inner
            .claim_batch(worker_id, lane, lease, limit)
            .await?;
        let _ = self.claims.send(jobs.len());
        Ok(jobs)
    }

    async fn record(
        &self,
        finished: &[domain::jobs::Finished],
    ) -> Result<Vec<domain::jobs::Recorded>, domain::DomainError> {
        self.inner.record(finished).await
    }
}

#[tokio::test]
async fn an_idle_worker_is_woken_by_the_commit_that_enqueues_a_due_job_not_by_its_poll_interval() {
    let setup = setup().await;
    let wakes = Wakes::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let listener = tokio::spawn(wake::listen(
        setup.app.database_url(),
        wakes.clone(),
        Duration::from_millis(10),
        stop_rx.clone(),
    ));
    // Listening before the runner starts, so the wake-up a (re)connect sends
    // is spent before the runner exists.
    let listening =
        "SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'LISTEN opsflow_jobs'";
    for _ in 0..500 {
        if count(&setup.app, listening).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        count(&setup.app, listening).await,
        1,
        "the listener connected"
    );

    let (claims_tx, mut claims) = tokio::sync::mpsc::unbounded_channel();
    let pool = pool(&setup.app);
    let queue = CountingQueue {
        inner: PgJobQueue::new(pool.clone()),
        claims: claims_tx,
    };
    // Polls once an hour: only a wake-up makes it claim again in this test.
    let settings = RunnerSettings {
        worker_id: "idle".into(),
        lane: Lane::Reminders,
        poll_interval: Duration::from_secs(3600),
        lease: Duration::from_secs(60),
        retry: RetryPolicy::default(),
        batch_size: 8,
    };
    let runner = Runner::new(Arc::new(queue), vec![], settings)
        .with_batch_handler(Arc::new(PgReminderHandler::new(pool)))
        .with_wake(wakes.lane(Lane::Reminders));
    let running = tokio::spawn(async move { runner.run(stop_rx).await });
    assert_eq!(
        claims.recv().await,
        Some(0),
        "the first claim finds nothing: the runner idles"
    );

    // Due in 30 minutes with an hour's lead: the reminder is due at once, and
    // the task's commit notifies.
    assigned_task(&setup, "wake me", 30).await;
    // The claim that takes the job (an idle claim the listener's own
    // connect wake-up may have caused is skipped).
    let woken = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match claims.recv().await {
                Some(0) => continue,
                other => return other,
            }
        }
    })
    .await;
    assert_eq!(
        woken.ok().flatten(),
        Some(1),
        "claimed at once, though the poll interval is an hour"
    );
    let _ = stop_tx.send(true);
    running.await.unwrap();
    listener.await.unwrap();
    let notified = "SELECT count(*) AS n FROM notifications WHERE kind = 'task.due_soon'";
    assert_eq!(count(&setup.app, notified).await, 1);
}
