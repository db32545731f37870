use app::seed::{seed_demo, DEMO_PASSWORD};
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use opsflow_tests::spawn_app;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(app: &opsflow_tests::TestApp, sql: &str) -> i64 {
    let mut connection = app.database().await;
    diesel::sql_query(sql)
        .get_result::<Count>(&mut connection)
        .await
        .unwrap()
        .n
}

#[tokio::test]
async fn the_demo_seed_goes_through_the_services_and_runs_once() {
    let app = spawn_app().await;

    seed_demo(&app.config).await.unwrap();

    let tasks = count(&app, "SELECT count(*) AS n FROM tasks").await;
    assert_eq!(tasks, 10);
    let created = count(
        &app,
        "SELECT count(*) AS n FROM activity_logs WHERE action = 'task.created'",
    )
    .await;
    assert_eq!(created, tasks, "every task has its task.created entry");
    let login = app.login("member@demo.opsflow.test", DEMO_PASSWORD).await;
    assert_eq!(login.status(), 200, "hashed by the service's hasher");

    seed_demo(&app.config).await.unwrap();
    assert_eq!(count(&app, "SELECT count(*) AS n FROM tasks").await, 10);
}
