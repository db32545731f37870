//! Walking the operations of the OpenAPI document (as JSON).

use serde_json::{Map, Value};

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
