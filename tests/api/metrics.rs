//! `/metrics` on the api and on the worker: the contract's series names and
//! labels, with values that move when the thing they count happens.

use app::worker_process::Worker;
use chrono::{Duration as Span, Utc};
use opsflow_tests::{spawn_app, spawn_app_with, TestApp};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

async fn scrape(app: &TestApp, url: &str) -> String {
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    response.text().await.unwrap()
}

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

/// Known traffic on a fresh api: a task read, a list twice (miss then hit),
/// ten calls against a quota of 12 (some refused). Returns the app, the task
/// id, the refusal count and the scrape.
async fn api_after_known_traffic() -> (TestApp, String, u32, String) {
    let app = spawn_app_with(
        &[("OPSFLOW_RATE_LIMIT_USER_PER_MIN", "12")],
        std::future::pending(),
    )
    .await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let project = app.project(&user, &team).await;
    let task = app.task(&user, &project, json!({"title": "Counted"})).await;
    let id = task["id"].as_str().unwrap();
    let list = format!("/api/v1/projects/{project}/tasks");
    for _ in 0..2 {
        app.call(&user, Method::GET, &list, None).await;
    }
    app.call(&user, Method::GET, &format!("/api/v1/tasks/{id}"), None)
        .await;
    // Spend the user's quota: the rest are refused.
    let mut refused = 0;
    for _ in 0..10 {
        refused += u32::from(
            app.call(&user, Method::GET, "/api/v1/users/me", None)
                .await
                .status()
                == 429,
        );
    }
    assert!(refused > 0);
    let text = scrape(&app, &app.url("/metrics")).await;
    (app, id.to_owned(), refused, text)
}

#[tokio::test]
async fn the_api_counts_requests_by_route_pattern_cache_results_and_refusals() {
    let (app, id, refused, text) = api_after_known_traffic().await;

    assert_eq!(
        value(
            &text,
            r#"opsflow_http_requests_total{method="GET",route="/api/v1/tasks/{task_id}",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains(&id), "a raw path never becomes a label");
    assert!(text.contains(r#"opsflow_http_request_duration_seconds_bucket{method="GET",route="/api/v1/projects/{project_id}/tasks""#));
    assert_eq!(
        value(&text, r#"opsflow_cache_requests_total{result="miss"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"opsflow_cache_requests_total{result="hit"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"opsflow_rate_limited_total{scope="user"}"#),
        Some(f64::from(refused))
    );
    assert!(value(&text, r#"opsflow_db_pool_connections{state="idle"}"#).is_some());
    assert!(value(&text, r#"opsflow_db_pool_connections{state="in_use"}"#).is_some());
    assert_eq!(
        value(&text, "opsflow_db_pool_max_connections"),
        Some(app.config.database_pool_size as f64)
    );
    assert_eq!(
        value(&text, r#"opsflow_dependency_up{dependency="postgres"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"opsflow_dependency_up{dependency="redis"}"#),
        Some(1.0)
    );
}

/// A worker that ran one reminder; returns its scrape.
async fn worker_after_one_reminder() -> String {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let project = app.project(&user, &team).await;
    let mut config = app.config.clone();
    config.jobs.poll_interval = Duration::from_millis(10);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics_url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let worker = Worker::build(&config, listener).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run_until(async move {
        let _ = stopped.await;
        "test stop"
    }));

    let due = (Utc::now() + Span::minutes(10)).to_rfc3339();
    app.task(
        &user,
        &project,
        json!({"title": "Due", "assignee_id": user.id, "due_at": due}),
    )
    .await;
    let series = r#"opsflow_jobs_total{kind="task_reminder",outcome="succeeded"}"#;
    let mut text = String::new();
    for _ in 0..200 {
        text = scrape(&app, &metrics_url).await;
        if value(&text, series) == Some(1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    running.await.unwrap();
    text
}

#[tokio::test]
async fn the_worker_counts_jobs_by_kind_and_outcome_and_reports_its_queue() {
    let text = worker_after_one_reminder().await;
    let series = r#"opsflow_jobs_total{kind="task_reminder",outcome="succeeded"}"#;
    assert_eq!(value(&text, series), Some(1.0), "{text}");
    assert_eq!(
        value(&text, r#"opsflow_jobs_queue_depth{kind="task_reminder"}"#),
        Some(0.0)
    );
    assert_eq!(
        value(&text, "opsflow_jobs_oldest_pending_age_seconds"),
        Some(0.0)
    );
}

/// The `opsflow_*` names in a text (a PromQL expression, a rules file).
fn series_named(text: &str) -> Vec<String> {
    text.match_indices("opsflow_")
        .map(|(at, _)| {
            text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

fn exposed(scrapes: &str, name: &str) -> bool {
    scrapes.lines().any(|line| {
        line.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
    })
}

/// The dashboard and the alerts name series the processes really expose: a
/// renamed series or a typo in a panel fails here, not in a dark dashboard.
#[tokio::test]
async fn every_series_the_dashboard_and_the_alerts_use_is_exposed() {
    let (_app, _, _, api) = api_after_known_traffic().await;
    let scrapes = api + &worker_after_one_reminder().await;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy");

    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/grafana/opsflow-dashboard.json")).unwrap(),
    )
    .unwrap();
    let mut queries = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap();
            let names = series_named(expr);
            assert!(
                !names.is_empty() || expr.starts_with("up{"),
                "{expr} names no series"
            );
            for name in names {
                assert!(exposed(&scrapes, &name), "panel {}: {name}", panel["title"]);
            }
            queries += 1;
        }
    }
    assert!(queries >= 10, "the dashboard has its panels");

    let alerts = std::fs::read_to_string(format!("{root}/prometheus/alerts.yml")).unwrap();
    let names = series_named(&alerts);
    assert!(names.len() >= 9);
    for name in names {
        assert!(exposed(&scrapes, &name), "alerts.yml: {name}");
    }
}

/// `opsflow_events_streams` counts a stream while it is open, and uncounts
/// it when its client leaves — a body the server drops, not one that ran
/// out (the server notices at a failed write: a keep-alive, every second
/// here).
#[tokio::test]
async fn the_stream_gauge_uncounts_a_stream_whose_client_left() {
    let app = spawn_app_with(
        &[("OPSFLOW_EVENTS_KEEP_ALIVE_SECS", "1")],
        std::future::pending(),
    )
    .await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let project = app.project(&user, &team).await;
    let gauge = "opsflow_events_streams";
    let mut stream = app.events(&user, &project, None).await;
    assert!(stream.frame().await.unwrap().retry.is_some());
    let text = scrape(&app, &app.url("/metrics")).await;
    assert_eq!(value(&text, gauge), Some(1.0));

    drop(stream);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = scrape(&app, &app.url("/metrics")).await;
        if value(&text, gauge) == Some(0.0) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still counted 10 s after its client left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
