//! Attribute projection (RFC 7644 sections 3.4.2.5 and 3.9): the `attributes` and
//! `excludedAttributes` parameters combined with each attribute's `returned`
//! characteristic (RFC 7643 section 7).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::error::{ScimError, clip};
use super::path::attr::AttrPath;
use super::schema::{Attribute, KnownPath, KnownPaths, ResourceSchema, Returned};

/// One selected path: a whole extension (`attr == None`), an attribute, or a
/// sub-attribute. Names are canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selected {
    ext: Option<String>,
    attr: Option<String>,
    sub: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Mode {
    #[default]
    Default,
    Include(Vec<Selected>),
    Exclude(Vec<Selected>),
}

/// Which attributes a response carries.
///
/// Decisions (the RFC leaves them open): giving both parameters is 400 `invalidSyntax`
/// (RFC 7644 section 3.4.2.5 says they are mutually exclusive); an attribute the
/// resource type does not publish is 400 `invalidValue` naming it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttributeSelection {
    mode: Mode,
    paths: Arc<KnownPaths>,
}

impl AttributeSelection {
    /// The default selection (every attribute whose `returned` is `always` or `default`).
    pub fn default_for(schema: &ResourceSchema) -> Self {
        AttributeSelection {
            mode: Mode::Default,
            paths: schema.selection_paths(),
        }
    }

    /// Builds the selection from the comma-separated `attributes` and
    /// `excludedAttributes` parameters (URN-qualified paths and whole extension URNs
    /// allowed; names case-insensitive).
    pub fn parse(
        attributes: Option<&str>,
        excluded: Option<&str>,
        schema: &ResourceSchema,
    ) -> Result<Self, ScimError> {
        let split = |s: Option<&str>| -> Vec<String> {
            s.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        };
        Self::from_lists(&split(attributes), &split(excluded), schema)
    }

    /// Like [`AttributeSelection::parse`], from lists (SearchRequest arrays).
    pub fn from_lists(
        attributes: &[String],
        excluded: &[String],
        schema: &ResourceSchema,
    ) -> Result<Self, ScimError> {
        let mut selection = Self::default_for(schema);
        if !attributes.is_empty() && !excluded.is_empty() {
            return Err(ScimError::invalid_syntax(
                "'attributes' and 'excludedAttributes' are mutually exclusive",
            ));
        }
        let resolve_all = |names: &[String]| -> Result<Vec<Selected>, ScimError> {
            names
                .iter()
                .map(|n| n.trim())
                .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case("schemas"))
                .map(|n| resolve_selected(n, schema))
                .collect()
        };
        if !attributes.is_empty() {
            selection.mode = Mode::Include(resolve_all(attributes)?);
        } else if !excluded.is_empty() {
            selection.mode = Mode::Exclude(resolve_all(excluded)?);
        }
        Ok(selection)
    }

    /// Whether a response would carry the attribute at this canonical path (`groups`,
    /// `name.givenName`, `urn:...:zoom:2.0:User:callingPlans`, or an extension URN), so
    /// the provider can skip expensive Zoom calls for attributes nobody asked for.
    /// Unknown paths are not wanted.
    pub fn wants(&self, canonical_path: &str) -> bool {
        let known = &self.paths.known;
        if let Some(known_ext) = known
            .iter()
            .filter_map(|k| k.ext.as_deref())
            .find(|e| e.eq_ignore_ascii_case(canonical_path))
        {
            return known.iter().any(|k| {
                k.ext.as_deref() == Some(known_ext) && k.sub.is_none() && self.wants_known(k)
            });
        }
        let Some(path) = AttrPath::parse(canonical_path) else {
            return false;
        };
        let ext = path
            .urn
            .filter(|u| !u.eq_ignore_ascii_case(&self.paths.core_urn));
        let found = known.iter().find(|k| {
            k.attr.eq_ignore_ascii_case(&path.attr)
                && match (&k.sub, &path.sub_attr) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    (None, None) => true,
                    _ => false,
                }
                && match (&ext, &k.ext) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    (Some(_), None) => false,
                    (None, _) => true,
                }
        });
        found.is_some_and(|k| self.wants_known(k))
    }

    fn wants_known(&self, k: &KnownPath) -> bool {
        if k.parent_returned == Returned::Never || k.returned == Returned::Never {
            return false;
        }
        if k.parent_returned == Returned::Always || k.returned == Returned::Always {
            return true;
        }
        let same_attr = |s: &Selected| s.ext == k.ext && s.attr.as_deref() == Some(&k.attr);
        match &self.mode {
            Mode::Default => {
                k.parent_returned != Returned::Request && k.returned != Returned::Request
            }
            Mode::Include(sels) => sels.iter().any(|s| {
                (s.attr.is_none() && s.ext == k.ext && k.ext.is_some())
                    || (same_attr(s) && (s.sub.is_none() || k.sub.is_none() || s.sub == k.sub))
            }),
            Mode::Exclude(sels) => {
                k.parent_returned != Returned::Request
                    && k.returned != Returned::Request
                    && !sels.iter().any(|s| {
                        (s.attr.is_none() && s.ext == k.ext && k.ext.is_some())
                            || (same_attr(s) && (s.sub.is_none() || s.sub == k.sub))
                    })
            }
        }
    }

    /// Projects a canonical resource: `schemas` and `returned: always` attributes (`id`)
    /// are always kept, `never` ones always dropped, `request` ones only kept when
    /// named; `attributes=emails` keeps whole values, `attributes=name.givenName` a
    /// partial complex value.
    pub fn project(&self, resource: &Value, schema: &ResourceSchema) -> Value {
        let Some(map) = resource.as_object() else {
            return resource.clone();
        };
        let mut out = Map::new();
        for (key, value) in map {
            if key == "schemas" {
                out.insert(key.clone(), value.clone());
            } else if let Some(ext) = schema.extension(key) {
                let Some(members) = value.as_object() else {
                    continue;
                };
                let mut projected = Map::new();
                for (name, member) in members {
                    if let Some(attr) = ext.attribute(name)
                        && let Some(v) = self.project_attr(Some(&ext.id), attr, member)
                    {
                        projected.insert(name.clone(), v);
                    }
                }
                if !projected.is_empty() {
                    out.insert(key.clone(), Value::Object(projected));
                }
            } else if let Some(resolved) = schema
                .resolve(&AttrPath::new(key.as_str()))
                .filter(|r| r.extension.is_none())
            {
                if let Some(v) = self.project_attr(None, resolved.attribute, value) {
                    out.insert(key.clone(), v);
                }
            } else if !matches!(self.mode, Mode::Include(_)) {
                out.insert(key.clone(), value.clone());
            }
        }
        retain_present_schemas(&mut out, schema);
        Value::Object(out)
    }

    fn project_attr(&self, ext: Option<&str>, attr: &Attribute, value: &Value) -> Option<Value> {
        match attr.returned {
            Returned::Never => return None,
            Returned::Always => return Some(strip_never(attr, value)),
            _ => {}
        }
        let same_attr =
            |s: &Selected| s.ext.as_deref() == ext && s.attr.as_deref() == Some(&attr.name);
        match &self.mode {
            Mode::Default => (attr.returned != Returned::Request).then(|| strip_never(attr, value)),
            Mode::Include(sels) => {
                let whole = sels.iter().any(|s| {
                    (same_attr(s) && s.sub.is_none())
                        || (s.attr.is_none() && ext.is_some() && s.ext.as_deref() == ext)
                });
                if whole {
                    return Some(strip_never(attr, value));
                }
                let subs: Vec<&str> = sels
                    .iter()
                    .filter(|s| same_attr(s))
                    .filter_map(|s| s.sub.as_deref())
                    .collect();
                if subs.is_empty() {
                    return None;
                }
                filter_subs(attr, value, |sub| {
                    sub.returned == Returned::Always || subs.contains(&sub.name.as_str())
                })
            }
            Mode::Exclude(sels) => {
                if attr.returned == Returned::Request {
                    return None;
                }
                if sels.iter().any(|s| {
                    (same_attr(s) && s.sub.is_none())
                        || (s.attr.is_none() && ext.is_some() && s.ext.as_deref() == ext)
                }) {
                    return None;
                }
                let excluded: Vec<&str> = sels
                    .iter()
                    .filter(|s| same_attr(s))
                    .filter_map(|s| s.sub.as_deref())
                    .collect();
                filter_subs(attr, value, |sub| {
                    sub.returned != Returned::Request
                        && (sub.returned == Returned::Always
                            || !excluded.contains(&sub.name.as_str()))
                })
            }
        }
    }
}

/// RFC 7643 section 3: `schemas` holds "URIs that are used to indicate the namespaces
/// of the SCIM schemas that define the attributes present in the current JSON
/// structure", so an extension URN stays only while the projected item still carries
/// that extension's object.
fn retain_present_schemas(out: &mut Map<String, Value>, schema: &ResourceSchema) {
    let Some(Value::Array(urns)) = out.get("schemas") else {
        return;
    };
    let kept: Vec<Value> = urns
        .iter()
        .filter(|u| {
            u.as_str().is_none_or(|urn| {
                schema.extension(urn).is_none() || out.keys().any(|k| k.eq_ignore_ascii_case(urn))
            })
        })
        .cloned()
        .collect();
    if kept.len() != urns.len() {
        out.insert("schemas".to_owned(), Value::Array(kept));
    }
}

fn resolve_selected(name: &str, schema: &ResourceSchema) -> Result<Selected, ScimError> {
    if let Some(ext) = schema.extension(name) {
        return Ok(Selected {
            ext: Some(ext.id.clone()),
            attr: None,
            sub: None,
        });
    }
    let resolved = AttrPath::parse(name)
        .and_then(|p| {
            schema
                .resolve(&p)
                .map(|r| (r.extension, r.name(), r.sub_name()))
        })
        .ok_or_else(|| {
            ScimError::invalid_value(format!(
                "unknown attribute '{}' in attributes/excludedAttributes",
                clip(name)
            ))
        })?;
    Ok(Selected {
        ext: resolved.0.map(str::to_string),
        attr: Some(resolved.1.to_string()),
        sub: resolved.2.map(str::to_string),
    })
}

/// Removes `returned: never` sub-attributes.
fn strip_never(attr: &Attribute, value: &Value) -> Value {
    if !attr.is_complex()
        || attr
            .sub_attributes
            .iter()
            .all(|s| s.returned != Returned::Never)
    {
        return value.clone();
    }
    filter_subs(attr, value, |s| s.returned != Returned::Never).unwrap_or(Value::Null)
}

/// Keeps the sub-attributes `keep` accepts in a complex value (each value when
/// multi-valued); values left empty are dropped.
fn filter_subs(
    attr: &Attribute,
    value: &Value,
    keep: impl Fn(&Attribute) -> bool,
) -> Option<Value> {
    if !attr.is_complex() {
        return Some(value.clone());
    }
    let filter_one = |v: &Value| -> Option<Value> {
        let map = v.as_object()?;
        let kept: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| attr.sub_attribute(k).is_some_and(&keep))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (!kept.is_empty()).then_some(Value::Object(kept))
    };
    match value {
        Value::Array(items) => {
            let kept: Vec<Value> = items.iter().filter_map(filter_one).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        other => filter_one(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::model::urn;
    use crate::scim::schema::SchemaRegistry;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER, urn::ZOOM_USER],
            "id": "u1",
            "userName": "a@x",
            "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": "a@x", "type": "work", "primary": true}, {"value": "h@x", "type": "home"}],
            "groups": [{"value": "g1", "display": "Sales"}],
            urn::ENTERPRISE_USER: {"department": "R&D", "manager": {"value": "m1", "displayName": "Boss"}},
            urn::ZOOM_USER: {"type": 2, "callingPlans": [200]},
            urn::ZOOM_NATIVE_USER: {"zoomPhoneExtNumber": "1001"},
            "meta": {"resourceType": "User", "location": "https://h/Users/u1"}
        })
    }

    fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
        let schema = SchemaRegistry::global().user();
        let sel = AttributeSelection::parse(attributes, excluded, schema)
            .unwrap_or_else(|e| panic!("{e}"));
        sel.project(&user(), schema)
    }

    #[test]
    fn default_projection_drops_only_never_returned() {
        let mut expected = user();
        if let Some(map) = expected.as_object_mut() {
            map.remove(urn::ZOOM_NATIVE_USER);
        }
        assert_eq!(project(None, None), expected);
        assert_eq!(project(Some(""), Some(" ")), expected);
    }

    #[test]
    fn attributes_keep_always_returned_and_requested() {
        assert_eq!(
            project(Some("userName"), None),
            json!({"schemas": [urn::USER], "id": "u1", "userName": "a@x"})
        );
        assert_eq!(project(Some("emails"), None)["emails"], user()["emails"]);
        assert_eq!(
            project(Some("name.givenName,EMAILS.value"), None),
            json!({
                "schemas": [urn::USER], "id": "u1",
                "name": {"givenName": "A"},
                "emails": [{"value": "a@x"}, {"value": "h@x"}]
            })
        );
        assert_eq!(
            project(
                Some(
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value, department"
                ),
                None
            )[urn::ENTERPRISE_USER],
            json!({"department": "R&D", "manager": {"value": "m1"}})
        );
        assert_eq!(
            project(Some(urn::ZOOM_USER), None)[urn::ZOOM_USER],
            json!({"type": 2, "callingPlans": [200]})
        );
        // never-returned attributes stay hidden even when asked for
        assert!(
            project(Some("zoomPhoneExtNumber"), None)
                .get(urn::ZOOM_NATIVE_USER)
                .is_none()
        );
        assert!(project(Some("meta"), None).get("meta").is_some());
    }

    #[test]
    fn excluded_attributes() {
        let out = project(
            None,
            Some("emails,name.familyName,id,urn:ietf:params:scim:schemas:extension:zoom:2.0:User"),
        );
        assert!(out.get("emails").is_none());
        assert_eq!(out["name"], json!({"givenName": "A"}));
        assert_eq!(out["id"], "u1", "id is returned always");
        assert!(out.get(urn::ZOOM_USER).is_none());
        assert!(out.get(urn::ENTERPRISE_USER).is_some());
        assert_eq!(out["schemas"], json!([urn::USER, urn::ENTERPRISE_USER]));
        let out = project(None, Some("department,manager"));
        assert!(out.get(urn::ENTERPRISE_USER).is_none());
        assert_eq!(out["schemas"], json!([urn::USER, urn::ZOOM_USER]));
    }

    #[test]
    fn schemas_name_only_the_extensions_present() {
        let out = project(
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
            None,
        );
        assert_eq!(out["schemas"], json!([urn::USER, urn::ENTERPRISE_USER]));
        // A never-returned extension is dropped with its URN; asking for it changes nothing.
        let out = project(Some("userName,zoomPhoneExtNumber"), None);
        assert_eq!(out["schemas"], json!([urn::USER]));
        // The default projection keeps every URN whose object is present.
        assert_eq!(project(None, None)["schemas"], user()["schemas"]);
    }

    #[test]
    fn group_members_excluded_as_entra_asks() {
        let schema = SchemaRegistry::global().group();
        let sel = AttributeSelection::parse(None, Some("members"), schema)
            .unwrap_or_else(|e| panic!("{e}"));
        let group = json!({"schemas": [urn::GROUP], "id": "g1", "displayName": "S", "members": [{"value": "u1"}]});
        assert_eq!(
            sel.project(&group, schema),
            json!({"schemas": [urn::GROUP], "id": "g1", "displayName": "S"})
        );
        assert!(!sel.wants("members"));
        assert!(sel.wants("displayName"));
        assert!(sel.wants("id"));
    }

    #[test]
    fn errors() {
        let schema = SchemaRegistry::global().user();
        let err = |a: Option<&str>, e: Option<&str>| {
            AttributeSelection::parse(a, e, schema)
                .err()
                .and_then(|e| e.scim_type)
        };
        assert_eq!(
            err(Some("userName"), Some("emails")),
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(err(Some("nickName"), None), Some(ScimType::InvalidValue));
        assert_eq!(
            err(None, Some("name.middleName")),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(err(Some("userName,,schemas"), None), None);
    }

    #[test]
    fn wants_reports_what_the_projection_keeps() {
        let schema = SchemaRegistry::global().user();
        let calling_plans = "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:callingPlans";
        let sel = |a: Option<&str>, e: Option<&str>| {
            AttributeSelection::parse(a, e, schema).unwrap_or_else(|e| panic!("{e}"))
        };
        let default = AttributeSelection::default_for(schema);
        assert!(default.wants("groups"));
        assert!(default.wants(calling_plans));
        assert!(
            !default
                .wants("urn:ietf:params:scim:schemas:extension:zoom:1.0:User:zoomPhoneExtNumber")
        );
        assert!(!default.wants("nickName"));

        let only_name = sel(Some("userName"), None);
        assert!(only_name.wants("userName"));
        assert!(only_name.wants("id"));
        assert!(!only_name.wants("groups"));
        assert!(!only_name.wants(calling_plans));
        assert!(!only_name.wants(urn::ZOOM_USER));

        let zoom = sel(Some(urn::ZOOM_USER), None);
        assert!(zoom.wants(calling_plans));
        assert!(zoom.wants(urn::ZOOM_USER));
        assert!(!zoom.wants("groups"));

        let partial = sel(Some("name.givenName"), None);
        assert!(partial.wants("name"));
        assert!(partial.wants("name.givenName"));
        assert!(!partial.wants("name.familyName"));

        let no_groups = sel(None, Some("groups"));
        assert!(!no_groups.wants("groups"));
        assert!(!no_groups.wants("groups.display"));
        assert!(no_groups.wants("emails"));
        assert!(no_groups.wants(calling_plans));
        let no_zoom = sel(None, Some(urn::ZOOM_USER));
        assert!(!no_zoom.wants(calling_plans));
        assert!(no_zoom.wants("department"));
    }
}
