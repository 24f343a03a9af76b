//! Fault injection: scripted faults ("the next N requests to this method and path answer
//! X", set through `POST /_sim/faults`) and the canned answers of random faults (5xx,
//! including a non-JSON gateway page, and per-second 429s).

use std::collections::BTreeMap;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::json_response;

/// What a scripted fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer `status`/`body` instead of handling the request.
    Respond,
    /// Drop the connection without handling the request.
    Drop,
    /// Hang far longer than any client timeout, then drop the connection.
    Timeout,
    /// Handle the request (state changes) but drop the response: "the response was lost".
    ApplyThenDrop,
    /// Handle the request, then replace its response with `status`/`body`.
    ApplyThenRespond,
}

/// A scripted fault as posted to `POST /_sim/faults`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// HTTP method (case-insensitive); `*` matches any.
    pub method: String,
    /// Path under `/v2`: concrete (`/users/abc`) or a template (`/users/{userId}`). A
    /// leading `/v2` is accepted and ignored.
    pub path: String,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub count: u32,
    /// How many matching requests pass untouched before it applies (to fail, say, the
    /// third batch of a multi-call write).
    #[serde(default)]
    pub skip: u32,
    /// What it does.
    pub action: FaultAction,
    /// Status of `respond` / `apply_then_respond` (default 500).
    #[serde(default)]
    pub status: Option<u16>,
    /// Body of `respond` / `apply_then_respond`: JSON, or a string sent verbatim.
    #[serde(default)]
    pub body: Option<Value>,
    /// Extra headers of `respond` / `apply_then_respond`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn one() -> u32 {
    1
}

impl FaultSpec {
    /// Checks the spec and normalizes method and path.
    pub fn normalized(mut self) -> Result<Self, String> {
        self.method = self.method.trim().to_ascii_uppercase();
        if self.method.is_empty() {
            return Err("method is required".into());
        }
        let path = self.path.trim();
        let path = path.strip_prefix("/v2").unwrap_or(path);
        if !path.starts_with('/') {
            return Err("path must start with '/'".into());
        }
        self.path = path.trim_end_matches('/').to_owned();
        if self.path.is_empty() {
            self.path = "/".into();
        }
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        if let Some(status) = self.status
            && StatusCode::from_u16(status).is_err()
        {
            return Err(format!("invalid status {status}"));
        }
        for (name, value) in &self.headers {
            if HeaderName::from_bytes(name.as_bytes()).is_err()
                || HeaderValue::from_str(value).is_err()
            {
                return Err(format!("invalid header {name}"));
            }
        }
        Ok(self)
    }

    fn matches(&self, method: &str, path: &str, template: &str) -> bool {
        (self.method == "*" || self.method == method)
            && (self.path == path || self.path == template)
    }

    /// The injected answer of `respond` / `apply_then_respond`.
    pub fn response(&self) -> Response {
        let status = self
            .status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = match &self.body {
            Some(Value::String(text)) => {
                let mut r = (status, text.clone()).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain;charset=UTF-8"),
                );
                r
            }
            Some(body) => json_response(status, body),
            None => json_response(
                status,
                &json!({"code": status.as_u16(), "message": "Injected fault."}),
            ),
        };
        for (name, value) in &self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                response.headers_mut().insert(n, v);
            }
        }
        response
    }
}

/// A pending scripted fault with its id and remaining count.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScriptedFault {
    /// Id, for listings.
    pub id: u64,
    /// The spec (its `count` is what remains).
    #[serde(flatten)]
    pub spec: FaultSpec,
}

/// Pending scripted faults, matched in the order they were added.
#[derive(Debug, Default)]
pub struct FaultQueue {
    faults: Vec<ScriptedFault>,
    next_id: u64,
}

impl FaultQueue {
    /// Adds a fault, returning it with its id.
    pub fn push(&mut self, spec: FaultSpec) -> ScriptedFault {
        self.next_id += 1;
        let fault = ScriptedFault {
            id: self.next_id,
            spec,
        };
        self.faults.push(fault.clone());
        fault
    }

    /// Takes one use of the first fault matching the request, if any. While that fault
    /// still has requests to `skip`, the request passes untouched and uses up one skip.
    pub fn take(&mut self, method: &str, path: &str, template: &str) -> Option<FaultSpec> {
        let index = self
            .faults
            .iter()
            .position(|f| f.spec.matches(method, path, template))?;
        let fault = &mut self.faults[index];
        if fault.spec.skip > 0 {
            fault.spec.skip -= 1;
            return None;
        }
        let taken = fault.spec.clone();
        fault.spec.count -= 1;
        if fault.spec.count == 0 {
            self.faults.remove(index);
        }
        Some(taken)
    }

    /// The pending faults.
    pub fn list(&self) -> Vec<ScriptedFault> {
        self.faults.clone()
    }

    /// Removes every pending fault.
    pub fn clear(&mut self) {
        self.faults.clear();
    }
}

/// A gateway's HTML 502 page, as load balancers in front of Zoom send it.
const BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

/// The answer of a random server fault; `pick` in `0..3` chooses 500 (JSON), 502 (HTML
/// gateway page) or 503 (JSON).
pub fn server_fault(pick: u32) -> Response {
    match pick % 3 {
        0 => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"code": 500, "message": "Internal Server Error"}),
        ),
        1 => {
            let mut r = (StatusCode::BAD_GATEWAY, BAD_GATEWAY_HTML).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            r
        }
        _ => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"code": 503, "message": "Service Unavailable"}),
        ),
    }
}

/// Zoom's per-second 429 body (contract section 7.3).
pub const QPS_MESSAGE: &str =
    "You have reached the maximum per-second rate limit for this API. Try again later.";

/// Zoom's daily 429 body (contract section 7.3).
pub const DAILY_MESSAGE: &str = "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::error::ZOOM_JSON;

    fn is_zoom_json(value: &HeaderValue) -> bool {
        value.as_bytes() == ZOOM_JSON.as_bytes()
    }

    fn spec(method: &str, path: &str, count: u32) -> FaultSpec {
        FaultSpec {
            method: method.into(),
            path: path.into(),
            count,
            skip: 0,
            action: FaultAction::Respond,
            status: Some(503),
            body: None,
            headers: BTreeMap::new(),
        }
        .normalized()
        .expect("valid")
    }

    #[test]
    fn matches_concrete_and_template_paths_and_counts_down() {
        let mut q = FaultQueue::default();
        q.push(spec("post", "/v2/users", 2));
        q.push(spec("GET", "/users/{userId}", 1));
        assert!(q.take("GET", "/users", "/users").is_none());
        assert!(q.take("POST", "/users", "/users").is_some());
        assert_eq!(q.list()[0].spec.count, 1);
        assert!(q.take("POST", "/users", "/users").is_some());
        assert!(q.take("POST", "/users", "/users").is_none());
        assert!(q.take("GET", "/users/abc", "/users/{userId}").is_some());
        assert!(q.list().is_empty());
    }

    #[test]
    fn skipped_requests_pass_before_the_fault_applies() {
        let mut q = FaultQueue::default();
        let mut third = spec("POST", "/groups/{groupId}/members", 1);
        third.skip = 2;
        q.push(third);
        let t = "/groups/{groupId}/members";
        assert!(q.take("POST", "/groups/g/members", t).is_none());
        assert!(q.take("POST", "/groups/g/members", t).is_none());
        assert_eq!(q.list()[0].spec.skip, 0);
        assert!(q.take("POST", "/groups/g/members", t).is_some());
        assert!(q.take("POST", "/groups/g/members", t).is_none());
        assert!(q.list().is_empty());
    }

    #[test]
    fn rejects_bad_specs() {
        let mut s = spec("GET", "/users", 1);
        s.count = 0;
        assert!(s.normalized().is_err());
        let mut s = spec("GET", "/users", 1);
        s.path = "users".into();
        assert!(s.normalized().is_err());
        let mut s = spec("GET", "/users", 1);
        s.status = Some(1000);
        assert!(s.normalized().is_err());
    }

    #[test]
    fn gateway_fault_is_html() {
        let r = server_fault(1);
        assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(
            r.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes()),
            Some(&b"text/html"[..])
        );
        assert!(
            server_fault(0)
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(is_zoom_json)
        );
    }
}
