use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;

async fn list(app: &TestApp, user: &TestUser, project: &str, query: &str) -> reqwest::Response {
    app.call(
        user,
        Method::GET,
        &format!("/api/v1/projects/{project}/tasks?{query}"),
        None,
    )
    .await
}

async fn titles(app: &TestApp, user: &TestUser, project: &str, query: &str) -> Vec<String> {
    let response = list(app, user, project, query).await;
    assert_eq!(response.status(), 200, "{query}");
    let body: Value = response.json().await.unwrap();
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_filter_narrows_the_list_and_counts_the_total() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let ada = app.user("ada").await;
    let team = app.team(&admin).await;
    app.add_member(&admin, &team, &ada, "member").await;
    let project = app.project(&admin, &team).await;
    app.task(&admin, &project, json!({"title": "Alpha report", "status": "todo", "priority": "low", "due_at": "2026-12-01T00:00:00Z"})).await;
    app.task(&admin, &project, json!({"title": "Beta launch", "status": "in_progress", "priority": "urgent", "assignee_id": ada.id, "due_at": "2026-12-10T00:00:00Z"})).await;
    app.task(&admin, &project, json!({"title": "Gamma REPORT", "status": "done", "priority": "high", "assignee_id": admin.id})).await;
    app.task(
        &ada,
        &project,
        json!({"title": "100%_literal", "status": "in_review", "assignee_id": ada.id}),
    )
    .await;

    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(titles(&app, &admin, &project, "status=todo,done").await),
        ["Alpha report", "Gamma REPORT"]
    );
    assert_eq!(
        titles(&app, &admin, &project, "priority=urgent").await,
        ["Beta launch"]
    );
    assert_eq!(
        sorted(titles(&app, &admin, &project, "priority=low,high").await),
        ["Alpha report", "Gamma REPORT"]
    );
    assert_eq!(
        sorted(titles(&app, &ada, &project, "assignee_id=me").await),
        ["100%_literal", "Beta launch"]
    );
    assert_eq!(
        titles(&app, &admin, &project, "assignee_id=none").await,
        ["Alpha report"]
    );
    assert_eq!(
        titles(&app, &admin, &project, &format!("assignee_id={}", admin.id)).await,
        ["Gamma REPORT"]
    );
    assert_eq!(
        titles(&app, &admin, &project, "due_before=2026-12-05T00:00:00Z").await,
        ["Alpha report"]
    );
    assert_eq!(
        titles(&app, &admin, &project, "due_after=2026-12-05T00:00:00Z").await,
        ["Beta launch"]
    );
    assert_eq!(
        sorted(titles(&app, &admin, &project, "q=report").await),
        ["Alpha report", "Gamma REPORT"]
    );
    assert_eq!(
        titles(&app, &admin, &project, "q=0%25_").await,
        ["100%_literal"],
        "% and _ match literally"
    );
    assert!(titles(&app, &admin, &project, "q=0%25x").await.is_empty());
    assert_eq!(
        titles(
            &app,
            &admin,
            &project,
            "status=todo,in_progress&priority=urgent&assignee_id=me"
        )
        .await,
        Vec::<String>::new()
    );

    let body: Value = list(&app, &admin, &project, "q=report&limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["meta"]["total"], 2,
        "total counts every match, not the page"
    );
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn every_sort_orders_with_ties_broken_by_id() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    app.task(
        &admin,
        &project,
        json!({"title": "b", "priority": "high", "due_at": "2026-12-02T00:00:00Z"}),
    )
    .await;
    app.task(&admin, &project, json!({"title": "a", "priority": "low"}))
        .await;
    app.task(
        &admin,
        &project,
        json!({"title": "c", "priority": "urgent", "due_at": "2026-12-01T00:00:00Z"}),
    )
    .await;

    assert_eq!(
        titles(&app, &admin, &project, "").await,
        ["c", "a", "b"],
        "default -created_at"
    );
    assert_eq!(
        titles(&app, &admin, &project, "sort=created_at").await,
        ["b", "a", "c"]
    );
    assert_eq!(
        titles(&app, &admin, &project, "sort=title").await,
        ["a", "b", "c"]
    );
    assert_eq!(
        titles(&app, &admin, &project, "sort=-title").await,
        ["c", "b", "a"]
    );
    assert_eq!(
        titles(&app, &admin, &project, "sort=priority").await,
        ["a", "b", "c"],
        "low < high < urgent, not alphabetical"
    );
    assert_eq!(
        titles(&app, &admin, &project, "sort=-priority").await,
        ["c", "b", "a"]
    );
    assert_eq!(
        titles(&app, &admin, &project, "sort=due_at").await,
        ["c", "b", "a"],
        "no due date sorts last"
    );
    assert_eq!(
        titles(&app, &admin, &project, "sort=-due_at").await,
        ["b", "c", "a"],
        "no due date sorts last descending too"
    );
    assert_eq!(
        titles(&app, &admin, &project, "sort=-updated_at").await,
        ["c", "a", "b"]
    );
}

#[tokio::test]
async fn invalid_list_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;

    for (query, field) in [
        ("status=blocked", "status"),
        ("status=todo,", "status"),
        ("priority=p1", "priority"),
        ("assignee_id=someone", "assignee_id"),
        ("due_before=yesterday", "due_before"),
        ("due_after=2026-13-01", "due_after"),
        ("sort=status", "sort"),
        ("sort=-", "sort"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=10001", "offset"),
        ("offset=-1", "offset"),
        ("cursor=nothex", "cursor"),
        ("cursor=00&offset=0", "cursor"),
    ] {
        let response = list(&app, &admin, &project, query).await;
        assert_eq!(response.status(), 400, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn offset_paging_and_a_cursor_from_another_sort_is_refused() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    app.seed_tasks(&project, &admin.id, 25).await;

    let first: Value = list(&app, &admin, &project, "limit=10")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            first["meta"]["total"].as_i64(),
            first["meta"]["limit"].as_i64(),
            first["meta"]["offset"].as_i64()
        ),
        (Some(25), Some(10), Some(0))
    );
    let third: Value = list(&app, &admin, &project, "limit=10&offset=20")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(third["data"].as_array().unwrap().len(), 5);
    assert_eq!(third["meta"]["next_cursor"], Value::Null);
    let cursor = first["meta"]["next_cursor"].as_str().unwrap();
    assert_eq!(
        list(
            &app,
            &admin,
            &project,
            &format!("cursor={cursor}&sort=title")
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        list(&app, &admin, &project, &format!("cursor={cursor}"))
            .await
            .status(),
        200
    );
}

/// The ids of every task in `project`, read straight from the database.
async fn seeded_ids(app: &TestApp, project: &str) -> HashSet<String> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let rows: Vec<Id> =
        diesel::sql_query("SELECT id::text AS id FROM tasks WHERE project_id = $1::uuid")
            .bind::<diesel::sql_types::Text, _>(project)
            .load(&mut app.database().await)
            .await
            .unwrap();
    rows.into_iter().map(|row| row.id).collect()
}

#[tokio::test]
async fn cursor_paging_walks_1000_tasks_without_duplicates_or_gaps_while_tasks_are_inserted() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    app.seed_tasks(&project, &admin.id, 1000).await;
    let seeded = seeded_ids(&app, &project).await;
    assert_eq!(seeded.len(), 1000);

    for sort in ["-created_at", "title", "-priority"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut inserted = 0;
        loop {
            let query = match &cursor {
                Some(c) => format!("limit=100&sort={sort}&cursor={c}"),
                None => format!("limit=100&sort={sort}"),
            };
            let page: Value = list(&app, &admin, &project, &query)
                .await
                .json()
                .await
                .unwrap();
            seen.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["id"].as_str().unwrap().to_owned()),
            );
            // A writer adds a task between every two pages.
            app.task(
                &admin,
                &project,
                json!({"title": format!("Inserted {sort} {inserted}"), "priority": "low"}),
            )
            .await;
            inserted += 1;
            match page["meta"]["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{sort}: no task twice");
        // No gap: every task that existed before the walk started is seen
        // (tasks inserted during the walk may or may not be, by design).
        let missing: Vec<&String> = seeded.iter().filter(|id| !unique.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "{sort}: {} seeded tasks never seen, e.g. {:?}",
            missing.len(),
            missing.first()
        );
    }
    let all: Value = list(&app, &admin, &project, "limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert!(all["meta"]["total"].as_i64().unwrap() > 1000);
}

#[tokio::test]
async fn the_list_carries_comment_counts_and_the_cache_header() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    let task = app
        .task(&admin, &project, json!({"title": "discussed"}))
        .await;
    let id = task["id"].as_str().unwrap();
    for body in ["one", "two", "three"] {
        app.call(
            &admin,
            Method::POST,
            &format!("/api/v1/tasks/{id}/comments"),
            Some(json!({"body": body})),
        )
        .await;
    }
    app.settled(&project).await;

    let response = list(&app, &admin, &project, "").await;

    assert_eq!(response.headers()["x-cache"], "MISS");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"][0]["comment_count"], 3);
    let again = list(&app, &admin, &project, "").await;
    assert_eq!(again.headers()["x-cache"], "HIT");
    assert_eq!(again.json::<Value>().await.unwrap(), body);
}
