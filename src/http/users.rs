//! `/Users` (RFC 7644 sections 3.3-3.6): thin handlers that parse the request, call
//! the provider and shape the response.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::{Params, ResourceId, ScimJson};
use super::response::{resource_response, scim_json};
use crate::provider::Precondition;
use crate::scim::error::ScimError;
use crate::scim::projection::AttributeSelection;
use crate::scim::query::ListQuery;
use crate::scim::schema::SchemaRegistry;

/// The values of a conditional header (every field line, joined as one list, RFC 9110
/// section 5.3); `Err` when one is not visible ASCII (entity tags the service issues
/// always are, RFC 9110 section 8.8.3).
fn conditional(headers: &HeaderMap, name: &header::HeaderName) -> Result<Option<String>, ()> {
    let mut joined: Option<String> = None;
    for value in headers.get_all(name) {
        let bytes = value.as_bytes();
        if !bytes
            .iter()
            .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\t')
        {
            return Err(());
        }
        let text = String::from_utf8_lossy(bytes);
        match &mut joined {
            None => joined = Some(text.into_owned()),
            Some(list) => {
                list.push(',');
                list.push_str(&text);
            }
        }
    }
    Ok(joined)
}

/// The write's `If-Match` condition. One that is not visible ASCII matches no version
/// the service issues, so the write is refused with 412 and nothing changes (RFC 9110
/// section 13.1.1), never applied unchecked.
pub(super) fn precondition(headers: &HeaderMap) -> Result<Precondition, ScimError> {
    let if_match = conditional(headers, &header::IF_MATCH).map_err(|()| {
        ScimError::precondition_failed(
            "If-Match is not a list of entity tags in visible ASCII; it matches no version, nothing changed",
        )
    })?;
    Ok(Precondition { if_match })
}

pub(super) fn selection(
    params: &[(String, String)],
    schema: &crate::scim::schema::ResourceSchema,
) -> Result<AttributeSelection, ScimError> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    AttributeSelection::parse(get("attributes"), get("excludedAttributes"), schema)
}

/// RFC 7644 section 3.14: a GET with `If-None-Match` equal to the current version
/// answers 304 Not Modified, which carries the `ETag` it would have sent with a 200
/// (RFC 9110 section 15.4.5).
pub(super) fn not_modified(
    headers: &HeaderMap,
    etag: Option<&str>,
) -> Result<Option<Response>, ScimError> {
    let condition = conditional(headers, &header::IF_NONE_MATCH).map_err(|()| {
        ScimError::invalid_syntax("If-None-Match is not a list of entity tags in visible ASCII")
    })?;
    let Some(etag) = etag else {
        return Ok(None);
    };
    let matches =
        condition.is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let Ok(value) = header::HeaderValue::from_str(etag) else {
        return Ok(None);
    };
    Ok(matches.then(|| (StatusCode::NOT_MODIFIED, [(header::ETAG, value)]).into_response()))
}

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
           ("count" = Option<u64>, Query, description = "Page size (0: totals only)"),
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
    let page = state.provider.list_users(&query).await?;
    Ok(scim_json(page.to_json()).into_response())
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
