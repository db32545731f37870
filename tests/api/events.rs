//! Live events (contract → Live events), through two api processes sharing
//! one PostgreSQL: a stream on one replica hears writes through the other,
//! in the activity log's order, each once; it resumes with `Last-Event-ID`
//! on either replica with no gap and no duplicate; it ends with `revoked`
//! or `deleted`; caps, keep-alives, a malformed resume point; and the
//! interleaving that entry ids alone would get wrong.

use diesel_async::RunQueryDsl;
use opsflow_tests::{FrameExt, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Instant;

struct Setup {
    a: TestApp,
    b: TestApp,
    admin: TestUser,
    team: String,
    project: String,
}

async fn setup(overrides: &[(&str, &str)]) -> Setup {
    let a = opsflow_tests::spawn_app_with(overrides, std::future::pending()).await;
    // Two replicas of one deployment: the same configuration.
    let b = a.replica(overrides).await;
    let admin = a.user("admin").await;
    let team = a.team(&admin).await;
    let project = a.project(&admin, &team).await;
    Setup {
        a,
        b,
        admin,
        team,
        project,
    }
}

/// The project's activity ids, oldest first, as the log lists them.
async fn logged_ids(app: &TestApp, user: &TestUser, project: &str) -> Vec<String> {
    let page: Value = app
        .call(
            user,
            Method::GET,
            &format!("/api/v1/projects/{project}/activity?limit=100"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let mut ids: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap().to_owned())
        .collect();
    ids.reverse();
    ids
}

async fn patch_title(app: &TestApp, user: &TestUser, task: &str, version: i64, title: &str) {
    let response = app
        .call(
            user,
            Method::PATCH,
            &format!("/api/v1/tasks/{task}"),
            Some(json!({"version": version, "title": title})),
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_stream_on_one_replica_hears_the_others_writes_in_log_order() {
    let Setup {
        a,
        b,
        admin,
        project,
        ..
    } = setup(&[]).await;
    let mut stream = b.events(&admin, &project, None).await;
    let first = stream.frame().await.unwrap();
    assert_eq!(first.retry, Some(2000), "retry: first");

    let task = a.task(&admin, &project, json!({"title": "Streamed"})).await;
    let id = task["id"].as_str().unwrap().to_owned();
    patch_title(&a, &admin, &id, 1, "Renamed").await;
    let comment = a
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/tasks/{id}/comments"),
            Some(json!({"body": "heard"})),
        )
        .await;
    assert_eq!(comment.status(), 201);

    let mut frames = Vec::new();
    for _ in 0..3 {
        frames.push(stream.event().await.expect("an event"));
    }
    let names: Vec<&str> = frames.iter().map(|f| f.name()).collect();
    assert_eq!(names, ["task.created", "task.updated", "comment.created"]);
    let ids: Vec<String> = frames.iter().map(|f| f.id.clone().unwrap()).collect();
    assert_eq!(
        ids,
        logged_ids(&a, &admin, &project).await[1..],
        "after project.created"
    );
    let updated = frames[1].json();
    assert_eq!(
        updated["id"],
        ids[1].as_str(),
        "data is the entry as the log shows it"
    );
    assert_eq!(
        updated["changes"]["title"],
        json!({"from": "Streamed", "to": "Renamed"})
    );
    assert_eq!(updated["actor"]["id"], admin.id.as_str());
}

/// The cross-replica wake-up is a notification, not the poll: with both
/// replicas polling once a minute, a write through one reaches a stream on
/// the other within a second (the writer's announcer notifies after commit;
/// the other's listener wakes its reader). A write made before the
/// listener has connected is only heard at the next poll, so each attempt
/// writes again: the first heard brings every earlier one with it.
#[tokio::test]
async fn the_other_replica_is_woken_by_a_notification_not_its_poll() {
    const SLOW_POLL: (&str, &str) = ("OPSFLOW_EVENTS_POLL_MS", "60000");
    let a = opsflow_tests::spawn_app_with(&[SLOW_POLL], std::future::pending()).await;
    let b = a.replica(&[SLOW_POLL]).await;
    let admin = a.user("admin").await;
    let team = a.team(&admin).await;
    let project = a.project(&admin, &team).await;
    let mut stream = b.events(&admin, &project, None).await;
    assert!(stream.frame().await.unwrap().retry.is_some());

    let mut written = 0;
    let heard = loop {
        assert!(written < 10, "no write through a woke b's reader");
        a.task(
            &admin,
            &project,
            json!({"title": format!("Woken {written}")}),
        )
        .await;
        written += 1;
        let wait = std::time::Duration::from_secs(1);
        if let Ok(event) = tokio::time::timeout(wait, stream.event()).await {
            break event.expect("an event");
        }
    };
    assert_eq!(heard.name(), "task.created");
}

#[tokio::test]
async fn a_resume_on_the_other_replica_has_no_gap_and_no_duplicate() {
    let Setup {
        a,
        b,
        admin,
        project,
        ..
    } = setup(&[]).await;
    let mut stream = a.events(&admin, &project, None).await;
    for title in ["One", "Two"] {
        a.task(&admin, &project, json!({ "title": title })).await;
    }
    stream.event().await.unwrap();
    let second = stream.event().await.unwrap().id.unwrap();
    drop(stream);
    for title in ["Three", "Four"] {
        a.task(&admin, &project, json!({ "title": title })).await;
    }

    let mut resumed = b.events(&admin, &project, Some(&second)).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        ids.push(resumed.event().await.unwrap().id.unwrap());
    }
    b.task(&admin, &project, json!({"title": "Five"})).await;
    ids.push(resumed.event().await.unwrap().id.unwrap());

    let logged = logged_ids(&a, &admin, &project).await;
    assert_eq!(
        ids,
        logged[3..],
        "three, four, then five live; nothing twice"
    );

    // The query parameter works like the header.
    let response = a
        .client
        .get(a.url(&format!(
            "/api/v1/projects/{project}/events?last_event_id={}",
            logged[4]
        )))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    let mut by_query = opsflow_tests::EventStream::new(response);
    assert_eq!(
        by_query.event().await.unwrap().id.as_ref(),
        Some(&logged[5])
    );
}

#[tokio::test]
async fn an_unknown_or_malformed_resume_point_is_a_reset() {
    let Setup {
        a, admin, project, ..
    } = setup(&[]).await;
    let other = a.project(&admin, &a.team(&admin).await).await;
    let elsewhere = logged_ids(&a, &admin, &other).await[0].clone();

    let unknown = uuid::Uuid::now_v7().to_string();
    for last in [unknown.as_str(), elsewhere.as_str(), "not-an-id", "null"] {
        let mut stream = a.events(&admin, &project, Some(last)).await;
        assert_eq!(stream.event().await.unwrap().name(), "reset", "{last}");
        a.task(&admin, &project, json!({"title": "After"})).await;
        assert_eq!(stream.event().await.unwrap().name(), "task.created");
    }
}

#[tokio::test]
async fn a_removed_member_is_revoked_and_an_outsider_never_connects() {
    let Setup {
        a,
        b,
        admin,
        team,
        project,
    } = setup(&[]).await;
    let member = a.user("member").await;
    let outsider = a.user("outsider").await;
    a.add_member(&admin, &team, &member, "member").await;
    assert_eq!(a.open_events(&outsider, &project, None).await.status(), 404);

    let mut stream = b.events(&member, &project, None).await;
    let mut kept = b.events(&admin, &project, None).await;
    let removed = a
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/v1/teams/{team}/members/{}", member.id),
            None,
        )
        .await;
    assert_eq!(removed.status(), 204);
    assert_eq!(stream.event().await.unwrap().name(), "revoked");
    assert!(stream.event().await.is_none(), "the stream ends");

    a.task(&admin, &project, json!({"title": "Still heard"}))
        .await;
    assert_eq!(kept.event().await.unwrap().name(), "task.created");
}

#[tokio::test]
async fn a_deleted_project_ends_its_streams_with_deleted() {
    let Setup {
        a,
        b,
        admin,
        project,
        ..
    } = setup(&[]).await;
    let mut stream = b.events(&admin, &project, None).await;
    let deleted = a
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/v1/projects/{project}"),
            None,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(stream.names(2).await, ["project.deleted", "deleted"]);
    assert!(stream.event().await.is_none());
}

#[tokio::test]
async fn streams_are_capped_per_user_and_per_process() {
    let Setup {
        a, admin, project, ..
    } = setup(&[
        ("OPSFLOW_EVENTS_MAX_STREAMS_PER_USER", "2"),
        ("OPSFLOW_EVENTS_MAX_STREAMS", "3"),
        // A closed connection is noticed at the next write.
        ("OPSFLOW_EVENTS_KEEP_ALIVE_SECS", "1"),
    ])
    .await;
    let other = a.user("other").await;
    let team = a.team(&other).await;
    let theirs = a.project(&other, &team).await;

    let first = a.events(&admin, &project, None).await;
    let _second = a.events(&admin, &project, None).await;
    let third = a.open_events(&admin, &project, None).await;
    assert_eq!(third.status(), 429);
    let body: Value = third.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");

    let _theirs = a.events(&other, &theirs, None).await;
    let full = a.open_events(&other, &theirs, None).await;
    assert_eq!(full.status(), 503, "the process holds 3");

    drop(first);
    let _freed = open_once_freed(&a, &admin, &project).await;
}

/// Opens `user`'s stream on `app` until it is admitted (bounded wait, not a
/// sleep): a closed stream's place is freed once the server notices the
/// close, at its next write (a keep-alive at the latest).
async fn open_once_freed(app: &TestApp, user: &TestUser, project: &str) -> reqwest::Response {
    let deadline = Instant::now() + opsflow_tests::FRAME_WAIT;
    loop {
        let response = app.open_events(user, project, None).await;
        if response.status() == 200 {
            return response;
        }
        assert_eq!(response.status(), 429);
        assert!(Instant::now() < deadline, "the place was never freed");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn the_per_user_cap_counts_the_streams_of_every_replica() {
    let Setup {
        a,
        b,
        admin,
        project,
        ..
    } = setup(&[
        ("OPSFLOW_EVENTS_MAX_STREAMS_PER_USER", "2"),
        ("OPSFLOW_EVENTS_KEEP_ALIVE_SECS", "1"),
        // Heartbeats (which also set the counts right) far apart: what
        // frees the seat below is the stream's own release.
        ("OPSFLOW_EVENTS_SEAT_LEASE_SECS", "300"),
    ])
    .await;
    let on_a = a.events(&admin, &project, None).await;
    let _on_b = b.events(&admin, &project, None).await;
    // Each replica holds one of the user's streams: its own count alone
    // would admit a second.
    for replica in [&a, &b] {
        let refused = replica.open_events(&admin, &project, None).await;
        assert_eq!(
            refused.status(),
            429,
            "the cap is the user's, not a replica's"
        );
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["code"], "rate_limited");
    }
    // Another user is not counted against this one.
    let other = a.user("other").await;
    let team = a.team(&other).await;
    let theirs = a.project(&other, &team).await;
    assert_eq!(b.open_events(&other, &theirs, None).await.status(), 200);

    // A stream closed on one replica frees its seat for the other.
    drop(on_a);
    let _freed = open_once_freed(&b, &admin, &project).await;
}

#[tokio::test]
async fn with_redis_cut_streams_open_on_each_replicas_own_count() {
    let (proxy, redis_url) = opsflow_tests::TcpProxy::to_redis().await;
    let Setup {
        a, admin, project, ..
    } = setup(&[
        ("REDIS_URL", redis_url.as_str()),
        ("OPSFLOW_REDIS_TIMEOUT_MS", "100"),
        ("OPSFLOW_REDIS_BREAKER_MS", "50"),
        ("OPSFLOW_EVENTS_MAX_STREAMS_PER_USER", "2"),
        ("OPSFLOW_EVENTS_SEAT_LEASE_SECS", "1"),
    ])
    .await;
    proxy.cut();
    // Losing Redis must not stop streams: admitted on the process's count,
    // which still caps the user.
    let _first = a.events(&admin, &project, None).await;
    let _second = a.events(&admin, &project, None).await;
    let refused = a.open_events(&admin, &project, None).await;
    assert_eq!(refused.status(), 429);

    // Redis back: the next heartbeats count the streams admitted without it
    // (bounded wait for a beat, not a sleep).
    proxy.restore();
    let (store, deadline) = (a.redis_store(), Instant::now() + opsflow_tests::FRAME_WAIT);
    while shared_count(&store, &admin.id).await != 2 {
        assert!(
            Instant::now() < deadline,
            "the streams admitted without Redis were never counted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `user`'s streams in the shared count, over every replica (Redis being
/// unreachable reads as none).
async fn shared_count(store: &adapters_redis::RedisStore, user: &str) -> i64 {
    let key = store.key(&format!("stream-seats:{user}"));
    store
        .run(|mut connection| async move {
            let counts: Vec<i64> = deadpool_redis::redis::cmd("HVALS")
                .arg(&key)
                .query_async(&mut connection)
                .await?;
            Ok(counts.iter().sum())
        })
        .await
        .unwrap_or(0)
}

#[tokio::test]
async fn a_quiet_stream_gets_keep_alives_and_a_stopping_replica_ends_it() {
    let Setup {
        a, admin, project, ..
    } = setup(&[]).await;
    let quick = a.replica(&[("OPSFLOW_EVENTS_KEEP_ALIVE_SECS", "1")]).await;
    let mut stream = quick.events(&admin, &project, None).await;
    assert!(stream.frame().await.unwrap().retry.is_some());
    let quiet = stream.frame().await.unwrap();
    assert_eq!(quiet.comment.as_deref(), Some("keep-alive"));

    quick.stop().await.unwrap();
    while let Some(frame) = stream.frame().await {
        assert!(frame.event.is_none(), "{frame:?}");
    }
    // The client resumes on the other replica.
    let mut resumed = a.events(&admin, &project, None).await;
    a.task(&admin, &project, json!({"title": "Live"})).await;
    assert_eq!(resumed.event().await.unwrap().name(), "task.created");
}

/// Entry ids are UUIDv7 made before commit: a later commit can carry an
/// earlier id. Writer 1 takes its id first but commits after writer 2; a
/// stream ordered by id would send 2, then skip 1 for ever. Ordered by the
/// writing transaction below the horizon, the stream sends each once, and
/// a resume from either continues exactly.
#[tokio::test]
async fn entries_committing_out_of_id_order_are_each_sent_once() {
    let Setup {
        a, admin, project, ..
    } = setup(&[]).await;
    let mut stream = a.events(&admin, &project, None).await;
    let earlier = uuid::Uuid::now_v7();
    let later = uuid::Uuid::now_v7();
    assert!(earlier < later);
    let insert = |id: uuid::Uuid| {
        format!(
            "INSERT INTO activity_logs (id, project_id, actor_id, action, entity_type, entity_id)
             VALUES ('{id}', '{project}', '{}', 'project.updated', 'project', '{project}')",
            admin.id
        )
    };
    let mut first = a.database().await;
    let mut second = a.database().await;
    // Writer 2: the later id, committed first.
    diesel::sql_query(insert(later))
        .execute(&mut second)
        .await
        .unwrap();
    assert_eq!(stream.event().await.unwrap().id, Some(later.to_string()));
    // Writer 1: the earlier id, written and committed after.
    diesel::sql_query("BEGIN")
        .execute(&mut first)
        .await
        .unwrap();
    diesel::sql_query(insert(earlier))
        .execute(&mut first)
        .await
        .unwrap();
    diesel::sql_query("COMMIT")
        .execute(&mut first)
        .await
        .unwrap();
    assert_eq!(stream.event().await.unwrap().id, Some(earlier.to_string()));

    let mut resumed = a.events(&admin, &project, Some(&later.to_string())).await;
    assert_eq!(resumed.event().await.unwrap().id, Some(earlier.to_string()));
}

/// A transaction that wrote first but commits last holds the stream back:
/// nothing after it is sent until it ends, then both in stream order.
#[tokio::test]
async fn an_open_writer_holds_later_entries_back_until_it_ends() {
    let Setup {
        a, admin, project, ..
    } = setup(&[]).await;
    let mut stream = a.events(&admin, &project, None).await;
    let mut open = a.database().await;
    diesel::sql_query("BEGIN").execute(&mut open).await.unwrap();
    let held = uuid::Uuid::now_v7();
    diesel::sql_query(format!(
        "INSERT INTO activity_logs (id, project_id, actor_id, action, entity_type, entity_id)
         VALUES ('{held}', '{project}', '{}', 'project.updated', 'project', '{project}')",
        admin.id
    ))
    .execute(&mut open)
    .await
    .unwrap();
    let task = a.task(&admin, &project, json!({"title": "Behind"})).await;
    diesel::sql_query("COMMIT")
        .execute(&mut open)
        .await
        .unwrap();

    let first = stream.event().await.unwrap();
    let second = stream.event().await.unwrap();
    assert_eq!(first.id, Some(held.to_string()), "the earlier writer first");
    assert_eq!(second.name(), "task.created");
    assert_eq!(second.json()["entity_id"], task["id"]);
}

/// The example client (`examples/follow-events`) behind a "balancer" of two
/// replicas: it follows on one, that replica stops, and it reconnects to
/// the other with `Last-Event-ID` — every entry once, in the log's order.
#[tokio::test]
async fn the_example_client_resumes_on_another_replica_and_misses_nothing() {
    let Setup {
        a,
        b,
        admin,
        project,
        ..
    } = setup(&[]).await;
    let bases = vec![
        format!("http://{}", b.address),
        format!("http://{}", a.address),
    ];
    let mut follower =
        follow_events::Follower::new(bases, project.clone(), admin.access_token.clone());
    // As a client does after reading the log: follow from its newest entry
    // (so nothing written before the first connection is missed either).
    follower.last_event_id = Some(logged_ids(&a, &admin, &project).await[0].clone());
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let following = tokio::spawn(async move {
        follower
            .follow(|frame| {
                let _ = seen_tx.send(frame.clone());
                follow_events::Flow::Continue
            })
            .await;
    });
    let mut ids = Vec::new();
    a.task(&admin, &project, json!({"title": "One"})).await;
    ids.push(next_seen(&mut seen).await.id.unwrap());
    b.stop().await.unwrap();
    for title in ["Two", "Three"] {
        a.task(&admin, &project, json!({ "title": title })).await;
    }
    ids.push(next_seen(&mut seen).await.id.unwrap());
    ids.push(next_seen(&mut seen).await.id.unwrap());
    following.abort();

    assert_eq!(ids, logged_ids(&a, &admin, &project).await[1..]);
}

async fn next_seen(
    seen: &mut tokio::sync::mpsc::UnboundedReceiver<follow_events::Frame>,
) -> follow_events::Frame {
    tokio::time::timeout(opsflow_tests::FRAME_WAIT, seen.recv())
        .await
        .expect("an event")
        .expect("following")
}
