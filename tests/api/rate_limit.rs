//! Rate limiting: GCRA in Redis, shared by every replica; per user, per client
//! address, and per address + email on login; headers on every `/api/v1`
//! response; operational endpoints never limited; `X-Forwarded-For` believed
//! only from trusted proxies; Redis down lets requests through.

use opsflow_tests::{spawn_app_with, TcpProxy, TestApp, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

async fn app(overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_with(overrides, std::future::pending()).await
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

/// An unauthenticated request, counted per client address.
async fn anonymous(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url("/api/v1/users/me"));
    if let Some(chain) = forwarded_for {
        request = request.header("x-forwarded-for", chain);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn every_api_response_reports_its_quota_and_operations_are_never_limited() {
    let app = app(&[("OPSFLOW_RATE_LIMIT_IP_PER_MIN", "3")]).await;
    let user = app.user("ada").await; // register + login: two of the address's three

    let me = app.call(&user, Method::GET, "/api/v1/users/me", None).await;
    assert_eq!(me.status(), 200);
    assert_eq!(header(&me, "ratelimit-limit").as_deref(), Some("300"));
    assert_eq!(header(&me, "ratelimit-remaining").as_deref(), Some("299"));
    let reset: u64 = header(&me, "ratelimit-reset").unwrap().parse().unwrap();
    assert!((1..=60).contains(&reset), "{reset}");
    let missing = app.get("/api/v1/no-such-thing").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "ratelimit-limit").as_deref(), Some("3"));
    assert_eq!(
        header(&missing, "ratelimit-remaining").as_deref(),
        Some("0")
    );

    // The address's 3 per minute are spent (registration, login, the 404):
    // probes, scrapers and docs still answer.
    for path in ["/health", "/ready", "/api/v1/openapi.json", "/health"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(header(&response, "ratelimit-limit").is_none(), "{path}");
    }
    assert_eq!(anonymous(&app, None).await.status(), 429);
}

#[tokio::test]
async fn the_quota_is_shared_by_replicas_and_429_says_when_to_retry() {
    let a = app(&[("OPSFLOW_RATE_LIMIT_USER_PER_MIN", "5")]).await;
    let b = a.replica(&[("OPSFLOW_RATE_LIMIT_USER_PER_MIN", "5")]).await;
    let user = a.user("ada").await;

    let mut remaining = Vec::new();
    for app in [&a, &b, &a, &b, &a] {
        let response = app.call(&user, Method::GET, "/api/v1/users/me", None).await;
        assert_eq!(response.status(), 200);
        remaining.push(header(&response, "ratelimit-remaining").unwrap());
    }
    assert_eq!(
        remaining,
        ["4", "3", "2", "1", "0"],
        "one count across both"
    );

    let refused = b.call(&user, Method::GET, "/api/v1/users/me", None).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(
        header(&refused, "content-type").as_deref(),
        Some("application/problem+json")
    );
    let retry: u64 = header(&refused, "retry-after").unwrap().parse().unwrap();
    assert!(
        (1..=12).contains(&retry),
        "one request frees up every 12 s: {retry}"
    );
    assert_eq!(
        header(&refused, "ratelimit-remaining").as_deref(),
        Some("0")
    );
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "rate_limited");
    assert_eq!(problem["status"], 429);
    // Another user has their own quota.
    let other = a.user("grace").await;
    assert_eq!(
        a.call(&other, Method::GET, "/api/v1/users/me", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn login_is_limited_per_address_and_email_counting_successes_and_failures() {
    let app = app(&[("OPSFLOW_RATE_LIMIT_LOGIN_PER_MIN", "3")]).await;
    let user = app.user("ada").await; // one successful login spent
    let other = app.user("grace").await;

    assert_eq!(app.login(&user.email, "wrong password").await.status(), 401);
    let last = app.login(&user.email.to_uppercase(), PASSWORD).await;
    assert_eq!(last.status(), 200, "the third attempt, whatever the case");
    assert_eq!(header(&last, "ratelimit-limit").as_deref(), Some("3"));
    assert_eq!(header(&last, "ratelimit-remaining").as_deref(), Some("0"));

    let refused = app.login(&user.email, PASSWORD).await;
    assert_eq!(refused.status(), 429, "even with the right password");
    assert!(header(&refused, "retry-after").is_some());
    // Another account from the same address is counted on its own.
    assert_eq!(app.login(&other.email, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_untrusted_peers_and_believed_from_trusted_ones() {
    let untrusted = app(&[("OPSFLOW_RATE_LIMIT_IP_PER_MIN", "2")]).await;
    // Claiming to be someone else does not buy a fresh quota.
    assert_eq!(
        anonymous(&untrusted, Some("198.51.100.1")).await.status(),
        401
    );
    assert_eq!(
        anonymous(&untrusted, Some("198.51.100.2")).await.status(),
        401
    );
    assert_eq!(
        anonymous(&untrusted, Some("198.51.100.3")).await.status(),
        429
    );

    let behind_proxy = app(&[
        ("OPSFLOW_RATE_LIMIT_IP_PER_MIN", "2"),
        ("OPSFLOW_TRUSTED_PROXIES", "127.0.0.1/32"),
    ])
    .await;
    // The test client is the trusted proxy: the rightmost address that is
    // not a proxy is the client, each with its own quota.
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        let chain = format!("6.6.6.6, {client}");
        assert_eq!(
            anonymous(&behind_proxy, Some(&chain)).await.status(),
            401,
            "{client}"
        );
    }
    assert_eq!(
        anonymous(&behind_proxy, Some("198.51.100.1"))
            .await
            .status(),
        401
    );
    assert_eq!(
        anonymous(&behind_proxy, Some("203.0.113.5, 198.51.100.1"))
            .await
            .status(),
        429,
        "the same client's third request, whatever it wrote to the left"
    );
}

#[tokio::test]
async fn with_redis_cut_requests_go_through_unlimited() {
    let (proxy, redis_url) = TcpProxy::to_redis().await;
    let app = app(&[
        ("REDIS_URL", redis_url.as_str()),
        ("OPSFLOW_RATE_LIMIT_USER_PER_MIN", "2"),
    ])
    .await;
    let user = app.user("ada").await;
    proxy.cut();

    for _ in 0..5 {
        let response = app.call(&user, Method::GET, "/api/v1/users/me", None).await;
        assert_eq!(response.status(), 200, "fail open");
        assert!(
            header(&response, "ratelimit-limit").is_none(),
            "no quota to report"
        );
    }
    let created = app
        .call(
            &user,
            Method::POST,
            "/api/v1/teams",
            Some(json!({"name": "Still works"})),
        )
        .await;
    assert_eq!(created.status(), 201);
}

/// Register, login and refresh count per address even when the request
/// carries a valid access token: a token must not buy a second quota for
/// guessing passwords or creating accounts.
#[tokio::test]
async fn a_valid_bearer_token_does_not_escape_the_address_quota_of_anonymous_endpoints() {
    let app = app(&[("OPSFLOW_RATE_LIMIT_IP_PER_MIN", "3")]).await;
    let user = app.user("ada").await; // register + login: two of the three
    let spend = anonymous(&app, None).await;
    assert_eq!(spend.status(), 401, "the third: the quota is spent");
    // A signed-in request counts per user: not refused.
    assert_eq!(
        app.call(&user, Method::GET, "/api/v1/users/me", None)
            .await
            .status(),
        200
    );

    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .bearer_auth(&user.access_token)
        .json(&json!({"email": user.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 429, "login with a bearer token");
    let register = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .bearer_auth(&user.access_token)
        .json(&json!({"email": "new@example.com", "password": PASSWORD, "name": "New"}))
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 429, "register with a bearer token");
    let refresh = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .bearer_auth(&user.access_token)
        .json(&json!({"refresh_token": user.refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 429, "refresh with a bearer token");
}

/// Every login answer, a failed one included, reports the login quota (per
/// address and email), not the address's or the user's.
#[tokio::test]
async fn every_login_answer_reports_the_login_quota() {
    let app = app(&[("OPSFLOW_RATE_LIMIT_LOGIN_PER_MIN", "4")]).await;
    let user = app.user("ada").await; // one login spent

    let failed = app.login(&user.email, "wrong password").await;
    assert_eq!(failed.status(), 401);
    assert_eq!(header(&failed, "ratelimit-limit").as_deref(), Some("4"));
    assert_eq!(header(&failed, "ratelimit-remaining").as_deref(), Some("2"));
    let malformed = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": user.email, "password": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&malformed, "ratelimit-limit").as_deref(), Some("4"));
    let succeeded = app.login(&user.email, PASSWORD).await;
    assert_eq!(succeeded.status(), 200);
    assert_eq!(header(&succeeded, "ratelimit-limit").as_deref(), Some("4"));
    assert_eq!(
        header(&succeeded, "ratelimit-remaining").as_deref(),
        Some("0")
    );
    let refused = app.login(&user.email, PASSWORD).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(header(&refused, "ratelimit-limit").as_deref(), Some("4"));
}

/// A personal access token has its own quota, shared by replicas: a
/// script's loop spends neither its owner's interactive quota nor another
/// token's.
#[tokio::test]
async fn each_personal_access_token_has_its_own_quota() {
    let a = app(&[("OPSFLOW_RATE_LIMIT_USER_PER_MIN", "4")]).await;
    let b = a.replica(&[("OPSFLOW_RATE_LIMIT_USER_PER_MIN", "4")]).await;
    let user = a.user("ada").await;
    // Creating the tokens spends two of the user's four.
    let script = a.token_user(&user, &["read"]).await;
    let other_script = a.token_user(&user, &["read"]).await;

    let mut remaining = Vec::new();
    for app in [&a, &b, &a, &b] {
        let response = app
            .call(&script, Method::GET, "/api/v1/users/me", None)
            .await;
        assert_eq!(response.status(), 200);
        remaining.push(header(&response, "ratelimit-remaining").unwrap());
    }
    assert_eq!(
        remaining,
        ["3", "2", "1", "0"],
        "one count per token across replicas"
    );
    let refused = b.call(&script, Method::GET, "/api/v1/users/me", None).await;
    assert_eq!(refused.status(), 429);

    for (caller, left) in [(&other_script, "3"), (&user, "1")] {
        let response = a.call(caller, Method::GET, "/api/v1/users/me", None).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "ratelimit-remaining").as_deref(),
            Some(left)
        );
    }
}
