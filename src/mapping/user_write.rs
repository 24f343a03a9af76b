//! SCIM User writes -> Zoom changes. Pure: given the user as zoom-scim renders it from
//! Zoom (`current`) and the user the client wants (`desired`, after PATCH or PUT
//! semantics), compute the Zoom calls' contents. Every write is a difference against
//! Zoom's current state, so replaying a request after a partial failure only redoes
//! what is missing.

use serde_json::Value;

use crate::mapping::user::{USER_TYPES, user_type_code};
use crate::scim::error::{ScimError, clip};
use crate::scim::model::urn;
use crate::zoom::model::CreateAction;
use crate::zoom::model::{
    CreateUser, CreateUserInfo, MEMBER_ROLE_ID, UpdateUser, UserFeature, UserPhoneNumber, ZoomUser,
};

/// The Zoom Phone attributes of the Zoom extension (written by the phone plan).
pub const PHONE_ATTRIBUTES: [&str; 6] = [
    "zoomPhoneFeature",
    "siteId",
    "siteName",
    "extensionNumber",
    "callingPlans",
    "zoomPhoneNumbers",
];

/// What a write changes, in Zoom terms, before any I/O.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UserChanges {
    /// `Some(true)`: reactivate (first); `Some(false)`: deactivate (last).
    pub active: Option<bool>,
    /// The `PATCH /users/{id}` body (empty: no profile call).
    pub profile: UpdateUser,
    /// The SCIM attributes behind `profile`, for progress labels and pending refusals.
    pub profile_attributes: Vec<&'static str>,
    /// New login e-mail (`PUT /users/{id}/email`).
    pub email: Option<String>,
    /// The manager: `Some(Some(user id))` to set (resolved to an e-mail by the
    /// provider), `Some(None)` to clear.
    pub manager: Option<Option<String>>,
    /// New role, as the client wrote it (a role id, or a role name).
    pub role: Option<RoleChange>,
    /// Groups to join.
    pub groups_add: Vec<String>,
    /// Groups to leave.
    pub groups_remove: Vec<String>,
    /// Zoom Phone attributes that differ (names of [`PHONE_ATTRIBUTES`]).
    pub phone_attributes: Vec<&'static str>,
    /// Changes Zoom cannot hold, with the reason (answered as warnings).
    pub not_applied: Vec<String>,
}

/// A role change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    /// Move the user to this role (id or name, resolved by the provider).
    To(String),
    /// The client removed every role: Zoom users always hold one, so this moves the
    /// user to the account's default role (Member).
    Default,
}

impl UserChanges {
    /// True when nothing is to be done.
    pub fn is_empty(&self) -> bool {
        self.active.is_none()
            && self.profile.is_empty()
            && self.email.is_none()
            && self.manager.is_none()
            && self.role.is_none()
            && self.groups_add.is_empty()
            && self.groups_remove.is_empty()
            && self.phone_attributes.is_empty()
    }

    /// Attributes whose change Zoom silently drops for a pending user (everything but
    /// group joins and deactivation), as SCIM names.
    pub fn dropped_for_pending(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .profile_attributes
            .iter()
            .map(|s| s.to_string())
            .collect();
        if self.manager.is_some() {
            names.push("manager".into());
        }
        if self.email.is_some() {
            names.push("userName".into());
        }
        if self.role.is_some() {
            names.push("roles".into());
        }
        if !self.groups_remove.is_empty() {
            names.push("groupIds (leave)".into());
        }
        names.extend(self.phone_attributes.iter().map(|s| s.to_string()));
        if self.active == Some(true) {
            names.push("active".into());
        }
        names
    }
}

fn ext<'v>(user: &'v Value, urn: &str, name: &str) -> Option<&'v Value> {
    user.get(urn).and_then(|e| e.get(name))
}

fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn sub<'v>(user: &'v Value, attr: &str, sub: &str) -> Option<&'v str> {
    text(user.get(attr).and_then(|a| a.get(sub)))
}

/// `Some(new text or "")` when the text differs (Zoom clears a field with `""`).
fn changed(current: Option<&str>, desired: Option<&str>) -> Option<String> {
    (current != desired).then(|| desired.unwrap_or_default().to_owned())
}

/// Every `emails` value, in order.
fn email_values(user: &Value) -> Vec<&str> {
    user.get("emails")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| text(e.get("value")))
        .collect()
}

/// The primary (else first) role.
fn primary_role_item(user: &Value) -> Option<&Value> {
    let items = user.get("roles")?.as_array()?;
    items
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .or_else(|| items.first())
}

/// The primary (else first) role value.
fn primary_role(user: &Value) -> Option<&str> {
    text(primary_role_item(user)?.get("value"))
}

fn string_set(value: Option<&Value>) -> Vec<String> {
    let mut items: Vec<String> = value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| match v {
                    Value::String(s) if !s.is_empty() => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    items.dedup();
    items
}

/// SCIM `phoneNumbers` as a comparable set of (value, type).
fn phone_set(user: &Value) -> Vec<(String, String)> {
    let mut items: Vec<(String, String)> = user
        .get("phoneNumbers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let value = text(p.get("value"))?;
                    let kind = text(p.get("type")).unwrap_or("work").to_ascii_lowercase();
                    Some((normalize_phone(value), kind))
                })
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    items.dedup();
    items
}

/// Drops the formatting people write numbers with; anything else (letters) stays, so
/// the value is refused as written rather than read as the digits it happens to hold.
pub(crate) fn normalize_phone(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/'))
        .collect()
}

/// SCIM `phoneNumbers.type` -> Zoom `label` (Zoom "Users" API: Mobile, Office, Home, Fax).
fn phone_label(kind: &str) -> &'static str {
    match kind {
        "mobile" => "Mobile",
        "home" => "Home",
        "fax" => "Fax",
        _ => "Office",
    }
}

/// Splits an E.164 number into Zoom's `{country, code, number}` (Zoom "Users" API
/// `phone_numbers[]`: "code": country code such as "+1", "country": ISO country ID).
pub fn zoom_phone_number(value: &str, kind: &str) -> Result<UserPhoneNumber, ScimError> {
    let compact = normalize_phone(value);
    let parsed = phonenumber::parse(None, &compact).map_err(|_| {
        ScimError::invalid_value(format!(
            "phoneNumbers value '{}' is not an international (E.164) number such as +14155550100; nothing was changed",
            clip(value)
        ))
    })?;
    Ok(UserPhoneNumber {
        code: Some(format!("+{}", parsed.code().value())),
        country: parsed.country().id().map(|id| id.as_ref().to_owned()),
        label: Some(phone_label(kind).to_owned()),
        number: Some(parsed.national().to_string()),
        ..Default::default()
    })
}

/// The Zoom user `type` the desired resource asks for: the extension's `type`
/// wins over `userType` (both show the same Zoom field).
fn desired_type(current: &Value, desired: &Value) -> Result<Option<i64>, ScimError> {
    let ext_type = |u: &Value| ext(u, urn::ZOOM_USER, "type").and_then(Value::as_i64);
    if ext_type(current) != ext_type(desired) {
        return match ext_type(desired) {
            Some(t) if USER_TYPES.iter().any(|(code, _)| *code == t) => Ok(Some(t)),
            Some(t) => Err(ScimError::invalid_value(format!(
                "Zoom user type {t} does not exist (1 Basic, 2 Licensed, 4 Unassigned, 99 None)"
            ))),
            None => Ok(None),
        };
    }
    let current_name = text(current.get("userType"));
    let desired_name = text(desired.get("userType"));
    if current_name.map(str::to_ascii_lowercase) == desired_name.map(str::to_ascii_lowercase) {
        return Ok(None);
    }
    match desired_name {
        None => Ok(None),
        Some(name) => user_type_code(name).map(Some).ok_or_else(|| {
            ScimError::invalid_value(format!(
                "userType '{}' is not a Zoom user type (Basic, Licensed, Unassigned, None)",
                clip(name)
            ))
        }),
    }
}

/// Sets one text field of a profile update.
type SetField = fn(&mut UpdateUser, String);

/// The difference between the current and the desired user.
pub fn diff(current: &Value, desired: &Value) -> Result<UserChanges, ScimError> {
    let mut changes = UserChanges::default();
    let profile = &mut changes.profile;
    let attrs = &mut changes.profile_attributes;

    let current_active = current.get("active").and_then(Value::as_bool);
    let desired_active = desired.get("active").and_then(Value::as_bool);
    if let Some(want) = desired_active
        && current_active != Some(want)
    {
        changes.active = Some(want);
    }

    let current_email = text(current.get("userName")).unwrap_or_default();
    let desired_email = text(desired.get("userName")).unwrap_or_default();
    if desired_email.is_empty() {
        return Err(ScimError::invalid_value(
            "userName cannot be removed: it is the user's Zoom login e-mail",
        ));
    }
    if !current_email.eq_ignore_ascii_case(desired_email) {
        changes.email = Some(desired_email.to_owned());
    }
    // Zoom keeps one e-mail address, the login (userName); `emails` shows it. Every
    // other address the request brings is named, whatever its type or place.
    let shown = email_values(current);
    let mut named: Vec<&str> = Vec::new();
    for email in email_values(desired) {
        let known = |a: &&str| a.eq_ignore_ascii_case(email);
        if email.eq_ignore_ascii_case(desired_email) || shown.iter().any(known) {
            continue;
        }
        if !named.iter().any(known) {
            named.push(email);
            changes.not_applied.push(format!(
                "emails value {} (Zoom keeps one e-mail address per user, the login: change userName instead)",
                clip(email)
            ));
        }
    }

    if let Some(v) = changed(
        sub(current, "name", "givenName"),
        sub(desired, "name", "givenName"),
    ) {
        profile.first_name = Some(v);
        attrs.push("name.givenName");
    }
    if let Some(v) = changed(
        sub(current, "name", "familyName"),
        sub(desired, "name", "familyName"),
    ) {
        profile.last_name = Some(v);
        attrs.push("name.familyName");
    }
    let simple: [(&'static str, SetField); 3] = [
        ("displayName", |p, v| p.display_name = Some(v)),
        ("title", |p, v| p.job_title = Some(v)),
        ("timezone", |p, v| p.timezone = Some(v)),
    ];
    for (name, set) in simple {
        if let Some(v) = changed(text(current.get(name)), text(desired.get(name))) {
            set(profile, v);
            attrs.push(name);
        }
    }
    // `preferredLanguage` and `locale` both show Zoom's `language`.
    for name in ["preferredLanguage", "locale"] {
        if let Some(v) = changed(text(current.get(name)), text(desired.get(name))) {
            profile.language = Some(v);
            attrs.push(name);
            break;
        }
    }
    if let Some(t) = desired_type(current, desired)? {
        profile.user_type = Some(t);
        attrs.push("userType");
    }
    if phone_set(current) != phone_set(desired) {
        let wanted = phone_set(desired);
        if wanted.len() > 3 {
            return Err(ScimError::invalid_value(
                "Zoom keeps at most 3 phoneNumbers per user",
            ));
        }
        profile.phone_numbers = Some(
            wanted
                .iter()
                .map(|(value, kind)| zoom_phone_number(value, kind))
                .collect::<Result<_, _>>()?,
        );
        attrs.push("phoneNumbers");
    }

    let enterprise: [(&'static str, SetField); 3] = [
        ("department", |p, v| p.dept = Some(v)),
        ("costCenter", |p, v| p.cost_center = Some(v)),
        ("organization", |p, v| p.company = Some(v)),
    ];
    for (name, set) in enterprise {
        let c = text(ext(current, urn::ENTERPRISE_USER, name));
        let d = text(ext(desired, urn::ENTERPRISE_USER, name));
        if let Some(v) = changed(c, d) {
            set(profile, v);
            attrs.push(name);
        }
    }
    if let Some(v) = changed(
        text(ext(current, urn::ZOOM_USER, "location")),
        text(ext(desired, urn::ZOOM_USER, "location")),
    ) {
        profile.location = Some(v);
        attrs.push("location");
    }

    check_profile_lengths(&changes.profile, changes.email.as_deref())?;

    let manager = |u: &Value| {
        ext(u, urn::ENTERPRISE_USER, "manager")
            .and_then(|m| text(m.get("value")))
            .map(str::to_owned)
    };
    if manager(current) != manager(desired) {
        changes.manager = Some(manager(desired));
    }

    // A Zoom user holds exactly one role: the primary (else first) one is applied, any
    // other is named as not applied rather than dropped silently.
    if let Some(roles) = desired.get("roles").and_then(Value::as_array)
        && roles.len() > 1
    {
        let kept = primary_role(desired);
        for role in roles {
            if let Some(value) = text(role.get("value"))
                && Some(value) != kept
            {
                changes.not_applied.push(format!(
                    "roles value {} (a Zoom user holds exactly one role: the primary one, {})",
                    clip(value),
                    clip(kept.unwrap_or_default())
                ));
            }
        }
    }
    // The held role named by id or by name is no change.
    let held_name = primary_role_item(current).and_then(|r| text(r.get("display")));
    let holds = |wanted: &str| {
        primary_role(current) == Some(wanted)
            || held_name.is_some_and(|n| n.eq_ignore_ascii_case(wanted))
    };
    let no_roles = desired
        .get("roles")
        .and_then(Value::as_array)
        .is_none_or(|r| r.is_empty());
    match (primary_role(current), primary_role(desired)) {
        (_, Some(d)) if !holds(d) => changes.role = Some(RoleChange::To(d.to_owned())),
        // No role at all (removed, `[]`) asks for the default role: a change only for a
        // user who holds another one.
        (Some(c), None) if no_roles && c != MEMBER_ROLE_ID => {
            changes.role = Some(RoleChange::Default)
        }
        _ => {}
    }

    let current_groups = string_set(ext(current, urn::ZOOM_USER, "groupIds"));
    let desired_groups = string_set(ext(desired, urn::ZOOM_USER, "groupIds"));
    changes.groups_add = desired_groups
        .iter()
        .filter(|g| !current_groups.contains(g))
        .cloned()
        .collect();
    changes.groups_remove = current_groups
        .iter()
        .filter(|g| !desired_groups.contains(g))
        .cloned()
        .collect();

    for name in PHONE_ATTRIBUTES {
        if ext(current, urn::ZOOM_USER, name) != ext(desired, urn::ZOOM_USER, name) {
            changes.phone_attributes.push(name);
        }
    }
    Ok(changes)
}

/// Refuses a value longer than Zoom takes, before anything is sent: Zoom's "Users" API
/// (`POST /users`, `PATCH /users/{userId}`) documents `maxLength` 128 for `email`,
/// `display_name` and `job_title`, 64 for `first_name` and `last_name`, 255 for
/// `company` and 256 for `location`. Zoom would refuse the call itself, but after the
/// steps before it had been applied (a create's user already made).
fn check_profile_lengths(profile: &UpdateUser, email: Option<&str>) -> Result<(), ScimError> {
    let limits: [(&str, Option<&str>, usize); 7] = [
        ("userName", email, 128),
        ("name.givenName", profile.first_name.as_deref(), 64),
        ("name.familyName", profile.last_name.as_deref(), 64),
        ("displayName", profile.display_name.as_deref(), 128),
        ("title", profile.job_title.as_deref(), 128),
        ("organization", profile.company.as_deref(), 255),
        ("location", profile.location.as_deref(), 256),
    ];
    for (attribute, value, max) in limits {
        let length = value.map_or(0, |v| v.chars().count());
        if length > max {
            return Err(ScimError::invalid_value(format!(
                "{attribute} has {length} characters; Zoom takes at most {max}; nothing was changed"
            )));
        }
    }
    Ok(())
}

/// The `POST /users` body for a desired user: e-mail, type and names (what Zoom's
/// create takes); everything else is applied after the user exists.
pub fn create_request(
    desired: &Value,
    action: CreateAction,
    default_type: i64,
) -> Result<CreateUser, ScimError> {
    let email = text(desired.get("userName"))
        .ok_or_else(|| ScimError::invalid_value("userName (the Zoom login e-mail) is required"))?;
    if !looks_like_email(email) {
        return Err(ScimError::invalid_value(format!(
            "userName '{}' is not an e-mail address; Zoom users log in with one",
            clip(email)
        )));
    }
    let empty = Value::Object(Default::default());
    let user_type = desired_type(&empty, desired)?.unwrap_or(default_type);
    let phone = ext(desired, urn::ZOOM_USER, "zoomPhoneFeature").and_then(Value::as_bool);
    let names = UpdateUser {
        first_name: sub(desired, "name", "givenName").map(str::to_owned),
        last_name: sub(desired, "name", "familyName").map(str::to_owned),
        display_name: text(desired.get("displayName")).map(str::to_owned),
        ..Default::default()
    };
    check_profile_lengths(&names, Some(email))?;
    Ok(CreateUser {
        action,
        user_info: CreateUserInfo {
            email: email.to_owned(),
            user_type,
            first_name: sub(desired, "name", "givenName").map(str::to_owned),
            last_name: sub(desired, "name", "familyName").map(str::to_owned),
            display_name: text(desired.get("displayName")).map(str::to_owned),
            feature: (phone == Some(true)).then_some(UserFeature {
                zoom_phone: Some(true),
                zoom_one_type: None,
            }),
            ..Default::default()
        },
    })
}

/// A plausible e-mail: one `@` with text on both sides and a dot in the domain.
/// Applies a profile update to a Zoom user record the way Zoom stores it: the fields of
/// `PATCH /users/{userId}` that Zoom keeps exactly as sent (contract section 3.4) are
/// copied. Returns false, leaving the record unusable, when the update holds a field
/// whose stored form Zoom decides: an empty `display_name` is derived from the names,
/// licence fields (`type`, `zoom_one_type`, `plan_united_type`) and `feature` bring
/// other changes, phone numbers come back with verification state, a PMI may be
/// refused, `group_id` applies to pending users only.
pub fn apply_profile(record: &mut ZoomUser, update: &UpdateUser) -> bool {
    // Destructured whole: a new field of `UpdateUser` must be classified here.
    let UpdateUser {
        first_name,
        last_name,
        display_name,
        user_type,
        zoom_one_type,
        plan_united_type,
        feature,
        group_id,
        dept,
        company,
        job_title,
        cost_center,
        location,
        language,
        timezone,
        manager,
        phone_numbers,
        pmi,
    } = update;
    let derived = display_name.is_some()
        || user_type.is_some()
        || zoom_one_type.is_some()
        || plan_united_type.is_some()
        || feature.is_some()
        || group_id.is_some()
        || phone_numbers.is_some()
        || pmi.is_some();
    if derived {
        return false;
    }
    let verbatim = [
        (&mut record.first_name, first_name),
        (&mut record.last_name, last_name),
        (&mut record.dept, dept),
        (&mut record.company, company),
        (&mut record.job_title, job_title),
        (&mut record.cost_center, cost_center),
        (&mut record.location, location),
        (&mut record.language, language),
        (&mut record.timezone, timezone),
        (&mut record.manager, manager),
    ];
    for (field, sent) in verbatim {
        if let Some(value) = sent {
            *field = Some(value.clone());
        }
    }
    true
}

fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> ZoomUser {
        serde_json::from_value(json!({
            "id": "u1", "email": "a@example.com", "first_name": "Ada", "last_name": "King",
            "display_name": "Ada King", "job_title": "Analyst", "status": "active"
        }))
        .unwrap()
    }

    #[test]
    fn verbatim_profile_fields_are_applied_as_zoom_stores_them() {
        let mut user = record();
        let update = UpdateUser {
            first_name: Some("Augusta".into()),
            job_title: Some(String::new()),
            dept: Some("Math".into()),
            manager: Some("boss@example.com".into()),
            ..UpdateUser::default()
        };
        assert!(apply_profile(&mut user, &update));
        assert_eq!(user.first_name.as_deref(), Some("Augusta"));
        assert_eq!(user.last_name.as_deref(), Some("King"));
        assert_eq!(user.job_title.as_deref(), Some(""));
        assert_eq!(user.dept.as_deref(), Some("Math"));
        assert_eq!(user.manager.as_deref(), Some("boss@example.com"));
        // Zoom keeps the display name it had.
        assert_eq!(user.display_name.as_deref(), Some("Ada King"));
    }

    #[test]
    fn fields_zoom_derives_are_not_predicted() {
        let derived = [
            UpdateUser {
                display_name: Some(String::new()),
                ..UpdateUser::default()
            },
            UpdateUser {
                user_type: Some(2),
                ..UpdateUser::default()
            },
            UpdateUser {
                phone_numbers: Some(Vec::new()),
                ..UpdateUser::default()
            },
            UpdateUser {
                group_id: Some("g".into()),
                ..UpdateUser::default()
            },
        ];
        for update in derived {
            assert!(!apply_profile(&mut record(), &update), "{update:?}");
        }
    }

    fn current() -> Value {
        json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER, urn::ZOOM_USER],
            "id": "u1", "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "displayName": "Ada Lovelace", "active": true,
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
            "userType": "Licensed",
            "roles": [{"value": "2", "display": "Member", "primary": true}],
            urn::ENTERPRISE_USER: {"department": "R&D"},
            urn::ZOOM_USER: {"status": "active", "type": 2, "groupIds": ["g1", "g2"]}
        })
    }

    #[test]
    fn no_difference_means_no_calls() {
        let changes = diff(&current(), &current()).unwrap();
        assert!(changes.is_empty(), "{changes:?}");
    }

    #[test]
    fn profile_fields_map_to_one_patch_body() {
        let mut desired = current();
        desired["name"]["givenName"] = json!("Augusta");
        desired["title"] = json!("Countess");
        desired[urn::ENTERPRISE_USER]
            .as_object_mut()
            .unwrap()
            .remove("department");
        let changes = diff(&current(), &desired).unwrap();
        assert_eq!(changes.profile.first_name.as_deref(), Some("Augusta"));
        assert_eq!(changes.profile.job_title.as_deref(), Some("Countess"));
        // Removing an attribute clears it in Zoom.
        assert_eq!(changes.profile.dept.as_deref(), Some(""));
        assert_eq!(
            changes.profile_attributes,
            vec!["name.givenName", "title", "department"]
        );
        assert!(changes.email.is_none() && changes.active.is_none());
    }

    #[test]
    fn active_email_role_and_groups_are_separate_changes() {
        let mut desired = current();
        desired["active"] = json!(false);
        desired["userName"] = json!("ada.king@example.com");
        desired["emails"][0]["value"] = json!("ada.king@example.com");
        desired["roles"] = json!([{"value": "1"}]);
        desired[urn::ZOOM_USER]["groupIds"] = json!(["g2", "g3"]);
        let changes = diff(&current(), &desired).unwrap();
        assert_eq!(changes.active, Some(false));
        assert_eq!(changes.email.as_deref(), Some("ada.king@example.com"));
        assert_eq!(changes.role, Some(RoleChange::To("1".into())));
        assert_eq!(changes.groups_add, vec!["g3"]);
        assert_eq!(changes.groups_remove, vec!["g1"]);
        assert!(changes.not_applied.is_empty());
        assert!(changes.profile.is_empty());
    }

    #[test]
    fn user_name_case_change_is_not_an_email_change() {
        let mut desired = current();
        desired["userName"] = json!("Ada@Example.com");
        assert!(diff(&current(), &desired).unwrap().email.is_none());
    }

    #[test]
    fn a_second_email_address_is_reported_not_applied() {
        let mut desired = current();
        desired["emails"] = json!([{"value": "ada@personal.example", "type": "work"}]);
        let changes = diff(&current(), &desired).unwrap();
        assert_eq!(changes.not_applied.len(), 1);
        assert!(changes.not_applied[0].contains("ada@personal.example"));
    }

    #[test]
    fn every_address_other_than_the_login_is_named_once() {
        let mut desired = current();
        desired["emails"] = json!([
            {"value": "ada@example.com", "type": "work", "primary": true},
            {"value": "ada@home.example", "type": "home"},
            {"value": "ADA@home.example", "type": "other"},
            {"value": "ada@club.example"}
        ]);
        let changes = diff(&current(), &desired).unwrap();
        assert_eq!(changes.not_applied.len(), 2, "{:?}", changes.not_applied);
        assert!(changes.not_applied[0].contains("ada@home.example"));
        assert!(changes.not_applied[1].contains("ada@club.example"));
        assert!(changes.is_empty());
        // The new login, sent as the e-mail too: nothing to say.
        desired["userName"] = json!("ada.king@example.com");
        desired["emails"] = json!([{"value": "Ada.King@example.com", "type": "work"}]);
        assert!(diff(&current(), &desired).unwrap().not_applied.is_empty());
    }

    #[test]
    fn the_held_role_by_id_or_name_and_no_role_for_a_member_change_nothing() {
        for roles in [
            json!([{"value": "2"}]),
            json!([{"value": "member"}]),
            json!([]),
        ] {
            let mut desired = current();
            desired["roles"] = roles.clone();
            assert_eq!(diff(&current(), &desired).unwrap().role, None, "{roles}");
        }
        let mut admin = current();
        admin["roles"] = json!([{"value": "1", "display": "Admin", "primary": true}]);
        let mut desired = admin.clone();
        desired["roles"] = json!([]);
        assert_eq!(
            diff(&admin, &desired).unwrap().role,
            Some(RoleChange::Default)
        );
        desired["roles"] = json!([{"value": "Member"}]);
        assert_eq!(
            diff(&admin, &desired).unwrap().role,
            Some(RoleChange::To("Member".into()))
        );
    }

    #[test]
    fn user_type_by_name_or_extension() {
        let mut desired = current();
        desired["userType"] = json!("basic");
        assert_eq!(
            diff(&current(), &desired).unwrap().profile.user_type,
            Some(1)
        );
        let mut desired = current();
        desired[urn::ZOOM_USER]["type"] = json!(4);
        assert_eq!(
            diff(&current(), &desired).unwrap().profile.user_type,
            Some(4)
        );
        let mut desired = current();
        desired["userType"] = json!("Platinum");
        assert_eq!(diff(&current(), &desired).unwrap_err().status, 400);
    }

    #[test]
    fn phone_numbers_are_split_for_zoom() {
        let mut desired = current();
        desired["phoneNumbers"] = json!([{"value": "+1 415 555 0100", "type": "mobile"}]);
        let changes = diff(&current(), &desired).unwrap();
        let numbers = changes.profile.phone_numbers.unwrap();
        assert_eq!(numbers[0].code.as_deref(), Some("+1"));
        assert_eq!(numbers[0].number.as_deref(), Some("4155550100"));
        assert_eq!(numbers[0].label.as_deref(), Some("Mobile"));
        let mut desired = current();
        desired["phoneNumbers"] = json!([{"value": "call me"}]);
        assert_eq!(diff(&current(), &desired).unwrap_err().status, 400);
    }

    #[test]
    fn removing_roles_moves_to_the_default_role_and_manager_is_by_id() {
        let mut admin = current();
        admin["roles"] = json!([{"value": "1", "display": "Admin", "primary": true}]);
        let mut desired = admin.clone();
        desired.as_object_mut().unwrap().remove("roles");
        desired[urn::ENTERPRISE_USER]["manager"] = json!({"value": "boss"});
        let changes = diff(&admin, &desired).unwrap();
        assert_eq!(changes.role, Some(RoleChange::Default));
        assert_eq!(changes.manager, Some(Some("boss".into())));
    }

    #[test]
    fn pending_users_drop_everything_but_group_joins_and_deactivation() {
        let mut desired = current();
        desired["title"] = json!("Engineer");
        desired[urn::ZOOM_USER]["groupIds"] = json!(["g1", "g2", "g9"]);
        let changes = diff(&current(), &desired).unwrap();
        assert_eq!(changes.dropped_for_pending(), vec!["title"]);
        assert_eq!(changes.groups_add, vec!["g9"]);
    }

    #[test]
    fn create_request_takes_names_type_and_phone_feature() {
        let desired = json!({"userName": "new@example.com", "name": {"givenName": "N"},
            "userType": "Basic", urn::ZOOM_USER: {"zoomPhoneFeature": true}});
        let create = create_request(&desired, CreateAction::Create, 2).unwrap();
        assert_eq!(create.user_info.email, "new@example.com");
        assert_eq!(create.user_info.user_type, 1);
        assert_eq!(create.user_info.first_name.as_deref(), Some("N"));
        assert_eq!(
            create.user_info.feature.and_then(|f| f.zoom_phone),
            Some(true)
        );
        let plain = create_request(
            &json!({"userName": "x@example.com"}),
            CreateAction::Create,
            2,
        )
        .unwrap();
        assert_eq!(plain.user_info.user_type, 2);
        let bad = create_request(
            &json!({"userName": "not-an-email"}),
            CreateAction::Create,
            1,
        );
        assert_eq!(bad.unwrap_err().status, 400);
    }

    #[test]
    fn extra_roles_are_named_not_dropped() {
        let mut desired = current();
        desired["roles"] = json!([{"value": "2", "primary": true}, {"value": "Auditor"}]);
        let changes = diff(&current(), &desired).unwrap();
        assert!(changes.role.is_none());
        assert_eq!(changes.not_applied.len(), 1);
        assert!(changes.not_applied[0].contains("Auditor"));
    }
}
