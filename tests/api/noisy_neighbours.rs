//! One team's slow receivers must not delay another team's reminders or
//! deliveries (contract: reminders fire within a few seconds; deliveries are
//! fair across teams and bounded in flight per receiver host). The scenario
//! of the security probe, with real receivers and the real worker process:
//! team X has 20 webhooks at a receiver that takes 6 s to answer (longer
//! than the 5 s delivery timeout) and makes two writes, 40 deliveries; then
//! team Y makes one write with a webhook and a reminder due at once.

use app::worker_process::Worker;
use chrono::{Duration as Span, Utc};
use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A receiver that reads each request and answers 200 after `delay`;
/// counts requests and notes when each arrived.
struct Receiver {
    url: String,
    arrived: Arc<Mutex<Vec<Instant>>>,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // Dropping the accept loop drops the held connections with it, so
        // deliveries still waiting on this receiver fail at once.
        self.task.abort();
    }
}

async fn receiver(host: &str, delay: Duration) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let arrived = Arc::new(Mutex::new(Vec::new()));
    let accepted = Arc::new(AtomicUsize::new(0));
    let (log, count) = (arrived.clone(), accepted.clone());
    let task = tokio::spawn(async move {
        let mut held = tokio::task::JoinSet::new();
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            log.lock().unwrap().push(Instant::now());
            held.spawn(async move {
                let mut buffer = [0u8; 16 * 1024];
                let _ = stream.read(&mut buffer).await;
                tokio::time::sleep(delay).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    Receiver {
        url: format!("http://{host}:{port}/hook"),
        arrived,
        accepted,
        task,
    }
}

async fn register(app: &TestApp, admin: &TestUser, team: &str, url: &str) {
    let response = app
        .call(
            admin,
            Method::POST,
            &format!("/api/v1/teams/{team}/webhooks"),
            Some(json!({"url": url, "events": ["task.created"]})),
        )
        .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_team_with_slow_receivers_delays_neither_another_teams_reminders_nor_its_deliveries() {
    let app = spawn_app().await;
    let mut config = app.config.clone();
    config.jobs.poll_interval = Duration::from_millis(100);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let worker = Worker::build(&config, listener).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run_until(async move {
        let _ = stopped.await;
        "test stop"
    }));

    // Team X: 20 webhooks at one slow host, two writes: 40 deliveries.
    let slow = receiver("127.0.0.1", Duration::from_secs(6)).await;
    let x_admin = app.user("x").await;
    let x_team = app.team(&x_admin).await;
    let x_project = app.project(&x_admin, &x_team).await;
    for _ in 0..20 {
        register(&app, &x_admin, &x_team, &slow.url).await;
    }
    for title in ["one", "two"] {
        app.task(&x_admin, &x_project, json!({"title": title}))
            .await;
    }
    // X's deliveries are in flight (holding delivery loops) before Y writes.
    let deadline = Instant::now() + Duration::from_secs(10);
    while slow.accepted.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "X's deliveries never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Team Y: a webhook on another host, and a task whose reminder is due now.
    let fast = receiver("localhost", Duration::ZERO).await;
    let y_admin = app.user("y").await;
    let y_team = app.team(&y_admin).await;
    let y_project = app.project(&y_admin, &y_team).await;
    register(&app, &y_admin, &y_team, &fast.url).await;
    let due = (Utc::now() + Span::minutes(10)).to_rfc3339();
    let written = Instant::now();
    app.task(
        &y_admin,
        &y_project,
        json!({"title": "Y's", "assignee_id": y_admin.id, "due_at": due}),
    )
    .await;

    let mut delivered = None;
    let mut reminded = None;
    while (delivered.is_none() || reminded.is_none()) && written.elapsed() < Duration::from_secs(10)
    {
        if delivered.is_none() {
            delivered = fast.arrived.lock().unwrap().first().copied();
        }
        if reminded.is_none() {
            let page: Value = app
                .call(&y_admin, Method::GET, "/api/v1/notifications", None)
                .await
                .json()
                .await
                .unwrap();
            if page["meta"]["total"] == 1 {
                reminded = Some(Instant::now());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Deliveries to X's host that started before the first could have timed
    // out (5 s): the ones in flight together.
    let together = {
        let arrived = slow.arrived.lock().unwrap();
        let first = arrived[0];
        arrived
            .iter()
            .filter(|at| at.duration_since(first) < Duration::from_millis(4500))
            .count()
    };
    drop(slow);
    let _ = stop.send(());
    running.await.unwrap();

    let delivered = delivered
        .expect("Y's delivery never arrived")
        .duration_since(written);
    let reminded = reminded
        .expect("Y's reminder never fired")
        .duration_since(written);
    assert!(
        delivered < Duration::from_secs(2),
        "Y's delivery took {delivered:?}"
    );
    assert!(
        reminded < Duration::from_secs(2),
        "Y's reminder took {reminded:?}"
    );
    // The host bound held: 40 due deliveries, at most 2 in flight at once.
    assert_eq!(together, 2, "deliveries in flight together at X's host");
}

#[tokio::test]
async fn a_team_may_have_at_most_twenty_webhooks() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    for n in 0..20 {
        register(
            &app,
            &admin,
            &team,
            &format!("https://hooks{n}.example.com/in"),
        )
        .await;
    }
    let over = app
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/teams/{team}/webhooks"),
            Some(json!({"url": "https://one-more.example.com/in", "events": ["task.created"]})),
        )
        .await;
    assert_eq!(over.status(), 409);
    let problem: Value = over.json().await.unwrap();
    assert_eq!(problem["code"], "limit_reached");
    // Deleting one frees a place.
    let list: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/teams/{team}/webhooks?limit=1"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let id = list["data"][0]["id"].as_str().unwrap();
    let deleted = app
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            None,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    register(&app, &admin, &team, "https://one-more.example.com/in").await;
}
