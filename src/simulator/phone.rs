//! Zoom Phone endpoints (contract section 5, the Phone spec):
//! phone users and their profile, calling plans, phone numbers, sites, the account's
//! number pool and calling-plan subscriptions. The data and its rules live in
//! [`super::phone_book`]; this module parses requests and renders Zoom's JSON.
//!
//! Every route answers 403 code 2031 "Zoom Phone has not been enabled for this
//! account." while the account setting `phone_enabled` is off (contract section 5; code from
//! `GET /phone/settings`). Page tokens follow [`super::paging`], but an invalid
//! or expired one is 400 code 400 on the phone API (contract section 2).
//!
//! Choices where the Phone spec is silent:
//! - `GET /phone/users?site_id=` and `GET /phone/numbers?site_id=` with an unknown
//!   site: 400 code 400 "Site does not exist: {id}" (contract section 5.1, as `GET
//!   /phone/emergency_addresses`).
//! - `GET /phone/users?status=pending` ("assigned the Zoom Workplace license, but not
//!   been assigned Zoom Phone feature") lists nobody: licences without the feature are
//!   not modelled.
//! - `keyword` matches name, e-mail, extension or number, case-insensitively, as a
//!   substring ("The partial string of user's name, extension number, or phone
//!   number").
//! - `POST .../calling_plans` answers 201 with an empty body.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::body::{Obj, Validator, parse_object};
use super::error::{ApiResult, SimError, empty_response, json_response};
use super::paging::{self, cut};
use super::phone_book::{NumberKey, PhoneBook, Profile, derived_id};
use super::state::{Sim, User, UserStatus, World};

/// `GET /phone/users` `page_size` maximum (contract section 2).
const MAX_USER_PAGE: u32 = 100;
/// `GET /phone/sites` `page_size` maximum (contract section 2).
const MAX_SITE_PAGE: u32 = 300;
/// `GET /phone/numbers` `page_size` maximum (contract section 2).
const MAX_NUMBER_PAGE: u32 = 100;
/// `POST /phone/users/{userId}/calling_plans` `maxItems` (contract section 5).
const MAX_PLANS_PER_CALL: usize = 150;
/// `POST /phone/users/{userId}/phone_numbers` `maxItems` (contract section 5).
const MAX_NUMBERS_PER_CALL: usize = 10;

/// The phone routes, behind the account's phone switch.
pub fn routes(sim: Arc<Sim>) -> Router<Arc<Sim>> {
    Router::new()
        .route("/v2/phone/users", get(list_users))
        .route("/v2/phone/users/{userId}", get(get_user).patch(update_user))
        .route("/v2/phone/users/{userId}/calling_plans", post(assign_plans))
        .route(
            "/v2/phone/users/{userId}/calling_plans/{planType}",
            delete(unassign_plan),
        )
        .route(
            "/v2/phone/users/{userId}/phone_numbers",
            post(assign_numbers),
        )
        .route(
            "/v2/phone/users/{userId}/phone_numbers/{phoneNumberId}",
            delete(unassign_number),
        )
        .route("/v2/phone/sites", get(list_sites))
        .route("/v2/phone/numbers", get(list_numbers))
        .route("/v2/phone/calling_plans", get(list_plans))
        .route_layer(middleware::from_fn_with_state(sim, phone_enabled))
}

/// Zoom Phone must be enabled on the account, else 403 (contract section 5).
async fn phone_enabled(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    if !sim.settings().phone_enabled {
        return SimError::new(
            StatusCode::FORBIDDEN,
            2031,
            "Zoom Phone has not been enabled for this account.",
        )
        .into_response();
    }
    next.run(request).await
}

/// The phone API's answer to a bad page token: 400 code 400 (contract section 2).
fn phone_token_error(error: SimError) -> SimError {
    SimError::bad_request(400, error.message)
}

/// A phone user by id or e-mail: 404 code 1001 when the user does not exist or has no
/// phone profile (docs/java-connector.md section 5.3: Zoom answers a non-phone user
/// with 404 code 1001).
fn phone_user_seq(world: &World, key: &str) -> Result<u64, SimError> {
    world
        .resolve_user(key)
        .filter(|seq| world.phone().profile(*seq).is_some())
        .ok_or_else(|| SimError::user_not_found(key))
}

/// `activate` or `deactivate` (profile `status`, contract section 5): deactivated users keep their
/// profile but cannot call.
fn phone_status(user: &User) -> &'static str {
    if user.status() == UserStatus::Inactive {
        "deactivate"
    } else {
        "activate"
    }
}

fn plans_json(book: &PhoneBook, profile: &Profile) -> Vec<Value> {
    profile
        .plans()
        .iter()
        .map(|t| {
            let name = book.plan(*t).map_or("", |p| p.name);
            json!({"type": t, "name": name})
        })
        .collect()
}

fn numbers_json(book: &PhoneBook, profile: &Profile) -> Vec<Value> {
    profile
        .numbers()
        .iter()
        .filter_map(|n| book.number(*n))
        .map(|n| json!({"id": n.id(), "number": n.number()}))
        .collect()
}

/// A `GET /phone/users` item.
fn list_item(book: &PhoneBook, user: &User, profile: &Profile) -> Value {
    let site = book.site(profile.site());
    json!({
        "id": user.id(),
        "phone_user_id": derived_id("phone_user", user.id()),
        "name": user.display_name,
        "email": user.email(),
        "site": {
            "id": site.map_or("", |s| s.id.as_str()),
            "name": site.map_or("", |s| s.name.as_str()),
        },
        "extension_id": derived_id("extension", user.id()),
        "extension_number": book.extension_of(profile),
        "status": phone_status(user),
        "calling_plans": plans_json(book, profile),
        "phone_numbers": numbers_json(book, profile),
        "department": &*user.dept,
        "cost_center": &*user.cost_center,
    })
}

/// `GET /phone/users/{userId}`. `calling_plans[].name` is returned live (contract section 8).
fn profile_json(book: &PhoneBook, user: &User, profile: &Profile) -> Value {
    json!({
        "id": user.id(),
        "phone_user_id": derived_id("phone_user", user.id()),
        "email": user.email(),
        "extension_id": derived_id("extension", user.id()),
        "extension_number": book.extension_of(profile),
        "site_id": book.site(profile.site()).map_or("", |s| s.id.as_str()),
        "site_admin": false,
        "status": phone_status(user),
        "calling_plans": plans_json(book, profile),
        "phone_numbers": numbers_json(book, profile),
        "department": &*user.dept,
        "cost_center": &*user.cost_center,
    })
}

/// The phone part of a user in `GET /_sim/state`: `null` without a profile.
pub fn user_state(world: &World, seq: u64) -> Value {
    let book = world.phone();
    let Some(profile) = book.profile(seq) else {
        return Value::Null;
    };
    let site = book.site(profile.site());
    let numbers: Vec<String> = profile
        .numbers()
        .iter()
        .filter_map(|n| book.number(*n).map(|n| n.number()))
        .collect();
    json!({
        "extension_number": book.extension_of(profile).to_string(),
        "site_id": site.map(|s| s.id.as_str()),
        "site_name": site.map(|s| s.name.as_str()),
        "calling_plans": profile.plans(),
        "phone_numbers": numbers,
    })
}

/// The account's phone side in `GET /_sim/state`.
pub fn account_state(world: &World, enabled: bool) -> Value {
    let book = world.phone();
    let (subscribed, assigned) = book.licences();
    let (total, assigned_numbers) = book.number_counts();
    let sites: Vec<Value> = book
        .sites_after(0)
        .map(|(_, s)| json!({"id": s.id, "name": s.name, "site_code": s.code, "main": s.main}))
        .collect();
    let plans: Vec<Value> = book
        .plans()
        .iter()
        .map(|p| {
            json!({"type": p.plan_type, "name": p.name, "subscribed": p.subscribed,
                   "assigned": p.assigned})
        })
        .collect();
    json!({
        "enabled": enabled,
        "licences": {"subscribed": subscribed, "assigned": assigned},
        "numbers": {"total": total, "assigned": assigned_numbers},
        "calling_plans": plans,
        "sites": sites,
    })
}

/// A trimmed, non-empty query value.
fn query_value<'a>(q: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    q.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Resolves a `site_id` query value (see the module's choices for unknown ones).
fn query_site(book: &PhoneBook, site_id: Option<&str>) -> Result<Option<u64>, SimError> {
    match site_id {
        None => Ok(None),
        Some(id) => book
            .resolve_site(id)
            .map(Some)
            .ok_or_else(|| SimError::bad_request(400, format!("Site does not exist: {id}"))),
    }
}

/// The `after` sequence number of a page token for `scope` (0 without a token).
fn resume_after(
    world: &World,
    q: &HashMap<String, String>,
    scope: &str,
    now: Instant,
    ttl: Duration,
) -> Result<u64, SimError> {
    match query_value(q, "next_page_token") {
        Some(token) => world
            .cursors
            .resolve(token, scope, now, ttl)
            .map(|c| c.after)
            .map_err(phone_token_error),
        None => Ok(0),
    }
}

/// Issues the next page token when a page was cut short.
fn next_token(
    world: &mut World,
    scope: String,
    more_after: Option<u64>,
    now: Instant,
    ttl: Duration,
) -> String {
    match more_after {
        Some(last) => {
            let w = &mut *world;
            w.cursors.issue(scope, last, 0, now, ttl, &mut w.rng)
        }
        None => String::new(),
    }
}

/// Filters of `GET /phone/users`.
struct UserFilter {
    site: Option<u64>,
    calling_type: Option<i64>,
    status: Option<String>,
    department: Option<String>,
    cost_center: Option<String>,
    keyword: Option<String>,
}

impl UserFilter {
    fn parse(book: &PhoneBook, q: &HashMap<String, String>) -> Result<Self, SimError> {
        let site = query_site(book, query_value(q, "site_id"))?;
        let calling_type = match query_value(q, "calling_type") {
            None => None,
            Some(t) => Some(
                t.parse::<i64>()
                    .map_err(|_| SimError::invalid("Invalid parameter: calling_type."))?,
            ),
        };
        let status = match query_value(q, "status") {
            None => None,
            Some(s @ ("activate" | "deactivate" | "pending")) => Some(s.to_owned()),
            Some(_) => return Err(SimError::invalid("Invalid parameter: status.")),
        };
        let lower = |key: &str| query_value(q, key).map(str::to_lowercase);
        Ok(Self {
            site,
            calling_type,
            status,
            department: lower("department"),
            cost_center: lower("cost_center"),
            keyword: lower("keyword"),
        })
    }

    /// Whether no filter is set (every phone user matches).
    fn is_empty(&self) -> bool {
        self.site.is_none()
            && self.calling_type.is_none()
            && self.status.is_none()
            && self.department.is_none()
            && self.cost_center.is_none()
            && self.keyword.is_none()
    }

    fn matches(&self, book: &PhoneBook, user: &User, profile: &Profile) -> bool {
        if self.site.is_some_and(|s| s != profile.site()) {
            return false;
        }
        if self
            .calling_type
            .is_some_and(|t| !profile.plans().contains(&t))
        {
            return false;
        }
        if let Some(status) = &self.status
            && status != phone_status(user)
        {
            return false;
        }
        if let Some(d) = &self.department
            && user.dept.to_lowercase() != *d
        {
            return false;
        }
        if let Some(c) = &self.cost_center
            && user.cost_center.to_lowercase() != *c
        {
            return false;
        }
        if let Some(k) = &self.keyword {
            let in_text = user.display_name.to_lowercase().contains(k.as_str())
                || user.email().to_lowercase().contains(k.as_str())
                || book.extension_of(profile).to_string().contains(k.as_str());
            let digits: String = k.chars().filter(char::is_ascii_digit).collect();
            let in_numbers = !digits.is_empty()
                && profile
                    .numbers()
                    .iter()
                    .filter_map(|n| book.number(*n))
                    .any(|n| n.number().contains(&digits));
            if !in_text && !in_numbers {
                return false;
            }
        }
        true
    }
}

async fn list_users(
    State(sim): State<Arc<Sim>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let settings = sim.settings();
    let page_size = paging::page_size(q.get("page_size"), MAX_USER_PAGE)?;
    let now = Instant::now();
    let ttl = Duration::from_secs(settings.page_token_ttl_s);
    let mut world = sim.world();
    let filter = UserFilter::parse(world.phone(), &q)?;
    let scope = format!(
        "phone_users|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        filter.site,
        filter.calling_type,
        filter.status,
        filter.department,
        filter.cost_center,
        filter.keyword
    );
    let after = resume_after(&world, &q, &scope, now, ttl)?;
    let nobody = filter.status.as_deref() == Some("pending");
    let (total, page) = {
        let w = &*world;
        let book = w.phone();
        let matching = |after: u64| {
            book.profiles_after(after)
                .filter(move |_| !nobody)
                .filter_map(move |(seq, p)| w.user(seq).map(|u| (seq, u, p)))
                .filter(|(_, u, p)| filter.matches(book, u, p))
        };
        // Unfiltered, the total is known without a walk (100,000 users stay fast).
        let total = if filter.is_empty() {
            book.profile_count()
        } else {
            matching(0).count()
        };
        let page = cut(
            matching(after).map(|(seq, u, p)| (seq, list_item(book, u, p))),
            0,
            page_size,
        );
        (total, page)
    };
    let next = next_token(&mut world, scope, page.more_after, now, ttl);
    // contract section 5: `{next_page_token, page_size, total_records, users[]}`.
    Ok(json_response(
        StatusCode::OK,
        &json!({"next_page_token": next, "page_size": page_size,
                "total_records": total, "users": page.items}),
    ))
}

async fn get_user(State(sim): State<Arc<Sim>>, Path(key): Path<String>) -> ApiResult {
    let world = sim.world();
    let seq = phone_user_seq(&world, &key)?;
    let (Some(user), Some(profile)) = (world.user(seq), world.phone().profile(seq)) else {
        return Err(SimError::user_not_found(&key));
    };
    Ok(json_response(
        StatusCode::OK,
        &profile_json(world.phone(), user, profile),
    ))
}

/// `extension_number` as the Phone spec types it, a string (contract section 5), or a JSON integer.
fn extension_field(v: &mut Validator, o: &Obj<'_>) -> Option<String> {
    match o.get("extension_number")? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => {
            v.error(o, "extension_number", "Invalid field.");
            None
        }
    }
}

async fn update_user(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult {
    let mut world = sim.world();
    let seq = phone_user_seq(&world, &key)?;
    let body = parse_object(&body)?;
    let o = Obj::new(&body, "");
    let mut v = Validator::default();
    let extension = extension_field(&mut v, &o);
    let site_id = v.string(&o, "site_id", 64);
    // Accepted and not modelled: emergency address, settings template, policy.
    let _ = v.string(&o, "emergency_address_id", 64);
    let _ = v.string(&o, "template_id", 64);
    let _ = v.object(&o, "policy");
    v.finish()?;
    let site = match site_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => Some(
            world
                .phone()
                .resolve_site(id)
                .ok_or(super::phone_book::PhoneRefusal::UnknownSite)?,
        ),
    };
    world
        .phone_mut()
        .update(seq, site, extension.as_deref().filter(|e| !e.is_empty()))?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

async fn assign_plans(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult {
    let mut world = sim.world();
    let seq = phone_user_seq(&world, &key)?;
    let body = parse_object(&body)?;
    let o = Obj::new(&body, "");
    let mut v = Validator::default();
    let mut types = Vec::new();
    for (i, item) in v
        .required_array(&o, "calling_plans", MAX_PLANS_PER_CALL)
        .iter()
        .enumerate()
    {
        match item.get("type").and_then(Value::as_i64) {
            Some(t) => types.push(t),
            None => v.error(&o, &format!("calling_plans[{i}].type"), "Invalid field."),
        }
    }
    v.finish()?;
    world.phone_mut().assign_plans(seq, &types)?;
    // Live answer 201, not the spec's 200 (contract section 8).
    Ok(empty_response(StatusCode::CREATED))
}

async fn unassign_plan(
    State(sim): State<Arc<Sim>>,
    Path((key, plan_type)): Path<(String, String)>,
) -> ApiResult {
    let mut world = sim.world();
    let seq = phone_user_seq(&world, &key)?;
    let plan_type = plan_type
        .trim()
        .parse::<i64>()
        .map_err(|_| SimError::bad_request(400, "Invalid field."))?;
    world.phone_mut().unassign_plan(seq, plan_type)?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

async fn assign_numbers(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult {
    let mut world = sim.world();
    let seq = phone_user_seq(&world, &key)?;
    let body = parse_object(&body)?;
    let o = Obj::new(&body, "");
    let mut v = Validator::default();
    let mut keys = Vec::new();
    for (i, item) in v
        .required_array(&o, "phone_numbers", MAX_NUMBERS_PER_CALL)
        .iter()
        .enumerate()
    {
        let text = |k: &str| {
            item.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let key = NumberKey {
            id: text("id"),
            number: text("number"),
        };
        if key.id.is_none() && key.number.is_none() {
            // "Provide either the ID or phone number in the request body."
            v.error(&o, &format!("phone_numbers[{i}]"), "Invalid field.");
        } else {
            keys.push(key);
        }
    }
    v.finish()?;
    let seqs = world.phone_mut().assign_numbers(seq, &keys)?;
    let book = world.phone();
    let assigned: Vec<Value> = seqs
        .iter()
        .filter_map(|n| book.number(*n))
        .map(|n| json!({"id": n.id(), "number": n.number()}))
        .collect();
    // Live answer 201, not the spec's 200 (contract section 8).
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "phone_numbers": assigned }),
    ))
}

async fn unassign_number(
    State(sim): State<Arc<Sim>>,
    Path((key, number)): Path<(String, String)>,
) -> ApiResult {
    let mut world = sim.world();
    let seq = phone_user_seq(&world, &key)?;
    world.phone_mut().unassign_number(seq, number.trim())?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

async fn list_sites(
    State(sim): State<Arc<Sim>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let settings = sim.settings();
    let page_size = paging::page_size(q.get("page_size"), MAX_SITE_PAGE)?;
    let now = Instant::now();
    let ttl = Duration::from_secs(settings.page_token_ttl_s);
    let scope = "phone_sites".to_owned();
    let mut world = sim.world();
    let after = resume_after(&world, &q, &scope, now, ttl)?;
    let book = world.phone();
    let total = book.site_count();
    let page = cut(
        book.sites_after(after).map(|(seq, s)| {
            let mut item = Map::new();
            item.insert("id".into(), json!(s.id));
            item.insert("name".into(), json!(s.name));
            item.insert("site_code".into(), json!(s.code));
            item.insert(
                "country".into(),
                json!({"code": s.country_code, "name": s.country_name}),
            );
            item.insert(
                "main_auto_receptionist".into(),
                json!({
                    "id": s.receptionist_id,
                    "name": format!("{} Main Auto Receptionist", s.name),
                    "extension_id": derived_id("receptionist_extension", &s.receptionist_id),
                    "extension_number": s.extension(0),
                }),
            );
            // contract section 8: sites carry `level` ("main") live.
            if s.main {
                item.insert("level".into(), json!("main"));
            }
            (seq, Value::Object(item))
        }),
        0,
        page_size,
    );
    let next = next_token(&mut world, scope, page.more_after, now, ttl);
    Ok(json_response(
        StatusCode::OK,
        &json!({"next_page_token": next, "page_size": page_size,
                "total_records": total, "sites": page.items}),
    ))
}

async fn list_numbers(
    State(sim): State<Arc<Sim>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let settings = sim.settings();
    let page_size = paging::page_size(q.get("page_size"), MAX_NUMBER_PAGE)?;
    let now = Instant::now();
    let ttl = Duration::from_secs(settings.page_token_ttl_s);
    let kind = match query_value(&q, "type") {
        None => "all",
        Some(t @ ("assigned" | "unassigned" | "byoc" | "all")) => t,
        Some(_) => return Err(SimError::invalid("Invalid parameter: type.")),
    };
    let extension_type = query_value(&q, "extension_type");
    let toll_free = match query_value(&q, "number_type") {
        None => None,
        Some("toll") => Some(false),
        Some("tollfree") => Some(true),
        Some(_) => return Err(SimError::invalid("Invalid parameter: number_type.")),
    };
    let mut world = sim.world();
    let site = query_site(world.phone(), query_value(&q, "site_id"))?;
    let scope = format!("phone_numbers|{kind}|{extension_type:?}|{toll_free:?}|{site:?}");
    let after = resume_after(&world, &q, &scope, now, ttl)?;
    let (total, page) = {
        let w = &*world;
        let book = w.phone();
        let holder = |assignee: Option<u64>| {
            assignee.and_then(|seq| Some((w.user(seq)?, book.profile(seq)?)))
        };
        let matching = |after: u64| {
            book.numbers_after(after).filter(move |(_, n)| {
                let held = holder(n.assignee());
                let kind_ok = match kind {
                    "assigned" => held.is_some(),
                    "unassigned" => held.is_none(),
                    // No bring-your-own-carrier numbers are modelled.
                    "byoc" => false,
                    _ => true,
                };
                // Every assigned number belongs to a user.
                let type_ok = extension_type.is_none_or(|t| t == "user" && held.is_some());
                let toll_ok = toll_free.is_none_or(|tf| tf == n.toll_free);
                let site_ok = site.is_none_or(|s| held.is_some_and(|(_, p)| p.site() == s));
                kind_ok && type_ok && toll_ok && site_ok
            })
        };
        let total = matching(0).count();
        let page = cut(
            matching(after).map(|(seq, n)| {
                let mut item = Map::new();
                item.insert("id".into(), json!(n.id()));
                item.insert("number".into(), json!(n.number()));
                if let Some((user, profile)) = holder(n.assignee()) {
                    item.insert(
                        "assignee".into(),
                        json!({"id": user.id(), "name": user.display_name, "type": "user",
                               "extension_number": book.extension_of(profile)}),
                    );
                    if let Some(s) = book.site(profile.site()) {
                        item.insert("site".into(), json!({"id": s.id, "name": s.name}));
                    }
                }
                item.insert("location".into(), json!(n.location));
                item.insert("status".into(), json!("available"));
                item.insert(
                    "number_type".into(),
                    json!(if n.toll_free { "tollfree" } else { "toll" }),
                );
                item.insert("capability".into(), json!(["incoming", "outgoing"]));
                item.insert("source".into(), json!("internal"));
                (seq, Value::Object(item))
            }),
            0,
            page_size,
        );
        (total, page)
    };
    let next = next_token(&mut world, scope, page.more_after, now, ttl);
    Ok(json_response(
        StatusCode::OK,
        &json!({"next_page_token": next, "page_size": page_size,
                "total_records": total, "phone_numbers": page.items}),
    ))
}

async fn list_plans(State(sim): State<Arc<Sim>>) -> ApiResult {
    let world = sim.world();
    let plans: Vec<Value> = world
        .phone()
        .plans()
        .iter()
        .map(|p| {
            json!({"type": p.plan_type, "name": p.name, "subscribed": p.subscribed,
                   "assigned": p.assigned, "available": p.available()})
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "calling_plans": plans }),
    ))
}
