//! Zoom Phone writes, pure: Zoom's native SCIM aliases translated into the project's
//! extension, the phone part of a desired user, and the calls that bring a phone
//! profile to it (by difference, so a replace of a whole list works and a replay
//! only redoes what is missing).

use serde_json::{Map, Value, json};

use crate::mapping::user::PhoneView;
use crate::mapping::user_write::normalize_phone;
use crate::scim::error::{ScimError, clip};
use crate::scim::model::urn;
use crate::zoom::model::AccountCallingPlan;

/// `GET /phone/users` items hold at most 10 `phone_numbers` (contract section 5; `POST
/// /phone/users/{userId}/phone_numbers` takes at most 10): the numbers a user holds.
pub const MAX_NUMBERS_PER_USER: usize = 10;

/// Translates Zoom's native SCIM extension (`urn:ietf:params:scim:schemas:extension:
/// zoom:1.0:User`, contract section 9 "Zoom Phone through SCIM") into the
/// project's `zoom:2.0:User` attributes, and removes it (it is write-only):
/// - `zoomPhoneExtNumber`: the extension; `"0"` = let Zoom assign one;
/// - `zoomPhoneNumber`: a number to assign (added; Zoom's native SCIM never removes one);
/// - `zoomPhoneSite`: the site's name;
/// - `zoomPhoneCallingPlan`: the user's one calling plan (the list becomes exactly that
///   plan); `-1` removes all plans.
///
/// Any of them turns Zoom Phone on, as Zoom's native SCIM does.
pub fn apply_native_aliases(desired: &mut Value) -> Result<(), ScimError> {
    let Some(object) = desired.as_object_mut() else {
        return Ok(());
    };
    let Some(native) = object.remove(urn::ZOOM_NATIVE_USER) else {
        return Ok(());
    };
    if let Some(Value::Array(schemas)) = object.get_mut("schemas") {
        schemas.retain(|s| s.as_str() != Some(urn::ZOOM_NATIVE_USER));
    }
    let Some(native) = native.as_object() else {
        return Ok(());
    };
    let text = |name: &str| -> Option<String> {
        native.get(name).and_then(|v| match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let extension = text("zoomPhoneExtNumber");
    let number = text("zoomPhoneNumber");
    let site = text("zoomPhoneSite");
    let plan = text("zoomPhoneCallingPlan");
    if extension.is_none() && number.is_none() && site.is_none() && plan.is_none() {
        return Ok(());
    }
    let ext = object
        .entry(urn::ZOOM_USER.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(ext) = ext.as_object_mut() else {
        return Ok(());
    };
    let removes_plans_only =
        plan.as_deref() == Some("-1") && extension.is_none() && number.is_none() && site.is_none();
    if !removes_plans_only {
        ext.insert("zoomPhoneFeature".into(), json!(true));
    }
    if let Some(extension) = extension.filter(|e| e != "0") {
        ext.insert("extensionNumber".into(), json!(extension));
    }
    if let Some(site) = site {
        ext.insert("siteName".into(), json!(site));
        ext.remove("siteId");
    }
    if let Some(plan) = plan {
        if plan == "-1" {
            ext.remove("callingPlans");
        } else {
            let code: i64 = plan.parse().map_err(|_| {
                ScimError::invalid_value(format!(
                    "{}:zoomPhoneCallingPlan '{}' is not a calling-plan code (e.g. 200, 3000; -1 removes all plans)",
                    urn::ZOOM_NATIVE_USER,
                    clip(&plan)
                ))
            })?;
            ext.insert("callingPlans".into(), json!([code]));
        }
    }
    if let Some(number) = number {
        let numbers = ext
            .entry("zoomPhoneNumbers")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = numbers
            && !items.iter().any(|n| n.as_str() == Some(number.as_str()))
        {
            items.push(json!(number));
        }
    }
    Ok(())
}

/// Where the user's phone profile should be, as far as the request says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhoneTarget {
    /// `Some(false)`: turn Zoom Phone off (last step); `Some(true)`: on (first).
    pub feature: Option<bool>,
    /// Site, by id.
    pub site_id: Option<String>,
    /// Site, by name (resolved through the site list) when no id is given.
    pub site_name: Option<String>,
    /// Full extension number.
    pub extension: Option<String>,
    /// The exact set of calling-plan codes, when the request changes it.
    pub plans: Option<Vec<i64>>,
    /// The codes of `plans` the user does not hold yet: each needs the account's
    /// subscription and a free seat, checked before anything is sent.
    pub new_plans: Vec<i64>,
    /// The exact set of numbers (E.164), when the request changes it.
    pub numbers: Option<Vec<String>>,
}

fn ext<'v>(user: &'v Value, name: &str) -> Option<&'v Value> {
    user.get(urn::ZOOM_USER).and_then(|e| e.get(name))
}

fn text(user: &Value, name: &str) -> Option<String> {
    ext(user, name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn int_set(value: Option<&Value>) -> Result<Vec<i64>, ScimError> {
    let mut out = Vec::new();
    for item in value.and_then(Value::as_array).into_iter().flatten() {
        let code = match item {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            ScimError::invalid_value(format!(
                "callingPlans: '{}' is not a plan code",
                clip(&item.to_string())
            ))
        })?;
        out.push(code);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The requested numbers, each checked: a string of digits with an optional leading
/// `+` once the formatting is taken out ([`normalize_phone`]; E.164 allows up to 15
/// digits). A value that is no number is refused, never dropped: dropping it from a
/// `replace` would take the user's real numbers away.
fn requested_numbers(value: Option<&Value>) -> Result<Vec<String>, ScimError> {
    let refuse = |shown: &str| {
        ScimError::invalid_value(format!(
            "zoomPhoneNumbers value '{}' is not a phone number in E.164 form such as +14155550100; nothing was changed",
            clip(shown)
        ))
    };
    let mut out = Vec::new();
    for item in value.and_then(Value::as_array).into_iter().flatten() {
        let Some(raw) = item.as_str() else {
            return Err(refuse(&item.to_string()));
        };
        let compact = normalize_phone(raw);
        let digits = compact.strip_prefix('+').unwrap_or(&compact);
        if !(3..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse(raw));
        }
        out.push(compact);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The numbers Zoom shows (read leniently: formatting dropped).
fn number_set(value: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|s| {
            s.chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect()
        })
        .filter(|s: &String| !s.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The phone part of the difference between the current and the desired user
/// (`None`: nothing phone-related changes).
pub fn phone_target(current: &Value, desired: &Value) -> Result<Option<PhoneTarget>, ScimError> {
    let mut target = PhoneTarget::default();
    let feature = |u: &Value| ext(u, "zoomPhoneFeature").and_then(Value::as_bool);
    let has_phone = feature(current) == Some(true);
    let mut changed = false;
    if feature(desired) != feature(current) && feature(desired).is_some() {
        target.feature = feature(desired);
        changed = true;
    }
    if text(desired, "siteId") != text(current, "siteId") && text(desired, "siteId").is_some() {
        target.site_id = text(desired, "siteId");
        changed = true;
    } else if text(desired, "siteName") != text(current, "siteName")
        && text(desired, "siteName").is_some()
    {
        target.site_name = text(desired, "siteName");
        changed = true;
    }
    if text(desired, "extensionNumber") != text(current, "extensionNumber")
        && text(desired, "extensionNumber").is_some()
    {
        target.extension = text(desired, "extensionNumber");
        changed = true;
    }
    let plans = int_set(ext(desired, "callingPlans"))?;
    let held = int_set(ext(current, "callingPlans"))?;
    if plans != held {
        target.new_plans = plans
            .iter()
            .filter(|p| !held.contains(p))
            .copied()
            .collect();
        target.plans = Some(plans);
        changed = true;
    }
    let held_numbers = ext(current, "zoomPhoneNumbers");
    let numbers = if ext(desired, "zoomPhoneNumbers") == held_numbers {
        number_set(held_numbers)
    } else {
        requested_numbers(ext(desired, "zoomPhoneNumbers"))?
    };
    if numbers != number_set(held_numbers) {
        if numbers.len() > MAX_NUMBERS_PER_USER {
            return Err(ScimError::invalid_value(format!(
                "zoomPhoneNumbers: Zoom holds at most {MAX_NUMBERS_PER_USER} numbers per user, the request has {}; nothing was changed",
                numbers.len()
            )));
        }
        target.numbers = Some(numbers);
        changed = true;
    }
    if !changed {
        return Ok(None);
    }
    // Any phone attribute implies the feature, unless the request turns it off.
    if target.feature.is_none() && !has_phone {
        let asks_for_something = target.site_id.is_some()
            || target.site_name.is_some()
            || target.extension.is_some()
            || target.plans.as_ref().is_some_and(|p| !p.is_empty())
            || target.numbers.as_ref().is_some_and(|n| !n.is_empty());
        if asks_for_something {
            target.feature = Some(true);
        }
    }
    Ok(Some(target))
}

/// Why the account cannot give a user a calling plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanShortfall {
    /// The account subscribes to no plan of this code.
    NotSubscribed(i64),
    /// Every seat of this plan (code, name) is assigned.
    NoSeat(i64, String),
}

impl PlanShortfall {
    /// The SCIM error refusing the request before any change; `account` lists the plans.
    pub fn refusal(&self, account: &[AccountCallingPlan]) -> ScimError {
        match self {
            PlanShortfall::NotSubscribed(code) => {
                let mut types: Vec<i64> = account.iter().filter_map(|p| p.plan_type).collect();
                types.sort_unstable();
                types.dedup();
                let codes: Vec<String> = types.iter().map(i64::to_string).collect();
                let codes = if codes.is_empty() {
                    "none".to_owned()
                } else {
                    codes.join(", ")
                };
                ScimError::invalid_value(format!(
                    "callingPlans: the Zoom account has no calling plan {code} (its plans: {codes}); nothing was changed"
                ))
            }
            PlanShortfall::NoSeat(code, name) => ScimError::invalid_value(format!(
                "callingPlans: every seat of calling plan {code} ({name}) is assigned; nothing was changed. Free a seat or add seats in Zoom, then send the request again"
            )),
        }
    }
}

/// The first plan of `wanted` the account's subscriptions (`GET
/// /phone/calling_plans` items: `type`, `available`) cannot give, if any. A plan
/// listed several times (one entry per billing account) has a seat when any entry has.
pub fn plan_shortfall(wanted: &[i64], account: &[AccountCallingPlan]) -> Option<PlanShortfall> {
    wanted.iter().find_map(|code| {
        let entries: Vec<&AccountCallingPlan> = account
            .iter()
            .filter(|p| p.plan_type == Some(*code))
            .collect();
        if entries.is_empty() {
            return Some(PlanShortfall::NotSubscribed(*code));
        }
        // Zoom always sends `available`; a missing one is not a refusal.
        let free = entries.iter().any(|p| p.available.is_none_or(|n| n > 0));
        (!free).then(|| {
            let name = entries
                .iter()
                .find_map(|p| p.name.clone())
                .unwrap_or_default();
            PlanShortfall::NoSeat(*code, name)
        })
    })
}

/// A user's phone profile as Zoom holds it (from `GET /phone/users/{userId}`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhoneProfileState {
    /// Site id.
    pub site_id: Option<String>,
    /// Extension number.
    pub extension: Option<String>,
    /// Calling-plan codes.
    pub plans: Vec<i64>,
    /// Numbers, E.164.
    pub numbers: Vec<String>,
}

impl From<PhoneView> for PhoneProfileState {
    fn from(view: PhoneView) -> Self {
        Self {
            site_id: view.site_id,
            extension: view.extension_number,
            plans: view.calling_plans,
            numbers: view.numbers,
        }
    }
}

/// One Zoom Phone call.
#[derive(Debug, Clone, PartialEq)]
pub enum PhoneCall {
    /// `PATCH /phone/users/{userId}` with a site and/or an extension.
    Update {
        /// New site id.
        site_id: Option<String>,
        /// New extension number.
        extension: Option<String>,
    },
    /// `DELETE /phone/users/{userId}/calling_plans/{planType}`.
    UnassignPlan(i64),
    /// `POST /phone/users/{userId}/calling_plans`.
    AssignPlans(Vec<i64>),
    /// `DELETE /phone/users/{userId}/phone_numbers/{number}`.
    UnassignNumber(String),
    /// `POST /phone/users/{userId}/phone_numbers`.
    AssignNumbers(Vec<String>),
}

impl PhoneCall {
    /// A label for progress reports.
    pub fn label(&self) -> String {
        match self {
            PhoneCall::Update { site_id, extension } => match (site_id, extension) {
                (Some(s), Some(e)) => format!("phone site -> {s}, extension -> {e}"),
                (Some(s), None) => format!("phone site -> {s}"),
                (None, Some(e)) => format!("phone extension -> {e}"),
                (None, None) => "phone profile".into(),
            },
            PhoneCall::UnassignPlan(p) => format!("unassign calling plan {p}"),
            PhoneCall::AssignPlans(p) => format!(
                "assign calling plans {}",
                p.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            ),
            PhoneCall::UnassignNumber(n) => format!("unassign number {n}"),
            PhoneCall::AssignNumbers(n) => format!("assign numbers {}", n.join(", ")),
        }
    }
}

/// The calls that bring `profile` to `target` (site id already resolved), in order:
/// site and extension; new numbers (before any number is removed, so a number Zoom
/// refuses, not the account's or taken, fails while the user still holds theirs: a
/// user may hold several); plans removed then added (a freed licence can be reused;
/// new plans were checked against the account's subscriptions); numbers removed.
/// Only when the new numbers would not fit beside the held ones
/// ([`MAX_NUMBERS_PER_USER`]) are just enough numbers removed first.
pub fn phone_calls(
    profile: &PhoneProfileState,
    target: &PhoneTarget,
    site_id: Option<&str>,
) -> Vec<PhoneCall> {
    let mut calls = Vec::new();
    let site = site_id
        .filter(|s| profile.site_id.as_deref() != Some(*s))
        .map(str::to_owned);
    let extension = target
        .extension
        .clone()
        .filter(|e| profile.extension.as_deref() != Some(e.as_str()));
    if site.is_some() || extension.is_some() {
        calls.push(PhoneCall::Update {
            site_id: site,
            extension,
        });
    }
    let mut remove_numbers: Vec<String> = Vec::new();
    let mut number_calls = Vec::new();
    if let Some(numbers) = &target.numbers {
        remove_numbers = profile
            .numbers
            .iter()
            .filter(|n| !numbers.contains(n))
            .cloned()
            .collect();
        let add: Vec<String> = numbers
            .iter()
            .filter(|n| !profile.numbers.contains(n))
            .cloned()
            .collect();
        if !add.is_empty() {
            let room = MAX_NUMBERS_PER_USER.saturating_sub(profile.numbers.len());
            let first = add.len().saturating_sub(room).min(remove_numbers.len());
            for n in remove_numbers.drain(..first) {
                number_calls.push(PhoneCall::UnassignNumber(n));
            }
            number_calls.push(PhoneCall::AssignNumbers(add));
        }
    }
    let mut plan_calls = Vec::new();
    if let Some(plans) = &target.plans {
        for p in &profile.plans {
            if !plans.contains(p) {
                plan_calls.push(PhoneCall::UnassignPlan(*p));
            }
        }
        let add: Vec<i64> = plans
            .iter()
            .filter(|p| !profile.plans.contains(p))
            .copied()
            .collect();
        if !add.is_empty() {
            plan_calls.push(PhoneCall::AssignPlans(add));
        }
    }
    // Numbers first: Zoom refuses a number only when it is sent (the account's numbers
    // cannot be checked one by one), and a refusal then leaves the plans as they were.
    // A user without any calling plan gets its plans first, as Zoom's own admin portal
    // does: a number is dialled through the user's plan.
    if profile.plans.is_empty() {
        calls.extend(plan_calls);
        calls.extend(number_calls);
    } else {
        calls.extend(number_calls);
        calls.extend(plan_calls);
    }
    calls.extend(remove_numbers.into_iter().map(PhoneCall::UnassignNumber));
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(ext: Value) -> Value {
        json!({"userName": "a@example.com", urn::ZOOM_USER: ext})
    }

    #[test]
    fn native_aliases_become_extension_attributes() {
        let mut desired = json!({
            "schemas": [urn::USER, urn::ZOOM_NATIVE_USER],
            "userName": "a@example.com",
            urn::ZOOM_NATIVE_USER: {"zoomPhoneExtNumber": "1001", "zoomPhoneNumber": "+14155550100",
                                    "zoomPhoneSite": "Main Site", "zoomPhoneCallingPlan": "3000"}
        });
        apply_native_aliases(&mut desired).unwrap();
        assert!(desired.get(urn::ZOOM_NATIVE_USER).is_none());
        assert_eq!(desired["schemas"], json!([urn::USER]));
        let ext = &desired[urn::ZOOM_USER];
        assert_eq!(ext["zoomPhoneFeature"], true);
        assert_eq!(ext["extensionNumber"], "1001");
        assert_eq!(ext["siteName"], "Main Site");
        assert_eq!(ext["callingPlans"], json!([3000]));
        assert_eq!(ext["zoomPhoneNumbers"], json!(["+14155550100"]));
    }

    #[test]
    fn native_auto_extension_and_plan_removal() {
        let mut desired = json!({"userName": "a@example.com",
            urn::ZOOM_USER: {"zoomPhoneFeature": true, "extensionNumber": "1001", "callingPlans": [200]},
            urn::ZOOM_NATIVE_USER: {"zoomPhoneExtNumber": "0", "zoomPhoneCallingPlan": -1}});
        apply_native_aliases(&mut desired).unwrap();
        let ext = &desired[urn::ZOOM_USER];
        assert_eq!(
            ext["extensionNumber"], "1001",
            "0 = auto: keep what Zoom assigned"
        );
        assert!(ext.get("callingPlans").is_none(), "-1 removes all plans");
        let mut bad = json!({urn::ZOOM_NATIVE_USER: {"zoomPhoneCallingPlan": "gold"}});
        assert_eq!(apply_native_aliases(&mut bad).unwrap_err().status, 400);
    }

    #[test]
    fn target_is_the_difference_and_implies_the_feature() {
        let current = user(json!({"zoomPhoneFeature": false}));
        let desired =
            user(json!({"zoomPhoneFeature": false, "siteName": "Berlin", "callingPlans": [200]}));
        let target = phone_target(&current, &desired).unwrap().unwrap();
        assert_eq!(target.feature, Some(true));
        assert_eq!(target.site_name.as_deref(), Some("Berlin"));
        assert_eq!(target.plans, Some(vec![200]));
        assert_eq!(target.numbers, None);
        assert_eq!(phone_target(&current, &current).unwrap(), None);
    }

    #[test]
    fn turning_the_feature_off_is_its_own_target() {
        let current = user(json!({"zoomPhoneFeature": true, "callingPlans": [200]}));
        let desired = user(json!({"zoomPhoneFeature": false, "callingPlans": [200]}));
        let target = phone_target(&current, &desired).unwrap().unwrap();
        assert_eq!(target.feature, Some(false));
    }

    #[test]
    fn calls_replace_lists_by_difference() {
        let profile = PhoneProfileState {
            site_id: Some("s1".into()),
            extension: Some("1001".into()),
            plans: vec![100, 200],
            numbers: vec!["+14155550100".into(), "+14155550101".into()],
        };
        let target = PhoneTarget {
            extension: Some("1002".into()),
            plans: Some(vec![200, 3000]),
            numbers: Some(vec!["+14155550101".into(), "+14155550199".into()]),
            ..Default::default()
        };
        let calls = phone_calls(&profile, &target, Some("s1"));
        assert_eq!(
            calls,
            vec![
                PhoneCall::Update {
                    site_id: None,
                    extension: Some("1002".into())
                },
                // A number Zoom refuses fails before the held one is given up.
                PhoneCall::AssignNumbers(vec!["+14155550199".into()]),
                PhoneCall::UnassignPlan(100),
                PhoneCall::AssignPlans(vec![3000]),
                PhoneCall::UnassignNumber("+14155550100".into()),
            ]
        );
        // Reached: nothing left to do.
        let reached = PhoneProfileState {
            site_id: Some("s1".into()),
            extension: Some("1002".into()),
            plans: vec![200, 3000],
            numbers: vec!["+14155550101".into(), "+14155550199".into()],
        };
        assert!(phone_calls(&reached, &target, Some("s1")).is_empty());
        // A user without any plan gets its plan before its number.
        let bare = PhoneProfileState {
            site_id: Some("s1".into()),
            ..Default::default()
        };
        let target = PhoneTarget {
            plans: Some(vec![200]),
            numbers: Some(vec!["+14155550199".into()]),
            ..Default::default()
        };
        assert_eq!(
            phone_calls(&bare, &target, Some("s1")),
            vec![
                PhoneCall::AssignPlans(vec![200]),
                PhoneCall::AssignNumbers(vec!["+14155550199".into()]),
            ]
        );
    }

    #[test]
    fn numbers_make_room_only_when_the_new_ones_do_not_fit() {
        let held: Vec<String> = (0..9).map(|i| format!("+1415555010{i}")).collect();
        let profile = PhoneProfileState {
            numbers: held.clone(),
            ..Default::default()
        };
        // Two of the nine replaced by two others: one is removed first to make room.
        let mut wanted: Vec<String> = held[2..].to_vec();
        wanted.extend(["+14155550200".to_owned(), "+14155550201".to_owned()]);
        let target = PhoneTarget {
            numbers: Some(wanted.clone()),
            ..Default::default()
        };
        assert_eq!(
            phone_calls(&profile, &target, None),
            vec![
                PhoneCall::UnassignNumber(held[0].clone()),
                PhoneCall::AssignNumbers(wanted[7..].to_vec()),
                PhoneCall::UnassignNumber(held[1].clone()),
            ]
        );
        // More than Zoom holds is refused before any call.
        let current = user(json!({"zoomPhoneFeature": true}));
        let eleven: Vec<String> = (0..11).map(|i| format!("+1415555030{i:02}")).collect();
        let desired = user(json!({"zoomPhoneFeature": true, "zoomPhoneNumbers": eleven}));
        let refusal = phone_target(&current, &desired).unwrap_err();
        assert_eq!(refusal.status, 400);
        assert!(refusal.detail.contains("at most 10"), "{}", refusal.detail);
    }

    #[test]
    fn a_value_that_is_no_phone_number_is_refused_not_dropped() {
        let current =
            user(json!({"zoomPhoneFeature": true, "zoomPhoneNumbers": ["+442020000060"]}));
        for bad in [
            json!(["abc"]),
            json!([""]),
            json!(["call me maybe"]),
            json!([442020]),
            json!(["+1 (555) x"]),
        ] {
            let desired = user(json!({"zoomPhoneFeature": true, "zoomPhoneNumbers": bad.clone()}));
            let err = phone_target(&current, &desired).unwrap_err();
            assert_eq!(
                err.scim_type,
                Some(crate::scim::error::ScimType::InvalidValue),
                "{bad}"
            );
            assert!(err.detail.contains("E.164"), "{bad}: {}", err.detail);
        }
        // Formatting is not a reason to refuse.
        let desired =
            user(json!({"zoomPhoneFeature": true, "zoomPhoneNumbers": ["+44 (20) 2000-0061"]}));
        let target = phone_target(&current, &desired).unwrap().unwrap();
        assert_eq!(target.numbers, Some(vec!["+442020000061".to_owned()]));
        // An empty list clears them.
        let desired = user(json!({"zoomPhoneFeature": true, "zoomPhoneNumbers": []}));
        let target = phone_target(&current, &desired).unwrap().unwrap();
        assert_eq!(target.numbers, Some(Vec::new()));
    }

    #[test]
    fn new_plans_are_those_the_user_does_not_hold() {
        let current = user(json!({"zoomPhoneFeature": true, "callingPlans": [100, 200]}));
        let desired = user(json!({"zoomPhoneFeature": true, "callingPlans": [200, 3000]}));
        let target = phone_target(&current, &desired).unwrap().unwrap();
        assert_eq!(target.plans, Some(vec![200, 3000]));
        assert_eq!(target.new_plans, vec![3000]);
        let removed = user(json!({"zoomPhoneFeature": true}));
        let target = phone_target(&current, &removed).unwrap().unwrap();
        assert!(target.new_plans.is_empty());
    }

    #[test]
    fn plans_the_account_cannot_give_are_named() {
        let plan = |t: i64, available: i64| AccountCallingPlan {
            plan_type: Some(t),
            name: Some(format!("Plan {t}")),
            available: Some(available),
            ..Default::default()
        };
        let account = vec![plan(100, 0), plan(200, 3), plan(300, 0), plan(300, 1)];
        assert_eq!(plan_shortfall(&[200, 300], &account), None);
        assert_eq!(
            plan_shortfall(&[200, 2000], &account),
            Some(PlanShortfall::NotSubscribed(2000))
        );
        assert_eq!(
            plan_shortfall(&[100], &account),
            Some(PlanShortfall::NoSeat(100, "Plan 100".into()))
        );
        let error = PlanShortfall::NotSubscribed(2000).refusal(&account);
        assert_eq!(error.status, 400);
        assert!(
            error.detail.contains("2000") && error.detail.contains("100, 200, 300"),
            "{}",
            error.detail
        );
        assert!(error.detail.contains("nothing was changed"));
    }
}
