//! `DELETE /users/{userId}`: disassociate or delete, with the owner, admins, pending
//! users and data transfers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::get_user_seq;
use crate::simulator::error::{ApiResult, SimError, empty_response};
use crate::simulator::state::{ADMIN_ROLE, OWNER_ROLE, Sim, UserStatus};
use crate::simulator::webhooks::SimEvent;

fn query_bool(q: &HashMap<String, String>, key: &str) -> Result<bool, SimError> {
    match q.get(key).map(|s| s.trim()) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(SimError::invalid(format!("Invalid parameter: {key}."))),
    }
}

const TRANSFERS: [&str; 8] = [
    "transfer_meeting",
    "transfer_webinar",
    "transfer_recording",
    "transfer_whiteboard",
    "transfer_clipfiles",
    "transfer_notes",
    "transfer_visitors",
    "transfer_docs",
];

pub(super) async fn delete_user(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let mut world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    let action = match q.get("action").map(|a| a.trim()) {
        None | Some("") | Some("disassociate") => "disassociate",
        Some("delete") => "delete",
        Some(_) => return Err(SimError::invalid("Invalid parameter: action.")),
    };
    let mut any_transfer = false;
    for t in TRANSFERS {
        any_transfer |= query_bool(&q, t)?;
    }
    let user = world
        .user(seq)
        .ok_or_else(|| SimError::user_not_found(&key))?;
    let pending = user.status() == UserStatus::Pending;
    if pending && action == "delete" {
        // contract section 3.5: "Note: To delete pending user in the account, use `disassociate`."
        return Err(SimError::invalid(
            "To delete pending user in the account, use disassociate",
        ));
    }
    if world.owner() == Some(seq) || user.role_id() == OWNER_ROLE {
        return Err(SimError::bad_request(
            200,
            "The account owner cannot be deleted or disassociated.",
        ));
    }
    if action == "disassociate" && !pending && user.role_id() == ADMIN_ROLE {
        return Err(SimError::bad_request(
            1117,
            "You can not disassociate an Admin user",
        ));
    }
    let transfer_email = q
        .get("transfer_email")
        .map(|e| e.trim())
        .filter(|e| !e.is_empty());
    match transfer_email {
        Some(target) => {
            if target.eq_ignore_ascii_case(user.email()) {
                return Err(SimError::invalid(
                    "The transfer-to email address cannot be the same as the unlinked or deleted user's email address.",
                ));
            }
            if world.find_by_email(target).is_none() {
                return Err(SimError::invalid(format!(
                    "Invalid parameter: transfer_email. User does not exist: {target}."
                )));
            }
        }
        None if any_transfer => {
            return Err(SimError::invalid(
                "transfer_email is required to transfer the user's data.",
            ));
        }
        None => {}
    }
    let object = world.event_object(seq);
    world.remove_user(seq);
    let event = if action == "delete" {
        "user.deleted"
    } else {
        "user.disassociated"
    };
    world.emit(SimEvent::new(event, object));
    Ok(empty_response(StatusCode::NO_CONTENT))
}
