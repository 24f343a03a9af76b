//! Applying a parsed PATCH to a canonical resource, atomically and driven by the schema
//! (RFC 7644 section 3.5.2): where each operation lands (a path, a no-path value, a
//! whole extension, an RFC attribute the schema does not publish), attribute
//! mutability, and the resource's `schemas` afterwards.

use serde_json::{Map, Value};

use super::compute::{AttributeOp, Target, compute};
use super::request::{PatchOpKind, PatchOperation, PatchRequest};
use crate::scim::error::{ScimError, clip};
use crate::scim::model::urn;
use crate::scim::path::attr::AttrPath;
use crate::scim::path::patch::{PatchPath, as_invalid_path, parse_path};
use crate::scim::schema::{Attribute, Mutability, Resolved, ResourceSchema};
use crate::scim::value::{is_clear, map_get_ci, put_ci};

impl PatchRequest {
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
                // Entra's default mappings patch `addresses[type eq "work"].formatted`
                // (and, on a store-less service, `externalId`); refusing the whole PATCH for an attribute the service
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
        let op = AttributeOp {
            kind,
            attr,
            current: current.as_ref(),
            value,
            label: &label,
        };
        let updated = compute(op, target, self.ignored)?;
        check_mutability(attr, current.as_ref(), updated.as_ref(), &label)?;
        if attr.required && updated.is_none() {
            return Err(ScimError::invalid_value(format!(
                "'{label}' is required and cannot be removed"
            )));
        }
        put_ci(container, &attr.name, updated);
        Ok(())
    }
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
