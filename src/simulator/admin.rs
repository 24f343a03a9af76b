//! The simulator's own admin API under `/_sim/` (not part of Zoom): state, stats,
//! configuration, re-seeding, token revocation, invitation confirmation and scripted
//! faults. No token is needed, but only loopback peers are served (403 otherwise).
//! The endpoints are listed in the module documentation of [`crate::simulator`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::conn::ConnMeta;
use super::error::{json_bytes_response, json_response};
use super::faults::FaultSpec;
use super::gate::add_tracking_id;
use super::phone;
use super::seed;
use super::settings::SimSettings;
use super::state::{Sim, UserStatus};
use super::users::state_view;

/// The admin routes, guarded by [`loopback_only`].
pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/_sim/state", get(state))
        .route("/_sim/stats", get(stats).delete(reset_stats))
        .route("/_sim/reset", post(reset))
        .route("/_sim/config", get(get_config).put(put_config))
        .route("/_sim/seed", post(reseed))
        .route("/_sim/tokens/revoke", post(revoke_tokens))
        .route("/_sim/users/{userId}/activate", post(activate_user))
        .route("/_sim/users/{userId}", axum::routing::patch(edit_user))
        .route("/_sim/webhooks", get(webhook_log).delete(clear_webhook_log))
        .route(
            "/_sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route_layer(middleware::from_fn(loopback_only))
}

fn admin_error(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(status, &json!({ "error": message.into() }))
}

/// Whether `peer` may use the admin API.
pub fn is_allowed_peer(peer: &SocketAddr) -> bool {
    match peer.ip() {
        std::net::IpAddr::V4(ip) => ip.is_loopback(),
        std::net::IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Refuses with 403 every peer that is not loopback, and any request whose peer is
/// unknown (a router served without connection info).
async fn loopback_only(request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<ConnMeta>>()
        .map(|c| c.0.peer);
    if !peer.is_some_and(|peer| is_allowed_peer(&peer)) {
        return admin_error(
            StatusCode::FORBIDDEN,
            "The simulator admin API only answers loopback clients.",
        );
    }
    let mut response = next.run(request).await;
    add_tracking_id(response.headers_mut());
    response
}

fn ok(body: &Value) -> Response {
    json_response(StatusCode::OK, body)
}

/// `GET /_sim/state`: the whole account as JSON. Written user by user, so a 100,000-user
/// account does not need a `Value` tree of the whole state in memory.
async fn state(State(sim): State<Arc<Sim>>) -> Response {
    let settings = sim.settings();
    let world = sim.world();
    let account = json!({
        "id": world.account.id,
        "account_number": world.account.account_number,
        "cluster": world.account.cluster,
        "domain": world.account.domain,
        "managed_domains": world.account.managed_domains,
        "owner_id": world.owner().and_then(|s| world.user(s)).map(|u| u.id().to_owned()),
        "plan": settings.plan,
        "phone_enabled": settings.phone_enabled,
        "user_counts": {
            "total": world.user_count(),
            "active": world.count_status(UserStatus::Active),
            "inactive": world.count_status(UserStatus::Inactive),
            "pending": world.count_status(UserStatus::Pending),
        },
    });
    let groups: Vec<Value> = world
        .groups_after(0)
        .map(|(_, g)| {
            let member_ids: Vec<&str> = g
                .members()
                .iter()
                .filter_map(|s| world.user(*s).map(|u| u.id()))
                .collect();
            json!({"id": g.id, "name": g.name, "member_ids": member_ids})
        })
        .collect();
    let roles: Vec<Value> = world
        .roles()
        .iter()
        .map(|r| json!({"id": &*r.id, "name": r.name, "member_count": r.total_members()}))
        .collect();
    let phone = phone::account_state(&world, settings.phone_enabled);
    let mut out = Vec::with_capacity(1024 + world.user_count() * 1024);
    let written = (|| -> serde_json::Result<()> {
        out.extend_from_slice(b"{\"account\":");
        serde_json::to_writer(&mut out, &account)?;
        out.extend_from_slice(b",\"users\":[");
        for (i, (_, user)) in world.users_after(0).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut out, &state_view(&world, user))?;
        }
        out.extend_from_slice(b"],\"groups\":");
        serde_json::to_writer(&mut out, &groups)?;
        out.extend_from_slice(b",\"roles\":");
        serde_json::to_writer(&mut out, &roles)?;
        out.extend_from_slice(b",\"phone\":");
        serde_json::to_writer(&mut out, &phone)?;
        out.push(b'}');
        Ok(())
    })();
    drop(world);
    match written {
        Ok(()) => json_bytes_response(StatusCode::OK, out),
        Err(e) => admin_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /_sim/stats`.
async fn stats(State(sim): State<Arc<Sim>>) -> Response {
    let stats = sim.stats().clone();
    ok(&serde_json::to_value(stats).unwrap_or_default())
}

/// `DELETE /_sim/stats`: zero the counters.
async fn reset_stats(State(sim): State<Arc<Sim>>) -> Response {
    sim.stats().reset();
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /_sim/reset`: re-seed from the current settings, clear stats, scripted faults,
/// rate-limit counters and page tokens. Issued access tokens stay valid, so a running
/// client is not disturbed.
async fn reset(State(sim): State<Arc<Sim>>) -> Response {
    let settings = sim.settings();
    let world = seed::generate(&settings, &sim.credentials);
    *sim.world() = world;
    sim.stats().reset();
    sim.faults().clear();
    sim.webhooks.clear_log();
    *sim.limiter() = Default::default();
    ok(&json!({"users": settings.users, "seed": settings.seed}))
}

/// `GET /_sim/config`.
async fn get_config(State(sim): State<Arc<Sim>>) -> Response {
    ok(&serde_json::to_value(sim.settings()).unwrap_or_default())
}

/// Merges a partial settings object into `current`.
pub fn merge_settings(current: &SimSettings, patch: &Value) -> Result<SimSettings, String> {
    let Some(patch) = patch.as_object() else {
        return Err("the body must be a JSON object".into());
    };
    let mut merged = serde_json::to_value(current).map_err(|e| e.to_string())?;
    let Some(target) = merged.as_object_mut() else {
        return Err("settings are not an object".into());
    };
    for (key, value) in patch {
        if !target.contains_key(key) {
            return Err(format!("unknown setting `{key}`"));
        }
        target.insert(key.clone(), value.clone());
    }
    let settings: SimSettings = serde_json::from_value(merged).map_err(|e| e.to_string())?;
    settings.validate()?;
    Ok(settings)
}

/// `PUT /_sim/config`: partial settings merged into the current ones. `users` and
/// `seed` take effect at the next reset or seed.
async fn put_config(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let patch: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
    };
    match merge_settings(&sim.settings(), &patch) {
        Ok(settings) => {
            sim.set_settings(settings.clone());
            ok(&serde_json::to_value(settings).unwrap_or_default())
        }
        Err(e) => admin_error(StatusCode::BAD_REQUEST, e),
    }
}

/// `POST /_sim/seed` `{"users": N, "seed": S, "phone_sites": N, "phone_spare_licences":
/// N, "phone_spare_numbers": N, "phone_spare_plan_seats": N}` (all optional): re-seed
/// with new figures.
async fn reseed(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let patch: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return admin_error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
        }
    };
    let Some(map) = patch.as_object() else {
        return admin_error(StatusCode::BAD_REQUEST, "the body must be a JSON object");
    };
    const SEED_KEYS: [&str; 6] = [
        "users",
        "seed",
        "phone_sites",
        "phone_spare_licences",
        "phone_spare_numbers",
        "phone_spare_plan_seats",
    ];
    if let Some(key) = map.keys().find(|k| !SEED_KEYS.contains(&k.as_str())) {
        return admin_error(StatusCode::BAD_REQUEST, format!("unknown field `{key}`"));
    }
    let settings = match merge_settings(&sim.settings(), &patch) {
        Ok(s) => s,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, e),
    };
    let world = seed::generate(&settings, &sim.credentials);
    sim.set_settings(settings.clone());
    *sim.world() = world;
    ok(&json!({"users": settings.users, "seed": settings.seed}))
}

/// `POST /_sim/tokens/revoke`: every issued access token stops working.
async fn revoke_tokens(State(sim): State<Arc<Sim>>) -> Response {
    let revoked = sim.tokens().revoke_all();
    ok(&json!({ "revoked": revoked }))
}

/// `POST /_sim/users/{userId}/activate`: the invitee confirms now.
async fn activate_user(State(sim): State<Arc<Sim>>, Path(key): Path<String>) -> Response {
    let mut world = sim.world();
    let Some(seq) = world.resolve_user(&key) else {
        return admin_error(StatusCode::NOT_FOUND, format!("no user {key}"));
    };
    if world.user(seq).map(|u| u.status()) != Some(UserStatus::Pending) {
        return admin_error(StatusCode::CONFLICT, format!("user {key} is not pending"));
    }
    world.set_status(seq, UserStatus::Active);
    match world.user(seq) {
        Some(u) => ok(&state_view(&world, u)),
        None => admin_error(StatusCode::NOT_FOUND, format!("no user {key}")),
    }
}

/// `PATCH /_sim/users/{userId}`: an out-of-band change, as an admin makes it in Zoom's
/// portal: no token, no rate limit, not counted in the stats; reported as webhook
/// events like any other change (see [`super::users::admin_edit`]).
async fn edit_user(State(sim): State<Arc<Sim>>, Path(key): Path<String>, body: Bytes) -> Response {
    let body = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(body)) => body,
        _ => return admin_error(StatusCode::BAD_REQUEST, "the body must be a JSON object"),
    };
    let mut world = sim.world();
    let Some(seq) = world.resolve_user(&key) else {
        return admin_error(StatusCode::NOT_FOUND, format!("no user {key}"));
    };
    if let Err(e) = super::users::admin_edit(&mut world, seq, &body) {
        return admin_error(e.status, e.message);
    }
    match world.user(seq) {
        Some(u) => ok(&state_view(&world, u)),
        None => admin_error(StatusCode::NOT_FOUND, format!("no user {key}")),
    }
}

/// `GET /_sim/webhooks`: every webhook delivery so far, with its attempts.
async fn webhook_log(State(sim): State<Arc<Sim>>) -> Response {
    ok(&json!({ "deliveries": sim.webhooks.log() }))
}

/// `DELETE /_sim/webhooks`: forget the delivery log.
async fn clear_webhook_log(State(sim): State<Arc<Sim>>) -> Response {
    sim.webhooks.clear_log();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /_sim/faults`: pending scripted faults.
async fn list_faults(State(sim): State<Arc<Sim>>) -> Response {
    let faults = sim.faults().list();
    ok(&json!({ "faults": faults }))
}

/// `POST /_sim/faults`: add a scripted fault (see [`FaultSpec`]).
async fn add_fault(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let spec: FaultSpec = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, format!("invalid fault: {e}")),
    };
    match spec.normalized() {
        Ok(spec) => {
            let fault = sim.faults().push(spec);
            json_response(
                StatusCode::CREATED,
                &serde_json::to_value(fault).unwrap_or_default(),
            )
        }
        Err(e) => admin_error(StatusCode::BAD_REQUEST, e),
    }
}

/// `DELETE /_sim/faults`: drop every pending scripted fault.
async fn clear_faults(State(sim): State<Arc<Sim>>) -> Response {
    sim.faults().clear();
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_peers_are_allowed() {
        let ok = |s: &str| is_allowed_peer(&s.parse::<SocketAddr>().expect("addr"));
        assert!(ok("127.0.0.1:5000"));
        assert!(ok("127.8.9.10:5000"));
        assert!(ok("[::1]:5000"));
        assert!(ok("[::ffff:127.0.0.1]:5000"));
        assert!(!ok("10.0.0.5:5000"));
        assert!(!ok("192.168.1.2:5000"));
        assert!(!ok("[2001:db8::1]:5000"));
        assert!(!ok("[::ffff:10.0.0.1]:5000"));
    }

    #[tokio::test]
    async fn a_request_without_a_known_peer_is_refused() {
        use tower::ServiceExt;

        let settings = SimSettings::default();
        let credentials = super::super::SimCredentials::default();
        let world = seed::generate(&settings, &credentials);
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        let sim = Arc::new(Sim::new(
            "http://127.0.0.1:1".into(),
            credentials,
            settings,
            world,
            stopped,
        ));
        let request = || {
            axum::http::Request::get("/_sim/stats")
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let app = routes().with_state(sim);
        let response = app.clone().oneshot(request()).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);

        let mut known = request();
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        known.extensions_mut().insert(ConnectInfo(ConnMeta {
            peer,
            kill: Default::default(),
        }));
        let response = app.oneshot(known).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[test]
    fn config_merge_is_partial_and_checked() {
        let base = SimSettings::default();
        let merged =
            merge_settings(&base, &json!({"latency_ms": 25, "plan": "free"})).expect("valid");
        assert_eq!(merged.latency_ms, 25);
        assert_eq!(merged.plan, crate::simulator::AccountPlan::Free);
        assert_eq!(merged.users, base.users);
        assert!(merge_settings(&base, &json!({"nope": 1})).is_err());
        assert!(merge_settings(&base, &json!({"fail_rate": 2.0})).is_err());
        assert!(merge_settings(&base, &json!({"duplicate_status": 500})).is_err());
        assert!(merge_settings(&base, &json!({"latency_ms": "slow"})).is_err());
        assert!(merge_settings(&base, &json!([1])).is_err());
    }
}
