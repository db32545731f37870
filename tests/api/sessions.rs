//! Sessions (contract → Sessions), through two api processes sharing one
//! PostgreSQL and one Redis: the list, ending one, ending all, and the
//! password change that ends every other one — each effective at once on
//! the other replica.

use opsflow_tests::{spawn_app, spawn_app_with, TestApp, TestUser, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A second login of `user` from a client that says it is `user_agent`:
/// another session, as the same user with its own tokens.
async fn second_login(app: &TestApp, user: &TestUser, user_agent: &str) -> TestUser {
    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("User-Agent", user_agent)
        .json(&json!({"email": user.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let refresh_token = login
        .cookies()
        .find(|c| c.name() == "refresh_token")
        .unwrap()
        .value()
        .to_owned();
    let body: Value = login.json().await.unwrap();
    TestUser {
        access_token: body["data"]["access_token"].as_str().unwrap().to_owned(),
        refresh_token,
        ..user.clone()
    }
}

async fn sessions(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let response = app
        .call(user, Method::GET, "/api/v1/users/me/sessions", None)
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

async fn me(app: &TestApp, user: &TestUser) -> StatusCode {
    app.call(user, Method::GET, "/api/v1/users/me", None)
        .await
        .status()
}

async fn refresh(app: &TestApp, user: &TestUser) -> StatusCode {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": user.refresh_token}))
        .send()
        .await
        .unwrap()
        .status()
}

/// The id of the session a list was asked for with (`current`).
fn current_id(listed: &[Value]) -> String {
    listed.iter().find(|s| s["current"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_list_shows_each_login_with_its_client_and_marks_the_current_one() {
    let app = spawn_app().await;
    let first = app.user("ada").await;
    let second = second_login(&app, &first, "Tab B/\t1.0").await;

    let listed = sessions(&app, &first).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    // The most recently used first: the second login.
    assert_eq!(listed[0]["user_agent"], "Tab B/1.0");
    assert_eq!(listed[0]["ip"], "127.0.0.1");
    assert_eq!(listed[0]["current"], false);
    assert_eq!(listed[1]["current"], true);
    for session in &listed {
        assert!(session["created_at"].is_string() && session["last_used_at"].is_string());
    }
    let theirs = sessions(&app, &second).await;
    assert_ne!(current_id(&listed), current_id(&theirs));

    // Someone else's list never shows them.
    let other = app.user("bob").await;
    assert_eq!(sessions(&app, &other).await.len(), 1);
}

#[tokio::test]
async fn ending_a_session_stops_its_tokens_at_once_on_every_replica() {
    let a = spawn_app().await;
    let b = a.replica(&[]).await;
    let laptop = a.user("ada").await;
    let phone = second_login(&a, &laptop, "Phone").await;
    let phone_id = current_id(&sessions(&a, &phone).await);
    assert_eq!(me(&b, &phone).await, 200);

    let other = a.user("bob").await;
    let not_theirs = a
        .call(
            &other,
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{phone_id}"),
            None,
        )
        .await;
    assert_eq!(not_theirs.status(), 404, "another user's session");
    assert_eq!(me(&b, &phone).await, 200);

    let ended = a
        .call(
            &laptop,
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{phone_id}"),
            None,
        )
        .await;
    assert_eq!(ended.status(), 204);
    assert_eq!(
        me(&b, &phone).await,
        401,
        "its access token, on the other replica"
    );
    assert_eq!(refresh(&b, &phone).await, 401, "its refresh token");
    assert_eq!(me(&b, &laptop).await, 200, "the other session goes on");
    assert_eq!(sessions(&b, &laptop).await.len(), 1);
    let again = a
        .call(
            &laptop,
            Method::DELETE,
            &format!("/api/v1/users/me/sessions/{phone_id}"),
            None,
        )
        .await;
    assert_eq!(again.status(), 404, "an ended session is gone");
}

#[tokio::test]
async fn logout_all_ends_every_session_this_one_included() {
    let a = spawn_app().await;
    let b = a.replica(&[]).await;
    let laptop = a.user("ada").await;
    let phone = second_login(&a, &laptop, "Phone").await;
    let bob = a.user("bob").await;

    let response = a
        .call(&laptop, Method::POST, "/api/v1/auth/logout-all", None)
        .await;
    assert_eq!(response.status(), 204);
    let cleared: Vec<String> = response
        .cookies()
        .filter(|c| c.value().is_empty())
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(cleared.len(), 2, "both cookies cleared: {cleared:?}");
    for session in [&laptop, &phone] {
        assert_eq!(me(&b, session).await, 401);
        assert_eq!(refresh(&b, session).await, 401);
    }
    assert_eq!(me(&b, &bob).await, 200, "another user is untouched");
}

#[tokio::test]
async fn a_password_change_needs_the_current_password_and_ends_every_other_session() {
    let a = spawn_app().await;
    let b = a.replica(&[]).await;
    let laptop = a.user("ada").await;
    let phone = second_login(&a, &laptop, "Phone").await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    let wrong = a
        .call(
            &laptop,
            Method::POST,
            "/api/v1/users/me/password",
            Some(change("not it at all", "a brand new password")),
        )
        .await;
    assert_eq!(wrong.status(), 403);
    let short = a
        .call(
            &laptop,
            Method::POST,
            "/api/v1/users/me/password",
            Some(change(PASSWORD, "short")),
        )
        .await;
    assert_eq!(short.status(), 400);
    let problem: Value = short.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "new_password", "{problem}");
    assert_eq!(me(&b, &phone).await, 200, "a refused change ends nothing");

    let changed = a
        .call(
            &laptop,
            Method::POST,
            "/api/v1/users/me/password",
            Some(change(PASSWORD, "a brand new password")),
        )
        .await;
    assert_eq!(changed.status(), 204);
    assert_eq!(me(&b, &phone).await, 401, "the other session ends");
    assert_eq!(refresh(&b, &phone).await, 401);
    assert_eq!(me(&b, &laptop).await, 200, "this one goes on");
    assert_eq!(refresh(&b, &laptop).await, 200);
    assert_eq!(a.login(&laptop.email, PASSWORD).await.status(), 401);
    assert_eq!(
        a.login(&laptop.email, "a brand new password")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn guessing_the_current_password_counts_against_the_login_quota() {
    let app = spawn_app_with(
        &[("OPSFLOW_RATE_LIMIT_LOGIN_PER_MIN", "3")],
        std::future::pending(),
    )
    .await;
    let user = app.user("ada").await;
    let guess =
        json!({"current_password": "a wrong guess", "new_password": "a brand new password"});
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = app
            .call(
                &user,
                Method::POST,
                "/api/v1/users/me/password",
                Some(guess.clone()),
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [403, 403, 403, 429]);
}
