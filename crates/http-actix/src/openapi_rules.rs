//! Completes the generated OpenAPI document with what the code enforces, so a
//! client (or a fuzzer) reading it learns the whole truth:
//!
//! - **Input constraints** (`minLength`, `maxLength`, `pattern`, `enum`,
//!   integer bounds) built from the domain's own rule constants
//!   (`TeamName::RULE`, `domain::text::INVISIBLE`, `Status::ALL`,
//!   `paging::MAX_LIMIT`...), never retyped: the schema and the check cannot
//!   drift apart.
//! - **Every status an operation can answer**: the problem responses the edge
//!   adds to any handler (400 for malformed input, 401 for a bad token, 403 for
//!   the cookie Origin rule, 404 for unknown ids, 413/415 for bodies, 503 when
//!   PostgreSQL does not answer), added to each operation where they apply.
//!
//! Done on the document as JSON once at startup: utoipa's derive attributes
//! take literals only, and these rules are data.

use domain::access::Role;
use domain::auth::{Email, Password, UserName};
use domain::comments::CommentBody;
use domain::paging::{MAX_LIMIT, MAX_OFFSET};
use domain::projects::{Description, ProjectName};
use domain::tasks::{Priority, SortField, Status, TaskTitle, SEARCH_RULE};
use domain::teams::TeamName;
use domain::text::{is_forbidden_control, is_invisible, Lines, TextRule, CONTROL, INVISIBLE};
use serde_json::{json, Map, Value};
use utoipa::openapi::OpenApi;

/// How one input value is constrained.
#[derive(Clone, Copy)]
enum Rule {
    Text(TextRule),
    /// Any text without control characters (login fields: a wrong value is a 401).
    NoControls,
    Email,
    Password,
    OneOf(fn() -> Vec<String>),
    CommaListOf(fn() -> Vec<String>),
    Integer {
        min: u32,
        max: u32,
    },
    /// `me`, `none` or a UUID.
    Assignee,
    /// A task ETag: `"3"` or `3`.
    ETag,
    /// `Idempotency-Key`: 1..=255 visible ASCII characters.
    IdempotencyKey,
    Cursor,
}

fn roles() -> Vec<String> {
    Role::ALL.iter().map(|r| r.as_str().to_owned()).collect()
}
fn statuses() -> Vec<String> {
    Status::ALL.iter().map(|s| s.as_str().to_owned()).collect()
}
fn priorities() -> Vec<String> {
    Priority::ALL
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect()
}
/// Every sort, ascending then descending (`-`).
fn sorts() -> Vec<String> {
    let ascending = SortField::ALL.map(|field| field.as_str().to_owned());
    let descending = ascending.clone().map(|name| format!("-{name}"));
    ascending.into_iter().chain(descending).collect()
}

/// (component schema, property, rule) for request bodies.
const BODY_RULES: &[(&str, &str, Rule)] = &[
    ("RegisterBody", "email", Rule::Email),
    ("RegisterBody", "password", Rule::Password),
    ("RegisterBody", "name", Rule::Text(UserName::RULE)),
    ("LoginBody", "email", Rule::NoControls),
    ("LoginBody", "password", Rule::NoControls),
    ("TeamNameBody", "name", Rule::Text(TeamName::RULE)),
    ("AddMemberBody", "email", Rule::Email),
    ("AddMemberBody", "role", Rule::OneOf(roles)),
    ("RoleBody", "role", Rule::OneOf(roles)),
    ("CreateProjectBody", "name", Rule::Text(ProjectName::RULE)),
    (
        "CreateProjectBody",
        "description",
        Rule::Text(Description::RULE),
    ),
    ("UpdateProjectBody", "name", Rule::Text(ProjectName::RULE)),
    (
        "UpdateProjectBody",
        "description",
        Rule::Text(Description::RULE),
    ),
    ("CommentInput", "body", Rule::Text(CommentBody::RULE)),
];

/// The task fields a client sets, constrained alike in each task body.
const TASK_BODIES: [&str; 3] = ["CreateTaskBody", "PatchTaskBody", "ReplaceTaskBody"];
const TASK_FIELD_RULES: &[(&str, Rule)] = &[
    ("title", Rule::Text(TaskTitle::RULE)),
    ("description", Rule::Text(Description::RULE)),
    ("status", Rule::OneOf(statuses)),
    ("priority", Rule::OneOf(priorities)),
];

/// Parameters (query and header), by name: the same name means the same rule
/// on every operation.
const PARAMETER_RULES: &[(&str, Rule)] = &[
    (
        "limit",
        Rule::Integer {
            min: 1,
            max: MAX_LIMIT,
        },
    ),
    (
        "offset",
        Rule::Integer {
            min: 0,
            max: MAX_OFFSET,
        },
    ),
    ("cursor", Rule::Cursor),
    ("status", Rule::CommaListOf(statuses)),
    ("priority", Rule::CommaListOf(priorities)),
    ("assignee_id", Rule::Assignee),
    ("q", Rule::Text(SEARCH_RULE)),
    ("sort", Rule::OneOf(sorts)),
    ("If-Match", Rule::ETag),
    ("Idempotency-Key", Rule::IdempotencyKey),
];

/// The completed document.
pub fn complete(openapi: OpenApi) -> OpenApi {
    let Ok(mut document) = serde_json::to_value(&openapi) else {
        return openapi;
    };
    constrain_bodies(&mut document);
    constrain_parameters(&mut document);
    document_edge_responses(&mut document);
    crate::openapi_links::add_links(&mut document);
    serde_json::from_value(document).unwrap_or(openapi)
}

fn constrain_bodies(document: &mut Value) {
    let task_rules = TASK_BODIES.iter().flat_map(|schema| {
        TASK_FIELD_RULES
            .iter()
            .map(move |(property, rule)| (*schema, *property, *rule))
    });
    let rules = BODY_RULES
        .iter()
        .map(|(schema, property, rule)| (*schema, *property, *rule))
        .chain(task_rules);
    for (schema, property, rule) in rules {
        let pointer = format!("/components/schemas/{schema}/properties/{property}");
        if let Some(target) = document.pointer_mut(&pointer) {
            apply(target, rule);
        }
    }
}

/// Calls `visit(path, method, operation)` for every operation of `document`.
pub(crate) fn for_each_operation(
    document: &mut Value,
    mut visit: impl FnMut(&str, &str, &mut Map<String, Value>),
) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            if let Some(operation) = operation.as_object_mut() {
                visit(path, method, operation);
            }
        }
    }
}

fn constrain_parameters(document: &mut Value) {
    for_each_operation(document, |_, _, operation| {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            return;
        };
        for parameter in parameters {
            let name = parameter["name"].as_str().unwrap_or_default().to_owned();
            let rule = PARAMETER_RULES.iter().find(|(n, _)| *n == name);
            if let (Some((_, rule)), Some(schema)) = (rule, parameter.get_mut("schema")) {
                apply(schema, *rule);
            }
        }
    });
}

/// Sets the constraints of `rule` on a property or parameter schema, keeping
/// whether it was nullable.
fn apply(schema: &mut Value, rule: Rule) {
    let nullable = schema["type"]
        .as_array()
        .is_some_and(|types| types.iter().any(|t| t == "null"));
    let string_type = || {
        if nullable {
            json!(["string", "null"])
        } else {
            json!("string")
        }
    };
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    match rule {
        Rule::Text(rule) => {
            object.insert("type".into(), string_type());
            if rule.min > 0 {
                object.insert("minLength".into(), json!(rule.min));
            }
            object.insert("maxLength".into(), json!(rule.max));
            object.insert("pattern".into(), json!(text_pattern(rule)));
        }
        Rule::NoControls => {
            object.insert("pattern".into(), json!(no_controls(Lines::Single)));
        }
        Rule::Email => {
            let not_in_part = format!("@{}{}", class(&is_forbidden_single), class(&is_invisible));
            object.insert("minLength".into(), json!(Email::MIN_CHARS));
            object.insert("maxLength".into(), json!(Email::MAX_CHARS));
            object.insert(
                "pattern".into(),
                json!(format!("^[^{not_in_part}]+@[^{not_in_part}]+$")),
            );
        }
        Rule::Password => {
            object.insert("minLength".into(), json!(Password::MIN_CHARS));
            object.insert("maxLength".into(), json!(Password::MAX_CHARS));
            object.insert("pattern".into(), json!(no_controls(Lines::Single)));
        }
        Rule::OneOf(values) => {
            let mut values: Vec<Value> = values().into_iter().map(Value::from).collect();
            if nullable {
                values.push(Value::Null);
            }
            object.insert("type".into(), string_type());
            object.insert("enum".into(), Value::Array(values));
        }
        Rule::CommaListOf(values) => {
            let one = values().join("|");
            object.insert("type".into(), json!("string"));
            object.insert("pattern".into(), json!(format!("^({one})(,({one}))*$")));
        }
        Rule::Integer { min, max } => {
            object.clear();
            object.insert("type".into(), json!("integer"));
            object.insert("minimum".into(), json!(min));
            object.insert("maximum".into(), json!(max));
        }
        Rule::Assignee => {
            let uuid =
                "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
            object.insert("pattern".into(), json!(format!("^(me|none|{uuid})$")));
        }
        Rule::ETag => {
            object.insert("type".into(), json!("string"));
            // At most 18 digits: always a valid i64.
            let version = "[1-9][0-9]{0,17}";
            object.insert(
                "pattern".into(),
                json!(format!("^(\"{version}\"|{version})$")),
            );
        }
        Rule::IdempotencyKey => {
            object.insert("type".into(), json!("string"));
            object.insert("minLength".into(), json!(1));
            object.insert("maxLength".into(), json!(255));
            object.insert("pattern".into(), json!("^[!-~]+$"));
        }
        Rule::Cursor => {
            object.insert("type".into(), json!("string"));
            object.insert("minLength".into(), json!(1));
            object.insert("maxLength".into(), json!(512));
            object.insert("pattern".into(), json!("^[0-9a-f]+$"));
        }
    }
}

fn is_forbidden_single(c: char) -> bool {
    is_forbidden_control(c, Lines::Single)
}

/// `^[^controls]*$`, or with at least one visible character when `min > 0`.
fn text_pattern(rule: TextRule) -> String {
    let forbidden = class(&|c| is_forbidden_control(c, rule.lines));
    if rule.min == 0 {
        return format!("^[^{forbidden}]*$");
    }
    let blank = class(&is_invisible);
    format!("^[^{forbidden}]*[^{forbidden}{blank}][^{forbidden}]*$")
}

fn no_controls(lines: Lines) -> String {
    format!("^[^{}]*$", class(&|c| is_forbidden_control(c, lines)))
}

/// A regex character-class body (`\u0000-\u001F...`) for every character
/// matching `test`. Every class here is a subset of the domain's `CONTROL` and
/// `INVISIBLE` ranges (all in the Basic Multilingual Plane), so only their few
/// hundred characters are tested, not all 65,536: this runs for every app the
/// server builds (one per worker thread, one per test).
fn class(test: &dyn Fn(char) -> bool) -> String {
    let mut candidates: Vec<char> = CONTROL
        .iter()
        .chain(INVISIBLE)
        .flat_map(|(low, high)| *low..=*high)
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut ranges: Vec<(char, char)> = Vec::new();
    for c in candidates {
        if !test(c) {
            continue;
        }
        match ranges.last_mut() {
            Some((_, high)) if u32::from(*high) + 1 == u32::from(c) => *high = c,
            _ => ranges.push((c, c)),
        }
    }
    ranges
        .into_iter()
        .map(|(low, high)| {
            if low == high {
                escape(low)
            } else {
                format!("{}-{}", escape(low), escape(high))
            }
        })
        .collect()
}

fn escape(c: char) -> String {
    format!("\\u{:04X}", u32::from(c))
}

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

fn document_edge_responses(document: &mut Value) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_collapse_into_ranges() {
        assert_eq!(
            class(&is_forbidden_single),
            "\\u0000-\\u001F\\u007F-\\u009F"
        );
        assert_eq!(
            class(&|c| is_forbidden_control(c, Lines::Multi)),
            "\\u0000-\\u0008\\u000B-\\u000C\\u000E-\\u001F\\u007F-\\u009F"
        );
    }

    #[test]
    fn every_sort_is_listed_once_in_each_direction() {
        let all = sorts();
        assert_eq!(all.len(), 10);
        for sort in &all {
            assert!(domain::tasks::TaskSort::parse(sort).is_some(), "{sort}");
        }
    }
}
