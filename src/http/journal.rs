//! The journal of SCIM writes (POST, PUT, PATCH, DELETE of Users and Groups): the
//! entry is begun before the request reaches the use case, so no Zoom write runs
//! without it (a store out of reach is 503 with `Retry-After`, nothing sent), and
//! finished with the status, the error's detail or the warnings, and each Zoom call
//! the request made ([`crate::zoom::observe`]).

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::AppState;
use super::auth::ClientName;
use super::extract::{BodyLimit, read_body};
use super::middleware::REQUEST_ID;
use crate::provider::journal::zoom_calls;
use crate::provider::store_failure;
use crate::scim::get_ci;
use crate::store::ResourceKind;
use crate::store::journal::{Finish, NewEntry, Outcome, ZoomCall};
use crate::zoom::observe::recording;

/// Largest error body read back for the journal's `detail` (SCIM errors are small).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A write the journal records.
struct Write {
    kind: ResourceKind,
    operation: String,
    resource_id: Option<String>,
    create: bool,
}

impl Write {
    /// The write `request` is, if it is one.
    fn of(request: &Request) -> Option<Self> {
        let route = request.extensions().get::<MatchedPath>()?.as_str();
        let method = request.method();
        let (kind, name, with_id) = if let Some(prefix) = route.strip_suffix("/{id}") {
            let (kind, name) = kind_of(prefix)?;
            (kind, name, true)
        } else {
            let (kind, name) = kind_of(route)?;
            (kind, name, false)
        };
        let writes = if with_id {
            [Method::PUT, Method::PATCH, Method::DELETE].contains(method)
        } else {
            method == Method::POST
        };
        if !writes {
            return None;
        }
        let resource_id = with_id.then(|| last_segment(request.uri().path()));
        let template = if with_id { "/{id}" } else { "" };
        Some(Self {
            kind,
            operation: format!("{method} /{name}{template}"),
            resource_id,
            create: !with_id,
        })
    }
}

fn kind_of(route: &str) -> Option<(ResourceKind, &'static str)> {
    if route.ends_with("/Users") {
        Some((ResourceKind::User, "Users"))
    } else if route.ends_with("/Groups") {
        Some((ResourceKind::Group, "Groups"))
    } else {
        None
    }
}

/// The last path segment, percent-decoded (a SCIM id).
fn last_segment(path: &str) -> String {
    let segment = path.rsplit('/').next().unwrap_or_default();
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// A create's `userName` (Users) or `displayName` (Groups), how the resource it made
/// can be found when the answer was lost.
fn resource_key(kind: ResourceKind, body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let attribute = match kind {
        ResourceKind::User => "userName",
        ResourceKind::Group => "displayName",
    };
    get_ci(&value, attribute)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Journals each SCIM write around the rest of the stack.
pub async fn journal_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(write) = Write::of(&request) else {
        return next.run(request).await;
    };
    let client = request
        .extensions()
        .get::<ClientName>()
        .map_or_else(|| "(unauthenticated)".to_owned(), |c| c.0.to_string());
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (request, resource_key) = if write.create {
        let limit = request
            .extensions()
            .get::<BodyLimit>()
            .map_or(1024 * 1024, |l| l.0);
        let (parts, body) = request.into_parts();
        let bytes = match read_body(body, limit).await {
            Ok(bytes) => bytes,
            Err(e) => return e.into_response(),
        };
        let key = resource_key(write.kind, &bytes);
        (Request::from_parts(parts, Body::from(bytes)), key)
    } else {
        (request, None)
    };
    let entry = NewEntry {
        client,
        request_id,
        resource_type: write.kind,
        operation: write.operation.clone(),
        resource_id: write.resource_id.clone(),
        resource_key,
    };
    let id = match state.store.journal_begin(&entry).await {
        Ok(id) => id,
        Err(e) => return store_failure(&e, &write.operation).into_response(),
    };
    let (response, recorded) = recording(next.run(request)).await;
    let (response, finish) = finish(response, zoom_calls(recorded)).await;
    if let Err(e) = state.store.journal_finish(&id, &finish).await {
        // The write is done; the entry stays "started" and is settled by reading Zoom.
        tracing::error!(error = %e, journal_id = %id, "cannot finish the journal entry of a write");
    }
    response
}

/// The journal's record of an answer: its status, the error's detail (the body is read
/// back and passed on unchanged) or the warnings, and a create's new id.
async fn finish(response: Response, calls: Vec<ZoomCall>) -> (Response, Finish) {
    let status = response.status().as_u16();
    let resource_id = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(last_segment);
    let warnings: Vec<String> = response
        .headers()
        .get_all(header::WARNING)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let (response, detail) = if status >= 400 {
        let (parts, body) = response.into_parts();
        match axum::body::to_bytes(body, MAX_ERROR_BODY).await {
            Ok(bytes) => {
                let detail = serde_json::from_slice::<Value>(&bytes)
                    .ok()
                    .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_owned));
                (Response::from_parts(parts, Body::from(bytes)), detail)
            }
            Err(_) => (
                Response::from_parts(parts, Body::empty()),
                Some("the error body could not be read".to_owned()),
            ),
        }
    } else {
        (
            response,
            (!warnings.is_empty()).then(|| warnings.join("; ")),
        )
    };
    let outcome = if status < 400 {
        Outcome::Done
    } else {
        Outcome::Failed
    };
    (
        response,
        Finish {
            outcome,
            status,
            detail,
            resource_id,
            calls,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_keys_are_read_as_sent() {
        assert_eq!(last_segment("/scim/v2/Users/a%26b"), "a&b");
        assert_eq!(
            resource_key(ResourceKind::User, br#"{"USERNAME": "a@x.com"}"#).as_deref(),
            Some("a@x.com")
        );
        assert_eq!(
            resource_key(ResourceKind::Group, br#"{"displayName": "Sales"}"#).as_deref(),
            Some("Sales")
        );
        assert_eq!(resource_key(ResourceKind::User, b"not json"), None);
    }
}
