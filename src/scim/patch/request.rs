//! Reading a PatchOp body (RFC 7644 section 3.5.2) in every client dialect seen in the
//! field (Entra legacy and compliant, Okta, ConnId/midPoint), within bounds.

use serde_json::Value;

use crate::scim::error::{ScimError, clip};
use crate::scim::model::urn;
use crate::scim::path::patch::{PatchPath, parse_path};
use crate::scim::value::get_ci;

/// The PATCH operation kinds (RFC 7644 section 3.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOpKind {
    /// `add`
    Add,
    /// `replace`
    Replace,
    /// `remove`
    Remove,
}

/// One PATCH operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// What to do.
    pub op: PatchOpKind,
    /// Where; `None` targets the resource itself (add/replace only).
    pub path: Option<PatchPath>,
    /// The value (required for add/replace; optional for Entra's legacy member remove).
    pub value: Option<Value>,
}

/// The most operations one PATCH may carry (RFC 7644 section 3.5.2 sets no limit, and
/// has no place in `ServiceProviderConfig` to publish one; the README states it).
pub const MAX_OPERATIONS: usize = 1_000;

/// The most values (elements of arrays, at any depth, in the operations' `value`s) one
/// PATCH may carry: 10,000 group members or e-mails, well above what Entra, Okta or
/// midPoint send in one request.
pub const MAX_VALUES: usize = 10_000;

/// The values an operation's `value` carries: each array element, at any depth, counts
/// once (an element holding arrays counts their elements instead); a value without
/// arrays counts once.
fn values_in(value: Option<&Value>) -> usize {
    fn elements(v: &Value) -> usize {
        match v {
            Value::Array(items) => items.iter().map(|item| elements(item).max(1)).sum(),
            Value::Object(map) => map.values().map(elements).sum(),
            _ => 0,
        }
    }
    value.map_or(0, |v| elements(v).max(1))
}

/// A PatchOp request message.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    /// The operations, applied in order.
    pub operations: Vec<PatchOperation>,
}

impl PatchRequest {
    /// Parses a PatchOp body. `Operations` must be a non-empty array (`invalidSyntax`);
    /// `op` is case-insensitive (Entra sends `Add`/`Replace`/`Remove`); the key
    /// `operations` is accepted in lower case and a stray `id` is ignored; `schemas` is
    /// optional but, when present, must contain the PatchOp URN.
    pub fn parse(body: &Value) -> Result<Self, ScimError> {
        let Some(map) = body.as_object() else {
            return Err(ScimError::invalid_syntax(
                "PATCH body must be a JSON object",
            ));
        };
        if let Some(schemas) = get_ci(body, "schemas") {
            let ok = schemas.as_array().is_some_and(|items| {
                items.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(urn::PATCH_OP))
                })
            });
            if !ok {
                return Err(ScimError::invalid_syntax(format!(
                    "'schemas' must contain \"{}\"",
                    urn::PATCH_OP
                )));
            }
        }
        let ops = match map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
            .map(|(_, v)| v)
        {
            Some(Value::Array(ops)) if !ops.is_empty() => ops,
            Some(Value::Array(_)) => {
                return Err(ScimError::invalid_syntax("'Operations' must not be empty"));
            }
            Some(_) => return Err(ScimError::invalid_syntax("'Operations' must be an array")),
            None => return Err(ScimError::invalid_syntax("'Operations' is missing")),
        };
        if ops.len() > MAX_OPERATIONS {
            return Err(ScimError::too_many(format!(
                "a PATCH may carry at most {MAX_OPERATIONS} operations; this one has {}: send them in several requests",
                ops.len()
            )));
        }
        let values: usize = ops.iter().map(|op| values_in(get_ci(op, "value"))).sum();
        if values > MAX_VALUES {
            return Err(ScimError::too_many(format!(
                "a PATCH may carry at most {MAX_VALUES} values; this one has {values}: send them in several requests"
            )));
        }
        let operations = ops
            .iter()
            .enumerate()
            .map(|(i, op)| parse_operation(i, op))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PatchRequest { operations })
    }
}

/// ConnId's operational attributes, as the ConnId SCIM bundle sends them when midPoint
/// maps activation and credentials straight through (docs/clients.md): `__ENABLE__` is
/// the enabled flag (`active`, its value often the string "false"), `__PASSWORD__` the
/// password (ignored and reported, as `password` is).
fn connid_name(name: &str) -> Option<&'static str> {
    if name.eq_ignore_ascii_case("__ENABLE__") {
        Some("active")
    } else if name.eq_ignore_ascii_case("__PASSWORD__") {
        Some("password")
    } else {
        None
    }
}

fn parse_operation(index: usize, op: &Value) -> Result<PatchOperation, ScimError> {
    if !op.is_object() {
        return Err(ScimError::invalid_syntax(format!(
            "Operations[{index}] must be an object"
        )));
    }
    let kind = match get_ci(op, "op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
    {
        Some(k) if k == "add" => PatchOpKind::Add,
        Some(k) if k == "replace" => PatchOpKind::Replace,
        Some(k) if k == "remove" => PatchOpKind::Remove,
        Some(k) => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}]: unknown op '{}' (expected add, replace or remove)",
                clip(&k)
            )));
        }
        None => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}]: 'op' is missing"
            )));
        }
    };
    let path = match get_ci(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(parse_path(connid_name(s.trim()).unwrap_or(s))?),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "Operations[{index}]: 'path' must be a string"
            )));
        }
    };
    let mut value = get_ci(op, "value").cloned();
    // A path-less value may name ConnId's operational attributes as keys too.
    if path.is_none()
        && let Some(Value::Object(object)) = &mut value
        && object.keys().any(|k| connid_name(k).is_some())
    {
        *object = std::mem::take(object)
            .into_iter()
            .map(|(k, v)| (connid_name(&k).map_or(k, str::to_owned), v))
            .collect();
    }
    match kind {
        // RFC 7644 section 3.5.2.2: 'If "path" is unspecified, the operation fails with
        // HTTP status code 400 and a "scimType" error code of "noTarget".'
        PatchOpKind::Remove if path.is_none() => {
            return Err(ScimError::no_target(format!(
                "Operations[{index}]: remove requires a 'path'"
            )));
        }
        PatchOpKind::Add | PatchOpKind::Replace if value.is_none() => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}]: {} requires a 'value'",
                if kind == PatchOpKind::Add {
                    "add"
                } else {
                    "replace"
                }
            )));
        }
        _ => {}
    }
    Ok(PatchOperation {
        op: kind,
        path,
        value,
    })
}
