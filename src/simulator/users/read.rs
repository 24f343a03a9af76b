//! `GET /users` (paged by number or by token, contract section 2) and
//! `GET /users/{userId}`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use tokio::time::Instant;

use super::get_user_seq;
use super::view::{Include, UsersPage, detail, list_item};
use crate::simulator::error::{ApiResult, SimError, json_bytes_response, json_response};
use crate::simulator::paging::{self, cut, page_count};
use crate::simulator::state::{Sim, User, UserStatus};

// ----- GET /users ---------------------------------------------------------------------

pub(super) async fn list_users(
    State(sim): State<Arc<Sim>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let settings = sim.settings();
    let status = match q.get("status").map(|s| s.trim()) {
        None | Some("") => UserStatus::Active,
        Some(s) => {
            UserStatus::parse(s).ok_or_else(|| SimError::invalid("Invalid parameter: status."))?
        }
    };
    let page_size = paging::page_size(q.get("page_size"), settings.max_page_size)?;
    let role = q
        .get("role_id")
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let include = match q.get("include_fields").map(String::as_str) {
        Some("custom_attributes") => Include {
            custom_attributes: true,
            ..Include::default()
        },
        Some("host_key") => Include {
            host_key: true,
            ..Include::default()
        },
        _ => Include::default(),
    };
    let scope = format!(
        "users|{}|{}",
        status.as_str(),
        role.as_deref().unwrap_or("")
    );
    let now = Instant::now();
    let wall = Utc::now();
    let ttl = Duration::from_secs(settings.page_token_ttl_s);

    let mut world = sim.world();
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
            let skip = (n as usize - 1).saturating_mul(page_size);
            (0, skip, n, false)
        }
    };
    let matches =
        |u: &User| u.status() == status && role.as_deref().is_none_or(|r| u.role_id() == r);
    let total = match &role {
        None => world.count_status(status),
        Some(_) => world.users_after(0).filter(|(_, u)| matches(u)).count(),
    };
    // Cut the page as sequence numbers first: issuing the token needs the state
    // mutably, rendering borrows it.
    let page = cut(
        world
            .users_after(after)
            .filter(|(_, u)| matches(u))
            .map(|(seq, _)| (seq, seq)),
        skip,
        page_size,
    );
    let next = match page.more_after {
        Some(last) => {
            let w = &mut *world;
            w.cursors
                .issue(scope, last, page_number + 1, now, ttl, &mut w.rng)
        }
        None => String::new(),
    };
    let users = page
        .items
        .iter()
        .filter_map(|seq| world.user(*seq))
        .map(|u| list_item(&world, u, include, wall))
        .collect();
    let body = UsersPage {
        page_count: (!by_token).then(|| page_count(total, page_size)),
        page_number: (!by_token).then_some(page_number),
        page_size,
        total_records: total,
        next_page_token: next,
        users,
    };
    let bytes = serde_json::to_vec(&body).map_err(|_| server_error())?;
    drop(world);
    Ok(json_bytes_response(StatusCode::OK, bytes))
}

fn server_error() -> SimError {
    SimError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        500,
        "Internal Server Error",
    )
}

// ----- GET /users/{userId} ------------------------------------------------------------

pub(super) async fn get_user(State(sim): State<Arc<Sim>>, Path(key): Path<String>) -> ApiResult {
    let world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    let user = world
        .user(seq)
        .ok_or_else(|| SimError::user_not_found(&key))?;
    let body = detail(&world, user, Utc::now());
    Ok(json_response(StatusCode::OK, &body))
}
