//! The job queue against real PostgreSQL: SKIP LOCKED claims, leases, outcomes.

use adapters_postgres::{PgJobQueue, PgPool, PgPoolSettings};
use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use domain::jobs::{JobKind, JobQueue};
use opsflow_tests::{spawn_app, TestApp};
use std::collections::HashSet;
use std::time::Duration;

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
                    .claim(&format!("w{worker}"), Duration::from_secs(60))
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
        .claim("late", Duration::from_secs(60))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn outcomes_are_recorded_only_for_the_lease_holder_and_expired_leases_are_reclaimed() {
    let app = spawn_app().await;
    enqueue(&app, 3).await;
    let queue = queue(&app);

    let done = queue
        .claim("a", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((done.kind, done.attempt), (JobKind::TaskReminder, 1));
    queue.complete(done.id, "someone-else").await.unwrap();
    queue.complete(done.id, "a").await.unwrap();

    let retried = queue
        .claim("a", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    queue
        .retry(
            retried.id,
            "a",
            "timeout",
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();

    // A worker that "dies" holding a job: its lease runs out, another takes it.
    let abandoned = queue
        .claim("dead", Duration::from_millis(1))
        .await
        .unwrap()
        .unwrap();
    let mut reclaimed = None;
    for _ in 0..100 {
        reclaimed = queue.claim("b", Duration::from_secs(60)).await.unwrap();
        if reclaimed.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let reclaimed = reclaimed.expect("the expired lease is claimable again");
    assert_eq!(reclaimed.id, abandoned.id);
    assert_eq!(reclaimed.attempt, 2, "a reclaim counts as another attempt");
    queue
        .dead_letter(reclaimed.id, "b", "gave up")
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
        .claim("w", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    queue.dead_letter(doomed.id, "w", "410 Gone").await.unwrap();
    let finished = queue
        .claim("w", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    queue.complete(finished.id, "w").await.unwrap();

    let dead = adapters_postgres::job_admin::dead_letters(&pool, 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, doomed.id.as_uuid());
    assert_eq!(dead[0].last_error.as_deref(), Some("410 Gone"));

    assert!(
        adapters_postgres::job_admin::requeue_dead(&pool, doomed.id.as_uuid())
            .await
            .unwrap()
    );
    assert!(
        !adapters_postgres::job_admin::requeue_dead(&pool, doomed.id.as_uuid())
            .await
            .unwrap(),
        "only a dead job can be re-queued"
    );
    let again = queue
        .claim("w", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempt), (doomed.id, 1), "a fresh start");

    // Retention: a succeeded job is kept until it is old enough.
    assert_eq!(
        adapters_postgres::job_admin::prune_finished(&pool, Duration::from_secs(3600))
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
        adapters_postgres::job_admin::prune_finished(&pool, Duration::from_secs(3600))
            .await
            .unwrap(),
        1
    );
    assert_eq!(statuses(&app).await, vec![("running".to_owned(), 1)]);
}
