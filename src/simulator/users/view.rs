//! The user JSON: `GET /users` items (serialized straight from the state), the
//! `GET /users/{userId}` body, and the `GET /_sim/state` view.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::timestamp;
use crate::simulator::state::{User, UserStatus, World};

/// Which optional fields `GET /users` includes (`include_fields`).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Include {
    pub(super) custom_attributes: bool,
    pub(super) host_key: bool,
}

fn legacy_phone_number(user: &User) -> String {
    user.phone_numbers
        .first()
        .map(|p| format!("{} {}", p.code, p.number).trim().to_owned())
        .unwrap_or_default()
}

fn phone_numbers_json(user: &User) -> Value {
    user.phone_numbers
        .iter()
        .map(|p| {
            json!({"code": p.code, "country": p.country, "label": p.label,
                   "number": p.number, "verified": p.verified})
        })
        .collect()
}

fn custom_attributes_json(user: &User) -> Value {
    user.extras()
        .custom_attributes
        .iter()
        .map(|a| json!({"key": a.key, "name": a.name, "value": a.value}))
        .collect()
}

/// A `custom_attributes[]` entry, borrowed for serialization.
#[derive(Serialize)]
struct AttributeItem<'a> {
    key: &'a str,
    name: &'a str,
    value: &'a str,
}

/// A `GET /users` item, borrowed from the state and serialized directly (listing
/// 100,000 users must not build a `Value` tree per user). Field order follows the live
/// recording (fixture `users.page1.json`, contract 3.1).
#[derive(Serialize)]
pub(super) struct ListItem<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    first_name: &'a str,
    last_name: &'a str,
    display_name: &'a str,
    email: &'a str,
    #[serde(rename = "type")]
    user_type: u8,
    pmi: u64,
    timezone: &'a str,
    verified: u8,
    dept: &'a str,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_login_time: Option<String>,
    #[serde(skip_serializing_if = "str::is_empty")]
    last_client_version: &'a str,
    group_ids: Vec<&'a str>,
    language: &'a str,
    phone_number: String,
    status: &'static str,
    role_id: &'a str,
    user_created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    employee_unique_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan_united_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_attributes: Option<Vec<AttributeItem<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host_key: Option<&'a str>,
}

/// A `GET /users` item. Pending users are listed without `id` (contract 3.1: "The API does not
/// return this value for users with the `pending` status"), and their `created_at` is
/// the time of the call.
pub(super) fn list_item<'a>(
    world: &'a World,
    user: &'a User,
    include: Include,
    now: DateTime<Utc>,
) -> ListItem<'a> {
    let pending = user.status() == UserStatus::Pending;
    let extras = user.extras();
    ListItem {
        id: (!pending).then(|| user.id()),
        first_name: &user.first_name,
        last_name: &user.last_name,
        display_name: &user.display_name,
        email: user.email(),
        user_type: user.user_type,
        pmi: if pending { 0 } else { user.pmi },
        timezone: &user.timezone,
        verified: u8::from(user.verified),
        dept: &user.dept,
        created_at: timestamp(if pending { now } else { user.created_at }),
        last_login_time: user.last_login_time.map(timestamp),
        last_client_version: &user.last_client_version,
        group_ids: world.group_id_refs(user),
        language: &user.language,
        phone_number: legacy_phone_number(user),
        status: user.status().as_str(),
        role_id: user.role_id(),
        user_created_at: timestamp(user.user_created_at),
        employee_unique_id: (user.login_type == 101 && !user.employee_unique_id.is_empty())
            .then_some(user.employee_unique_id.as_str()),
        plan_united_type: extras.plan_united_type.as_deref(),
        custom_attributes: (include.custom_attributes && !extras.custom_attributes.is_empty())
            .then(|| {
                extras
                    .custom_attributes
                    .iter()
                    .map(|a| AttributeItem {
                        key: &a.key,
                        name: &a.name,
                        value: &a.value,
                    })
                    .collect()
            }),
        host_key: (include.host_key && !extras.host_key.is_empty())
            .then_some(extras.host_key.as_str()),
    }
}

/// The `GET /users` envelope. contract section 2: pages fetched with a token carry no
/// `page_count`/`page_number`.
#[derive(Serialize)]
pub(super) struct UsersPage<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) page_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) page_number: Option<u32>,
    pub(super) page_size: usize,
    pub(super) total_records: usize,
    pub(super) next_page_token: String,
    pub(super) users: Vec<ListItem<'a>>,
}

/// A `GET /users/{userId}` body, shaped like the recorded `users.me.json` plus the
/// fields the contract lists. Pending users return little data, `id` included, with
/// `created_at` = the time of the call (contract section 3.3).
pub(super) fn detail(world: &World, user: &User, now: DateTime<Utc>) -> Value {
    let pending = user.status() == UserStatus::Pending;
    let role_name = world
        .role(user.role_id())
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let mut m = Map::new();
    m.insert("id".into(), json!(user.id()));
    m.insert("first_name".into(), json!(user.first_name));
    m.insert("last_name".into(), json!(user.last_name));
    m.insert("display_name".into(), json!(user.display_name));
    m.insert("email".into(), json!(user.email()));
    m.insert("type".into(), json!(user.user_type));
    m.insert("role_name".into(), json!(role_name));
    m.insert("pmi".into(), json!(if pending { 0 } else { user.pmi }));
    m.insert("use_pmi".into(), json!(user.use_pmi));
    if !pending {
        m.insert(
            "personal_meeting_url".into(),
            json!(format!(
                "https://{}web.zoom.us/j/{}",
                world.account.cluster, user.pmi
            )),
        );
    }
    m.insert("timezone".into(), json!(&*user.timezone));
    m.insert("verified".into(), json!(u8::from(user.verified)));
    m.insert("dept".into(), json!(&*user.dept));
    let created = if pending { now } else { user.created_at };
    m.insert("created_at".into(), json!(timestamp(created)));
    if !pending {
        if let Some(t) = user.last_login_time {
            m.insert("last_login_time".into(), json!(timestamp(t)));
        }
        if !user.last_client_version.is_empty() {
            m.insert(
                "last_client_version".into(),
                json!(&*user.last_client_version),
            );
        }
        m.insert("cms_user_id".into(), json!(user.extras().cms_user_id));
        m.insert(
            "jid".into(),
            json!(format!("{}@xmpp.zoom.us", user.id().to_lowercase())),
        );
    }
    m.insert("group_ids".into(), json!(world.group_ids_of(user)));
    m.insert("im_group_ids".into(), json!([]));
    m.insert("account_id".into(), json!(world.account.id));
    m.insert("language".into(), json!(&*user.language));
    m.insert("phone_country".into(), json!(""));
    m.insert("phone_number".into(), json!(legacy_phone_number(user)));
    m.insert("status".into(), json!(user.status().as_str()));
    if !pending {
        m.insert("job_title".into(), json!(&*user.job_title));
        m.insert("location".into(), json!(&*user.location));
        if !user.company.is_empty() {
            m.insert("company".into(), json!(&*user.company));
        }
        if !user.cost_center.is_empty() {
            m.insert("cost_center".into(), json!(&*user.cost_center));
        }
        if !user.manager.is_empty() {
            m.insert("manager".into(), json!(user.manager));
        }
        m.insert("login_types".into(), json!([user.login_type]));
        if !user.phone_numbers.is_empty() {
            m.insert("phone_numbers".into(), phone_numbers_json(user));
        }
        let extras = user.extras();
        if !extras.pronouns.is_empty() {
            m.insert("pronouns".into(), json!(extras.pronouns));
        }
        m.insert("pronouns_option".into(), json!(user.pronouns_option));
        if !extras.vanity_name.is_empty() {
            m.insert(
                "vanity_url".into(),
                json!(format!(
                    "https://{}.zoom.us/my/{}",
                    world.account.cluster, extras.vanity_name
                )),
            );
        }
        if user.login_type == 101 && !user.employee_unique_id.is_empty() {
            m.insert("employee_unique_id".into(), json!(user.employee_unique_id));
        }
        if let Some(z) = extras.zoom_one_type {
            m.insert("zoom_one_type".into(), json!(z));
        }
        if let Some(p) = &extras.plan_united_type {
            m.insert("plan_united_type".into(), json!(p));
        }
        if !extras.custom_attributes.is_empty() {
            m.insert("custom_attributes".into(), custom_attributes_json(user));
        }
    }
    m.insert("role_id".into(), json!(user.role_id()));
    m.insert("account_number".into(), json!(world.account.account_number));
    m.insert("cluster".into(), json!(world.account.cluster));
    m.insert(
        "user_created_at".into(),
        json!(timestamp(user.user_created_at)),
    );
    Value::Object(m)
}

/// The full state view of a user for `GET /_sim/state` (not a Zoom shape).
pub fn state_view(world: &World, user: &User) -> Value {
    let mut v = detail(world, user, user.created_at);
    if let Some(m) = v.as_object_mut() {
        m.insert("zoom_phone".into(), json!(user.zoom_phone()));
        let phone = world.seq_of(user.id()).map_or(Value::Null, |seq| {
            crate::simulator::phone::user_state(world, seq)
        });
        m.insert("phone".into(), phone);
        m.insert("email_change_count".into(), json!(user.email_change_count));
        m.insert("logged_out_count".into(), json!(user.logged_out_count));
        m.insert("created_at".into(), json!(timestamp(user.created_at)));
    }
    v
}
