//! `PUT /users/{userId}/status` (activate, deactivate) and `DELETE /users/{userId}/token`
//! (sign the user out).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::get_user_seq;
use crate::simulator::body::{Obj, Validator, parse_object};
use crate::simulator::error::{ApiResult, SimError, empty_response};
use crate::simulator::state::{ADMIN_ROLE, OWNER_ROLE, Sim, UserStatus};

// ----- PUT /users/{userId}/status -----------------------------------------------------

pub(super) async fn update_status(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult {
    let settings = sim.settings();
    let mut world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    let body = parse_object(&body)?;
    let o = Obj::new(&body, "");
    let mut v = Validator::default();
    let action = if o.has("action") {
        v.one_of(
            &o,
            "action",
            &["activate", "deactivate", "clock_in", "clock_out"],
        )
    } else {
        v.error(&o, "action", "This field is required.");
        None
    };
    v.finish()?;
    let action = action.unwrap_or_default();
    let user = world
        .user(seq)
        .ok_or_else(|| SimError::user_not_found(&key))?;
    if user.status() == UserStatus::Pending {
        // Simulator choice (documented): a pending invitation cannot change status.
        return Err(SimError::invalid(
            "The user has not accepted the invitation yet: a pending user cannot be activated or deactivated.",
        ));
    }
    let protected =
        world.owner() == Some(seq) || user.role_id() == OWNER_ROLE || user.role_id() == ADMIN_ROLE;
    let target = match action.as_str() {
        "activate" => Some(UserStatus::Active),
        "deactivate" => Some(UserStatus::Inactive),
        _ => None,
    };
    if let Some(target) = target {
        if protected {
            return Err(SimError::bad_request(
                200,
                "Zoom Room and Admin users' status cannot be activated or deactivated.",
            ));
        }
        world.set_status(seq, target);
    }
    let status =
        StatusCode::from_u16(settings.status_success_code).unwrap_or(StatusCode::NO_CONTENT);
    Ok(empty_response(status))
}

// ----- DELETE /users/{userId}/token ---------------------------------------------------

pub(super) async fn logout(State(sim): State<Arc<Sim>>, Path(key): Path<String>) -> ApiResult {
    let mut world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    if let Some(user) = world.user_mut(seq) {
        user.logged_out_count += 1;
    }
    Ok(empty_response(StatusCode::NO_CONTENT))
}
