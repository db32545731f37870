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
async fn ready_is_degraded_not_503_while_redis_is_down_and_recovers_without_restart() {
    let (proxy, redis_url) = TcpProxy::to_redis().await;
    let app = spawn_app_with(
        &[
            ("REDIS_URL", redis_url.as_str()),
            ("OPSFLOW_REDIS_BREAKER_MS", "20"),
        ],
        std::future::pending(),
    )
    .await;
    assert_eq!(app.get("/ready").await.status(), 200);

    proxy.cut();
    let response = app.get("/ready").await;
    // Redis is an accelerator: the instance still serves, so it stays in the
    // load balancer.
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["redis"], "unavailable");
    assert_eq!(body["checks"]["postgres"], "ok");

    proxy.restore();
    // Same process, no restart: once the breaker's cooldown (20 ms) has
    // passed, a probe finds Redis back. Bounded polling, not a fixed sleep.
    let mut status = String::new();
    for _ in 0..100 {
        let body: Value = app.get("/ready").await.json().await.unwrap();
        status = body["status"].as_str().unwrap().to_owned();
        if status == "ready" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, "ready");
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

/// `opsflow probe`, the images' healthcheck: 2xx passes, anything else fails.
#[tokio::test]
async fn the_cli_probe_passes_on_2xx_and_fails_otherwise() {
    let app = spawn_app().await;
    let probe = |url: String| {
        tokio::task::spawn_blocking(move || {
            app::probe::probe(&url, std::time::Duration::from_secs(2))
        })
    };

    let ready = probe(app.url("/ready")).await.unwrap();
    assert!(
        ready.as_ref().is_ok_and(|line| line.contains(" 200 ")),
        "{ready:?}"
    );
    assert!(probe(app.url("/no-such-route")).await.unwrap().is_err());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}/health", closed.local_addr().unwrap());
    drop(closed);
    assert!(probe(closed_url).await.unwrap().is_err());
    assert!(probe("https://example.invalid/".into())
        .await
        .unwrap()
        .is_err());
}
