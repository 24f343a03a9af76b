//! `/Groups` (RFC 7644 sections 3.3-3.6): thin handlers that parse the request, call
//! the provider and shape the response.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::{Params, ResourceId, ScimJson, not_modified, precondition, selection};
use super::response::{resource_response, scim_json};
use crate::scim::error::ScimError;
use crate::scim::query::ListQuery;
use crate::scim::schema::SchemaRegistry;

/// `GET /Groups/{id}`.
#[utoipa::path(get, path = "/Groups/{id}", tag = "groups",
    params(("id" = String, Path, description = "Zoom group id"),
           ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return"),
           ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes to leave out (`members`: no member calls to Zoom)")),
    responses((status = 200, description = "The group; `ETag` when the members were read", body = crate::http::openapi::GroupDoc, content_type = "application/scim+json"),
              (status = 304, description = "Not modified (If-None-Match)"),
              (status = 404, description = "No such group", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn get_group(
    State(state): State<AppState>,
    ResourceId(id): ResourceId,
    Params(params): Params,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let selection = selection(&params, SchemaRegistry::global().group())?;
    let resource = state.provider.get_group(&id, &selection).await?;
    if let Some(answer) = not_modified(&headers, resource.etag.as_deref())? {
        return Ok(answer);
    }
    Ok(resource_response(StatusCode::OK, resource, false))
}

/// `GET /Groups`: list and filter (RFC 7644 section 3.4.2).
#[utoipa::path(get, path = "/Groups", tag = "groups",
    params(("filter" = Option<String>, Query, description = "RFC 7644 section 3.4.2.2 filter (`displayName eq` and `id eq` are looked up directly)"),
           ("startIndex" = Option<u64>, Query, description = "1-based index of the first result"),
           ("count" = Option<u64>, Query, description = "Page size (0: totals only; absent: every match, streamed when long)"),
           ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return"),
           ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes to leave out")),
    responses((status = 200, description = "ListResponse of groups", body = crate::http::openapi::ListResponseDoc, content_type = "application/scim+json"),
              (status = 400, description = "Invalid filter or paging", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn list_groups(
    State(state): State<AppState>,
    Params(params): Params,
) -> Result<Response, ScimError> {
    let query = ListQuery::from_params(&params, SchemaRegistry::global().group(), state.paging())?;
    list(&state, query).await
}

/// `POST /Groups/.search` (RFC 7644 section 3.4.3).
#[utoipa::path(post, path = "/Groups/.search", tag = "groups",
    request_body(content = crate::http::openapi::SearchRequestDoc, content_type = "application/scim+json"),
    responses((status = 200, description = "ListResponse of groups", body = crate::http::openapi::ListResponseDoc, content_type = "application/scim+json")))]
pub async fn search_groups(
    State(state): State<AppState>,
    ScimJson(body): ScimJson,
) -> Result<Response, ScimError> {
    let query =
        ListQuery::from_search_request(&body, SchemaRegistry::global().group(), state.paging())?;
    list(&state, query).await
}

async fn list(state: &AppState, query: ListQuery) -> Result<Response, ScimError> {
    if query.sort_by.is_some() {
        return Err(ScimError::invalid_value(
            "sortBy is not supported (ServiceProviderConfig sort.supported is false)",
        ));
    }
    let page = state.provider.list_groups(&query).await?;
    Ok(scim_json(page.to_json()).into_response())
}

/// `POST /Groups`: create (RFC 7644 section 3.3); members are added after the group
/// exists, 30 per Zoom call.
#[utoipa::path(post, path = "/Groups", tag = "groups",
    request_body(content = crate::http::openapi::GroupDoc, content_type = "application/scim+json"),
    responses((status = 201, description = "Created; `Location` is `meta.location`", body = crate::http::openapi::GroupDoc, content_type = "application/scim+json"),
              (status = 200, description = "Existing group of that name adopted (duplicates policy `adopt`)", body = crate::http::openapi::GroupDoc, content_type = "application/scim+json"),
              (status = 400, description = "displayName missing or invalid, or unknown member ids (named; nothing created)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 409, description = "The name is taken (`uniqueness`, naming the existing id)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn create_group(
    State(state): State<AppState>,
    Params(params): Params,
    ScimJson(body): ScimJson,
) -> Result<Response, ScimError> {
    let selection = selection(&params, SchemaRegistry::global().group())?;
    let outcome = state.provider.create_group(body, &selection).await?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(resource_response(status, outcome.resource, true))
}

/// `PUT /Groups/{id}`: replace (RFC 7644 section 3.5.1); members change by difference
/// (a body without `members` leaves them unchanged).
#[utoipa::path(put, path = "/Groups/{id}", tag = "groups",
    params(("id" = String, Path, description = "Zoom group id")),
    request_body(content = crate::http::openapi::GroupDoc, content_type = "application/scim+json"),
    responses((status = 200, description = "Replaced", body = crate::http::openapi::GroupDoc, content_type = "application/scim+json"),
              (status = 400, description = "Invalid body or unknown member ids (nothing changed)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 404, description = "No such group", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 409, description = "The new name is taken", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 412, description = "If-Match does not match the current version", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn replace_group(
    State(state): State<AppState>,
    ResourceId(id): ResourceId,
    Params(params): Params,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> Result<Response, ScimError> {
    let selection = selection(&params, SchemaRegistry::global().group())?;
    let resource = state
        .provider
        .replace_group(&id, body, &selection, &precondition(&headers)?)
        .await?;
    Ok(resource_response(StatusCode::OK, resource, false))
}

/// `PATCH /Groups/{id}`: modify (RFC 7644 section 3.5.2). 204 without a body (Entra:
/// "returning a body with a list of all the members isn't advisable"), or 200 with the
/// resource when the request names `attributes` (RFC 7644 section 3.5.2: "The server
/// MUST return a 200 OK if the "attributes" parameter is specified").
#[utoipa::path(patch, path = "/Groups/{id}", tag = "groups",
    params(("id" = String, Path, description = "Zoom group id"),
           ("attributes" = Option<String>, Query, description = "When given, answer 200 with these attributes")),
    request_body(content = crate::http::openapi::PatchOpDoc, content_type = "application/scim+json"),
    responses((status = 204, description = "Modified"),
              (status = 200, description = "Modified; the resource after the change (`attributes` given)", body = crate::http::openapi::GroupDoc, content_type = "application/scim+json"),
              (status = 400, description = "Invalid path, value or mutability, or unknown member ids (named; nothing changed)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 404, description = "No such group", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 412, description = "If-Match does not match the current version", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn patch_group(
    State(state): State<AppState>,
    ResourceId(id): ResourceId,
    Params(params): Params,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> Result<Response, ScimError> {
    let wants_body = params
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("attributes"));
    let selection = selection(&params, SchemaRegistry::global().group())?;
    let outcome = state
        .provider
        .patch_group(
            &id,
            body,
            wants_body.then_some(&selection),
            &precondition(&headers)?,
        )
        .await?;
    match outcome.resource {
        Some(resource) => Ok(resource_response(StatusCode::OK, resource, false)),
        None => Ok(no_content(&outcome.warnings)),
    }
}

/// 204 with `Warning` headers for the changes Zoom did not apply (capped).
fn no_content(warnings: &[String]) -> Response {
    let mut headers = HeaderMap::new();
    super::response::append_warnings(&mut headers, warnings);
    (StatusCode::NO_CONTENT, headers).into_response()
}

/// `DELETE /Groups/{id}` (RFC 7644 section 3.6); 403 when `scim.group_deletion` is off.
#[utoipa::path(delete, path = "/Groups/{id}", tag = "groups",
    params(("id" = String, Path, description = "Zoom group id")),
    responses((status = 204, description = "Deleted"),
              (status = 403, description = "Group deletion is disabled (`scim.group_deletion = false`)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 404, description = "No such group", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 412, description = "If-Match does not match the current version", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn delete_group(
    State(state): State<AppState>,
    ResourceId(id): ResourceId,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    state
        .provider
        .delete_group(&id, &precondition(&headers)?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
