//! `GET/PATCH /users/{userId}/settings`: a realistic minimal settings object shaped like
//! the recorded response (fixtures `users.*.settings.json`, contract 3.9),
//! with per-user overrides and `feature.zoom_phone` backed by the user's phone flag;
//! pending users have no settings yet.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{get_user_seq, phone_licence_error};
use crate::simulator::body::parse_object;
use crate::simulator::error::{ApiResult, SimError, SimFieldError, empty_response, json_response};
use crate::simulator::state::{Sim, User, UserStatus};

/// The `option` values of the settings endpoints (contract section 3.9).
pub const OPTIONS: [&str; 3] = [
    "meeting_authentication",
    "recording_authentication",
    "meeting_security",
];

/// The key under which the main settings' overrides are stored.
const MAIN: &str = "main";

/// The default settings for `option` (`None`: the main object).
fn template(option: Option<&str>, user: &User) -> Value {
    match option {
        Some("meeting_authentication") => json!({
            "meeting_authentication": false,
            "allow_authentication_exception": false,
            "authentication_options": [{
                "id": "signIn_simulated",
                "name": "Sign in to Zoom",
                "type": "enforce_login",
                "default_option": true,
                "visible": true
            }]
        }),
        Some("recording_authentication") => json!({ "recording_authentication": false }),
        Some(_) => json!({
            "meeting_security": {
                "auto_security": true,
                "waiting_room": false,
                "meeting_password": true,
                "require_password_for_scheduled_meeting": false,
                "pmi_password": true,
                "phone_password": true,
                "embed_password_in_join_link": true,
                "block_user_domain": false,
                "only_authenticated_can_join_from_webclient": false
            }
        }),
        None => {
            let licensed = user.user_type == 2;
            json!({
                "schedule_meeting": {
                    "host_video": false,
                    "participants_video": false,
                    "audio_type": "both",
                    "join_before_host": false,
                    "personal_meeting": true,
                    "use_pmi_for_scheduled_meetings": false,
                    "use_pmi_for_instant_meetings": false,
                    "require_password_for_scheduling_new_meetings": true,
                    "require_password_for_instant_meetings": true,
                    "require_password_for_pmi_meetings": "all",
                    "mute_upon_entry": false,
                    "embed_password_in_join_link": true
                },
                "in_meeting": {
                    "e2e_encryption": false,
                    "chat": true,
                    "private_chat": true,
                    "auto_saving_chat": false,
                    "file_transfer": false,
                    "feedback": true,
                    "co_host": false,
                    "polling": false,
                    "annotation": true,
                    "whiteboard": true,
                    "remote_control": true,
                    "breakout_room": false,
                    "closed_caption": false,
                    "virtual_background": true,
                    "screen_sharing": true,
                    "who_can_share_screen": "host",
                    "waiting_room": false,
                    "allow_participants_to_rename": true
                },
                "email_notification": {
                    "cloud_recording_available_reminder": true,
                    "jbh_reminder": true,
                    "cancel_meeting_reminder": true,
                    "alternative_host_reminder": true,
                    "schedule_for_reminder": true
                },
                "recording": {
                    "local_recording": true,
                    "cloud_recording": licensed,
                    "record_speaker_view": true,
                    "record_gallery_view": false,
                    "record_audio_file": true,
                    "save_chat_text": true,
                    "show_timestamp": false,
                    "auto_recording": "none",
                    "host_delete_cloud_recording": true,
                    "auto_delete_cmr": false
                },
                "telephony": {
                    "third_party_audio": false,
                    "audio_conference_info": "",
                    "show_international_numbers_link": true
                },
                "tsp": {},
                "feature": {
                    "meeting_capacity": if licensed { 300 } else { 100 },
                    "large_meeting": false,
                    "webinar": false,
                    "zoom_events": false,
                    "cn_meeting": false,
                    "in_meeting": false,
                    "zoom_phone": user.zoom_phone(),
                    "zoom_whiteboard": licensed,
                    "zoom_huddles": false,
                    "concurrent_meeting": "None",
                    "zoom_iq_for_sales": false
                },
                "integration": { "linkedin_sales_navigator": false },
                "profile": {
                    "recording_storage_location": {
                        "allowed_values": ["US", "AU", "CA", "DE", "SG", "BR", "JP", "CH"],
                        "value": "US"
                    }
                },
                "audio_conferencing": {
                    "toll_free_and_fee_based_toll_call": { "enable": false }
                },
                "other_options": {}
            })
        }
    }
}

fn overlay(base: &mut Value, overrides: &Value) {
    match (base, overrides) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => overlay(slot, v),
                    Some(slot) => *slot = v.clone(),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (base, overrides) => *base = overrides.clone(),
    }
}

/// The settings a user sees for `option`.
pub fn render(user: &User, option: Option<&str>) -> Value {
    let mut value = template(option, user);
    if let Some(stored) = user.extras().settings.get(option.unwrap_or(MAIN)) {
        overlay(&mut value, stored);
    }
    // The phone flag lives on the user, not in the overrides.
    if option.is_none()
        && let Some(feature) = value.get_mut("feature").and_then(Value::as_object_mut)
    {
        feature.insert("zoom_phone".into(), Value::Bool(user.zoom_phone()));
    }
    value
}

fn same_kind(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Bool(_), Value::Bool(_))
            | (Value::Number(_), Value::Number(_))
            | (Value::String(_), Value::String(_))
            | (Value::Array(_), Value::Array(_))
            | (Value::Object(_), Value::Object(_))
    )
}

/// Keeps the parts of `patch` that exist in `template` with the same JSON type; unknown
/// keys are ignored (as Zoom does), mistyped ones are reported.
fn filter_patch(
    template: &Map<String, Value>,
    patch: &Map<String, Value>,
    path: &str,
    errors: &mut Vec<SimFieldError>,
) -> Map<String, Value> {
    let mut kept = Map::new();
    for (key, value) in patch {
        let Some(expected) = template.get(key) else {
            continue;
        };
        let field = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if !same_kind(expected, value) {
            errors.push(SimFieldError::new(field, "Invalid field."));
            continue;
        }
        match (expected, value) {
            (Value::Object(t), Value::Object(p)) => {
                let inner = filter_patch(t, p, &field, errors);
                if !inner.is_empty() {
                    kept.insert(key.clone(), Value::Object(inner));
                }
            }
            _ => {
                kept.insert(key.clone(), value.clone());
            }
        }
    }
    kept
}

/// A checked settings patch.
#[derive(Debug, Default)]
pub struct SettingsPatch {
    /// Overrides to store.
    pub overrides: Map<String, Value>,
    /// The new `feature.zoom_phone`, if the patch sets it.
    pub zoom_phone: Option<bool>,
}

/// Checks `patch` against the settings shape for `option`.
pub fn check_patch(
    user: &User,
    option: Option<&str>,
    patch: &Map<String, Value>,
) -> Result<SettingsPatch, SimError> {
    let template = template(option, user);
    let empty = Map::new();
    let template = template.as_object().unwrap_or(&empty);
    let mut errors = Vec::new();
    let mut overrides = filter_patch(template, patch, "", &mut errors);
    if !errors.is_empty() {
        return Err(SimError::validation(errors));
    }
    let mut zoom_phone = None;
    if option.is_none()
        && let Some(feature) = overrides.get_mut("feature").and_then(Value::as_object_mut)
    {
        zoom_phone = feature.remove("zoom_phone").and_then(|v| v.as_bool());
        if feature.is_empty() {
            overrides.remove("feature");
        }
    }
    Ok(SettingsPatch {
        overrides,
        zoom_phone,
    })
}

/// Stores checked overrides on the user.
pub fn store(user: &mut User, option: Option<&str>, overrides: Map<String, Value>) {
    if overrides.is_empty() {
        return;
    }
    let slot = user
        .extras_mut()
        .settings
        .entry(option.unwrap_or(MAIN).to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    overlay(slot, &Value::Object(overrides));
}

// ----- GET/PATCH /users/{userId}/settings ---------------------------------------------

fn settings_option(q: &HashMap<String, String>) -> Result<Option<&'static str>, SimError> {
    match q.get("option").map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(o) => OPTIONS
            .iter()
            .find(|x| **x == o)
            .map(|x| Some(*x))
            .ok_or_else(|| SimError::invalid("Invalid parameter: option.")),
    }
}

fn pending_settings_error() -> SimError {
    SimError::bad_request(
        1000,
        "You can not access settings of users that are still in pending state.",
    )
}

pub(super) async fn get_settings(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let option = settings_option(&q)?;
    let world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    let user = world
        .user(seq)
        .ok_or_else(|| SimError::user_not_found(&key))?;
    if user.status() == UserStatus::Pending {
        return Err(pending_settings_error());
    }
    Ok(json_response(StatusCode::OK, &render(user, option)))
}

pub(super) async fn update_settings(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult {
    let option = settings_option(&q)?;
    let phone_enabled = sim.settings().phone_enabled;
    let mut world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    let body = parse_object(&body)?;
    let user = world
        .user(seq)
        .ok_or_else(|| SimError::user_not_found(&key))?;
    if user.status() == UserStatus::Pending {
        return Err(pending_settings_error());
    }
    let checked = check_patch(user, option, &body)?;
    if checked.zoom_phone == Some(true) && !phone_enabled {
        return Err(phone_licence_error());
    }
    if let Some(z) = checked.zoom_phone {
        world.set_zoom_phone(seq, z)?;
    }
    if let Some(user) = world.user_mut(seq) {
        store(user, option, checked.overrides);
    }
    Ok(empty_response(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::state::{NewUser, UserStatus};
    use chrono::Utc;
    use std::sync::Arc;

    fn user() -> User {
        User::new(NewUser {
            id: "id".into(),
            email: "a@example.com".into(),
            status: UserStatus::Active,
            role_id: Arc::from("2"),
            first_name: "A".into(),
            last_name: "B".into(),
            display_name: String::new(),
            user_type: 2,
            created_at: Utc::now(),
            login_type: 100,
            pmi: 1234567890,
        })
    }

    #[test]
    fn patch_is_type_checked_and_overlaid() {
        let mut u = user();
        let patch = json!({"in_meeting": {"chat": false, "unknown": 1}, "bogus": {},
                           "feature": {"zoom_phone": true}});
        let checked = check_patch(&u, None, patch.as_object().expect("object")).expect("valid");
        assert_eq!(checked.zoom_phone, Some(true));
        store(&mut u, None, checked.overrides);
        let s = render(&u, None);
        assert_eq!(s["in_meeting"]["chat"], false);
        assert_eq!(s["in_meeting"]["private_chat"], true);
        assert!(s["in_meeting"].get("unknown").is_none());
        assert!(s.get("bogus").is_none());
        // zoom_phone comes from the user's flag, which the caller sets.
        assert_eq!(s["feature"]["zoom_phone"], false);

        let bad = json!({"feature": {"zoom_phone": "yes"}});
        let e = check_patch(&u, None, bad.as_object().expect("object")).expect_err("mistyped");
        assert_eq!(e.errors[0].field, "feature.zoom_phone");
    }

    #[test]
    fn options_have_their_own_shape() {
        let u = user();
        assert_eq!(
            render(&u, Some("recording_authentication")),
            json!({"recording_authentication": false})
        );
        assert!(render(&u, Some("meeting_security"))["meeting_security"].is_object());
    }
}
