//! Success responses in SCIM's media type, with `ETag` and `Location` where RFC 7644
//! asks for them (sections 3.3 and 3.14).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::SCIM_JSON;
use crate::provider::ScimResource;

/// A JSON body with `Content-Type: application/scim+json`.
pub fn scim_json(body: Value) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
        body.to_string(),
    )
}

/// A single resource: body, `ETag` (when the version is known) and, for creates,
/// `Location` equal to `meta.location`.
pub fn resource_response(
    status: StatusCode,
    resource: ScimResource,
    with_location: bool,
) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    if let Some(etag) = resource
        .etag
        .as_deref()
        .and_then(|e| HeaderValue::from_str(e).ok())
    {
        headers.insert(header::ETAG, etag);
    }
    if with_location && let Ok(location) = HeaderValue::from_str(&resource.location) {
        headers.insert(header::LOCATION, location);
    }
    for warning in &resource.warnings {
        // RFC 9111 section 5.5 retired `Warning`, but IGA operators read response
        // headers; a 299 warning carries what Zoom silently did not apply.
        let text = format!("299 zoom-scim \"{}\"", warning.replace('"', "'"));
        if let Ok(value) = HeaderValue::from_str(&text) {
            headers.append(header::WARNING, value);
        }
    }
    (status, headers, resource.body.to_string()).into_response()
}
