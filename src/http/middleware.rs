//! Request ids and request spans: every log line written while handling a request
//! carries its `request_id` (taken from `X-Request-Id` when the client sends one).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The request id header, read from the client and echoed on the response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn new_request_id() -> String {
    // A process-unique, sortable id; random per process start so ids from two runs
    // do not collide in aggregated logs.
    static PREFIX: std::sync::LazyLock<u32> = std::sync::LazyLock::new(rand::random);
    format!(
        "{:08x}-{:06}",
        *PREFIX,
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    )
}

/// The route label of every request no route matched.
const UNMATCHED: &str = "(unmatched)";

/// The method label of every method outside [`STANDARD_METHODS`].
pub const OTHER_METHOD: &str = "other";

/// The methods of RFC 9110 section 9 and PATCH (RFC 5789): each is its own label.
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The metrics label of `method`: its name when standard, else [`OTHER_METHOD`].
pub fn method_label(method: &axum::http::Method) -> &'static str {
    STANDARD_METHODS
        .iter()
        .find(|m| **m == method.as_str())
        .copied()
        .unwrap_or(OTHER_METHOD)
}

/// The longest raw request value (method, path) written to the log, in characters.
const MAX_LOGGED_CHARS: usize = 200;

/// A raw request value as the log shows it: clipped, control characters escaped.
fn log_value(raw: &str) -> String {
    let clipped = match raw.char_indices().nth(MAX_LOGGED_CHARS) {
        None => raw,
        Some((end, _)) => &raw[..end],
    };
    let escaped = crate::telemetry::escape_controls(clipped);
    if clipped.len() < raw.len() {
        format!("{escaped}... ({} bytes)", raw.len())
    } else {
        escaped.into_owned()
    }
}

/// Wraps each request in a span with its id, method and route, and logs one line
/// when it completes (status and duration).
pub async fn trace_requests(mut request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    // Metrics labels come from closed sets: route templates (every unmatched path is one
    // label), the standard methods (any other is `other`) and numeric statuses. The log
    // shows an unmatched request's raw path, clipped and with control characters escaped.
    let route_label = matched.clone().unwrap_or_else(|| UNMATCHED.to_owned());
    let route = matched.unwrap_or_else(|| log_value(request.uri().path()));
    let method_label = method_label(request.method());
    let method = if method_label == OTHER_METHOD {
        log_value(request.method().as_str())
    } else {
        method_label.to_owned()
    };
    let span = tracing::info_span!("request", request_id = %request_id, %method, route = %route);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        request.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    let started = Instant::now();
    async move {
        let mut response = next.run(request).await;
        let status = response.status().as_u16();
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::warn!(status, elapsed_ms, "Request failed.");
        } else {
            tracing::info!(status, elapsed_ms, "Request served.");
        }
        metrics::counter!("scim_requests_total", "method" => method_label, "route" => route_label.clone(), "status" => status.to_string()).increment(1);
        metrics::histogram!(
            "scim_request_duration_seconds",
            "method" => method_label,
            "route" => route_label,
            "status_class" => status_class(status)
        )
        .record(elapsed_ms / 1000.0);
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID.clone(), value);
        }
        response
    }
    .instrument(span)
    .await
}

/// Largest request target (path and query) accepted, in bytes.
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// Largest total size of the request headers (names and values) accepted, in bytes.
/// Generous for bearer JWTs and proxy headers; hyper itself refuses heads above about
/// 400 KiB with a bare 431 before any handler runs.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Refuses oversized request heads with a SCIM error body: 414 for a request target
/// above [`MAX_URI_BYTES`] (RFC 9110 section 15.5.15) and 431 for headers above
/// [`MAX_HEADER_BYTES`] (RFC 6585 section 5).
pub async fn limit_request_head(request: Request, next: Next) -> Response {
    use axum::response::IntoResponse;

    use crate::scim::error::ScimError;

    let uri_len = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return ScimError::new(
            414,
            None,
            format!(
                "request target of {uri_len} bytes exceeds {MAX_URI_BYTES}; send long filters with POST .search"
            ),
        )
        .into_response();
    }
    let header_len: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if header_len > MAX_HEADER_BYTES {
        return ScimError::new(
            431,
            None,
            format!("request headers of {header_len} bytes exceed {MAX_HEADER_BYTES}"),
        )
        .into_response();
    }
    next.run(request).await
}

/// `2xx`, `4xx`, ...: a closed set of labels for the duration histogram.
fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_labels_are_a_closed_set() {
        for m in ["GET", "PATCH", "DELETE"] {
            assert_eq!(method_label(&m.parse().unwrap()), m);
        }
        for m in ["FOO", "get", "PROPFIND", "X".repeat(1000).as_str()] {
            assert_eq!(method_label(&m.parse().unwrap()), OTHER_METHOD);
        }
    }

    #[test]
    fn logged_values_are_clipped_and_escaped() {
        assert_eq!(log_value("/scim/v2/Users/a"), "/scim/v2/Users/a");
        assert_eq!(log_value("/a\r\nforged"), "/a\\r\\nforged");
        let long = log_value(&"x".repeat(10_000));
        assert!(
            long.len() < 300 && long.ends_with("... (10000 bytes)"),
            "{long}"
        );
    }
}
