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
    // The project with the caller's role (the facts the domain decides on),
    // then one statement: INSERT task, its activity entry and its jobs
    // (data-modifying CTEs; no BEGIN or COMMIT).
    let create = counted(
        &app,
        &user,
        Method::POST,
        &format!("/api/v1/projects/{project}/tasks"),
        Some(json!({"title": "Another"})),
    )
    .await;
    // The task with the role, then one statement: UPDATE (the version
    // check) RETURNING the row, its activity entry and jobs.
    let patch = counted(
        &app,
        &user,
        Method::PATCH,
        &format!("/api/v1/tasks/{task}"),
        Some(json!({"version": 1, "title": "Renamed"})),
    )
    .await;

    // PUT: the same two as PATCH.
    let replacement = json!({"version": 2, "title": "Replaced", "description": null, "status": "done",
                             "priority": "low", "due_at": null, "assignee_id": null});
    let put = counted(
        &app,
        &user,
        Method::PUT,
        &format!("/api/v1/tasks/{task}"),
        Some(replacement),
    )
    .await;
    // The task with the role, then one statement: the soft delete, its
    // activity entry, the withdrawn reminder.
    let delete = counted(
        &app,
        &user,
        Method::DELETE,
        &format!("/api/v1/tasks/{task}"),
        None,
    )
    .await;

    assert_eq!(
        [get, list, create, patch, put, delete],
        [(200, 1), (200, 3), (201, 2), (200, 2), (200, 2), (204, 2)],
        "(status, statements) for GET task, list, create, PATCH, PUT, DELETE"
    );
}
