//! The job queue against real PostgreSQL: SKIP LOCKED claims, leases, outcomes.

use adapters_postgres::{PgJobQueue, PgPool, PgPoolSettings};
use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use domain::jobs::{
    Finished, JobFailure, JobHandler, JobKind, JobQueue, Lane, LeaseToken, Outcome, Recorded,
    RetryPolicy,
};
use opsflow_tests::{spawn_app, TestApp};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use worker::{Runner, RunnerSettings, Turn};

fn queue(app: &TestApp) -> PgJobQueue {
    PgJobQueue::new(
        PgPool::new(&PgPoolSettings {
            url: app.database_url(),
            max_size: 8,
            acquire_timeout: Duration::from_secs(5),
            statement_counter: None,
            session_settings: Vec::new(),
        })
        .unwrap(),
    )
}

async fn enqueue(app: &TestApp, count: usize) {
    app.database()
        .await
        .batch_execute(&format!(
            "INSERT INTO jobs (id, kind, payload, run_at)
             SELECT gen_random_uuid(), 'task_reminder', jsonb_build_object('n', n), now() - interval '1 second'
               FROM generate_series(1, {count}) AS n"
        ))
        .await
        .unwrap();
}

#[derive(QueryableByName)]
struct StatusCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

async fn statuses(app: &TestApp) -> Vec<(String, i64)> {
    let rows: Vec<StatusCount> = diesel::sql_query(
        "SELECT status, count(*) AS count FROM jobs GROUP BY status ORDER BY status",
    )
    .load(&mut app.database().await)
    .await
    .unwrap();
    rows.into_iter().map(|r| (r.status, r.count)).collect()
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    let app = spawn_app().await;
    enqueue(&app, 20).await;
    let queue = queue(&app);

    // 8 workers claim concurrently, 3 times each: 24 claims for 20 jobs.
    let claims = (0..8).map(|worker| {
        let queue = &queue;
        async move {
            let mut got = Vec::new();
            for _ in 0..3 {
                if let Some(job) = queue
                    .claim(
                        &format!("w{worker}"),
                        Lane::Reminders,
                        Duration::from_secs(60),
                    )
                    .await
                    .unwrap()
                {
                    got.push(job.id);
                }
            }
            got
        }
    });
    let claimed: Vec<_> = futures_util::future::join_all(claims)
        .await
        .into_iter()
        .flatten()
        .collect();

    let unique: HashSet<_> = claimed.iter().collect();
    assert_eq!(claimed.len(), 20, "every due job claimed once");
    assert_eq!(unique.len(), 20, "no job claimed twice");
    assert!(queue
        .claim("late", Lane::Reminders, Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
}

#[derive(QueryableByName)]
struct JobRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    last_error: Option<String>,
}

async fn job_row(app: &TestApp, id: domain::ids::JobId) -> JobRow {
    diesel::sql_query("SELECT status, last_error FROM jobs WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(id.as_uuid())
        .get_result(&mut app.database().await)
        .await
        .unwrap()
}

/// Claims as `worker` until a job is handed out: the expired lease of an
/// earlier claim makes one claimable again within a few polls.
async fn claim_when_due(queue: &PgJobQueue, worker: &str) -> domain::jobs::Job {
    for _ in 0..400 {
        if let Some(job) = queue
            .claim(worker, Lane::Reminders, Duration::from_secs(60))
            .await
            .unwrap()
        {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no job became claimable");
}

#[tokio::test]
async fn outcomes_are_recorded_only_for_the_lease_holder_and_expired_leases_are_reclaimed() {
    let app = spawn_app().await;
    enqueue(&app, 3).await;
    let queue = queue(&app);

    let done = queue
        .claim("a", Lane::Reminders, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((done.kind, done.attempt), (JobKind::TaskReminder, 1));
    // A token that is not this claim's records nothing, and the row shows it.
    let forged = LeaseToken(uuid::Uuid::now_v7());
    assert_eq!(
        queue.complete(done.id, forged).await.unwrap(),
        Recorded::LeaseLost
    );
    assert_eq!(job_row(&app, done.id).await.status, "running");
    assert_eq!(
        queue.complete(done.id, done.lease).await.unwrap(),
        Recorded::Written
    );
    assert_eq!(job_row(&app, done.id).await.status, "succeeded");
    assert_eq!(
        queue.complete(done.id, done.lease).await.unwrap(),
        Recorded::LeaseLost,
        "a finished claim's token is spent"
    );

    let retried = queue
        .claim("a", Lane::Reminders, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    queue
        .retry(
            retried.id,
            retried.lease,
            "timeout",
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();

    // A worker that "dies" holding a job: its lease runs out, another takes it.
    let abandoned = queue
        .claim("dead", Lane::Reminders, Duration::from_millis(1))
        .await
        .unwrap()
        .unwrap();
    let reclaimed = claim_when_due(&queue, "b").await;
    assert_eq!(reclaimed.id, abandoned.id);
    assert_eq!(reclaimed.attempt, 2, "a reclaim counts as another attempt");
    assert_ne!(
        reclaimed.lease, abandoned.lease,
        "every claim draws a token"
    );
    // The dead worker wakes up late: its outcome is refused.
    assert_eq!(
        queue.complete(abandoned.id, abandoned.lease).await.unwrap(),
        Recorded::LeaseLost
    );
    assert_eq!(job_row(&app, abandoned.id).await.status, "running");
    queue
        .dead_letter(reclaimed.id, reclaimed.lease, "gave up")
        .await
        .unwrap();

    assert_eq!(
        statuses(&app).await,
        [
            ("dead".to_owned(), 1),
            ("queued".to_owned(), 1),
            ("succeeded".to_owned(), 1)
        ]
    );
}

/// A handler whose first attempt blocks until the test releases it and whose
/// later attempts fail at once with a retryable error.
struct FirstAttemptWaits {
    release: tokio::sync::Mutex<Option<tokio::sync::oneshot::Receiver<()>>>,
    started: tokio::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl FirstAttemptWaits {
    /// The handler, a receiver that fires when its first attempt starts, and
    /// the sender that lets that attempt finish.
    fn new() -> (
        Arc<Self>,
        tokio::sync::oneshot::Receiver<()>,
        tokio::sync::oneshot::Sender<()>,
    ) {
        let (release_tx, release_rx) = tokio::sync::oneshot::channel();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let handler = Arc::new(Self {
            release: tokio::sync::Mutex::new(Some(release_rx)),
            started: tokio::sync::Mutex::new(Some(started_tx)),
        });
        (handler, started_rx, release_tx)
    }
}

#[async_trait::async_trait]
impl JobHandler for FirstAttemptWaits {
    fn kind(&self) -> JobKind {
        JobKind::TaskReminder
    }

    async fn run(&self, job: &domain::jobs::Job) -> Result<(), JobFailure> {
        if job.attempt > 1 {
            return Err(JobFailure::Retryable("second loop failed".into()));
        }
        let started = self.started.lock().await.take();
        if let Some(started) = started {
            let _ = started.send(());
        }
        let release = self.release.lock().await.take();
        if let Some(release) = release {
            let _ = release.await;
        }
        Ok(())
    }
}

/// Two job loops of one process share `locked_by` (hostname-pid; every pid is
/// 1 in a container). Loop A's lease expires while its handler still runs;
/// loop B re-claims the job under the same worker id and records a retry; then
/// A finishes. Without a per-claim token A's `complete` would overwrite B's
/// outcome (the row would say `succeeded` and lose the retry).
#[tokio::test]
async fn a_loop_whose_lease_expired_cannot_overwrite_the_outcome_of_a_loop_of_the_same_process() {
    let app = spawn_app().await;
    enqueue(&app, 1).await;
    let queue: Arc<dyn JobQueue> = Arc::new(queue(&app));
    let (handler, started_rx, release_tx) = FirstAttemptWaits::new();
    let settings = |lease| RunnerSettings {
        worker_id: "host-1".into(),
        lane: Lane::Reminders,
        poll_interval: Duration::from_millis(5),
        lease,
        retry: RetryPolicy {
            base: Duration::from_secs(3600),
            cap: Duration::from_secs(3600),
            max_attempts: 8,
        },
        batch_size: 1,
    };
    let loop_a = Runner::new(
        queue.clone(),
        vec![handler.clone()],
        settings(Duration::from_millis(1)),
    );
    let loop_b = Runner::new(
        queue.clone(),
        vec![handler],
        settings(Duration::from_secs(60)),
    );

    let a = tokio::spawn(async move { loop_a.run_once().await.unwrap() });
    started_rx.await.unwrap();
    // A holds the job in its handler; its 1 ms lease has run out by the time
    // B's claim finds the job again.
    let mut b_turn = Turn::Idle;
    for _ in 0..400 {
        b_turn = loop_b.run_once().await.unwrap();
        if b_turn != Turn::Idle {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        b_turn,
        Turn::Retried,
        "B re-claimed the job and recorded a retry"
    );
    release_tx.send(()).unwrap();
    assert_eq!(a.await.unwrap(), Turn::LeaseLost, "A's outcome is refused");

    let rows: Vec<StatusCount> = diesel::sql_query(
        "SELECT status, count(*) AS count FROM jobs GROUP BY status ORDER BY status",
    )
    .load(&mut app.database().await)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].status.as_str(), rows[0].count),
        ("queued", 1),
        "B's retry stands"
    );
    let error: JobRow = diesel::sql_query("SELECT status, last_error FROM jobs")
        .get_result(&mut app.database().await)
        .await
        .unwrap();
    assert_eq!(error.last_error.as_deref(), Some("second loop failed"));
}

#[tokio::test]
async fn dead_letters_are_listed_with_their_error_re_queued_by_hand_and_finished_jobs_pruned() {
    let app = spawn_app().await;
    enqueue(&app, 2).await;
    let queue = queue(&app);
    let pool = PgPool::new(&PgPoolSettings {
        url: app.database_url(),
        max_size: 2,
        acquire_timeout: Duration::from_secs(5),
        statement_counter: None,
        session_settings: Vec::new(),
    })
    .unwrap();

    let doomed = queue
        .claim("w", Lane::Reminders, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    queue
        .dead_letter(doomed.id, doomed.lease, "410 Gone")
        .await
        .unwrap();
    let finished = queue
        .claim("w", Lane::Reminders, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    queue.complete(finished.id, finished.lease).await.unwrap();

    let dead = adapters_postgres::jobs::job_admin::dead_letters(&pool, 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, doomed.id.as_uuid());
    assert_eq!(dead[0].last_error.as_deref(), Some("410 Gone"));

    assert!(
        adapters_postgres::jobs::job_admin::requeue_dead(&pool, doomed.id.as_uuid())
            .await
            .unwrap()
    );
    assert!(
        !adapters_postgres::jobs::job_admin::requeue_dead(&pool, doomed.id.as_uuid())
            .await
            .unwrap(),
        "only a dead job can be re-queued"
    );
    let again = queue
        .claim("w", Lane::Reminders, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempt), (doomed.id, 1), "a fresh start");

    // Retention: a succeeded job is kept until it is old enough.
    assert_eq!(
        adapters_postgres::jobs::job_admin::prune_finished(&pool, Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    app.database()
        .await
        .batch_execute(
            "UPDATE jobs SET updated_at = now() - interval '2 hours' WHERE status = 'succeeded'",
        )
        .await
        .unwrap();
    assert_eq!(
        adapters_postgres::jobs::job_admin::prune_finished(&pool, Duration::from_secs(3600))
            .await
            .unwrap(),
        1
    );
    assert_eq!(statuses(&app).await, vec![("running".to_owned(), 1)]);
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: uuid::Uuid,
}

/// SKIP LOCKED, shown directly: another transaction holds the job a claim
/// would take first. The claim must neither wait for it (plain FOR UPDATE
/// would block until that transaction ends) nor take it (no lock at all
/// would hand the same job to two workers): it takes the next one at once.
#[tokio::test]
async fn a_claim_skips_a_job_another_transaction_holds_instead_of_waiting_or_taking_it() {
    let app = spawn_app().await;
    enqueue(&app, 2).await;
    let queue = queue(&app);
    let mut locker = app.database().await;
    locker.batch_execute("BEGIN").await.unwrap();
    let held: IdRow =
        diesel::sql_query("SELECT id FROM jobs ORDER BY run_at, id LIMIT 1 FOR UPDATE")
            .get_result(&mut locker)
            .await
            .unwrap();

    let claimed = tokio::time::timeout(
        Duration::from_secs(5),
        queue.claim("w", Lane::Reminders, Duration::from_secs(60)),
    )
    .await
    .expect("the claim waited for a locked job instead of skipping it")
    .unwrap()
    .expect("the other job is claimable");
    assert_ne!(claimed.id.as_uuid(), held.id, "the held job was taken");
    let nothing_else = tokio::time::timeout(
        Duration::from_secs(5),
        queue.claim("w", Lane::Reminders, Duration::from_secs(60)),
    )
    .await
    .expect("the claim waited for a locked job instead of skipping it")
    .unwrap();
    assert!(nothing_else.is_none(), "only the held job is left");
    locker.batch_execute("COMMIT").await.unwrap();
    let freed = queue
        .claim("w", Lane::Reminders, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(freed.map(|job| job.id.as_uuid()), Some(held.id));
}

/// Graceful worker shutdown: the stop signal (what SIGTERM sets in the
/// binary, `worker_exits_zero_on_sigterm`) arrives while a job is in its
/// handler. The runner finishes that job, records its outcome, and only then
/// returns; nothing is left `running` for a lease to expire.
#[tokio::test]
async fn a_job_in_flight_when_the_worker_is_told_to_stop_completes_and_is_recorded() {
    let app = spawn_app().await;
    enqueue(&app, 1).await;
    let queue: Arc<dyn JobQueue> = Arc::new(queue(&app));
    let (handler, started_rx, release_tx) = FirstAttemptWaits::new();
    let runner = Runner::new(
        queue,
        vec![handler],
        RunnerSettings {
            worker_id: "stopping".into(),
            lane: Lane::Reminders,
            poll_interval: Duration::from_millis(5),
            lease: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            batch_size: 1,
        },
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(async move { runner.run(stop_rx).await });

    started_rx.await.unwrap();
    stop_tx.send(true).unwrap();
    assert!(
        !running.is_finished(),
        "the runner waits for the job in hand"
    );
    assert_eq!(statuses(&app).await, [("running".to_owned(), 1)]);
    release_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the runner stops once the job is done")
        .unwrap();
    assert_eq!(statuses(&app).await, [("succeeded".to_owned(), 1)]);
}

/// The delivery lane's bounds, claim by claim: at most `per_host` in flight
/// to one receiver host and `per_team` for one team, across every worker; a
/// due delivery over a bound stays queued while the claim moves on to
/// another host or team; a finished delivery frees its place. And the
/// reminder lane never takes a delivery, nor the delivery lane a reminder.
#[tokio::test]
async fn delivery_claims_respect_the_per_host_and_per_team_bounds_and_lanes_stay_apart() {
    let app = spawn_app().await;
    let (team_a, team_b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let mut values = Vec::new();
    // Oldest first: A's three to host h1, then A's to h2, h3, h4, then B's.
    for (n, (team, host)) in [
        (team_a, "h1"),
        (team_a, "h1"),
        (team_a, "h1"),
        (team_a, "h2"),
        (team_a, "h3"),
        (team_a, "h4"),
        (team_b, "h1"),
        (team_b, "h5"),
    ]
    .into_iter()
    .enumerate()
    {
        values.push(format!(
            "(gen_random_uuid(), 'webhook_delivery', jsonb_build_object('n', {n}), now() - interval '1 minute' + make_interval(secs => {n}), '{team}', '{host}')"
        ));
    }
    app.database()
        .await
        .batch_execute(&format!(
            "INSERT INTO jobs (id, kind, payload, run_at, team_id, target_host) VALUES {};
             INSERT INTO jobs (id, kind, payload, run_at) VALUES (gen_random_uuid(), 'task_reminder', '{{}}', now() - interval '2 minutes')",
            values.join(",")
        ))
        .await
        .unwrap();
    let queue = queue(&app).with_delivery_bounds(domain::jobs::DeliveryBounds {
        per_host: 2,
        per_team: 4,
    });
    let claim = |lane| queue.claim("w", lane, Duration::from_secs(60));
    let n = |job: &domain::jobs::Job| job.payload["n"].as_i64().unwrap();

    let mut order = Vec::new();
    let mut held = Vec::new();
    while let Some(job) = claim(Lane::Deliveries).await.unwrap() {
        assert_eq!(job.kind, JobKind::WebhookDelivery, "the lane's kind only");
        order.push(n(&job));
        held.push(job);
    }
    // A: two to h1 (the third waits: host bound), h2, h3 (four: team bound,
    // h4 waits); B: h1 is full, h5 goes.
    assert_eq!(order, [0, 1, 3, 4, 7]);
    // B's h5 finishes: nothing else becomes claimable (A is at its team
    // bound, B's other delivery goes to h1, which is full).
    let b = held.pop().unwrap();
    queue.complete(b.id, b.lease).await.unwrap();
    assert!(claim(Lane::Deliveries).await.unwrap().is_none());
    // An A delivery to h1 finishes: a place at h1 and in A's four; the oldest
    // waiting delivery that fits both is A's third to h1.
    let a = held.remove(0);
    queue.complete(a.id, a.lease).await.unwrap();
    let next = claim(Lane::Deliveries).await.unwrap().unwrap();
    assert_eq!(n(&next), 2);
    assert!(claim(Lane::Deliveries).await.unwrap().is_none());

    let reminder = claim(Lane::Reminders).await.unwrap().unwrap();
    assert_eq!(reminder.kind, JobKind::TaskReminder);
    assert!(
        claim(Lane::Reminders).await.unwrap().is_none(),
        "no delivery in the reminder lane"
    );
}

#[tokio::test]
async fn a_batch_claim_hands_each_due_job_to_one_claimer_under_its_own_lease_token() {
    let app = spawn_app().await;
    enqueue(&app, 25).await;
    let queue = queue(&app);
    // Three claimers take batches of up to 10 at once until nothing is due.
    let claimers = (0..3).map(|worker| {
        let queue = &queue;
        async move {
            let mut got = Vec::new();
            loop {
                let batch = queue
                    .claim_batch(
                        &format!("w{worker}"),
                        Lane::Reminders,
                        Duration::from_secs(60),
                        10,
                    )
                    .await
                    .unwrap();
                assert!(batch.len() <= 10, "a claim took {} jobs", batch.len());
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch);
            }
        }
    });
    let claimed: Vec<_> = futures_util::future::join_all(claimers)
        .await
        .into_iter()
        .flatten()
        .collect();
    let ids: HashSet<_> = claimed.iter().map(|job| job.id).collect();
    let tokens: HashSet<_> = claimed.iter().map(|job| job.lease.0).collect();
    assert_eq!(claimed.len(), 25, "every due job claimed once");
    assert_eq!(ids.len(), 25, "no job claimed twice");
    assert_eq!(tokens.len(), 25, "a lease token per job, not per batch");
}

#[tokio::test]
async fn a_batch_of_outcomes_is_written_per_job_and_only_under_each_jobs_own_lease() {
    let app = spawn_app().await;
    enqueue(&app, 3).await;
    let queue = queue(&app);
    let jobs = queue
        .claim_batch("w1", Lane::Reminders, Duration::from_secs(60), 3)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 3);
    // The second job's lease runs out and another worker claims it.
    diesel::sql_query("UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(jobs[1].id.as_uuid())
        .execute(&mut app.database().await)
        .await
        .unwrap();
    let stolen = queue
        .claim("w2", Lane::Reminders, Duration::from_secs(60))
        .await
        .unwrap()
        .expect("the expired job is claimable again");
    assert_eq!(stolen.id, jobs[1].id);

    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let outcomes = [
        Finished {
            id: jobs[0].id,
            lease: jobs[0].lease,
            outcome: Outcome::Succeeded,
        },
        Finished {
            id: jobs[1].id,
            lease: jobs[1].lease,
            outcome: Outcome::Dead {
                error: "late".into(),
            },
        },
        Finished {
            id: jobs[2].id,
            lease: jobs[2].lease,
            outcome: Outcome::Retry {
                error: "again".into(),
                run_at: later,
            },
        },
    ];
    let recorded = queue.record(&outcomes).await.unwrap();
    assert_eq!(
        recorded,
        [Recorded::Written, Recorded::LeaseLost, Recorded::Written]
    );
    assert_eq!(job_row(&app, jobs[0].id).await.status, "succeeded");
    let taken = job_row(&app, jobs[1].id).await;
    assert_eq!(
        (taken.status.as_str(), taken.last_error),
        ("running", None),
        "the new holder's claim stands"
    );
    let retried = job_row(&app, jobs[2].id).await;
    assert_eq!(
        (retried.status.as_str(), retried.last_error.as_deref()),
        ("queued", Some("again"))
    );
}
