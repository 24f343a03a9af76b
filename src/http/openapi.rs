//! The OpenAPI document, served at `/openapi.json` and committed as
//! `openapi/zoom-scim.json` (a test fails when they differ). Resource bodies are
//! generated from the SCIM schemas in `scim-schema/`, so the document cannot drift
//! from what `/Schemas` publishes.

use std::borrow::Cow;

use serde_json::{Map, Value, json};
use utoipa::openapi::header::Header;
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::scim::schema::{ResourceSchema, Returned, SchemaRegistry};

/// The OpenAPI document of the SCIM API (paths relative to `scim.base_path`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "zoom-scim",
        description = "SCIM 2.0 (RFC 7643/7644) service provider for Zoom users, Zoom Phone, groups and roles. Paths are relative to the SCIM base path (default `/scim/v2`). Every request needs `Authorization: Bearer <token>`; every error is an RFC 7644 section 3.12 body."
    ),
    paths(
        super::discovery::service_provider_config,
        super::discovery::resource_types,
        super::discovery::resource_type,
        super::discovery::schemas,
        super::discovery::schema,
        super::users::list_users,
        super::users::search_users,
        super::users::get_user,
        super::users::create_user,
        super::users::replace_user,
        super::users::patch_user,
        super::users::delete_user,
        super::groups::list_groups,
        super::groups::search_groups,
        super::groups::get_group,
        super::groups::create_group,
        super::groups::replace_group,
        super::groups::patch_group,
        super::groups::delete_group,
        super::search::search_root,
    ),
    components(schemas(UserDoc, GroupDoc, ErrorDoc, ListResponseDoc, SearchRequestDoc, PatchOpDoc)),
    modifiers(&CommonResponses),
    tags(
        (name = "discovery", description = "RFC 7644 section 4"),
        (name = "users", description = "Zoom users, with Zoom Phone in the Zoom extension"),
        (name = "groups", description = "Zoom groups and their members (users)"),
        (name = "search", description = "RFC 7644 section 3.4.3 search across Users and Groups"),
    )
)]
pub struct ApiDoc;

/// Adds the answers operations give without documenting them one by one (unless an
/// operation documents its own), as shared `components/responses`: 401 without a valid
/// bearer token; 429 and 503 when Zoom's limits or availability or the request's
/// deadline stop a request that calls Zoom (not discovery), with `Retry-After`, and 502
/// when Zoom's answer is not Zoom's; 400, 408, 413 and 415 for requests with a body,
/// 400 for reads of resources.
struct CommonResponses;

/// (status, component name, description, has `Retry-After`).
const COMMON_RESPONSES: &[(&str, &str, &str, bool)] = &[
    (
        "400",
        "BadRequest",
        "Malformed or invalid request (RFC 7644 section 3.12 `scimType`)",
        false,
    ),
    (
        "401",
        "Unauthorized",
        "Missing or unknown bearer token (`WWW-Authenticate: Bearer`)",
        false,
    ),
    (
        "408",
        "RequestTimeout",
        "The body did not arrive within `server.body_read_timeout_s`",
        false,
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is larger than `server.max_body_bytes`",
        false,
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not `application/scim+json` or `application/json`",
        false,
    ),
    (
        "429",
        "TooManyRequests",
        "Zoom's per-second limit kept refusing after retries, or one user's daily limit is reached",
        true,
    ),
    (
        "502",
        "BadGateway",
        "Zoom, or a gateway in front of it, answered with something that is not Zoom's answer (details in the log)",
        false,
    ),
    (
        "503",
        "Unavailable",
        "Zoom is unavailable, a daily quota of the account is spent, or the answer was not ready within `server.request_timeout_s` (a write then still goes on to its end)",
        true,
    ),
];

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, description, retry_after) in COMMON_RESPONSES {
            let mut response = ResponseBuilder::new().description(*description).content(
                "application/scim+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(ErrorDoc::name())))
                    .build(),
            );
            if *retry_after {
                let mut header = Header::new(String::schema());
                header.description = Some("Seconds to wait before retrying".to_owned());
                response = response.header("Retry-After", header);
            }
            components
                .responses
                .insert((*name).to_owned(), response.build().into());
        }
        for item in openapi.paths.paths.values_mut() {
            // (operation, sends a body, reads with `attributes` and the like)
            let operations = [
                (&mut item.get, false, true),
                (&mut item.post, true, false),
                (&mut item.put, true, false),
                (&mut item.patch, true, false),
                (&mut item.delete, false, false),
            ];
            for (operation, has_body, is_read) in operations {
                let Some(operation) = operation else { continue };
                let calls_zoom = operation
                    .tags
                    .as_ref()
                    .is_some_and(|tags| !tags.iter().any(|t| t == "discovery"));
                for (status, name, _, _) in COMMON_RESPONSES {
                    let applies = match *status {
                        // A read of Users or Groups refuses a bad `attributes` too.
                        "400" => has_body || (is_read && calls_zoom),
                        "408" | "413" | "415" => has_body,
                        "429" | "502" | "503" => calls_zoom,
                        _ => true,
                    };
                    if applies && !operation.responses.responses.contains_key(*status) {
                        operation.responses.responses.insert(
                            (*status).to_owned(),
                            Ref::new(format!("#/components/responses/{name}")).into(),
                        );
                    }
                }
            }
        }
    }
}

/// The document as pretty JSON, with a trailing newline (the committed file's form).
pub fn document_json() -> String {
    let mut text = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    text.push('\n');
    text
}

fn schema_from_json(value: Value) -> RefOr<Schema> {
    serde_json::from_value(value).expect("generated JSON is a valid OpenAPI schema")
}

/// Converts one SCIM attribute definition (RFC 7643 section 7) to a JSON Schema.
fn attribute_schema(attribute: &Value) -> Value {
    let scim_type = attribute
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    let mut schema = match scim_type {
        "boolean" => json!({"type": "boolean"}),
        "integer" => json!({"type": "integer", "format": "int64"}),
        "decimal" => json!({"type": "number"}),
        "dateTime" => json!({"type": "string", "format": "date-time"}),
        "reference" => json!({"type": "string", "format": "uri"}),
        "complex" => object_schema(attribute.get("subAttributes")),
        _ => json!({"type": "string"}),
    };
    if let Some(values) = attribute
        .get("canonicalValues")
        .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    {
        schema["description"] = json!(format!("Canonical values: {}", join(values)));
    }
    let multi = attribute
        .get("multiValued")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut schema = if multi {
        json!({"type": "array", "items": schema})
    } else {
        schema
    };
    if let Some(description) = attribute.get("description").and_then(Value::as_str) {
        schema["description"] = json!(description);
    }
    match attribute.get("mutability").and_then(Value::as_str) {
        Some("readOnly") => schema["readOnly"] = json!(true),
        Some("writeOnly") => schema["writeOnly"] = json!(true),
        _ => {}
    }
    schema
}

fn join(values: &Value) -> String {
    values
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn object_schema(attributes: Option<&Value>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for attribute in attributes.and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = attribute.get("name").and_then(Value::as_str) else {
            continue;
        };
        properties.insert(name.to_owned(), attribute_schema(attribute));
        if attribute.get("required").and_then(Value::as_bool) == Some(true) {
            required.push(json!(name));
        }
    }
    let mut schema = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    schema
}

/// A resource type's body: its core schema's attributes, `schemas`, `meta` (the
/// sub-attributes the resource type returns), and one object per extension under the
/// extension's URN.
fn resource_schema(resource: &ResourceSchema, description: &str) -> Value {
    let registry = SchemaRegistry::global();
    let core = resource.core.id.as_str();
    let core_schema = registry.schema(core).expect("core schema is registered");
    let mut schema = object_schema(core_schema.get("attributes"));
    schema["description"] = json!(description);
    let properties = schema["properties"]
        .as_object_mut()
        .expect("object schema has properties");
    properties.insert(
        "schemas".into(),
        json!({"type": "array", "items": {"type": "string"}, "description": "Schema URNs of the resource"}),
    );
    for common in &resource.common {
        // Only what the resource type returns (the `meta` times Zoom keeps none of are not).
        let mut returned = common.clone();
        returned
            .sub_attributes
            .retain(|sub| sub.returned != Returned::Never);
        let definition = serde_json::to_value(&returned).expect("an attribute serializes");
        properties.insert(common.name.clone(), attribute_schema(&definition));
    }
    for extension in resource.extensions.iter().map(|e| e.id.as_str()) {
        let ext = registry
            .schema(extension)
            .expect("extension schema is registered");
        let mut ext_schema = object_schema(ext.get("attributes"));
        if let Some(name) = ext.get("name").and_then(Value::as_str) {
            ext_schema["description"] = json!(name);
        }
        properties.insert((*extension).to_owned(), ext_schema);
    }
    schema
}

/// Documentation type for a SCIM User (generated from `scim-schema/`).
pub struct UserDoc;

impl PartialSchema for UserDoc {
    fn schema() -> RefOr<Schema> {
        schema_from_json(resource_schema(
            SchemaRegistry::global().user(),
            "A Zoom user as a SCIM User (see /Schemas for every characteristic)",
        ))
    }
}

impl ToSchema for UserDoc {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("User")
    }
}

/// Documentation type for a SCIM Group (generated from `scim-schema/`).
pub struct GroupDoc;

impl PartialSchema for GroupDoc {
    fn schema() -> RefOr<Schema> {
        schema_from_json(resource_schema(
            SchemaRegistry::global().group(),
            "A Zoom group as a SCIM Group (see /Schemas for every characteristic)",
        ))
    }
}

impl ToSchema for GroupDoc {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Group")
    }
}

/// Documentation type for an RFC 7644 section 3.12 error body.
pub struct ErrorDoc;

impl PartialSchema for ErrorDoc {
    fn schema() -> RefOr<Schema> {
        schema_from_json(
            json!({"type": "object", "required": ["schemas", "status"], "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "status": {"type": "string", "description": "HTTP status code as a string"},
            "scimType": {"type": "string", "description": "RFC 7644 section 3.12 keyword, e.g. invalidFilter, uniqueness, mutability"},
            "detail": {"type": "string"}}}),
        )
    }
}

impl ToSchema for ErrorDoc {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Error")
    }
}

/// Documentation type for a ListResponse (RFC 7644 section 3.4.2).
pub struct ListResponseDoc;

impl PartialSchema for ListResponseDoc {
    fn schema() -> RefOr<Schema> {
        schema_from_json(
            json!({"type": "object", "required": ["schemas", "totalResults", "Resources", "startIndex", "itemsPerPage"], "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "totalResults": {"type": "integer"}, "startIndex": {"type": "integer"}, "itemsPerPage": {"type": "integer"},
            "Resources": {"type": "array", "items": {"type": "object"}}}}),
        )
    }
}

impl ToSchema for ListResponseDoc {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ListResponse")
    }
}

/// Documentation type for a SearchRequest (RFC 7644 section 3.4.3).
pub struct SearchRequestDoc;

impl PartialSchema for SearchRequestDoc {
    fn schema() -> RefOr<Schema> {
        schema_from_json(json!({"type": "object", "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "filter": {"type": "string"}, "startIndex": {"type": "integer"}, "count": {"type": "integer"},
            "attributes": {"type": "array", "items": {"type": "string"}},
            "excludedAttributes": {"type": "array", "items": {"type": "string"}}}}))
    }
}

impl ToSchema for SearchRequestDoc {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("SearchRequest")
    }
}

/// Documentation type for a PatchOp request (RFC 7644 section 3.5.2).
pub struct PatchOpDoc;

impl PartialSchema for PatchOpDoc {
    fn schema() -> RefOr<Schema> {
        schema_from_json(
            json!({"type": "object", "required": ["Operations"], "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "Operations": {"type": "array", "items": {"type": "object", "required": ["op"], "properties": {
                "op": {"type": "string", "description": "add, replace or remove (case-insensitive)"},
                "path": {"type": "string"}, "value": {}}}}}}),
        )
    }
}

impl ToSchema for PatchOpDoc {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PatchOp")
    }
}
