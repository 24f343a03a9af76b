//! Discovery endpoints (RFC 7644 section 4): `/ServiceProviderConfig`,
//! `/ResourceTypes[/{id}]` and `/Schemas[/{id}]`, served from the files in
//! `scim-schema/` with `meta` and absolute locations added.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::extract::{Params, ResourceId};
use super::response::scim_json;
use crate::scim::error::ScimError;
use crate::scim::model::ListResponse;
use crate::scim::schema::{NO_CAP_MAX_RESULTS, SchemaRegistry};

fn with_meta(mut resource: Value, resource_type: &str, location: String) -> Value {
    if let Some(object) = resource.as_object_mut() {
        object.insert(
            "meta".into(),
            json!({"resourceType": resource_type, "location": location}),
        );
    }
    resource
}

/// RFC 7644 section 4: "If a "filter" is provided, the service provider SHOULD
/// respond with HTTP status code 403 (Forbidden) to ensure that clients cannot
/// incorrectly assume that any matching conditions specified in a filter are true."
fn refuse_filter(params: &[(String, String)]) -> Result<(), ScimError> {
    if params.iter().any(|(k, _)| k.eq_ignore_ascii_case("filter")) {
        return Err(ScimError::forbidden(
            "filtering is not supported on discovery endpoints",
        ));
    }
    Ok(())
}

/// `GET /ServiceProviderConfig`.
#[utoipa::path(get, path = "/ServiceProviderConfig", tag = "discovery",
    responses((status = 200, description = "The service provider's configuration (RFC 7643 section 5)", content_type = "application/scim+json")))]
pub async fn service_provider_config(State(state): State<AppState>) -> Response {
    let mut config = SchemaRegistry::global().service_provider_config();
    if let Some(filter) = config.get_mut("filter").and_then(Value::as_object_mut) {
        // RFC 7643 section 5 makes `maxResults` required: without a cap it is the
        // largest 32-bit integer, which Java clients can still read.
        let max = state
            .scim
            .default_count
            .unwrap_or(NO_CAP_MAX_RESULTS as usize);
        filter.insert("maxResults".into(), json!(max));
    }
    let location = format!("{}/ServiceProviderConfig", state.base_url);
    scim_json(with_meta(config, "ServiceProviderConfig", location)).into_response()
}

/// `GET /ResourceTypes`.
#[utoipa::path(get, path = "/ResourceTypes", tag = "discovery",
    responses((status = 200, description = "ListResponse of the User and Group resource types", content_type = "application/scim+json")))]
pub async fn resource_types(
    State(state): State<AppState>,
    Params(params): Params,
) -> Result<Response, ScimError> {
    refuse_filter(&params)?;
    let items: Vec<Value> = SchemaRegistry::global()
        .resource_types()
        .into_iter()
        .map(|rt| located_resource_type(&state, rt))
        .collect();
    Ok(scim_json(ListResponse::new(items.len(), 1, items).to_json()).into_response())
}

/// `GET /ResourceTypes/{id}`.
#[utoipa::path(get, path = "/ResourceTypes/{id}", tag = "discovery",
    params(("id" = String, Path, description = "`User` or `Group`")),
    responses((status = 200, description = "One resource type", content_type = "application/scim+json"),
              (status = 404, description = "Unknown resource type", content_type = "application/scim+json")))]
pub async fn resource_type(
    State(state): State<AppState>,
    ResourceId(id): ResourceId,
) -> Result<Response, ScimError> {
    let rt = SchemaRegistry::global()
        .resource_type(&id)
        .ok_or_else(|| ScimError::not_found(format!("resource type `{id}` does not exist")))?;
    Ok(scim_json(located_resource_type(&state, rt)).into_response())
}

fn located_resource_type(state: &AppState, rt: Value) -> Value {
    let id = rt
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    with_meta(
        rt,
        "ResourceType",
        format!("{}/ResourceTypes/{id}", state.base_url),
    )
}

/// `GET /Schemas`.
#[utoipa::path(get, path = "/Schemas", tag = "discovery",
    responses((status = 200, description = "ListResponse of every schema (RFC 7643 section 7)", content_type = "application/scim+json")))]
pub async fn schemas(
    State(state): State<AppState>,
    Params(params): Params,
) -> Result<Response, ScimError> {
    refuse_filter(&params)?;
    let items: Vec<Value> = SchemaRegistry::global()
        .schemas()
        .into_iter()
        .map(|s| located_schema(&state, s))
        .collect();
    Ok(scim_json(ListResponse::new(items.len(), 1, items).to_json()).into_response())
}

/// `GET /Schemas/{id}` (the id is the schema URN).
#[utoipa::path(get, path = "/Schemas/{id}", tag = "discovery",
    params(("id" = String, Path, description = "Schema URN")),
    responses((status = 200, description = "One schema", content_type = "application/scim+json"),
              (status = 404, description = "Unknown schema", content_type = "application/scim+json")))]
pub async fn schema(
    State(state): State<AppState>,
    ResourceId(id): ResourceId,
) -> Result<Response, ScimError> {
    let schema = SchemaRegistry::global()
        .schema(&id)
        .ok_or_else(|| ScimError::not_found(format!("schema `{id}` does not exist")))?;
    Ok(scim_json(located_schema(&state, schema)).into_response())
}

fn located_schema(state: &AppState, schema: Value) -> Value {
    let id = schema
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    with_meta(schema, "Schema", format!("{}/Schemas/{id}", state.base_url))
}
