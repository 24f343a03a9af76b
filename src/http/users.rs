//! `/Users` (RFC 7644 sections 3.3-3.6): thin handlers that parse the request, call
//! the provider and shape the response.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::{Params, ResourceId, ScimJson, not_modified, precondition, selection};
use super::list_body::listing_response;
use super::response::resource_response;
use crate::scim::error::ScimError;
use crate::scim::query::ListQuery;
use crate::scim::schema::SchemaRegistry;

/// `GET /Users/{id}`.
#[utoipa::path(get, path = "/Users/{id}", tag = "users",
    params(("id" = String, Path, description = "Zoom user id"),
           ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return"),
           ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes to leave out")),
    responses((status = 200, description = "The user", body = crate::http::openapi::UserDoc, content_type = "application/scim+json"),
              (status = 304, description = "Not modified (If-None-Match)"),
              (status = 404, description = "No such user", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn get_user(
    State(state): State<AppState>,
    ResourceId(id): ResourceId,
    Params(params): Params,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let selection = selection(&params, SchemaRegistry::global().user())?;
    let resource = state.provider.get_user(&id, &selection).await?;
    if let Some(answer) = not_modified(&headers, resource.etag.as_deref())? {
        return Ok(answer);
    }
    Ok(resource_response(StatusCode::OK, resource, false))
}

/// `GET /Users`: list and filter (RFC 7644 section 3.4.2).
#[utoipa::path(get, path = "/Users", tag = "users",
    params(("filter" = Option<String>, Query, description = "RFC 7644 section 3.4.2.2 filter"),
           ("startIndex" = Option<u64>, Query, description = "1-based index of the first result"),
           ("count" = Option<u64>, Query, description = "Page size (0: totals only; absent: every match, streamed when long)"),
           ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return"),
           ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes to leave out")),
    responses((status = 200, description = "ListResponse of users", body = crate::http::openapi::ListResponseDoc, content_type = "application/scim+json"),
              (status = 400, description = "Invalid filter or paging", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn list_users(
    State(state): State<AppState>,
    Params(params): Params,
) -> Result<Response, ScimError> {
    let query = ListQuery::from_params(&params, SchemaRegistry::global().user(), state.paging())?;
    list(&state, query).await
}

/// `POST /Users/.search` (RFC 7644 section 3.4.3).
#[utoipa::path(post, path = "/Users/.search", tag = "users",
    request_body(content = crate::http::openapi::SearchRequestDoc, content_type = "application/scim+json"),
    responses((status = 200, description = "ListResponse of users", body = crate::http::openapi::ListResponseDoc, content_type = "application/scim+json")))]
pub async fn search_users(
    State(state): State<AppState>,
    ScimJson(body): ScimJson,
) -> Result<Response, ScimError> {
    let query =
        ListQuery::from_search_request(&body, SchemaRegistry::global().user(), state.paging())?;
    list(&state, query).await
}

pub(super) async fn list(state: &AppState, query: ListQuery) -> Result<Response, ScimError> {
    if query.sort_by.is_some() {
        return Err(ScimError::invalid_value(
            "sortBy is not supported (ServiceProviderConfig sort.supported is false)",
        ));
    }
    let listing = state.provider.list_users(&query).await?;
    Ok(listing_response(listing, state.progress_deadline()))
}

/// `POST /Users`: create (RFC 7644 section 3.3).
#[utoipa::path(post, path = "/Users", tag = "users",
    request_body(content = crate::http::openapi::UserDoc, content_type = "application/scim+json"),
    responses((status = 201, description = "Created; `Location` is `meta.location`", body = crate::http::openapi::UserDoc, content_type = "application/scim+json"),
              (status = 200, description = "Existing user adopted (duplicates policy `adopt`)", body = crate::http::openapi::UserDoc, content_type = "application/scim+json"),
              (status = 400, description = "Invalid or missing attribute", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 409, description = "userName already exists (`uniqueness`, the detail names the existing id), or holds an active account in another Zoom account", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn create_user(
    State(state): State<AppState>,
    Params(params): Params,
    ScimJson(body): ScimJson,
) -> Result<Response, ScimError> {
    let selection = selection(&params, SchemaRegistry::global().user())?;
    let outcome = state.provider.create_user(body, &selection).await?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(resource_response(status, outcome.resource, true))
}

/// `PUT /Users/{id}`: replace (RFC 7644 section 3.5.1).
#[utoipa::path(put, path = "/Users/{id}", tag = "users",
    params(("id" = String, Path, description = "Zoom user id")),
    request_body(content = crate::http::openapi::UserDoc, content_type = "application/scim+json"),
    responses((status = 200, description = "Replaced: attributes the body asserts are replaced, omitted ones keep their values; the user as Zoom holds it afterwards. `Warning` headers name what Zoom could not take", body = crate::http::openapi::UserDoc, content_type = "application/scim+json"),
              (status = 204, description = "active=false withdrew a pending user's invitation (`scim.pending_deactivation = \"disassociate\"`)"),
              (status = 400, description = "Invalid value; or Zoom refused a step (the detail lists what was applied)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 403, description = "Protected account (owner or `scim.protected_users`)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 404, description = "No such user", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 409, description = "Pending or deactivated user: the change cannot be applied now (nothing was changed)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 412, description = "If-Match does not match the current version", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn replace_user(
    State(state): State<AppState>,
    ResourceId(id): ResourceId,
    Params(params): Params,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> Result<Response, ScimError> {
    let selection = selection(&params, SchemaRegistry::global().user())?;
    match state
        .provider
        .replace_user(&id, body, &selection, &precondition(&headers)?)
        .await?
    {
        Some(resource) => Ok(resource_response(StatusCode::OK, resource, false)),
        // The pending user's invitation was withdrawn: nothing left to show.
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `PATCH /Users/{id}`: modify (RFC 7644 section 3.5.2).
#[utoipa::path(patch, path = "/Users/{id}", tag = "users",
    params(("id" = String, Path, description = "Zoom user id")),
    request_body(content = crate::http::openapi::PatchOpDoc, content_type = "application/scim+json"),
    responses((status = 200, description = "Modified; the user as Zoom holds it afterwards. `Warning` headers name what Zoom could not take", body = crate::http::openapi::UserDoc, content_type = "application/scim+json"),
              (status = 204, description = "active=false withdrew a pending user's invitation (`scim.pending_deactivation = \"disassociate\"`)"),
              (status = 400, description = "Invalid path, value or mutability; or Zoom refused a step (the detail lists what was applied)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 403, description = "Protected account (owner or `scim.protected_users`)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 404, description = "No such user", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 409, description = "Pending or deactivated user: the change cannot be applied now (nothing was changed)", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 412, description = "If-Match does not match the current version", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn patch_user(
    State(state): State<AppState>,
    ResourceId(id): ResourceId,
    Params(params): Params,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> Result<Response, ScimError> {
    let selection = selection(&params, SchemaRegistry::global().user())?;
    match state
        .provider
        .patch_user(&id, body, &selection, &precondition(&headers)?)
        .await?
    {
        Some(resource) => Ok(resource_response(StatusCode::OK, resource, false)),
        // The pending user's invitation was withdrawn: nothing left to show.
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `DELETE /Users/{id}` (RFC 7644 section 3.6), following the configured delete policy.
#[utoipa::path(delete, path = "/Users/{id}", tag = "users",
    params(("id" = String, Path, description = "Zoom user id")),
    responses((status = 204, description = "Deleted (or deactivated, per `scim.delete_policy`)"),
              (status = 403, description = "Protected account", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 404, description = "No such user", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json"),
              (status = 412, description = "If-Match does not match the current version", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn delete_user(
    State(state): State<AppState>,
    ResourceId(id): ResourceId,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    state
        .provider
        .delete_user(&id, &precondition(&headers)?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
