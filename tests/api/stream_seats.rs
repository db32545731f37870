//! The shared count behind the per-user stream cap (`RedisStreamSeats`, on
//! this test's Redis prefix): the streams of a replica whose heartbeat has
//! lapsed (it died) stop counting, a heartbeat sets a replica's counts
//! exactly, and an api keeps beating while it lives. The cap across
//! replicas over HTTP is in
//! `events::the_per_user_cap_counts_the_streams_of_every_replica`.

use adapters_redis::RedisStreamSeats;
use domain::ids::UserId;
use domain::ops::StreamSeats;
use opsflow_tests::TestApp;
use std::time::{Duration, Instant};
use uuid::Uuid;

const LONG: Duration = Duration::from_secs(60);

#[tokio::test]
async fn the_streams_of_a_replica_whose_heartbeat_lapsed_stop_counting() {
    let app = opsflow_tests::spawn_app().await;
    let seats = RedisStreamSeats::new(app.redis_store());
    let (user, dead, live) = (UserId::new(), Uuid::now_v7(), Uuid::now_v7());
    // Long enough that the checks right after the takes see that replica
    // alive even on a loaded machine.
    let short = Duration::from_millis(1_500);
    // The live replica's stream keeps the user's counts for a minute; the
    // other replica's two are its last sign of life for 1.5 s.
    assert!(seats.take(user, live, 3, LONG).await.unwrap());
    assert!(seats.take(user, dead, 3, short).await.unwrap());
    assert!(seats.take(user, dead, 3, short).await.unwrap());
    assert!(
        !seats.take(user, live, 3, LONG).await.unwrap(),
        "the cap holds while the replica holding two streams lives"
    );
    // That replica sends no heartbeat (it died): once its liveness lapses,
    // its streams stop counting (bounded wait for the lease, not a sleep).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seats.take(user, live, 3, LONG).await.unwrap() {
        assert!(
            Instant::now() < deadline,
            "a dead replica's streams still count"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seats.take(user, live, 3, LONG).await.unwrap());
    assert!(
        !seats.take(user, live, 3, LONG).await.unwrap(),
        "a live replica's own streams count"
    );
}

#[tokio::test]
async fn a_heartbeat_sets_a_replicas_counts_exactly() {
    let app = opsflow_tests::spawn_app().await;
    let seats = RedisStreamSeats::new(app.redis_store());
    let (user, one, other) = (UserId::new(), Uuid::now_v7(), Uuid::now_v7());
    assert!(seats.take(user, one, 3, LONG).await.unwrap());
    // The replica holds three of the user's streams (two taken while Redis
    // was away): its heartbeat says so.
    seats.heartbeat(one, &[(user, 3)], LONG).await.unwrap();
    assert!(!seats.take(user, other, 3, LONG).await.unwrap());
    // Its streams ended, the releases lost: the heartbeat clears the count.
    seats.heartbeat(one, &[(user, 0)], LONG).await.unwrap();
    assert!(seats.take(user, other, 3, LONG).await.unwrap());
    assert!(seats.take(user, other, 3, LONG).await.unwrap());
    seats.release(user, other).await.unwrap();
    // One of two released: two more fit under the cap of three, not three.
    assert!(seats.take(user, other, 3, LONG).await.unwrap());
    assert!(seats.take(user, other, 3, LONG).await.unwrap());
    assert!(
        !seats.take(user, other, 3, LONG).await.unwrap(),
        "a release counts one fewer, no more"
    );
}

/// `user`'s stream on `app`: its status.
async fn open(app: &TestApp, user: &opsflow_tests::TestUser, project: &str) -> u16 {
    app.open_events(user, project, None).await.status().as_u16()
}

#[tokio::test]
async fn a_live_api_keeps_its_streams_counted_past_its_lease() {
    let overrides = [
        ("OPSFLOW_EVENTS_MAX_STREAMS_PER_USER", "1"),
        // A beat every ~0.7 s: a stall of over 1.3 s would miss one.
        ("OPSFLOW_EVENTS_SEAT_LEASE_SECS", "2"),
    ];
    let a = opsflow_tests::spawn_app_with(&overrides, std::future::pending()).await;
    let b = a.replica(&overrides).await;
    let admin = a.user("admin").await;
    let team = a.team(&admin).await;
    let project = a.project(&admin, &team).await;
    let _stream = a.events(&admin, &project, None).await;
    // Over two leases: without a's heartbeats its stream would stop
    // counting after the first, and b would admit a second.
    let until = Instant::now() + Duration::from_millis(4_500);
    while Instant::now() < until {
        assert_eq!(
            open(&b, &admin, &project).await,
            429,
            "a live replica's stream stopped counting"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
