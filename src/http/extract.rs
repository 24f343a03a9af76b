//! Request extractors that answer in SCIM's error format: JSON bodies (either SCIM or
//! plain JSON media type, RFC 7644 section 3.8) with a size limit, and the request
//! parts every resource handler reads: conditional headers and attribute selection.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::provider::Precondition;
use crate::scim::error::{ScimError, clip};
use crate::scim::projection::AttributeSelection;

/// The largest body accepted, set per router from `server.max_body_bytes`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body: `application/scim+json` or `application/json` (with or
/// without parameters such as `charset`); anything else is refused.
#[derive(Debug)]
pub struct ScimJson(pub Value);

impl<S: Send + Sync> FromRequest<S> for ScimJson {
    type Rejection = ScimError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map_or(1024 * 1024, |l| l.0);
        if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
            let media = content_type
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if media != "application/scim+json" && media != "application/json" {
                // RFC 9110 section 15.5.16: a body in a format the resource does not
                // accept is 415 Unsupported Media Type.
                return Err(ScimError::new(
                    415,
                    None,
                    format!(
                        "unsupported Content-Type `{}`: send application/scim+json or application/json",
                        clip(&media)
                    ),
                ));
            }
        }
        let body = read_body(req.into_body(), limit).await?;
        let _ = state;
        parse_json(&body).map(ScimJson)
    }
}

/// Reads a whole request body of at most `limit` bytes: 413 past it, 408 when the
/// client stops sending, 400 for a body cut or broken on the way.
pub(super) async fn read_body(
    body: axum::body::Body,
    limit: usize,
) -> Result<bytes::Bytes, ScimError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let source = e.into_inner();
        if super::server::is_body_timeout(source.as_ref()) {
            // RFC 9110 section 15.5.9.
            ScimError::new(408, None, source.to_string())
        } else if is_length_limit(source.as_ref()) {
            ScimError::payload_too_large(format!("request body exceeds {limit} bytes"))
        } else {
            // A broken chunked encoding or a connection cut mid-body.
            ScimError::invalid_syntax(format!("request body could not be read: {source}"))
        }
    })
}

/// Whether `err` or one of its sources is the body-size limit's error.
fn is_length_limit(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = err.source();
    }
    false
}

fn parse_json(body: &Bytes) -> Result<Value, ScimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax(
            "request body is empty; a JSON object is required",
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("request body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ScimError::invalid_syntax(
            "request body must be a JSON object",
        ));
    }
    Ok(value)
}

/// Query parameters as ordered pairs; a malformed query string is a SCIM 400.
#[derive(Debug)]
pub struct Params(pub Vec<(String, String)>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ScimError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e| ScimError::invalid_syntax(format!("malformed query string: {e}")))
    }
}

/// The `{id}` path segment, percent-decoded; a malformed one is a SCIM 400.
#[derive(Debug)]
pub struct ResourceId(pub String);

/// The longest resource id looked up in Zoom.
const MAX_RESOURCE_ID_CHARS: usize = 200;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ResourceId {
    type Rejection = ScimError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let id = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| p.0)
            .map_err(|e| ScimError::invalid_syntax(format!("malformed resource id: {e}")))?;
        // Zoom's ids are 22 characters (an e-mail, which Zoom also takes, at most 128):
        // a longer one names nothing, and is neither sent to Zoom nor echoed whole.
        if id.chars().count() > MAX_RESOURCE_ID_CHARS {
            return Err(ScimError::not_found(format!(
                "no resource has the id {}",
                crate::scim::error::clip(&id)
            )));
        }
        Ok(ResourceId(id))
    }
}

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

/// The `attributes` and `excludedAttributes` of a request (RFC 7644 section 3.9).
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
