//! The holes a security probe found in identity and input handling (issue 14),
//! one test per finding, each over HTTP against the real stack.

use app::security::JwtAccessTokenCodec;
use diesel_async::SimpleAsyncConnection;
use domain::auth::{AccessClaims, AccessTokenCodec};
use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    body
}

async fn validation_failed(response: reqwest::Response) -> Value {
    let body = problem(response, 400).await;
    assert_eq!(body["code"], "validation_failed", "{body}");
    body
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.client
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn refresh_with(app: &TestApp, token: &str) -> StatusCode {
    post(app, "/api/v1/auth/refresh", json!({"refresh_token": token}))
        .await
        .status()
}

/// A team with a project and a task, created by `admin`.
async fn workspace(app: &TestApp, admin: &TestUser) -> (String, String, String) {
    let team = app.team(admin).await;
    let project = app.project(admin, &team).await;
    let task = app.task(admin, &project, json!({"title": "Probe"})).await;
    (team, project, task["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn nul_in_any_text_is_400_validation_failed_never_500() {
    let app = spawn_app().await;
    let nul = "a\u{0}b";
    let register = post(
        &app,
        "/api/v1/auth/register",
        json!({"email": "a\u{0}@x.io", "password": "pass\u{0}word123", "name": nul}),
    )
    .await;
    let body = validation_failed(register).await;
    assert_eq!(fields(&body), ["email", "password", "name"]);
    let login = post(
        &app,
        "/api/v1/auth/login",
        json!({"email": "a\u{0}@x.io", "password": "password123"}),
    )
    .await;
    assert_eq!(fields(&validation_failed(login).await), ["email"]);

    let admin = app.user("admin").await;
    let (team, project, task) = workspace(&app, &admin).await;
    let comment_path = format!("/api/v1/tasks/{task}/comments");
    let cases = [
        (
            Method::POST,
            "/api/v1/teams".to_owned(),
            json!({"name": nul}),
            "name",
        ),
        (
            Method::PATCH,
            format!("/api/v1/teams/{team}"),
            json!({"name": nul}),
            "name",
        ),
        (
            Method::POST,
            format!("/api/v1/teams/{team}/members"),
            json!({"email": "x\u{0}@x.io", "role": "member"}),
            "email",
        ),
        (
            Method::POST,
            format!("/api/v1/teams/{team}/projects"),
            json!({"name": nul}),
            "name",
        ),
        (
            Method::PATCH,
            format!("/api/v1/projects/{project}"),
            json!({"description": nul}),
            "description",
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{project}/tasks"),
            json!({"title": nul}),
            "title",
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{project}/tasks"),
            json!({"title": "ok", "description": nul}),
            "description",
        ),
        (
            Method::PATCH,
            format!("/api/v1/tasks/{task}"),
            json!({"version": 1, "title": nul}),
            "title",
        ),
        (Method::POST, comment_path, json!({"body": nul}), "body"),
    ];
    for (method, path, body, field) in cases {
        let response = app.call(&admin, method.clone(), &path, Some(body)).await;
        let problem = validation_failed(response).await;
        assert_eq!(fields(&problem), [field], "{method} {path}");
    }
    let search = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}/tasks?q=%00"),
            None,
        )
        .await;
    assert_eq!(fields(&validation_failed(search).await), ["q"]);
}

#[tokio::test]
async fn a_json_array_is_not_an_object_on_any_body() {
    let app = spawn_app().await;
    let register = post(
        &app,
        "/api/v1/auth/register",
        json!(["a@x.io", "password123", "Ada"]),
    )
    .await;
    validation_failed(register).await;
    let login = post(&app, "/api/v1/auth/login", json!(["a@x.io", "password123"])).await;
    validation_failed(login).await;

    let admin = app.user("admin").await;
    let member = app.user("member").await;
    let (team, project, task) = workspace(&app, &admin).await;
    app.call(
        &admin,
        Method::PATCH,
        &format!("/api/v1/projects/{project}"),
        Some(json!({"description": "keep me"})),
    )
    .await;
    let cases = [
        (
            Method::POST,
            "/api/v1/teams".to_owned(),
            json!(["team-from-array"]),
        ),
        (
            Method::POST,
            format!("/api/v1/teams/{team}/members"),
            json!([member.email, "member"]),
        ),
        (
            Method::POST,
            format!("/api/v1/tasks/{task}/comments"),
            json!(["from an array"]),
        ),
        (
            Method::PATCH,
            format!("/api/v1/projects/{project}"),
            json!([null, null]),
        ),
    ];
    for (method, path, body) in cases {
        let response = app.call(&admin, method.clone(), &path, Some(body)).await;
        let problem = validation_failed(response).await;
        assert_eq!(fields(&problem), ["body"], "{method} {path}");
    }

    let teams: Value = app
        .call(&admin, Method::GET, "/api/v1/teams", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        teams["data"].as_array().unwrap().len(),
        1,
        "no team from the array"
    );
    let project: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(project["data"]["description"], "keep me");
    let refresh = post(&app, "/api/v1/auth/refresh", json!([admin.refresh_token])).await;
    validation_failed(refresh).await;
}

#[tokio::test]
async fn cookie_refresh_obeys_the_origin_rule() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let cookie = format!("refresh_token={}", user.refresh_token);
    let refresh = |origin: Option<&'static str>| {
        let mut request = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .header("cookie", cookie.clone());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };

    let evil = refresh(Some("http://evil.example")).await.unwrap();
    let body = problem(evil, 403).await;
    assert_eq!(body["code"], "forbidden");
    // The refused request did not consume the token: the allowed origin works.
    let allowed = refresh(Some("http://allowed.example")).await.unwrap();
    assert_eq!(allowed.status(), 200);
}

#[tokio::test]
async fn logout_with_only_a_bearer_token_ends_its_session_and_never_anothers() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;

    // Ada logs out with Bob's refresh token in the body: Ada's session ends,
    // Bob's does not.
    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&ada.access_token)
        .json(&json!({"refresh_token": bob.refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    assert_eq!(refresh_with(&app, &ada.refresh_token).await, 401);
    assert_eq!(me(&app, &ada.access_token).await, 401);
    assert_eq!(refresh_with(&app, &bob.refresh_token).await, 200);
    assert_eq!(me(&app, &bob.access_token).await, 200);
}

#[tokio::test]
async fn a_token_whose_user_no_longer_exists_is_401_everywhere() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let victim = app.user("victim").await;
    let (team, project, task) = workspace(&app, &admin).await;
    app.add_member(&admin, &team, &victim, "member").await;
    app.database()
        .await
        .batch_execute(&format!("DELETE FROM users WHERE id = '{}'", victim.id))
        .await
        .unwrap();

    let calls = [
        (Method::GET, "/api/v1/users/me".to_owned(), None),
        (
            Method::POST,
            "/api/v1/teams".to_owned(),
            Some(json!({"name": "Ghost team"})),
        ),
        (Method::GET, "/api/v1/teams".to_owned(), None),
        (Method::GET, format!("/api/v1/teams/{team}"), None),
        (Method::GET, format!("/api/v1/teams/{team}/projects"), None),
        (Method::GET, format!("/api/v1/projects/{project}"), None),
        (
            Method::GET,
            format!("/api/v1/projects/{project}/tasks"),
            None,
        ),
        (Method::GET, format!("/api/v1/tasks/{task}"), None),
        (
            Method::POST,
            format!("/api/v1/tasks/{task}/comments"),
            Some(json!({"body": "boo"})),
        ),
        (Method::POST, "/api/v1/auth/logout".to_owned(), None),
    ];
    for (method, path, body) in calls {
        let response = app.call(&victim, method.clone(), &path, body).await;
        assert_eq!(response.status(), 401, "{method} {path}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
}

#[tokio::test]
async fn every_byte_of_a_long_password_counts() {
    let app = spawn_app().await;
    let password = format!("{}-and-the-rest", "p".repeat(83)); // 97 characters
    let email = "long@example.com";
    let register = post(
        &app,
        "/api/v1/auth/register",
        json!({"email": email, "password": password, "name": "Long"}),
    )
    .await;
    assert_eq!(register.status(), 201);

    let first_72: String = password.chars().take(72).collect();
    assert_eq!(app.login(email, &first_72).await.status(), 401);
    let one_off = format!("{}-and-the-resT", "p".repeat(83));
    assert_eq!(app.login(email, &one_off).await.status(), 401);
    assert_eq!(app.login(email, &password).await.status(), 200);
}

fn token_with_iat(app: &TestApp, user: &TestUser, iat: i64) -> String {
    JwtAccessTokenCodec::new(app.config.auth.jwt_secret.as_bytes())
        .encode(&AccessClaims {
            sub: user.id.parse().unwrap(),
            sid: uuid::Uuid::now_v7(),
            iat,
            exp: iat + 3600,
            jti: uuid::Uuid::now_v7(),
        })
        .unwrap()
}

#[tokio::test]
async fn a_token_issued_in_the_future_is_refused() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let now = chrono::Utc::now().timestamp();
    assert_eq!(me(&app, &token_with_iat(&app, &user, now + 30)).await, 200);
    assert_eq!(me(&app, &token_with_iat(&app, &user, now + 300)).await, 401);
}

#[tokio::test]
async fn the_auth_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let response = app
            .client
            .get(app.url("/api/v1/users/me"))
            .header("authorization", format!("{scheme} {}", user.access_token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{scheme}");
    }
    let basic = app
        .client
        .get(app.url("/api/v1/users/me"))
        .header("authorization", format!("Basic {}", user.access_token))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let (_, _, task) = workspace(&app, &user).await;
    let get = app
        .call(&user, Method::GET, &format!("/api/v1/tasks/{task}"), None)
        .await;
    let (get_etag, get_length) = (
        get.headers()["etag"].clone(),
        get.bytes().await.unwrap().len(),
    );

    let head = app
        .call(&user, Method::HEAD, &format!("/api/v1/tasks/{task}"), None)
        .await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"], get_etag);
    assert_eq!(
        head.headers()["content-length"],
        get_length.to_string().as_str()
    );
    assert!(head.bytes().await.unwrap().is_empty());

    let health = app.client.head(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn null_or_invisible_titles_are_refused_not_ignored() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let (_, project, task) = workspace(&app, &user).await;
    let path = format!("/api/v1/tasks/{task}");
    for body in [
        json!({"version": 1, "title": null}),
        json!({"version": 1, "status": null}),
        json!({"version": 1, "title": "\u{200B}\u{FEFF}\u{200D}"}),
    ] {
        let response = app
            .call(&user, Method::PATCH, &path, Some(body.clone()))
            .await;
        let problem = validation_failed(response).await;
        assert!(fields(&problem).len() == 1, "{body}: {problem}");
    }
    let created = app
        .call(
            &user,
            Method::POST,
            &format!("/api/v1/projects/{project}/tasks"),
            Some(json!({"title": "\u{200B} \u{2060}"})),
        )
        .await;
    assert_eq!(fields(&validation_failed(created).await), ["title"]);
    let unchanged: Value = app
        .call(&user, Method::GET, &path, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["data"]["title"], "Probe");
    assert_eq!(unchanged["data"]["version"], 1);
}

#[tokio::test]
async fn a_cursor_only_works_for_the_project_and_sort_it_came_from() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let (one, two) = (
        app.project(&user, &team).await,
        app.project(&user, &team).await,
    );
    for project in [&one, &two] {
        for n in 0..3 {
            app.task(&user, project, json!({"title": format!("T{n}")}))
                .await;
        }
    }
    let page: Value = app
        .call(
            &user,
            Method::GET,
            &format!("/api/v1/projects/{one}/tasks?limit=1&sort=title"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["meta"]["next_cursor"].as_str().unwrap().to_owned();

    let same = app
        .call(
            &user,
            Method::GET,
            &format!("/api/v1/projects/{one}/tasks?limit=1&sort=title&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(same.status(), 200);
    for query in [
        format!("/api/v1/projects/{two}/tasks?limit=1&sort=title&cursor={cursor}"),
        format!("/api/v1/projects/{one}/tasks?limit=1&sort=-title&cursor={cursor}"),
    ] {
        let response = app.call(&user, Method::GET, &query, None).await;
        assert_eq!(
            fields(&validation_failed(response).await),
            ["cursor"],
            "{query}"
        );
    }
}

#[tokio::test]
async fn bad_request_details_name_the_field_and_rule_never_a_rust_type() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let (_, project, _) = workspace(&app, &user).await;

    let path = app
        .call(&user, Method::GET, "/api/v1/tasks/not-a-uuid", None)
        .await;
    let body = validation_failed(path).await;
    assert_eq!(fields(&body), ["task_id"]);
    assert_eq!(body["errors"][0]["message"], "must be a UUID");

    let typed = app
        .call(
            &user,
            Method::POST,
            &format!("/api/v1/projects/{project}/tasks"),
            Some(json!({"title": 5})),
        )
        .await;
    let body = validation_failed(typed).await;
    assert_eq!(fields(&body), ["title"]);
    let missing = app
        .call(&user, Method::POST, "/api/v1/teams", Some(json!({})))
        .await;
    let missing = validation_failed(missing).await;
    assert_eq!(fields(&missing), ["name"]);
    assert_eq!(missing["errors"][0]["message"], "is required");
    for body in [body, missing] {
        let text = body.to_string();
        for leak in ["struct", "Body", "deserialize", "i64", "u32", "line 1"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }
}

#[tokio::test]
async fn access_tokens_of_a_family_revoked_for_reuse_stop_at_once() {
    // No grace window: the second use below is reuse at once.
    let app = opsflow_tests::spawn_app_with(
        &[("OPSFLOW_REFRESH_GRACE_SECS", "0")],
        std::future::pending(),
    )
    .await;
    let user = app.user("ada").await;
    // Rotate once: the original refresh token is now used.
    assert_eq!(refresh_with(&app, &user.refresh_token).await, 200);
    assert_eq!(me(&app, &user.access_token).await, 200);

    // Presenting it again is reuse: the family is revoked, and so is every
    // access token it issued, long before they would expire.
    assert_eq!(refresh_with(&app, &user.refresh_token).await, 401);
    assert_eq!(me(&app, &user.access_token).await, 401);
}

#[tokio::test]
async fn a_wrong_method_on_an_existing_route_is_405_with_allow() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let (_, _, task) = workspace(&app, &user).await;

    let response = app
        .call(&user, Method::POST, &format!("/api/v1/tasks/{task}"), None)
        .await;
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    let body = problem(response, 405).await;
    assert_eq!(body["code"], "method_not_allowed");
    for method in ["GET", "HEAD", "PATCH", "PUT", "DELETE"] {
        assert!(allow.contains(method), "{allow}");
    }
    assert!(!allow.contains("POST"), "{allow}");

    let unknown = app
        .call(&user, Method::POST, "/api/v1/nothing-here", None)
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_plain_options_request_is_answered_with_allow_not_refused() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let (_, _, task) = workspace(&app, &user).await;

    // No Origin, no Access-Control-Request-Method: not a preflight.
    let response = app
        .client
        .request(Method::OPTIONS, app.url(&format!("/api/v1/tasks/{task}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    for method in ["GET", "HEAD", "PATCH", "PUT", "DELETE", "OPTIONS"] {
        assert!(allow.contains(method), "{allow}");
    }
    let unknown = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

/// `offset` and the `o<n>` cursor are two spellings of one position: the
/// same bound (0..=10000) holds for both on every offset-cursored list.
#[tokio::test]
async fn an_offset_cursor_obeys_the_offset_bound() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let team = app.team(&user).await;
    let lists = [
        "/api/v1/notifications".to_owned(),
        "/api/v1/teams".to_owned(),
        format!("/api/v1/teams/{team}/members"),
    ];
    for list in &lists {
        for cursor in ["o10001", "o4294967295", "o+5", "o", "o-1"] {
            let response = app
                .call(&user, Method::GET, &format!("{list}?cursor={cursor}"), None)
                .await;
            let body = problem(response, 400).await;
            assert_eq!(fields(&body), ["cursor"], "{list} {cursor}");
        }
        let edge = app
            .call(&user, Method::GET, &format!("{list}?cursor=o10000"), None)
            .await;
        assert_eq!(edge.status(), 200, "{list}: the bound itself is allowed");
        let edge: Value = edge.json().await.unwrap();
        assert_eq!(edge["data"].as_array().unwrap().len(), 0, "{list}");
    }
}
