//! Black-box tests of the simulator's Zoom Phone endpoints over HTTP: listings with
//! their filters and page tokens, profiles and extension rules, calling plans and
//! numbers with finite pools, the `feature.zoom_phone` life cycle, pending users, the
//! account switch (403), stats, and conformance of every phone answer with
//! ZoomPhoneAPISpec.json.

use std::collections::HashSet;
use std::sync::OnceLock;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use zoom_scim::simulator::{SimHandle, SimSettings};

use crate::simulator_conformance::{assert_fields_known, assert_valid, read_json, response_schema};
use crate::support::start_simulator;

/// A simulator with an HTTP client and a valid access token.
struct Zoom {
    sim: SimHandle,
    http: Client,
    token: String,
}

/// Status, rate-limit category header and JSON body (null when empty).
struct Reply {
    status: StatusCode,
    category: Option<String>,
    body: Value,
}

impl Zoom {
    async fn start(settings: SimSettings) -> Self {
        let sim = start_simulator(settings).await;
        let http = Client::builder().no_proxy().build().expect("client");
        let token = crate::support::zoom_token(&http, &sim).await;
        Self { sim, http, token }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.api_base_url()))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("call");
        let status = r.status();
        let category = r
            .headers()
            .get("x-ratelimit-category")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = r.text().await.expect("text");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            category,
            body,
        }
    }

    async fn get(&self, path: &str) -> Value {
        let r = self.call(Method::GET, path, None).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        r.body
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.admin_url()));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("admin");
        assert!(r.status().is_success(), "admin {path}: {}", r.status());
        r.json().await.unwrap_or(Value::Null)
    }

    async fn state(&self) -> Value {
        self.admin(Method::GET, "/state", None).await
    }

    /// Every item of a phone listing, walking `next_page_token`.
    async fn walk(&self, path: &str, key: &str) -> Vec<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut token = String::new();
        loop {
            let url = if token.is_empty() {
                path.to_owned()
            } else {
                format!("{path}{sep}next_page_token={token}")
            };
            let page = self.get(&url).await;
            items.extend(page[key].as_array().expect("items").iter().cloned());
            token = page["next_page_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if token.is_empty() {
                return items;
            }
        }
    }
}

fn assert_zoom_error(r: &Reply, status: u16, code: i64) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["code"], code, "{}", r.body);
    assert!(r.body["message"].is_string(), "{}", r.body);
}

/// Users of `GET /_sim/state` with a phone profile.
fn phone_users(state: &Value) -> Vec<&Value> {
    state["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| !u["phone"].is_null())
        .collect()
}

fn user_by_id<'a>(state: &'a Value, id: &str) -> &'a Value {
    state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == id)
        .expect("user in state")
}

/// An active user without Zoom Phone.
fn non_phone_active(state: &Value) -> String {
    state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["phone"].is_null() && u["status"] == "active" && u["role_id"] == "2")
        .and_then(|u| u["id"].as_str())
        .expect("an active non-phone member")
        .to_owned()
}

fn settings(users: usize) -> SimSettings {
    SimSettings {
        users,
        ..SimSettings::default()
    }
}

#[tokio::test]
async fn phone_user_listing_pages_filters_and_tokens() {
    let zoom = Zoom::start(settings(400)).await;
    let state = zoom.state().await;
    let expected = phone_users(&state);
    assert!(
        expected.len() > 80,
        "seeded phone users: {}",
        expected.len()
    );

    let first = zoom
        .call(Method::GET, "/phone/users?page_size=500", None)
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.category.as_deref(), Some("Medium"));
    assert_eq!(first.body["page_size"], 100, "page_size clamps to 100");
    assert_eq!(first.body["total_records"], expected.len());
    assert_eq!(first.body["users"].as_array().expect("users").len(), 100);

    let all = zoom.walk("/phone/users?page_size=100", "users").await;
    let ids: HashSet<&str> = all.iter().filter_map(|u| u["id"].as_str()).collect();
    assert_eq!(ids.len(), expected.len(), "each phone user exactly once");
    for u in &expected {
        assert!(ids.contains(u["id"].as_str().expect("id")));
    }
    // An item agrees with the state.
    let item = &all[0];
    let st = user_by_id(&state, item["id"].as_str().expect("id"));
    assert_eq!(item["email"], st["email"]);
    assert_eq!(
        item["extension_number"].to_string(),
        st["phone"]["extension_number"].as_str().expect("ext")
    );
    assert_eq!(item["site"]["id"], st["phone"]["site_id"]);
    assert_eq!(item["site"]["name"], st["phone"]["site_name"]);
    let plans: Vec<&Value> = item["calling_plans"]
        .as_array()
        .expect("plans")
        .iter()
        .map(|p| &p["type"])
        .collect();
    assert_eq!(
        json!(plans),
        st["phone"]["calling_plans"],
        "plans match the state"
    );
    assert!(item["calling_plans"][0]["name"].is_string());

    // Page tokens: tied to their query, reported with the phone API's code 400.
    let token = first.body["next_page_token"].as_str().expect("token");
    let bad = zoom
        .call(Method::GET, "/phone/users?next_page_token=nope", None)
        .await;
    assert_zoom_error(&bad, 400, 400);
    let other_query = zoom
        .call(
            Method::GET,
            &format!("/phone/users?calling_type=200&next_page_token={token}"),
            None,
        )
        .await;
    assert_zoom_error(&other_query, 400, 400);

    // site_id: exactly the users of that site.
    let site_id = st["phone"]["site_id"].as_str().expect("site");
    let at_site = zoom
        .walk(
            &format!("/phone/users?site_id={site_id}&page_size=50"),
            "users",
        )
        .await;
    let expected_at_site = expected
        .iter()
        .filter(|u| u["phone"]["site_id"] == site_id)
        .count();
    assert_eq!(at_site.len(), expected_at_site);
    assert!(at_site.iter().all(|u| u["site"]["id"] == site_id));
    let unknown = zoom
        .call(Method::GET, "/phone/users?site_id=nosuchsite", None)
        .await;
    assert_zoom_error(&unknown, 400, 400);

    // calling_type, status and keyword.
    let plan_200 = zoom.walk("/phone/users?calling_type=200", "users").await;
    assert_eq!(
        plan_200.len(),
        expected
            .iter()
            .filter(|u| u["phone"]["calling_plans"]
                .as_array()
                .expect("plans")
                .contains(&json!(200)))
            .count()
    );
    let deactivated = zoom.walk("/phone/users?status=deactivate", "users").await;
    assert_eq!(
        deactivated.len(),
        expected
            .iter()
            .filter(|u| u["status"] == "inactive")
            .count()
    );
    assert!(deactivated.iter().all(|u| u["status"] == "deactivate"));
    let ext = st["phone"]["extension_number"].as_str().expect("ext");
    let by_ext = zoom.get(&format!("/phone/users?keyword={ext}")).await;
    assert!(
        by_ext["users"]
            .as_array()
            .expect("users")
            .iter()
            .any(|u| u["id"] == item["id"])
    );
    let pending = zoom.get("/phone/users?status=pending").await;
    assert_eq!(pending["total_records"], 0);
    let r = zoom
        .call(Method::GET, "/phone/users?status=gone", None)
        .await;
    assert_zoom_error(&r, 400, 300);
}

#[tokio::test]
async fn profiles_and_extension_rules() {
    let zoom = Zoom::start(settings(150)).await;
    let state = zoom.state().await;
    let phone = phone_users(&state);
    let (a, b) = (phone[0], phone[1]);
    let a_id = a["id"].as_str().expect("id");

    let r = zoom
        .call(Method::GET, &format!("/phone/users/{a_id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.category.as_deref(), Some("Light"));
    assert_eq!(r.body["id"], a_id);
    assert_eq!(r.body["site_id"], a["phone"]["site_id"]);
    assert_eq!(r.body["status"], "activate");
    assert_eq!(r.body["phone_user_id"].as_str().map(str::len), Some(22));
    let by_email = zoom
        .get(&format!(
            "/phone/users/{}",
            a["email"].as_str().expect("email")
        ))
        .await;
    assert_eq!(by_email["id"], a_id);

    // No profile, unknown and pending users: 404 code 1001.
    let plain = non_phone_active(&state);
    for key in [
        plain.as_str(),
        "nobody@example.com",
        "AAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let r = zoom
            .call(Method::GET, &format!("/phone/users/{key}"), None)
            .await;
        assert_zoom_error(&r, 404, 1001);
    }

    // Extensions: site code + 4 digits, unique.
    let sites = zoom.get("/phone/sites").await;
    let site_of = |id: &str| {
        sites["sites"]
            .as_array()
            .expect("sites")
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .expect("site")
    };
    let a_site = site_of(a["phone"]["site_id"].as_str().expect("site"));
    let code = a_site["site_code"].as_u64().expect("code");
    let wanted = format!("{code}9876");
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/phone/users/{a_id}"),
            Some(json!({"extension_number": wanted})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let got = zoom.get(&format!("/phone/users/{a_id}")).await;
    assert_eq!(got["extension_number"].to_string(), wanted);
    // Someone else's extension.
    let b_id = b["id"].as_str().expect("id");
    let b_ext = b["phone"]["extension_number"].as_str().expect("ext");
    let b_site = b["phone"]["site_id"].as_str().expect("site");
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/phone/users/{a_id}"),
            Some(json!({"site_id": b_site, "extension_number": b_ext})),
        )
        .await;
    assert_zoom_error(&r, 400, 400);
    // Out of range: short, long, another site's code.
    for bad in ["12", &format!("{code}123456"), "99990001"] {
        let r = zoom
            .call(
                Method::PATCH,
                &format!("/phone/users/{a_id}"),
                Some(json!({"extension_number": bad})),
            )
            .await;
        assert_zoom_error(&r, 400, 300);
    }
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/phone/users/{a_id}"),
            Some(json!({"extension_number": ["1"]})),
        )
        .await;
    assert_zoom_error(&r, 400, 300);
    // Unknown site.
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/phone/users/{a_id}"),
            Some(json!({"site_id": "nosuchsite"})),
        )
        .await;
    assert_zoom_error(&r, 404, 404);
    // Move to another site without an extension: the short extension follows.
    let other = sites["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .find(|s| s["id"] != a_site["id"])
        .expect("another site");
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/phone/users/{a_id}"),
            Some(json!({"site_id": other["id"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let after = user_by_id(&zoom.state().await, a_id)["phone"].clone();
    assert_eq!(after["site_id"], other["id"]);
    assert_eq!(
        after["extension_number"],
        format!("{}9876", other["site_code"])
    );
    // The old extension is free again.
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/phone/users/{b_id}"),
            Some(json!({"site_id": a_site["id"], "extension_number": wanted})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // Nothing to change: 204.
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/phone/users/{b_id}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn calling_plans_are_finite() {
    let zoom = Zoom::start(settings(120)).await;
    zoom.admin(
        Method::POST,
        "/seed",
        Some(json!({"phone_spare_plan_seats": 1})),
    )
    .await;
    let state = zoom.state().await;
    let phone = phone_users(&state);
    let (a, b) = (
        phone[0]["id"].as_str().expect("id"),
        phone[1]["id"].as_str().expect("id"),
    );
    let plans = zoom.get("/phone/calling_plans").await;
    let pro = plans["calling_plans"]
        .as_array()
        .expect("plans")
        .iter()
        .find(|p| p["type"] == 3000)
        .cloned()
        .expect("Zoom Phone Pro");
    assert_eq!(pro["available"], 1);
    assert_eq!(
        pro["subscribed"].as_u64().expect("n"),
        pro["assigned"].as_u64().expect("n") + 1
    );

    let api = &zoom;
    let assign = |user: &str, types: Value| {
        let path = format!("/phone/users/{user}/calling_plans");
        let body = json!({ "calling_plans": types });
        async move { api.call(Method::POST, &path, Some(body)).await }
    };
    let r = assign(a, json!([{"type": 3000}])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.category.as_deref(), Some("Light"));
    let profile = zoom.get(&format!("/phone/users/{a}")).await;
    assert!(
        profile["calling_plans"]
            .as_array()
            .expect("plans")
            .iter()
            .any(|p| p["type"] == 3000 && p["name"] == "Zoom Phone Pro")
    );
    // Held already; no seat left; unknown plan; malformed bodies.
    assert_zoom_error(&assign(a, json!([{"type": 3000}])).await, 400, 300);
    assert_zoom_error(&assign(b, json!([{"type": 3000}])).await, 400, 300);
    assert_zoom_error(&assign(b, json!([{"type": 99}])).await, 400, 404);
    assert_zoom_error(&assign(b, json!([])).await, 400, 300);
    assert_zoom_error(&assign(b, json!([{"type": "pro"}])).await, 400, 300);
    let after = zoom.get("/phone/calling_plans").await;
    let pro_after = after["calling_plans"]
        .as_array()
        .expect("plans")
        .iter()
        .find(|p| p["type"] == 3000)
        .cloned()
        .expect("pro");
    assert_eq!(pro_after["available"], 0);

    // Unassign: 204, then the plan is not held any more (400 code 400).
    let r = zoom
        .call(
            Method::DELETE,
            &format!("/phone/users/{a}/calling_plans/3000"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = zoom
        .call(
            Method::DELETE,
            &format!("/phone/users/{a}/calling_plans/3000"),
            None,
        )
        .await;
    assert_zoom_error(&r, 400, 400);
    // The seat is back for someone else.
    let r = assign(b, json!([{"type": 3000}])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let state = zoom.state().await;
    assert!(
        user_by_id(&state, b)["phone"]["calling_plans"]
            .as_array()
            .expect("plans")
            .contains(&json!(3000))
    );
}

#[tokio::test]
async fn numbers_come_from_a_finite_pool() {
    let zoom = Zoom::start(settings(120)).await;
    zoom.admin(
        Method::POST,
        "/seed",
        Some(json!({"phone_spare_numbers": 2})),
    )
    .await;
    let state = zoom.state().await;
    let phone = phone_users(&state);
    let (a, b) = (
        phone[0]["id"].as_str().expect("id"),
        phone[1]["id"].as_str().expect("id"),
    );
    let free = zoom
        .walk("/phone/numbers?type=unassigned", "phone_numbers")
        .await;
    assert_eq!(free.len(), 2);
    assert!(free.iter().all(|n| n.get("assignee").is_none()));
    let all = zoom.get("/phone/numbers?type=all&page_size=1").await;
    assert_eq!(
        all["total_records"], state["phone"]["numbers"]["total"],
        "the pool size"
    );
    let number = free[0]["number"].as_str().expect("number").to_owned();
    let number_id = free[0]["id"].as_str().expect("id").to_owned();

    let api = &zoom;
    let assign = |user: &str, item: Value| {
        let path = format!("/phone/users/{user}/phone_numbers");
        let body = json!({ "phone_numbers": [item] });
        async move { api.call(Method::POST, &path, Some(body)).await }
    };
    // By number, without the `+`.
    let r = assign(a, json!({"number": number.trim_start_matches('+')})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"phone_numbers": [{"id": number_id, "number": number}]})
    );
    // Taken, unknown, malformed.
    assert_zoom_error(&assign(b, json!({"id": number_id})).await, 400, 409);
    assert_zoom_error(
        &assign(b, json!({"number": "+19999999999"})).await,
        400,
        404,
    );
    assert_zoom_error(&assign(b, json!({})).await, 400, 300);
    let state = zoom.state().await;
    assert!(
        user_by_id(&state, a)["phone"]["phone_numbers"]
            .as_array()
            .expect("numbers")
            .contains(&json!(number))
    );
    let assigned = zoom
        .walk(
            &format!(
                "/phone/numbers?type=assigned&site_id={}",
                user_by_id(&state, a)["phone"]["site_id"]
                    .as_str()
                    .expect("site")
            ),
            "phone_numbers",
        )
        .await;
    let mine = assigned
        .iter()
        .find(|n| n["id"] == number_id)
        .expect("listed as assigned at the user's site");
    assert_eq!(mine["assignee"]["id"], a);
    assert_eq!(mine["assignee"]["type"], "user");
    assert_eq!(
        zoom.get("/phone/numbers?type=unassigned").await["total_records"],
        1
    );
    // Unassign by id; a number not held is 404 code 400.
    let r = zoom
        .call(
            Method::DELETE,
            &format!("/phone/users/{b}/phone_numbers/{number_id}"),
            None,
        )
        .await;
    assert_zoom_error(&r, 404, 400);
    let r = zoom
        .call(
            Method::DELETE,
            &format!("/phone/users/{a}/phone_numbers/{number_id}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // By number (percent-encoded `+`) after assigning it to b.
    assert_eq!(
        assign(b, json!({"number": number})).await.status,
        StatusCode::CREATED
    );
    let r = zoom
        .call(
            Method::DELETE,
            &format!("/phone/users/{b}/phone_numbers/%2B{}", &number[1..]),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        zoom.get("/phone/numbers?type=unassigned").await["total_records"],
        2
    );
    // Other filters.
    assert_eq!(
        zoom.get("/phone/numbers?type=byoc").await["total_records"],
        0
    );
    let r = zoom
        .call(Method::GET, "/phone/numbers?type=odd", None)
        .await;
    assert_zoom_error(&r, 400, 300);
}

#[tokio::test]
async fn the_feature_switch_creates_and_clears_profiles() {
    let zoom = Zoom::start(settings(150)).await;
    zoom.admin(
        Method::POST,
        "/seed",
        Some(json!({"phone_spare_licences": 1, "phone_spare_numbers": 3})),
    )
    .await;
    let state = zoom.state().await;
    assert_eq!(
        state["phone"]["licences"]["subscribed"].as_u64(),
        state["phone"]["licences"]["assigned"]
            .as_u64()
            .map(|n| n + 1)
    );
    let user = non_phone_active(&state);
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{user}"),
            Some(json!({"feature": {"zoom_phone": true}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let state = zoom.state().await;
    let profile = &user_by_id(&state, &user)["phone"];
    let main = &state["phone"]["sites"][0];
    assert_eq!(main["main"], true);
    assert_eq!(profile["site_id"], main["id"], "placed at the main site");
    assert!(
        profile["extension_number"]
            .as_str()
            .expect("ext")
            .starts_with(&main["site_code"].to_string())
    );
    assert_eq!(user_by_id(&state, &user)["zoom_phone"], true);

    // No licence left: 404 code 1102 and nothing of the patch is applied.
    let second = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| {
            u["phone"].is_null()
                && u["status"] == "active"
                && u["role_id"] == "2"
                && u["id"] != user
        })
        .and_then(|u| u["id"].as_str())
        .expect("another user")
        .to_owned();
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{second}"),
            Some(json!({"first_name": "Changed", "feature": {"zoom_phone": true}})),
        )
        .await;
    assert_zoom_error(&r, 404, 1102);
    let detail = zoom.get(&format!("/users/{second}")).await;
    assert_ne!(detail["first_name"], "Changed");
    let r = zoom
        .call(
            Method::POST,
            "/users",
            Some(
                json!({"action": "autoCreate", "user_info": {"email": "late@example.com",
                        "type": 2, "feature": {"zoom_phone": true}}}),
            ),
        )
        .await;
    assert_zoom_error(&r, 404, 1102);
    assert_eq!(
        zoom.call(Method::GET, "/users/late@example.com", None)
            .await
            .status,
        StatusCode::NOT_FOUND,
        "no user is created"
    );

    // Give the new phone user a number and a plan, then switch the feature off.
    let free = zoom.get("/phone/numbers?type=unassigned").await;
    let number = free["phone_numbers"][0]["number"]
        .as_str()
        .expect("number")
        .to_owned();
    let r = zoom
        .call(
            Method::POST,
            &format!("/phone/users/{user}/phone_numbers"),
            Some(json!({"phone_numbers": [{"number": number}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = zoom
        .call(
            Method::POST,
            &format!("/phone/users/{user}/calling_plans"),
            Some(json!({"calling_plans": [{"type": 200}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let plan_200 = |s: &Value| {
        s["phone"]["calling_plans"]
            .as_array()
            .expect("plans")
            .iter()
            .find(|p| p["type"] == 200)
            .map(|p| p["assigned"].as_u64().expect("n"))
            .expect("plan 200")
    };
    let before = plan_200(&zoom.state().await);
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{user}/settings"),
            Some(json!({"feature": {"zoom_phone": false}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let state = zoom.state().await;
    assert!(user_by_id(&state, &user)["phone"].is_null());
    assert_eq!(user_by_id(&state, &user)["zoom_phone"], false);
    assert_eq!(plan_200(&state), before - 1, "the plan seat is returned");
    let unassigned = zoom
        .walk("/phone/numbers?type=unassigned", "phone_numbers")
        .await;
    assert!(unassigned.iter().any(|n| n["number"] == number.as_str()));
    let r = zoom
        .call(Method::GET, &format!("/phone/users/{user}"), None)
        .await;
    assert_zoom_error(&r, 404, 1001);

    // The freed licence serves the second user now.
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{second}"),
            Some(json!({"feature": {"zoom_phone": true}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // Deleting a phone user frees their licence.
    let r = zoom
        .call(
            Method::DELETE,
            &format!("/users/{second}?action=delete"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let state = zoom.state().await;
    assert!(
        state["phone"]["licences"]["assigned"].as_u64()
            < state["phone"]["licences"]["subscribed"].as_u64()
    );
}

#[tokio::test]
async fn pending_users_get_their_profile_on_confirming() {
    let zoom = Zoom::start(settings(50)).await;
    let r = zoom
        .call(
            Method::POST,
            "/users",
            Some(
                json!({"action": "create", "user_info": {"email": "invitee@example.com",
                        "type": 2, "feature": {"zoom_phone": true}}}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    let state = zoom.state().await;
    assert_eq!(user_by_id(&state, &id)["status"], "pending");
    assert!(
        user_by_id(&state, &id)["phone"].is_null(),
        "no profile while pending"
    );
    let r = zoom
        .call(Method::GET, &format!("/phone/users/{id}"), None)
        .await;
    assert_zoom_error(&r, 404, 1001);
    let listed = zoom.walk("/phone/users?page_size=100", "users").await;
    assert!(listed.iter().all(|u| u["id"] != id.as_str()));

    zoom.admin(Method::POST, &format!("/users/{id}/activate"), None)
        .await;
    let profile = zoom.get(&format!("/phone/users/{id}")).await;
    assert_eq!(profile["status"], "activate");
    assert!(profile["extension_number"].as_u64().is_some());
}

#[tokio::test]
async fn a_phone_less_account_answers_403_everywhere() {
    let zoom = Zoom::start(settings(30)).await;
    let state = zoom.state().await;
    let id = phone_users(&state)[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    zoom.admin(
        Method::PUT,
        "/config",
        Some(json!({"phone_enabled": false})),
    )
    .await;
    let calls = [
        (Method::GET, "/phone/users".to_owned(), None),
        (Method::GET, format!("/phone/users/{id}"), None),
        (
            Method::PATCH,
            format!("/phone/users/{id}"),
            Some(json!({"extension_number": "10001"})),
        ),
        (
            Method::POST,
            format!("/phone/users/{id}/calling_plans"),
            Some(json!({"calling_plans": [{"type": 200}]})),
        ),
        (
            Method::DELETE,
            format!("/phone/users/{id}/calling_plans/200"),
            None,
        ),
        (
            Method::POST,
            format!("/phone/users/{id}/phone_numbers"),
            Some(json!({"phone_numbers": [{"number": "+14085550100"}]})),
        ),
        (
            Method::DELETE,
            format!("/phone/users/{id}/phone_numbers/x"),
            None,
        ),
        (Method::GET, "/phone/sites".to_owned(), None),
        (Method::GET, "/phone/numbers".to_owned(), None),
        (Method::GET, "/phone/calling_plans".to_owned(), None),
    ];
    for (method, path, body) in calls {
        let r = zoom.call(method.clone(), &path, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(r.body["code"], 2031, "{method} {path}");
    }
    // Stats count them per endpoint template, on the Phone table.
    let stats = zoom.admin(Method::GET, "/stats", None).await;
    assert_eq!(stats["requests"]["GET /phone/users"], 1);
    assert_eq!(stats["requests"]["GET /phone/users/{userId}"], 1);
    assert_eq!(
        stats["requests"]["DELETE /phone/users/{userId}/phone_numbers/{phoneNumberId}"],
        1
    );
}

#[tokio::test]
async fn sites_page_with_a_main_site() {
    let zoom = Zoom::start(settings(20)).await;
    zoom.admin(Method::POST, "/seed", Some(json!({"phone_sites": 45})))
        .await;
    let first = zoom.get("/phone/sites").await;
    assert_eq!(first["total_records"], 45);
    assert_eq!(first["sites"].as_array().expect("sites").len(), 30);
    assert_eq!(first["sites"][0]["level"], "main");
    assert_eq!(first["sites"][0]["name"], "Main Site");
    let all = zoom.walk("/phone/sites", "sites").await;
    assert_eq!(all.len(), 45);
    let names: HashSet<&str> = all.iter().filter_map(|s| s["name"].as_str()).collect();
    let codes: HashSet<u64> = all.iter().filter_map(|s| s["site_code"].as_u64()).collect();
    assert_eq!(
        (names.len(), codes.len()),
        (45, 45),
        "unique names and codes"
    );
    assert_eq!(all.iter().filter(|s| s["level"] == "main").count(), 1);
    let big = zoom.get("/phone/sites?page_size=1000").await;
    assert_eq!(big["sites"].as_array().expect("sites").len(), 45);
    let r = zoom
        .call(Method::GET, "/phone/sites?page_size=x", None)
        .await;
    assert_zoom_error(&r, 400, 300);
}

// ----- Conformance with ZoomPhoneAPISpec.json ------------------------------------------

fn phone_spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| read_json("zoom-api/ZoomPhoneAPISpec.json"))
}

/// Fields seen live but missing from the Phone spec (contract section 8).
fn folio_extras() -> Vec<Value> {
    vec![
        json!({"calling_plans": [{"name": "US/CA Unlimited Calling Plan"}]}),
        json!({"sites": [{"level": "main"}]}),
    ]
}

#[tokio::test]
async fn phone_answers_match_the_phone_spec() {
    let zoom = Zoom::start(settings(150)).await;
    let spec = phone_spec();
    let check = |what: &str, method: &str, path: &str, status: &str, body: &Value| {
        let schema = response_schema(spec, method, path, status);
        assert_valid(what, &schema, body);
        assert_fields_known(what, body, &schema, &folio_extras());
    };

    let list = zoom.get("/phone/users?page_size=100").await;
    check("GET /phone/users", "get", "/phone/users", "200", &list);
    let token = list["next_page_token"].as_str().expect("token");
    let next = zoom
        .get(&format!(
            "/phone/users?page_size=100&next_page_token={token}"
        ))
        .await;
    check(
        "GET /phone/users (token)",
        "get",
        "/phone/users",
        "200",
        &next,
    );

    for item in list["users"].as_array().expect("users").iter().take(20) {
        let id = item["id"].as_str().expect("id");
        let profile = zoom.get(&format!("/phone/users/{id}")).await;
        check(
            "GET /phone/users/{userId}",
            "get",
            "/phone/users/{userId}",
            "200",
            &profile,
        );
    }
    let sites = zoom.get("/phone/sites").await;
    check("GET /phone/sites", "get", "/phone/sites", "200", &sites);
    for kind in ["all", "assigned", "unassigned"] {
        let numbers = zoom.get(&format!("/phone/numbers?type={kind}")).await;
        check(
            "GET /phone/numbers",
            "get",
            "/phone/numbers",
            "200",
            &numbers,
        );
    }
    let plans = zoom.get("/phone/calling_plans").await;
    check(
        "GET /phone/calling_plans",
        "get",
        "/phone/calling_plans",
        "200",
        &plans,
    );
    // POST numbers: live 201, not the spec's 200 (contract section 8).
    let free = zoom.get("/phone/numbers?type=unassigned").await;
    let id = list["users"][0]["id"].as_str().expect("id");
    let r = zoom
        .call(
            Method::POST,
            &format!("/phone/users/{id}/phone_numbers"),
            Some(json!({"phone_numbers": [{"id": free["phone_numbers"][0]["id"]}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    check(
        "POST /phone/users/{userId}/phone_numbers",
        "post",
        "/phone/users/{userId}/phone_numbers",
        "200",
        &r.body,
    );
}

/// Seeds 100,000 users (about 31,000 phone users) and walks `GET /phone/users` at
/// Zoom's maximum of 100 a page with rate limiting off. Zoom's fastest phone listing
/// rate is Business+ Medium, 20 pages/s x 100 = 2,000 users/s; the simulator must be
/// well above it. Run alone:
/// `cargo test --release --test integration simulator_phone::measure_100k_phone_users -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; run alone with --ignored --nocapture"]
async fn measure_100k_phone_users() {
    let started = std::time::Instant::now();
    let zoom = Zoom::start(SimSettings {
        users: 100_000,
        rate_scale: 0.0,
        ..SimSettings::default()
    })
    .await;
    let seeding = started.elapsed();
    let started = std::time::Instant::now();
    let mut listed = 0usize;
    let mut pages = 0usize;
    let mut totals = Vec::new();
    let mut token = String::new();
    loop {
        let path = if token.is_empty() {
            "/phone/users?page_size=100".to_owned()
        } else {
            format!("/phone/users?page_size=100&next_page_token={token}")
        };
        let page = zoom.get(&path).await;
        listed += page["users"].as_array().expect("users").len();
        totals.push(page["total_records"].as_u64().expect("total") as usize);
        pages += 1;
        token = page["next_page_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if token.is_empty() {
            break;
        }
    }
    let walk = started.elapsed();
    let rate = listed as f64 / walk.as_secs_f64();
    println!(
        "seeded 100000 users in {seeding:.2?}; listed {listed} phone users in {pages} pages in \
         {walk:.2?}: {rate:.0} phone users/s ({:.0} pages/s)",
        pages as f64 / walk.as_secs_f64()
    );
    assert!(
        totals.iter().all(|t| *t == listed),
        "total_records {totals:?}"
    );
    assert!(listed > 25_000, "{listed} phone users");
    assert!(rate > 2_000.0, "{rate:.0} phone users/s");
}
