use opsflow_tests::spawn_app;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn project_endpoints_follow_the_role_table() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let (manager, member, outsider) = (
        app.user("manager").await,
        app.user("member").await,
        app.user("outsider").await,
    );
    let team = app.team(&admin).await;
    app.add_member(&admin, &team, &manager, "manager").await;
    app.add_member(&admin, &team, &member, "member").await;
    let create = format!("/api/v1/teams/{team}/projects");

    assert_eq!(
        app.call(&member, Method::POST, &create, Some(json!({"name": "P"})))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.call(&outsider, Method::POST, &create, Some(json!({"name": "P"})))
            .await
            .status(),
        404
    );
    let created = app
        .call(
            &manager,
            Method::POST,
            &create,
            Some(json!({"name": " Launch ", "description": "Q4"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    assert_eq!(
        (
            body["data"]["name"].as_str(),
            body["data"]["description"].as_str()
        ),
        (Some("Launch"), Some("Q4"))
    );
    let id = body["data"]["id"].as_str().unwrap();
    let path = format!("/api/v1/projects/{id}");

    for (user, status) in [(&member, 200), (&outsider, 404)] {
        assert_eq!(
            app.call(user, Method::GET, &path, None).await.status(),
            status
        );
        assert_eq!(
            app.call(user, Method::GET, &create, None).await.status(),
            status
        );
    }
    assert_eq!(
        app.call(&member, Method::PATCH, &path, Some(json!({"name": "X"})))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.call(&outsider, Method::PATCH, &path, Some(json!({"name": "X"})))
            .await
            .status(),
        404
    );
    let cleared: Value = app
        .call(
            &manager,
            Method::PATCH,
            &path,
            Some(json!({"description": null})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            cleared["data"]["name"].as_str(),
            cleared["data"]["description"].clone()
        ),
        (Some("Launch"), Value::Null)
    );
    assert_eq!(
        app.call(&manager, Method::PATCH, &path, Some(json!({"name": ""})))
            .await
            .status(),
        400
    );
    assert_eq!(
        app.call(&manager, Method::DELETE, &path, None)
            .await
            .status(),
        403,
        "only admins delete projects"
    );
    assert_eq!(
        app.call(&admin, Method::DELETE, &path, None).await.status(),
        204
    );
    assert_eq!(
        app.call(&admin, Method::GET, &path, None).await.status(),
        404
    );
    let listed: Value = app
        .call(&admin, Method::GET, &create, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["meta"]["total"], 0);
}

#[tokio::test]
async fn project_lists_page_by_offset() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    for _ in 0..3 {
        app.project(&admin, &team).await;
    }

    let page: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/teams/{team}/projects?limit=2&offset=2"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            page["meta"]["total"].as_i64(),
            page["meta"]["offset"].as_i64()
        ),
        (Some(3), Some(2))
    );
    assert_eq!(
        app.call(
            &admin,
            Method::GET,
            &format!("/api/v1/teams/{team}/projects?limit=500"),
            None
        )
        .await
        .status(),
        400
    );
}
