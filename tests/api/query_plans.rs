//! Evidence for the data-layer claims: which index serves the task list, and
//! that the list costs a constant number of statements (no N+1).

use adapters_postgres::{PgPool, PgPoolSettings, PgTaskRepository, StatementCounter};
use diesel_async::SimpleAsyncConnection;
use domain::ids::{ProjectId, UserId};
use domain::tasks::{TaskListQuery, TaskRepository};
use http_actix::routes::task_query::TaskListParams;
use opsflow_tests::task_list_naive::list_with_counts_naively;
use opsflow_tests::{spawn_app, TestApp};
use serde_json::Value;
use std::time::Duration;

fn pool(app: &TestApp, counter: Option<StatementCounter>) -> PgPool {
    PgPool::new(&PgPoolSettings {
        url: app.database_url(),
        max_size: 2,
        acquire_timeout: Duration::from_secs(5),
        statement_counter: counter,
        session_settings: Vec::new(),
    })
    .unwrap()
}

fn query(project: &str, raw: TaskListParams) -> TaskListQuery {
    raw.parse(project.parse::<ProjectId>().unwrap(), UserId::new())
        .unwrap()
}

/// Every node of an EXPLAIN (FORMAT JSON) plan, depth first.
fn nodes(plan: &Value) -> Vec<&Value> {
    let mut found = vec![plan];
    if let Some(children) = plan["Plans"].as_array() {
        for child in children {
            found.extend(nodes(child));
        }
    }
    found
}

#[tokio::test]
async fn the_status_filtered_list_uses_the_composite_index_on_50k_tasks() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    // Another project's tasks too, so the index has to pick one project out.
    let other = app.project(&admin, &team).await;
    app.seed_tasks(&project, &admin.id, 50_000).await;
    app.seed_tasks(&other, &admin.id, 10_000).await;
    let repository = PgTaskRepository::new(pool(&app, None));

    let plan = repository
        .explain_list(&query(
            &project,
            TaskListParams {
                status: Some("todo".into()),
                ..TaskListParams::default()
            },
        ))
        .await
        .unwrap();

    let root = &plan[0]["Plan"];
    let all = nodes(root);
    let seq_scans: Vec<_> = all
        .iter()
        .filter(|n| n["Node Type"] == "Seq Scan" && n["Relation Name"] == "tasks")
        .collect();
    assert!(seq_scans.is_empty(), "sequential scan on tasks: {plan}");
    assert!(
        all.iter()
            .any(|n| n["Index Name"] == "tasks_project_status_live_idx"),
        "the (project_id, status, created_at, id) index serves the list: {plan}"
    );
    // Rows come out of the index already in (created_at DESC, id DESC) order.
    assert!(
        !all.iter().any(|n| n["Node Type"] == "Sort"),
        "no sort step needed: {plan}"
    );
}

#[tokio::test]
async fn the_list_costs_the_same_statements_for_any_page_size_while_the_naive_one_grows() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    app.seed_tasks(&project, &admin.id, 150).await;
    app.database()
        .await
        .batch_execute(&format!(
            "INSERT INTO comments (id, task_id, author_id, body)
             SELECT gen_random_uuid(), t.id, '{}', 'c' FROM tasks t, generate_series(1, 2)",
            admin.id
        ))
        .await
        .unwrap();
    let counter = StatementCounter::default();
    let pool = pool(&app, Some(counter.clone()));
    let repository = PgTaskRepository::new(pool.clone());

    // Warm the pool: from here on every checkout reuses a connection and costs
    // the same one recycle check, so only the queries themselves differ.
    list_with_counts_naively(&pool, project.parse().unwrap(), 1)
        .await
        .unwrap();
    let mut real = Vec::new();
    let mut naive = Vec::new();
    for limit in [20u32, 100] {
        counter.reset();
        let (tasks, _) = repository
            .list(&query(
                &project,
                TaskListParams {
                    limit: Some(limit.to_string()),
                    ..TaskListParams::default()
                },
            ))
            .await
            .unwrap();
        assert!(
            tasks.iter().all(|t| t.comment_count == 2),
            "counts come back with the page"
        );
        real.push(counter.count());

        counter.reset();
        let counted = list_with_counts_naively(&pool, project.parse().unwrap(), i64::from(limit))
            .await
            .unwrap();
        assert!(counted.iter().all(|(_, count)| *count == 2));
        naive.push(counter.count());
    }

    assert_eq!(
        real[0], real[1],
        "real list: constant statements ({real:?})"
    );
    assert_eq!(
        real[1], 2,
        "page + count, and no checkout check (a ping added back makes it 3): {real:?}"
    );
    assert_eq!(
        naive[1] - naive[0],
        80,
        "naive list: one more statement per task ({naive:?})"
    );
}

#[tokio::test]
async fn every_sort_reads_an_index_in_order_with_and_without_a_status_filter() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    let other = app.project(&admin, &team).await;
    app.seed_tasks(&project, &admin.id, 20_000).await;
    app.seed_tasks(&other, &admin.id, 5_000).await;
    let repository = PgTaskRepository::new(pool(&app, None));

    for field in ["created_at", "updated_at", "due_at", "priority", "title"] {
        for sort in [field.to_owned(), format!("-{field}")] {
            for status in [None, Some("todo")] {
                let plan = repository
                    .explain_list(&query(
                        &project,
                        TaskListParams {
                            sort: Some(sort.clone()),
                            status: status.map(Into::into),
                            ..TaskListParams::default()
                        },
                    ))
                    .await
                    .unwrap();
                // The page query is the first statement explained.
                let all = nodes(&plan[0]["Plan"]);
                let label = format!("sort={sort} status={status:?}");
                assert!(
                    all.iter().any(|n| n["Node Type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("Index"))),
                    "{label}: no index scan: {plan}"
                );
                assert!(
                    !all.iter()
                        .any(|n| n["Node Type"] == "Sort" || n["Node Type"] == "Incremental Sort"),
                    "{label}: a sort step: {plan}"
                );
                assert!(
                    !all.iter()
                        .any(|n| n["Node Type"] == "Seq Scan" && n["Relation Name"] == "tasks"),
                    "{label}: a sequential scan: {plan}"
                );
            }
        }
    }
}
