//! Redis is an accelerator, never a single point of failure: with it cut
//! (crashed), paused (SIGSTOPped) or emptied (restarted without persistence),
//! every endpoint answers as it would with Redis up, and no security decision
//! is weakened — a revoked session stays revoked.

use opsflow_tests::{spawn_app_with, TcpProxy, TestApp, TestUser, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

/// The api with its Redis behind a proxy the test controls.
async fn app_behind_redis_proxy() -> (TestApp, TcpProxy) {
    let (proxy, redis_url) = TcpProxy::to_redis().await;
    let app = spawn_app_with(
        &[
            ("REDIS_URL", redis_url.as_str()),
            ("OPSFLOW_REDIS_TIMEOUT_MS", "100"),
            // A short breaker window, so the checks after a restore reach
            // Redis again (at the 2 s default they would all run inside the
            // window and never exercise the write-back).
            ("OPSFLOW_REDIS_BREAKER_MS", "50"),
        ],
        std::future::pending(),
    )
    .await;
    (app, proxy)
}

async fn me(app: &TestApp, user: &TestUser) -> u16 {
    app.call(user, Method::GET, "/api/v1/users/me", None)
        .await
        .status()
        .as_u16()
}

async fn logout(app: &TestApp, user: &TestUser) -> u16 {
    app.call(user, Method::POST, "/api/v1/auth/logout", None)
        .await
        .status()
        .as_u16()
}

async fn refresh(app: &TestApp, user: &TestUser) -> u16 {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": user.refresh_token}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn with_redis_cut_revocations_hold_and_everything_else_keeps_working() {
    let (app, proxy) = app_behind_redis_proxy().await;
    let revoked_before = app.user("before").await;
    let still_valid = app.user("valid").await;
    let refreshing = app.user("refreshing").await;
    let revoked_during = app.user("during").await;
    assert_eq!(logout(&app, &revoked_before).await, 204);

    proxy.cut();

    assert_eq!(
        me(&app, &revoked_before).await,
        401,
        "revoked before the cut"
    );
    assert_eq!(
        me(&app, &still_valid).await,
        200,
        "a valid token keeps working"
    );
    assert_eq!(
        refresh(&app, &refreshing).await,
        200,
        "refresh keeps working"
    );
    let newcomer = app.user("newcomer").await; // register + login keep working
    assert_eq!(me(&app, &newcomer).await, 200);
    assert_eq!(
        logout(&app, &revoked_during).await,
        204,
        "logout keeps working"
    );
    assert_eq!(
        me(&app, &revoked_during).await,
        401,
        "revoked during the cut"
    );

    proxy.restore();
    // Redis never heard of the revocation made while it was cut: this
    // process writes it there before trusting Redis again.
    revocation_reaches_redis(&app, &revoked_during, 2).await;
    for _ in 0..3 {
        assert_eq!(me(&app, &revoked_during).await, 401, "after Redis returns");
        assert_eq!(me(&app, &still_valid).await, 200);
    }
}

/// Revoked sessions Redis holds under this app's prefix.
async fn revoked_in_redis(app: &TestApp) -> usize {
    let store = app.redis_store();
    let pattern = store.key("revoked-session:*");
    store
        .run(|mut connection| async move {
            deadpool_redis::redis::cmd("KEYS")
                .arg(pattern)
                .query_async::<Vec<String>>(&mut connection)
                .await
        })
        .await
        .unwrap()
        .len()
}

/// Asks with `user`'s revoked token until Redis holds `expected` revoked
/// sessions: the one revoked while Redis was away is written back by the
/// first check after the breaker lets Redis in again. Every answer on the
/// way must be 401 (the record decides meanwhile).
async fn revocation_reaches_redis(app: &TestApp, user: &TestUser, expected: usize) {
    for _ in 0..300 {
        assert_eq!(me(app, user).await, 401, "after Redis returns");
        if revoked_in_redis(app).await == expected {
            return;
        }
        // The breaker's 50 ms window has to pass before Redis is tried again.
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the revocation made while Redis was away never reached Redis");
}

#[tokio::test]
async fn with_redis_paused_requests_answer_instead_of_hanging() {
    let (app, proxy) = app_behind_redis_proxy().await;
    let user = app.user("ada").await;
    let leaving = app.user("leaving").await;
    let team = app.team(&user).await;

    proxy.pause();

    // Each would have waited for Redis and then failed; now the first pays the
    // 100 ms timeout, the breaker skips Redis for the rest.
    for _ in 0..5 {
        assert_eq!(me(&app, &user).await, 200);
    }
    let project = app
        .call(
            &user,
            Method::POST,
            &format!("/api/v1/teams/{team}/projects"),
            Some(json!({"name": "During the pause"})),
        )
        .await;
    assert_eq!(project.status(), 201);
    assert_eq!(logout(&app, &leaving).await, 204);
    assert_eq!(me(&app, &leaving).await, 401);
    let ready: Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(ready["status"], "degraded");

    proxy.restore();
    revocation_reaches_redis(&app, &leaving, 1).await;
    assert_eq!(me(&app, &leaving).await, 401);
    assert_eq!(me(&app, &user).await, 200);
}

#[tokio::test]
async fn a_redis_that_lost_its_keys_is_refilled_from_postgresql_not_believed() {
    let (app, _proxy) = app_behind_redis_proxy().await;
    let user = app.user("ada").await;
    let other = app.user("grace").await;
    assert_eq!(logout(&app, &user).await, 204);
    assert_eq!(me(&app, &other).await, 200);

    // What a Redis restart without persistence looks like to us.
    let store = app.redis_store();
    store.delete_all_keys().await.unwrap();
    assert!(!exists(&store, "revocations:complete").await);

    assert_eq!(me(&app, &user).await, 401, "answered from PostgreSQL");
    assert!(
        exists(&store, "revocations:complete").await,
        "the cache was refilled and marked complete"
    );
    assert_eq!(
        me(&app, &user).await,
        401,
        "answered from the refilled cache"
    );
    assert_eq!(me(&app, &other).await, 200);
    // A fresh login of the same account is a new session: unaffected.
    let again: Value = app.login(&user.email, PASSWORD).await.json().await.unwrap();
    let token = again["data"]["access_token"].as_str().unwrap();
    let fresh = app
        .client
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
}

async fn exists(store: &adapters_redis::RedisStore, name: &str) -> bool {
    let key = store.key(name);
    store
        .run(|mut connection| async move {
            deadpool_redis::redis::cmd("EXISTS")
                .arg(key)
                .query_async::<bool>(&mut connection)
                .await
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn idempotent_creates_replay_with_redis_cut() {
    let (app, proxy) = app_behind_redis_proxy().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let project = app.project(&user, &team).await;
    proxy.cut();

    let create = || {
        app.client
            .post(app.url(&format!("/api/v1/projects/{project}/tasks")))
            .bearer_auth(&user.access_token)
            .header("idempotency-key", "no-redis")
            .json(&json!({"title": "Once"}))
            .send()
    };
    let first = create().await.unwrap();
    let second = create().await.unwrap();

    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (201, 201)
    );
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(first.headers()["location"], second.headers()["location"]);
}

#[tokio::test]
async fn metrics_report_redis_down_so_alerts_see_what_ready_sees() {
    let (app, proxy) = app_behind_redis_proxy().await;
    let scrape = || async {
        app.client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let redis_up = r#"opsflow_dependency_up{dependency="redis"} "#;
    let postgres_up = r#"opsflow_dependency_up{dependency="postgres"} 1"#;
    assert!(scrape().await.contains(&format!("{redis_up}1")));

    proxy.cut();
    let text = scrape().await;
    assert!(text.contains(&format!("{redis_up}0")), "{text}");
    assert!(text.contains(postgres_up), "{text}");
}

/// With Redis cut, a personal access token is looked up in PostgreSQL on
/// every request — at most one statement more than the JWT's own revocation
/// check — and a revocation made meanwhile holds at once.
#[tokio::test]
async fn with_redis_cut_personal_access_tokens_cost_one_lookup_and_revocations_hold() {
    let (app, proxy) = app_behind_redis_proxy().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let script = app.token_user(&user, &["read", "write"]).await;
    let path = format!("/api/v1/teams/{team}");
    proxy.cut();

    let mut counts = Vec::new();
    for caller in [&user, &script, &user, &script] {
        app.statements.reset();
        let response = app.call(caller, Method::GET, &path, None).await;
        assert_eq!(response.status(), 200);
        counts.push(app.statements.count());
    }
    assert_eq!(counts[0], counts[2]);
    assert_eq!(counts[1], counts[3]);
    assert!(
        counts[1] <= counts[0] + 1,
        "the token costs at most one statement more: {counts:?}"
    );

    let tokens: Value = app
        .call(&user, Method::GET, "/api/v1/users/me/tokens", None)
        .await
        .json()
        .await
        .unwrap();
    let id = tokens["data"][0]["id"].as_str().unwrap().to_owned();
    let revoked = app
        .call(
            &user,
            Method::DELETE,
            &format!("/api/v1/users/me/tokens/{id}"),
            None,
        )
        .await;
    assert_eq!(revoked.status(), 204, "revoking does not need Redis");
    let refused = app.call(&script, Method::GET, &path, None).await;
    assert_eq!(refused.status(), 401);
}
