//! `PATCH /users/{userId}`: the body checked as a whole first, then applied; pending
//! and deactivated users answer their own way.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{Map, Value};

use super::view::detail;
use super::{PLAN_UNITED_TYPES, USER_TYPES, get_user_seq, phone_licence_error};
use crate::simulator::body::{Obj, Validator, parse_object};
use crate::simulator::error::{ApiResult, SimError, empty_response};
use crate::simulator::state::{
    CustomAttribute, PhoneEntry, Sim, User, UserStatus, World, derive_display_name,
};
use crate::simulator::webhooks::{SimEvent, changed_fields};

/// A checked `PATCH /users/{userId}` body (`userUpdate`; contract section 3.4).
#[derive(Debug, Default)]
struct UserPatch {
    first_name: Option<String>,
    last_name: Option<String>,
    display_name: Option<String>,
    user_type: Option<u64>,
    zoom_one_type: Option<u64>,
    plan_united_type: Option<String>,
    zoom_phone: Option<bool>,
    group_id: Option<String>,
    dept: Option<String>,
    company: Option<String>,
    job_title: Option<String>,
    cost_center: Option<String>,
    location: Option<String>,
    language: Option<String>,
    timezone: Option<String>,
    manager: Option<String>,
    phone_numbers: Option<Vec<PhoneEntry>>,
    custom_attributes: Option<Vec<CustomAttribute>>,
    host_key: Option<String>,
    pmi: Option<u64>,
    use_pmi: Option<bool>,
    vanity_name: Option<String>,
    pronouns: Option<String>,
    pronouns_option: Option<u64>,
    about_me: Option<String>,
    linkedin_url: Option<String>,
    cms_user_id: Option<String>,
}

const ZOOM_ONE_TYPES: [u64; 24] = [
    0,
    16,
    32,
    64,
    128,
    33_554_432,
    134_217_728,
    268_435_456,
    536_870_912,
    1_073_741_824,
    4_398_046_511_104,
    4_294_967_296,
    8_589_934_592,
    17_179_869_184,
    34_359_738_368,
    68_719_476_736,
    137_438_953_472,
    274_877_906_944,
    549_755_813_888,
    1_099_511_627_776,
    2_199_023_255_552,
    18_014_398_509_481_984,
    72_057_594_037_927_936,
    144_115_188_075_855_872,
];

fn check_user_patch(body: &Map<String, Value>) -> Result<UserPatch, SimError> {
    let o = Obj::new(body, "");
    let mut v = Validator::default();
    let mut p = UserPatch {
        first_name: v.string(&o, "first_name", 64),
        last_name: v.string(&o, "last_name", 64),
        display_name: v.string(&o, "display_name", 128),
        user_type: v.int_of(&o, "type", &USER_TYPES),
        zoom_one_type: {
            let z = v.unsigned(&o, "zoom_one_type");
            // 576460752303423488 is also documented; accept every power of two listed.
            z.filter(|z| {
                let ok = ZOOM_ONE_TYPES.contains(z) || *z == 576_460_752_303_423_488;
                if !ok {
                    v.error(&o, "zoom_one_type", "Invalid field.");
                }
                ok
            })
        },
        plan_united_type: {
            let mut allowed: Vec<&str> = PLAN_UNITED_TYPES.to_vec();
            allowed.push("none");
            v.one_of(&o, "plan_united_type", &allowed)
        },
        group_id: v.string(&o, "group_id", 64),
        dept: v.string(&o, "dept", 128),
        company: v.string(&o, "company", 255),
        job_title: v.string(&o, "job_title", 128),
        cost_center: v.string(&o, "cost_center", 128),
        location: v.string(&o, "location", 256),
        language: v.string(&o, "language", 32),
        timezone: v.string(&o, "timezone", 64),
        manager: v.string(&o, "manager", 128),
        host_key: v.string_between(&o, "host_key", 6, 10),
        use_pmi: v.boolean(&o, "use_pmi"),
        vanity_name: v.string(&o, "vanity_name", 64),
        pronouns: v.string(&o, "pronouns", 64),
        pronouns_option: v.int_of(&o, "pronouns_option", &[1, 2, 3]),
        about_me: v.string(&o, "about_me", 150),
        linkedin_url: v.string(&o, "linkedin_url", 256),
        cms_user_id: v.string(&o, "cms_user_id", 128),
        ..UserPatch::default()
    };
    if let Some(key) = &p.host_key
        && !key.chars().all(|c| c.is_ascii_digit())
    {
        v.error(&o, "host_key", "Invalid field.");
    }
    if let Some(pmi) = o.get("pmi") {
        match pmi.as_u64() {
            Some(n) if (1_000_000_000..10_000_000_000).contains(&n) => p.pmi = Some(n),
            _ => v.error(&o, "pmi", "The PMI must be a 10-digit number."),
        }
    }
    if let Some(text) = &p.about_me
        && (text.contains("http") || text.contains('<'))
    {
        v.error(&o, "about_me", "Links and HTML are not allowed.");
    }
    if let Some(url) = &p.linkedin_url
        && !url.is_empty()
        && !url.contains("linkedin.com")
    {
        v.error(&o, "linkedin_url", "Invalid field.");
    }
    if let Some(feature) = v.object(&o, "feature") {
        let f = Obj::new(feature, "feature.");
        p.zoom_phone = v.boolean(&f, "zoom_phone");
    }
    if let Some(items) = v.array(&o, "phone_numbers", 3) {
        let mut numbers = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(map) = item.as_object() else {
                v.error(&o, &format!("phone_numbers[{i}]"), "Invalid field.");
                continue;
            };
            let prefix = format!("phone_numbers[{i}].");
            let e = Obj::new(map, &prefix);
            let label = v
                .one_of(&e, "label", &["Mobile", "Office", "Home", "Fax"])
                .unwrap_or_else(|| "Mobile".into());
            numbers.push(PhoneEntry {
                code: v.string(&e, "code", 8).unwrap_or_default(),
                country: v.string(&e, "country", 8).unwrap_or_default(),
                label,
                number: v.string(&e, "number", 32).unwrap_or_default(),
                verified: false,
            });
        }
        p.phone_numbers = Some(numbers);
    }
    if let Some(items) = v.array(&o, "custom_attributes", 5) {
        let mut attrs = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(map) = item.as_object() else {
                v.error(&o, &format!("custom_attributes[{i}]"), "Invalid field.");
                continue;
            };
            let prefix = format!("custom_attributes[{i}].");
            let e = Obj::new(map, &prefix);
            attrs.push(CustomAttribute {
                key: v.required_string(&e, "key", 64).unwrap_or_default(),
                name: v.string(&e, "name", 64).unwrap_or_default(),
                value: v.string(&e, "value", 256).unwrap_or_default(),
            });
        }
        p.custom_attributes = Some(attrs);
    }
    let _ = v.array(&o, "division_ids", 1);
    let _ = v.array(&o, "license_info_list", 2);
    v.finish()?;
    // Contract section 3.4: "You can't change the 'type' or 'plan_united_type' or 'zoom_one_type'
    // at the same time".
    let licence_fields = [
        p.user_type.is_some(),
        p.plan_united_type.is_some(),
        p.zoom_one_type.is_some(),
    ];
    if licence_fields.iter().filter(|x| **x).count() > 1 {
        return Err(SimError::invalid(
            "You can't change the 'type' or 'plan_united_type' or 'zoom_one_type' at the same time",
        ));
    }
    Ok(p)
}

/// Applies a checked patch. The phone feature goes first: when it is refused (no
/// licence left), nothing else is applied.
fn apply_user_patch(world: &mut World, seq: u64, p: UserPatch) -> Result<(), SimError> {
    if let Some(z) = p.zoom_phone {
        world.set_zoom_phone(seq, z)?;
    }
    let Some(u) = world.user_mut(seq) else {
        return Ok(());
    };
    if let Some(v) = p.first_name {
        u.first_name = v;
    }
    if let Some(v) = p.last_name {
        u.last_name = v;
    }
    if let Some(v) = p.display_name {
        u.display_name = if v.is_empty() {
            derive_display_name(&u.first_name, &u.last_name)
        } else {
            v
        };
    }
    if let Some(t) = p.user_type {
        u.user_type = t as u8;
    }
    if let Some(z) = p.zoom_one_type {
        u.extras_mut().zoom_one_type = (z != 0).then_some(z);
    }
    if let Some(pl) = p.plan_united_type {
        u.extras_mut().plan_united_type = (pl != "none").then_some(pl);
    }
    if let Some(v) = p.dept {
        u.dept = Arc::from(v);
    }
    if let Some(v) = p.company {
        u.company = Arc::from(v);
    }
    if let Some(v) = p.job_title {
        u.job_title = Arc::from(v);
    }
    if let Some(v) = p.cost_center {
        u.cost_center = Arc::from(v);
    }
    if let Some(v) = p.location {
        u.location = Arc::from(v);
    }
    if let Some(v) = p.language {
        u.language = Arc::from(v);
    }
    if let Some(v) = p.timezone {
        u.timezone = Arc::from(v);
    }
    if let Some(v) = p.manager {
        u.manager = v;
    }
    if let Some(v) = p.phone_numbers {
        u.phone_numbers = v;
    }
    if let Some(v) = p.custom_attributes {
        u.extras_mut().custom_attributes = v;
    }
    if let Some(v) = p.host_key {
        u.extras_mut().host_key = v;
    }
    if let Some(v) = p.pmi {
        u.pmi = v;
    }
    if let Some(v) = p.use_pmi {
        u.use_pmi = v;
    }
    if let Some(v) = p.vanity_name {
        u.extras_mut().vanity_name = v;
    }
    if let Some(v) = p.pronouns {
        u.extras_mut().pronouns = v;
    }
    if let Some(v) = p.pronouns_option {
        u.pronouns_option = v as u8;
    }
    if let Some(v) = p.about_me {
        u.extras_mut().about_me = v;
    }
    if let Some(v) = p.linkedin_url {
        u.extras_mut().linkedin_url = v;
    }
    if let Some(v) = p.cms_user_id {
        u.extras_mut().cms_user_id = v;
    }
    Ok(())
}

/// Applies a checked patch and reports what changed as `user.updated`, with the
/// changed fields in `object` and their old values in `old_object`.
fn apply_reporting(world: &mut World, seq: u64, patch: UserPatch) -> Result<(), SimError> {
    let now = Utc::now();
    let before = world.user(seq).map(|u| detail(world, u, now));
    apply_user_patch(world, seq, patch)?;
    let after = world.user(seq).map(|u| detail(world, u, now));
    if let (Some(before), Some(after)) = (before, after)
        && let Some((object, old)) = changed_fields(&before, &after)
    {
        world.emit(SimEvent::new("user.updated", object).with_old(old));
    }
    Ok(())
}

/// An out-of-band change, as an admin makes it in Zoom's web portal
/// (`PATCH /_sim/users/{userId}`): any `PATCH /users/{userId}` field, plus `email` and
/// `status` (`active` or `inactive`). Checked as a whole, then applied: a
/// reactivation first, the profile, the e-mail, a deactivation last. Pending users'
/// profiles cannot be edited (Zoom's portal shows them as invitations).
pub(crate) fn admin_edit(
    world: &mut World,
    seq: u64,
    body: &Map<String, Value>,
) -> Result<(), SimError> {
    let mut rest = body.clone();
    let status = match rest.remove("status") {
        None => None,
        Some(Value::String(s)) if s == "active" => Some(UserStatus::Active),
        Some(Value::String(s)) if s == "inactive" => Some(UserStatus::Inactive),
        Some(other) => {
            return Err(SimError::invalid(format!(
                "status must be \"active\" or \"inactive\", got {other}"
            )));
        }
    };
    let email = match rest.remove("email") {
        None => None,
        Some(Value::String(e)) if crate::simulator::body::is_valid_email(&e) => Some(e),
        Some(other) => return Err(SimError::invalid(format!("Invalid email: {other}"))),
    };
    let patch = check_user_patch(&rest)?;
    let current = world.user(seq).map(User::status);
    if current == Some(UserStatus::Pending) && (!rest.is_empty() || status.is_some()) {
        return Err(SimError::new(
            StatusCode::CONFLICT,
            300,
            "A pending user's invitation must be accepted first.",
        ));
    }
    if let Some(e) = &email
        && world.find_by_email(e).is_some_and(|other| other != seq)
    {
        return Err(SimError::new(
            StatusCode::CONFLICT,
            1005,
            format!("Email {e} has already been used."),
        ));
    }
    if status == Some(UserStatus::Active) {
        world.set_status(seq, UserStatus::Active);
    }
    if !rest.is_empty() {
        apply_reporting(world, seq, patch)?;
    }
    if let Some(e) = email {
        world.set_email(seq, e);
    }
    if status == Some(UserStatus::Inactive) {
        world.set_status(seq, UserStatus::Inactive);
    }
    Ok(())
}

pub(super) async fn update_user(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult {
    let settings = sim.settings();
    let mut world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    let body = parse_object(&body)?;
    let patch = check_user_patch(&body)?;
    let status = world.user(seq).map(User::status);
    match status {
        // docs/java-connector.md section 8: Zoom refuses updates to deactivated users with
        // code 1053 (its pull request 35 names it USER_DISABLE).
        Some(UserStatus::Inactive) => Err(SimError::bad_request(1053, "User is deactivated.")),
        // `group_id` adds a pending user to a group; other updates to pending users
        // "succeed but are not reflected" (contract section 3.10).
        Some(UserStatus::Pending) => {
            if let Some(group_id) = &patch.group_id {
                let group = world.resolve_group(group_id).ok_or_else(|| {
                    SimError::new(
                        StatusCode::NOT_FOUND,
                        4130,
                        format!("Group does not exist: {group_id}."),
                    )
                })?;
                world.add_member(group, seq);
            }
            Ok(empty_response(StatusCode::NO_CONTENT))
        }
        _ => {
            if patch.zoom_phone == Some(true) && !settings.phone_enabled {
                return Err(phone_licence_error());
            }
            // `group_id` is documented for pending users only; active users join groups
            // through `POST /groups/{groupId}/members`.
            apply_reporting(&mut world, seq, patch)?;
            Ok(empty_response(StatusCode::NO_CONTENT))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn patch_rejects_licence_fields_together() {
        let body = json!({"type": 1, "zoom_one_type": 16});
        let e = check_user_patch(body.as_object().expect("object")).expect_err("refused");
        assert_eq!(e.code, 300);
        assert!(e.message.contains("at the same time"));
    }

    #[test]
    fn patch_validates_lengths_and_shapes() {
        let body = json!({"first_name": "x".repeat(65), "pmi": 123, "phone_numbers": [1, 2, 3, 4],
                          "linkedin_url": "https://example.com/me", "host_key": "12ab56"});
        let e = check_user_patch(body.as_object().expect("object")).expect_err("refused");
        let fields: Vec<_> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "first_name",
                "host_key",
                "pmi",
                "linkedin_url",
                "phone_numbers"
            ]
        );
    }

    #[test]
    fn patch_accepts_the_documented_fields() {
        let body = json!({"first_name": "Jill", "job_title": "CTO", "feature": {"zoom_phone": true},
                          "phone_numbers": [{"code": "+1", "country": "US", "label": "Office", "number": "8005551234"}],
                          "custom_attributes": [{"key": "k1", "name": "A1", "value": "v"}],
                          "pmi": 3214569870u64, "unknown_field": 1});
        let p = check_user_patch(body.as_object().expect("object")).expect("valid");
        assert_eq!(p.first_name.as_deref(), Some("Jill"));
        assert_eq!(p.zoom_phone, Some(true));
        assert_eq!(p.phone_numbers.map(|n| n.len()), Some(1));
        assert_eq!(p.pmi, Some(3_214_569_870));
    }
}
