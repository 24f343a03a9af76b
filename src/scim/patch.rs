//! PATCH (RFC 7644 section 3.5.2): request parsing in every client dialect seen in the
//! field (Entra legacy and compliant, Okta, ConnId/midPoint) and an atomic engine that
//! applies the operations to a canonical resource, driven by the schema.

use serde_json::{Map, Value};

use super::error::{ScimError, clip};
use super::filter::{CompValue, CompareOp, Filter};
use super::model::urn;
use super::path::attr::AttrPath;
use super::path::patch::{PatchPath, as_invalid_path, parse_path};
use super::schema::{Attribute, Mutability, Resolved, ResourceSchema};
use super::value::{
    ElementIndex, coerce_attribute, coerce_single, get_ci, is_clear, map_get_ci, normalize_primary,
    put_ci, same_element, take_ci,
};

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

    /// Applies the operations in order, atomically (RFC 7644 section 3.5.2: "A PATCH
    /// request, regardless of the number of operations, SHALL be treated as atomic"):
    /// on error `resource` is left untouched.
    pub fn apply(&self, resource: &mut Value, schema: &ResourceSchema) -> Result<(), ScimError> {
        self.apply_reporting(resource, schema).map(|_| ())
    }

    /// Like [`PatchRequest::apply`], returning the attribute names that were ignored
    /// because the schema does not publish them (for logging).
    pub fn apply_reporting(
        &self,
        resource: &mut Value,
        schema: &ResourceSchema,
    ) -> Result<Vec<String>, ScimError> {
        let Some(original) = resource.as_object() else {
            return Err(ScimError::internal(
                "PATCH target resource is not an object",
            ));
        };
        let mut work = original.clone();
        let mut ignored = Vec::new();
        for operation in &self.operations {
            let mut engine = Engine {
                schema,
                ignored: &mut ignored,
            };
            engine.apply_operation(&mut work, operation)?;
        }
        finalize(&mut work, schema);
        *resource = Value::Object(work);
        Ok(ignored)
    }
}

/// RFC 7643 section 4.1's User attributes and section 3.1's `externalId`: a PATCH
/// naming one the schema does not publish is ignored (and reported), not refused.
const RFC_USER_ATTRIBUTES: &[&str] = &[
    "userName",
    "name",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "password",
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509Certificates",
    "externalId",
];

/// RFC 7643 section 4.3's enterprise User attributes.
const RFC_ENTERPRISE_ATTRIBUTES: &[&str] = &[
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "manager",
];

/// RFC 7643 section 4.1's sub-attributes of User attributes the schema publishes
/// (`name` section 4.1.1; the multi-valued ones' `type`, `primary`, `display`, `value`
/// per section 2.4; the enterprise `manager` section 4.3). Entra's default mappings
/// patch `name.formatted` next to `name.givenName`.
const RFC_USER_SUB_ATTRIBUTES: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "formatted",
            "familyName",
            "givenName",
            "middleName",
            "honorificPrefix",
            "honorificSuffix",
        ],
    ),
    ("emails", &["value", "display", "type", "primary"]),
    ("phoneNumbers", &["value", "display", "type", "primary"]),
    ("roles", &["value", "display", "type", "primary"]),
    ("groups", &["value", "$ref", "display", "type"]),
    ("manager", &["value", "$ref", "displayName"]),
];

/// RFC 7643 section 4.2's Group attributes and section 3.1's `externalId`.
const RFC_GROUP_ATTRIBUTES: &[&str] = &["displayName", "members", "externalId"];

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
        Some(Value::String(s)) => Some(parse_path(s)?),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "Operations[{index}]: 'path' must be a string"
            )));
        }
    };
    let value = get_ci(op, "value").cloned();
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

/// What part of an attribute an operation targets.
#[derive(Clone, Copy)]
enum Target<'f, 'a> {
    /// The whole attribute.
    Whole,
    /// A sub-attribute of a complex attribute (of every value when multi-valued).
    Sub(&'a Attribute),
    /// The values matching a filter, or one sub-attribute of them.
    Filtered(&'f Filter, Option<&'a Attribute>),
}

struct Engine<'s, 'i> {
    schema: &'s ResourceSchema,
    ignored: &'i mut Vec<String>,
}

impl<'s> Engine<'s, '_> {
    fn apply_operation(
        &mut self,
        work: &mut Map<String, Value>,
        operation: &PatchOperation,
    ) -> Result<(), ScimError> {
        match &operation.path {
            Some(path) if self.bare_extension(path).is_some() => {
                let urn = self.bare_extension(path).unwrap_or_default();
                self.apply_extension_object(work, operation.op, &urn, operation.value.as_ref())
            }
            Some(path) if let Some(name) = self.unpublished_rfc_attribute(path) => {
                // Entra's default mappings patch `externalId` and `addresses[type eq
                // "work"].formatted`; refusing the whole PATCH for an attribute the service
                // cannot hold would stop every later change of that user. Ignored as on
                // POST/PUT and on a PATCH without path, and reported.
                self.ignored.push(name);
                Ok(())
            }
            Some(path) => self.apply_path(work, operation.op, path, operation.value.as_ref()),
            None => {
                // RFC 7644 sections 3.5.2.1/3.5.2.3: without a path the value is an object
                // of attributes; keys may be paths (Entra: "name.givenName",
                // "urn:...:User:employeeNumber") or an extension URN with an object value.
                let Some(Value::Object(entries)) = &operation.value else {
                    return Err(ScimError::invalid_value(
                        "without a 'path', 'value' must be an object of attributes",
                    ));
                };
                for (key, value) in entries {
                    self.apply_keyed(work, operation.op, key, value)?;
                }
                Ok(())
            }
        }
    }

    /// The name to report when `path` names an attribute RFC 7643 defines for this
    /// resource type that the schema does not publish (Zoom has no field for it), or
    /// such a sub-attribute of a published one (`name.formatted`, `emails[type eq
    /// "work"].display`). `None` for anything else: an unknown path stays an error.
    fn unpublished_rfc_attribute(&self, path: &PatchPath) -> Option<String> {
        let top = AttrPath {
            sub_attr: None,
            ..path.attr.clone()
        };
        let core = self.schema.core.id.as_str();
        let urn = path.attr.urn.as_deref();
        let under = |schema_urn: &str| urn.is_none_or(|u| u.eq_ignore_ascii_case(schema_urn));
        let name = match urn {
            Some(urn) => format!("{urn}:{}", path.attr.attr),
            None => path.attr.attr.clone(),
        };
        if self.schema.resolve(&top).is_some() {
            let sub = path.target_sub_attr()?;
            let full = AttrPath {
                sub_attr: Some(sub.to_owned()),
                ..path.attr.clone()
            };
            let in_user = core == urn::USER && (under(urn::USER) || under(urn::ENTERPRISE_USER));
            let rfc_sub = RFC_USER_SUB_ATTRIBUTES.iter().any(|(attr, subs)| {
                attr.eq_ignore_ascii_case(&path.attr.attr)
                    && subs.iter().any(|s| s.eq_ignore_ascii_case(sub))
            });
            return (in_user && rfc_sub && self.schema.resolve(&full).is_none())
                .then(|| format!("{name}.{sub}"));
        }
        let named = |list: &[&str]| list.iter().any(|k| k.eq_ignore_ascii_case(&path.attr.attr));
        let unpublished = if core == urn::USER {
            (under(urn::USER) && named(RFC_USER_ATTRIBUTES))
                || (under(urn::ENTERPRISE_USER) && named(RFC_ENTERPRISE_ATTRIBUTES))
        } else if core == urn::GROUP {
            under(urn::GROUP) && named(RFC_GROUP_ATTRIBUTES)
        } else {
            false
        };
        unpublished.then_some(name)
    }

    /// The extension URN when `path` names a whole extension
    /// (`"path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`). RFC
    /// 7644's attrPath grammar does not name this form, but clients send it (and
    /// scim2-tester does) meaning "the extension's attributes".
    fn bare_extension(&self, path: &PatchPath) -> Option<String> {
        if path.filter.is_some() || path.sub_attr.is_some() || path.attr.sub_attr.is_some() {
            return None;
        }
        let full = match &path.attr.urn {
            Some(urn) => format!("{urn}:{}", path.attr.attr),
            None => path.attr.attr.clone(),
        };
        self.schema.extension(&full).map(|ext| ext.id.clone())
    }

    /// `add`/`replace`/`remove` of a whole extension object: `add` sets the attributes
    /// given; `replace` also clears the writable attributes not given; `remove` clears
    /// every writable attribute (read-only ones are the service's and stay).
    fn apply_extension_object(
        &mut self,
        work: &mut Map<String, Value>,
        kind: PatchOpKind,
        urn: &str,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        if matches!(kind, PatchOpKind::Replace | PatchOpKind::Remove) {
            let schema = self.schema;
            let writable: Vec<String> = schema
                .extension(urn)
                .map(|ext| {
                    ext.attributes
                        .iter()
                        .filter(|a| {
                            matches!(a.mutability, Mutability::ReadWrite | Mutability::WriteOnly)
                        })
                        .map(|a| a.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            let given: Vec<String> = match value {
                Some(Value::Object(members)) if kind == PatchOpKind::Replace => {
                    members.keys().map(|k| k.to_ascii_lowercase()).collect()
                }
                _ => Vec::new(),
            };
            if let Some(Value::Object(ext)) = work.get_mut(urn) {
                ext.retain(|name, _| {
                    !writable.iter().any(|w| w.eq_ignore_ascii_case(name))
                        || given.contains(&name.to_ascii_lowercase())
                });
            }
            if kind == PatchOpKind::Remove {
                return Ok(());
            }
        }
        match value {
            Some(value) => {
                let add = if kind == PatchOpKind::Replace {
                    PatchOpKind::Replace
                } else {
                    PatchOpKind::Add
                };
                self.apply_keyed(work, add, urn, value)
            }
            None => Err(ScimError::invalid_value(format!(
                "'{urn}': add and replace need a 'value' object of extension attributes"
            ))),
        }
    }

    fn apply_keyed(
        &mut self,
        work: &mut Map<String, Value>,
        kind: PatchOpKind,
        key: &str,
        value: &Value,
    ) -> Result<(), ScimError> {
        // Clients echo `schemas` and `meta` in whole-resource replaces (ConnId, Okta).
        if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("meta") {
            return Ok(());
        }
        if let Some(ext) = self.schema.extension(key) {
            let ext_urn = ext.id.clone();
            return match value {
                Value::Object(members) => {
                    for (name, member_value) in members {
                        let path =
                            AttrPath::parse(name)
                                .filter(|p| p.urn.is_none())
                                .map(|p| PatchPath {
                                    attr: AttrPath {
                                        urn: Some(ext_urn.clone()),
                                        ..p
                                    },
                                    filter: None,
                                    sub_attr: None,
                                });
                        match path {
                            Some(path) if self.schema.resolve(&path.attr).is_some() => {
                                self.apply_path(work, kind, &path, Some(member_value))?;
                            }
                            _ => self.ignored.push(format!("{ext_urn}:{name}")),
                        }
                    }
                    Ok(())
                }
                v if is_clear(v) => Ok(()),
                _ => Err(ScimError::invalid_value(format!(
                    "'{key}' must be an object of extension attributes"
                ))),
            };
        }
        match parse_path(key) {
            Ok(path) if self.schema.resolve(&path.attr).is_some() => {
                self.apply_path(work, kind, &path, Some(value))
            }
            // Unknown attributes (or schemas) inside a no-path value are ignored, as on
            // POST/PUT, and reported for logging.
            _ => {
                self.ignored.push(key.to_string());
                Ok(())
            }
        }
    }

    fn apply_path(
        &mut self,
        work: &mut Map<String, Value>,
        kind: PatchOpKind,
        path: &PatchPath,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let schema = self.schema;
        let resolved = schema.resolve(&path.attr).ok_or_else(|| {
            ScimError::invalid_path(format!(
                "unknown attribute '{}' in path",
                clip(&path.attr.to_string())
            ))
        })?;
        let attr = resolved.attribute;
        let target = match (&path.filter, resolved.sub_attribute) {
            (None, None) => Target::Whole,
            (None, Some(sub)) => Target::Sub(sub),
            (Some(filter), None) => {
                if !attr.is_complex() {
                    return Err(ScimError::invalid_path(format!(
                        "'{}': '{}' has no sub-attributes to filter on",
                        clip(&path.to_string()),
                        attr.name
                    )));
                }
                filter
                    .validate_value_filter(attr)
                    .map_err(as_invalid_path)?;
                let sub = match &path.sub_attr {
                    Some(name) => Some(attr.sub_attribute(name).ok_or_else(|| {
                        ScimError::invalid_path(format!(
                            "unknown sub-attribute '{}.{}' in path",
                            attr.name,
                            clip(name)
                        ))
                    })?),
                    None => None,
                };
                Target::Filtered(filter, sub)
            }
            (Some(_), Some(_)) => {
                return Err(ScimError::invalid_path(format!(
                    "'{}' is not a valid path",
                    clip(&path.to_string())
                )));
            }
        };
        let label = resolved.canonical_path();
        let container = container_mut(work, &resolved);
        let current = map_get_ci(container, &attr.name).cloned();
        let updated = self.compute(kind, attr, current.as_ref(), target, value, &label)?;
        check_mutability(attr, current.as_ref(), updated.as_ref(), &label)?;
        if attr.required && updated.is_none() {
            return Err(ScimError::invalid_value(format!(
                "'{label}' is required and cannot be removed"
            )));
        }
        put_ci(container, &attr.name, updated);
        Ok(())
    }

    /// The attribute's new value (`None` = unassigned) after one operation.
    fn compute(
        &mut self,
        kind: PatchOpKind,
        attr: &Attribute,
        current: Option<&Value>,
        target: Target<'_, '_>,
        value: Option<&Value>,
        label: &str,
    ) -> Result<Option<Value>, ScimError> {
        match target {
            Target::Whole => self.compute_whole(kind, attr, current, value, label),
            Target::Sub(sub) => self.compute_sub(kind, attr, sub, current, value, label),
            Target::Filtered(filter, sub) => {
                self.compute_filtered(kind, attr, filter, sub, current, value, label)
            }
        }
    }

    fn compute_whole(
        &mut self,
        kind: PatchOpKind,
        attr: &Attribute,
        current: Option<&Value>,
        value: Option<&Value>,
        label: &str,
    ) -> Result<Option<Value>, ScimError> {
        let null = Value::Null;
        let value = value.unwrap_or(&null);
        match kind {
            PatchOpKind::Remove => {
                // Entra legacy / ConnId: {"op":"remove","path":"members","value":[{"value":"id"}]}
                // removes the listed values instead of the whole attribute.
                if attr.multi_valued && !is_clear(value) {
                    let listed = coerce_attribute(attr, value, label, self.ignored)?;
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
                let new = coerce_attribute(attr, value, label, self.ignored)?;
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
        &mut self,
        kind: PatchOpKind,
        attr: &Attribute,
        sub: &Attribute,
        current: Option<&Value>,
        value: Option<&Value>,
        label: &str,
    ) -> Result<Option<Value>, ScimError> {
        let new = match (kind, value) {
            (PatchOpKind::Remove, _) | (_, None) => None,
            (_, Some(v)) => coerce_attribute(sub, v, label, self.ignored)?,
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

    #[allow(clippy::too_many_arguments)]
    fn compute_filtered(
        &mut self,
        kind: PatchOpKind,
        attr: &Attribute,
        filter: &Filter,
        sub: Option<&Attribute>,
        current: Option<&Value>,
        value: Option<&Value>,
        label: &str,
    ) -> Result<Option<Value>, ScimError> {
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
                let new = coerce_attribute(sub, value, label, self.ignored)?;
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
                let new = coerce_single(attr, given, label, self.ignored)?;
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

/// The object holding a resolved attribute: the resource itself or its extension object
/// (created on demand under the canonical URN key).
fn container_mut<'w>(
    work: &'w mut Map<String, Value>,
    resolved: &Resolved<'_>,
) -> &'w mut Map<String, Value> {
    let Some(ext) = resolved.extension else {
        return work;
    };
    if !work.get(ext).is_some_and(Value::is_object) {
        let existing = map_get_ci(work, ext).filter(|v| v.is_object()).cloned();
        put_ci(
            work,
            ext,
            Some(existing.unwrap_or(Value::Object(Map::new()))),
        );
    }
    let slot = work
        .entry(ext.to_string())
        .or_insert(Value::Object(Map::new()));
    match slot {
        Value::Object(o) => o,
        _ => unreachable!("slot was just made an object"),
    }
}

/// RFC 7643 section 2.2 mutability on the attribute level: readOnly attributes cannot
/// change (an equal value, such as Okta's `id` in a no-path replace, is accepted
/// silently); immutable attributes can only be set while unassigned.
fn check_mutability(
    attr: &Attribute,
    old: Option<&Value>,
    new: Option<&Value>,
    label: &str,
) -> Result<(), ScimError> {
    if old == new {
        return Ok(());
    }
    match attr.mutability {
        Mutability::ReadOnly => Err(ScimError::mutability(format!(
            "'{label}' is readOnly and cannot be modified"
        ))),
        Mutability::Immutable if old.is_some() => Err(ScimError::mutability(format!(
            "'{label}' is immutable and already set"
        ))),
        _ => Ok(()),
    }
}

/// Drops empty extension objects and recomputes `schemas` (core first, then the present
/// extensions).
fn finalize(work: &mut Map<String, Value>, schema: &ResourceSchema) {
    for ext in &schema.extensions {
        let empty = work
            .get(&ext.id)
            .is_some_and(|v| v.as_object().is_none_or(Map::is_empty));
        if empty {
            work.shift_remove(&ext.id);
        }
    }
    let urns: Vec<Value> = std::iter::once(schema.core.id.as_str())
        .chain(
            schema
                .extensions
                .iter()
                .filter(|ext| work.contains_key(&ext.id))
                .map(|ext| ext.id.as_str()),
        )
        .map(Value::from)
        .collect();
    work.insert("schemas".into(), Value::Array(urns));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::schema::SchemaRegistry;
    use serde_json::json;

    const ENT: &str = urn::ENTERPRISE_USER;

    fn user() -> Value {
        json!({
            "schemas": [urn::USER, ENT],
            "id": "u1",
            "userName": "jane@example.com",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "displayName": "Jane Doe",
            "active": true,
            "emails": [{"value": "jane@example.com", "type": "work", "primary": true}],
            "roles": [{"value": "2", "display": "Member", "primary": true}],
            ENT: {"department": "Sales", "manager": {"value": "m1", "$ref": "https://h/scim/v2/Users/m1", "displayName": "Boss"}}
        })
    }

    fn group() -> Value {
        json!({
            "schemas": [urn::GROUP],
            "id": "g1",
            "displayName": "Sales",
            "members": [{"value": "u1", "display": "a@x"}, {"value": "u2"}]
        })
    }

    fn patch_user(before: Value, body: Value) -> Result<Value, ScimError> {
        let mut resource = before;
        PatchRequest::parse(&body)?.apply(&mut resource, SchemaRegistry::global().user())?;
        Ok(resource)
    }

    fn patch_group(before: Value, body: Value) -> Result<Value, ScimError> {
        let mut resource = before;
        PatchRequest::parse(&body)?.apply(&mut resource, SchemaRegistry::global().group())?;
        Ok(resource)
    }

    fn ops(ops: Value) -> Value {
        json!({"schemas": [urn::PATCH_OP], "Operations": ops})
    }

    fn ok(result: Result<Value, ScimError>) -> Value {
        result.unwrap_or_else(|e| panic!("patch failed: {e}"))
    }

    fn err_type(result: Result<Value, ScimError>) -> Option<ScimType> {
        match result {
            Ok(v) => panic!("expected an error, got {v}"),
            Err(e) => {
                assert_eq!(e.status, 400, "{e}");
                e.scim_type
            }
        }
    }

    // ---- parsing ----

    #[test]
    fn parse_accepts_client_envelopes() {
        for body in [
            json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "x"}]}),
            json!({"Operations": [{"op": "Add", "path": "title", "value": "x"}]}),
            json!({"operations": [{"OP": "ADD", "Path": "title", "Value": "x"}]}),
            json!({"schemas": [urn::PATCH_OP], "id": "u1", "Operations": [{"op": "Replace", "value": {"title": "x"}}]}),
            json!({"Operations": [{"op": "remove", "path": "title"}]}),
            json!({"Operations": [{"op": "Remove", "path": "members", "value": [{"value": "u1"}]}]}),
        ] {
            assert!(PatchRequest::parse(&body).is_ok(), "{body}");
        }
        let parsed = PatchRequest::parse(
            &json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}),
        );
        assert_eq!(
            parsed.ok().map(|p| p.operations[0].op),
            Some(PatchOpKind::Replace)
        );
    }

    #[test]
    fn large_multi_valued_changes_are_linear_and_bounded() {
        // 10,000 e-mails added to a user holding 10,000: a comparison of every pair
        // would be 10^8 and take seconds; filed by value it is instant.
        let held: Vec<Value> = (0..10_000)
            .map(|i| json!({"value": format!("held{i}@example.com"), "type": "work"}))
            .collect();
        let mut before = user();
        before["emails"] = Value::Array(held);
        let added: Vec<Value> = (0..9_990)
            .map(|i| json!({"value": format!("NEW{i}@example.com"), "type": "other"}))
            .chain((0..10).map(|i| json!({"value": format!("HELD{i}@EXAMPLE.COM")})))
            .collect();
        let started = std::time::Instant::now();
        let after = ok(patch_user(
            before.clone(),
            ops(json!([{"op": "add", "path": "emails", "value": added}])),
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        // The ten held addresses (other case) matched; the rest were added once.
        assert_eq!(after["emails"].as_array().unwrap().len(), 19_990);
        let removed: Vec<Value> = (0..5_000)
            .map(|i| json!({"value": format!("held{i}@example.com")}))
            .collect();
        let after = ok(patch_user(
            after,
            ops(json!([{"op": "remove", "path": "emails", "value": removed}])),
        ));
        assert_eq!(after["emails"].as_array().unwrap().len(), 14_990);

        // Beyond the bounds: 400 tooMany naming the limit.
        let too_many: Vec<Value> = (0..=MAX_VALUES)
            .map(|i| json!({"value": format!("x{i}@example.com")}))
            .collect();
        let err = PatchRequest::parse(&ops(
            json!([{"op": "add", "path": "emails", "value": too_many}]),
        ))
        .unwrap_err();
        assert_eq!(err.scim_type, Some(ScimType::TooMany));
        assert!(err.detail.contains("10000"), "{}", err.detail);
        let nested = json!([{"op": "add", "value": {"emails": (0..=MAX_VALUES).map(|i| json!({"value": i})).collect::<Vec<_>>()}}]);
        assert!(PatchRequest::parse(&ops(nested)).is_err());
        let many_ops: Vec<Value> = (0..=MAX_OPERATIONS)
            .map(|_| json!({"op": "replace", "path": "title", "value": "x"}))
            .collect();
        let err = PatchRequest::parse(&ops(Value::Array(many_ops))).unwrap_err();
        assert_eq!(err.scim_type, Some(ScimType::TooMany));
    }

    #[test]
    fn parse_rejects_malformed_requests() {
        let cases = [
            (json!([]), ScimType::InvalidSyntax),
            (json!({}), ScimType::InvalidSyntax),
            (json!({"Operations": []}), ScimType::InvalidSyntax),
            (json!({"Operations": {}}), ScimType::InvalidSyntax),
            (json!({"Operations": [1]}), ScimType::InvalidSyntax),
            (
                json!({"Operations": [{"op": "move", "path": "title"}]}),
                ScimType::InvalidSyntax,
            ),
            (
                json!({"Operations": [{"path": "title", "value": 1}]}),
                ScimType::InvalidSyntax,
            ),
            (
                json!({"schemas": ["urn:other"], "Operations": [{"op": "add", "path": "title", "value": "x"}]}),
                ScimType::InvalidSyntax,
            ),
            (
                json!({"schemas": urn::PATCH_OP, "Operations": [{"op": "add", "path": "title", "value": "x"}]}),
                ScimType::InvalidSyntax,
            ),
            (
                json!({"Operations": [{"op": "add", "path": "title"}]}),
                ScimType::InvalidSyntax,
            ),
            (
                json!({"Operations": [{"op": "replace"}]}),
                ScimType::InvalidSyntax,
            ),
            (
                json!({"Operations": [{"op": "remove"}]}),
                ScimType::NoTarget,
            ),
            (
                json!({"Operations": [{"op": "add", "path": "emails[type eq", "value": 1}]}),
                ScimType::InvalidPath,
            ),
            (
                json!({"Operations": [{"op": "add", "path": 5, "value": 1}]}),
                ScimType::InvalidPath,
            ),
        ];
        for (body, expected) in cases {
            let got = PatchRequest::parse(&body).err().and_then(|e| e.scim_type);
            assert_eq!(got, Some(expected), "{body}");
        }
    }

    // ---- Entra ID, legacy dialect (no aadOptscim062020) ----

    #[test]
    fn entra_legacy_disable_with_string_boolean() {
        let after = ok(patch_user(
            user(),
            ops(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        ));
        let mut expected = user();
        expected["active"] = json!(false);
        assert_eq!(after, expected);
        let after = ok(patch_user(
            after,
            ops(json!([{"op": "Replace", "path": "active", "value": "TRUE"}])),
        ));
        assert_eq!(after, user());
    }

    #[test]
    fn entra_legacy_one_replace_per_attribute() {
        let after = ok(patch_user(
            user(),
            ops(json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "jd@example.com"},
                {"op": "Replace", "path": "name.familyName", "value": "Smith"},
                {"op": "Replace", "path": "userName", "value": "jd@example.com"},
                {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
                {"op": "Add", "path": "title", "value": "Engineer"}
            ])),
        ));
        assert_eq!(
            after,
            json!({
                "schemas": [urn::USER, ENT],
                "id": "u1",
                "userName": "jd@example.com",
                "name": {"givenName": "Jane", "familyName": "Smith"},
                "displayName": "Jane Doe",
                "active": true,
                "emails": [{"value": "jd@example.com", "type": "work", "primary": true}],
                "roles": [{"value": "2", "display": "Member", "primary": true}],
                ENT: {"department": "R&D", "manager": {"value": "m1", "$ref": "https://h/scim/v2/Users/m1", "displayName": "Boss"}},
                "title": "Engineer"
            })
        );
    }

    #[test]
    fn entra_legacy_member_remove_with_value_array() {
        let after = ok(patch_group(
            group(),
            ops(
                json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "u1"}]}]),
            ),
        ));
        assert_eq!(
            after,
            json!({"schemas": [urn::GROUP], "id": "g1", "displayName": "Sales", "members": [{"value": "u2"}]})
        );
        // Removing someone not in the group changes nothing and is not an error.
        let again = ok(patch_group(
            after.clone(),
            ops(json!([{"op": "Remove", "path": "members", "value": [{"value": "u9"}]}])),
        ));
        assert_eq!(again, after);
    }

    #[test]
    fn entra_member_add_with_null_ref_and_multiple_members() {
        let after = ok(patch_group(
            group(),
            ops(json!([{"op": "Add", "path": "members", "value": [
                {"$ref": null, "value": "u3"}, {"$ref": null, "value": "u2"}, {"value": "u4"}
            ]}])),
        ));
        assert_eq!(
            after["members"],
            json!([{"value": "u1", "display": "a@x"}, {"value": "u2"}, {"value": "u3"}, {"value": "u4"}])
        );
    }

    #[test]
    fn entra_manager_forms() {
        // E1 Example 5: path without URN, value an array with $ref and value.
        let after = ok(patch_user(
            user(),
            ops(
                json!([{"op": "Add", "path": "manager", "value": [{"$ref": "https://h/scim/v2/Users/m2", "value": "m2"}]}]),
            ),
        ));
        assert_eq!(
            after[ENT],
            json!({"department": "Sales", "manager": {"$ref": "https://h/scim/v2/Users/m2", "value": "m2"}})
        );
        // Validator form: URN path, object value. Changing value drops the old $ref/displayName.
        let after = ok(patch_user(
            user(),
            ops(
                json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "m3"}}]),
            ),
        ));
        assert_eq!(after[ENT]["manager"], json!({"value": "m3"}));
        // A bare string id.
        let after = ok(patch_user(
            user(),
            ops(json!([{"op": "Replace", "path": "manager", "value": "m4"}])),
        ));
        assert_eq!(after[ENT]["manager"], json!({"value": "m4"}));
        // Remove, and "replace with empty".
        for body in [
            json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]),
            json!([{"op": "Replace", "path": "manager", "value": ""}]),
            json!([{"op": "Replace", "path": "manager", "value": {"value": ""}}]),
            json!([{"op": "Replace", "path": "manager", "value": null}]),
        ] {
            let after = ok(patch_user(user(), ops(body.clone())));
            assert_eq!(after[ENT], json!({"department": "Sales"}), "{body}");
        }
        // Same manager again keeps the derived sub-attributes.
        let after = ok(patch_user(
            user(),
            ops(json!([{"op": "Add", "path": "manager.value", "value": "m1"}])),
        ));
        assert_eq!(after, user());
    }

    #[test]
    fn entra_filtered_add_creates_a_missing_work_email() {
        let mut before = user();
        before["emails"] = json!([{"value": "j@home.example", "type": "home"}]);
        for op in ["Add", "Replace"] {
            let after = ok(patch_user(
                before.clone(),
                ops(
                    json!([{"op": op, "path": "emails[type eq \"work\"].value", "value": "jane@work.example"}]),
                ),
            ));
            assert_eq!(
                after["emails"],
                json!([{"value": "j@home.example", "type": "home"}, {"type": "work", "value": "jane@work.example"}]),
                "{op}"
            );
        }
        // Without a simple equality there is nothing to create from: noTarget.
        assert_eq!(
            err_type(patch_user(
                before,
                ops(
                    json!([{"op": "replace", "path": "emails[type co \"wo\"].value", "value": "x@y"}])
                )
            )),
            Some(ScimType::NoTarget)
        );
    }

    #[test]
    fn entra_null_update_clears_optional_attributes() {
        let mut before = user();
        before["title"] = json!("Boss");
        for value in [json!(""), json!(null)] {
            let after = ok(patch_user(
                before.clone(),
                ops(json!([
                    {"op": "Replace", "path": "title", "value": value},
                    {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": value},
                    {"op": "Replace", "path": "department", "value": value}
                ])),
            ));
            assert!(after.get("title").is_none(), "{after}");
            assert!(after.get("emails").is_none(), "{after}");
            assert_eq!(
                after[ENT],
                json!({"manager": {"value": "m1", "$ref": "https://h/scim/v2/Users/m1", "displayName": "Boss"}})
            );
        }
    }

    // ---- Entra ID, compliant dialect (aadOptscim062020) ----

    #[test]
    fn entra_compliant_no_path_replace_with_dotted_and_urn_keys() {
        let after = ok(patch_user(
            user(),
            ops(json!([{"op": "replace", "value": {
                "displayName": "Jane Smith",
                "name.givenName": "Janet",
                "name.familyName": "Smith",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Ops",
                "active": false
            }}])),
        ));
        let mut expected = user();
        expected["displayName"] = json!("Jane Smith");
        expected["name"] = json!({"givenName": "Janet", "familyName": "Smith"});
        expected[ENT]["department"] = json!("Ops");
        expected["active"] = json!(false);
        assert_eq!(after, expected);
    }

    #[test]
    fn entra_compliant_member_remove_by_filter() {
        let after = ok(patch_group(
            group(),
            ops(json!([{"op": "remove", "path": "members[value eq \"u2\"]"}])),
        ));
        assert_eq!(after["members"], json!([{"value": "u1", "display": "a@x"}]));
        // Last member removed: the attribute becomes unassigned.
        let after = ok(patch_group(
            after,
            ops(json!([{"op": "remove", "path": "members[value eq \"U1\"]"}])),
        ));
        assert_eq!(
            after,
            json!({"schemas": [urn::GROUP], "id": "g1", "displayName": "Sales"})
        );
    }

    #[test]
    fn unpublished_rfc_sub_attributes_of_published_attributes_are_ignored() {
        // Entra keeps `name.formatted` in step with the given name, in the same PATCH.
        let mut resource = user();
        let ignored = PatchRequest::parse(&ops(json!([
            {"op": "Replace", "path": "name.givenName", "value": "Karen"},
            {"op": "Replace", "path": "name.formatted", "value": "Karen Clark"},
            {"op": "Add", "path": "name.middleName", "value": "J"},
            {"op": "Remove", "path": "name.honorificPrefix"},
            {"op": "Replace", "path": "emails[type eq \"work\"].display", "value": "Work"}
        ])))
        .and_then(|p| p.apply_reporting(&mut resource, SchemaRegistry::global().user()))
        .expect("applied");
        assert_eq!(
            ignored,
            vec![
                "name.formatted",
                "name.middleName",
                "name.honorificPrefix",
                "emails.display"
            ]
        );
        assert_eq!(resource["name"]["givenName"], "Karen");
        // A sub-attribute RFC 7643 does not define stays an error.
        let err = PatchRequest::parse(&ops(json!([
            {"op": "Replace", "path": "name.nickname", "value": "K"}
        ])))
        .and_then(|p| p.apply_reporting(&mut user(), SchemaRegistry::global().user()))
        .unwrap_err();
        assert_eq!(err.scim_type, Some(ScimType::InvalidPath));
    }

    #[test]
    fn entra_group_rename_and_user_name_update() {
        let after = ok(patch_group(
            group(),
            ops(json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}])),
        ));
        assert_eq!(after["displayName"], "Sales EMEA");
        let after = ok(patch_user(
            user(),
            ops(json!([{"op": "replace", "value": {"userName": "new@example.com"}}])),
        ));
        assert_eq!(after["userName"], "new@example.com");
    }

    #[test]
    fn entra_paths_to_rfc_attributes_zoom_cannot_hold_are_ignored_and_reported() {
        // Entra's default mappings: externalId <- mailNickname, work address, and
        // docs/clients.md section 1.3, "Add nickName"; the title in the same PATCH still applies.
        let mut resource = user();
        let ignored = PatchRequest::parse(&ops(json!([
            {"op": "Replace", "path": "externalId", "value": "jdoe"},
            {"op": "Replace", "path": "addresses[type eq \"work\"].formatted", "value": "1 Main St"},
            {"op": "Add", "path": "nickName", "value": "Babs"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "42"},
            {"op": "Replace", "path": "title", "value": "Engineer"}
        ])))
        .and_then(|p| p.apply_reporting(&mut resource, SchemaRegistry::global().user()))
        .expect("applied");
        assert_eq!(
            ignored,
            vec![
                "externalId",
                "addresses",
                "nickName",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
            ]
        );
        let mut expected = user();
        expected["title"] = json!("Engineer");
        assert_eq!(resource, expected);
        // A name RFC 7643 does not define, or a sub-attribute missing under a published
        // attribute, is still the client's mistake.
        for path in [
            "favouriteColour",
            "name.middleNam",
            "urn:example:User:x",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nickName",
        ] {
            assert_eq!(
                err_type(patch_user(
                    user(),
                    ops(json!([{"op": "add", "path": path, "value": "x"}]))
                )),
                Some(ScimType::InvalidPath),
                "{path}"
            );
        }
        // Groups: Entra's validator patches externalId by path too.
        let after = ok(patch_group(
            group(),
            ops(json!([{"op": "replace", "path": "externalId", "value": "e1"}])),
        ));
        assert_eq!(after, group());
    }

    // ---- Okta ----

    #[test]
    fn okta_deactivate_without_path() {
        let after = ok(patch_user(
            user(),
            json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]}),
        ));
        let mut expected = user();
        expected["active"] = json!(false);
        assert_eq!(after, expected);
    }

    #[test]
    fn okta_group_rename_carries_the_read_only_id() {
        let after = ok(patch_group(
            group(),
            ops(json!([{"op": "replace", "value": {"id": "g1", "displayName": "Renamed"}}])),
        ));
        let mut expected = group();
        expected["displayName"] = json!("Renamed");
        assert_eq!(after, expected);
        // A different id is a real attempt to change a readOnly attribute.
        assert_eq!(
            err_type(patch_group(
                group(),
                ops(json!([{"op": "replace", "value": {"id": "g2", "displayName": "R"}}]))
            )),
            Some(ScimType::Mutability)
        );
    }

    #[test]
    fn okta_membership_delta_and_full_push() {
        let after = ok(patch_group(
            group(),
            ops(json!([
                {"op": "remove", "path": "members[value eq \"u1\"]"},
                {"op": "add", "path": "members", "value": [{"value": "u3", "display": "c@x"}]}
            ])),
        ));
        assert_eq!(after["members"], json!([{"value": "u2"}, {"value": "u3"}]));
        let after = ok(patch_group(
            group(),
            ops(
                json!([{"op": "replace", "path": "members", "value": [{"value": "u7"}, {"value": "u8"}]}]),
            ),
        ));
        assert_eq!(after["members"], json!([{"value": "u7"}, {"value": "u8"}]));
        let after = ok(patch_group(
            group(),
            ops(json!([{"op": "replace", "path": "members", "value": []}])),
        ));
        assert!(after.get("members").is_none());
    }

    // ---- ConnId / midPoint ----

    #[test]
    fn connid_lower_case_names_and_replace_all_emails() {
        let after = ok(patch_user(
            user(),
            ops(json!([
                {"op": "replace", "path": "username", "value": "jane.doe@example.com"},
                {"op": "replace", "path": "name.givenname", "value": "Janie"},
                {"op": "replace", "path": "emails", "value": [{"value": "jd@example.com", "type": "work"}]},
                {"op": "replace", "path": "active", "value": false}
            ])),
        ));
        assert_eq!(after["userName"], "jane.doe@example.com");
        assert_eq!(
            after["name"],
            json!({"givenName": "Janie", "familyName": "Doe"})
        );
        assert_eq!(
            after["emails"],
            json!([{"value": "jd@example.com", "type": "work"}])
        );
        assert_eq!(after["active"], false);
        assert!(after.get("username").is_none());
    }

    #[test]
    fn connid_member_ops_and_whole_group_replace() {
        let after = ok(patch_group(
            group(),
            ops(json!([{"op": "add", "path": "members", "value": [{"value": "u5"}]}])),
        ));
        assert_eq!(after["members"].as_array().map(Vec::len), Some(3));
        let after = ok(patch_group(
            after,
            ops(
                json!([{"op": "remove", "path": "members", "value": [{"value": "u5"}, {"value": "u2"}]}]),
            ),
        ));
        assert_eq!(after["members"], json!([{"value": "u1", "display": "a@x"}]));
        // Group update in PATCH mode: the whole group, with schemas and meta, no path.
        let after = ok(patch_group(
            group(),
            ops(json!([{"op": "replace", "value": {
                "schemas": [urn::GROUP], "id": "g1", "displayName": "Sales",
                "meta": {"resourceType": "Group"},
                "members": [{"value": "u1"}, {"value": "u9"}]
            }}])),
        ));
        assert_eq!(after["members"], json!([{"value": "u1"}, {"value": "u9"}]));
    }

    #[test]
    fn lower_case_extension_key_in_no_path_value() {
        let after = ok(patch_user(
            user(),
            ops(json!([{"op": "add", "value": {
                "urn:ietf:params:scim:schemas:extension:zoom:2.0:user": {"extensionNumber": 1234, "callingPlans": ["200"]},
                "urn:example:unknown:1.0:User": {"x": 1},
                "nickName": "JJ"
            }}])),
        ));
        assert_eq!(
            after[urn::ZOOM_USER],
            json!({"extensionNumber": "1234", "callingPlans": [200]})
        );
        assert_eq!(after["schemas"], json!([urn::USER, ENT, urn::ZOOM_USER]));
        assert!(after.get("nickName").is_none());
        let mut resource = user();
        let ignored = PatchRequest::parse(&ops(
            json!([{"op": "add", "value": {"nickName": "JJ", "name": {"formatted": "J"}}}]),
        ))
        .and_then(|p| p.apply_reporting(&mut resource, SchemaRegistry::global().user()))
        .unwrap_or_default();
        assert_eq!(
            ignored,
            vec!["nickName".to_string(), "name.formatted".to_string()]
        );
    }

    // ---- RFC semantics ----

    #[test]
    fn add_semantics() {
        // complex: merge
        let after = ok(patch_user(
            user(),
            ops(json!([{"op": "add", "path": "name", "value": {"givenName": "J"}}])),
        ));
        assert_eq!(
            after["name"],
            json!({"givenName": "J", "familyName": "Doe"})
        );
        // multi-valued: append, no duplicate of an equal value (case-insensitive email)
        let after = ok(patch_user(
            user(),
            ops(
                json!([{"op": "add", "path": "emails", "value": [{"value": "JANE@example.com", "type": "work"}, {"value": "j@home", "type": "home"}]}]),
            ),
        ));
        assert_eq!(
            after["emails"],
            json!([{"value": "JANE@example.com", "type": "work", "primary": true}, {"value": "j@home", "type": "home"}])
        );
        // add [] adds nothing
        let after = ok(patch_user(
            user(),
            ops(json!([{"op": "add", "path": "emails", "value": []}])),
        ));
        assert_eq!(after, user());
        // single object for a multi-valued attribute
        let after = ok(patch_user(
            user(),
            ops(
                json!([{"op": "add", "path": "phoneNumbers", "value": {"value": "+1 555", "type": "work"}}]),
            ),
        ));
        assert_eq!(
            after["phoneNumbers"],
            json!([{"value": "+1 555", "type": "work"}])
        );
    }

    #[test]
    fn primary_true_moves_from_the_other_values() {
        let mut before = user();
        before["emails"] = json!([
            {"value": "a@x", "type": "work", "primary": true},
            {"value": "b@x", "type": "home"}
        ]);
        let after = ok(patch_user(
            before.clone(),
            ops(
                json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
            ),
        ));
        assert_eq!(
            after["emails"],
            json!([{"value": "a@x", "type": "work", "primary": false}, {"value": "b@x", "type": "home", "primary": true}])
        );
        let after = ok(patch_user(
            before,
            ops(
                json!([{"op": "add", "path": "emails", "value": {"value": "c@x", "type": "other", "primary": "True"}}]),
            ),
        ));
        assert_eq!(
            after["emails"],
            json!([
                {"value": "a@x", "type": "work", "primary": false},
                {"value": "b@x", "type": "home"},
                {"value": "c@x", "type": "other", "primary": true}
            ])
        );
    }

    #[test]
    fn filtered_replace_and_remove() {
        let mut before = user();
        before["emails"] = json!([
            {"value": "a@x", "type": "work", "primary": true},
            {"value": "b@x", "type": "home"}
        ]);
        // replace a whole matching value, keeping the filter's type
        let after = ok(patch_user(
            before.clone(),
            ops(
                json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "c@x"}}]),
            ),
        ));
        assert_eq!(after["emails"][1], json!({"type": "home", "value": "c@x"}));
        // remove a sub-attribute of matching values
        let after = ok(patch_user(
            before.clone(),
            ops(json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}])),
        ));
        assert_eq!(after["emails"][0], json!({"value": "a@x", "type": "work"}));
        // removing `value` of a value removes the value itself
        let after = ok(patch_user(
            before.clone(),
            ops(json!([{"op": "remove", "path": "emails[type eq \"home\"].value"}])),
        ));
        assert_eq!(
            after["emails"],
            json!([{"value": "a@x", "type": "work", "primary": true}])
        );
        // remove of a sub-attribute on every value
        let after = ok(patch_user(
            before.clone(),
            ops(json!([{"op": "remove", "path": "emails.type"}])),
        ));
        assert_eq!(
            after["emails"],
            json!([{"value": "a@x", "primary": true}, {"value": "b@x"}])
        );
        // remove with no match is a no-op
        let after = ok(patch_user(
            before.clone(),
            ops(json!([{"op": "remove", "path": "emails[type eq \"other\"]"}])),
        ));
        assert_eq!(after, before);
        // remove the whole attribute
        let after = ok(patch_user(
            before,
            ops(json!([{"op": "remove", "path": "emails"}])),
        ));
        assert!(after.get("emails").is_none());
    }

    #[test]
    fn mutability_and_path_errors() {
        let cases = [
            (
                json!([{"op": "replace", "path": "id", "value": "other"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "remove", "path": "id"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "add", "path": "groups", "value": [{"value": "g9"}]}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "replace", "path": "roles[value eq \"2\"].display", "value": "Admin"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "replace", "path": "manager.displayName", "value": "X"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "replace", "path": "meta.created", "value": "2026-01-01T00:00:00Z"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "add", "path": "favouriteColour", "value": "x"}]),
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "add", "path": "title[value eq \"x\"]", "value": "x"}]),
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "add", "path": "emails[foo eq \"x\"]", "value": {"value": "x"}}]),
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "add", "path": "emails[type eq \"work\"].foo", "value": "x"}]),
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "remove", "path": "userName"}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "userName", "value": ""}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "active", "value": "maybe"}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "title", "value": {"a": 1}}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "title", "value": ["a", "b"]}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "type", "value": "two"}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "createdAt", "value": "2026-01-01T00:00:00Z"}]),
                ScimType::Mutability,
            ),
            (
                json!([{"op": "replace", "path": "lastLoginTime", "value": "yesterday"}]),
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "value": "not an object"}]),
                ScimType::InvalidValue,
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(
                err_type(patch_user(user(), ops(body.clone()))),
                Some(expected),
                "{body}"
            );
        }
        // Immutable members.value cannot change once set.
        assert_eq!(
            err_type(patch_group(
                group(),
                ops(
                    json!([{"op": "replace", "path": "members[value eq \"u2\"].value", "value": "u3"}])
                )
            )),
            Some(ScimType::Mutability)
        );
        // Same readOnly values are accepted silently.
        assert_eq!(
            ok(patch_user(
                user(),
                ops(json!([{"op": "replace", "path": "id", "value": "u1"}]))
            )),
            user()
        );
        assert_eq!(
            err_type(patch_group(
                group(),
                ops(json!([{"op": "remove", "path": "displayName"}]))
            )),
            Some(ScimType::InvalidValue)
        );
    }

    #[test]
    fn atomic_on_error() {
        let mut resource = user();
        let request = PatchRequest::parse(&ops(json!([
            {"op": "replace", "path": "title", "value": "first"},
            {"op": "replace", "path": "department", "value": "changed"},
            {"op": "replace", "path": "id", "value": "boom"}
        ])));
        let result = request.and_then(|r| r.apply(&mut resource, SchemaRegistry::global().user()));
        assert!(result.is_err());
        assert_eq!(resource, user());
    }

    #[test]
    fn typed_coercion() {
        let after = ok(patch_user(
            json!({"schemas": [urn::USER], "id": "u1", "userName": "a@x"}),
            ops(json!([
                {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:type", "value": "2"},
                {"op": "add", "path": "zoomPhoneFeature", "value": "true"},
                {"op": "add", "path": "callingPlans", "value": [200, "300"]},
                {"op": "add", "path": "zoomPhoneNumbers", "value": "+14155550100"},
                {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:zoom:1.0:User:zoomPhoneExtNumber", "value": "1001"}
            ])),
        ));
        assert_eq!(
            after,
            json!({
                "schemas": [urn::USER, urn::ZOOM_USER, urn::ZOOM_NATIVE_USER],
                "id": "u1",
                "userName": "a@x",
                urn::ZOOM_USER: {"type": 2, "zoomPhoneFeature": true, "callingPlans": [200, 300], "zoomPhoneNumbers": ["+14155550100"]},
                urn::ZOOM_NATIVE_USER: {"zoomPhoneExtNumber": "1001"}
            })
        );
        // Removing the last extension attribute drops the extension and its URN.
        let after = ok(patch_user(
            after,
            ops(
                json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:zoom:1.0:User:zoomPhoneExtNumber"}]),
            ),
        ));
        assert_eq!(after["schemas"], json!([urn::USER, urn::ZOOM_USER]));
        assert!(after.get(urn::ZOOM_NATIVE_USER).is_none());
    }

    #[test]
    fn random_operation_sequences_keep_invariants() {
        let paths = [
            "title",
            "active",
            "emails",
            "emails[type eq \"work\"]",
            "emails[type eq \"home\"].value",
            "emails.primary",
            "emails[value co \"x\"].primary",
            "name",
            "name.givenName",
            "manager",
            "manager.value",
            "department",
            "roles",
            "roles[value eq \"2\"].primary",
            "userName",
            "id",
            "groups",
            "callingPlans",
            "urn:ietf:params:scim:schemas:extension:zoom:1.0:User:zoomPhoneSite",
            "nickName",
            "meta.version",
        ];
        let values = [
            json!("x"),
            json!(""),
            json!(null),
            json!(true),
            json!("False"),
            json!(3),
            json!([]),
            json!({"value": "a@x", "type": "home", "primary": true}),
            json!([{"value": "b@x", "type": "work", "primary": "true"}, {"value": "c@x", "primary": true}]),
            json!({"givenName": "G", "value": "v"}),
            json!(["200", 300]),
            json!([{"value": "m9"}]),
        ];
        let kinds = ["add", "replace", "remove", "Add", "Replace"];
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let schema = SchemaRegistry::global().user();
        let mut resource = user();
        let mut applied = 0;
        for _ in 0..3_000 {
            let mut op = json!({"op": kinds[next(kinds.len())]});
            if next(6) > 0 {
                op["path"] = json!(paths[next(paths.len())]);
            }
            if next(5) > 0 {
                op["value"] = values[next(values.len())].clone();
            }
            let before = resource.clone();
            let result = PatchRequest::parse(&ops(json!([op.clone()])))
                .and_then(|p| p.apply(&mut resource, schema));
            match result {
                Err(e) => {
                    assert_eq!(e.status, 400, "{op}: {e}");
                    assert_eq!(resource, before, "{op}: failed PATCH changed the resource");
                }
                Ok(()) => {
                    applied += 1;
                    for attr in ["emails", "roles"] {
                        let primaries = resource[attr]
                            .as_array()
                            .map(|a| a.iter().filter(|e| e["primary"] == json!(true)).count())
                            .unwrap_or(0);
                        assert!(primaries <= 1, "{op}: {}", resource[attr]);
                        if let Some(items) = resource[attr].as_array() {
                            assert!(!items.is_empty(), "{op}: empty array kept");
                            assert!(
                                items.iter().all(|e| e.get("value").is_some()),
                                "{op}: {}",
                                resource[attr]
                            );
                        }
                    }
                    let expected: Vec<Value> = schema
                        .schema_urns_for(&resource)
                        .into_iter()
                        .map(Value::from)
                        .collect();
                    assert_eq!(resource["schemas"], Value::Array(expected), "{op}");
                    assert_eq!(resource["id"], "u1");
                    assert!(resource["userName"].is_string(), "{op}");
                }
            }
        }
        assert!(applied > 500, "only {applied} operations succeeded");
    }

    #[test]
    fn a_bare_extension_urn_path_targets_the_extension_attributes() {
        let added = ok(patch_user(
            user(),
            ops(json!([{"op": "add", "path": ENT, "value": {"costCenter": "42"}}])),
        ));
        assert_eq!(added[ENT]["costCenter"], "42");
        assert_eq!(added[ENT]["department"], "Sales", "add keeps the others");

        let replaced = ok(patch_user(
            user(),
            ops(json!([{"op": "replace", "path": ENT, "value": {"costCenter": "7"}}])),
        ));
        assert_eq!(replaced[ENT]["costCenter"], "7");
        assert!(
            replaced[ENT].get("department").is_none(),
            "replace clears the rest"
        );

        let removed = ok(patch_user(
            user(),
            ops(json!([{"op": "remove", "path": ENT}])),
        ));
        assert!(
            removed
                .get(ENT)
                .is_none_or(|e| e.get("department").is_none()),
            "{removed}"
        );
    }
}
