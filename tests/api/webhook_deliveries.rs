//! Webhook deliveries end to end, against a real local receiver: enqueued by
//! the write's transaction, signed, one delivery id across retries, retried
//! on 5xx, dead-lettered on 410, nothing after deletion, and the reminder's
//! `task.due_soon` event.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use adapters_postgres::{
    PgJobQueue, PgPool, PgPoolSettings, PgReminderHandler, PgWebhookRepository,
};
use chrono::{Duration as Span, Utc};
use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use domain::jobs::{Lane, RetryPolicy};
use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use worker::{Runner, RunnerSettings, Turn, WebhookDeliveryHandler};

#[derive(Debug, Clone)]
struct Received {
    event: String,
    delivery: String,
    signature: String,
    body: String,
}

#[derive(Default)]
struct Receiver {
    seen: Mutex<Vec<Received>>,
    /// Statuses to answer, in order; 200 once they run out.
    script: Mutex<VecDeque<u16>>,
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<Receiver>,
) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    state.seen.lock().unwrap().push(Received {
        event: header("x-opsflow-event"),
        delivery: header("x-opsflow-delivery"),
        signature: header("x-opsflow-signature"),
        body: String::from_utf8(body.to_vec()).unwrap(),
    });
    let status = state.script.lock().unwrap().pop_front().unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

/// A receiver on a random local port; its URL.
fn start_receiver(script: &[u16]) -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver::default());
    receiver.script.lock().unwrap().extend(script);
    let data = web::Data::from(Arc::clone(&receiver));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/hook", web::post().to(receive))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    tokio::spawn(server.run());
    (receiver, format!("http://{address}/hook"))
}

/// The worker's two lanes, as a process runs them: reminders and deliveries.
struct Lanes(Vec<Runner>);

fn runner(app: &TestApp) -> Lanes {
    runner_with(app, true)
}

fn runner_with(app: &TestApp, allow_private: bool) -> Lanes {
    let pool = PgPool::new(&PgPoolSettings {
        url: app.database_url(),
        max_size: 4,
        acquire_timeout: Duration::from_secs(5),
        statement_counter: None,
        session_settings: Vec::new(),
    })
    .unwrap();
    let deliveries = Arc::new(
        WebhookDeliveryHandler::new(
            Arc::new(PgWebhookRepository::new(pool.clone())),
            Duration::from_secs(5),
            allow_private,
        )
        .unwrap(),
    );
    let reminders = Arc::new(PgReminderHandler::new(pool.clone()));
    let queue = Arc::new(PgJobQueue::new(pool));
    let lane = |lane| {
        let handlers: Vec<Arc<dyn domain::jobs::JobHandler>> =
            vec![deliveries.clone(), reminders.clone()];
        Runner::new(
            queue.clone(),
            handlers,
            RunnerSettings {
                worker_id: "w".into(),
                lane,
                poll_interval: Duration::from_millis(5),
                lease: Duration::from_secs(60),
                // Retries due (almost) at once, so the test does not wait.
                retry: RetryPolicy {
                    base: Duration::from_millis(1),
                    cap: Duration::from_millis(1),
                    max_attempts: 8,
                },
                batch_size: 1,
            },
        )
    };
    Lanes(vec![lane(Lane::Reminders), lane(Lane::Deliveries)])
}

/// Runs jobs of both lanes until `done` holds or nothing is left to run for
/// a while (bounded: the retries above are due within a millisecond).
async fn run_until(lanes: &Lanes, done: impl Fn() -> bool) {
    let mut idle = 0;
    for _ in 0..2000 {
        if done() {
            return;
        }
        let mut busy = false;
        for runner in &lanes.0 {
            busy |= !matches!(runner.run_once().await.unwrap(), Turn::Idle);
        }
        if busy {
            idle = 0;
        } else {
            idle += 1;
            if idle > 50 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

struct World {
    app: TestApp,
    admin: TestUser,
    team: String,
    project: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    World {
        app,
        admin,
        team,
        project,
    }
}

/// Registers `url` for `events`; the webhook's id and secret.
async fn register(world: &World, url: &str, events: &[&str]) -> (String, String) {
    let response = world
        .app
        .call(
            &world.admin,
            Method::POST,
            &format!("/api/v1/teams/{}/webhooks", world.team),
            Some(json!({"url": url, "events": events})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (
        body["data"]["id"].as_str().unwrap().to_owned(),
        body["data"]["secret"].as_str().unwrap().to_owned(),
    )
}

#[derive(QueryableByName)]
struct JobRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    last_error: Option<String>,
}

async fn deliveries(app: &TestApp) -> Vec<JobRow> {
    diesel::sql_query("SELECT status, last_error FROM jobs WHERE kind = 'webhook_delivery'")
        .load(&mut app.database().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_signed_delivery_until_it_answers_2xx() {
    let world = world().await;
    let (receiver, url) = start_receiver(&[500, 503]);
    let (_, secret) = register(&world, &url, &["task.created"]).await;
    let task = world
        .app
        .task(&world.admin, &world.project, json!({"title": "Hooked"}))
        .await;
    assert_eq!(
        deliveries(&world.app).await.len(),
        1,
        "enqueued by the create"
    );

    let runner = runner(&world.app);
    run_until(&runner, || receiver.seen.lock().unwrap().len() >= 3).await;
    run_until(&runner, || false).await; // and then nothing more

    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "two failures, then success: {seen:?}");
    assert!(
        seen.iter().all(|r| r.delivery == seen[0].delivery),
        "one delivery id"
    );
    for received in &seen {
        assert_eq!(received.event, "task.created");
        assert_eq!(
            received.signature,
            worker::signature(&secret, received.body.as_bytes())
        );
    }
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(body["id"], seen[0].delivery.as_str());
    assert_eq!(body["event"], "task.created");
    assert_eq!(body["data"]["entity_id"], task["id"]);
    assert_eq!(body["data"]["team_id"], world.team.as_str());
    assert_eq!(body["data"]["project_id"], world.project.as_str());
    assert_eq!(body["data"]["actor"]["id"], world.admin.id.as_str());
    assert_eq!(body["occurred_at"], body["data"]["created_at"]);
    // The event's data is the activity entry as the feed shows it.
    let feed: Value = world
        .app
        .call(
            &world.admin,
            reqwest::Method::GET,
            &format!("/api/v1/projects/{}/activity", world.project),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let entry = feed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["entity_id"] == task["id"])
        .expect("the task.created entry");
    for (field, value) in entry.as_object().unwrap() {
        assert_eq!(&body["data"][field], value, "data.{field}");
    }
    let jobs = deliveries(&world.app).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, "succeeded");
}

#[tokio::test]
async fn gone_is_one_attempt_and_a_dead_letter() {
    let world = world().await;
    let (receiver, url) = start_receiver(&[410]);
    register(&world, &url, &["task.created"]).await;
    world
        .app
        .task(&world.admin, &world.project, json!({"title": "Gone"}))
        .await;

    run_until(&runner(&world.app), || false).await;

    assert_eq!(receiver.seen.lock().unwrap().len(), 1);
    let jobs = deliveries(&world.app).await;
    assert_eq!(jobs[0].status, "dead");
    assert!(
        jobs[0].last_error.as_deref().unwrap().contains("410"),
        "{:?}",
        jobs[0].last_error
    );
}

#[tokio::test]
async fn a_deleted_webhook_receives_nothing_more_and_unsubscribed_events_nothing_at_all() {
    let world = world().await;
    let (receiver, url) = start_receiver(&[]);
    let (webhook, _) = register(&world, &url, &["task.created"]).await;
    // The positive control: a webhook that stays, subscribed to both events,
    // at its own receiver. It proves the writes below were enqueued and the
    // runner delivers, so the silence at `receiver` means something.
    let (control, control_url) = start_receiver(&[]);
    register(&world, &control_url, &["task.created", "project.updated"]).await;
    // Not subscribed: no delivery for project events (the control has one).
    world
        .app
        .call(
            &world.admin,
            Method::PATCH,
            &format!("/api/v1/projects/{}", world.project),
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(deliveries(&world.app).await.len(), 1, "the control's only");

    let queued = world
        .app
        .task(&world.admin, &world.project, json!({"title": "Queued"}))
        .await;
    let deleted = world
        .app
        .call(
            &world.admin,
            Method::DELETE,
            &format!("/api/v1/webhooks/{webhook}"),
            None,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    let after = world
        .app
        .task(&world.admin, &world.project, json!({"title": "After"}))
        .await;
    // A delivery already claimed when the webhook goes: its target is gone.
    let (other, _) = register(&world, &url, &["task.created"]).await;
    let raced = world
        .app
        .task(&world.admin, &world.project, json!({"title": "Raced"}))
        .await;
    world
        .app
        .database()
        .await
        .batch_execute(&format!(
            "UPDATE webhooks SET deleted_at = now() WHERE id = '{other}'"
        ))
        .await
        .unwrap();

    run_until(&runner(&world.app), || {
        control.seen.lock().unwrap().len() >= 4
    })
    .await;
    run_until(&runner(&world.app), || false).await;

    let mut heard: Vec<(String, String)> = control
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_str(&r.body).unwrap();
            let entity = body["data"]["entity_id"].as_str().unwrap().to_owned();
            (r.event.clone(), entity)
        })
        .collect();
    heard.sort();
    let mut expected: Vec<(String, String)> = [&queued, &after, &raced]
        .iter()
        .map(|task| {
            (
                "task.created".to_owned(),
                task["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    expected.push(("project.updated".to_owned(), world.project.clone()));
    expected.sort();
    assert_eq!(heard, expected, "the control heard every write");
    assert!(receiver.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_reminder_is_also_a_task_due_soon_delivery_with_the_task() {
    let world = world().await;
    let (receiver, url) = start_receiver(&[]);
    register(&world, &url, &["task.due_soon"]).await;
    let due = (Utc::now() + Span::minutes(30)).to_rfc3339();
    let task = world
        .app
        .task(
            &world.admin,
            &world.project,
            json!({"title": "Due", "assignee_id": world.admin.id, "due_at": due}),
        )
        .await;

    run_until(&runner(&world.app), || {
        !receiver.seen.lock().unwrap().is_empty()
    })
    .await;
    run_until(&runner(&world.app), || false).await;

    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].event, "task.due_soon");
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(body["data"]["id"], task["id"]);
    assert_eq!(body["data"]["title"], "Due");
    assert_eq!(body["data"]["priority"], "medium");
    // The event carries the task exactly as the API shows it.
    let shown: Value = world
        .app
        .call(
            &world.admin,
            reqwest::Method::GET,
            &format!("/api/v1/tasks/{}", task["id"].as_str().unwrap()),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"], shown["data"]);
}

#[tokio::test]
async fn delivery_checks_the_address_it_connects_to_not_only_registration() {
    // Registered while private targets were allowed (this test app), then
    // delivered by a worker that refuses them: by IP literal and by a name
    // that resolves to loopback (what a DNS rebinding would look like).
    let world = world().await;
    let (receiver, url) = start_receiver(&[]);
    let by_name = url.replace("127.0.0.1", "localhost");
    register(&world, &url, &["task.created"]).await;
    register(&world, &by_name, &["task.created"]).await;
    world
        .app
        .task(&world.admin, &world.project, json!({"title": "Inward"}))
        .await;

    run_until(&runner_with(&world.app, false), || false).await;

    assert!(
        receiver.seen.lock().unwrap().is_empty(),
        "nothing reached the receiver"
    );
    let jobs = deliveries(&world.app).await;
    assert_eq!(jobs.len(), 2);
    for job in &jobs {
        assert_eq!(job.status, "dead");
        let error = job.last_error.as_deref().unwrap_or_default();
        assert!(
            error.contains("url_not_allowed")
                || error.contains("no public address")
                || error.contains("delivery failed"),
            "{error}"
        );
    }
}
