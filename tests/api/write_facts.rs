//! Task writes decided on facts an api process remembers from its last write
//! (`WriteMemo`, one statement instead of two), through two replicas: every
//! change made through the other one — a removed member, a new webhook, a
//! deleted project, a newer version — is seen by the next write here,
//! because the write statement re-checks the facts it was decided on.

use diesel::sql_types::BigInt;
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};

struct World {
    a: TestApp,
    b: TestApp,
    admin: TestUser,
    member: TestUser,
    team: String,
    project: String,
}

async fn world() -> World {
    let a = spawn_app().await;
    let b = a.replica(&[]).await;
    let admin = a.user("admin").await;
    let member = a.user("member").await;
    let team = a.team(&admin).await;
    a.add_member(&admin, &team, &member, "member").await;
    let project = a.project(&admin, &team).await;
    World {
        a,
        b,
        admin,
        member,
        team,
        project,
    }
}

/// `method path body` through `app` as `user`: status and body.
async fn send(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let response = app.call(user, method, path, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A task created and then patched through `app` by `user`: both facts
/// (the project's, the task's) are remembered there. Its id.
async fn remembered_task(app: &TestApp, user: &TestUser, project: &str) -> String {
    let task = app
        .task(user, project, json!({"title": "Remembered"}))
        .await;
    let id = task["id"].as_str().unwrap().to_owned();
    let body = json!({"version": 1, "title": "Remembered, patched"});
    let (status, _) = send(app, user, Method::PATCH, &tasks(&id), Some(body)).await;
    assert_eq!(status, 200);
    id
}

fn tasks(id: &str) -> String {
    format!("/api/v1/tasks/{id}")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut connection = app.database().await;
    let row: Count = diesel::sql_query(sql)
        .get_result(&mut connection)
        .await
        .unwrap();
    row.n
}

#[tokio::test]
async fn a_member_removed_through_one_replica_cannot_write_through_the_other() {
    let World {
        a,
        b,
        admin,
        member,
        team,
        project,
    } = world().await;
    let id = remembered_task(&a, &member, &project).await;
    let path = format!("/api/v1/teams/{team}/members/{}", member.id);
    assert_eq!(send(&b, &admin, Method::DELETE, &path, None).await.0, 204);

    let create = format!("/api/v1/projects/{project}/tasks");
    let body = json!({"title": "After removal"});
    let created = send(&a, &member, Method::POST, &create, Some(body)).await;
    let body = json!({"version": 2, "title": "After removal"});
    let patched = send(&a, &member, Method::PATCH, &tasks(&id), Some(body)).await;
    let deleted = send(&a, &member, Method::DELETE, &tasks(&id), None).await;

    assert_eq!(
        [created.0, patched.0, deleted.0],
        [404, 404, 404],
        "create, PATCH, DELETE by a removed member"
    );
    let sql = format!("SELECT count(*) AS n FROM tasks WHERE project_id = '{project}'");
    assert_eq!(count(&a, &sql).await, 1, "nothing created");
    let sql = format!("SELECT version AS n FROM tasks WHERE id = '{id}' AND deleted_at IS NULL");
    assert_eq!(count(&a, &sql).await, 2, "nothing changed");
}

#[tokio::test]
async fn a_webhook_registered_through_one_replica_hears_the_next_write_through_the_other() {
    let World {
        a,
        b,
        admin,
        team,
        project,
        ..
    } = world().await;
    let id = remembered_task(&a, &admin, &project).await;
    let events = ["task.created", "task.updated", "task.deleted"];
    let hook = json!({"url": "https://hooks.example.com/in", "events": events});
    let path = format!("/api/v1/teams/{team}/webhooks");
    assert_eq!(
        send(&b, &admin, Method::POST, &path, Some(hook)).await.0,
        201
    );
    let deliveries = "SELECT count(*) AS n FROM jobs WHERE kind = 'webhook_delivery'";

    let create = format!("/api/v1/projects/{project}/tasks");
    let body = json!({"title": "Heard"});
    assert_eq!(
        send(&a, &admin, Method::POST, &create, Some(body)).await.0,
        201
    );
    assert_eq!(count(&a, deliveries).await, 1, "task.created");
    let body = json!({"version": 2, "title": "Heard too"});
    assert_eq!(
        send(&a, &admin, Method::PATCH, &tasks(&id), Some(body))
            .await
            .0,
        200
    );
    assert_eq!(count(&a, deliveries).await, 2, "task.updated");
    assert_eq!(
        send(&a, &admin, Method::DELETE, &tasks(&id), None).await.0,
        204
    );
    assert_eq!(count(&a, deliveries).await, 3, "task.deleted");
}

#[tokio::test]
async fn a_project_deleted_through_one_replica_takes_its_task_writes_with_it() {
    let World {
        a,
        b,
        admin,
        project,
        ..
    } = world().await;
    let id = remembered_task(&a, &admin, &project).await;
    let path = format!("/api/v1/projects/{project}");
    assert_eq!(send(&b, &admin, Method::DELETE, &path, None).await.0, 204);

    let create = format!("/api/v1/projects/{project}/tasks");
    let body = json!({"title": "Into the void"});
    let created = send(&a, &admin, Method::POST, &create, Some(body)).await;
    let body = json!({"version": 2, "title": "Into the void"});
    let patched = send(&a, &admin, Method::PATCH, &tasks(&id), Some(body)).await;

    assert_eq!([created.0, patched.0], [404, 404], "create, PATCH");
    let sql = format!("SELECT version AS n FROM tasks WHERE id = '{id}'");
    assert_eq!(count(&a, &sql).await, 2, "nothing changed");
}

#[tokio::test]
async fn a_newer_version_written_through_the_other_replica_is_read_not_refused() {
    let World {
        a,
        b,
        admin,
        project,
        ..
    } = world().await;
    let id = remembered_task(&a, &admin, &project).await;
    let body = json!({"version": 2, "title": "Through b"});
    assert_eq!(
        send(&b, &admin, Method::PATCH, &tasks(&id), Some(body))
            .await
            .0,
        200
    );

    // a remembers version 2; the client read 3 through b.
    let body = json!({"version": 3, "title": "Through a"});
    let (status, task) = send(&a, &admin, Method::PATCH, &tasks(&id), Some(body)).await;
    assert_eq!((status, task["data"]["version"].clone()), (200, json!(4)));
    // And a client still at 2 gets the 409 naming 4, not a write on 2.
    let body = json!({"version": 2, "title": "Stale"});
    let (status, problem) = send(&a, &admin, Method::PATCH, &tasks(&id), Some(body)).await;
    assert_eq!(status, 409, "{problem}");
    let sql = format!("SELECT version AS n FROM tasks WHERE id = '{id}'");
    assert_eq!(count(&a, &sql).await, 4);
}

#[tokio::test]
async fn a_delete_on_remembered_fields_withdraws_the_reminder_armed_since_elsewhere() {
    let World {
        a,
        b,
        admin,
        project,
        ..
    } = world().await;
    let id = remembered_task(&a, &admin, &project).await;
    // Through b: assigned and due, so a reminder is queued; a remembers the
    // task at version 2 without either.
    let due = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let body = json!({"version": 2, "assignee_id": admin.id, "due_at": due});
    assert_eq!(
        send(&b, &admin, Method::PATCH, &tasks(&id), Some(body))
            .await
            .0,
        200
    );
    let queued = format!(
        "SELECT count(*) AS n FROM jobs WHERE kind = 'task_reminder' AND status = 'queued' \
         AND task_id = '{id}'"
    );
    assert_eq!(count(&a, &queued).await, 1, "armed through b");

    assert_eq!(
        send(&a, &admin, Method::DELETE, &tasks(&id), None).await.0,
        204
    );

    assert_eq!(
        count(&a, &queued).await,
        0,
        "a deleted task keeps no reminder"
    );
}
