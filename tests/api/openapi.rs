use opsflow_tests::spawn_app;
use serde_json::Value;

/// Every route the api serves, as (method, OpenAPI path). A route added to the
/// router must be added here, and the test then fails until it is in the
/// generated document too (and vice versa: a documented path must be served).
const SERVED_ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/ready"),
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/users/me"),
    ("get", "/api/v1/users/me/sessions"),
    ("post", "/api/v1/users/me/tokens"),
    ("get", "/api/v1/users/me/tokens"),
    ("delete", "/api/v1/users/me/tokens/{token_id}"),
    ("delete", "/api/v1/users/me/sessions/{session_id}"),
    ("post", "/api/v1/auth/logout-all"),
    ("post", "/api/v1/users/me/password"),
    ("post", "/api/v1/teams"),
    ("get", "/api/v1/teams"),
    ("get", "/api/v1/teams/{team_id}"),
    ("patch", "/api/v1/teams/{team_id}"),
    ("delete", "/api/v1/teams/{team_id}"),
    ("get", "/api/v1/teams/{team_id}/members"),
    ("post", "/api/v1/teams/{team_id}/invitations"),
    ("get", "/api/v1/teams/{team_id}/invitations"),
    ("delete", "/api/v1/invitations/{invitation_id}"),
    ("post", "/api/v1/invitations/accept"),
    ("post", "/api/v1/teams/{team_id}/members"),
    ("patch", "/api/v1/teams/{team_id}/members/{user_id}"),
    ("delete", "/api/v1/teams/{team_id}/members/{user_id}"),
    ("post", "/api/v1/teams/{team_id}/projects"),
    ("get", "/api/v1/teams/{team_id}/projects"),
    ("get", "/api/v1/projects/{project_id}"),
    ("patch", "/api/v1/projects/{project_id}"),
    ("delete", "/api/v1/projects/{project_id}"),
    ("post", "/api/v1/projects/{project_id}/tasks"),
    ("get", "/api/v1/projects/{project_id}/tasks"),
    ("get", "/api/v1/tasks/{task_id}"),
    ("patch", "/api/v1/tasks/{task_id}"),
    ("put", "/api/v1/tasks/{task_id}"),
    ("delete", "/api/v1/tasks/{task_id}"),
    ("post", "/api/v1/tasks/{task_id}/comments"),
    ("get", "/api/v1/tasks/{task_id}/comments"),
    ("patch", "/api/v1/comments/{comment_id}"),
    ("delete", "/api/v1/comments/{comment_id}"),
    ("get", "/api/v1/projects/{project_id}/activity"),
    ("get", "/api/v1/teams/{team_id}/activity"),
    ("get", "/api/v1/projects/{project_id}/events"),
    ("get", "/api/v1/notifications"),
    ("post", "/api/v1/notifications/{notification_id}/read"),
    ("post", "/api/v1/teams/{team_id}/webhooks"),
    ("get", "/api/v1/teams/{team_id}/webhooks"),
    ("delete", "/api/v1/webhooks/{webhook_id}"),
];

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_served_route() {
    let app = spawn_app().await;

    let response = app.get("/api/v1/openapi.json").await;

    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = document["paths"].as_object().unwrap();
    for (method, path) in SERVED_ROUTES {
        assert!(
            paths
                .get(*path)
                .and_then(|item| item.get(*method))
                .is_some(),
            "{method} {path} is served but missing from the OpenAPI document"
        );
    }
    let documented: usize = paths
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        SERVED_ROUTES.len(),
        "the document lists a route that is not served"
    );
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();

    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            // Path parameters get a nil UUID: routing must still match.
            let concrete = path
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        "00000000-0000-0000-0000-000000000000"
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .client
                .request(method.clone(), app.url(&concrete))
                .send()
                .await
                .unwrap();
            // An unrouted documented operation falls through to the fallback
            // service: 404, or 405 when the path has other methods (the
            // method table is read from this same document, so it would list
            // the unrouted method in `Allow` and still refuse it). A routed
            // one reaches its handler and its extractors first: 200, 400,
            // 401, 415, 422, never these two.
            let status = response.status().as_u16();
            assert!(
                status != 404 && status != 405,
                "{method} {path} is documented but not routed: {status}"
            );
        }
    }
}

#[tokio::test]
async fn the_docs_page_is_served_by_the_binary_itself() {
    let app = spawn_app().await;

    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/docs/");

    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "the interactive docs page");

    // Its assets come from the binary, not a CDN: the page works offline.
    let script = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(script.status(), 200);
    let config = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(config.contains("/api/v1/openapi.json"));
}

#[tokio::test]
async fn the_document_carries_the_rules_the_code_enforces() {
    let app = spawn_app().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let schemas = &document["components"]["schemas"];

    let team_name = &schemas["TeamNameBody"]["properties"]["name"];
    assert_eq!(team_name["minLength"], 1);
    assert_eq!(team_name["maxLength"], 100);
    let pattern = team_name["pattern"].as_str().unwrap();
    assert!(pattern.contains("\\u0000-\\u001F"), "{pattern}");
    assert!(
        pattern.contains("\\u2000-\\u200F"),
        "zero-width space is blank: {pattern}"
    );
    assert_eq!(
        schemas["RegisterBody"]["properties"]["password"]["maxLength"],
        128
    );
    assert_eq!(
        schemas["CreateTaskBody"]["properties"]["status"]["enum"],
        serde_json::json!(["todo", "in_progress", "in_review", "done", null])
    );

    let list = &document["paths"]["/api/v1/projects/{project_id}/tasks"]["get"];
    let limit = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["type"], "integer");
    assert_eq!(limit["schema"]["maximum"], 100);
    for status in ["200", "400", "401", "404", "503"] {
        assert!(
            list["responses"].get(status).is_some(),
            "list lacks {status}"
        );
    }
    let create_team = &document["paths"]["/api/v1/teams"]["post"];
    for status in ["201", "400", "401", "403", "413", "415", "503"] {
        assert!(
            create_team["responses"].get(status).is_some(),
            "create team lacks {status}"
        );
    }
    let links = create_team["responses"]["201"]["links"]
        .as_object()
        .unwrap();
    assert!(links.contains_key("get_team"));
    assert!(
        !links.contains_key("add_member"),
        "an unknown e-mail is 404 by contract"
    );
}

/// Every schema of the document carries a realistic example whose fields
/// are the schema's own and include every required one, so "Try it out" on
/// /docs starts from a request shaped like a real one.
#[tokio::test]
async fn every_schema_has_an_example_that_fits_it() {
    let app = spawn_app().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    assert!(schemas.len() >= 20, "{}", schemas.len());
    for (name, schema) in schemas {
        let example = &schema["example"];
        assert!(example.is_object(), "{name} has no example");
        let properties = schema["properties"].as_object().unwrap();
        for key in example.as_object().unwrap().keys() {
            assert!(
                properties.contains_key(key),
                "{name}: example field {key} is not in the schema"
            );
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            let required = required.as_str().unwrap();
            assert!(
                example.get(required).is_some(),
                "{name}: example lacks required {required}"
            );
        }
    }
}

/// The create examples, sent as they are, succeed: what /docs offers works.
#[tokio::test]
async fn the_documented_create_examples_succeed_as_sent() {
    let app = spawn_app().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let example = |name: &str| document["components"]["schemas"][name]["example"].clone();

    let registered = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(&example("RegisterBody"))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&example("LoginBody"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let token: Value = login.json().await.unwrap();
    let token = token["data"]["access_token"].as_str().unwrap().to_owned();
    let post = |path: String, body: Value| {
        let request = app
            .client
            .post(app.url(&path))
            .bearer_auth(&token)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 201, "{path}");
            let body: Value = response.json().await.unwrap();
            body["data"]["id"].as_str().unwrap_or_default().to_owned()
        }
    };
    let team = post("/api/v1/teams".into(), example("TeamNameBody")).await;
    let project = post(
        format!("/api/v1/teams/{team}/projects"),
        example("CreateProjectBody"),
    )
    .await;
    let task = post(
        format!("/api/v1/projects/{project}/tasks"),
        example("CreateTaskBody"),
    )
    .await;
    post(
        format!("/api/v1/tasks/{task}/comments"),
        example("CommentInput"),
    )
    .await;
    post(
        format!("/api/v1/teams/{team}/webhooks"),
        example("CreateWebhookBody"),
    )
    .await;
    app.client
        .post(app.url("/api/v1/auth/register"))
        .json(&serde_json::json!({"email": "grace@example.com", "password": "correct horse battery staple", "name": "Grace"}))
        .send()
        .await
        .unwrap();
    post(
        format!("/api/v1/teams/{team}/members"),
        example("AddMemberBody"),
    )
    .await;
}
