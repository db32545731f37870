//! OpenAPI links: which id in a create's response feeds which operation. A
//! client generator (and schemathesis's stateful phase) follows them to chain
//! calls, so they must say what the API does: a created team's id works on
//! every team operation *except* adding a member, which also needs an existing
//! user's e-mail (an unknown one is `404` by contract, not a missing team), so
//! that link is deliberately absent.

use super::operations::for_each_operation;
use serde_json::{json, Value};

/// (operation that creates, its success status, JSON pointer of the new id,
/// parameter name, operations that take it).
const LINKS: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "create_team",
        "201",
        "/data/id",
        "team_id",
        &[
            "get_team",
            "rename_team",
            "delete_team",
            "list_members",
            "create_project",
            "list_projects",
            "list_team_activity",
        ],
    ),
    (
        "create_project",
        "201",
        "/data/id",
        "project_id",
        &[
            "get_project",
            "update_project",
            "delete_project",
            "create_task",
            "list_tasks",
            "list_activity",
        ],
    ),
    (
        "create_task",
        "201",
        "/data/id",
        "task_id",
        &[
            "get_task",
            "patch_task",
            "replace_task",
            "delete_task",
            "create_comment",
            "list_comments",
        ],
    ),
    (
        "create_comment",
        "201",
        "/data/id",
        "comment_id",
        &["update_comment", "delete_comment"],
    ),
];

/// Adds the links to `document` (the OpenAPI document as JSON).
pub(super) fn add_links(document: &mut Value) {
    for_each_operation(document, |_, _, operation| {
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some((_, status, pointer, parameter, targets)) =
            LINKS.iter().find(|(creator, ..)| *creator == id)
        else {
            return;
        };
        let Some(response) = operation
            .get_mut("responses")
            .and_then(|responses| responses.get_mut(*status))
        else {
            return;
        };
        let links: serde_json::Map<String, Value> = targets
            .iter()
            .map(|target| {
                (
                    (*target).to_owned(),
                    json!({
                        "operationId": target,
                        "parameters": {*parameter: format!("$response.body#{pointer}")}
                    }),
                )
            })
            .collect();
        response["links"] = Value::Object(links);
    });
}
