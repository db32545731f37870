//! `make bench`: the task list (one page query + one count, comment counts by a
//! correlated subquery) against the naive N+1 list, at page sizes 20 and 100;
//! and what the composite index costs on insert. Prints a markdown table for
//! docs/performance.md. Runs against real PostgreSQL on its own database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use adapters_postgres::{PgPool, PgPoolSettings, PgTaskRepository, StatementCounter};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use domain::ids::ProjectId;
use domain::tasks::{Status, TaskListQuery, TaskRepository, TaskSort};
use opsflow_tests::task_list_naive::list_with_counts_naively;
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
            "INSERT INTO users (id, email, email_normalized, name, password_hash) VALUES ('{user}', 'bench@example.com', 'bench@example.com', 'Bench', 'x');
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
        session_settings: Vec::new(),
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

    // How the list's cost grows with the project: it should not. One project
    // each of 1k, 10k and 100k tasks; a page of 20 with its total.
    println!("\nOne page of 20 with `meta.total`, by project size ({RUNS} runs after {WARMUP} warm-up):\n");
    println!("| tasks in the project | unfiltered | ?status=todo | ?status=todo&sort=-due_at | ?q=task (capped count) |");
    println!("|---|---|---|---|---|");
    for size in [1_000u32, 10_000, 100_000] {
        let scaled: String = {
            use diesel_async::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Created {
                #[diesel(sql_type = diesel::sql_types::Text)]
                id: String,
            }
            diesel::sql_query(format!(
                "INSERT INTO projects (id, team_id, name, created_by) \
                 SELECT gen_random_uuid(), team_id, 'Scale {size}', created_by FROM projects \
                  WHERE id = '{project}' RETURNING id::text"
            ))
            .get_result::<Created>(&mut connection)
            .await
            .unwrap()
            .id
        };
        connection
            .batch_execute(&format!(
                "INSERT INTO tasks (id, project_id, title, status, priority, due_at, created_by)
                 SELECT gen_random_uuid(), '{scaled}', 'Task ' || n,
                        (ARRAY['todo','in_progress','in_review','done'])[1 + n % 4],
                        ((n / 4) % 4)::smallint,
                        CASE WHEN n % 3 = 0 THEN NULL ELSE now() + make_interval(hours => n % 500) END,
                        '{user}'
                   FROM generate_series(1, {size}) AS n"
            ))
            .await
            .unwrap();
        // VACUUM refuses a transaction block: its own call.
        connection
            .batch_execute("VACUUM ANALYZE tasks")
            .await
            .unwrap();
        connection
            .batch_execute("ANALYZE task_counts")
            .await
            .unwrap();
        let scaled_id: ProjectId = scaled.parse().unwrap();
        let mut cells = Vec::new();
        for (status, sort, q) in [
            (vec![], TaskSort::DEFAULT, None),
            (vec![Status::Todo], TaskSort::DEFAULT, None),
            (
                vec![Status::Todo],
                TaskSort::parse("-due_at").unwrap(),
                None,
            ),
            (vec![], TaskSort::DEFAULT, Some("task".to_owned())),
        ] {
            let query = TaskListQuery {
                statuses: status,
                sort,
                title_contains: q,
                ..TaskListQuery::unfiltered(scaled_id)
            };
            let (median, _) = measure(|| async {
                repository.list(&query).await.unwrap();
            })
            .await;
            cells.push(format!("{} ms", ms(median)));
        }
        println!("| {size} | {} |", cells.join(" | "));
    }

    // Index costs on insert: measure with every index, then drop them one at
    // a time; the difference between two rows is what that index costs.
    let rows = 20_000;
    let steps: [(&str, &str); 7] = [
        (
            "due_at, nulls first (DESC sort)",
            "tasks_project_due_first_live_idx",
        ),
        (
            "due_at, nulls last (ASC sort)",
            "tasks_project_due_last_live_idx",
        ),
        ("title", "tasks_project_title_live_idx"),
        ("priority", "tasks_project_priority_live_idx"),
        ("updated_at", "tasks_project_updated_live_idx"),
        ("(status, created_at)", "tasks_project_status_live_idx"),
        (
            "created_at and assignee",
            "tasks_project_live_idx; DROP INDEX tasks_assignee_live_idx",
        ),
    ];
    let rows_f64 = 20_000.0_f64;
    let mut costs = vec![(
        "all indexes".to_owned(),
        insert_cost(&mut connection, &project, &user, rows).await,
    )];
    for (label, index) in steps {
        connection
            .batch_execute(&format!("DROP INDEX {index}"))
            .await
            .unwrap();
        let cost = insert_cost(&mut connection, &project, &user, rows).await;
        costs.push((format!("without {label}"), cost));
    }
    println!(
        "\nInserting {rows} tasks in one statement (median of 5), dropping one index per row:\n"
    );
    println!("| indexes on tasks | ms | per row µs | the dropped index cost, µs per row |");
    println!("|---|---|---|---|");
    for (position, (label, cost)) in costs.iter().enumerate() {
        let per_row = cost.as_secs_f64() * 1e6 / rows_f64;
        let marginal = costs.get(position + 1).map_or_else(
            || "(primary key only)".to_owned(),
            |(_, next)| {
                format!(
                    "{:.2}",
                    (cost.as_secs_f64() - next.as_secs_f64()) * 1e6 / rows_f64
                )
            },
        );
        println!("| {label} | {} | {per_row:.2} | {marginal} |", ms(*cost));
    }
    drop(connection);
    pool.close();
    drop_database(env, &name).await;
}
