use opsflow_tests::{open_gate, spawn_app_with, wait_until_gate_entered};

/// SIGTERM while a request is in flight: the server stops accepting at once,
/// the in-flight request still completes, and the server then exits cleanly.
/// The test sends the signal to its own process; `app::shutdown::listen`
/// registers the handler first, so the signal stops the app, not the test.
#[tokio::test]
async fn a_slow_in_flight_request_completes_after_sigterm() {
    let stop = app::shutdown::listen().unwrap();
    let app = spawn_app_with(&[], stop).await;
    let gate = uuid::Uuid::now_v7().simple().to_string();
    let url = app.url(&format!("/test/slow/{gate}"));
    let client = app.client.clone();
    let in_flight = tokio::spawn(async move { client.get(url).send().await });
    wait_until_gate_entered(&gate).await;

    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    // New connections are refused once the stop has begun. Polling until that
    // is observed is bounded (the loop fails the test after 200 tries).
    let fresh = reqwest::Client::new();
    let mut refused = false;
    for _ in 0..200 {
        if fresh.get(app.url("/health")).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(refused, "the listener closes on SIGTERM");

    open_gate(&gate);
    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["finished"], gate.as_str());
    app.wait_for_exit()
        .await
        .expect("clean exit after the drain");
}

/// Backends connected to `database`, other than the asking one.
async fn backends(admin: &mut diesel_async::AsyncPgConnection, database: &str) -> i64 {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind::<diesel::sql_types::Text, _>(database)
    .get_result::<Count>(admin)
    .await
    .unwrap()
    .n
}

#[tokio::test]
async fn stop_without_in_flight_requests_closes_the_pools() {
    let app = spawn_app_with(&[], std::future::pending()).await;
    let database = app.database_name.clone();
    let mut admin = app.server_admin().await;
    // /ready uses the pool: it now holds a connection to the test database.
    assert_eq!(app.get("/ready").await.status(), 200);
    assert!(backends(&mut admin, &database).await > 0);

    app.stop().await.expect("graceful stop");

    // Closing the pool closes its connections; PostgreSQL removes a backend
    // when it sees the socket close, so poll (bounded) for that to show.
    let mut remaining = backends(&mut admin, &database).await;
    for _ in 0..100 {
        if remaining == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        remaining = backends(&mut admin, &database).await;
    }
    assert_eq!(remaining, 0, "the api's pool left connections open");
}
