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
        tokio::task::yield_now().await;
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

#[tokio::test]
async fn stop_without_in_flight_requests_returns_promptly_and_closes_pools() {
    let app = spawn_app_with(&[], std::future::pending()).await;
    assert_eq!(app.get("/health").await.status(), 200);

    app.stop().await.expect("graceful stop");

    let logged = opsflow_tests::captured_lines_containing("api stopped: pools closed");
    assert!(!logged.is_empty());
}
