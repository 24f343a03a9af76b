//! Zoom-style error answers (`{"code", "message", "errors"?}`) and the JSON response
//! helper every simulator answer goes through.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Zoom's JSON content type, as recorded on live responses
/// (`application/json;charset=UTF-8`, contract section 1).
pub const ZOOM_JSON: &str = "application/json;charset=UTF-8";

/// One entry of a validation error's `errors` array.
#[derive(Debug, Clone, PartialEq)]
pub struct SimFieldError {
    /// The offending field, dotted (`user_info.email`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl SimFieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error answer: HTTP status, Zoom body code and message, optional field errors and
/// extra headers (e.g. `Retry-After`).
#[derive(Debug, Clone)]
pub struct SimError {
    /// HTTP status.
    pub status: StatusCode,
    /// Zoom's body `code`.
    pub code: i64,
    /// Zoom's body `message`.
    pub message: String,
    /// Field errors (`errors` array; omitted when empty).
    pub errors: Vec<SimFieldError>,
    /// Extra response headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl SimError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: i64, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// Zoom (contract section 1): 400 code 300 "Validation Failed." with an `errors` array.
    pub fn validation(errors: Vec<SimFieldError>) -> Self {
        let mut e = Self::bad_request(300, "Validation Failed.");
        e.errors = errors;
        e
    }

    /// 400 code 300 with a plain message (Zoom's "invalid parameter" family).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::bad_request(300, message)
    }

    /// 400 code 300 for a body that is not a JSON object.
    pub fn bad_json() -> Self {
        Self::invalid("Request Body should be a valid JSON object.")
    }

    /// `GET /users/{userId}` 404 (contract section 3.3): code 1001 `User does not exist: $userId.`
    pub fn user_not_found(key: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            1001,
            format!("User does not exist: {key}."),
        )
    }

    /// Groups 404 (contract section 4): code 4130 "A group with this {groupId} does not exist."
    pub fn group_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            4130,
            format!("A group with this {id} does not exist."),
        )
    }

    /// Roles 400 (contract section 10): code 1034 "Provided `role_id` does not exist."
    pub fn role_not_found() -> Self {
        Self::bad_request(1034, "Provided `role_id` does not exist.")
    }

    /// Groups: 400 code 200 on free accounts (contract section 4).
    pub fn paid_only() -> Self {
        Self::bad_request(200, "Only available for Paid account.")
    }

    /// Adds a response header (ignored if the value is not a valid header value).
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }

    /// The JSON body Zoom sends for this error.
    pub fn body(&self) -> Value {
        let mut body = json!({ "code": self.code, "message": self.message });
        if !self.errors.is_empty() {
            body["errors"] = self
                .errors
                .iter()
                .map(|e| json!({ "field": e.field, "message": e.message }))
                .collect();
        }
        body
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status, &self.body());
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}

/// Result of an API handler.
pub type ApiResult = Result<Response, SimError>;

/// A JSON answer with Zoom's content type.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    json_bytes_response(status, bytes)
}

/// Already serialized JSON with Zoom's content type.
pub fn json_bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = (status, bytes).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ZOOM_JSON));
    response
}

/// An empty answer (204 and friends).
pub fn empty_response(status: StatusCode) -> Response {
    status.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_error_has_zoom_shape() {
        let e = SimError::validation(vec![SimFieldError::new(
            "user_info.email",
            "Invalid field.",
        )]);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            e.body(),
            json!({"code": 300, "message": "Validation Failed.",
                   "errors": [{"field": "user_info.email", "message": "Invalid field."}]})
        );
    }

    #[test]
    fn plain_error_has_no_errors_array() {
        let e = SimError::user_not_found("abc");
        assert_eq!(
            e.body(),
            json!({"code": 1001, "message": "User does not exist: abc."})
        );
    }
}
