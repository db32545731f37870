use opsflow_tests::spawn_app;

#[tokio::test]
async fn preflight_from_an_allowed_origin_is_204_with_the_allowed_methods() {
    let app = spawn_app().await;

    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/teams"))
        .header("origin", "http://allowed.example")
        .header("access-control-request-method", "PATCH")
        .header("access-control-request-headers", "authorization, if-match")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 204);
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://allowed.example"
    );
    assert_eq!(headers["access-control-allow-credentials"], "true");
    assert_eq!(headers["access-control-max-age"], "600");
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(
        methods.contains("PATCH") && methods.contains("DELETE"),
        "{methods}"
    );
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(
        allowed.contains("authorization") && allowed.contains("if-match"),
        "{allowed}"
    );
}

#[tokio::test]
async fn preflight_from_an_unknown_origin_gets_no_cors_grant() {
    let app = spawn_app().await;

    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/teams"))
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();

    assert!(response.status().is_client_error(), "{}", response.status());
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn simple_requests_from_an_allowed_origin_expose_the_request_id() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(app.url("/health"))
        .header("origin", "http://allowed.example")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://allowed.example"
    );
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(exposed.contains("x-request-id"), "{exposed}");
}
