//! Webhook registration, listing and deletion over HTTP: admin only, the
//! secret shown once, known events only, and the SSRF rule at registration.

use opsflow_tests::{spawn_app, spawn_app_with, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};

async fn register(app: &TestApp, user: &TestUser, team: &str, body: Value) -> reqwest::Response {
    app.call(
        user,
        Method::POST,
        &format!("/api/v1/teams/{team}/webhooks"),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn admins_register_list_and_delete_webhooks_and_see_the_secret_once() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let manager = app.user("manager").await;
    app.add_member(&admin, &team, &manager, "manager").await;
    let outsider = app.user("outsider").await;
    let body =
        json!({"url": "https://hooks.example.com/in", "events": ["task.created", "task.due_soon"]});

    let created = register(&app, &admin, &team, body.clone()).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let secret = created["data"]["secret"].as_str().unwrap();
    assert!(secret.len() >= 32, "a real secret: {secret}");
    assert_eq!(
        created["data"]["events"],
        json!(["task.created", "task.due_soon"])
    );
    let id = created["data"]["id"].as_str().unwrap().to_owned();

    assert_eq!(
        register(&app, &manager, &team, body.clone()).await.status(),
        403
    );
    assert_eq!(register(&app, &outsider, &team, body).await.status(), 404);

    let listed: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/teams/{team}/webhooks"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["meta"]["total"], 1);
    assert_eq!(listed["data"][0]["id"], id.as_str());
    assert!(listed["data"][0].get("secret").is_none(), "never listed");
    assert!(!listed.to_string().contains(secret));

    let path = format!("/api/v1/webhooks/{id}");
    assert_eq!(
        app.call(&manager, Method::DELETE, &path, None)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.call(&outsider, Method::DELETE, &path, None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.call(&admin, Method::DELETE, &path, None).await.status(),
        204
    );
    assert_eq!(
        app.call(&admin, Method::DELETE, &path, None).await.status(),
        404
    );
}

#[tokio::test]
async fn unknown_events_and_malformed_urls_are_400() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    for body in [
        json!({"url": "https://hooks.example.com/", "events": ["task.exploded"]}),
        json!({"url": "https://hooks.example.com/", "events": []}),
        json!({"url": "ftp://hooks.example.com/", "events": ["task.created"]}),
        json!({"url": "/relative", "events": ["task.created"]}),
    ] {
        let response = register(&app, &admin, &team, body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "validation_failed");
    }
}

/// The 2,048-character limit is on the stored, normalized URL: 700 `é` are
/// 700 characters as sent and 4,200 once percent-encoded. A 400 naming the
/// field, not a check-constraint 500.
#[tokio::test]
async fn a_url_whose_normalized_form_is_too_long_is_400() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let url = format!("https://hooks.example.com/{}", "é".repeat(700));
    assert!(url.chars().count() < 2048);
    let response = register(
        &app,
        &admin,
        &team,
        json!({"url": url, "events": ["task.created"]}),
    )
    .await;
    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "url");
    let fits = format!("https://hooks.example.com/{}", "é".repeat(300));
    let created = register(
        &app,
        &admin,
        &team,
        json!({"url": fits, "events": ["task.created"]}),
    )
    .await;
    assert_eq!(created.status(), 201, "1,800 encoded characters fit");
}

#[tokio::test]
async fn private_targets_are_refused_unless_allowed() {
    let app = spawn_app_with(
        &[("OPSFLOW_WEBHOOK_ALLOW_PRIVATE", "false")],
        std::future::pending(),
    )
    .await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://[::ffff:192.168.0.1]/hook",
        // IPv4 inside other IPv6 forms, and the rest of the IANA registries.
        "http://[2002:a9fe:a9fe::1]/hook",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",
        "http://[::ffff:0:a9fe:a9fe]/hook",
        "http://[100::1]/hook",
        "http://[2001:2::1]/hook",
        "http://[2001:10::1]/hook",
        "http://192.88.99.1/hook",
    ] {
        let response = register(
            &app,
            &admin,
            &team,
            json!({"url": url, "events": ["task.created"]}),
        )
        .await;
        assert_eq!(response.status(), 400, "{url}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "url_not_allowed", "{url}");
        assert_eq!(problem["errors"][0]["field"], "url");
        let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("OPSFLOW_WEBHOOK_ALLOW_PRIVATE"),
            "the refusal names the setting that allows it: {problem}"
        );
    }
    let public = register(
        &app,
        &admin,
        &team,
        json!({"url": "https://93.184.216.34/hook", "events": ["task.created"]}),
    )
    .await;
    assert_eq!(public.status(), 201);
}
