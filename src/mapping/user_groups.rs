//! A user's `groups` written through a user PATCH, as the ExclamationLabs
//! connector-scim2 writes them (docs/clients.md section 3.3):
//! `{"op":"add","path":"groups","value":[{"value":"g"}]}` and
//! `{"op":"remove","path":"groups[value eq \"g\"]"}`. RFC 7643 section 4.1.2 makes
//! `groups` read-only; zoom-scim takes such operations as the membership changes they
//! mean, by rewriting them onto the Zoom extension's writable `groupIds` (the same
//! membership, by group id) before the PATCH is parsed. A documented departure
//! (docs/behaviour.md).

use serde_json::Value;

use crate::scim::model::urn;

/// The operations' key, in any case (`Operations`, `operations`).
fn operations(body: &mut Value) -> Option<&mut Vec<Value>> {
    let object = body.as_object_mut()?;
    let key = object
        .keys()
        .find(|k| k.eq_ignore_ascii_case("operations"))?
        .clone();
    object.get_mut(&key)?.as_array_mut()
}

fn key_ci<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(name))
}

/// `groups`, `groups[...]` (any case, the core URN allowed) as the `groupIds` path
/// with the same value filter; `None` for any other path.
fn group_ids_path(path: &str) -> Option<String> {
    let path = path.trim();
    let bare = path
        .get(..urn::USER.len() + 1)
        .filter(|p| p.eq_ignore_ascii_case(&format!("{}:", urn::USER)))
        .map_or(path, |_| &path[urn::USER.len() + 1..]);
    let head = bare.get(..6)?;
    if !head.eq_ignore_ascii_case("groups") {
        return None;
    }
    let rest = &bare[6..];
    if !(rest.is_empty() || rest.starts_with('[')) {
        return None;
    }
    Some(format!("{}:groupIds{rest}", urn::ZOOM_USER))
}

/// The ids of a `groupIds[value eq "a" or value eq "b"]` path; `None` for any other.
fn filtered_ids(path: &str) -> Option<Vec<String>> {
    let filter = path
        .strip_prefix(&format!("{}:groupIds[", urn::ZOOM_USER))?
        .strip_suffix(']')?;
    let lower = filter.to_ascii_lowercase();
    let mut ids = Vec::new();
    let mut rest = filter;
    let mut rest_lower = lower.as_str();
    loop {
        let term_end = rest_lower.find(" or ").unwrap_or(rest.len());
        let term = rest[..term_end].trim();
        let (attr, value) = term.split_once(char::is_whitespace)?;
        let value = value.trim_start();
        let (op, operand) = value.split_once(char::is_whitespace)?;
        if !attr.eq_ignore_ascii_case("value") || !op.eq_ignore_ascii_case("eq") {
            return None;
        }
        ids.push(serde_json::from_str::<String>(operand.trim()).ok()?);
        if term_end == rest.len() {
            return Some(ids);
        }
        rest = &rest[term_end + 4..];
        rest_lower = &rest_lower[term_end + 4..];
    }
}

/// Group references (`{"value": "g", ...}` or `"g"`, one or a list) as group ids.
fn group_ids(value: &Value) -> Value {
    let id = |item: &Value| match item {
        Value::Object(o) => key_ci(o, "value").and_then(|k| o.get(k)).cloned(),
        Value::String(_) => Some(item.clone()),
        _ => None,
    };
    match value {
        Value::Array(items) => Value::Array(items.iter().filter_map(id).collect()),
        Value::Null => Value::Null,
        other => Value::Array(id(other).into_iter().collect()),
    }
}

/// Rewrites a user PATCH body's operations on `groups` onto `groupIds`; everything else
/// is left as it is (a malformed body is for the parser to refuse).
pub fn user_groups_as_group_ids(body: &mut Value) {
    let Some(operations) = operations(body) else {
        return;
    };
    for operation in operations.iter_mut() {
        let Some(op) = operation.as_object_mut() else {
            continue;
        };
        let Some(path_key) = key_ci(op, "path").cloned() else {
            continue;
        };
        let Some(path) = op.get(&path_key).and_then(Value::as_str) else {
            continue;
        };
        let Some(new_path) = group_ids_path(path) else {
            continue;
        };
        // `groups[value eq "a" or value eq "b"]` names group ids: removed as listed
        // values of `groupIds` (a simple multi-valued attribute has no `value` to
        // filter on). Another filter stays, for the parser to refuse by name.
        if let Some(ids) = filtered_ids(&new_path) {
            op.insert(
                path_key,
                Value::String(format!("{}:groupIds", urn::ZOOM_USER)),
            );
            if let Some(value_key) = key_ci(op, "value").cloned() {
                op.remove(&value_key);
            }
            op.insert(
                "value".into(),
                Value::Array(ids.into_iter().map(Value::String).collect()),
            );
            continue;
        }
        op.insert(path_key, Value::String(new_path));
        if let Some(value_key) = key_ci(op, "value").cloned()
            && let Some(value) = op.get(&value_key)
        {
            let ids = group_ids(value);
            op.insert(value_key, ids);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn group_ids_urn(rest: &str) -> String {
        format!("{}:groupIds{rest}", urn::ZOOM_USER)
    }

    #[test]
    fn connector_scim2s_group_operations_become_group_ids_operations() {
        let mut body = json!({"schemas": [urn::PATCH_OP], "Operations": [
            {"op": "remove", "path": "groups[value eq \"g1\"]"},
            {"op": "add", "path": "groups", "value": [{"value": "g2", "display": "Sales"}]},
            {"op": "add", "path": format!("{}:groups", urn::USER), "value": {"value": "g3"}},
            {"op": "replace", "path": "title", "value": "Engineer"},
        ]});
        user_groups_as_group_ids(&mut body);
        assert_eq!(
            body["Operations"],
            json!([
                {"op": "remove", "path": group_ids_urn(""), "value": ["g1"]},
                {"op": "add", "path": group_ids_urn(""), "value": ["g2"]},
                {"op": "add", "path": group_ids_urn(""), "value": ["g3"]},
                {"op": "replace", "path": "title", "value": "Engineer"},
            ])
        );
    }

    #[test]
    fn several_removals_in_one_filter_are_listed_values() {
        let mut body = json!({"Operations": [
            {"op": "remove", "path": "groups[value eq \"a\" or VALUE EQ \"b\"]"},
            {"op": "remove", "path": "groups[display eq \"Sales\"]"},
        ]});
        user_groups_as_group_ids(&mut body);
        assert_eq!(
            body["Operations"],
            json!([
                {"op": "remove", "path": group_ids_urn(""), "value": ["a", "b"]},
                {"op": "remove", "path": group_ids_urn("[display eq \"Sales\"]")},
            ])
        );
    }

    #[test]
    fn other_paths_and_odd_bodies_are_left_alone() {
        for path in ["groupIds", "groupsx", "name.givenName", ""] {
            let mut body = json!({"operations": [{"op": "add", "path": path, "value": "x"}]});
            let before = body.clone();
            user_groups_as_group_ids(&mut body);
            assert_eq!(body, before, "{path}");
        }
        for mut body in [json!([1, 2]), json!({"Operations": "none"}), json!({})] {
            let before = body.clone();
            user_groups_as_group_ids(&mut body);
            assert_eq!(body, before);
        }
    }
}
