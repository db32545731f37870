use opsflow_tests::spawn_app;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn comments_are_listed_oldest_first_with_their_author_and_follow_the_policy() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let (ada, bob, outsider) = (
        app.user("ada").await,
        app.user("bob").await,
        app.user("outsider").await,
    );
    let team = app.team(&admin).await;
    app.add_member(&admin, &team, &ada, "member").await;
    app.add_member(&admin, &team, &bob, "manager").await;
    let project = app.project(&admin, &team).await;
    let task = app.task(&admin, &project, json!({"title": "T"})).await;
    let comments = format!("/api/v1/tasks/{}/comments", task["id"].as_str().unwrap());

    let first = app
        .call(
            &ada,
            Method::POST,
            &comments,
            Some(json!({"body": "first"})),
        )
        .await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(
        first["data"]["author"],
        json!({"id": ada.id, "name": "ada"})
    );
    app.call(
        &bob,
        Method::POST,
        &comments,
        Some(json!({"body": "second"})),
    )
    .await;
    let id = first["data"]["id"].as_str().unwrap();

    let listed: Value = app
        .call(&admin, Method::GET, &comments, None)
        .await
        .json()
        .await
        .unwrap();
    let bodies: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["first", "second"]);
    assert_eq!(listed["data"][1]["author"]["name"], "bob");
    assert_eq!(listed["meta"]["total"], 2);

    assert_eq!(
        app.call(&outsider, Method::GET, &comments, None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.call(
            &outsider,
            Method::POST,
            &comments,
            Some(json!({"body": "x"}))
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.call(&ada, Method::POST, &comments, Some(json!({"body": "   "})))
            .await
            .status(),
        400
    );
    // Only the author edits; the author or an admin deletes (not a manager).
    assert_eq!(
        app.call(
            &bob,
            Method::PATCH,
            &format!("/api/v1/comments/{id}"),
            Some(json!({"body": "hijack"}))
        )
        .await
        .status(),
        403
    );
    let edited = app
        .call(
            &ada,
            Method::PATCH,
            &format!("/api/v1/comments/{id}"),
            Some(json!({"body": "edited"})),
        )
        .await;
    assert_eq!(edited.status(), 200);
    assert_eq!(
        app.call(
            &bob,
            Method::DELETE,
            &format!("/api/v1/comments/{id}"),
            None
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        app.call(
            &admin,
            Method::DELETE,
            &format!("/api/v1/comments/{id}"),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.call(
            &ada,
            Method::PATCH,
            &format!("/api/v1/comments/{id}"),
            Some(json!({"body": "again"}))
        )
        .await
        .status(),
        404
    );
    let listed: Value = app
        .call(&admin, Method::GET, &comments, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["meta"]["total"], 1);
}

#[tokio::test]
async fn the_activity_feed_records_every_write_newest_first_with_changes() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    let task = app
        .task(&admin, &project, json!({"title": "Old title"}))
        .await;
    let id = task["id"].as_str().unwrap();
    app.call(
        &admin,
        Method::PATCH,
        &format!("/api/v1/tasks/{id}"),
        Some(json!({"version": 1, "title": "New title", "priority": "high"})),
    )
    .await;
    let comment: Value = app
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/tasks/{id}/comments"),
            Some(json!({"body": "hi"})),
        )
        .await
        .json()
        .await
        .unwrap();
    app.call(
        &admin,
        Method::DELETE,
        &format!(
            "/api/v1/comments/{}",
            comment["data"]["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    app.call(
        &admin,
        Method::PATCH,
        &format!("/api/v1/projects/{project}"),
        Some(json!({"name": "Renamed"})),
    )
    .await;
    app.call(&admin, Method::DELETE, &format!("/api/v1/tasks/{id}"), None)
        .await;

    let feed: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}/activity"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();

    let actions: Vec<&str> = feed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "task.deleted",
            "project.updated",
            "comment.deleted",
            "comment.created",
            "task.updated",
            "task.created",
            "project.created"
        ]
    );
    let update = &feed["data"][4];
    assert_eq!(
        update["changes"],
        json!({"title": {"from": "Old title", "to": "New title"}, "priority": {"from": "medium", "to": "high"}})
    );
    assert_eq!(
        (update["entity_type"].as_str(), update["entity_id"].as_str()),
        (Some("task"), Some(id))
    );
    assert_eq!(update["actor"], json!({"id": admin.id, "name": "admin"}));
    assert_eq!(feed["data"][1]["changes"]["name"]["to"], "Renamed");
    assert_eq!(feed["meta"]["total"], 7);

    let outsider = app.user("outsider").await;
    assert_eq!(
        app.call(
            &outsider,
            Method::GET,
            &format!("/api/v1/projects/{project}/activity"),
            None
        )
        .await
        .status(),
        404
    );
}
