//! Conditional reads (contract → Conditional reads), through two api
//! processes sharing one PostgreSQL and one Redis: a task's `ETag` is its
//! version and a matching `If-None-Match` is a bodiless `304`; a list's weak
//! `ETag` is the same on every replica, cache on or off, moves with every
//! write and with the caller's view, and a matching one is answered with the
//! authorization statement alone. Every authenticated answer is private.

use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::{Method, Response};
use serde_json::json;

/// `GET path` as `user`, with `If-None-Match: held` when given.
async fn get(app: &TestApp, user: &TestUser, path: &str, held: Option<&str>) -> Response {
    let mut request = app
        .client
        .get(app.url(path))
        .bearer_auth(&user.access_token);
    if let Some(held) = held {
        request = request.header("If-None-Match", held);
    }
    request.send().await.unwrap()
}

fn header(response: &Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_owned()
}

/// The private-answer headers, then the body (empty for a 304).
async fn private_body(response: Response) -> String {
    assert_eq!(header(&response, "cache-control"), "private, no-cache");
    let vary = header(&response, "vary");
    let varies: Vec<&str> = vary.split(',').map(str::trim).collect();
    assert!(varies.starts_with(&["Authorization", "Cookie"]), "{vary}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_task_read_is_not_modified_while_its_version_holds() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = app.team(&ada).await;
    let project = app.project(&ada, &team).await;
    let task = app.task(&ada, &project, json!({"title": "Held"})).await;
    let path = format!("/api/v1/tasks/{}", task["id"].as_str().unwrap());

    let first = get(&app, &ada, &path, None).await;
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "etag"), "\"1\"");
    assert!(!private_body(first).await.is_empty());

    for held in ["\"1\"", "W/\"1\"", "\"9\", \"1\"", "*"] {
        let again = get(&app, &ada, &path, Some(held)).await;
        assert_eq!(again.status(), 304, "{held}");
        assert_eq!(header(&again, "etag"), "\"1\"");
        assert_eq!(private_body(again).await, "", "a 304 has no body");
    }

    let patched = app
        .call(
            &ada,
            Method::PATCH,
            &path,
            Some(json!({"version": 1, "title": "Moved"})),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let after = get(&app, &ada, &path, Some("\"1\"")).await;
    assert_eq!(after.status(), 200, "the held version is gone");
    assert_eq!(header(&after, "etag"), "\"2\"");
    assert!(after.text().await.unwrap().contains("Moved"));
}

#[tokio::test]
async fn holding_a_tag_reveals_nothing_to_an_outsider() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let eve = app.user("eve").await;
    let team = app.team(&ada).await;
    let project = app.project(&ada, &team).await;
    let task = app.task(&ada, &project, json!({"title": "Private"})).await;

    let read = get(
        &app,
        &eve,
        &format!("/api/v1/tasks/{}", task["id"].as_str().unwrap()),
        Some("*"),
    )
    .await;
    assert_eq!(read.status(), 404);
    let list = get(
        &app,
        &eve,
        &format!("/api/v1/projects/{project}/tasks"),
        Some("*"),
    )
    .await;
    assert_eq!(list.status(), 404);
    assert!(private_body(list).await.contains("not_found"));
}

/// The list's tag: one per (generation, normalized query, caller's view),
/// the same from a replica with the cache and one without.
#[tokio::test]
async fn a_list_tag_is_the_same_on_every_replica_and_moves_with_each_write() {
    let a = spawn_app().await;
    let uncached = a.replica(&[("OPSFLOW_CACHE_ENABLED", "false")]).await;
    let ada = a.user("ada").await;
    let team = a.team(&ada).await;
    let project = a.project(&ada, &team).await;
    a.task(
        &ada,
        &project,
        json!({"title": "One", "assignee_id": ada.id}),
    )
    .await;
    a.settled(&project).await;
    let path = format!("/api/v1/projects/{project}/tasks?status=todo");

    let first = get(&a, &ada, &path, None).await;
    assert_eq!(first.status(), 200);
    let tag = header(&first, "etag");
    assert!(tag.starts_with("W/\"") && tag.ends_with('"'), "{tag}");
    let page = private_body(first).await;

    let bypassed = get(&uncached, &ada, &path, None).await;
    assert_eq!(header(&bypassed, "x-cache"), "BYPASS");
    assert_eq!(header(&bypassed, "etag"), tag, "cache off: the same tag");
    assert_eq!(bypassed.text().await.unwrap(), page);
    for app in [&a, &uncached] {
        let held = get(app, &ada, &path, Some(&tag)).await;
        assert_eq!(held.status(), 304);
        assert_eq!(header(&held, "etag"), tag);
        assert_eq!(private_body(held).await, "");
    }
    // Another spelling of the same query holds; another query does not.
    let spelled = format!("/api/v1/projects/{project}/tasks?status=todo,todo&limit=20");
    assert_eq!(
        get(&uncached, &ada, &spelled, Some(&tag)).await.status(),
        304
    );
    let other = format!("/api/v1/projects/{project}/tasks?status=done");
    assert_eq!(get(&a, &ada, &other, Some(&tag)).await.status(), 200);

    // A write through one replica: the other answers the new page.
    a.task(&ada, &project, json!({"title": "Two"})).await;
    let moved = get(&uncached, &ada, &path, Some(&tag)).await;
    assert_eq!(moved.status(), 200);
    assert_ne!(header(&moved, "etag"), tag);
    assert!(moved.text().await.unwrap().contains("Two"));
}

#[tokio::test]
async fn assignee_me_gives_each_caller_their_own_tag() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let grace = app.user("grace").await;
    let team = app.team(&ada).await;
    app.add_member(&ada, &team, &grace, "member").await;
    let project = app.project(&ada, &team).await;
    app.task(
        &ada,
        &project,
        json!({"title": "Mine", "assignee_id": ada.id}),
    )
    .await;
    let path = format!("/api/v1/projects/{project}/tasks?assignee_id=me");

    let adas = header(&get(&app, &ada, &path, None).await, "etag");
    let graces = get(&app, &grace, &path, Some(&adas)).await;
    assert_eq!(graces.status(), 200, "ada's page is not grace's");
    assert_ne!(header(&graces, "etag"), adas);
}

/// A `304` list answer is decided after the authorization statement (which
/// returns the list generation) and reads nothing else: no page, no count.
#[tokio::test]
async fn a_not_modified_list_costs_only_the_authorization_statement() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = app.team(&ada).await;
    let project = app.project(&ada, &team).await;
    app.task(&ada, &project, json!({"title": "Counted"})).await;
    app.settled(&project).await;
    // Uncached answers read the page: a replica without the cache shows it.
    let uncached = app.replica(&[("OPSFLOW_CACHE_ENABLED", "false")]).await;
    let path = format!("/api/v1/projects/{project}/tasks");
    let tag = header(&get(&uncached, &ada, &path, None).await, "etag");

    uncached.statements.reset();
    assert_eq!(get(&uncached, &ada, &path, None).await.status(), 200);
    let full = uncached.statements.count();
    uncached.statements.reset();
    assert_eq!(get(&uncached, &ada, &path, Some(&tag)).await.status(), 304);
    let not_modified = uncached.statements.count();

    assert_eq!(not_modified, 1, "the authorization statement alone");
    assert!(full > not_modified, "a page costs more: {full}");
}
