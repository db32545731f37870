//! The task-list cache, through two api processes sharing one PostgreSQL and
//! one Redis: HIT/MISS/BYPASS, one key per normalized query, and never a
//! stale read after a completed write — on the other replica, with a slow
//! reader's fill landing after the write, and across a Redis pause.

use diesel_async::RunQueryDsl;
use opsflow_tests::{spawn_app, spawn_app_with, TcpProxy, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};

struct Replicas {
    a: TestApp,
    b: TestApp,
    admin: TestUser,
    project: String,
}

async fn replicas() -> Replicas {
    let a = spawn_app().await;
    let b = a.replica(&[]).await;
    let admin = a.user("admin").await;
    let team = a.team(&admin).await;
    let project = a.project(&admin, &team).await;
    Replicas {
        a,
        b,
        admin,
        project,
    }
}

/// `(X-Cache, body)` of a list.
async fn list(app: &TestApp, user: &TestUser, project: &str, query: &str) -> (String, Value) {
    let response = app
        .call(
            user,
            Method::GET,
            &format!("/api/v1/projects/{project}/tasks?{query}"),
            None,
        )
        .await;
    assert_eq!(response.status(), 200, "{query}");
    let cache = response.headers()["x-cache"].to_str().unwrap().to_owned();
    (cache, response.json().await.unwrap())
}

fn titles(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| task["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_repeated_list_is_a_hit_on_any_replica_and_spelling_does_not_matter() {
    let Replicas {
        a,
        b,
        admin,
        project,
    } = replicas().await;
    a.task(&admin, &project, json!({"title": "One", "status": "todo"}))
        .await;
    a.settled(&project).await;

    let (first, body) = list(&a, &admin, &project, "status=todo,done").await;
    let (second, again) = list(&b, &admin, &project, "status=todo,done").await;
    // Other order, a repeated value, defaults spelled out: the same entry.
    let (third, spelled) = list(
        &b,
        &admin,
        &project,
        "limit=20&status=done,todo,todo&sort=-created_at&offset=0",
    )
    .await;

    assert_eq!(
        (first.as_str(), second.as_str(), third.as_str()),
        ("MISS", "HIT", "HIT")
    );
    assert_eq!(body, again);
    assert_eq!(body, spelled);
    assert_eq!(
        list(&a, &admin, &project, "status=todo").await.0,
        "MISS",
        "another query"
    );
}

#[tokio::test]
async fn assignee_me_is_each_callers_own_page() {
    let Replicas {
        a,
        b,
        admin,
        project,
    } = replicas().await;
    let team: String = a
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}"),
            None,
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["data"]["team_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let grace = a.user("grace").await;
    a.add_member(&admin, &team, &grace, "member").await;
    a.task(
        &admin,
        &project,
        json!({"title": "Mine", "assignee_id": admin.id}),
    )
    .await;

    let (_, mine) = list(&a, &admin, &project, "assignee_id=me").await;
    let (cache, theirs) = list(&b, &grace, &project, "assignee_id=me").await;

    assert_eq!(titles(&mine), ["Mine"]);
    assert_eq!(cache, "MISS", "grace's `me` is not admin's key");
    assert!(titles(&theirs).is_empty());
}

#[tokio::test]
async fn every_write_on_one_replica_is_seen_by_the_next_read_on_the_other() {
    let Replicas {
        a,
        b,
        admin,
        project,
    } = replicas().await;
    let warm = |expected: &'static str| {
        let (b, admin, project) = (&b, &admin, &project);
        async move {
            b.settled(project).await;
            let (cache, body) = list(b, admin, project, "").await;
            assert_eq!(cache, "MISS", "after {expected}: a new generation");
            assert_eq!(list(b, admin, project, "").await.0, "HIT");
            body
        }
    };
    warm("nothing").await;

    let task = a.task(&admin, &project, json!({"title": "Created"})).await;
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(titles(&warm("create").await), ["Created"]);

    let patched = a
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/tasks/{id}"),
            Some(json!({"title": "Renamed", "version": 1})),
        )
        .await;
    assert_eq!(patched.status(), 200);
    assert_eq!(titles(&warm("update").await), ["Renamed"]);

    let comment: Value = a
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/tasks/{id}/comments"),
            Some(json!({"body": "counted"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(warm("comment create").await["data"][0]["comment_count"], 1);

    let comment_id = comment["data"]["id"].as_str().unwrap();
    let deleted = a
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/v1/comments/{comment_id}"),
            None,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(warm("comment delete").await["data"][0]["comment_count"], 0);

    let deleted = a
        .call(&admin, Method::DELETE, &format!("/api/v1/tasks/{id}"), None)
        .await;
    assert_eq!(deleted.status(), 204);
    assert!(titles(&warm("task delete").await).is_empty());

    let gone = a
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/v1/projects/{project}"),
            None,
        )
        .await;
    assert_eq!(gone.status(), 204);
    let after = b
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}/tasks"),
            None,
        )
        .await;
    assert_eq!(after.status(), 404, "authorization runs before the cache");
}

/// The generation comes from the activity log's writing transactions, which
/// do not commit in the order they started. Writer 1 takes its transaction
/// id first and commits last; writer 2 commits in between. Each commit must
/// still change the generation: writer 2's while writer 1 holds the horizon
/// back (the count above it), writer 1's although a newer transaction was
/// seen before it (the newest below it, not the newest seen).
#[tokio::test]
async fn writes_committing_out_of_transaction_order_each_change_the_list() {
    let Replicas {
        a,
        b,
        admin,
        project,
    } = replicas().await;
    let task = a.task(&admin, &project, json!({"title": "Early"})).await;
    let id = task["id"].as_str().unwrap();
    // From here the horizon only passes writer 1's transaction when it ends.
    a.settled(&project).await;
    let seen = |expected: &'static [&'static str], moment: &'static str| {
        let (b, admin, project) = (&b, &admin, &project);
        async move {
            let (cache, body) = list(b, admin, project, "").await;
            assert_eq!(cache, "MISS", "{moment}: a new generation");
            assert_eq!(titles(&body), expected, "{moment}");
            assert_eq!(list(b, admin, project, "").await.0, "HIT", "{moment}");
        }
    };
    seen(&["Early"], "before").await;

    // Writer 1: a task update and its activity entry, as the write path
    // stores them, in a transaction left open.
    let mut first = a.database().await;
    for statement in [
        "BEGIN".to_owned(),
        format!("UPDATE tasks SET title = 'Late', version = version + 1 WHERE id = '{id}'"),
        format!(
            "INSERT INTO activity_logs (id, project_id, actor_id, action, entity_type, entity_id)
             VALUES ('{}', '{project}', '{}', 'task.updated', 'task', '{id}')",
            uuid::Uuid::now_v7(),
            admin.id
        ),
    ] {
        diesel::sql_query(statement)
            .execute(&mut first)
            .await
            .unwrap();
    }
    // Uncommitted: not seen (the generation may still move, when the
    // horizon passes the create: a spurious miss, never a stale page).
    let (_, body) = list(&b, &admin, &project, "").await;
    assert_eq!(titles(&body), ["Early"]);
    // Writer 2, through the api: a later transaction, committed first.
    a.task(&admin, &project, json!({"title": "Meanwhile"}))
        .await;
    seen(&["Meanwhile", "Early"], "writer 2 committed").await;
    diesel::sql_query("COMMIT")
        .execute(&mut first)
        .await
        .unwrap();
    a.settled(&project).await;
    seen(&["Meanwhile", "Late"], "writer 1 committed").await;
}

#[tokio::test]
async fn a_slow_readers_fill_landing_after_a_write_is_never_read() {
    let a = spawn_app().await;
    let (proxy, redis_url) = TcpProxy::to_redis().await;
    // Replica B reaches Redis through the proxy, with a timeout long enough
    // to stay inside its request while the test writes.
    let b = a
        .replica(&[
            ("REDIS_URL", redis_url.as_str()),
            ("OPSFLOW_REDIS_TIMEOUT_MS", "10000"),
        ])
        .await;
    let admin = a.user("admin").await;
    let team = a.team(&admin).await;
    let project = a.project(&admin, &team).await;
    a.task(&admin, &project, json!({"title": "Before"})).await;

    // B reads the page from PostgreSQL, then stops right before its SET.
    proxy.pause_when_sent(b"\r\nSET\r\n");
    let slow = tokio::spawn({
        let (b_url, token) = (
            b.url(&format!("/api/v1/projects/{project}/tasks")),
            admin.access_token.clone(),
        );
        let client = b.client.clone();
        async move { client.get(b_url).bearer_auth(token).send().await.unwrap() }
    });
    proxy.sprung().await;
    // The write completes on A while B holds the pre-write page.
    a.task(&admin, &project, json!({"title": "After"})).await;
    // B's fill now lands, after the write.
    proxy.restore();
    let slow = slow.await.unwrap();
    assert_eq!(slow.headers()["x-cache"], "MISS");
    assert_eq!(titles(&slow.json().await.unwrap()), ["Before"]);

    for app in [&a, &b] {
        let (_, body) = list(app, &admin, &project, "").await;
        assert_eq!(
            titles(&body),
            ["After", "Before"],
            "the late fill is never read"
        );
    }
}

#[tokio::test]
async fn a_write_during_a_redis_pause_is_seen_after_redis_returns() {
    let (proxy, redis_url) = TcpProxy::to_redis().await;
    let app = spawn_app_with(
        &[
            ("REDIS_URL", redis_url.as_str()),
            ("OPSFLOW_REDIS_TIMEOUT_MS", "100"),
            ("OPSFLOW_REDIS_BREAKER_MS", "20"),
        ],
        std::future::pending(),
    )
    .await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    app.task(&admin, &project, json!({"title": "Old"})).await;
    app.settled(&project).await;
    list(&app, &admin, &project, "").await;
    assert_eq!(list(&app, &admin, &project, "").await.0, "HIT");

    proxy.pause();
    app.task(&admin, &project, json!({"title": "New"})).await;
    let (cache, during) = list(&app, &admin, &project, "").await;
    assert_eq!(
        cache, "BYPASS",
        "answered from PostgreSQL while Redis is paused"
    );
    assert_eq!(titles(&during), ["New", "Old"]);
    proxy.restore();

    // The old entry survived the pause in Redis; it is never read again.
    // Bounded polling for the breaker's probe, not a fixed sleep.
    let mut seen = Vec::new();
    for _ in 0..100 {
        let (cache, body) = list(&app, &admin, &project, "").await;
        assert_eq!(titles(&body), ["New", "Old"], "{cache}");
        seen.push(cache.clone());
        if cache == "HIT" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        seen.last().map(String::as_str),
        Some("HIT"),
        "the cache resumes: {seen:?}"
    );
}

#[tokio::test]
async fn a_disabled_cache_bypasses() {
    let app = spawn_app_with(
        &[("OPSFLOW_CACHE_ENABLED", "false")],
        std::future::pending(),
    )
    .await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    for _ in 0..2 {
        assert_eq!(list(&app, &admin, &project, "").await.0, "BYPASS");
    }
}
