//! Normalisation of POST/PUT bodies into canonical resources (RFC 7643 sections 2 and 3,
//! RFC 7644 sections 3.3 and 3.5.1), tolerant of what Entra, Okta and ConnId send.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::path::attr::{AttrPath, has_urn_prefix};
use super::schema::{Attribute, Mutability, Resolved, ResourceSchema};
use super::value::{coerce_attribute, get_ci, normalize_primary};

/// A canonical resource built from a client body, and what was dropped from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The canonical resource: `schemas` first, then attributes in schema order.
    pub resource: Value,
    /// Attribute names the schema does not publish (ignored; log them, never values).
    pub ignored: Vec<String>,
    /// Canonical paths of the writable attributes the body mentions, including those
    /// it sets to `null`/`""`/`[]` (unassigned): what a PUT replaces.
    pub asserted: Vec<String>,
}

/// Longest `externalId` kept: RFC 7643 section 3.1 sets no bound, the store needs one
/// (Entra sends a GUID, Okta a 20-character id).
pub const MAX_EXTERNAL_ID_CHARS: usize = 1024;

/// A resource's `externalId` (RFC 7643 section 3.1) from a normalized body: `None` when
/// absent, null or empty; longer than [`MAX_EXTERNAL_ID_CHARS`] is 400 `invalidValue`.
pub fn external_id(resource: &Value) -> Result<Option<String>, ScimError> {
    match resource.get("externalId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() > MAX_EXTERNAL_ID_CHARS => {
            Err(ScimError::invalid_value(format!(
                "'externalId' must be at most {MAX_EXTERNAL_ID_CHARS} characters"
            )))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::invalid_value("'externalId' must be a string")),
    }
}

/// Normalises a POST/PUT body:
/// - attribute names are canonicalised (case-insensitive, RFC 7643 section 2.1);
/// - unknown `schemas` URNs are accepted (Entra adds a Microsoft one on group create)
///   and attributes of unknown schemas are ignored;
/// - `meta`, `id` and other readOnly attributes are dropped silently (RFC 7644 section
///   3.3: "any attributes ... that are readOnly ... SHALL be ignored"; Okta sends
///   `groups: []`);
/// - unknown attributes are dropped and listed in [`Normalized::ignored`];
/// - `null`, `""` and `[]` mean unassigned (RFC 7643 section 2.5) and are omitted;
/// - unqualified extension attributes (Entra's top-level `department`, `manager`) move
///   under their extension key; explicit extension objects win over them;
/// - values are coerced as for PATCH (`"True"`, numeric strings, a string or
///   one-element array for `manager`); wrong types are 400 `invalidValue`;
/// - required attributes must be present (400 `invalidValue`);
/// - at most one `primary: true` per multi-valued attribute.
pub fn normalize_input(body: &Value, schema: &ResourceSchema) -> Result<Normalized, ScimError> {
    let Some(map) = body.as_object() else {
        return Err(ScimError::invalid_syntax(
            "the resource must be a JSON object",
        ));
    };
    if let Some(schemas) = get_ci(body, "schemas")
        && !schemas.is_null()
        && !schemas
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string))
    {
        return Err(ScimError::invalid_syntax(
            "'schemas' must be an array of URNs",
        ));
    }
    // RFC 7643 section 3: `schemas` names the resource's schemas. A body that names some
    // but not this resource type's core schema (a Group posted to /Users) is the wrong
    // resource; a body without `schemas` is taken as this type, as curl users send it.
    if let Some(Value::Array(urns)) = get_ci(body, "schemas")
        && !urns.is_empty()
        && !urns
            .iter()
            .filter_map(Value::as_str)
            .any(|u| u.eq_ignore_ascii_case(&schema.core.id))
    {
        return Err(ScimError::invalid_value(format!(
            "'schemas' does not name {}: the body is not a {}",
            schema.core.id, schema.resource_type.name
        )));
    }
    let mut builder = Builder {
        schema,
        core: Map::new(),
        extensions: Map::new(),
        ignored: Vec::new(),
        asserted: Vec::new(),
    };
    // Pass 1: unqualified attributes; pass 2: URN-qualified ones and extension objects,
    // so that an explicit extension value wins over an unqualified duplicate.
    for (key, value) in map {
        if key.eq_ignore_ascii_case("schemas") || is_urn(key) {
            continue;
        }
        match AttrPath::parse(key).and_then(|p| schema.resolve(&p)) {
            Some(resolved) => builder.put(&resolved, value)?,
            None => builder.ignored.push(key.clone()),
        }
    }
    for (key, value) in map {
        if !is_urn(key) {
            continue;
        }
        if let Some(ext) = schema.extension(key) {
            match value {
                Value::Object(members) => {
                    for (name, member) in members {
                        let path =
                            AttrPath::parse(name)
                                .filter(|p| p.urn.is_none())
                                .map(|p| AttrPath {
                                    urn: Some(ext.id.clone()),
                                    ..p
                                });
                        match path.as_ref().and_then(|p| schema.resolve(p)) {
                            Some(resolved) => builder.put(&resolved, member)?,
                            None => builder.ignored.push(format!("{}:{name}", ext.id)),
                        }
                    }
                }
                Value::Null => {}
                _ => {
                    return Err(ScimError::invalid_value(format!(
                        "'{key}' must be an object of extension attributes"
                    )));
                }
            }
        } else if let Some(resolved) = AttrPath::parse(key).and_then(|p| schema.resolve(&p)) {
            builder.put(&resolved, value)?;
        } else if !schema.core.id.eq_ignore_ascii_case(key) {
            builder.ignored.push(key.clone());
        }
    }
    builder.finish()
}

fn is_urn(key: &str) -> bool {
    key.len() > 4 && has_urn_prefix(key)
}

struct Builder<'s> {
    schema: &'s ResourceSchema,
    core: Map<String, Value>,
    extensions: Map<String, Value>,
    ignored: Vec<String>,
    asserted: Vec<String>,
}

impl Builder<'_> {
    fn put(&mut self, resolved: &Resolved<'_>, value: &Value) -> Result<(), ScimError> {
        let attr = resolved.attribute;
        if attr.mutability == Mutability::ReadOnly
            || resolved
                .sub_attribute
                .is_some_and(|sub| sub.mutability == Mutability::ReadOnly)
        {
            return Ok(());
        }
        let label = resolved.canonical_path();
        if !self.asserted.contains(&label) {
            self.asserted.push(label.clone());
        }
        let container = match resolved.extension {
            None => &mut self.core,
            Some(urn) => {
                let slot = self
                    .extensions
                    .entry(urn.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                match slot {
                    Value::Object(o) => o,
                    _ => return Err(ScimError::internal("extension slot is not an object")),
                }
            }
        };
        match resolved.sub_attribute {
            None => {
                match coerce_attribute(attr, value, &label, &mut self.ignored)? {
                    Some(mut v) => {
                        if let Value::Array(items) = &mut v {
                            normalize_primary(attr, items, None);
                        }
                        container.insert(attr.name.clone(), v);
                    }
                    None => {
                        container.remove(&attr.name);
                    }
                }
                Ok(())
            }
            // A dotted key such as "name.givenName" sets one sub-attribute.
            Some(sub) if !attr.multi_valued => {
                if sub.mutability == Mutability::ReadOnly {
                    return Ok(());
                }
                let coerced = coerce_attribute(sub, value, &label, &mut self.ignored)?;
                let entry = container
                    .entry(attr.name.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let (Value::Object(object), Some(v)) = (entry, coerced) {
                    object.insert(sub.name.clone(), v);
                }
                Ok(())
            }
            Some(_) => {
                self.ignored.push(label);
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<Normalized, ScimError> {
        let schema = self.schema;
        let mut out = Map::new();
        let mut resource_schemas = vec![Value::from(schema.core.id.as_str())];
        let ordered = |attrs: &[Attribute], from: &Map<String, Value>| -> Map<String, Value> {
            attrs
                .iter()
                .filter_map(|a| {
                    from.get(&a.name)
                        .filter(|v| !v.as_object().is_some_and(Map::is_empty))
                        .map(|v| (a.name.clone(), v.clone()))
                })
                .collect()
        };
        let core = ordered(&schema.core.attributes, &self.core);
        check_required(&schema.core.attributes, &core, None)?;
        let mut ext_objects = Vec::new();
        for ext in &schema.extensions {
            let members = match self.extensions.get(&ext.id) {
                Some(Value::Object(o)) => ordered(&ext.attributes, o),
                _ => Map::new(),
            };
            let declared_required = schema
                .resource_type
                .schema_extensions
                .iter()
                .any(|e| e.schema == ext.id && e.required);
            if !members.is_empty() || declared_required {
                check_required(&ext.attributes, &members, Some(&ext.id))?;
            }
            if !members.is_empty() {
                resource_schemas.push(Value::from(ext.id.as_str()));
                ext_objects.push((ext.id.clone(), Value::Object(members)));
            }
        }
        out.insert("schemas".into(), Value::Array(resource_schemas));
        out.extend(core);
        out.extend(ext_objects);
        Ok(Normalized {
            resource: Value::Object(out),
            ignored: self.ignored,
            asserted: self.asserted,
        })
    }
}

/// RFC 7644 section 3.5.1 PUT: "Attributes whose mutability is readWrite that are
/// omitted from the request body MAY be assumed to be not asserted by the client." The
/// result is `current` with every attribute the body asserts replaced by the body's
/// value (or removed when the body leaves it unassigned); attributes the body omits
/// keep their current values, so a client that sends only what it manages never
/// clears what it does not.
pub fn merge_replace(current: &Value, replacement: &Normalized) -> Value {
    let mut merged = current.clone();
    let Some(target) = merged.as_object_mut() else {
        return merged;
    };
    for path in &replacement.asserted {
        let (container_key, rest) = split_extension(path);
        let (attr, sub) = match rest.split_once('.') {
            Some((attr, sub)) => (attr, Some(sub)),
            None => (rest, None),
        };
        let source = match container_key {
            Some(urn) => replacement.resource.get(urn),
            None => Some(&replacement.resource),
        };
        let new_value = source.and_then(|s| s.get(attr)).and_then(|v| match sub {
            Some(sub) => v.get(sub),
            None => Some(v),
        });
        let container = match container_key {
            Some(urn) => target
                .entry(urn.to_owned())
                .or_insert_with(|| Value::Object(Map::new())),
            None => {
                set_or_remove(target, attr, sub, new_value);
                continue;
            }
        };
        if let Some(object) = container.as_object_mut() {
            set_or_remove(object, attr, sub, new_value);
        }
    }
    // Keep `schemas` in step with the extensions present.
    let extension_keys: Vec<String> = target
        .iter()
        .filter(|(k, v)| k.starts_with("urn:") && v.as_object().is_some_and(|o| !o.is_empty()))
        .map(|(k, _)| k.clone())
        .collect();
    target.retain(|k, v| !k.starts_with("urn:") || v.as_object().is_some_and(|o| !o.is_empty()));
    if let Some(Value::Array(schemas)) = target.get_mut("schemas") {
        schemas.retain(|s| {
            s.as_str().is_some_and(|s| {
                !s.contains(":extension:") || extension_keys.iter().any(|k| k == s)
            })
        });
        for key in &extension_keys {
            if !schemas.iter().any(|s| s.as_str() == Some(key)) {
                schemas.push(Value::String(key.clone()));
            }
        }
    }
    merged
}

/// Splits `urn:...:User:attr.sub` into the extension key and `attr.sub`.
fn split_extension(path: &str) -> (Option<&str>, &str) {
    if !is_urn(path) {
        return (None, path);
    }
    match path.rfind(':') {
        Some(i) => (Some(&path[..i]), &path[i + 1..]),
        None => (None, path),
    }
}

fn set_or_remove(
    object: &mut Map<String, Value>,
    attr: &str,
    sub: Option<&str>,
    value: Option<&Value>,
) {
    match (sub, value) {
        (None, Some(v)) => {
            object.insert(attr.to_owned(), v.clone());
        }
        (None, None) => {
            object.remove(attr);
        }
        (Some(sub), value) => {
            let entry = object
                .entry(attr.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(inner) = entry.as_object_mut() {
                match value {
                    Some(v) => {
                        inner.insert(sub.to_owned(), v.clone());
                    }
                    None => {
                        inner.remove(sub);
                    }
                }
                if inner.is_empty() {
                    object.remove(attr);
                }
            }
        }
    }
}

/// RFC 7643 section 2.2 `required`: a client-writable required attribute must be present.
fn check_required(
    attrs: &[Attribute],
    present: &Map<String, Value>,
    ext: Option<&str>,
) -> Result<(), ScimError> {
    for attr in attrs {
        if attr.required
            && attr.mutability != Mutability::ReadOnly
            && !present.contains_key(&attr.name)
        {
            let name = match ext {
                Some(urn) => format!("{urn}:{}", attr.name),
                None => attr.name.clone(),
            };
            return Err(ScimError::invalid_value(format!(
                "required attribute '{name}' is missing"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::model::urn;
    use crate::scim::schema::SchemaRegistry;
    use serde_json::json;

    fn user(body: Value) -> Result<Normalized, ScimError> {
        normalize_input(&body, SchemaRegistry::global().user())
    }

    fn group(body: Value) -> Result<Normalized, ScimError> {
        normalize_input(&body, SchemaRegistry::global().group())
    }

    #[test]
    fn a_body_of_another_resource_type_is_refused() {
        let wrong = user(json!({"schemas": [urn::GROUP], "userName": "a@example.com"}));
        let err = wrong.expect_err("a Group body at /Users");
        assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
        assert!(err.detail.contains(urn::USER), "{}", err.detail);
        // Missing or empty `schemas`, extra URNs (Entra's Microsoft group URN) and any
        // case: accepted.
        assert!(user(json!({"userName": "a@example.com"})).is_ok());
        assert!(user(json!({"schemas": [], "userName": "a@example.com"})).is_ok());
        assert!(
            user(json!({"schemas": [urn::USER.to_uppercase()], "userName": "a@example.com"}))
                .is_ok()
        );
        assert!(
            group(json!({"schemas": [urn::GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"], "displayName": "G"}))
                .is_ok()
        );
        assert!(group(json!({"schemas": [urn::USER], "displayName": "G"})).is_err());
    }

    fn ok(result: Result<Normalized, ScimError>) -> Normalized {
        result.unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn entra_create_user_with_meta_nulls_and_top_level_enterprise_attributes() {
        let out = ok(user(json!({
            "schemas": [urn::USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
            "active": "True",
            "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
            "roles": [],
            "addresses": null,
            "phoneNumbers": null,
            "title": null,
            "department": "Sales",
            "manager": null
        })));
        assert_eq!(
            out.resource,
            json!({
                "schemas": [urn::USER, urn::ENTERPRISE_USER],
                "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
                "name": {"familyName": "familyName", "givenName": "givenName"},
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
                urn::ENTERPRISE_USER: {"department": "Sales"}
            })
        );
        assert_eq!(out.ignored, vec!["name.formatted", "addresses"]);
    }

    #[test]
    fn okta_create_user_drops_groups_and_password() {
        let out = ok(user(json!({
            "schemas": [urn::USER],
            "userName": "test.user@okta.local",
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
            "displayName": "Test User",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": true
        })));
        assert_eq!(
            out.resource,
            json!({
                "schemas": [urn::USER],
                "userName": "test.user@okta.local",
                "name": {"givenName": "Test", "familyName": "User"},
                "displayName": "Test User",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "active": true,
                "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}]
            })
        );
        assert_eq!(out.ignored, vec!["password"]);
    }

    #[test]
    fn entra_group_create_with_microsoft_schema_urn() {
        let out = ok(group(json!({
            "schemas": [urn::GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
            "meta": {"resourceType": "Group"},
            "members": [{"$ref": null, "value": "u1", "display": "x"}]
        })));
        assert_eq!(
            out.resource,
            json!({"schemas": [urn::GROUP], "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName", "members": [{"value": "u1"}]})
        );
        assert!(out.ignored.is_empty(), "{:?}", out.ignored);
    }

    #[test]
    fn midpoint_lower_case_names_and_extension_objects() {
        let out = ok(user(json!({
            "SCHEMAS": [urn::USER],
            "id": "u1",
            "username": "a@x",
            "NAME": {"GIVENNAME": "A"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {
                "Department": "R&D", "manager": [{"value": "m1", "displayName": "ignored"}], "employeeNumber": "7"
            },
            "department": "overridden by the extension object",
            "urn:ietf:params:scim:schemas:extension:zoom:2.0:User": {
                "type": "2", "callingPlans": ["200"], "zoomPhoneFeature": "false", "pmi": 123, "status": "active"
            },
            "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:extensionNumber": 1001,
            "€€€€": 1
        })));
        assert_eq!(
            out.resource,
            json!({
                "schemas": [urn::USER, urn::ENTERPRISE_USER, urn::ZOOM_USER],
                "userName": "a@x",
                "name": {"givenName": "A"},
                urn::ENTERPRISE_USER: {"department": "R&D", "manager": {"value": "m1"}},
                urn::ZOOM_USER: {"type": 2, "zoomPhoneFeature": false, "extensionNumber": "1001", "callingPlans": [200]}
            })
        );
        assert_eq!(
            out.ignored,
            vec![
                "€€€€".to_string(),
                format!("{}:employeeNumber", urn::ENTERPRISE_USER)
            ]
        );
    }

    #[test]
    fn primary_is_normalised_to_at_most_one() {
        let out = ok(user(json!({
            "userName": "a@x",
            "emails": [
                {"value": "a@x", "primary": "true"},
                {"value": "b@x", "primary": true},
                {"value": "c@x"}
            ]
        })));
        assert_eq!(
            out.resource["emails"],
            json!([{"value": "a@x", "primary": true}, {"value": "b@x", "primary": false}, {"value": "c@x"}])
        );
    }

    #[test]
    fn zoom_native_extension_is_accepted_on_input() {
        let out = ok(user(json!({
            "userName": "a@x",
            "urn:ietf:params:scim:schemas:extension:zoom:1.0:User": {"zoomPhoneExtNumber": "1001", "zoomPhoneSite": "HQ"}
        })));
        assert_eq!(
            out.resource[urn::ZOOM_NATIVE_USER],
            json!({"zoomPhoneExtNumber": "1001", "zoomPhoneSite": "HQ"})
        );
    }

    #[test]
    fn errors() {
        let kind = |r: Result<Normalized, ScimError>| r.err().and_then(|e| e.scim_type);
        assert_eq!(kind(user(json!([]))), Some(ScimType::InvalidSyntax));
        assert_eq!(
            kind(user(json!({"schemas": "x", "userName": "a"}))),
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(
            kind(user(json!({"displayName": "x"}))),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(user(json!({"userName": null}))),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(user(json!({"userName": ""}))),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(user(json!({"userName": "a", "active": "yes"}))),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(user(json!({"userName": "a", "emails": 5}))),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(user(json!({"userName": "a", "emails": [{"value": true}]}))),
            Some(ScimType::InvalidValue)
        );
        // A bare string for a multi-valued complex attribute is its `value`.
        assert_eq!(
            user(json!({"userName": "a", "emails": "a@x"}))
                .ok()
                .map(|n| n.resource["emails"].clone()),
            Some(json!([{"value": "a@x"}]))
        );
        assert_eq!(
            kind(user(json!({"userName": ["a", "b"]}))),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(user(json!({"userName": "a", urn::ENTERPRISE_USER: "x"}))),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(group(json!({"members": []}))),
            Some(ScimType::InvalidValue)
        );
        let detail = user(json!({"title": "x"}))
            .err()
            .map(|e| e.detail)
            .unwrap_or_default();
        assert!(detail.contains("userName"), "{detail}");
    }

    #[test]
    fn put_merge_replaces_asserted_attributes_and_keeps_omitted_ones() {
        let current = json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "id": "u1", "userName": "a@example.com", "title": "Old",
            "name": {"givenName": "A", "familyName": "B"},
            urn::ENTERPRISE_USER: {"department": "R&D", "costCenter": "42"}
        });
        let body = json!({
            "userName": "a@example.com", "title": null,
            "name": {"givenName": "C"},
            urn::ENTERPRISE_USER: {"department": ""}
        });
        let normalized = ok(user(body));
        let merged = merge_replace(&current, &normalized);
        assert!(merged.get("title").is_none(), "null clears");
        assert_eq!(
            merged["name"],
            json!({"givenName": "C"}),
            "complex replaced whole"
        );
        assert_eq!(merged["id"], "u1");
        assert!(merged[urn::ENTERPRISE_USER].get("department").is_none());
        assert_eq!(
            merged[urn::ENTERPRISE_USER]["costCenter"],
            "42",
            "omitted kept"
        );
    }

    #[test]
    fn put_merge_drops_emptied_extensions_from_schemas() {
        let current = json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "userName": "a@example.com",
            urn::ENTERPRISE_USER: {"department": "R&D"}
        });
        let body = json!({"userName": "a@example.com", "department": null});
        let merged = merge_replace(&current, &ok(user(body)));
        assert!(merged.get(urn::ENTERPRISE_USER).is_none());
        assert_eq!(merged["schemas"], json!([urn::USER]));
    }
}
