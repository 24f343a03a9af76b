//! An attribute's new value after one PATCH operation (RFC 7644 sections 3.5.2.1 to
//! 3.5.2.3): a whole attribute, a sub-attribute, or the values a filter selects, with
//! multi-valued merging, one `primary`, and sub-attribute mutability.

use serde_json::{Map, Value};

use super::request::PatchOpKind;
use crate::scim::error::{ScimError, clip};
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::schema::{Attribute, Mutability};
use crate::scim::value::{
    ElementIndex, coerce_attribute, coerce_single, get_ci, is_clear, map_get_ci, normalize_primary,
    put_ci, same_element, take_ci,
};

/// What part of an attribute an operation targets.
#[derive(Clone, Copy)]
pub(super) enum Target<'f, 'a> {
    /// The whole attribute.
    Whole,
    /// A sub-attribute of a complex attribute (of every value when multi-valued).
    Sub(&'a Attribute),
    /// The values matching a filter, or one sub-attribute of them.
    Filtered(&'f Filter, Option<&'a Attribute>),
}

/// One operation as it meets one attribute: what to do, the attribute's definition and
/// current value, the operation's value, and the attribute's canonical path for error
/// details.
#[derive(Clone, Copy)]
pub(super) struct AttributeOp<'a> {
    pub(super) kind: PatchOpKind,
    pub(super) attr: &'a Attribute,
    pub(super) current: Option<&'a Value>,
    pub(super) value: Option<&'a Value>,
    pub(super) label: &'a str,
}

/// The attribute's new value (`None` = unassigned) after one operation; attribute
/// names the schema does not publish are added to `ignored`.
pub(super) fn compute(
    op: AttributeOp<'_>,
    target: Target<'_, '_>,
    ignored: &mut Vec<String>,
) -> Result<Option<Value>, ScimError> {
    match target {
        Target::Whole => compute_whole(op, ignored),
        Target::Sub(sub) => compute_sub(op, sub, ignored),
        Target::Filtered(filter, sub) => compute_filtered(op, filter, sub, ignored),
    }
}

fn compute_whole(
    op: AttributeOp<'_>,
    ignored: &mut Vec<String>,
) -> Result<Option<Value>, ScimError> {
    let AttributeOp {
        kind,
        attr,
        current,
        value,
        label,
    } = op;
    let null = Value::Null;
    let value = value.unwrap_or(&null);
    match kind {
        PatchOpKind::Remove => {
            // Entra legacy / ConnId: {"op":"remove","path":"members","value":[{"value":"id"}]}
            // removes the listed values instead of the whole attribute.
            if attr.multi_valued && !is_clear(value) {
                let listed = coerce_attribute(attr, value, label, ignored)?;
                let listed: &[Value] = listed
                    .as_ref()
                    .and_then(Value::as_array)
                    .map_or(&[], Vec::as_slice);
                let mut index = ElementIndex::default();
                for (i, x) in listed.iter().enumerate() {
                    index.insert(attr, x, i);
                }
                let remaining: Vec<Value> = elements(current)
                    .into_iter()
                    .filter(|e| {
                        !index
                            .candidates(attr, e)
                            .iter()
                            .any(|&i| same_element(attr, e, &listed[i]))
                    })
                    .collect();
                return Ok(non_empty(remaining));
            }
            Ok(None)
        }
        PatchOpKind::Add | PatchOpKind::Replace => {
            let new = coerce_attribute(attr, value, label, ignored)?;
            let Some(new) = new else {
                // null / "" / [] clear the attribute, except that adding an empty
                // list to a multi-valued attribute adds nothing.
                if kind == PatchOpKind::Add && attr.multi_valued {
                    return Ok(current.cloned());
                }
                return Ok(None);
            };
            if attr.multi_valued {
                let new_items = match new {
                    Value::Array(items) => items,
                    other => vec![other],
                };
                if kind == PatchOpKind::Replace {
                    // RFC 7644 section 3.5.2.3: a multi-valued attribute without a
                    // filter has all its values replaced.
                    let mut items = new_items;
                    normalize_primary(attr, &mut items, None);
                    return Ok(non_empty(items));
                }
                // RFC 7644 section 3.5.2.1: values are added; a value already present
                // is not duplicated (its sub-attributes are updated).
                let mut items = elements(current);
                let mut filed = ElementIndex::default();
                for (i, e) in items.iter().enumerate() {
                    filed.insert(attr, e, i);
                }
                let mut preferred = None;
                for new_item in new_items {
                    let found = filed
                        .candidates(attr, &new_item)
                        .iter()
                        .copied()
                        .find(|&i| same_element(attr, &items[i], &new_item));
                    let index = match found {
                        Some(i) => {
                            merge_into(&mut items[i], &new_item);
                            i
                        }
                        None => {
                            filed.insert(attr, &new_item, items.len());
                            items.push(new_item);
                            items.len() - 1
                        }
                    };
                    if is_primary(&items[index]) {
                        preferred = Some(index);
                    }
                }
                normalize_primary(attr, &mut items, preferred);
                return Ok(non_empty(items));
            }
            if attr.is_complex() {
                // RFC 7644 sections 3.5.2.1/3.5.2.3: sub-attributes not given are
                // left unchanged.
                return Ok(Some(merge_complex(attr, current, new)));
            }
            Ok(Some(new))
        }
    }
}

fn compute_sub(
    op: AttributeOp<'_>,
    sub: &Attribute,
    ignored: &mut Vec<String>,
) -> Result<Option<Value>, ScimError> {
    let AttributeOp {
        kind,
        attr,
        current,
        value,
        label,
    } = op;
    let new = match (kind, value) {
        (PatchOpKind::Remove, _) | (_, None) => None,
        (_, Some(v)) => coerce_attribute(sub, v, label, ignored)?,
    };
    if !attr.multi_valued {
        let mut object = match current {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        set_sub(attr, &mut object, sub, new, label)?;
        return Ok((!object.is_empty()).then_some(Value::Object(object)));
    }
    // A sub-attribute of a multi-valued attribute without filter: every value.
    let mut items = elements(current);
    if items.is_empty() {
        if let Some(new) = new {
            let mut object = Map::new();
            object.insert(sub.name.clone(), new);
            items.push(Value::Object(object));
        }
    } else {
        for item in &mut items {
            if let Value::Object(object) = item {
                set_sub(attr, object, sub, new.clone(), label)?;
            }
        }
    }
    Ok(finish_elements(attr, items, None))
}

fn compute_filtered(
    op: AttributeOp<'_>,
    filter: &Filter,
    sub: Option<&Attribute>,
    ignored: &mut Vec<String>,
) -> Result<Option<Value>, ScimError> {
    let AttributeOp {
        kind,
        attr,
        current,
        value,
        label,
    } = op;
    let single_complex = !attr.multi_valued;
    let mut items = elements(current);
    let matched: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, e)| filter.matches_value(e, attr))
        .map(|(i, _)| i)
        .collect();
    let rebuild = |items: Vec<Value>, preferred: Option<usize>| -> Option<Value> {
        if single_complex {
            items.into_iter().next()
        } else {
            finish_elements(attr, items, preferred)
        }
    };
    if kind == PatchOpKind::Remove {
        // RFC 7644 section 3.5.2.2: matching values (or their sub-attribute) are
        // removed. No match removes nothing: remove is idempotent, so a client
        // retrying a member removal does not fail.
        for &i in matched.iter().rev() {
            match sub {
                None => {
                    items.remove(i);
                }
                Some(sub) => {
                    if let Value::Object(object) = &mut items[i] {
                        set_sub(attr, object, sub, None, label)?;
                    }
                }
            }
        }
        return Ok(rebuild(items, None));
    }
    let null = Value::Null;
    let value = value.unwrap_or(&null);
    let seed = simple_equality_terms(filter, attr);
    match sub {
        Some(sub) => {
            let new = coerce_attribute(sub, value, label, ignored)?;
            if matched.is_empty() {
                let Some(new) = new else {
                    return Ok(rebuild(items, None));
                };
                // Entra: `Add`/`Replace` to `emails[type eq "work"].value` on a user
                // without a work email creates that email.
                let Some(mut object) = seed else {
                    return Err(no_target(label, filter));
                };
                object.insert(sub.name.clone(), new);
                items.push(Value::Object(object));
                let last = items.len() - 1;
                return Ok(rebuild(items, Some(last)));
            }
            for &i in &matched {
                if let Value::Object(object) = &mut items[i] {
                    set_sub(attr, object, sub, new.clone(), label)?;
                }
            }
            let preferred = matched.iter().copied().find(|&i| is_primary(&items[i]));
            Ok(rebuild(items, preferred))
        }
        None => {
            let given = match value {
                Value::Array(v) if v.len() == 1 => &v[0],
                Value::Array(v) if v.len() > 1 => {
                    return Err(ScimError::invalid_value(format!(
                        "'{label}[{}]' takes one value, {} were given",
                        clip(&filter.to_string()),
                        v.len()
                    )));
                }
                other => other,
            };
            let new = coerce_single(attr, given, label, ignored)?;
            let Some(new) = new else {
                if kind == PatchOpKind::Replace {
                    for &i in matched.iter().rev() {
                        items.remove(i);
                    }
                }
                return Ok(rebuild(items, None));
            };
            if matched.is_empty() {
                let Some(mut object) = seed else {
                    return Err(no_target(label, filter));
                };
                if let Value::Object(fields) = new {
                    object.extend(fields);
                }
                items.push(Value::Object(object));
                let last = items.len() - 1;
                return Ok(rebuild(items, Some(last)));
            }
            for &i in &matched {
                if kind == PatchOpKind::Replace {
                    // RFC 7644 section 3.5.2.3: "all matching record values SHALL be
                    // replaced"; the filter's own equality terms are kept so that
                    // `emails[type eq "work"]` stays the work email.
                    let mut object = seed.clone().unwrap_or_default();
                    if let Value::Object(fields) = &new {
                        object.extend(fields.clone());
                    }
                    items[i] = Value::Object(object);
                } else {
                    merge_into(&mut items[i], &new);
                }
            }
            let preferred = matched.iter().copied().find(|&i| is_primary(&items[i]));
            Ok(rebuild(items, preferred))
        }
    }
}

fn no_target(label: &str, filter: &Filter) -> ScimError {
    // RFC 7644 section 3.5.2.3: a valuePath that matches no record is "noTarget".
    ScimError::no_target(format!(
        "no value of '{label}' matches [{}]",
        clip(&filter.to_string())
    ))
}

/// Sets (or with `None` removes) one sub-attribute of a complex value, enforcing the
/// sub-attribute's mutability. Changing `value` drops the sub-attributes that described
/// the old value (`$ref`, `display`): they would otherwise point at the old target.
fn set_sub(
    attr: &Attribute,
    object: &mut Map<String, Value>,
    sub: &Attribute,
    new: Option<Value>,
    label: &str,
) -> Result<(), ScimError> {
    let old = map_get_ci(object, &sub.name).cloned();
    if old != new {
        match sub.mutability {
            Mutability::ReadOnly => {
                return Err(ScimError::mutability(format!(
                    "'{}.{}' is readOnly",
                    attr.name, sub.name
                )));
            }
            Mutability::Immutable if old.is_some() => {
                return Err(ScimError::mutability(format!(
                    "'{}.{}' is immutable once set ({label})",
                    attr.name, sub.name
                )));
            }
            _ => {}
        }
        if sub.name == "value" && old.is_some() {
            for derived in ["$ref", "display", "displayName"] {
                if attr
                    .sub_attribute(derived)
                    .is_some_and(|d| d.mutability == Mutability::ReadOnly || derived == "$ref")
                {
                    take_ci(object, derived);
                }
            }
        }
    }
    put_ci(object, &sub.name, new);
    Ok(())
}

/// Merges a coerced complex value into the current one (sub-attributes not given are
/// kept), unless the `value` sub-attribute changes: then the new value replaces the old
/// one entirely (Entra's manager `{"value": "<new id>"}` must not keep the old `$ref`).
fn merge_complex(attr: &Attribute, current: Option<&Value>, new: Value) -> Value {
    let Some(Value::Object(old)) = current else {
        return new;
    };
    let identity = attr.sub_attribute("value").map(|a| a.name.as_str());
    if let Some(key) = identity
        && let (Some(old_id), Some(new_id)) = (old.get(key), new.get(key))
        && old_id != new_id
    {
        return new;
    }
    let mut merged = Value::Object(old.clone());
    merge_into(&mut merged, &new);
    merged
}

fn merge_into(target: &mut Value, new: &Value) {
    match (target, new) {
        (Value::Object(t), Value::Object(n)) => {
            for (k, v) in n {
                put_ci(t, k, Some(v.clone()));
            }
        }
        (t, n) => *t = n.clone(),
    }
}

fn is_primary(v: &Value) -> bool {
    get_ci(v, "primary") == Some(&Value::Bool(true))
}

fn elements(current: Option<&Value>) -> Vec<Value> {
    match current {
        Some(Value::Array(items)) => items.clone(),
        Some(v) if !v.is_null() => vec![v.clone()],
        _ => Vec::new(),
    }
}

fn non_empty(items: Vec<Value>) -> Option<Value> {
    (!items.is_empty()).then_some(Value::Array(items))
}

/// Drops values left empty or without their `value` (a multi-valued complex value
/// without `value` denotes nothing), enforces one primary, and unassigns an empty list.
fn finish_elements(attr: &Attribute, items: Vec<Value>, preferred: Option<usize>) -> Option<Value> {
    let value_name = attr
        .sub_attribute("value")
        .filter(|_| attr.is_complex())
        .map(|a| a.name.clone());
    let mut kept = Vec::with_capacity(items.len());
    let mut kept_preferred = None;
    for (i, item) in items.into_iter().enumerate() {
        let keep = match (&item, &value_name) {
            (Value::Object(o), Some(v)) => o.get(v).is_some_and(|x| !x.is_null()),
            (Value::Object(o), None) => !o.is_empty(),
            (v, _) => !v.is_null(),
        };
        if keep {
            if preferred == Some(i) {
                kept_preferred = Some(kept.len());
            }
            kept.push(item);
        }
    }
    normalize_primary(attr, &mut kept, kept_preferred);
    non_empty(kept)
}

/// For a filter made only of `sub eq literal` terms joined by `and`, the object those
/// terms describe (used to create the value a filtered add/replace targets).
fn simple_equality_terms(filter: &Filter, attr: &Attribute) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    fn collect(filter: &Filter, attr: &Attribute, out: &mut Map<String, Value>) -> Option<()> {
        match filter {
            Filter::And(a, b) => {
                collect(a, attr, out)?;
                collect(b, attr, out)
            }
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.urn.is_none() && path.sub_attr.is_none() => {
                let sub = attr.sub_attribute(&path.attr)?;
                let literal = match value {
                    CompValue::String(s) => Value::from(s.as_str()),
                    CompValue::Bool(b) => Value::Bool(*b),
                    CompValue::Number(n) => Value::Number(n.clone()),
                    CompValue::Null => return None,
                };
                let mut ignored = Vec::new();
                let coerced = coerce_single(sub, &literal, &sub.name, &mut ignored).ok()??;
                out.insert(sub.name.clone(), coerced);
                Some(())
            }
            _ => None,
        }
    }
    collect(filter, attr, &mut out)?;
    Some(out)
}
