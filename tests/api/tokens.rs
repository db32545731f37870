//! Personal access tokens (contract → Personal access tokens) over HTTP: the
//! token shown once in its documented shape, scopes enforced for every
//! method, never usable to manage sessions or mint tokens, revocation seen
//! at once by another replica, the 50-token cap, expiry, a deleted user, and
//! `last_used_at` written at most once a minute.

use diesel_async::SimpleAsyncConnection;
use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};

async fn create(app: &TestApp, user: &TestUser, body: Value) -> reqwest::Response {
    app.call(user, Method::POST, "/api/v1/users/me/tokens", Some(body))
        .await
}

async fn status(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> u16 {
    app.call(user, method, path, body).await.status().as_u16()
}

async fn listed(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let response = app
        .call(user, Method::GET, "/api/v1/users/me/tokens", None)
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_token_is_shown_once_in_its_shape_and_acts_as_its_user() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let response = create(
        &app,
        &ada,
        json!({"name": "CI deploys", "scopes": ["read", "write"]}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let created = &created["data"];
    let token = created["token"].as_str().unwrap();
    let secret = token.strip_prefix("ofp_").expect("ofp_ prefix");
    assert_eq!(secret.len(), 40);
    assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric()), "{token}");
    assert_eq!(created["prefix"], &token[..12]);
    assert_eq!(created["scopes"], json!(["read", "write"]));
    let created_at: chrono::DateTime<chrono::Utc> =
        created["created_at"].as_str().unwrap().parse().unwrap();
    let expires_at: chrono::DateTime<chrono::Utc> =
        created["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expires_at - created_at,
        chrono::TimeDelta::days(90),
        "default expiry"
    );

    let listed = listed(&app, &ada).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], created["id"]);
    assert!(listed[0].get("token").is_none(), "never shown again");

    let script = TestUser {
        access_token: token.to_owned(),
        ..ada.clone()
    };
    let me = app
        .call(&script, Method::GET, "/api/v1/users/me", None)
        .await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["data"]["id"], ada.id.as_str());
    // Role checks are the user's: the token creates a team and administers it.
    let team = app.team(&script).await;
    assert_eq!(
        status(
            &app,
            &script,
            Method::PATCH,
            &format!("/api/v1/teams/{team}"),
            Some(json!({"name": "Renamed"}))
        )
        .await,
        200
    );
}

#[tokio::test]
async fn a_read_token_may_only_get_and_head_and_a_write_is_insufficient_scope() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = app.team(&ada).await;
    let reader = app.token_user(&ada, &["read"]).await;

    assert_eq!(
        status(
            &app,
            &reader,
            Method::GET,
            &format!("/api/v1/teams/{team}"),
            None
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &app,
            &reader,
            Method::HEAD,
            &format!("/api/v1/teams/{team}"),
            None
        )
        .await,
        200
    );
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/teams".to_owned(),
            Some(json!({"name": "T"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/teams/{team}"),
            Some(json!({"name": "T"})),
        ),
        (Method::DELETE, format!("/api/v1/teams/{team}"), None),
    ] {
        let response = app.call(&reader, method.clone(), &path, body).await;
        assert_eq!(response.status(), 403, "{method} {path}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer error=\"insufficient_scope\""
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "insufficient_scope", "{method} {path}");
    }
    let teams: Value = app
        .call(&ada, Method::GET, "/api/v1/teams", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        teams["data"].as_array().unwrap().len(),
        1,
        "nothing was created"
    );
    assert_eq!(
        status(
            &app,
            &reader,
            Method::GET,
            &format!("/api/v1/teams/{team}"),
            None
        )
        .await,
        200,
        "the delete did not happen"
    );
}

#[tokio::test]
async fn a_token_cannot_mint_tokens_or_touch_sessions_and_is_no_refresh_token() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let token = app.token_user(&ada, &["read", "write"]).await;

    let minted = create(&app, &token, json!({"name": "x", "scopes": ["read"]})).await;
    assert_eq!(minted.status(), 403);
    for (method, path) in [
        (Method::POST, "/api/v1/auth/logout"),
        (Method::POST, "/api/v1/auth/logout-all"),
        (Method::GET, "/api/v1/users/me/sessions"),
    ] {
        assert_eq!(
            status(&app, &token, method.clone(), path, None).await,
            403,
            "{method} {path}"
        );
    }
    let password = app
        .call(
            &token,
            Method::POST,
            "/api/v1/users/me/password",
            Some(json!({"current_password": opsflow_tests::PASSWORD, "new_password": "another passphrase"})),
        )
        .await;
    assert_eq!(password.status(), 403);
    let refreshed = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": token.access_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 401);
    // The session itself was not ended by any of it.
    assert_eq!(
        status(&app, &ada, Method::GET, "/api/v1/users/me/sessions", None).await,
        200
    );
    assert_eq!(listed(&app, &ada).await.len(), 1, "no second token");
}

#[tokio::test]
async fn a_revoked_token_stops_at_once_on_another_replica() {
    let app = spawn_app().await;
    let other_replica = app.replica(&[]).await;
    let ada = app.user("ada").await;
    let token = app.token_user(&ada, &["read", "write"]).await;
    // Used on the other replica first: its grant is remembered in the cache.
    assert_eq!(
        status(
            &other_replica,
            &token,
            Method::GET,
            "/api/v1/users/me",
            None
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &other_replica,
            &token,
            Method::GET,
            "/api/v1/users/me",
            None
        )
        .await,
        200
    );

    let id = listed(&app, &ada).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/users/me/tokens/{id}");
    assert_eq!(status(&app, &ada, Method::DELETE, &path, None).await, 204);

    let refused = other_replica
        .call(&token, Method::GET, "/api/v1/users/me", None)
        .await;
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        status(&app, &token, Method::GET, "/api/v1/users/me", None).await,
        401
    );
    assert!(listed(&app, &ada).await.is_empty());
    assert_eq!(
        status(&app, &ada, Method::DELETE, &path, None).await,
        404,
        "once"
    );
}

#[tokio::test]
async fn only_the_owner_revokes_a_token() {
    let app = spawn_app().await;
    let (ada, bob) = (app.user("ada").await, app.user("bob").await);
    let token = app.token_user(&ada, &["read"]).await;
    let id = listed(&app, &ada).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/users/me/tokens/{id}");
    assert_eq!(status(&app, &bob, Method::DELETE, &path, None).await, 404);
    assert_eq!(
        status(&app, &token, Method::GET, "/api/v1/users/me", None).await,
        200
    );
    assert!(listed(&app, &bob).await.is_empty());
}

#[tokio::test]
async fn bad_token_requests_are_400_and_the_fifty_first_token_is_limit_reached() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    for body in [
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "scopes": ["admin"]}),
        json!({"name": "", "scopes": ["read"]}),
        json!({"name": "x".repeat(101), "scopes": ["read"]}),
        json!({"name": "x", "scopes": ["read"], "expires_in_days": 0}),
        json!({"name": "x", "scopes": ["read"], "expires_in_days": 366}),
        json!({"name": "x", "scopes": ["read"], "owner": "someone"}),
        json!({"scopes": ["read"]}),
    ] {
        let response = create(&app, &ada, body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
    }
    let year = create(
        &app,
        &ada,
        json!({"name": "x", "scopes": ["read"], "expires_in_days": 365}),
    )
    .await;
    assert_eq!(year.status(), 201);
    for n in 1..50 {
        let response = create(
            &app,
            &ada,
            json!({"name": format!("t{n}"), "scopes": ["read"]}),
        )
        .await;
        assert_eq!(response.status(), 201, "token {n}");
    }
    let refused = create(&app, &ada, json!({"name": "one more", "scopes": ["read"]})).await;
    assert_eq!(refused.status(), 409);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "limit_reached");
    // Revoking one frees its place.
    let id = listed(&app, &ada).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/users/me/tokens/{id}");
    assert_eq!(status(&app, &ada, Method::DELETE, &path, None).await, 204);
    let again = create(
        &app,
        &ada,
        json!({"name": "in its place", "scopes": ["read"]}),
    )
    .await;
    assert_eq!(again.status(), 201);
}

#[tokio::test]
async fn an_expired_token_and_a_deleted_users_token_are_refused() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let expiring = app.token_user(&ada, &["read"]).await;
    let mut db = app.database().await;
    db.batch_execute(&format!(
        "UPDATE personal_tokens SET expires_at = now() - interval '1 second' WHERE user_id = '{}'",
        ada.id
    ))
    .await
    .unwrap();
    assert_eq!(
        status(&app, &expiring, Method::GET, "/api/v1/users/me", None).await,
        401
    );
    assert!(
        listed(&app, &ada).await.is_empty(),
        "an expired token is not listed"
    );

    let bob = app.user("bob").await;
    let orphan = app.token_user(&bob, &["read"]).await;
    db.batch_execute(&format!("DELETE FROM users WHERE id = '{}'", bob.id))
        .await
        .unwrap();
    assert_eq!(
        status(&app, &orphan, Method::GET, "/api/v1/users/me", None).await,
        401
    );
    assert_eq!(
        status(&app, &orphan, Method::GET, "/api/v1/teams", None).await,
        401
    );
}

#[tokio::test]
async fn last_used_at_is_recorded_and_written_at_most_once_a_minute() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let token = app.token_user(&ada, &["read"]).await;
    assert!(
        listed(&app, &ada).await[0]["last_used_at"].is_null(),
        "unused"
    );

    assert_eq!(
        status(&app, &token, Method::GET, "/api/v1/users/me", None).await,
        200
    );
    let first = listed(&app, &ada).await[0]["last_used_at"].clone();
    assert!(first.is_string(), "the first use is recorded: {first}");

    // Another use with the grant no longer cached: the lookup reads
    // PostgreSQL again, and a use 30 s ago is not rewritten...
    let mut db = app.database().await;
    let forget_and_age = |age: &str| {
        format!(
            "UPDATE personal_tokens SET last_used_at = now() - interval '{age}' \
             WHERE user_id = '{}'",
            ada.id
        )
    };
    db.batch_execute(&forget_and_age("30 seconds"))
        .await
        .unwrap();
    let aged = listed(&app, &ada).await[0]["last_used_at"].clone();
    app.forget_cached_grants().await;
    assert_eq!(
        status(&app, &token, Method::GET, "/api/v1/users/me", None).await,
        200
    );
    assert_eq!(
        listed(&app, &ada).await[0]["last_used_at"],
        aged,
        "not within the minute"
    );

    // ...while one a minute old is.
    db.batch_execute(&forget_and_age("61 seconds"))
        .await
        .unwrap();
    let stale = listed(&app, &ada).await[0]["last_used_at"].clone();
    app.forget_cached_grants().await;
    assert_eq!(
        status(&app, &token, Method::GET, "/api/v1/users/me", None).await,
        200
    );
    let touched = listed(&app, &ada).await[0]["last_used_at"].clone();
    assert_ne!(touched, stale, "a minute later it is written again");
}

/// The cache race a revocation must win: a replica that read a grant from
/// PostgreSQL just before the revocation and remembers it just after finds
/// the revocation in its place (`SET NX`), while a revocation replaces a
/// remembered grant.
#[tokio::test]
async fn a_grant_read_before_a_revocation_cannot_replace_it_in_the_cache() {
    use domain::personal_tokens::{CachedGrant, Scopes, TokenGrant, TokenGrantCache};
    let app = spawn_app().await;
    let cache = adapters_redis::RedisTokenGrantCache::new(app.redis_store());
    let grant = TokenGrant {
        token: uuid::Uuid::now_v7(),
        user: domain::ids::UserId::new(),
        scopes: Scopes::parse(&["read".to_owned()]).unwrap(),
        expires_at: chrono::Utc::now() + chrono::TimeDelta::days(1),
    };
    let ttl = std::time::Duration::from_secs(30);

    let (late, revoked_later) = (b"late".to_vec(), b"revoked later".to_vec());
    cache.revoked(&late, ttl * 2).await.unwrap();
    cache.remember(&late, grant, ttl).await.unwrap();
    assert_eq!(cache.get(&late).await.unwrap(), Some(CachedGrant::Revoked));

    cache.remember(&revoked_later, grant, ttl).await.unwrap();
    assert_eq!(
        cache.get(&revoked_later).await.unwrap(),
        Some(CachedGrant::Grant(grant))
    );
    cache.revoked(&revoked_later, ttl * 2).await.unwrap();
    assert_eq!(
        cache.get(&revoked_later).await.unwrap(),
        Some(CachedGrant::Revoked)
    );
    assert_eq!(cache.get(b"never seen").await.unwrap(), None);
}
