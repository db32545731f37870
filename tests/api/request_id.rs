use opsflow_tests::{captured_lines_containing, spawn_app};

#[tokio::test]
async fn a_valid_client_request_id_is_echoed() {
    let app = spawn_app().await;
    let id = format!("client-{}", uuid::Uuid::now_v7().simple());

    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", &id)
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["x-request-id"], id.as_str());
}

#[tokio::test]
async fn an_unsafe_client_request_id_is_replaced_by_a_uuid() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();

    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, "bad id with spaces");
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "generated ids are UUIDs: {id}"
    );
}

#[tokio::test]
async fn every_response_gets_a_request_id_even_without_one_sent() {
    let app = spawn_app().await;

    let first = app.get("/health").await;
    let second = app.get("/health").await;

    let first = first.headers()["x-request-id"].to_str().unwrap().to_owned();
    let second = second.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
}

#[tokio::test]
async fn the_access_log_line_carries_the_request_id_route_status_and_latency() {
    let app = spawn_app().await;
    let id = format!("log-{}", uuid::Uuid::now_v7().simple());

    app.client
        .get(app.url("/ready"))
        .header("x-request-id", &id)
        .send()
        .await
        .unwrap();

    let lines = captured_lines_containing(&id);
    let access = lines
        .iter()
        .find(|line| line["message"] == "request completed")
        .expect("one access-log line per request");
    assert_eq!(access["span"]["request_id"], id.as_str());
    assert_eq!(access["span"]["http.method"], "GET");
    assert_eq!(access["span"]["http.route"], "/ready");
    assert_eq!(access["http.status"], 200);
    assert!(access["latency_ms"].as_f64().is_some());
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["message"] == "request completed")
            .count(),
        1
    );
}
