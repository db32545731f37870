//! Input constraints (`minLength`, `maxLength`, `pattern`, `enum`, integer
//! bounds) built from the domain's own rule constants (`TeamName::RULE`,
//! `domain::text::INVISIBLE`, `Status::ALL`, `paging::MAX_LIMIT`...), never
//! retyped: the schema and the check cannot drift apart.

use super::operations::for_each_operation;
use super::patterns::{class, is_forbidden_single, no_controls, text_pattern};
use domain::access::Role;
use domain::auth::{Email, Password, UserName};
use domain::comments::CommentBody;
use domain::paging::{MAX_LIMIT, MAX_OFFSET};
use domain::personal_tokens::TokenName;
use domain::projects::{Description, ProjectName};
use domain::tasks::{Priority, SortField, Status, TaskTitle, SEARCH_RULE};
use domain::teams::TeamName;
use domain::text::{is_invisible, Lines, TextRule};
use serde_json::{json, Map, Value};

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
    ("PasswordChangeBody", "current_password", Rule::NoControls),
    ("PasswordChangeBody", "new_password", Rule::Password),
    ("TeamNameBody", "name", Rule::Text(TeamName::RULE)),
    ("AddMemberBody", "email", Rule::Email),
    ("AddMemberBody", "role", Rule::OneOf(roles)),
    ("InviteBody", "email", Rule::Email),
    ("InviteBody", "role", Rule::OneOf(roles)),
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
    ("CreateTokenBody", "name", Rule::Text(TokenName::RULE)),
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

/// Constrains request bodies and parameters.
pub(super) fn constrain(document: &mut Value) {
    constrain_bodies(document);
    constrain_parameters(document);
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
        Rule::Integer { .. }
        | Rule::Assignee
        | Rule::ETag
        | Rule::IdempotencyKey
        | Rule::Cursor => apply_format(object, rule),
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
    }
}

/// The rules that fix a value's format rather than its text.
fn apply_format(object: &mut Map<String, Value>, rule: Rule) {
    match rule {
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
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sort_is_listed_once_in_each_direction() {
        let all = sorts();
        assert_eq!(all.len(), 10);
        for sort in &all {
            assert!(domain::tasks::TaskSort::parse(sort).is_some(), "{sort}");
        }
    }
}
