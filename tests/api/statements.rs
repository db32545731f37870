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
    // The first create by this caller in this project: the project with the
    // caller's role and the team's webhooks (the facts the domain decides
    // on), then one statement: INSERT task (if those facts still hold), its
    // activity entry and its jobs (data-modifying CTEs; no BEGIN or COMMIT).
    // (The task above was created in `project`, so that is remembered:
    // another project's first create shows the read.)
    let other = app.project(&user, &team).await;
    let first_create = counted(
        &app,
        &user,
        Method::POST,
        &format!("/api/v1/projects/{other}/tasks"),
        Some(json!({"title": "Another"})),
    )
    .await;
    // The next one is decided on the facts this process remembers: the one
    // statement alone, which re-checks them.
    let create = counted(
        &app,
        &user,
        Method::POST,
        &format!("/api/v1/projects/{project}/tasks"),
        Some(json!({"title": "And another"})),
    )
    .await;
    // The first write of the task: the task with the role and webhooks, then
    // one statement: UPDATE (the version check and the facts) RETURNING the
    // row, its activity entry and jobs.
    let first_patch = counted(
        &app,
        &user,
        Method::PATCH,
        &format!("/api/v1/tasks/{task}"),
        Some(json!({"version": 1, "title": "Renamed"})),
    )
    .await;
    let patch = counted(
        &app,
        &user,
        Method::PATCH,
        &format!("/api/v1/tasks/{task}"),
        Some(json!({"version": 2, "title": "Renamed again"})),
    )
    .await;

    // PUT and DELETE after it: the one statement each.
    let replacement = json!({"version": 3, "title": "Replaced", "description": null, "status": "done",
                             "priority": "low", "due_at": null, "assignee_id": null});
    let put = counted(
        &app,
        &user,
        Method::PUT,
        &format!("/api/v1/tasks/{task}"),
        Some(replacement),
    )
    .await;
    let delete = counted(
        &app,
        &user,
        Method::DELETE,
        &format!("/api/v1/tasks/{task}"),
        None,
    )
    .await;

    assert_eq!(
        [
            get,
            list,
            first_create,
            create,
            first_patch,
            patch,
            put,
            delete
        ],
        [
            (200, 1),
            (200, 3),
            (201, 2),
            (201, 1),
            (200, 2),
            (200, 1),
            (200, 1),
            (204, 1)
        ],
        "(status, statements) for GET task, list, first create, create, first PATCH, PATCH, \
         PUT, DELETE"
    );
}

/// A personal access token's grant is cached (with revocation respected):
/// with Redis up a request made with one costs exactly the statements of the
/// same request made with an access JWT.
#[tokio::test]
async fn a_personal_access_token_costs_no_statement_more_than_a_jwt() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let project = app.project(&user, &team).await;
    let task = app.task(&user, &project, json!({"title": "Counted"})).await;
    let path = format!("/api/v1/tasks/{}", task["id"].as_str().unwrap());
    let script = app.token_user(&user, &["read"]).await;

    // The first use looks the token up (and records the use): one more.
    let first = counted(&app, &script, Method::GET, &path, None).await;
    let jwt = counted(&app, &user, Method::GET, &path, None).await;
    let token = counted(&app, &script, Method::GET, &path, None).await;
    assert_eq!(
        [jwt, first, token],
        [(200, 1), (200, 2), (200, 1)],
        "(status, statements) for GET task with the JWT, the token's first use, the token"
    );
}
