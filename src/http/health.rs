//! Unauthenticated operational endpoints: liveness, readiness, metrics, OpenAPI.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use std::time::{Duration, Instant};

use super::AppState;
use crate::zoom::health::ZoomAccess;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

/// How long an answer that showed Zoom working is trusted before `/readyz` looks again.
pub const READY_CACHE: Duration = Duration::from_secs(5);

/// How long an answer that showed Zoom refusing or unreachable holds before `/readyz`
/// asks again (a token request).
pub const UNREADY_HOLD: Duration = Duration::from_secs(15);

/// One readiness check at a time: probes that come together share its answer.
#[derive(Debug, Default)]
pub struct Readiness {
    check: tokio::sync::Mutex<()>,
}

/// Why the service is not ready, in fixed words (Zoom's own error text goes to the log,
/// never to an unauthenticated endpoint).
fn not_ready_detail(access: ZoomAccess) -> Option<&'static str> {
    match access {
        ZoomAccess::Working => None,
        ZoomAccess::CredentialsRefused => Some(
            "Zoom refuses the service's OAuth credentials (zoom.account_id, zoom.client_id, zoom.client_secret)",
        ),
        ZoomAccess::TokenRefused => Some("Zoom refuses the service's access tokens"),
        ZoomAccess::Unreachable => Some("Zoom cannot be reached"),
    }
}

/// Whether the last answer seen still decides readiness.
fn still_decides(at: Instant, access: ZoomAccess) -> bool {
    let hold = if access == ZoomAccess::Working {
        READY_CACHE
    } else {
        UNREADY_HOLD
    };
    at.elapsed() < hold
}

fn not_ready(detail: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({"status": "not ready", "detail": detail})),
    )
        .into_response()
}

/// `GET /readyz`: the last Zoom answer (of any request, or of this check) showed the
/// credentials accepted and Zoom reachable, and the service is not shutting down. An
/// answer is trusted for [`READY_CACHE`] (a refusal for [`UNREADY_HOLD`]); only then
/// does a probe obtain a token to look again.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.lifecycle.is_draining() {
        return not_ready("the service is shutting down");
    }
    let health = state.zoom.health();
    let mut last = health
        .last()
        .filter(|(at, access)| still_decides(*at, *access));
    if last.is_none() {
        let _one_at_a_time = state.readiness.check.lock().await;
        last = health
            .last()
            .filter(|(at, access)| still_decides(*at, *access));
        if last.is_none() {
            if let Err(err) = state.zoom.check_token().await {
                tracing::warn!(error = %err, "Readiness check: no Zoom access token.");
            }
            last = health.last();
        }
    }
    match last.and_then(|(_, access)| not_ready_detail(access)) {
        None => (StatusCode::OK, axum::Json(json!({"status": "ready"}))).into_response(),
        Some(detail) => not_ready(detail),
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(handle) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            )],
            handle.render(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /openapi.json`: the OpenAPI document of the SCIM API.
pub async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        super::openapi::document_json(),
    )
        .into_response()
}
