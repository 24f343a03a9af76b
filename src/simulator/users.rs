//! Zoom's Users endpoints (docs/zoom-contract.md sections 3.1-3.10): list, create, get,
//! update, delete, status, e-mail, logout and settings, with Zoom's rules for pending
//! and deactivated users, the owner and admins.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::routing::{delete, get, put};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::body::{Obj, Validator, email_domain, is_valid_email, parse_object};
use super::error::{ApiResult, SimError, empty_response, json_bytes_response, json_response};
use super::paging::{self, cut, page_count};
use super::ratelimit::{ThrottleKind, user_create_daily_limit};
use super::state::{
    ADMIN_ROLE, CustomAttribute, MEMBER_ROLE, NewUser, OWNER_ROLE, PhoneEntry, Sim, User,
    UserStatus, World, derive_display_name, random_pmi,
};
use super::user_settings;

/// The user routes.
pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/v2/users", get(list_users).post(create_user))
        .route("/v2/users/email", get(email_exists))
        .route(
            "/v2/users/{userId}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route("/v2/users/{userId}/status", put(update_status))
        .route("/v2/users/{userId}/email", put(update_email))
        .route("/v2/users/{userId}/token", delete(logout))
        .route(
            "/v2/users/{userId}/settings",
            get(get_settings).patch(update_settings),
        )
}

/// Zoom's timestamp form, `yyyy-MM-ddTHH:mm:ssZ` (contract section 1).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Zoom's user types (`99` only with `ssoCreate`; contract section 3.8).
const USER_TYPES: [u64; 4] = [1, 2, 4, 99];

/// `plan_united_type` values (contract section 3.8).
const PLAN_UNITED_TYPES: [&str; 18] = [
    "1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "1024", "2048", "4096", "8192",
    "16384", "32768", "65536", "131072",
];

/// Which optional fields `GET /users` includes (`include_fields`).
#[derive(Debug, Clone, Copy, Default)]
struct Include {
    custom_attributes: bool,
    host_key: bool,
}

fn get_user_seq(world: &World, key: &str) -> Result<u64, SimError> {
    world
        .resolve_user(key)
        .ok_or_else(|| SimError::user_not_found(key))
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
struct ListItem<'a> {
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
fn list_item<'a>(
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
struct UsersPage<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    page_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_number: Option<u32>,
    page_size: usize,
    total_records: usize,
    next_page_token: String,
    users: Vec<ListItem<'a>>,
}

/// A `GET /users/{userId}` body, shaped like the recorded `users.me.json` plus the
/// fields the contract lists. Pending users return little data, `id` included, with
/// `created_at` = the time of the call (contract section 3.3).
fn detail(world: &World, user: &User, now: DateTime<Utc>) -> Value {
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
        let phone = world
            .seq_of(user.id())
            .map_or(Value::Null, |seq| super::phone::user_state(world, seq));
        m.insert("phone".into(), phone);
        m.insert("email_change_count".into(), json!(user.email_change_count));
        m.insert("logged_out_count".into(), json!(user.logged_out_count));
        m.insert("created_at".into(), json!(timestamp(user.created_at)));
    }
    v
}

// ----- GET /users ---------------------------------------------------------------------

async fn list_users(
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

// ----- POST /users --------------------------------------------------------------------

async fn create_user(State(sim): State<Arc<Sim>>, body: Bytes) -> ApiResult {
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
    drop(world);
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"id": id, "first_name": first_name, "last_name": last_name,
                "email": email, "type": user_type}),
    ))
}

fn phone_licence_error() -> SimError {
    SimError::new(
        StatusCode::NOT_FOUND,
        1102,
        "You cannot enable the Zoom Phone feature because you do not have any available licenses.",
    )
}

// ----- GET /users/email ---------------------------------------------------------------

/// `GET /users/email?email=`: only users "who signed up via email" count, so SSO users
/// answer `false` (contract section 3.7).
async fn email_exists(
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

// ----- GET /users/{userId} ------------------------------------------------------------

async fn get_user(State(sim): State<Arc<Sim>>, Path(key): Path<String>) -> ApiResult {
    let world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    let user = world
        .user(seq)
        .ok_or_else(|| SimError::user_not_found(&key))?;
    let body = detail(&world, user, Utc::now());
    Ok(json_response(StatusCode::OK, &body))
}

// ----- PATCH /users/{userId} ----------------------------------------------------------

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

async fn update_user(
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
            apply_user_patch(&mut world, seq, patch)?;
            Ok(empty_response(StatusCode::NO_CONTENT))
        }
    }
}

// ----- DELETE /users/{userId} ---------------------------------------------------------

fn query_bool(q: &HashMap<String, String>, key: &str) -> Result<bool, SimError> {
    match q.get(key).map(|s| s.trim()) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(SimError::invalid(format!("Invalid parameter: {key}."))),
    }
}

const TRANSFERS: [&str; 8] = [
    "transfer_meeting",
    "transfer_webinar",
    "transfer_recording",
    "transfer_whiteboard",
    "transfer_clipfiles",
    "transfer_notes",
    "transfer_visitors",
    "transfer_docs",
];

async fn delete_user(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let mut world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    let action = match q.get("action").map(|a| a.trim()) {
        None | Some("") | Some("disassociate") => "disassociate",
        Some("delete") => "delete",
        Some(_) => return Err(SimError::invalid("Invalid parameter: action.")),
    };
    let mut any_transfer = false;
    for t in TRANSFERS {
        any_transfer |= query_bool(&q, t)?;
    }
    let user = world
        .user(seq)
        .ok_or_else(|| SimError::user_not_found(&key))?;
    let pending = user.status() == UserStatus::Pending;
    if pending && action == "delete" {
        // contract section 3.5: "Note: To delete pending user in the account, use `disassociate`."
        return Err(SimError::invalid(
            "To delete pending user in the account, use disassociate",
        ));
    }
    if world.owner() == Some(seq) || user.role_id() == OWNER_ROLE {
        return Err(SimError::bad_request(
            200,
            "The account owner cannot be deleted or disassociated.",
        ));
    }
    if action == "disassociate" && !pending && user.role_id() == ADMIN_ROLE {
        return Err(SimError::bad_request(
            1117,
            "You can not disassociate an Admin user",
        ));
    }
    let transfer_email = q
        .get("transfer_email")
        .map(|e| e.trim())
        .filter(|e| !e.is_empty());
    match transfer_email {
        Some(target) => {
            if target.eq_ignore_ascii_case(user.email()) {
                return Err(SimError::invalid(
                    "The transfer-to email address cannot be the same as the unlinked or deleted user's email address.",
                ));
            }
            if world.find_by_email(target).is_none() {
                return Err(SimError::invalid(format!(
                    "Invalid parameter: transfer_email. User does not exist: {target}."
                )));
            }
        }
        None if any_transfer => {
            return Err(SimError::invalid(
                "transfer_email is required to transfer the user's data.",
            ));
        }
        None => {}
    }
    world.remove_user(seq);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

// ----- PUT /users/{userId}/status -----------------------------------------------------

async fn update_status(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult {
    let settings = sim.settings();
    let mut world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    let body = parse_object(&body)?;
    let o = Obj::new(&body, "");
    let mut v = Validator::default();
    let action = if o.has("action") {
        v.one_of(
            &o,
            "action",
            &["activate", "deactivate", "clock_in", "clock_out"],
        )
    } else {
        v.error(&o, "action", "This field is required.");
        None
    };
    v.finish()?;
    let action = action.unwrap_or_default();
    let user = world
        .user(seq)
        .ok_or_else(|| SimError::user_not_found(&key))?;
    if user.status() == UserStatus::Pending {
        // Simulator choice (documented): a pending invitation cannot change status.
        return Err(SimError::invalid(
            "The user has not accepted the invitation yet: a pending user cannot be activated or deactivated.",
        ));
    }
    let protected =
        world.owner() == Some(seq) || user.role_id() == OWNER_ROLE || user.role_id() == ADMIN_ROLE;
    let target = match action.as_str() {
        "activate" => Some(UserStatus::Active),
        "deactivate" => Some(UserStatus::Inactive),
        _ => None,
    };
    if let Some(target) = target {
        if protected {
            return Err(SimError::bad_request(
                200,
                "Zoom Room and Admin users' status cannot be activated or deactivated.",
            ));
        }
        world.set_status(seq, target);
    }
    let status =
        StatusCode::from_u16(settings.status_success_code).unwrap_or(StatusCode::NO_CONTENT);
    Ok(empty_response(status))
}

// ----- PUT /users/{userId}/email ------------------------------------------------------

/// "A user's email address can be changed up to 3 times in any 24 hour period." (contract 3.7)
const EMAIL_CHANGES_PER_DAY: usize = 3;

async fn update_email(
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

// ----- DELETE /users/{userId}/token ---------------------------------------------------

async fn logout(State(sim): State<Arc<Sim>>, Path(key): Path<String>) -> ApiResult {
    let mut world = sim.world();
    let seq = get_user_seq(&world, &key)?;
    if let Some(user) = world.user_mut(seq) {
        user.logged_out_count += 1;
    }
    Ok(empty_response(StatusCode::NO_CONTENT))
}

// ----- GET/PATCH /users/{userId}/settings ---------------------------------------------

fn settings_option(q: &HashMap<String, String>) -> Result<Option<&'static str>, SimError> {
    match q.get("option").map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(o) => user_settings::OPTIONS
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

async fn get_settings(
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
    Ok(json_response(
        StatusCode::OK,
        &user_settings::render(user, option),
    ))
}

async fn update_settings(
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
    let checked = user_settings::check_patch(user, option, &body)?;
    if checked.zoom_phone == Some(true) && !phone_enabled {
        return Err(phone_licence_error());
    }
    if let Some(z) = checked.zoom_phone {
        world.set_zoom_phone(seq, z)?;
    }
    if let Some(user) = world.user_mut(seq) {
        user_settings::store(user, option, checked.overrides);
    }
    Ok(empty_response(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn timestamps_are_zoom_shaped() {
        let t = DateTime::parse_from_rfc3339("2021-10-27T00:00:49.123Z")
            .expect("parse")
            .with_timezone(&Utc);
        assert_eq!(timestamp(t), "2021-10-27T00:00:49Z");
    }
}
