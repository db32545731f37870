//! Every status an operation can answer: the problem responses the edge adds
//! to any handler (400 for malformed input, 401 for a bad token, 403 for the
//! cookie Origin rule, 404 for unknown ids, 413/415 for bodies, 429 over a
//! quota, 503 when PostgreSQL does not answer), and the rate-limit headers.

use super::operations::for_each_operation;
use serde_json::{json, Map, Value};

/// A problem response, as every handler's errors are rendered.
fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {
            "application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}
            }
        }
    })
}

pub(super) fn document_edge_responses(document: &mut Value) {
    for_each_operation(document, |path, method, operation| {
        let api = path.starts_with("/api/v1/");
        let has_path_ids = path.contains('{');
        let secured = operation
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|s| !s.is_empty());
        let has_body = operation.contains_key("requestBody");
        let has_parameters = operation
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|p| !p.is_empty());
        let unsafe_method = method != "get";
        let mut add = Vec::new();
        if has_body || has_parameters || has_path_ids {
            add.push((
                "400",
                "validation_failed: a malformed or invalid parameter or body",
            ));
        }
        if secured {
            add.push((
                "401",
                "unauthenticated: missing, invalid, expired or revoked token",
            ));
        }
        if (secured && unsafe_method) || path == "/api/v1/auth/refresh" {
            add.push(("403", "forbidden: cookie-authenticated request from a disallowed Origin, or a role that does not allow this"));
        }
        if has_path_ids {
            add.push((
                "404",
                "not_found: no such resource, or not visible to the caller",
            ));
        }
        if has_body {
            add.push(("413", "payload_too_large: the body exceeds 1 MiB"));
            add.push((
                "415",
                "unsupported_media_type: the body is not application/json",
            ));
        }
        let limited = api && path != "/api/v1/openapi.json";
        if limited {
            add.push((
                "429",
                "rate_limited: over the quota (per user, per address, or per address and email on login); Retry-After says when to retry",
            ));
        }
        if api {
            add.push(("503", "unavailable: PostgreSQL did not answer; retry"));
        }
        let responses = operation
            .entry("responses")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(responses) = responses.as_object_mut() else {
            return;
        };
        for (status, description) in add {
            responses
                .entry(status)
                .or_insert_with(|| problem(description));
        }
        if limited {
            document_rate_limit_headers(responses);
        }
    });
}

/// Every `/api/v1` response carries the quota it counted against; a `429`
/// also says when to retry.
fn document_rate_limit_headers(responses: &mut Map<String, Value>) {
    let integer = |description: &str| json!({"description": description, "schema": {"type": "integer", "minimum": 0}});
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        let headers = response
            .entry("headers")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(headers) = headers.as_object_mut() else {
            continue;
        };
        headers.insert(
            "RateLimit-Limit".into(),
            integer(
                "Requests per minute allowed for this caller (absent while Redis is unavailable)",
            ),
        );
        headers.insert(
            "RateLimit-Remaining".into(),
            integer("Requests left right now"),
        );
        headers.insert(
            "RateLimit-Reset".into(),
            integer("Seconds until the whole quota is available again"),
        );
        if status == "429" {
            headers.insert(
                "Retry-After".into(),
                integer("Seconds to wait before retrying"),
            );
        }
    }
}
