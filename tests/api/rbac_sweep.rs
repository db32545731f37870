//! 403 vs 404 on every work-item endpoint: outsiders never learn that a
//! resource exists (404); members are refused what their role does not allow
//! (403) and allowed the rest.

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
