//! Zoom's Roles endpoints (contract section 10): list and read roles, list,
//! assign and withdraw role members. A user holds exactly one role; withdrawing a role
//! puts the user back to Member (`2`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use chrono::Utc;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::body::parse_object;
use super::error::{ApiResult, SimError, empty_response, json_response};
use super::groups::{member_page, resolve_members};
use super::paging::{self, cut};
use super::settings::AccountPlan;
use super::state::{MEMBER_ROLE, OWNER_ROLE, Role, Sim, World};
use super::users::timestamp;

/// `GET /roles/{roleId}/members` `page_size` maximum (contract section 2).
const MAX_MEMBER_PAGE: u32 = 300;

/// The role routes.
pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/v2/roles", get(list_roles))
        .route("/v2/roles/{roleId}", get(get_role))
        .route(
            "/v2/roles/{roleId}/members",
            get(list_members).post(add_members),
        )
        .route(
            "/v2/roles/{roleId}/members/{memberId}",
            delete(remove_member),
        )
}

/// contract section 10: roles need "Pro or higher plan".
fn require_paid(sim: &Sim) -> Result<(), SimError> {
    if sim.settings().plan == AccountPlan::Free {
        Err(SimError::bad_request(
            200,
            "Only available for Paid account.",
        ))
    } else {
        Ok(())
    }
}

fn role<'a>(world: &'a World, id: &str) -> Result<&'a Role, SimError> {
    world.role(id).ok_or_else(SimError::role_not_found)
}

fn role_json(role: &Role) -> Value {
    json!({
        "id": &*role.id,
        "name": role.name,
        "description": role.description,
        "type": "common",
        "total_members": role.total_members(),
    })
}

/// `AddRoleMembers` 400 code 300 (contract 10): "Can't delete or add members for Normal/Owner
/// roles." Members leave a custom or Admin role by `DELETE`, which makes them Members.
fn fixed_role_error() -> SimError {
    SimError::invalid("Can't delete or add members for Normal/Owner roles.")
}

async fn list_roles(
    State(sim): State<Arc<Sim>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    require_paid(&sim)?;
    let kind = q.get("type").map(|t| t.trim()).unwrap_or("common");
    let world = sim.world();
    let roles: Vec<Value> = match kind {
        "" | "common" => world.roles().iter().map(role_json).collect(),
        "iq" => Vec::new(),
        _ => return Err(SimError::invalid("Invalid parameter: type.")),
    };
    Ok(json_response(
        StatusCode::OK,
        &json!({"total_records": roles.len(), "roles": roles}),
    ))
}

async fn get_role(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> ApiResult {
    require_paid(&sim)?;
    let world = sim.world();
    let role = role(&world, &id)?;
    let mut body = role_json(role);
    body["privileges"] = json!(role.privileges);
    Ok(json_response(StatusCode::OK, &body))
}

async fn list_members(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    require_paid(&sim)?;
    let settings = sim.settings();
    let page_size = paging::page_size(q.get("page_size"), MAX_MEMBER_PAGE)?;
    let now = Instant::now();
    let ttl = Duration::from_secs(settings.page_token_ttl_s);
    let mut world = sim.world();
    let total = role(&world, &id)?.total_members();
    let scope = format!("role_members|{id}");
    let token = q
        .get("next_page_token")
        .map(|t| t.trim())
        .filter(|t| !t.is_empty());
    let (after, skip, page_number, by_token) = match token {
        Some(t) => {
            let c = world.cursors.resolve(t, &scope, now, ttl)?;
            (c.after, 0, c.page_number, true)
        }
        None => {
            let n = paging::page_number(q.get("page_number"))?;
            (0, (n as usize - 1).saturating_mul(page_size), n, false)
        }
    };
    let items = world
        .users_after(after)
        .filter(|(_, u)| u.role_id() == id)
        .map(|(seq, u)| {
            (
                seq,
                json!({
                    "id": u.id(),
                    "email": u.email(),
                    "first_name": u.first_name,
                    "last_name": u.last_name,
                    "type": u.user_type,
                    "department": &*u.dept,
                }),
            )
        });
    let page = cut(items, skip, page_size);
    let next = match page.more_after {
        Some(last) => {
            let w = &mut *world;
            w.cursors
                .issue(scope, last, page_number + 1, now, ttl, &mut w.rng)
        }
        None => String::new(),
    };
    Ok(json_response(
        StatusCode::OK,
        &member_page(by_token, total, page_size, page_number, next, page.items),
    ))
}

async fn add_members(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    require_paid(&sim)?;
    let mut world = sim.world();
    role(&world, &id)?;
    if id == OWNER_ROLE || id == MEMBER_ROLE {
        return Err(fixed_role_error());
    }
    let body = parse_object(&body)?;
    let seqs = resolve_members(&world, &body)?;
    if seqs.iter().any(|s| world.owner() == Some(*s)) {
        return Err(SimError::invalid(
            "The account owner's role cannot be changed.",
        ));
    }
    let mut ids = Vec::with_capacity(seqs.len());
    for seq in seqs {
        if let Some(u) = world.user(seq) {
            ids.push(u.id().to_owned());
        }
        world.set_role(seq, &id);
    }
    // `AddRoleMembers` 201 (contract section 10): `{ids, add_at}` (sic).
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"ids": ids.join(","), "add_at": timestamp(Utc::now())}),
    ))
}

async fn remove_member(
    State(sim): State<Arc<Sim>>,
    Path((id, member)): Path<(String, String)>,
) -> ApiResult {
    require_paid(&sim)?;
    let mut world = sim.world();
    role(&world, &id)?;
    if id == OWNER_ROLE || id == MEMBER_ROLE {
        return Err(fixed_role_error());
    }
    let seq = world
        .resolve_user(&member)
        .ok_or_else(|| SimError::user_not_found(&member))?;
    if world.user(seq).is_none_or(|u| u.role_id() != id) {
        return Err(SimError::invalid(format!(
            "The user {member} does not have this role."
        )));
    }
    world.set_role(seq, MEMBER_ROLE);
    Ok(empty_response(StatusCode::NO_CONTENT))
}
