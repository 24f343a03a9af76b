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
    append_warnings(&mut headers, &resource.warnings);
    (status, headers, resource.body.to_string()).into_response()
}

/// The most `Warning` headers one response carries; a PATCH can produce thousands, and
/// clients (curl, Python's http.client) refuse answers with that many headers.
pub const MAX_WARNING_HEADERS: usize = 5;

/// Appends `299` warnings: the first [`MAX_WARNING_HEADERS`], then one that counts the
/// rest, which go to the service log in one line.
pub fn append_warnings(headers: &mut HeaderMap, warnings: &[String]) {
    // RFC 9111 section 5.5 retired `Warning`, but IGA operators read response
    // headers; a 299 warning carries what Zoom silently did not apply.
    let value = |text: &str| {
        let text = format!("299 zoom-scim \"{}\"", text.replace(['"', '\\'], "'"));
        HeaderValue::from_str(&text).ok()
    };
    for warning in warnings.iter().take(MAX_WARNING_HEADERS) {
        if let Some(v) = value(warning) {
            headers.append(header::WARNING, v);
        }
    }
    let rest = warnings.get(MAX_WARNING_HEADERS..).unwrap_or_default();
    if !rest.is_empty() {
        tracing::warn!(
            count = rest.len(),
            warnings = ?rest,
            "Warnings left out of the response's headers."
        );
        let more = format!("{} more warnings, see the service log", rest.len());
        if let Some(v) = value(&more) {
            headers.append(header::WARNING, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings_of(n: usize) -> Vec<String> {
        let mut headers = HeaderMap::new();
        let warnings: Vec<String> = (0..n).map(|i| format!("value {i} not applied")).collect();
        append_warnings(&mut headers, &warnings);
        headers
            .get_all(header::WARNING)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn warning_headers_are_capped_with_a_count() {
        assert_eq!(
            warnings_of(2),
            [
                "299 zoom-scim \"value 0 not applied\"",
                "299 zoom-scim \"value 1 not applied\""
            ]
        );
        assert_eq!(warnings_of(MAX_WARNING_HEADERS).len(), MAX_WARNING_HEADERS);
        let many = warnings_of(12_000);
        assert_eq!(many.len(), MAX_WARNING_HEADERS + 1);
        assert_eq!(many[4], "299 zoom-scim \"value 4 not applied\"");
        assert_eq!(
            many[5],
            "299 zoom-scim \"11995 more warnings, see the service log\""
        );
    }
}
