//! `POST /.search` at the service root (RFC 7644 section 3.4.3: "the search is across
//! all resource types"): Users and Groups in one ListResponse. The filter is evaluated
//! per resource type; a type whose schema does not define an attribute the filter uses
//! contributes no results (an unknown attribute never matches). Results are Users then
//! Groups, `totalResults` is their sum, and `startIndex`/`count` page over that one
//! sequence.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::extract::ScimJson;
use super::response::scim_json;
use crate::scim::error::{ScimError, ScimType};
use crate::scim::model::ListResponse;
use crate::scim::projection::AttributeSelection;
use crate::scim::query::{ListQuery, PagingLimits};
use crate::scim::schema::{ResourceSchema, SchemaRegistry};

/// `POST /.search` over Users and Groups.
#[utoipa::path(post, path = "/.search", tag = "search",
    request_body(content = crate::http::openapi::SearchRequestDoc, content_type = "application/scim+json"),
    responses((status = 200, description = "ListResponse of users, then groups", body = crate::http::openapi::ListResponseDoc, content_type = "application/scim+json"),
              (status = 400, description = "Invalid filter (for every resource type) or paging", body = crate::http::openapi::ErrorDoc, content_type = "application/scim+json")))]
pub async fn search_root(
    State(state): State<AppState>,
    ScimJson(body): ScimJson,
) -> Result<Response, ScimError> {
    let registry = SchemaRegistry::global();
    let limits = state.paging();
    let users = typed_query(&body, registry.user(), limits);
    let groups = typed_query(&body, registry.group(), limits);
    let (users, groups) = match (users, groups) {
        (Err(e), Err(_)) => return Err(e),
        (Err(e), _) | (_, Err(e)) if e.scim_type != Some(ScimType::InvalidFilter) => {
            return Err(e);
        }
        (users, groups) => (users.ok(), groups.ok()),
    };
    let any = users
        .as_ref()
        .or(groups.as_ref())
        .ok_or_else(|| ScimError::internal("root search: no resource type can answer the query"))?;
    if any.sort_by.is_some() {
        return Err(ScimError::invalid_value(
            "sortBy is not supported (ServiceProviderConfig sort.supported is false)",
        ));
    }
    let start_index = any.start_index;
    let count = any.count;
    let mut total = 0;
    let mut resources = Vec::new();
    if let Some(query) = &users {
        // Joined with the groups in memory.
        let page = state.provider.list_users(query).await?.collect().await?;
        total += page.total_results;
        resources.extend(page.resources);
    }
    if let Some(query) = groups {
        let users_total = total;
        // Groups follow the users in the sequence.
        let query = ListQuery {
            start_index: start_index.saturating_sub(users_total).max(1),
            count: count.map(|c| c.saturating_sub(resources.len())),
            ..query
        };
        let page = state.provider.list_groups(&query).await?;
        total += page.total_results;
        resources.extend(page.resources);
    }
    let list = ListResponse::new(total, start_index, resources);
    Ok(scim_json(list.to_json()).into_response())
}

/// The query for one resource type: `attributes`/`excludedAttributes` keep only the
/// names that type defines (`attributes` naming none of its attributes returns just
/// `id`), everything else as sent.
fn typed_query(
    body: &Value,
    schema: &ResourceSchema,
    limits: PagingLimits,
) -> Result<ListQuery, ScimError> {
    let mut body = body.clone();
    if let Some(map) = body.as_object_mut() {
        for (key, value) in map.iter_mut() {
            let is_attributes = key.eq_ignore_ascii_case("attributes");
            if !is_attributes && !key.eq_ignore_ascii_case("excludedAttributes") {
                continue;
            }
            let names: Vec<String> = match value {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                Value::String(s) => s.split(',').map(|p| p.trim().to_owned()).collect(),
                _ => continue,
            };
            if names.is_empty() {
                continue;
            }
            let known: Vec<String> = names
                .into_iter()
                .filter(|n| AttributeSelection::parse(Some(n), None, schema).is_ok())
                .collect();
            *value = if known.is_empty() && is_attributes {
                json!(["id"])
            } else {
                json!(known)
            };
        }
    }
    ListQuery::from_search_request(&body, schema, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PagingLimits = PagingLimits { cap: None };

    #[test]
    fn attribute_lists_are_split_per_type() {
        let registry = SchemaRegistry::global();
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                          "attributes": ["userName", "displayName"]});
        let users = typed_query(&body, registry.user(), LIMITS).unwrap();
        assert!(users.selection.wants("userName"));
        let groups = typed_query(&body, registry.group(), LIMITS).unwrap();
        assert!(groups.selection.wants("displayName"));
        assert!(!groups.selection.wants("members"));
        let only_users = json!({"attributes": ["userName"]});
        let groups = typed_query(&only_users, registry.group(), LIMITS).unwrap();
        assert!(!groups.selection.wants("displayName"));
        assert!(groups.selection.wants("id"));
    }

    #[test]
    fn a_filter_unknown_to_a_type_fails_only_that_type() {
        let registry = SchemaRegistry::global();
        let body = json!({"filter": "userName eq \"a@x.com\""});
        assert!(typed_query(&body, registry.user(), LIMITS).is_ok());
        let err = typed_query(&body, registry.group(), LIMITS).unwrap_err();
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
    }
}
