//! `make bench`: the task list (one page query + one count, comment counts by a
//! correlated subquery) against the naive N+1 list, at page sizes 20 and 100;
//! and what the composite index costs on insert. Prints a markdown table for
//! docs/performance.md. Runs against real PostgreSQL on its own database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use adapters_postgres::task_list_naive::list_with_counts_naively;
use adapters_postgres::{PgPool, PgPoolSettings, PgTaskRepository, StatementCounter};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use domain::ids::ProjectId;
use domain::tasks::{TaskListQuery, TaskRepository};
use opsflow_tests::{create_test_database, drop_database, environment};
use std::time::{Duration, Instant};

const TASKS: usize = 5_000;
const COMMENTS_PER_TASK: usize = 3;
const WARMUP: usize = 20;
const RUNS: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

async fn measure<F, Fut>(mut run: F) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..WARMUP {
        run().await;
    }
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        run().await;
        samples.push(started.elapsed());
    }
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.95))
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

async fn seed(connection: &mut AsyncPgConnection) -> (String, String) {
    let (user, team, project) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    connection
        .batch_execute(&format!(
            "INSERT INTO users (id, email, name, password_hash) VALUES ('{user}', 'bench@example.com', 'Bench', 'x');
             INSERT INTO teams (id, name) VALUES ('{team}', 'Bench');
             INSERT INTO team_members (team_id, user_id, role) VALUES ('{team}', '{user}', 'admin');
             INSERT INTO projects (id, team_id, name, created_by) VALUES ('{project}', '{team}', 'Bench', '{user}');
             INSERT INTO tasks (id, project_id, title, status, priority, created_by, created_at)
               SELECT gen_random_uuid(), '{project}', 'Task ' || n, (ARRAY['todo','in_progress','in_review','done'])[1 + n % 4],
                      (n % 4)::smallint, '{user}', now() - make_interval(secs => n)
                 FROM generate_series(1, {TASKS}) AS n;
             INSERT INTO comments (id, task_id, author_id, body)
               SELECT gen_random_uuid(), t.id, '{user}', 'comment' FROM tasks t, generate_series(1, {COMMENTS_PER_TASK});
             ANALYZE;"
        ))
        .await
        .unwrap();
    (project.to_string(), user.to_string())
}

/// Median time to insert `rows` tasks in one statement, over 5 fresh batches.
async fn insert_cost(
    connection: &mut AsyncPgConnection,
    project: &str,
    user: &str,
    rows: usize,
) -> Duration {
    let mut samples = Vec::new();
    for _ in 0..5 {
        connection
            .batch_execute("DELETE FROM tasks WHERE title = 'insert-bench'")
            .await
            .unwrap();
        connection.batch_execute("VACUUM tasks").await.unwrap();
        let started = Instant::now();
        connection
            .batch_execute(&format!(
                "INSERT INTO tasks (id, project_id, title, status, created_by)
                 SELECT gen_random_uuid(), '{project}', 'insert-bench', (ARRAY['todo','done'])[1 + n % 2], '{user}'
                   FROM generate_series(1, {rows}) AS n"
            ))
            .await
            .unwrap();
        samples.push(started.elapsed());
    }
    samples.sort();
    samples[2]
}

#[tokio::main]
async fn main() {
    let env = environment().await;
    let name = create_test_database(env).await;
    let url = env.database_url(&name);
    let mut connection = AsyncPgConnection::establish(&url).await.unwrap();
    let (project, user) = seed(&mut connection).await;
    let counter = StatementCounter::default();
    let pool = PgPool::new(&PgPoolSettings {
        url: url.clone(),
        max_size: 2,
        acquire_timeout: Duration::from_secs(5),
        statement_counter: Some(counter.clone()),
    })
    .unwrap();
    let repository = PgTaskRepository::new(pool.clone());
    let project_id: ProjectId = project.parse().unwrap();

    println!("Task list, {TASKS} tasks x {COMMENTS_PER_TASK} comments, {RUNS} runs after {WARMUP} warm-up, one connection reused:\n");
    println!("| variant | page size | statements | median ms | p95 ms |");
    println!("|---|---|---|---|---|");
    for limit in [20u32, 100] {
        let query = TaskListQuery {
            limit,
            ..TaskListQuery::unfiltered(project_id)
        };
        let (median, p95) = measure(|| async {
            repository.list(&query).await.unwrap();
        })
        .await;
        counter.reset();
        repository.list(&query).await.unwrap();
        println!(
            "| page + count (real) | {limit} | {} | {} | {} |",
            counter.count(),
            ms(median),
            ms(p95)
        );

        let (median, p95) = measure(|| async {
            list_with_counts_naively(&pool, project_id, i64::from(limit))
                .await
                .unwrap();
        })
        .await;
        counter.reset();
        list_with_counts_naively(&pool, project_id, i64::from(limit))
            .await
            .unwrap();
        println!(
            "| naive N+1 | {limit} | {} | {} | {} |",
            counter.count(),
            ms(median),
            ms(p95)
        );
    }

    let rows = 20_000;
    let with_index = insert_cost(&mut connection, &project, &user, rows).await;
    connection
        .batch_execute("DROP INDEX tasks_project_status_live_idx")
        .await
        .unwrap();
    let without_index = insert_cost(&mut connection, &project, &user, rows).await;
    connection
        .batch_execute("DROP INDEX tasks_project_live_idx; DROP INDEX tasks_assignee_live_idx")
        .await
        .unwrap();
    let primary_key_only = insert_cost(&mut connection, &project, &user, rows).await;
    println!("\nInserting {rows} tasks in one statement (median of 5):\n");
    println!("| indexes on tasks | ms | per row µs |");
    println!("|---|---|---|");
    for (label, cost) in [
        ("all (pkey + 3 partial)", with_index),
        ("without (project_id, status, ...)", without_index),
        ("primary key only", primary_key_only),
    ] {
        println!(
            "| {label} | {} | {:.2} |",
            ms(cost),
            cost.as_secs_f64() * 1e6 / rows as f64
        );
    }
    drop(connection);
    pool.close();
    drop_database(env, &name).await;
}
