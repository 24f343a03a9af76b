//! Zoom's Groups endpoints (docs/zoom-contract.md section 4): groups and their members,
//! with users' `group_ids` kept consistent in every direction.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::body::{Obj, Validator, parse_object};
use super::error::{ApiResult, SimError, empty_response, json_response};
use super::paging::{self, cut, page_count};
use super::settings::AccountPlan;
use super::state::{Group, Sim, UserStatus, World};
use super::users::timestamp;

/// `POST /groups` (contract section 4): "a maximum of 100 groups in one account per day".
const GROUP_CREATES_PER_DAY: u64 = 100;
/// `POST /groups` (contract section 4): "a maximum of 5000 groups in one account".
const MAX_GROUPS: usize = 5000;
/// `GET /groups` `page_size` maximum (contract section 2).
const MAX_GROUP_PAGE: u32 = 300;
/// `GET /groups/{groupId}/members` `page_size` maximum (contract section 2).
const MAX_MEMBER_PAGE: u32 = 2000;
/// `POST /groups/{groupId}/members` `members` maximum (contract section 4).
const MAX_MEMBERS_PER_CALL: usize = 30;

/// The group routes.
pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/v2/groups", get(list_groups).post(create_group))
        .route(
            "/v2/groups/{groupId}",
            get(get_group).patch(update_group).delete(delete_group),
        )
        .route(
            "/v2/groups/{groupId}/members",
            get(list_members).post(add_members),
        )
        .route(
            "/v2/groups/{groupId}/members/{memberId}",
            delete(remove_member).patch(update_member),
        )
}

fn require_paid(sim: &Sim) -> Result<(), SimError> {
    if sim.settings().plan == AccountPlan::Free {
        Err(SimError::paid_only())
    } else {
        Ok(())
    }
}

fn group_seq(world: &World, id: &str) -> Result<u64, SimError> {
    world
        .resolve_group(id)
        .ok_or_else(|| SimError::group_not_found(id))
}

/// An opaque, stable membership id shaped like the recorded ones (64 URL-safe
/// characters; fixture member pages' `member_id`, contract 4).
fn member_id(group_id: &str, user_id: &str) -> String {
    let pair = Sha256::digest(format!("{group_id}:{user_id}"));
    let user = Sha256::digest(user_id);
    let mut bytes = Vec::with_capacity(48);
    bytes.extend_from_slice(&pair);
    bytes.extend_from_slice(&user[..16]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A group as `GET /groups` lists it (with the fields the live recording shows).
fn group_json(group: &Group) -> Value {
    json!({
        "id": group.id,
        "name": group.name,
        "total_members": group.members().len(),
        "in_directory": false,
        "directory_privacy": 2,
    })
}

/// Checks a group name: required, a string, not blank, under 128 characters (contract section 4).
fn check_name(body: &Map<String, Value>) -> Result<String, SimError> {
    let o = Obj::new(body, "");
    let mut v = Validator::default();
    let name = v.required_string(&o, "name", 127);
    v.finish()?;
    let name = name.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(SimError::invalid("Invalid parameter: name."));
    }
    Ok(name.trim().to_owned())
}

/// `POST /groups` 409 (contract section 4): `The group name "{groupName}" is already in use.`
fn name_taken(name: &str) -> SimError {
    SimError::new(
        StatusCode::CONFLICT,
        4132,
        format!("The group name \"{name}\" is already in use."),
    )
}

/// `PATCH /groups/{groupId}` 409 (contract section 4): `Group name {groupName} is already in use.`
fn rename_taken(name: &str) -> SimError {
    SimError::new(
        StatusCode::CONFLICT,
        4132,
        format!("Group name {name} is already in use."),
    )
}

async fn list_groups(
    State(sim): State<Arc<Sim>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    require_paid(&sim)?;
    let settings = sim.settings();
    let page_size = paging::page_size(q.get("page_size"), MAX_GROUP_PAGE)?;
    let now = Instant::now();
    let ttl = Duration::from_secs(settings.page_token_ttl_s);
    let scope = "groups".to_owned();
    let mut world = sim.world();
    let after = match q
        .get("next_page_token")
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    {
        Some(t) => world.cursors.resolve(t, &scope, now, ttl)?.after,
        None => 0,
    };
    let total = world.group_count();
    let page = cut(
        world
            .groups_after(after)
            .map(|(seq, g)| (seq, group_json(g))),
        0,
        page_size,
    );
    let next = match page.more_after {
        Some(last) => {
            let w = &mut *world;
            w.cursors.issue(scope, last, 0, now, ttl, &mut w.rng)
        }
        None => String::new(),
    };
    // contract section 4: `{groups[], total_records, next_page_token}`, no page_count/page_number.
    Ok(json_response(
        StatusCode::OK,
        &json!({"total_records": total, "groups": page.items, "next_page_token": next}),
    ))
}

async fn create_group(State(sim): State<Arc<Sim>>, body: Bytes) -> ApiResult {
    require_paid(&sim)?;
    let body = parse_object(&body)?;
    let name = check_name(&body)?;
    let mut world = sim.world();
    if world.group_by_name(&name).is_some() {
        return Err(name_taken(&name));
    }
    if world.group_count() >= MAX_GROUPS {
        return Err(SimError::invalid(
            "It has reached the maximum number of groups. You can clean up some groups then add.",
        ));
    }
    if !world
        .group_creates
        .try_take(GROUP_CREATES_PER_DAY, Utc::now())
    {
        return Err(SimError::invalid(
            "It has reached the maximum number of groups that can be created today (100). Try again tomorrow.",
        ));
    }
    let id = world.new_id();
    world.insert_group(id.clone(), name.clone());
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"id": id, "name": name, "total_members": 0}),
    ))
}

async fn get_group(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> ApiResult {
    require_paid(&sim)?;
    let world = sim.world();
    let seq = group_seq(&world, &id)?;
    let group = world
        .group(seq)
        .ok_or_else(|| SimError::group_not_found(&id))?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"id": group.id, "name": group.name, "total_members": group.members().len()}),
    ))
}

async fn update_group(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    require_paid(&sim)?;
    let mut world = sim.world();
    let seq = group_seq(&world, &id)?;
    let body = parse_object(&body)?;
    if !body.contains_key("name") {
        return Ok(empty_response(StatusCode::NO_CONTENT));
    }
    let name = check_name(&body)?;
    if world.group_by_name(&name).is_some_and(|other| other != seq) {
        return Err(rename_taken(&name));
    }
    world.rename_group(seq, name);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

async fn delete_group(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> ApiResult {
    require_paid(&sim)?;
    let mut world = sim.world();
    let seq = group_seq(&world, &id)?;
    world.remove_group(seq);
    Ok(empty_response(StatusCode::NO_CONTENT))
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
    let gseq = group_seq(&world, &id)?;
    let scope = format!("group_members|{id}");
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
    let group = world
        .group(gseq)
        .ok_or_else(|| SimError::group_not_found(&id))?;
    let total = group.members().len();
    let items = group
        .members()
        .range(after.saturating_add(1)..)
        .filter_map(|useq| world.user(*useq).map(|u| (*useq, u)))
        .map(|(useq, u)| {
            (
                useq,
                json!({
                    "id": u.id(),
                    "member_id": member_id(&group.id, u.id()),
                    "email": u.email(),
                    "first_name": u.first_name,
                    "last_name": u.last_name,
                    "type": u.user_type,
                    "primary_group": u.group_seqs().first() == Some(&gseq),
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

/// The envelope of member listings: like `GET /users`, pages fetched with a token
/// carry no `page_count`/`page_number` (contract section 2).
pub fn member_page(
    by_token: bool,
    total: usize,
    page_size: usize,
    page_number: u32,
    next: String,
    items: Vec<Value>,
) -> Value {
    let mut body = Map::new();
    if !by_token {
        body.insert("page_count".into(), json!(page_count(total, page_size)));
        body.insert("page_number".into(), json!(page_number));
    }
    body.insert("page_size".into(), json!(page_size));
    body.insert("total_records".into(), json!(total));
    body.insert("next_page_token".into(), json!(next));
    body.insert("members".into(), Value::Array(items));
    Value::Object(body)
}

/// Reads `{"members": [{"id"?, "email"?}]}` (at most 30) and resolves every entry;
/// "If the user ID is given then the user email should be ignored." (contract 4). An unknown
/// user fails the whole call with 404 code 1001.
pub fn resolve_members(world: &World, body: &Map<String, Value>) -> Result<Vec<u64>, SimError> {
    let o = Obj::new(body, "");
    let mut v = Validator::default();
    let items = if o.has("members") {
        v.array(&o, "members", usize::MAX)
    } else {
        v.error(&o, "members", "This field is required.");
        None
    };
    v.finish()?;
    let items = items.map(Vec::as_slice).unwrap_or_default();
    if items.len() > MAX_MEMBERS_PER_CALL {
        return Err(SimError::invalid(format!(
            "Validation Failed. At most {MAX_MEMBERS_PER_CALL} members can be added at a time."
        )));
    }
    if items.is_empty() {
        return Err(SimError::validation(vec![
            super::error::SimFieldError::new("members", "At least one member is required."),
        ]));
    }
    let mut seqs = Vec::with_capacity(items.len());
    let mut v = Validator::default();
    let mut keys = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("members[{i}].");
        let Some(map) = item.as_object() else {
            v.error(&o, &format!("members[{i}]"), "Invalid field.");
            continue;
        };
        let e = Obj::new(map, &prefix);
        let id = v.string(&e, "id", 64).filter(|s| !s.is_empty());
        let email = v.string(&e, "email", 128).filter(|s| !s.is_empty());
        match (id, email) {
            (Some(id), _) => keys.push(id),
            (None, Some(email)) => keys.push(email),
            (None, None) => v.error(&e, "id", "Either id or email is required."),
        }
    }
    v.finish()?;
    for key in keys {
        let seq = world
            .resolve_user(&key)
            .ok_or_else(|| SimError::user_not_found(&key))?;
        if !seqs.contains(&seq) {
            seqs.push(seq);
        }
    }
    Ok(seqs)
}

async fn add_members(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    require_paid(&sim)?;
    let ignore_pending = sim.settings().pending_group_adds_ignored;
    let mut world = sim.world();
    let gseq = group_seq(&world, &id)?;
    let body = parse_object(&body)?;
    let seqs = resolve_members(&world, &body)?;
    let mut ids = Vec::with_capacity(seqs.len());
    for seq in seqs {
        let Some(user) = world.user(seq) else {
            continue;
        };
        ids.push(user.id().to_owned());
        // Contract section 3.10: group entitlements added while a user is pending "succeed but are
        // not reflected" (knob `pending_group_adds_ignored`).
        if ignore_pending && user.status() == UserStatus::Pending {
            continue;
        }
        world.add_member(gseq, seq);
    }
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"added_at": timestamp(Utc::now()), "ids": ids.join(",")}),
    ))
}

fn member_not_found() -> SimError {
    SimError::new(StatusCode::NOT_FOUND, 4131, "Group member does not exist.")
}

async fn remove_member(
    State(sim): State<Arc<Sim>>,
    Path((id, member)): Path<(String, String)>,
) -> ApiResult {
    require_paid(&sim)?;
    let mut world = sim.world();
    let gseq = group_seq(&world, &id)?;
    let useq = world.resolve_user(&member).ok_or_else(member_not_found)?;
    if !world.remove_member(gseq, useq) {
        return Err(member_not_found());
    }
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// `PATCH /groups/{groupId}/members/{memberId}`: `{"action": "move" | "set_primary",
/// "target_group_id"}` (`updateAGroupMember`, contract section 4).
async fn update_member(
    State(sim): State<Arc<Sim>>,
    Path((id, member)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    require_paid(&sim)?;
    let mut world = sim.world();
    let gseq = group_seq(&world, &id)?;
    let body = parse_object(&body)?;
    let o = Obj::new(&body, "");
    let mut v = Validator::default();
    let action = if o.has("action") {
        v.one_of(&o, "action", &["move", "set_primary"])
    } else {
        v.error(&o, "action", "This field is required.");
        None
    };
    let target = v.string(&o, "target_group_id", 64);
    v.finish()?;
    let useq = world.resolve_user(&member).ok_or_else(member_not_found)?;
    if !world
        .group(gseq)
        .is_some_and(|g| g.members().contains(&useq))
    {
        return Err(member_not_found());
    }
    match action.as_deref() {
        Some("move") => {
            let target = target
                .filter(|t| !t.is_empty())
                .ok_or_else(|| SimError::invalid("The target_group_id can not be empty."))?;
            let tseq = group_seq(&world, &target)?;
            world.remove_member(gseq, useq);
            world.add_member(tseq, useq);
        }
        _ => world.set_primary_group(useq, gseq),
    }
    Ok(empty_response(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_ids_are_stable_and_shaped_like_zooms() {
        let a = member_id("ppUAdwEBRFCdRE0mfLttog", "a18JbG_DQketjPo0Y8wYqg");
        assert_eq!(a.len(), 64);
        assert_eq!(
            a,
            member_id("ppUAdwEBRFCdRE0mfLttog", "a18JbG_DQketjPo0Y8wYqg")
        );
        assert_ne!(
            a,
            member_id("dSHPJbpfQo6uS1a0_iznyg", "a18JbG_DQketjPo0Y8wYqg")
        );
    }
}
