//! SCIM errors as values: HTTP status, optional `scimType` keyword and the RFC 7644
//! section 3.12 error body.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::urn;

/// Most characters of a client-supplied value quoted in an error detail.
pub const MAX_QUOTED_CHARS: usize = 200;

/// Most characters of a whole error detail, a backstop for values quoted without
/// [`clip`]: what a client sent is never echoed back in bulk.
pub const MAX_DETAIL_CHARS: usize = 4096;

/// A client-supplied value as quoted in an error detail: at most [`MAX_QUOTED_CHARS`]
/// characters, then an ellipsis and the full length, so that a 70,000-character value
/// is not sent back (cut on a character boundary; the ellipsis is ASCII `...` because
/// details also go into `Warning` headers).
pub fn clip(value: &str) -> Cow<'_, str> {
    cut(value, MAX_QUOTED_CHARS)
}

fn cut(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!(
            "{}... ({} characters)",
            &text[..end],
            text.chars().count()
        )),
    }
}

/// The `scimType` keywords of RFC 7644 section 3.12 (Table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScimType {
    /// The filter syntax was invalid or the attribute/operator combination is not supported.
    InvalidFilter,
    /// The filter yields more results than the server is willing to compute.
    TooMany,
    /// One or more unique attribute values are already in use.
    Uniqueness,
    /// The request tried to modify an immutable or readOnly attribute.
    Mutability,
    /// The request body structure was invalid or did not conform to the schema.
    InvalidSyntax,
    /// The PATCH `path` attribute was invalid or malformed.
    InvalidPath,
    /// The PATCH `path` did not yield an attribute or value that could be operated on.
    NoTarget,
    /// A required value was missing or a value was not compatible with the attribute.
    InvalidValue,
    /// The SCIM protocol version requested is not supported.
    InvalidVers,
    /// The request cannot be completed because it carries sensitive data in the URI.
    Sensitive,
}

impl ScimType {
    /// The RFC keyword, e.g. `"invalidFilter"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM protocol error: what the HTTP layer turns into a status code, an optional
/// `Retry-After` header and the RFC 7644 section 3.12 body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// HTTP status code.
    pub status: u16,
    /// RFC 7644 `scimType` keyword, when one applies.
    pub scim_type: Option<ScimType>,
    /// Human-readable detail (never contains secrets).
    pub detail: String,
    /// Seconds for a `Retry-After` header (429/503).
    pub retry_after_s: Option<u64>,
}

impl ScimError {
    /// An error with an arbitrary status and keyword.
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
            retry_after_s: None,
        }
    }

    fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }

    /// 400 `invalidFilter`.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidFilter, detail)
    }
    /// 400 `invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidSyntax, detail)
    }
    /// 400 `invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidPath, detail)
    }
    /// 400 `noTarget`.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::NoTarget, detail)
    }
    /// 400 `invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidValue, detail)
    }
    /// 400 `mutability`.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::Mutability, detail)
    }
    /// 400 `tooMany`.
    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::TooMany, detail)
    }
    /// 409 `uniqueness` (RFC 7644 section 3.3: a conflicting create MUST get 409 + uniqueness).
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }
    /// 409 without a keyword (e.g. a concurrent change).
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(409, None, detail)
    }
    /// 404 Not Found.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }
    /// 401 Unauthorized.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, None, detail)
    }
    /// 403 Forbidden.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, None, detail)
    }
    /// 405 Method Not Allowed.
    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        Self::new(405, None, detail)
    }
    /// 412 Precondition Failed (`If-Match` mismatch, RFC 7644 section 3.14).
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(412, None, detail)
    }
    /// 413 Payload Too Large.
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(413, None, detail)
    }
    /// 429 Too Many Requests, with the seconds to wait when known.
    pub fn too_many_requests(detail: impl Into<String>, retry_after_s: Option<u64>) -> Self {
        ScimError {
            retry_after_s,
            ..Self::new(429, None, detail)
        }
    }
    /// 500 Internal Server Error.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(500, None, detail)
    }
    /// 502 Bad Gateway: Zoom, or something in front of it, answered badly.
    pub fn bad_gateway(detail: impl Into<String>) -> Self {
        Self::new(502, None, detail)
    }
    /// 501 Not Implemented.
    pub fn not_implemented(detail: impl Into<String>) -> Self {
        Self::new(501, None, detail)
    }
    /// 503 Service Unavailable, with the seconds to wait when known.
    pub fn unavailable(detail: impl Into<String>, retry_after_s: Option<u64>) -> Self {
        ScimError {
            retry_after_s,
            ..Self::new(503, None, detail)
        }
    }

    /// Returns the same error with another keyword (e.g. a filter error inside a PATCH
    /// path becomes `invalidPath`).
    pub fn with_scim_type(mut self, scim_type: ScimType) -> Self {
        self.scim_type = Some(scim_type);
        self
    }

    /// The RFC 7644 section 3.12 error body: `status` is the HTTP code as a JSON string,
    /// `scimType` is omitted when there is none, and `detail` is at most
    /// [`MAX_DETAIL_CHARS`] characters.
    pub fn to_body(&self) -> Value {
        let mut body = json!({
            "schemas": [urn::ERROR],
            "status": self.status.to_string(),
        });
        if let (Some(scim_type), Some(map)) = (self.scim_type, body.as_object_mut()) {
            map.insert("scimType".into(), Value::from(scim_type.as_str()));
        }
        if let Some(map) = body.as_object_mut() {
            // Room for the "... (N characters)" the cut appends.
            let detail = cut(&self.detail, MAX_DETAIL_CHARS - 32);
            map.insert("detail".into(), Value::from(detail.into_owned()));
        }
        body
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scim_type {
            Some(t) => write!(f, "SCIM error {} ({t}): {}", self.status, self.detail),
            None => write!(f, "SCIM error {}: {}", self.status, self.detail),
        }
    }
}

impl std::error::Error for ScimError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_carry_rfc_status_and_keyword() {
        let cases: Vec<(ScimError, u16, Option<&str>)> = vec![
            (ScimError::invalid_filter("x"), 400, Some("invalidFilter")),
            (ScimError::invalid_syntax("x"), 400, Some("invalidSyntax")),
            (ScimError::invalid_path("x"), 400, Some("invalidPath")),
            (ScimError::no_target("x"), 400, Some("noTarget")),
            (ScimError::invalid_value("x"), 400, Some("invalidValue")),
            (ScimError::mutability("x"), 400, Some("mutability")),
            (ScimError::too_many("x"), 400, Some("tooMany")),
            (ScimError::uniqueness("x"), 409, Some("uniqueness")),
            (ScimError::conflict("x"), 409, None),
            (ScimError::not_found("x"), 404, None),
            (ScimError::unauthorized("x"), 401, None),
            (ScimError::forbidden("x"), 403, None),
            (ScimError::method_not_allowed("x"), 405, None),
            (ScimError::precondition_failed("x"), 412, None),
            (ScimError::payload_too_large("x"), 413, None),
            (ScimError::too_many_requests("x", Some(3)), 429, None),
            (ScimError::internal("x"), 500, None),
            (ScimError::not_implemented("x"), 501, None),
            (ScimError::bad_gateway("x"), 502, None),
            (ScimError::unavailable("x", None), 503, None),
        ];
        for (err, status, keyword) in cases {
            assert_eq!(err.status, status, "{err}");
            assert_eq!(err.scim_type.map(ScimType::as_str), keyword, "{err}");
            let body = err.to_body();
            assert_eq!(body["status"], Value::from(status.to_string()));
            assert_eq!(body["detail"], "x");
            assert_eq!(body["schemas"], json!([urn::ERROR]));
            match keyword {
                Some(k) => assert_eq!(body["scimType"], k),
                None => assert!(body.get("scimType").is_none(), "{body}"),
            }
        }
    }

    #[test]
    fn retry_after_is_kept_for_429_and_503() {
        assert_eq!(
            ScimError::too_many_requests("slow down", Some(7)).retry_after_s,
            Some(7)
        );
        assert_eq!(
            ScimError::unavailable("down", Some(30)).retry_after_s,
            Some(30)
        );
        assert_eq!(ScimError::internal("x").retry_after_s, None);
    }

    #[test]
    fn scim_type_serialises_to_rfc_keyword() {
        for t in [
            ScimType::InvalidFilter,
            ScimType::TooMany,
            ScimType::Uniqueness,
            ScimType::Mutability,
            ScimType::InvalidSyntax,
            ScimType::InvalidPath,
            ScimType::NoTarget,
            ScimType::InvalidValue,
            ScimType::InvalidVers,
            ScimType::Sensitive,
        ] {
            assert_eq!(serde_json::to_value(t).ok(), Some(Value::from(t.as_str())));
        }
    }

    #[test]
    fn clip_caps_quoted_values_on_a_character_boundary() {
        assert_eq!(clip("short"), "short");
        let exact = "é".repeat(MAX_QUOTED_CHARS);
        assert_eq!(clip(&exact), exact.as_str());
        let long = format!("{}{}", "é".repeat(MAX_QUOTED_CHARS), "x".repeat(70_000));
        let clipped = clip(&long);
        assert!(clipped.starts_with(&"é".repeat(MAX_QUOTED_CHARS)));
        assert!(clipped.ends_with("... (70200 characters)"), "{clipped}");
        assert_eq!(clipped.chars().count(), MAX_QUOTED_CHARS + 22);
        // Multi-byte characters across the cut (4-byte emoji) stay whole.
        let emoji = "😀".repeat(MAX_QUOTED_CHARS + 1);
        assert!(clip(&emoji).starts_with(&"😀".repeat(MAX_QUOTED_CHARS)));
    }

    #[test]
    fn a_huge_detail_is_cut_in_the_body() {
        let err = ScimError::invalid_value(format!("userName '{}' is bad", "a".repeat(70_000)));
        let detail = err.to_body()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            detail.chars().count() <= MAX_DETAIL_CHARS,
            "{}",
            detail.len()
        );
        assert!(
            detail.ends_with("... (70018 characters)"),
            "{}",
            &detail[4000..]
        );
    }

    #[test]
    fn error_body_is_exactly_the_rfc_shape() {
        assert_eq!(
            ScimError::invalid_filter("bad filter").to_body(),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "400",
                "scimType": "invalidFilter",
                "detail": "bad filter"
            })
        );
    }
}
