//! Shared helpers for canonical JSON: case-insensitive lookup, presence, value
//! coercion against attribute definitions, and multi-valued `primary` handling.

use serde_json::{Map, Number, Value};

use super::error::ScimError;
use super::schema::{AttrType, Attribute, Mutability};

/// The member `key` of an object, exact match first, then case-insensitively
/// (attribute names and URNs are case-insensitive, RFC 7643 section 2.1).
pub(crate) fn get_ci<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    map_get_ci(value.as_object()?, key)
}

/// [`get_ci`] on a map.
pub(crate) fn map_get_ci<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Removes every case variant of `key` from a map, returning the first value found.
pub(crate) fn take_ci(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let keys: Vec<String> = map
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(key))
        .cloned()
        .collect();
    let mut found = None;
    for k in keys {
        let v = map.shift_remove(&k);
        if found.is_none() {
            found = v;
        }
    }
    found
}

/// Writes `value` under the canonical `key` (or unassigns it with `None`), removing
/// other case variants and keeping the key's position when it already exists.
pub(crate) fn put_ci(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    let variants: Vec<String> = map
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(key) && k.as_str() != key)
        .cloned()
        .collect();
    for k in variants {
        map.shift_remove(&k);
    }
    match value {
        Some(v) => {
            map.insert(key.to_string(), v);
        }
        None => {
            map.shift_remove(key);
        }
    }
}

/// Present = assigned and not null, `""`, `[]` or `{}` (RFC 7643 section 2.5 treats
/// unassigned, null and empty array alike; `pr` needs a non-empty value).
pub(crate) fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(is_present),
        Value::Object(map) => map.values().any(is_present),
        _ => true,
    }
}

/// Whether a value given by a client means "unassign": `null`, `""` or `[]`.
pub(crate) fn is_clear(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.iter().all(Value::is_null),
        _ => false,
    }
}

/// Coerces a value given for a whole attribute to its schema type. `Ok(None)` means
/// "unassign". Multi-valued attributes accept a single value as a one-element array;
/// single-valued ones accept a one-element array (Entra sends `manager` as
/// `[{"$ref":..,"value":..}]`). Unknown sub-attributes are dropped and reported in
/// `ignored`; readOnly sub-attributes of writable attributes are dropped silently.
pub(crate) fn coerce_attribute(
    attr: &Attribute,
    value: &Value,
    label: &str,
    ignored: &mut Vec<String>,
) -> Result<Option<Value>, ScimError> {
    if is_clear(value) {
        return Ok(None);
    }
    if attr.multi_valued {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = coerce_single(attr, item, label, ignored)? {
                out.push(v);
            }
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    let single = match value {
        Value::Array(items) if items.len() == 1 => &items[0],
        Value::Array(_) => {
            return Err(ScimError::invalid_value(format!(
                "'{label}' is single-valued but an array of several values was given"
            )));
        }
        other => other,
    };
    coerce_single(attr, single, label, ignored)
}

/// Coerces one value (one element of a multi-valued attribute, or a single value).
pub(crate) fn coerce_single(
    attr: &Attribute,
    value: &Value,
    label: &str,
    ignored: &mut Vec<String>,
) -> Result<Option<Value>, ScimError> {
    let wrong = |expected: &str| {
        ScimError::invalid_value(format!(
            "'{label}' must be {expected}, got {}",
            describe(value)
        ))
    };
    if value.is_null() {
        return Ok(None);
    }
    match attr.attr_type {
        AttrType::Complex => match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, sub_value) in map {
                    let Some(sub) = attr.sub_attribute(key) else {
                        ignored.push(format!("{label}.{key}"));
                        continue;
                    };
                    if sub.mutability == Mutability::ReadOnly
                        && attr.mutability != Mutability::ReadOnly
                    {
                        continue;
                    }
                    let sub_label = format!("{label}.{}", sub.name);
                    if let Some(v) = coerce_single(sub, sub_value, &sub_label, ignored)? {
                        out.insert(sub.name.clone(), v);
                    }
                }
                Ok((!out.is_empty()).then_some(Value::Object(out)))
            }
            Value::String(s) => match attr.sub_attribute("value") {
                Some(value_attr) if !s.is_empty() => {
                    let sub_label = format!("{label}.value");
                    let v = coerce_single(value_attr, value, &sub_label, ignored)?;
                    Ok(v.map(|v| {
                        let mut out = Map::new();
                        out.insert(value_attr.name.clone(), v);
                        Value::Object(out)
                    }))
                }
                Some(_) => Ok(None),
                None => Err(wrong("an object")),
            },
            _ => Err(wrong("an object")),
        },
        AttrType::Boolean => match value {
            Value::Bool(_) => Ok(Some(value.clone())),
            // Entra's legacy dialect sends "True"/"False".
            Value::String(s) if s.trim().eq_ignore_ascii_case("true") => {
                Ok(Some(Value::Bool(true)))
            }
            Value::String(s) if s.trim().eq_ignore_ascii_case("false") => {
                Ok(Some(Value::Bool(false)))
            }
            Value::String(s) if s.is_empty() => Ok(None),
            _ => Err(wrong("a boolean")),
        },
        AttrType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(value.clone())),
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(Value::from(f as i64))),
                _ => Err(wrong("an integer")),
            },
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) => Ok(Some(Value::from(i))),
                Err(_) => Err(wrong("an integer")),
            },
            _ => Err(wrong("an integer")),
        },
        AttrType::Decimal => match value {
            Value::Number(_) => Ok(Some(value.clone())),
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(|n| Some(Value::Number(n)))
                .ok_or_else(|| wrong("a decimal number")),
            _ => Err(wrong("a decimal number")),
        },
        AttrType::DateTime => match value {
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s.trim()).is_ok() => {
                Ok(Some(value.clone()))
            }
            _ => Err(wrong("an xsd:dateTime such as \"2026-11-22T04:08:15Z\"")),
        },
        AttrType::String | AttrType::Reference | AttrType::Binary => match value {
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(_) => Ok(Some(value.clone())),
            // Lenient: an IdP may send an extension number or phone number as a JSON number.
            Value::Number(n) if attr.attr_type == AttrType::String => {
                Ok(Some(Value::from(n.to_string())))
            }
            _ => Err(wrong("a string")),
        },
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether two elements of a multi-valued attribute denote the same value: for complex
/// attributes with a `value` sub-attribute, the same `value` (honouring `caseExact`) and
/// no conflicting `type`; otherwise JSON equality.
pub(crate) fn same_element(attr: &Attribute, a: &Value, b: &Value) -> bool {
    let Some(value_attr) = attr.sub_attribute("value").filter(|_| attr.is_complex()) else {
        return a == b;
    };
    let text = |v: &Value, name: &str| {
        get_ci(v, name).map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let (Some(va), Some(vb)) = (text(a, &value_attr.name), text(b, &value_attr.name)) else {
        return a == b;
    };
    let values_equal = if value_attr.case_exact {
        va == vb
    } else {
        va.to_lowercase() == vb.to_lowercase()
    };
    let types_conflict = match (text(a, "type"), text(b, "type")) {
        (Some(ta), Some(tb)) => !ta.eq_ignore_ascii_case(&tb),
        _ => false,
    };
    values_equal && !types_conflict
}

/// A key under which every element [`same_element`] could match `v` is filed: the
/// value as compared (lower-cased unless `caseExact`) for complex attributes with a
/// `value`, the JSON itself for the others; `None` for a complex element without a
/// `value` (it can only equal another such element). Lets multi-valued adds and
/// removals find matches by hash instead of comparing every pair.
pub(crate) fn element_key(attr: &Attribute, v: &Value) -> Option<String> {
    let Some(value_attr) = attr.sub_attribute("value").filter(|_| attr.is_complex()) else {
        return Some(format!("={v}"));
    };
    let text = match get_ci(v, &value_attr.name)? {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(if value_attr.case_exact {
        text
    } else {
        text.to_lowercase()
    })
}

/// Elements filed by [`element_key`], for matching in time linear in their number.
#[derive(Debug, Default)]
pub(crate) struct ElementIndex {
    keyed: std::collections::HashMap<String, Vec<usize>>,
    keyless: Vec<usize>,
}

impl ElementIndex {
    /// Files element number `index`.
    pub(crate) fn insert(&mut self, attr: &Attribute, element: &Value, index: usize) {
        match element_key(attr, element) {
            Some(key) => self.keyed.entry(key).or_default().push(index),
            None => self.keyless.push(index),
        }
    }

    /// The numbers of the filed elements `v` may be the same element as.
    pub(crate) fn candidates(&self, attr: &Attribute, v: &Value) -> &[usize] {
        match element_key(attr, v) {
            Some(key) => self.keyed.get(&key).map_or(&[], Vec::as_slice),
            None => &self.keyless,
        }
    }
}

fn is_primary(v: &Value) -> bool {
    get_ci(v, "primary") == Some(&Value::Bool(true))
}

/// Enforces "at most one `primary: true`" (RFC 7643 section 2.4): the value at
/// `preferred` keeps it when it is primary, otherwise the first primary value does;
/// the others are set to `false`.
pub(crate) fn normalize_primary(attr: &Attribute, items: &mut [Value], preferred: Option<usize>) {
    if attr.sub_attribute("primary").is_none() {
        return;
    }
    let keep = preferred
        .filter(|&i| items.get(i).is_some_and(is_primary))
        .or_else(|| items.iter().position(is_primary));
    let Some(keep) = keep else {
        return;
    };
    for (i, item) in items.iter_mut().enumerate() {
        if i != keep
            && is_primary(item)
            && let Some(map) = item.as_object_mut()
        {
            take_ci(map, "primary");
            map.insert("primary".into(), Value::Bool(false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::path::AttrPath;
    use crate::scim::schema::SchemaRegistry;
    use serde_json::json;

    fn attr(path: &str) -> Attribute {
        let user = SchemaRegistry::global().user();
        AttrPath::parse(path)
            .and_then(|p| user.resolve(&p))
            .map(|r| r.target().clone())
            .unwrap_or_else(|| panic!("{path}"))
    }

    #[test]
    fn coercion_table() {
        type Expected = Result<Option<Value>, ()>;
        let cases: Vec<(&str, Value, Expected)> = vec![
            ("active", json!("True"), Ok(Some(json!(true)))),
            ("active", json!(" false "), Ok(Some(json!(false)))),
            ("active", json!(1), Err(())),
            ("type", json!("4"), Ok(Some(json!(4)))),
            ("type", json!(99.0), Ok(Some(json!(99)))),
            ("type", json!(1.5), Err(())),
            ("type", json!("99999999999999999999"), Err(())),
            ("title", json!(42), Ok(Some(json!("42")))),
            ("title", json!(true), Err(())),
            ("title", json!(""), Ok(None)),
            ("title", json!(null), Ok(None)),
            ("title", json!(["only"]), Ok(Some(json!("only")))),
            ("title", json!(["a", "b"]), Err(())),
            (
                "createdAt",
                json!("2026-11-22T04:08:15Z"),
                Ok(Some(json!("2026-11-22T04:08:15Z"))),
            ),
            ("createdAt", json!("22/11/2026"), Err(())),
            ("manager", json!("m1"), Ok(Some(json!({"value": "m1"})))),
            (
                "manager",
                json!([{"value": "m1", "displayName": "dropped"}]),
                Ok(Some(json!({"value": "m1"}))),
            ),
            ("manager", json!({"value": ""}), Ok(None)),
            ("name", json!("x"), Err(())),
            ("emails", json!([]), Ok(None)),
            ("emails", json!([null]), Ok(None)),
            (
                "emails",
                json!({"value": "a@x"}),
                Ok(Some(json!([{"value": "a@x"}]))),
            ),
            (
                "emails",
                json!([{"value": "a@x", "primary": "TRUE"}]),
                Ok(Some(json!([{"value": "a@x", "primary": true}]))),
            ),
            (
                "callingPlans",
                json!(["200", 300]),
                Ok(Some(json!([200, 300]))),
            ),
            (
                "groups",
                json!([{"value": "g", "display": "kept for readOnly parents"}]),
                Ok(Some(
                    json!([{"value": "g", "display": "kept for readOnly parents"}]),
                )),
            ),
        ];
        for (path, input, expected) in cases {
            let mut ignored = Vec::new();
            let got = coerce_attribute(&attr(path), &input, path, &mut ignored).map_err(|e| {
                assert_eq!(
                    e.scim_type,
                    Some(crate::scim::ScimType::InvalidValue),
                    "{path} {input}"
                );
            });
            assert_eq!(got, expected, "{path} {input}");
        }
    }

    #[test]
    fn same_element_and_primary() {
        let emails = attr("emails");
        assert!(same_element(
            &emails,
            &json!({"value": "A@x"}),
            &json!({"value": "a@X", "type": "work"})
        ));
        assert!(!same_element(
            &emails,
            &json!({"value": "a@x", "type": "home"}),
            &json!({"value": "a@x", "type": "work"})
        ));
        let group = SchemaRegistry::global().group();
        let members = group
            .resolve(&AttrPath::new("members"))
            .map(|r| r.attribute.clone())
            .unwrap_or_else(|| panic!("members"));
        assert!(same_element(
            &members,
            &json!({"value": "u1", "display": "x"}),
            &json!({"value": "u1"})
        ));
        let mut items = vec![
            json!({"value": "a", "primary": true}),
            json!({"value": "b", "primary": true}),
            json!({"value": "c"}),
        ];
        normalize_primary(&emails, &mut items, Some(1));
        assert_eq!(
            items,
            vec![
                json!({"value": "a", "primary": false}),
                json!({"value": "b", "primary": true}),
                json!({"value": "c"})
            ]
        );
    }

    #[test]
    fn presence_and_clear() {
        assert!(!is_present(&json!(null)));
        assert!(!is_present(&json!("")));
        assert!(!is_present(&json!([])));
        assert!(!is_present(&json!({"value": null})));
        assert!(is_present(&json!(false)));
        assert!(is_present(&json!(0)));
        assert!(is_clear(&json!([null])));
        assert!(!is_clear(&json!(false)));
        let mut map = serde_json::Map::new();
        map.insert("A".into(), json!(1));
        map.insert("b".into(), json!(2));
        map.insert("a".into(), json!(3));
        put_ci(&mut map, "a", Some(json!(4)));
        assert_eq!(Value::Object(map.clone()), json!({"b": 2, "a": 4}));
        put_ci(&mut map, "B", None);
        assert_eq!(Value::Object(map), json!({"a": 4}));
    }
}
