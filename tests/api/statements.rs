//! What each hot request costs the database, counted on the api's own pool
//! (`TestApp::statements`): every statement it sends, including any checkout
//! check. A regression (a ping on checkout, an extra authorization query, an
//! N+1) changes a number here.

use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};

/// Statements `method path body` sends, with the response status.
async fn counted(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, usize) {
    app.statements.reset();
    let response = app.call(user, method, path, body).await;
    (response.status().as_u16(), app.statements.count())
}

#[tokio::test]
async fn each_hot_request_costs_a_fixed_number_of_statements() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let project = app.project(&user, &team).await;
    let task = app.task(&user, &project, json!({"title": "Counted"})).await;
    let task = task["id"].as_str().unwrap().to_owned();

    // The task and the caller's role in its team: one statement.
    let get = counted(
        &app,
        &user,
        Method::GET,
        &format!("/api/v1/tasks/{task}"),
        None,
    )
    .await;
    // The project with the caller's role, the page, the count.
    let list = counted(
        &app,
        &user,
        Method::GET,
        &format!("/api/v1/projects/{project}/tasks"),
        None,
    )
    .await;
    // The project with the caller's role, then BEGIN, INSERT task RETURNING
    // the row, INSERT activity, COMMIT.
    let create = counted(
        &app,
        &user,
        Method::POST,
        &format!("/api/v1/projects/{project}/tasks"),
        Some(json!({"title": "Another"})),
    )
    .await;
    // The task with the role, then BEGIN, UPDATE (the version check)
    // RETURNING the row, INSERT activity, COMMIT.
    let patch = counted(
        &app,
        &user,
        Method::PATCH,
        &format!("/api/v1/tasks/{task}"),
        Some(json!({"version": 1, "title": "Renamed"})),
    )
    .await;

    assert_eq!(
        [get, list, create, patch],
        [(200, 1), (200, 3), (201, 5), (200, 5)],
        "(status, statements) for GET task, list, create, PATCH"
    );
}
