//! Request bodies at the edge: decoded once, straight into the typed body
//! (a key sent twice is refused, not "last one wins"), errors in words a
//! client can act on, and a body that trickles in is cut off with 408.

use opsflow_tests::{spawn_app, spawn_app_with, TestApp, TestUser};
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn post_raw(app: &TestApp, user: &TestUser, path: &str, body: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(&user.access_token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn refusal(response: reqwest::Response) -> (String, String, String) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "validation_failed", "{body}");
    (
        body["errors"][0]["field"].as_str().unwrap().to_owned(),
        body["errors"][0]["message"].as_str().unwrap().to_owned(),
        body["detail"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_key_sent_twice_is_refused_naming_it() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let project = app.project(&user, &team).await;
    let tasks = format!("/api/v1/projects/{project}/tasks");

    let (field, message, _) =
        refusal(post_raw(&app, &user, &tasks, r#"{"title":"a","title":"b"}"#).await).await;
    assert_eq!(
        (field.as_str(), message.as_str()),
        ("title", "is given more than once")
    );
    let (field, _, _) =
        refusal(post_raw(&app, &user, "/api/v1/teams", r#"{"name":"x","name":"y"}"#).await).await;
    assert_eq!(field, "name");
    // Nothing was created by either.
    let list: Value = app
        .call(&user, Method::GET, &tasks, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["meta"]["total"], 0);
}

#[tokio::test]
async fn messages_say_what_to_send() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let project = app.project(&user, &team).await;
    let tasks = format!("/api/v1/projects/{project}/tasks");

    let (field, message, _) = refusal(
        post_raw(
            &app,
            &user,
            &tasks,
            r#"{"title":"t","due_at":"2026-12-04"}"#,
        )
        .await,
    )
    .await;
    assert_eq!(field, "due_at");
    assert_eq!(
        message,
        "must be an RFC 3339 date-time, e.g. 2026-12-04T09:00:00Z"
    );

    let (field, message, detail) =
        refusal(post_raw(&app, &user, &tasks, r#"{"title":"t","state":"done"}"#).await).await;
    assert_eq!(field, "state");
    assert!(
        !message.contains("state"),
        "the name once, not twice: {message}"
    );
    assert!(message.starts_with("is not a known field"), "{message}");
    assert_eq!(detail.matches("state").count(), 1, "{detail}");

    let (field, _, _) =
        refusal(post_raw(&app, &user, &tasks, r#"{"title":"t"} trailing"#).await).await;
    assert_eq!(field, "body");
}

/// One byte at a time, slower than the configured bound: the api answers
/// 408 and closes instead of holding the connection open.
#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off_with_408() {
    let app = spawn_app_with(
        &[("OPSFLOW_BODY_READ_TIMEOUT_MS", "300")],
        std::future::pending(),
    )
    .await;
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let body = r#"{"email":"ada@example.com","password":"correct horse battery"}"#;
    stream
        .write_all(
            format!(
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                body.len(),
                &body[..5]
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    // The rest never comes. The answer must, well before the test's bound.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "the connection was still open after 10 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}
