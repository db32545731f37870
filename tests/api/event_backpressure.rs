//! A slow client never slows the others (contract → Live events, slow
//! clients): a stream whose buffer is full when the process's reader hands
//! it the next entry is closed, and the streams beside it go on.
//!
//! Driven at the process's hub (`adapters_postgres::events`) with a
//! two-entry buffer and real writes through the api: over HTTP the buffer
//! fills only once the kernel's socket buffers have (megabytes on
//! loopback), which no test can time. The HTTP layer ends a response when
//! its feed says `Closed` (`routes/events.rs`, tested by
//! `events::a_quiet_stream_gets_keep_alives_and_a_stopping_replica_ends_it`).

use adapters_postgres::events::{EventHub, EventHubConfig, PgProjectFeed};
use adapters_postgres::{PgPool, PgPoolSettings};
use domain::events::{FeedSignal, FollowedFeed, ProjectFeed};
use domain::ids::{ProjectId, UserId};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

async fn next(feed: &mut Box<dyn FollowedFeed>) -> FeedSignal {
    tokio::time::timeout(WAIT, feed.next())
        .await
        .expect("a signal within the wait")
}

/// The entity an entry is about.
fn entity(signal: &FeedSignal) -> String {
    let FeedSignal::Entry(entry) = signal else {
        panic!("an entry, not {signal:?}");
    };
    entry.entry.entity_id.to_string()
}

#[tokio::test]
async fn a_stream_whose_buffer_fills_is_closed_and_the_others_go_on() {
    let app = opsflow_tests::spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;

    let pool = PgPool::new(&PgPoolSettings {
        url: app.database_url(),
        max_size: 4,
        acquire_timeout: WAIT,
        statement_counter: None,
        session_settings: Vec::new(),
    })
    .unwrap();
    let hub = EventHub::new(
        pool,
        EventHubConfig {
            buffer: 2,
            poll: Duration::from_millis(20),
            ..EventHubConfig::default()
        },
    );
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(Arc::clone(&hub).run(stopping));
    let feed = PgProjectFeed::new(hub);
    let project_id = ProjectId(project.parse().unwrap());
    let user = UserId(admin.id.parse().unwrap());
    let mut slow = feed.follow(project_id, user, None).await.unwrap();
    let mut quick = feed.follow(project_id, user, None).await.unwrap();

    // The quick stream takes each entry before the next write; the slow one
    // takes none, and its buffer (two) is full when the third arrives.
    let mut tasks = Vec::new();
    for n in 1..=4 {
        let task = app
            .task(&admin, &project, json!({"title": format!("T{n}")}))
            .await;
        tasks.push(task["id"].as_str().unwrap().to_owned());
        assert_eq!(entity(&next(&mut quick).await), tasks[n - 1]);
    }
    // The slow one gets at most what its buffer held — a prefix of the
    // writes (an entry committed before it started may take a slot: the
    // horizon is cluster-wide) — then the end, never the rest late.
    let mut buffered = Vec::new();
    loop {
        match next(&mut slow).await {
            FeedSignal::Closed => break,
            signal => buffered.push(entity(&signal)),
        }
    }
    assert!(buffered.len() <= 2, "{buffered:?}");
    assert_eq!(buffered, tasks[..buffered.len()], "in order");
    stop.send_replace(true);
}
