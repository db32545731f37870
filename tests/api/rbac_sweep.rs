//! 403 vs 404 on every work-item endpoint: outsiders never learn that a
//! resource exists (404); members are refused what their role does not allow
//! (403) and allowed the rest.

use diesel_async::SimpleAsyncConnection;
use opsflow_tests::spawn_app;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn outsiders_get_404_and_plain_members_403_on_every_work_item_endpoint() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let (member, outsider) = (app.user("member").await, app.user("outsider").await);
    let team = app.team(&admin).await;
    app.add_member(&admin, &team, &member, "member").await;
    let project = app.project(&admin, &team).await;
    let task = app
        .task(&admin, &project, json!({"title": "admin's task"}))
        .await;
    let task = task["id"].as_str().unwrap().to_owned();
    let comment: Value = app
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/tasks/{task}/comments"),
            Some(json!({"body": "admin's comment"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let comment = comment["data"]["id"].as_str().unwrap().to_owned();

    let patch_task = json!({"version": 1, "title": "x"});
    let put_task = json!({"version": 1, "title": "x", "status": "todo", "priority": "low"});
    // (method, path, body, status for the outsider, status for a plain member)
    let cases: Vec<(Method, String, Option<Value>, u16, u16)> = vec![
        (
            Method::POST,
            format!("/api/v1/teams/{team}/projects"),
            Some(json!({"name": "P"})),
            404,
            403,
        ),
        (
            Method::GET,
            format!("/api/v1/teams/{team}/projects"),
            None,
            404,
            200,
        ),
        (
            Method::GET,
            format!("/api/v1/projects/{project}"),
            None,
            404,
            200,
        ),
        (
            Method::PATCH,
            format!("/api/v1/projects/{project}"),
            Some(json!({"name": "x"})),
            404,
            403,
        ),
        (
            Method::DELETE,
            format!("/api/v1/projects/{project}"),
            None,
            404,
            403,
        ),
        (
            Method::GET,
            format!("/api/v1/projects/{project}/tasks"),
            None,
            404,
            200,
        ),
        (
            Method::GET,
            format!("/api/v1/projects/{project}/activity"),
            None,
            404,
            200,
        ),
        (Method::GET, format!("/api/v1/tasks/{task}"), None, 404, 200),
        (
            Method::PATCH,
            format!("/api/v1/tasks/{task}"),
            Some(patch_task),
            404,
            403,
        ),
        (
            Method::PUT,
            format!("/api/v1/tasks/{task}"),
            Some(put_task),
            404,
            403,
        ),
        (
            Method::DELETE,
            format!("/api/v1/tasks/{task}"),
            None,
            404,
            403,
        ),
        (
            Method::GET,
            format!("/api/v1/tasks/{task}/comments"),
            None,
            404,
            200,
        ),
        (
            Method::PATCH,
            format!("/api/v1/comments/{comment}"),
            Some(json!({"body": "x"})),
            404,
            403,
        ),
        (
            Method::DELETE,
            format!("/api/v1/comments/{comment}"),
            None,
            404,
            403,
        ),
        (
            Method::POST,
            format!("/api/v1/tasks/{task}/comments"),
            Some(json!({"body": "hi"})),
            404,
            201,
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{project}/tasks"),
            Some(json!({"title": "mine"})),
            404,
            201,
        ),
    ];
    for (method, path, body, as_outsider, as_member) in cases {
        let outsider_status = app
            .call(&outsider, method.clone(), &path, body.clone())
            .await
            .status()
            .as_u16();
        assert_eq!(outsider_status, as_outsider, "outsider {method} {path}");
        let member_status = app
            .call(&member, method.clone(), &path, body.clone())
            .await
            .status()
            .as_u16();
        assert_eq!(member_status, as_member, "member {method} {path}");
    }
    // And the denied writes changed nothing.
    let current: Value = app
        .call(&admin, Method::GET, &format!("/api/v1/tasks/{task}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            current["data"]["title"].as_str(),
            current["data"]["version"].as_i64()
        ),
        (Some("admin's task"), Some(1))
    );
}

/// A team with one user per role (and an outsider), each owning nothing but
/// what the admin made: a project, a task, a comment, a webhook, and a
/// member to change and remove. Built afresh for every route and role, so a
/// write one role is allowed cannot change what the next one sees.
struct Fixture {
    users: [(&'static str, opsflow_tests::TestUser); 4],
    ids: std::collections::HashMap<&'static str, String>,
}

async fn fixture(app: &opsflow_tests::TestApp) -> Fixture {
    let admin = app.user("admin").await;
    let manager = app.user("manager").await;
    let member = app.user("member").await;
    let outsider = app.user("outsider").await;
    let target = app.user("target").await;
    let team = app.team(&admin).await;
    app.add_member(&admin, &team, &manager, "manager").await;
    app.add_member(&admin, &team, &member, "member").await;
    app.add_member(&admin, &team, &target, "member").await;
    let project = app.project(&admin, &team).await;
    let task = app
        .task(&admin, &project, json!({"title": "admin's"}))
        .await;
    let task = task["id"].as_str().unwrap().to_owned();
    let id_of = |body: Value| body["data"]["id"].as_str().unwrap().to_owned();
    let comment = id_of(
        app.call(
            &admin,
            Method::POST,
            &format!("/api/v1/tasks/{task}/comments"),
            Some(json!({"body": "admin's"})),
        )
        .await
        .json()
        .await
        .unwrap(),
    );
    let webhook = id_of(
        app.call(
            &admin,
            Method::POST,
            &format!("/api/v1/teams/{team}/webhooks"),
            Some(json!({"url": "https://hooks.example.com/in", "events": ["task.created"]})),
        )
        .await
        .json()
        .await
        .unwrap(),
    );
    let ids = [
        ("team", team),
        ("project", project),
        ("task", task),
        ("comment", comment),
        ("webhook", webhook),
        ("target", target.id.clone()),
    ]
    .into_iter()
    .collect();
    Fixture {
        users: [
            ("outsider", outsider),
            ("member", member),
            ("manager", manager),
            ("admin", admin),
        ],
        ids,
    }
}

/// What a role must get, and what the body must then say.
fn check(role: &str, route: &str, status: u16, expected: u16, body: &Value) {
    assert_eq!(status, expected, "{role}: {route}: {body}");
    let code = body["code"].as_str();
    match expected {
        404 => assert_eq!(code, Some("not_found"), "{role}: {route}: {body}"),
        403 => assert_eq!(code, Some("forbidden"), "{role}: {route}: {body}"),
        204 => assert!(body.is_null(), "{role}: {route}: {body}"),
        _ => assert!(
            body["data"].is_object() || body["data"].is_array(),
            "{role}: {route}: {body}"
        ),
    }
}

/// Every team-scoped route × every role: outsiders 404 (existence hidden),
/// roles without the right 403 with the `forbidden` code, the rest served
/// with data. Statuses per role are outsider, member, manager, admin.
#[tokio::test]
async fn every_team_route_answers_each_role_as_the_role_table_says() {
    type Route = (Method, &'static str, Option<Value>, [u16; 4]);
    let routes: Vec<Route> = vec![
        (
            Method::GET,
            "/api/v1/teams/{team}",
            None,
            [404, 200, 200, 200],
        ),
        (
            Method::PATCH,
            "/api/v1/teams/{team}",
            Some(json!({"name": "Renamed"})),
            [404, 403, 403, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/teams/{team}",
            None,
            [404, 403, 403, 204],
        ),
        (
            Method::GET,
            "/api/v1/teams/{team}/members",
            None,
            [404, 200, 200, 200],
        ),
        (
            Method::PATCH,
            "/api/v1/teams/{team}/members/{target}",
            Some(json!({"role": "manager"})),
            [404, 403, 403, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/teams/{team}/members/{target}",
            None,
            [404, 403, 403, 204],
        ),
        (
            Method::POST,
            "/api/v1/teams/{team}/projects",
            Some(json!({"name": "P2"})),
            [404, 403, 201, 201],
        ),
        (
            Method::GET,
            "/api/v1/teams/{team}/projects",
            None,
            [404, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/projects/{project}",
            None,
            [404, 200, 200, 200],
        ),
        (
            Method::PATCH,
            "/api/v1/projects/{project}",
            Some(json!({"name": "P3"})),
            [404, 403, 200, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/projects/{project}",
            None,
            [404, 403, 403, 204],
        ),
        (
            Method::POST,
            "/api/v1/projects/{project}/tasks",
            Some(json!({"title": "t"})),
            [404, 201, 201, 201],
        ),
        (
            Method::GET,
            "/api/v1/projects/{project}/tasks",
            None,
            [404, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/projects/{project}/activity",
            None,
            [404, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/tasks/{task}",
            None,
            [404, 200, 200, 200],
        ),
        (
            Method::PATCH,
            "/api/v1/tasks/{task}",
            Some(json!({"version": 1, "title": "x"})),
            [404, 403, 200, 200],
        ),
        (
            Method::PUT,
            "/api/v1/tasks/{task}",
            Some(json!({"version": 1, "title": "x", "status": "todo", "priority": "low"})),
            [404, 403, 200, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/tasks/{task}",
            None,
            [404, 403, 204, 204],
        ),
        (
            Method::POST,
            "/api/v1/tasks/{task}/comments",
            Some(json!({"body": "hi"})),
            [404, 201, 201, 201],
        ),
        (
            Method::GET,
            "/api/v1/tasks/{task}/comments",
            None,
            [404, 200, 200, 200],
        ),
        (
            Method::PATCH,
            "/api/v1/comments/{comment}",
            Some(json!({"body": "x"})),
            [404, 403, 403, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/comments/{comment}",
            None,
            [404, 403, 403, 204],
        ),
        (
            Method::POST,
            "/api/v1/teams/{team}/webhooks",
            Some(json!({"url": "https://h2.example.com/", "events": ["task.created"]})),
            [404, 403, 403, 201],
        ),
        (
            Method::GET,
            "/api/v1/teams/{team}/webhooks",
            None,
            [404, 403, 403, 200],
        ),
        (
            Method::DELETE,
            "/api/v1/webhooks/{webhook}",
            None,
            [404, 403, 403, 204],
        ),
    ];
    // A hundred fresh teams register five hundred users: the address quota
    // is not what this test is about.
    let app = opsflow_tests::spawn_app_with(
        &[("OPSFLOW_RATE_LIMIT_ENABLED", "false")],
        std::future::pending(),
    )
    .await;
    for (method, pattern, body, expected) in routes {
        for (index, expected) in expected.into_iter().enumerate() {
            let fx = fixture(&app).await;
            let (role, user) = &fx.users[index];
            let mut path = pattern.to_owned();
            for (name, id) in &fx.ids {
                path = path.replace(&format!("{{{name}}}"), id);
            }
            let response = app.call(user, method.clone(), &path, body.clone()).await;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            check(
                role,
                &format!("{method} {pattern}"),
                status,
                expected,
                &answer,
            );
        }
    }
}

/// Notifications are each user's own: any user lists only theirs; marking
/// another user's notification read is 404, the owner's 204.
#[tokio::test]
async fn notifications_are_each_users_own_whatever_their_role() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let [.., (_, admin)] = &fx.users;
    let notification = uuid::Uuid::now_v7();
    app.database()
        .await
        .batch_execute(&format!(
            "INSERT INTO notifications (id, user_id, kind, message, dedupe_key)
             VALUES ('{notification}', '{}', 'task.due_soon', 'admin''s', 'sweep')",
            admin.id
        ))
        .await
        .unwrap();
    let read = format!("/api/v1/notifications/{notification}/read");
    for (role, user) in &fx.users {
        let list: Value = app
            .call(user, Method::GET, "/api/v1/notifications", None)
            .await
            .json()
            .await
            .unwrap();
        let own = usize::from(*role == "admin");
        assert_eq!(list["data"].as_array().unwrap().len(), own, "{role}");
        let status = app
            .call(user, Method::POST, &read, None)
            .await
            .status()
            .as_u16();
        assert_eq!(status, if *role == "admin" { 204 } else { 404 }, "{role}");
    }
}
