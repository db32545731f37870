//! `meta.total` of the task list: exact from kept counters for the unfiltered
//! list and a status filter, whatever writes happened; capped (and said so)
//! for other filter combinations past 10,000 matches.

use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};

async fn meta(app: &TestApp, user: &TestUser, project: &str, query: &str) -> Value {
    let body: Value = app
        .call(
            user,
            Method::GET,
            &format!("/api/v1/projects/{project}/tasks?limit=1{query}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    body["meta"].clone()
}

#[tokio::test]
async fn kept_totals_stay_exact_through_every_kind_of_write() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let project = app.project(&user, &team).await;
    let other = app.project(&user, &team).await;
    // Bulk SQL writes keep the counters too (they live in the database).
    app.seed_tasks(&project, &user.id, 40).await; // 10 of each status
    app.seed_tasks(&other, &user.id, 8).await;
    let task = app.task(&user, &project, json!({"title": "Mine"})).await;
    let id = task["id"].as_str().unwrap();

    assert_eq!(meta(&app, &user, &project, "").await["total"], 41);
    assert_eq!(
        meta(&app, &user, &project, "&status=todo").await["total"],
        11
    );
    assert_eq!(
        meta(&app, &user, &project, "&status=todo,done").await["total"],
        21
    );

    let moved = app
        .call(
            &user,
            Method::PATCH,
            &format!("/api/v1/tasks/{id}"),
            Some(json!({"version": 1, "status": "done"})),
        )
        .await;
    assert_eq!(moved.status(), 200);
    assert_eq!(
        meta(&app, &user, &project, "&status=todo").await["total"],
        10
    );
    assert_eq!(
        meta(&app, &user, &project, "&status=done").await["total"],
        11
    );

    let renamed = app
        .call(
            &user,
            Method::PATCH,
            &format!("/api/v1/tasks/{id}"),
            Some(json!({"version": 2, "title": "Renamed"})),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    let deleted = app
        .call(&user, Method::DELETE, &format!("/api/v1/tasks/{id}"), None)
        .await;
    assert_eq!(deleted.status(), 204);
    let all = meta(&app, &user, &project, "").await;
    assert_eq!(all["total"], 40);
    assert!(
        all.get("total_capped").is_none(),
        "exact totals say nothing: {all}"
    );
    assert_eq!(meta(&app, &user, &other, "").await["total"], 8);
}

#[tokio::test]
async fn unusual_filters_count_up_to_the_cap_and_say_so() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let project = app.project(&user, &team).await;
    app.seed_tasks(&project, &user.id, 10_040).await;

    let unfiltered = meta(&app, &user, &project, "").await;
    assert_eq!(unfiltered["total"], 10_040, "never capped: {unfiltered}");
    assert!(unfiltered.get("total_capped").is_none());

    // Every seeded title matches: 10,040 matches, counted up to 10,000.
    let searched = meta(&app, &user, &project, "&q=seeded").await;
    assert_eq!(searched["total"], 10_000);
    assert_eq!(searched["total_capped"], true);

    // Under the cap, the same kind of filter is exact.
    let few = meta(&app, &user, &project, "&q=task%2010039").await;
    assert_eq!(few["total"], 1);
    assert!(few.get("total_capped").is_none());
}
