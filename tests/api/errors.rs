use opsflow_tests::{captured_lines_containing, spawn_app};
use serde_json::Value;

async fn problem(response: reqwest::Response) -> Value {
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "errors are RFC 9457 documents"
    );
    let request_id = request_id(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["request_id"],
        request_id.as_str(),
        "body and header carry the same id"
    );
    for member in ["type", "title", "status", "detail", "code"] {
        assert!(
            body.get(member).is_some(),
            "problem member {member} missing: {body}"
        );
    }
    body
}

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = spawn_app().await;

    let response = app.get("/api/v1/no-such-thing").await;

    assert_eq!(response.status(), 404);
    let body = problem(response).await;
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["status"], 404);
    assert_eq!(body["type"], "urn:opsflow:problem:not_found");
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/test/echo"))
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    let body = problem(response).await;
    assert_eq!(body["code"], "validation_failed");
    assert!(body["detail"].as_str().unwrap().contains("Invalid JSON"));
}

#[tokio::test]
async fn valid_json_reaches_the_handler() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/test/echo"))
        .json(&serde_json::json!({"hello": "world"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["hello"], "world");
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_a_413_problem() {
    let app = spawn_app().await;
    let big = format!("{{\"blob\": \"{}\"}}", "x".repeat(1024 * 1024));

    let response = app
        .client
        .post(app.url("/test/echo"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 413);
    let body = problem(response).await;
    assert_eq!(body["code"], "payload_too_large");
}

#[tokio::test]
async fn a_body_just_under_the_limit_is_accepted() {
    let app = spawn_app().await;
    let near_limit = format!("{{\"blob\": \"{}\"}}", "x".repeat(1024 * 1024 - 100));

    let response = app
        .client
        .post(app.url("/test/echo"))
        .header("content-type", "application/json")
        .body(near_limit)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_non_json_content_type_is_a_415_problem() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/test/echo"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 415);
    problem(response).await;
}

#[tokio::test]
async fn an_internal_error_hides_its_cause_from_the_client_and_logs_it() {
    let app = spawn_app().await;

    let response = app.get("/test/internal-error").await;

    assert_eq!(response.status(), 500);
    let request_id = request_id(&response);
    let body = problem(response).await;
    assert_eq!(body["code"], "internal_error");
    assert!(
        !body.to_string().contains("db-7.internal"),
        "no internals in the body: {body}"
    );

    let failure = logged_failure(&request_id);
    assert!(failure["error.message"]
        .as_str()
        .unwrap()
        .contains("db-7.internal"));
    assert_eq!(failure["level"], "ERROR");
}

#[tokio::test]
async fn raw_bodies_share_the_one_mebibyte_limit() {
    let app = spawn_app().await;
    let half_mebibyte = format!("{{\"refresh_token\": \"{}\"}}", "x".repeat(512 * 1024));
    let over = format!("{{\"refresh_token\": \"{}\"}}", "x".repeat(1024 * 1024));
    let send = |body: String| {
        app.client
            .post(app.url("/api/v1/auth/refresh"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    // Under the limit: read and judged on its merits (an unknown token).
    assert_eq!(send(half_mebibyte).await.unwrap().status(), 401);
    let too_big = send(over).await.unwrap();
    assert_eq!(too_big.status(), 413);
    problem(too_big).await;
}

#[tokio::test]
async fn a_database_errors_cause_chain_is_logged_while_the_body_stays_generic() {
    use diesel_async::SimpleAsyncConnection;
    let app = spawn_app().await;
    let user = app.user("ada").await;
    // Break this test's own database under the running api.
    app.database()
        .await
        .batch_execute("ALTER TABLE team_members RENAME TO team_members_gone")
        .await
        .unwrap();

    let response = app
        .call(&user, reqwest::Method::GET, "/api/v1/teams", None)
        .await;

    assert_eq!(response.status(), 500);
    let request_id = request_id(&response);
    let body = problem(response).await;
    assert!(
        !body.to_string().contains("team_members"),
        "no internals in the body: {body}"
    );
    let failure = logged_failure(&request_id);
    let chain = failure["error.chain"].as_str().unwrap();
    assert!(
        chain.starts_with("internal error: postgres query failed: "),
        "{chain}"
    );
    assert!(
        chain.contains("relation \"team_members\" does not exist"),
        "the database's own message is the last link: {chain}"
    );
}

/// The "request failed" log line of the request with this id.
fn logged_failure(request_id: &str) -> Value {
    captured_lines_containing(request_id)
        .into_iter()
        .find(|line| line["message"] == "request failed")
        .expect("the failure is logged with the request id")
}

/// The `X-Request-Id` the api answered with.
fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}
