//! Zoom user (+ phone profile, group names, role) -> SCIM User JSON, and the SCIM
//! attributes that need Zoom's per-user detail call.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::scim::model::urn;
use crate::zoom::model::{PhoneSite, PhoneUser, PhoneUserProfile, UserStatus, ZoomUser};

/// Zoom user `type` values and their SCIM `userType` names (Zoom "Users" API,
/// `type`: 1 Basic, 2 Licensed, 4 Unassigned without Meetings Basic, 99 None).
pub const USER_TYPES: [(i64, &str); 4] = [
    (1, "Basic"),
    (2, "Licensed"),
    (4, "Unassigned"),
    (99, "None"),
];

/// The SCIM `userType` for a Zoom `type`.
pub fn user_type_name(zoom_type: i64) -> Option<&'static str> {
    USER_TYPES
        .iter()
        .find(|(t, _)| *t == zoom_type)
        .map(|(_, n)| *n)
}

/// The Zoom `type` for a SCIM `userType` (case-insensitive).
pub fn user_type_code(name: &str) -> Option<i64> {
    USER_TYPES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(t, _)| *t)
}

/// Zoom phone-number labels and SCIM `phoneNumbers.type` values.
const PHONE_LABELS: [(&str, &str); 4] = [
    ("Mobile", "mobile"),
    ("Office", "work"),
    ("Home", "home"),
    ("Fax", "fax"),
];

/// A user's Zoom Phone state, as the SCIM extension shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhoneView {
    /// `activate` / `deactivate` from the phone profile.
    pub status: Option<String>,
    /// Site id.
    pub site_id: Option<String>,
    /// Site name (from the site list).
    pub site_name: Option<String>,
    /// Site code (from the site list).
    pub site_code: Option<i64>,
    /// Full extension number.
    pub extension_number: Option<String>,
    /// Calling-plan codes.
    pub calling_plans: Vec<i64>,
    /// Assigned numbers, E.164.
    pub numbers: Vec<String>,
}

/// A phone number as E.164: Zoom's phone API prints some without the `+`
/// (example `14232058798`, contract section 5).
fn e164(number: &str) -> String {
    let number = number.trim();
    if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
        format!("+{number}")
    } else {
        number.to_owned()
    }
}

impl PhoneView {
    /// From `GET /phone/users/{userId}`; the site's name and code come from the site
    /// list (`site`), the profile has only `site_id`.
    pub fn from_profile(profile: &PhoneUserProfile, site: Option<&PhoneSite>) -> Self {
        Self {
            status: profile.status.clone(),
            site_id: profile.site_id.clone(),
            site_name: site.and_then(|s| s.name.clone()),
            site_code: site.and_then(|s| s.site_code),
            extension_number: profile.extension_number.map(|e| e.to_string()),
            calling_plans: profile
                .calling_plans
                .iter()
                .filter_map(|p| p.plan_type)
                .collect(),
            numbers: profile
                .phone_numbers
                .iter()
                .filter_map(|n| n.number.as_deref())
                .map(e164)
                .collect(),
        }
    }

    /// From a `GET /phone/users` item; the site code comes from the site list.
    pub fn from_listed(user: &PhoneUser, site: Option<&PhoneSite>) -> Self {
        let listed_site = user.site.as_ref();
        Self {
            status: user.status.clone(),
            site_id: listed_site.and_then(|s| s.id.clone()),
            site_name: listed_site
                .and_then(|s| s.name.clone())
                .or_else(|| site.and_then(|s| s.name.clone())),
            site_code: site.and_then(|s| s.site_code),
            extension_number: user.extension_number.map(|e| e.to_string()),
            calling_plans: user
                .calling_plans
                .iter()
                .filter_map(|p| p.plan_type)
                .collect(),
            numbers: user
                .phone_numbers
                .iter()
                .filter_map(|n| n.number.as_deref())
                .map(e164)
                .collect(),
        }
    }
}

/// The Zoom extension's phone attributes, as canonical paths: reading any of them
/// needs the user's phone profile.
pub const PHONE_PATHS: [&str; 8] = [
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:zoomPhoneFeature",
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:zoomPhoneStatus",
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:siteId",
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:siteName",
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:siteCode",
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:extensionNumber",
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:callingPlans",
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:zoomPhoneNumbers",
];

/// Everything besides the Zoom user record that shapes the SCIM view.
#[derive(Debug, Default)]
pub struct UserContext<'a> {
    /// Absolute SCIM base URL, for `meta.location` and `$ref`s.
    pub base_url: &'a str,
    /// Group id -> name.
    pub group_names: Option<&'a HashMap<String, String>>,
    /// Role id -> name (used when the record has no `role_name`).
    pub role_names: Option<&'a HashMap<String, String>>,
    /// The manager's user id, resolved from Zoom's manager e-mail.
    pub manager_id: Option<String>,
    /// `Some` when the phone profile was read: `Some(None)` means "no Zoom Phone".
    pub phone: Option<Option<&'a PhoneView>>,
    /// The client's `externalId`, from the store (Zoom has no field for it).
    pub external_id: Option<&'a str>,
    /// `meta.lastModified`, from the store (Zoom keeps no modification time).
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// A time as `meta` shows it: RFC 3339, UTC, milliseconds.
pub fn meta_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Characters kept as they are in a path segment: RFC 3986 section 2.3 "unreserved".
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes an id for use in a URL path segment (Zoom ids may contain `&`).
pub fn encode_id(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, SEGMENT).to_string()
}

/// The canonical location of a user.
pub fn user_location(base_url: &str, id: &str) -> String {
    format!("{base_url}/Users/{}", encode_id(id))
}

fn put_str(object: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        object.insert(key.to_owned(), json!(v));
    }
}

/// Maps a Zoom user to SCIM User JSON (unset attributes are omitted, RFC 7643
/// section 2.5). `id` must be known (pending users are resolved by e-mail first).
pub fn user_resource(user: &ZoomUser, id: &str, ctx: &UserContext<'_>) -> Value {
    let mut core = Map::new();
    core.insert("schemas".into(), json!([urn::USER]));
    core.insert("id".into(), json!(id));
    put_str(&mut core, "externalId", ctx.external_id);
    core.insert("userName".into(), json!(user.email));
    let mut name = Map::new();
    put_str(&mut name, "givenName", user.first_name.as_deref());
    put_str(&mut name, "familyName", user.last_name.as_deref());
    if !name.is_empty() {
        core.insert("name".into(), Value::Object(name));
    }
    put_str(&mut core, "displayName", user.display_name.as_deref());
    put_str(&mut core, "title", user.job_title.as_deref());
    put_str(&mut core, "preferredLanguage", user.language.as_deref());
    put_str(&mut core, "locale", user.language.as_deref());
    put_str(&mut core, "timezone", user.timezone.as_deref());
    let status = user.status_or_active();
    // Zoom's `pending` users exist and are entitled, they only have not confirmed
    // their invitation yet: SCIM `active` is true; the real state is in the
    // extension's `status`.
    core.insert("active".into(), json!(*status != UserStatus::Inactive));
    core.insert(
        "emails".into(),
        json!([{"value": user.email, "type": "work", "primary": true}]),
    );
    let phones: Vec<Value> = user
        .phone_numbers
        .iter()
        .filter(|p| !p.number.as_deref().unwrap_or_default().is_empty())
        .map(|p| {
            let value = format!(
                "{}{}",
                p.code.as_deref().unwrap_or_default(),
                p.number.as_deref().unwrap_or_default()
            );
            let kind = p
                .label
                .as_deref()
                .and_then(|l| PHONE_LABELS.iter().find(|(z, _)| z.eq_ignore_ascii_case(l)))
                .map_or("other", |(_, s)| *s);
            json!({"value": value, "type": kind})
        })
        .collect();
    if !phones.is_empty() {
        core.insert("phoneNumbers".into(), Value::Array(phones));
    }
    if let Some(name) = user.user_type.and_then(user_type_name) {
        core.insert("userType".into(), json!(name));
    }
    if let Some(role_id) = user.role_id.as_deref().filter(|r| !r.is_empty()) {
        let display = user
            .role_name
            .clone()
            .or_else(|| ctx.role_names.and_then(|m| m.get(role_id).cloned()));
        let mut role = Map::new();
        role.insert("value".into(), json!(role_id));
        put_str(&mut role, "display", display.as_deref());
        role.insert("primary".into(), json!(true));
        core.insert("roles".into(), json!([role]));
    }
    if !user.group_ids.is_empty() {
        let groups: Vec<Value> = user
            .group_ids
            .iter()
            .map(|gid| {
                let mut g = Map::new();
                g.insert("value".into(), json!(gid));
                g.insert(
                    "$ref".into(),
                    json!(format!("{}/Groups/{}", ctx.base_url, encode_id(gid))),
                );
                put_str(
                    &mut g,
                    "display",
                    ctx.group_names.and_then(|m| m.get(gid)).map(String::as_str),
                );
                g.insert("type".into(), json!("direct"));
                Value::Object(g)
            })
            .collect();
        core.insert("groups".into(), Value::Array(groups));
    }

    let mut enterprise = Map::new();
    put_str(&mut enterprise, "department", user.dept.as_deref());
    put_str(&mut enterprise, "costCenter", user.cost_center.as_deref());
    put_str(&mut enterprise, "organization", user.company.as_deref());
    if let Some(manager_email) = user.manager.as_deref().filter(|m| !m.is_empty()) {
        let mut manager = Map::new();
        if let Some(mid) = &ctx.manager_id {
            manager.insert("value".into(), json!(mid));
            manager.insert("$ref".into(), json!(user_location(ctx.base_url, mid)));
        }
        manager.insert("displayName".into(), json!(manager_email));
        enterprise.insert("manager".into(), Value::Object(manager));
    }

    let mut zoom = Map::new();
    zoom.insert("status".into(), json!(status.as_str()));
    if let Some(t) = user.user_type {
        zoom.insert("type".into(), json!(t));
    }
    if let Some(pmi) = user.pmi.filter(|p| *p > 0) {
        zoom.insert("pmi".into(), json!(pmi));
    }
    if let Some(t) = user.zoom_one_type {
        zoom.insert("zoomOneType".into(), json!(t));
    }
    if let Some(v) = user.verified {
        zoom.insert("verified".into(), json!(v == 1));
    }
    // Zoom "Users" API: a pending user's `created_at` is "the time at which the API
    // call was made, not the account's creation date": meaningless, and it would make
    // the version change on every read, so it is not shown.
    let created = user
        .user_created_at
        .as_deref()
        .or(user.created_at.as_deref())
        .filter(|_| *status != UserStatus::Pending);
    put_str(&mut zoom, "createdAt", created);
    put_str(&mut zoom, "lastLoginTime", user.last_login_time.as_deref());
    if !user.login_types.is_empty() {
        zoom.insert("loginTypes".into(), json!(user.login_types));
    }
    if !user.group_ids.is_empty() {
        zoom.insert("groupIds".into(), json!(user.group_ids));
    }
    put_str(&mut zoom, "location", user.location.as_deref());
    if let Some(phone) = ctx.phone {
        zoom.insert("zoomPhoneFeature".into(), json!(phone.is_some()));
        if let Some(p) = phone {
            put_str(&mut zoom, "zoomPhoneStatus", p.status.as_deref());
            put_str(&mut zoom, "siteId", p.site_id.as_deref());
            put_str(&mut zoom, "siteName", p.site_name.as_deref());
            if let Some(code) = p.site_code {
                zoom.insert("siteCode".into(), json!(code));
            }
            put_str(&mut zoom, "extensionNumber", p.extension_number.as_deref());
            if !p.calling_plans.is_empty() {
                zoom.insert("callingPlans".into(), json!(p.calling_plans));
            }
            if !p.numbers.is_empty() {
                zoom.insert("zoomPhoneNumbers".into(), json!(p.numbers));
            }
        }
    }

    let mut schemas = vec![json!(urn::USER)];
    if !enterprise.is_empty() {
        schemas.push(json!(urn::ENTERPRISE_USER));
        core.insert(urn::ENTERPRISE_USER.into(), Value::Object(enterprise));
    }
    schemas.push(json!(urn::ZOOM_USER));
    core.insert(urn::ZOOM_USER.into(), Value::Object(zoom));
    core.insert("schemas".into(), Value::Array(schemas));

    let mut meta = Map::new();
    meta.insert("resourceType".into(), json!("User"));
    put_str(&mut meta, "created", created);
    if let Some(time) = ctx.last_modified {
        meta.insert("lastModified".into(), json!(meta_time(time)));
    }
    meta.insert("location".into(), json!(user_location(ctx.base_url, id)));
    core.insert("meta".into(), Value::Object(meta));
    Value::Object(core)
}

/// SCIM attributes whose Zoom source is only in `GET /users/{id}`, not in the
/// `GET /users` list records (Zoom "Users" API: list item vs. user detail schema),
/// as canonical paths.
pub const DETAIL_ONLY_PATHS: [&str; 10] = [
    "title",
    "phoneNumbers",
    "preferredLanguage",
    "locale",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:zoomOneType",
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:loginTypes",
    "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:location",
];

/// The attribute name of a canonical path (the part after the URN), lower-cased.
pub fn attribute_name(path: &str) -> String {
    path.rsplit(':').next().unwrap_or(path).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_user() -> ZoomUser {
        // The shape of the recorded `users.me.json` (contract section 3.3).
        serde_json::from_value(json!({
            "id": "H9Yx0-O8QUCXVIseYAsjaA", "first_name": "JupiterOne", "last_name": "Development",
            "display_name": "JupiterOne Development", "email": "development@jupiterone.dev", "type": 2,
            "role_name": "Owner", "pmi": 4440405982i64, "timezone": "America/New_York", "verified": 1,
            "dept": "", "created_at": "2021-10-27T00:00:49Z", "last_login_time": "2023-02-09T16:15:45Z",
            "group_ids": ["ppUAdwEBRFCdRE0mfLttog"], "language": "en-US", "status": "active",
            "job_title": "", "location": "", "login_types": [100], "role_id": "0",
            "user_created_at": "2021-10-27T00:00:49Z"
        }))
        .unwrap()
    }

    #[test]
    fn meta_carries_what_the_schema_says_is_returned() {
        let ctx = UserContext {
            base_url: "https://scim.example/scim/v2",
            last_modified: Some(chrono::Utc::now()),
            ..Default::default()
        };
        let scim = user_resource(&fixture_user(), "H9Yx0-O8QUCXVIseYAsjaA", &ctx);
        let mut keys: Vec<&str> = scim["meta"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        // The provider adds `version` (the ETag) after reading.
        keys.push("version");
        keys.sort_unstable();
        let mut returned = crate::scim::schema::SchemaRegistry::global()
            .user()
            .returned_meta();
        returned.sort_unstable();
        assert_eq!(keys, returned);
    }

    #[test]
    fn maps_a_recorded_zoom_user() {
        let groups =
            HashMap::from([("ppUAdwEBRFCdRE0mfLttog".to_owned(), "Test Group".to_owned())]);
        let ctx = UserContext {
            base_url: "https://scim.example/scim/v2",
            group_names: Some(&groups),
            ..Default::default()
        };
        let user = fixture_user();
        let scim = user_resource(&user, "H9Yx0-O8QUCXVIseYAsjaA", &ctx);
        assert_eq!(scim["userName"], "development@jupiterone.dev");
        assert_eq!(scim["name"]["givenName"], "JupiterOne");
        assert_eq!(scim["active"], true);
        assert_eq!(scim["userType"], "Licensed");
        assert_eq!(scim["roles"][0]["value"], "0");
        assert_eq!(scim["roles"][0]["display"], "Owner");
        assert_eq!(scim["groups"][0]["display"], "Test Group");
        assert_eq!(
            scim["groups"][0]["$ref"],
            "https://scim.example/scim/v2/Groups/ppUAdwEBRFCdRE0mfLttog"
        );
        assert_eq!(scim["preferredLanguage"], "en-US");
        assert_eq!(scim[urn::ZOOM_USER]["status"], "active");
        assert_eq!(scim[urn::ZOOM_USER]["pmi"], 4440405982i64);
        assert_eq!(scim[urn::ZOOM_USER]["loginTypes"], json!([100]));
        assert_eq!(
            scim["meta"]["location"],
            "https://scim.example/scim/v2/Users/H9Yx0-O8QUCXVIseYAsjaA"
        );
        // Empty Zoom strings are unassigned, not "": no title, no enterprise object.
        assert!(scim.get("title").is_none());
        assert!(scim.get(urn::ENTERPRISE_USER).is_none());
        assert!(
            !scim["schemas"]
                .as_array()
                .unwrap()
                .contains(&json!(urn::ENTERPRISE_USER))
        );
        // Phone profile not read: no phone attributes at all (not "false").
        assert!(scim[urn::ZOOM_USER].get("zoomPhoneFeature").is_none());
    }

    #[test]
    fn statuses_map_to_active() {
        for (status, active) in [("active", true), ("pending", true), ("inactive", false)] {
            let mut user = fixture_user();
            user.status = Some(status.into());
            let scim = user_resource(&user, "x", &UserContext::default());
            assert_eq!(scim["active"], active, "{status}");
            assert_eq!(scim[urn::ZOOM_USER]["status"], status);
        }
    }

    #[test]
    fn an_undocumented_status_shows_as_sent_on_an_active_user() {
        for status in ["suspended", "Inactive", "Pending"] {
            let mut user = fixture_user();
            user.status = Some(status.into());
            let scim = user_resource(&user, "x", &UserContext::default());
            assert_eq!(scim["active"], true, "{status}");
            assert_eq!(scim[urn::ZOOM_USER]["status"], status);
            assert!(scim[urn::ZOOM_USER].get("createdAt").is_some(), "{status}");
        }
        let mut user = fixture_user();
        user.status = None;
        let scim = user_resource(&user, "x", &UserContext::default());
        assert_eq!(scim["active"], true);
        assert_eq!(scim[urn::ZOOM_USER]["status"], "active");
    }

    #[test]
    fn user_types_round_trip() {
        for (code, name) in USER_TYPES {
            assert_eq!(user_type_name(code), Some(name));
            assert_eq!(user_type_code(&name.to_uppercase()), Some(code));
        }
        assert_eq!(user_type_name(3), None);
    }

    #[test]
    fn phone_profile_and_no_phone() {
        let phone = PhoneView {
            status: Some("activate".into()),
            site_id: Some("s1".into()),
            site_name: Some("Main Site".into()),
            site_code: Some(100),
            extension_number: Some("1001".into()),
            calling_plans: vec![200],
            numbers: vec!["+14155550100".into()],
        };
        let ctx = UserContext {
            phone: Some(Some(&phone)),
            ..Default::default()
        };
        let scim = user_resource(&fixture_user(), "x", &ctx);
        let ext = &scim[urn::ZOOM_USER];
        assert_eq!(ext["zoomPhoneFeature"], true);
        assert_eq!(ext["siteName"], "Main Site");
        assert_eq!(ext["callingPlans"], json!([200]));
        let ctx = UserContext {
            phone: Some(None),
            ..Default::default()
        };
        let scim = user_resource(&fixture_user(), "x", &ctx);
        assert_eq!(scim[urn::ZOOM_USER]["zoomPhoneFeature"], false);
        assert!(scim[urn::ZOOM_USER].get("siteId").is_none());
    }

    #[test]
    fn the_stored_external_id_follows_the_id() {
        let ctx = UserContext {
            external_id: Some("0a21f0f2-8d2a"),
            ..Default::default()
        };
        let scim = user_resource(&fixture_user(), "x", &ctx);
        assert_eq!(scim["externalId"], "0a21f0f2-8d2a");
        let keys: Vec<&str> = scim
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(&keys[..3], ["schemas", "id", "externalId"]);
        let without = user_resource(&fixture_user(), "x", &UserContext::default());
        assert!(without.get("externalId").is_none());
    }

    fn site() -> PhoneSite {
        serde_json::from_value(json!({"id": "s2", "name": "London", "site_code": 2,
                                      "country": {"code": "GB", "name": "United Kingdom"}}))
        .unwrap()
    }

    #[test]
    fn phone_views_from_zoom_shapes() {
        // `GET /phone/users/{userId}` (contract section 5) (numbers as its example prints them).
        let profile: PhoneUserProfile = serde_json::from_value(json!({
            "id": "u1", "extension_number": 20001, "site_id": "s2", "status": "activate",
            "calling_plans": [{"type": 202, "name": "UK/Ireland Unlimited Calling Plan"}],
            "phone_numbers": [{"id": "n1", "number": "442012345678"},
                              {"id": "n2", "number": "+442012345679"}]
        }))
        .unwrap();
        let view = PhoneView::from_profile(&profile, Some(&site()));
        assert_eq!(
            view,
            PhoneView {
                status: Some("activate".into()),
                site_id: Some("s2".into()),
                site_name: Some("London".into()),
                site_code: Some(2),
                extension_number: Some("20001".into()),
                calling_plans: vec![202],
                numbers: vec!["+442012345678".into(), "+442012345679".into()],
            }
        );
        // Without the site list, no name or code (never guessed).
        let bare = PhoneView::from_profile(&profile, None);
        assert_eq!((bare.site_name, bare.site_code), (None, None));
        // `GET /phone/users` item (contract section 5): the site name is in the item.
        let listed: PhoneUser = serde_json::from_value(json!({
            "id": "u1", "extension_number": 20001, "status": "deactivate",
            "site": {"id": "s2", "name": "London"}, "calling_plans": [{"type": 202}],
            "phone_numbers": [{"id": "n1", "number": "+442012345678"}]
        }))
        .unwrap();
        let view = PhoneView::from_listed(&listed, None);
        assert_eq!(view.site_name.as_deref(), Some("London"));
        assert_eq!(view.status.as_deref(), Some("deactivate"));
        assert_eq!(
            PhoneView::from_listed(&listed, Some(&site())).site_code,
            Some(2)
        );
    }
}
