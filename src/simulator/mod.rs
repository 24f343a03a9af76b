//! A simulator of the Zoom REST API v2: a real HTTP server with in-memory state that
//! behaves like Zoom, unkind parts included (status and error codes, pending users,
//! expiring query-bound page tokens, per-plan rate limits with their headers, latency
//! and injected faults). It is an independent implementation of Zoom's JSON: it shares
//! no code with [`crate::zoom`].
//!
//! # Parts
//!
//! - `state/`: the account (`World`: users, groups, roles, Zoom Phone, with their
//!   indexes) and the runtime state every handler shares (`Sim`).
//! - Endpoints by family: `users/`, `groups.rs`, `roles.rs`, `phone.rs` (its data and
//!   rules in `phone_book.rs`), `oauth.rs` (tokens) and `admin.rs` (`/_sim`).
//! - Around every API call: `gate.rs` (token, rate limits, faults, latency, headers),
//!   with `ratelimit.rs`, `faults.rs`, `stats.rs` and `conn.rs` (connections a fault
//!   drops).
//! - Shared by the handlers: `body.rs` (request checks), `error.rs` (Zoom's error
//!   bodies), `paging.rs` (page sizes and tokens).
//! - Data and knobs: `seed.rs` and `phone_seed.rs` (the seeded account), `settings.rs`.
//!
//! # URL layout
//!
//! - `POST /oauth/token`: Server-to-Server OAuth (`account_credentials`).
//! - `/v2/...`: the API: users, user status/e-mail/token/settings, groups, group
//!   members, roles, role members, Zoom Phone (users, calling plans, numbers, sites;
//!   see `phone.rs`). Every call needs a bearer token; every answer carries
//!   `X-RateLimit-Category`, `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//!   `x-zm-trackingid`; 429s add `X-RateLimit-Type` and `Retry-After`.
//! - `/_sim/...`: the admin API below (no token; loopback peers only, else 403).
//!
//! # Admin API
//!
//! | Method and path | What it does |
//! |---|---|
//! | `GET /_sim/state` | The whole state: `{"account", "users": [...], "groups": [{id, name, member_ids}], "roles": [{id, name, member_count}], "phone": {enabled, licences, numbers, calling_plans, sites}}`; users carry `zoom_phone`, `phone` (`null` or `{extension_number, site_id, site_name, calling_plans, phone_numbers}`), `email_change_count`, `logged_out_count`. |
//! | `GET /_sim/stats` | Counters: `requests` by `"METHOD /template"`, `by_category`, `throttled` (`QPS`, `Daily-limit`), `faults_injected`, `tokens_issued`, `token_requests` (refused ones too), `total`, `in_flight` and `peak_in_flight` (API requests being handled now, and the most at once), and `recent_requests` (the latest 10,000 requests as `"METHOD /raw/path"`, before routing). |
//! | `DELETE /_sim/stats` | Zeroes the counters. |
//! | `POST /_sim/reset` | Re-seeds from the current settings; clears stats, scripted faults, rate-limit counters and page tokens. Issued access tokens stay valid. |
//! | `GET /_sim/config` | The current [`SimSettings`]. |
//! | `PUT /_sim/config` | Merges a partial [`SimSettings`] object into the current one (400 on unknown keys or invalid values). `users` and `seed` apply at the next reset/seed. |
//! | `POST /_sim/seed` | `{"users": N, "seed": S, "phone_sites": N, "phone_spare_licences": N, "phone_spare_numbers": N, "phone_spare_plan_seats": N}` (all optional): re-seeds with these figures. |
//! | `POST /_sim/tokens/revoke` | Revokes every access token (to test re-authentication). |
//! | `POST /_sim/users/{userId}/activate` | A pending invitee confirms now (409 if not pending). |
//! | `PATCH /_sim/users/{userId}` | An out-of-band change, as an admin makes it in Zoom's portal: any `PATCH /users/{userId}` field, plus `email` and `status` (`active`/`inactive`); no token, no rate limit, not in the stats; answers the user as `/_sim/state` shows it (400 for a bad value, 404, 409 for an e-mail in use or a pending user's profile). |
//! | `GET /_sim/webhooks` | Webhook deliveries: `{"deliveries": [{seq, event, object_id, attempts: [{status, error?}], delivered, body}]}` (the latest 10,000). |
//! | `DELETE /_sim/webhooks` | Forgets them. |
//! | `POST /_sim/faults` | Adds a scripted fault: `{"method", "path", "count", "skip"?, "action", "status"?, "body"?, "headers"?}` (`skip`: matching requests let through first); `path` is concrete (`/users/abc`) or a template (`/users/{userId}`); `action` is `respond`, `drop`, `timeout`, `apply_then_drop` or `apply_then_respond`. |
//! | `GET /_sim/faults` | Lists pending scripted faults. |
//! | `DELETE /_sim/faults` | Clears them. |
//!
//! # Behaviour choices where Zoom's documents are silent
//!
//! - `PUT /users/{id}/status` on a pending user: 400 code 300; on the owner or an Admin
//!   (role `1`): 400 code 200 "Zoom Room and Admin users' status cannot be activated or
//!   deactivated.".
//! - `PATCH /users/{id}` on a deactivated user: 400 code 1053 "User is deactivated."; on
//!   a pending user: 204 and nothing applied except `group_id`.
//! - `POST /groups/{id}/members` with a pending user: 201, user not added (knob
//!   `pending_group_adds_ignored`).
//! - `POST`/`DELETE` role members of Owner (`0`) or Member (`2`): 400 code 300 (contract 10);
//!   `DELETE` from another role makes the user a Member.
//! - Webhooks (`webhook_url`, `webhook_secret`; `webhooks.rs`): every change made
//!   through the API or the admin API is posted as Zoom's event, signed, retried after
//!   `webhook_retry_delays_ms` when not answered 2xx within three seconds. Role and
//!   Zoom Phone changes send none (Zoom documents none for them among the user
//!   events).
//! - Seeded pending users never confirm on their own; users invited through the API
//!   confirm after `activate_pending_after_s` if set.

mod admin;
mod body;
mod conn;
mod error;
mod faults;
mod gate;
mod groups;
mod oauth;
mod paging;
mod phone;
mod phone_book;
mod phone_seed;
mod ratelimit;
mod roles;
mod seed;
mod settings;
mod state;
mod stats;
mod users;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::conn::{ConnMeta, SimListener};
use self::error::SimError;
use self::state::Sim;

pub use self::ratelimit::{Category, Family, endpoint_category};
pub use settings::{AccountPlan, SimCredentials, SimSettings};

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct SimHandle {
    /// The bound address.
    pub addr: SocketAddr,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    shutdown: watch::Sender<bool>,
    sim: Arc<Sim>,
}

impl SimHandle {
    /// The REST API base URL, ending in `/v2`.
    pub fn api_base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// The OAuth token endpoint.
    pub fn token_url(&self) -> String {
        format!("http://{}/oauth/token", self.addr)
    }

    /// The admin API base URL, ending in `/_sim`.
    pub fn admin_url(&self) -> String {
        format!("http://{}/_sim", self.addr)
    }

    /// Changes the running simulator's settings (as `PUT /_sim/config` does); refuses
    /// invalid ones.
    pub fn configure(&self, change: impl FnOnce(&mut SimSettings)) -> Result<(), String> {
        let mut settings = self.sim.settings();
        change(&mut settings);
        settings.validate()?;
        self.sim.set_settings(settings);
        Ok(())
    }

    /// Asks the server to stop: it stops accepting connections, hanging requests give
    /// up, in-flight ones finish. [`Self::wait`] returns once it has stopped.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Waits until the server stops.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Answer for paths that do not exist.
async fn not_found() -> Response {
    let mut response = SimError::new(
        StatusCode::NOT_FOUND,
        2300,
        "This API endpoint is not recognized.",
    )
    .into_response();
    gate::add_tracking_id(response.headers_mut());
    response
}

fn router(sim: Arc<Sim>) -> Router {
    let api = Router::new()
        .merge(users::routes())
        .merge(groups::routes())
        .merge(roles::routes())
        .merge(phone::routes(sim.clone()))
        .route_layer(middleware::from_fn_with_state(sim.clone(), gate::api_gate));
    Router::new()
        .route("/oauth/token", post(oauth::token))
        .merge(api)
        .merge(admin::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(sim.clone(), log_request))
        .with_state(sim)
}

/// Records every request but the admin API's in [`stats::Stats::recent_requests`],
/// with its path as it arrived, before routing.
async fn log_request(
    axum::extract::State(sim): axum::extract::State<Arc<Sim>>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/_sim/") {
        sim.stats().log_request(request.method().as_str(), path);
    }
    next.run(request).await
}

/// Starts the simulator on `listener`, seeded from `settings`.
pub async fn spawn(
    settings: SimSettings,
    credentials: SimCredentials,
    listener: TcpListener,
) -> anyhow::Result<SimHandle> {
    settings.validate().map_err(anyhow::Error::msg)?;
    let addr = listener.local_addr()?;
    let world = seed::generate(&settings, &credentials);
    let (shutdown, stopped) = watch::channel(false);
    let sim = Arc::new(Sim::new(
        format!("http://{addr}"),
        credentials,
        settings,
        world,
        stopped.clone(),
    ));
    tokio::spawn(webhooks::run(sim.clone()));
    let app = router(sim.clone()).into_make_service_with_connect_info::<ConnMeta>();
    let mut stop_signal = stopped;
    let task = tokio::spawn(async move {
        axum::serve(SimListener::new(listener), app)
            .with_graceful_shutdown(async move {
                let _ = stop_signal.wait_for(|stopped| *stopped).await;
            })
            .await?;
        Ok(())
    });
    Ok(SimHandle {
        addr,
        task: Some(task),
        shutdown,
        sim,
    })
}
