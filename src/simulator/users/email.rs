//! `GET /users/email` (does an e-mail exist) and `PUT /users/{userId}/email` (change it,
//! inside managed domains, three times a day).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use chrono::Utc;
use serde_json::json;

use super::{get_user_seq, timestamp};
use crate::simulator::body::{Obj, Validator, email_domain, is_valid_email, parse_object};
use crate::simulator::error::{ApiResult, SimError, empty_response, json_response};
use crate::simulator::ratelimit::ThrottleKind;
use crate::simulator::state::{Sim, UserStatus};

// ----- GET /users/email ---------------------------------------------------------------

/// `GET /users/email?email=`: only users "who signed up via email" count, so SSO users
/// answer `false` (contract section 3.7).
pub(super) async fn email_exists(
    State(sim): State<Arc<Sim>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let email = q
        .get("email")
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .ok_or_else(|| SimError::invalid("Email is required."))?;
    let world = sim.world();
    let existed = world
        .find_by_email(email)
        .and_then(|seq| world.user(seq))
        .is_some_and(|u| u.login_type != 101);
    Ok(json_response(
        StatusCode::OK,
        &json!({ "existed_email": existed }),
    ))
}

// ----- PUT /users/{userId}/email ------------------------------------------------------

/// "A user's email address can be changed up to 3 times in any 24 hour period." (contract 3.7)
const EMAIL_CHANGES_PER_DAY: usize = 3;

pub(super) async fn update_email(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult {
    let mut world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    let body = parse_object(&body)?;
    let o = Obj::new(&body, "");
    let mut v = Validator::default();
    let email = v.required_string(&o, "email", 127);
    if let Some(e) = &email
        && !is_valid_email(e)
    {
        v.error(&o, "email", "Invalid field.");
    }
    v.finish()?;
    let email = email.unwrap_or_default();
    let user = world
        .user(seq)
        .ok_or_else(|| SimError::user_not_found(&key))?;
    if user.status() == UserStatus::Pending {
        // Like other updates to pending users: accepted, not applied.
        return Ok(empty_response(StatusCode::NO_CONTENT));
    }
    if user.email() == email {
        return Ok(empty_response(StatusCode::NO_CONTENT));
    }
    // contract section 3.7: "Managed domain must be enabled" for e-mail changes.
    if !world
        .account
        .managed_domains
        .contains(&email_domain(&email))
    {
        return Err(SimError::bad_request(
            1116,
            format!("Email address {email} doesn't match limited domains."),
        ));
    }
    if let Some(other) = world.find_by_email(&email)
        && other != seq
    {
        return Err(SimError::new(
            StatusCode::CONFLICT,
            1005,
            format!("Email \"{email}\" has already been used."),
        ));
    }
    let now = Utc::now();
    let window = chrono::Duration::hours(24);
    let Some(user) = world.user_mut(seq) else {
        return Err(SimError::user_not_found(&key));
    };
    let recent = &mut user.extras_mut().recent_email_changes;
    recent.retain(|t| now - *t < window);
    if recent.len() >= EMAIL_CHANGES_PER_DAY {
        let oldest = recent.iter().min().copied().unwrap_or(now);
        let retry = timestamp(oldest + window);
        return Err(SimError::new(
            StatusCode::TOO_MANY_REQUESTS,
            429,
            "You have exceeded the daily rate limit (3) of Update User Email API requests permitted for this particular user. You may resume these requests after 24 hours.",
        )
        .with_header(
            header::HeaderName::from_static("x-ratelimit-type"),
            ThrottleKind::Daily.as_str(),
        )
        .with_header(header::RETRY_AFTER, &retry));
    }
    recent.push(now);
    user.email_change_count += 1;
    world.set_email(seq, email);
    Ok(empty_response(StatusCode::NO_CONTENT))
}
