//! `POST /users`: the four create actions, the duplicate answer, managed domains, the
//! phone licence and the daily create limit.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use chrono::Utc;
use serde_json::{Map, json};
use tokio::time::Instant;

use super::{PLAN_UNITED_TYPES, USER_TYPES, phone_licence_error};
use crate::simulator::body::{Obj, Validator, email_domain, is_valid_email, parse_object};
use crate::simulator::error::{ApiResult, SimError, json_response};
use crate::simulator::ratelimit::{ThrottleKind, user_create_daily_limit};
use crate::simulator::state::{MEMBER_ROLE, NewUser, Sim, User, UserStatus, random_pmi};
use crate::simulator::webhooks::SimEvent;

pub(super) async fn create_user(State(sim): State<Arc<Sim>>, body: Bytes) -> ApiResult {
    let body = parse_object(&body)?;
    let settings = sim.settings();
    let top = Obj::new(&body, "");
    let mut v = Validator::default();
    let action = if top.has("action") {
        v.one_of(
            &top,
            "action",
            &["create", "autoCreate", "custCreate", "ssoCreate"],
        )
    } else {
        v.error(&top, "action", "This field is required.");
        None
    };
    let info_map = if top.has("user_info") {
        v.object(&top, "user_info")
    } else {
        v.error(&top, "user_info", "This field is required.");
        None
    };
    let empty = Map::new();
    let info = Obj::new(info_map.unwrap_or(&empty), "user_info.");
    let email = if info_map.is_some() {
        v.required_string(&info, "email", 128)
    } else {
        None
    };
    if let Some(e) = &email
        && !is_valid_email(e)
    {
        v.error(&info, "email", "Invalid field.");
    }
    let user_type = if info_map.is_some() && !info.has("type") {
        v.error(&info, "type", "This field is required.");
        None
    } else {
        v.int_of(&info, "type", &USER_TYPES)
    };
    let first_name = v.string(&info, "first_name", 64).unwrap_or_default();
    let last_name = v.string(&info, "last_name", 64).unwrap_or_default();
    let display_name = v.string(&info, "display_name", 128).unwrap_or_default();
    let _password = v.string_between(&info, "password", 8, 32);
    let plan_united_type = v.one_of(&info, "plan_united_type", &PLAN_UNITED_TYPES);
    let feature = v.object(&info, "feature");
    let feature = Obj::new(feature.unwrap_or(&empty), "user_info.feature.");
    let zoom_phone = v.boolean(&feature, "zoom_phone").unwrap_or(false);
    let zoom_one_type = v.unsigned(&feature, "zoom_one_type");
    let _ = v.array(&info, "license_info_list", 2);
    let _ = v.array(&info, "division_ids", 1);
    if user_type == Some(99) && action.as_deref().is_some_and(|a| a != "ssoCreate") {
        v.error(
            &info,
            "type",
            "User type 99 can only be set with ssoCreate.",
        );
    }
    v.finish()?;
    let (Some(action), Some(email), Some(user_type)) = (action, email, user_type) else {
        return Err(SimError::validation(Vec::new()));
    };

    let mut world = sim.world();
    if world.find_by_email(&email).is_some() {
        // Zoom's spec: 409 code 1005; some deployments see 412 (knob).
        let status =
            StatusCode::from_u16(settings.duplicate_status).unwrap_or(StatusCode::CONFLICT);
        return Err(SimError::new(
            status,
            1005,
            format!("Email \"{email}\" has already been used."),
        ));
    }
    // autoCreate is "for Enterprise customers with a managed domain".
    if action == "autoCreate"
        && !world
            .account
            .managed_domains
            .contains(&email_domain(&email))
    {
        return Err(SimError::bad_request(
            1116,
            format!("Email address {email} doesn't match limited domains."),
        ));
    }
    if zoom_phone && !settings.phone_enabled {
        return Err(phone_licence_error());
    }
    // A licence must be free now, even for an invitee who takes it on confirming.
    if zoom_phone {
        world.phone().check_can_enable()?;
    }
    if action == "create" {
        let plan_limit = user_create_daily_limit(settings.plan);
        if let Err(retry_after) =
            sim.limiter()
                .try_special("user_create", plan_limit, settings.rate_scale, Utc::now())
        {
            return Err(SimError::new(
                StatusCode::TOO_MANY_REQUESTS,
                429,
                format!(
                    "You have exceeded the daily rate limit ({plan_limit}) of Create User API requests permitted for this account. You may resume these requests at GMT 00:00:00."
                ),
            )
            .with_header(
                header::HeaderName::from_static("x-ratelimit-type"),
                ThrottleKind::Daily.as_str(),
            )
            .with_header(header::RETRY_AFTER, &retry_after));
        }
    }

    let (status, login_type) = match action.as_str() {
        "create" => (UserStatus::Pending, 100),
        "autoCreate" => (UserStatus::Active, 100),
        "custCreate" => (UserStatus::Active, 99),
        _ => (UserStatus::Active, 101),
    };
    let id = world.new_id();
    let pmi = random_pmi(&mut world.rng);
    let role = world
        .role_text(MEMBER_ROLE)
        .unwrap_or_else(|| Arc::from(MEMBER_ROLE));
    let mut user = User::new(NewUser {
        id: id.clone(),
        email: email.clone(),
        status,
        role_id: role,
        first_name: first_name.clone(),
        last_name: last_name.clone(),
        display_name,
        user_type: user_type as u8,
        created_at: Utc::now(),
        login_type,
        pmi,
    });
    if zoom_one_type.is_some() || plan_united_type.is_some() {
        let extras = user.extras_mut();
        extras.zoom_one_type = zoom_one_type;
        extras.plan_united_type = plan_united_type;
    }
    let seq = world.insert_user(user);
    if zoom_phone {
        world.set_zoom_phone(seq, true)?;
    }
    if status == UserStatus::Pending {
        world.queue_invitation(seq, Instant::now());
    }
    let object = world.event_object(seq);
    world.emit(SimEvent::new("user.created", object).with("creation_type", json!(action)));
    drop(world);
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"id": id, "first_name": first_name, "last_name": last_name,
                "email": email, "type": user_type}),
    ))
}
