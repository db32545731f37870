use app::security::JwtAccessTokenCodec;
use domain::auth::{AccessClaims, AccessTokenCodec};
use opsflow_tests::{spawn_app, spawn_app_with, TestApp, TestUser, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

async fn me_with_token(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn assert_401(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthenticated");
    body
}

async fn refresh_with(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap()
}

fn forged(app: &TestApp, user: &TestUser, iat: i64, exp: i64) -> String {
    JwtAccessTokenCodec::new(app.config.auth.jwt_secret.as_bytes())
        .encode(&AccessClaims {
            sub: user.id.parse().unwrap(),
            sid: uuid::Uuid::now_v7(),
            iat,
            exp,
            jti: uuid::Uuid::now_v7(),
        })
        .unwrap()
}

#[tokio::test]
async fn register_returns_the_user_without_any_password_material() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": "Ada@Example.com", "password": PASSWORD, "name": " Ada "}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let user = body["data"].as_object().unwrap();
    let mut keys: Vec<_> = user.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["created_at", "email", "id", "name"]);
    assert_eq!(user["name"], "Ada");
    assert_eq!(
        uuid::Uuid::parse_str(user["id"].as_str().unwrap())
            .unwrap()
            .get_version_num(),
        7
    );
}

#[tokio::test]
async fn the_same_email_in_another_case_is_taken() {
    let app = spawn_app().await;
    let body = json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada"});
    let first = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);

    let second = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": "ADA@example.COM", "password": PASSWORD, "name": "Other"}))
        .send()
        .await
        .unwrap();

    assert_eq!(second.status(), 409);
    let problem: Value = second.json().await.unwrap();
    assert_eq!(problem["code"], "email_taken");
}

#[tokio::test]
async fn invalid_registration_fields_are_all_reported() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": "nope", "password": "short", "name": ""}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "validation_failed");
    let fields: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["email", "password", "name"]);
}

#[tokio::test]
async fn unknown_and_missing_fields_are_rejected() {
    let app = spawn_app().await;
    for body in [
        json!({"email": "a@b.co", "password": PASSWORD, "name": "A", "admin": true}),
        json!({"email": "a@b.co", "password": PASSWORD}),
        json!({"email": 5, "password": PASSWORD, "name": "A"}),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
    }
}

#[tokio::test]
async fn login_sets_http_only_strict_cookies_and_returns_a_bearer_token() {
    let app = spawn_app().await;
    let user = app.user("ada").await;

    let response = app.login(&user.email, PASSWORD).await;

    assert_eq!(response.status(), 200);
    let set_cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let access = set_cookies
        .iter()
        .find(|c| c.starts_with("access_token="))
        .unwrap();
    let refresh = set_cookies
        .iter()
        .find(|c| c.starts_with("refresh_token="))
        .unwrap();
    for cookie in [access, refresh] {
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(
            !cookie.contains("Secure"),
            "test config disables Secure: {cookie}"
        );
    }
    assert!(
        access.contains("Path=/;") || access.ends_with("Path=/"),
        "{access}"
    );
    assert!(refresh.contains("Path=/api/v1/auth"), "{refresh}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["token_type"], "Bearer");
    assert_eq!(body["data"]["expires_in"], 900);
    assert_eq!(body["data"]["user"]["email"], user.email.as_str());
    assert_eq!(
        me_with_token(&app, body["data"]["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_email_are_indistinguishable() {
    let app = spawn_app().await;
    let user = app.user("ada").await;

    let wrong_password = assert_401(app.login(&user.email, "not the password").await).await;
    let unknown_email = assert_401(app.login("ghost@example.com", PASSWORD).await).await;

    assert_eq!(wrong_password["detail"], unknown_email["detail"]);
    assert_eq!(wrong_password["detail"], "invalid email or password");
}

#[tokio::test]
async fn protected_routes_refuse_missing_expired_tampered_and_alg_none_tokens() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let now = chrono::Utc::now().timestamp();

    let missing = app
        .client
        .get(app.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_401(missing).await;

    assert_401(me_with_token(&app, &forged(&app, &user, now - 1000, now - 10)).await).await;

    let valid = forged(&app, &user, now, now + 600);
    assert_eq!(
        me_with_token(&app, &valid).await.status(),
        200,
        "a correctly signed token works"
    );
    // Tamper with a valid payload (every claim present, `sid` included), so
    // only the signature can refuse it: the same claims signed properly are
    // accepted, the original signature over them is not.
    let mut parts: Vec<&str> = valid.split('.').collect();
    let tampered_payload = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: serde_json::Value =
            serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        assert!(claims["sid"].is_string(), "a complete payload: {claims}");
        claims["exp"] = serde_json::json!(now + 601);
        engine.encode(claims.to_string())
    };
    assert_eq!(
        me_with_token(&app, &forged(&app, &user, now, now + 601))
            .await
            .status(),
        200,
        "the tampered claims themselves are acceptable when signed"
    );
    parts[1] = &tampered_payload;
    assert_401(me_with_token(&app, &parts.join(".")).await).await;

    let none_header = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
    };
    let payload = valid.split('.').nth(1).unwrap();
    assert_401(me_with_token(&app, &format!("{none_header}.{payload}.")).await).await;

    let basic = app
        .client
        .get(app.url("/api/v1/users/me"))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_401(basic).await;
}

#[tokio::test]
async fn the_access_token_cookie_authenticates_too() {
    let app = spawn_app().await;
    let user = app.user("ada").await;

    let response = app
        .client
        .get(app.url("/api/v1/users/me"))
        .header("cookie", format!("access_token={}", user.access_token))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["id"], user.id.as_str());
}

#[tokio::test]
async fn cookie_authenticated_writes_from_a_foreign_origin_are_forbidden() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let create = |origin: &'static str| {
        app.client
            .post(app.url("/api/v1/teams"))
            .header("cookie", format!("access_token={}", user.access_token))
            .header("origin", origin)
            .json(&json!({"name": "Team"}))
            .send()
    };

    let foreign = create("http://evil.example").await.unwrap();
    assert_eq!(foreign.status(), 403);

    let own = create("http://allowed.example").await.unwrap();
    assert_eq!(own.status(), 201);
}

/// The new refresh token a refresh answer sets.
fn refresh_cookie(response: &reqwest::Response) -> String {
    response
        .cookies()
        .find(|c| c.name() == "refresh_token")
        .expect("a refresh_token cookie")
        .value()
        .to_owned()
}

/// No grace window (`OPSFLOW_REFRESH_GRACE_SECS=0`): any second use of a
/// refresh token is reuse — what every use after the window is.
#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_whole_family() {
    let app = spawn_app_with(
        &[("OPSFLOW_REFRESH_GRACE_SECS", "0")],
        std::future::pending(),
    )
    .await;
    let user = app.user("ada").await;

    let first = refresh_with(&app, &user.refresh_token).await;
    assert_eq!(first.status(), 200);
    let rotated = refresh_cookie(&first);
    assert_ne!(
        rotated, user.refresh_token,
        "a new refresh token every time"
    );

    // The old token again: reuse. It fails, and so does the token that replaced it.
    assert_401(refresh_with(&app, &user.refresh_token).await).await;
    assert_401(refresh_with(&app, &rotated).await).await;
}

/// Inside the grace window (default 10 s), a second refresh with the same
/// token gets the first one's pair again — but only while that pair is
/// unused: once the new refresh token has been used, the old one is reuse.
#[tokio::test]
async fn a_token_presented_again_after_its_new_pair_was_used_revokes_the_family() {
    let app = spawn_app().await;
    let user = app.user("ada").await;

    let first = refresh_with(&app, &user.refresh_token).await;
    assert_eq!(first.status(), 200);
    let again = refresh_with(&app, &user.refresh_token).await;
    assert_eq!(
        again.status(),
        200,
        "inside the window, the new pair unused"
    );
    assert_eq!(refresh_cookie(&again), refresh_cookie(&first));

    let next = refresh_with(&app, &refresh_cookie(&first)).await;
    assert_eq!(next.status(), 200, "the new pair is used");
    let latest = refresh_cookie(&next);
    assert_401(refresh_with(&app, &user.refresh_token).await).await;
    assert_401(refresh_with(&app, &latest).await).await;
}

#[tokio::test]
async fn refresh_reads_the_cookie_when_there_is_no_body() {
    let app = spawn_app().await;
    let user = app.user("ada").await;

    let response = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("refresh_token={}", user.refresh_token))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        me_with_token(&app, body["data"]["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

/// Two tabs refreshing at once with one token (contract → Sessions): both
/// succeed and get the same new pair, which works.
#[tokio::test]
async fn two_concurrent_refreshes_with_one_token_get_the_same_new_pair() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    // Make the overlap certain: the test holds the token's row lock until
    // both refreshes wait for it, so both presented the token before either
    // rotated it.
    let holder = app
        .hold_locks(&format!(
            "SELECT 1 FROM refresh_tokens WHERE user_id = '{}' FOR UPDATE",
            user.id
        ))
        .await;
    let release = app.release_when_waiting(holder, 2);

    let (a, b, ()) = tokio::join!(
        refresh_with(&app, &user.refresh_token),
        refresh_with(&app, &user.refresh_token),
        release
    );

    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let refresh = refresh_cookie(&a);
    assert_eq!(refresh_cookie(&b), refresh, "the same refresh token");
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    let access = a["data"]["access_token"].as_str().unwrap();
    assert_eq!(b["data"]["access_token"], access, "the same access token");
    assert_eq!(me_with_token(&app, access).await.status(), 200);
    assert_eq!(refresh_with(&app, &refresh).await.status(), 200);
}

#[tokio::test]
async fn logout_revokes_the_access_token_at_once_and_the_refresh_family() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    assert_eq!(me_with_token(&app, &user.access_token).await.status(), 200);

    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&user.access_token)
        .header("cookie", format!("refresh_token={}", user.refresh_token))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 204);
    let cleared: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("access_token=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("refresh_token=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    let revoked = assert_401(me_with_token(&app, &user.access_token).await).await;
    assert!(revoked["detail"].as_str().unwrap().contains("revoked"));
    assert_401(refresh_with(&app, &user.refresh_token).await).await;
}

#[tokio::test]
async fn logout_of_one_session_leaves_other_sessions_working() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let other_login: Value = app.login(&user.email, PASSWORD).await.json().await.unwrap();
    let other_token = other_login["data"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = app
        .call(&user, Method::POST, "/api/v1/auth/logout", None)
        .await;

    assert_eq!(response.status(), 204);
    assert_eq!(me_with_token(&app, &other_token).await.status(), 200);
}

async fn register_as(app: &TestApp, email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": email, "password": PASSWORD, "name": "Someone"}))
        .send()
        .await
        .unwrap()
}

/// One address, one account, in every spelling: what registers can log in
/// (the Turkish dotted İ and the Greek final sigma used not to), and what
/// only looks like a registered address is refused or is the same account.
#[tokio::test]
async fn an_email_is_one_identity_in_every_spelling() {
    let app = spawn_app().await;
    for (registered, login_as) in [
        ("İvan@ex.com", "İVAN@EX.COM"),
        ("ΟΔΟΣ@ex.com", "οδος@ex.com"),
        ("e\u{301}lise@ex.com", "\u{e9}lise@ex.com"),
        ("ada@ex.com", "ａｄａ@ex.com"),
    ] {
        assert_eq!(
            register_as(&app, registered).await.status(),
            201,
            "{registered}"
        );
        assert_eq!(
            app.login(registered, PASSWORD).await.status(),
            200,
            "{registered}"
        );
        assert_eq!(
            app.login(login_as, PASSWORD).await.status(),
            200,
            "{registered} as {login_as}"
        );
        let again = register_as(&app, login_as).await;
        assert_eq!(again.status(), 409, "{login_as} is {registered}");
        let body: Value = again.json().await.unwrap();
        assert_eq!(body["code"], "email_taken");
    }
    for invisible in [
        "ada\u{200B}@ex.com",
        "ad\u{00AD}a@ex.com",
        "\u{FEFF}grace@ex.com",
    ] {
        let refused = register_as(&app, invisible).await;
        assert_eq!(refused.status(), 400, "{invisible:?}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(app.login(invisible, PASSWORD).await.status(), 401);
    }
    // Adding a member finds the account by any spelling of its address.
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let added = app
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/teams/{team}/members"),
            Some(json!({"email": "İVAN@ex.com", "role": "member"})),
        )
        .await;
    assert_eq!(added.status(), 201);
    let member: Value = added.json().await.unwrap();
    assert_eq!(
        member["data"]["user"]["email"], "İvan@ex.com",
        "shown as registered"
    );
}
