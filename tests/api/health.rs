use opsflow_tests::{spawn_app, spawn_app_with, TcpProxy};
use serde_json::Value;

#[tokio::test]
async fn health_is_ok_without_touching_dependencies() {
    // Redis points at a closed port: liveness must not care.
    let app = spawn_app_with(
        &[("REDIS_URL", "redis://127.0.0.1:1")],
        std::future::pending(),
    )
    .await;

    let response = app.get("/health").await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn ready_is_200_when_postgres_and_redis_answer() {
    let app = spawn_app().await;

    let response = app.get("/ready").await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["checks"]["postgres"], "ok");
    assert_eq!(body["checks"]["redis"], "ok");
}

#[tokio::test]
async fn ready_names_redis_while_it_is_down_and_recovers_without_restart() {
    let env = opsflow_tests::environment().await;
    let redis_target = env.redis_url.trim_start_matches("redis://").to_owned();
    let proxy = TcpProxy::start(redis_target).await;
    let redis_url = format!("redis://{}", proxy.address());
    let app = spawn_app_with(&[("REDIS_URL", redis_url.as_str())], std::future::pending()).await;
    assert_eq!(app.get("/ready").await.status(), 200);

    proxy.cut();
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "dependency_unavailable");
    assert_eq!(body["unavailable"], serde_json::json!(["redis"]));
    assert!(body["detail"].as_str().unwrap().contains("redis"));

    proxy.restore();
    // The pool replaces its broken connection on the next check: same process,
    // no restart.
    assert_eq!(app.get("/ready").await.status(), 200);
}

#[tokio::test]
async fn ready_names_postgres_when_it_is_unreachable() {
    let app = spawn_app_with(
        &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")],
        std::future::pending(),
    )
    .await;

    let response = app.get("/ready").await;

    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["unavailable"], serde_json::json!(["postgres"]));
}
