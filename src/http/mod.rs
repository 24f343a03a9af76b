//! The HTTP face of the service: axum routes under `scim.base_path`, bearer
//! authentication, SCIM error bodies everywhere (including 404 and 405), request ids.

mod auth;
mod discovery;
mod error;
mod extract;
mod groups;
mod health;
mod journal;
pub mod lifecycle;
mod list_body;
mod middleware;
pub mod openapi;
mod response;
mod search;
pub mod server;
mod settings;
mod users;
mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;

pub use auth::{Authenticator, ClientName, named_token};
pub use settings::{AuthConfig, JwtAlgorithm, JwtConfig, ServerConfig};
pub use webhook::WebhookEndpoint;

/// The paths the service serves outside the SCIM base path (besides the webhook's).
pub const RESERVED_PATHS: [&str; 4] = ["/healthz", "/readyz", "/metrics", "/openapi.json"];

use crate::provider::{Provider, ScimConfig};
use crate::scim::error::ScimError;
use crate::scim::query::PagingLimits;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The SCIM use cases.
    pub provider: Arc<Provider>,
    /// The `[server]` settings the service started with.
    pub server: Arc<ServerConfig>,
    /// The `[scim]` settings (paging limits, base path).
    pub scim: Arc<ScimConfig>,
    /// Absolute SCIM base URL (public URL + base path), for `meta.location`.
    pub base_url: Arc<str>,
    /// Prometheus exporter, when metrics are on.
    pub metrics: Option<PrometheusHandle>,
    /// Shutdown state and the writes under way.
    pub lifecycle: Arc<lifecycle::Lifecycle>,
    /// The Zoom client (for `/readyz`: what its last answer showed).
    pub zoom: crate::zoom::ZoomClient,
    /// One readiness check at a time.
    pub readiness: Arc<health::Readiness>,
    /// The store (the journal of writes).
    pub store: crate::store::Store,
    /// Zoom's webhooks, when `zoom.webhook_secret_token` is set.
    pub webhook: Option<Arc<WebhookEndpoint>>,
}

impl AppState {
    /// The longest wait between two chunks of a streamed listing.
    fn progress_deadline(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.server.request_timeout_s.max(1))
    }

    fn paging(&self) -> PagingLimits {
        PagingLimits {
            cap: self.scim.default_count,
        }
    }
}

async fn not_found() -> ScimError {
    ScimError::not_found("no such endpoint")
}

async fn method_not_allowed() -> ScimError {
    ScimError::method_not_allowed("method not allowed on this endpoint")
}

async fn not_implemented_me() -> ScimError {
    // RFC 7644 section 3.11: tokens here identify an IGA system, not a Zoom user.
    ScimError::not_implemented(
        "/Me is not supported: bearer tokens identify a provisioning client, not a user",
    )
}

async fn not_implemented_bulk() -> ScimError {
    ScimError::not_implemented(
        "/Bulk is not supported (ServiceProviderConfig bulk.supported is false)",
    )
}

/// Builds the whole router.
pub fn router(state: AppState, authenticator: Arc<Authenticator>) -> Router {
    let limit = extract::BodyLimit(state.server.max_body_bytes);
    let scim = Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/ResourceTypes", get(discovery::resource_types))
        .route("/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/Schemas", get(discovery::schemas))
        .route("/Schemas/{id}", get(discovery::schema))
        .route("/Users", get(users::list_users).post(users::create_user))
        .route("/Users/.search", post(users::search_users))
        .route(
            "/Users/{id}",
            get(users::get_user)
                .put(users::replace_user)
                .patch(users::patch_user)
                .delete(users::delete_user),
        )
        .route(
            "/Groups",
            get(groups::list_groups).post(groups::create_group),
        )
        .route("/Groups/.search", post(groups::search_groups))
        .route(
            "/Groups/{id}",
            get(groups::get_group)
                .put(groups::replace_group)
                .patch(groups::patch_group)
                .delete(groups::delete_group),
        )
        .route("/.search", post(search::search_root))
        .route("/Me", axum::routing::any(not_implemented_me))
        .route("/Bulk", axum::routing::any(not_implemented_bulk))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), journal::journal_writes))
        .layer(from_fn_with_state(authenticator, auth::require_bearer));
    let mut root = Router::new();
    if let Some(endpoint) = &state.webhook {
        root = root.route(&endpoint.path, post(webhook::receive));
    }
    root.route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(health::openapi))
        .nest(&state.scim.base_path.clone(), scim)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::Extension(limit))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(from_fn(middleware::limit_request_head))
        .layer(from_fn_with_state(state.clone(), server::deadline))
        .layer(from_fn(server::reserve_gate))
        .layer(from_fn(middleware::trace_requests))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |panic: Box<dyn std::any::Any + Send>| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %what, "Handler panicked.");
                axum::response::IntoResponse::into_response(ScimError::internal(
                    "internal error; see the service log",
                ))
            },
        ))
        .with_state(state)
}
