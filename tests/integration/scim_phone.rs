//! Black-box tests of the Zoom Phone read side over SCIM: the service and the
//! simulator on port 0, phone attributes checked against the simulator's state and the
//! Zoom calls made checked against its stats (no per-user phone calls for listings,
//! one phone-list walk per listing, push-down of phone filters).

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use zoom_scim::config::Config;
use zoom_scim::simulator::SimSettings;
use zoom_scim::zoom::model::CreateAction;

use crate::support::{SCIM_TOKEN, Stack, sim_settings, start_stack, urlencode};

const ZOOM_EXT: &str = "urn:ietf:params:scim:schemas:extension:zoom:2.0:User";

/// Waits until the phone roster's one-page walk (started by a read) has ended: one
/// `GET /phone/users` counted and no Zoom call in flight (a fixed sleep would race a
/// slow machine).
async fn wait_for_roster_walk(stack: &Stack) {
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let stats = stack.sim_admin("stats").await;
        if calls(&stats, "GET /phone/users") >= 1 && stats["in_flight"] == 0 {
            assert_eq!(calls(&stats, "GET /phone/users"), 1, "one walk");
            // The answer has left the simulator; give the service time to file it.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            return;
        }
    }
    panic!("the phone roster's walk did not end within 5 s");
}

/// Calls made to one endpoint template since the last reset.
fn calls(stats: &Value, endpoint: &str) -> u64 {
    stats["requests"][endpoint].as_u64().unwrap_or(0)
}

/// Simulator users by id.
fn users_by_id(state: &Value) -> HashMap<String, Value> {
    state["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap().to_owned(), u.clone()))
        .collect()
}

/// Site id -> (name, code) from the simulator's state.
fn sites(state: &Value) -> HashMap<String, (String, u64)> {
    state["phone"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                (
                    s["name"].as_str().unwrap().to_owned(),
                    s["site_code"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

/// Asserts that a SCIM user's phone attributes say what the simulator holds.
fn assert_phone_matches(scim: &Value, sim: &Value, sites: &HashMap<String, (String, u64)>) {
    let ext = &scim[ZOOM_EXT];
    let who = scim["userName"].as_str().unwrap_or("?");
    let phone = &sim["phone"];
    if phone.is_null() {
        assert_eq!(ext["zoomPhoneFeature"], false, "{who}: {ext}");
        for attr in [
            "siteId",
            "extensionNumber",
            "callingPlans",
            "zoomPhoneNumbers",
        ] {
            assert!(ext.get(attr).is_none(), "{who}: {attr} without a profile");
        }
        return;
    }
    assert_eq!(ext["zoomPhoneFeature"], true, "{who}: {ext}");
    let status = if sim["status"] == "inactive" {
        "deactivate"
    } else {
        "activate"
    };
    assert_eq!(ext["zoomPhoneStatus"], status, "{who}");
    assert_eq!(ext["extensionNumber"], phone["extension_number"], "{who}");
    assert_eq!(ext["siteId"], phone["site_id"], "{who}");
    let (name, code) = &sites[phone["site_id"].as_str().unwrap()];
    assert_eq!(ext["siteName"], name.as_str(), "{who}");
    assert_eq!(ext["siteCode"], *code, "{who}");
    let plans = ext
        .get("callingPlans")
        .cloned()
        .unwrap_or(Value::Array(vec![]));
    assert_eq!(plans, phone["calling_plans"], "{who}");
    let numbers = ext
        .get("zoomPhoneNumbers")
        .cloned()
        .unwrap_or(Value::Array(vec![]));
    assert_eq!(numbers, phone["phone_numbers"], "{who}");
}

#[tokio::test]
async fn a_single_get_reads_the_phone_profile_of_phone_users_only() {
    // Per-user phone reads, without the roster (its own test below).
    let mut config = Config::default();
    config.scim.phone_roster_ttl_s = 0;
    let stack = start_stack(sim_settings(120), config).await;
    let state = stack.sim_admin("state").await;
    let site_table = sites(&state);
    let users: Vec<&Value> = state["users"].as_array().unwrap().iter().collect();
    let phone_user = users.iter().find(|u| !u["phone"].is_null()).unwrap();
    let plain = users
        .iter()
        .find(|u| u["phone"].is_null() && u["status"] == "active")
        .unwrap();
    let pending = users.iter().find(|u| u["status"] == "pending").unwrap();

    stack.reset_sim_stats().await;
    for user in [phone_user, plain] {
        let id = user["id"].as_str().unwrap();
        let (status, body) = stack.get(&format!("/Users/{id}")).await;
        assert_eq!(status, 200, "{body}");
        assert_phone_matches(&body, user, &site_table);
    }
    let stats = stack.sim_admin("stats").await;
    assert_eq!(calls(&stats, "GET /phone/users/{userId}"), 2);
    assert_eq!(calls(&stats, "GET /phone/users"), 0);

    // Pending users cannot have a phone profile: no call, `false`.
    stack.reset_sim_stats().await;
    let id = pending["id"].as_str().unwrap();
    let (status, body) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[ZOOM_EXT]["zoomPhoneFeature"], false);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(calls(&stats, "GET /phone/users/{userId}"), 0);

    // Attributes without phone ones: the read is still whole, so the answer carries
    // the version (RFC 7644 section 3.14: the ETag header on every GET) and a
    // conditional GET with those attributes can answer 304.
    stack.reset_sim_stats().await;
    let id = phone_user["id"].as_str().unwrap();
    let full = stack
        .http
        .get(format!("{}/Users/{id}", stack.service.scim_base_url))
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .unwrap();
    let full_etag = full.headers()["etag"].to_str().unwrap().to_owned();
    let partial = |headers: Option<&str>| {
        let mut request = stack
            .http
            .get(format!(
                "{}/Users/{id}?attributes=userName",
                stack.service.scim_base_url
            ))
            .bearer_auth(SCIM_TOKEN);
        if let Some(tag) = headers {
            request = request.header("If-None-Match", tag);
        }
        request.send()
    };
    let response = partial(None).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"].to_str().unwrap(), full_etag);
    let body: Value = response.json().await.unwrap();
    assert!(body.get(ZOOM_EXT).is_none());
    assert_eq!(partial(Some(&full_etag)).await.unwrap().status(), 304);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(calls(&stats, "GET /phone/users/{userId}"), 3);
    let attr = urlencode(&format!("{ZOOM_EXT}:extensionNumber"));
    let (_, body) = stack.get(&format!("/Users/{id}?attributes={attr}")).await;
    assert_eq!(
        body[ZOOM_EXT]["extensionNumber"],
        phone_user["phone"]["extension_number"]
    );
}

/// With the phone roster (the default), reading one user asks for a phone profile only
/// for users on it. The roster is a paged walk in the background, corrected at once by
/// what per-user reads find (so by zoom-scim's own writes), and walked again after its
/// TTL (so phone assigned in Zoom directly shows within it).
#[tokio::test]
async fn the_phone_roster_spares_profile_calls_for_users_without_phone() {
    let mut config = Config::default();
    config.scim.phone_roster_ttl_s = 3;
    let stack = start_stack(sim_settings(120), config).await;
    let state = stack.sim_admin("state").await;
    let site_table = sites(&state);
    let users: Vec<&Value> = state["users"].as_array().unwrap().iter().collect();
    let phone_user = users.iter().find(|u| !u["phone"].is_null()).unwrap();
    let plain = users
        .iter()
        .find(|u| u["phone"].is_null() && u["status"] == "active" && u["role_id"] == "2")
        .unwrap();
    let plain_id = plain["id"].as_str().unwrap();
    let phone_id = phone_user["id"].as_str().unwrap();

    // No roster yet: the first read asks per user, and starts the walk.
    let (status, body) = stack.get(&format!("/Users/{plain_id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_phone_matches(&body, plain, &site_table);
    wait_for_roster_walk(&stack).await;

    stack.reset_sim_stats().await;
    for (id, user) in [(plain_id, plain), (phone_id, phone_user)] {
        let (status, body) = stack.get(&format!("/Users/{id}")).await;
        assert_eq!(status, 200, "{body}");
        assert_phone_matches(&body, user, &site_table);
    }
    let stats = stack.sim_admin("stats").await;
    assert_eq!(
        calls(&stats, "GET /phone/users/{userId}"),
        1,
        "only the phone user's profile is read"
    );

    // Through zoom-scim, the next read sees the change at once, though the roster
    // (trusted for a second) was walked before it.
    let set_phone = |on: bool| {
        stack
            .http
            .patch(format!("{}/Users/{plain_id}", stack.service.scim_base_url))
            .bearer_auth(SCIM_TOKEN)
            .json(&serde_json::json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": format!("{ZOOM_EXT}:zoomPhoneFeature"), "value": on}]
            }))
            .send()
    };
    assert_eq!(set_phone(true).await.unwrap().status(), 200);
    let (_, body) = stack.get(&format!("/Users/{plain_id}")).await;
    assert_eq!(body[ZOOM_EXT]["zoomPhoneFeature"], true);
    assert_eq!(set_phone(false).await.unwrap().status(), 200);
    let (_, body) = stack.get(&format!("/Users/{plain_id}")).await;
    assert_eq!(body[ZOOM_EXT]["zoomPhoneFeature"], false);

    // Zoom Phone turned on in Zoom directly: shown once the roster is walked again.
    let token = stack.zoom_token().await;
    let response = stack
        .http
        .patch(format!("{}/users/{plain_id}", stack.sim.api_base_url()))
        .bearer_auth(&token)
        .json(&serde_json::json!({"feature": {"zoom_phone": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let mut shown = false;
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let (_, body) = stack.get(&format!("/Users/{plain_id}")).await;
        if body[ZOOM_EXT]["zoomPhoneFeature"] == true {
            shown = true;
            break;
        }
    }
    assert!(
        shown,
        "phone assigned in Zoom shows within the roster's TTL"
    );
}

/// A phone user on the roster is read with its record and its phone profile asked at
/// once, so a read waits for one Zoom round trip, not two. Users the roster does not
/// list (no Zoom Phone, pending) are read with their record alone.
#[tokio::test]
async fn a_phone_user_on_the_roster_is_read_in_one_round_trip() {
    let sim = SimSettings {
        latency_ms: 50,
        ..sim_settings(120)
    };
    let stack = start_stack(sim, Config::default()).await;
    let state = stack.sim_admin("state").await;
    let users: Vec<&Value> = state["users"].as_array().unwrap().iter().collect();
    let phone_id = users.iter().find(|u| !u["phone"].is_null()).unwrap()["id"]
        .as_str()
        .unwrap();
    let plain_id = users
        .iter()
        .find(|u| u["phone"].is_null() && u["status"] == "active")
        .unwrap()["id"]
        .as_str()
        .unwrap();
    let pending_id = users.iter().find(|u| u["status"] == "pending").unwrap()["id"]
        .as_str()
        .unwrap();

    // The first read starts the roster's walk; wait for it.
    assert_eq!(stack.get(&format!("/Users/{plain_id}")).await.0, 200);
    wait_for_roster_walk(&stack).await;

    // Each user is read once first: a manager is shown by id, looked up by e-mail once.
    for id in [phone_id, plain_id, pending_id] {
        assert_eq!(stack.get(&format!("/Users/{id}")).await.0, 200);
    }
    let path = |id: &str| format!("/Users/{id}");
    stack.reset_sim_stats().await;
    let (status, body) = stack.get(&path(phone_id)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[ZOOM_EXT]["zoomPhoneFeature"], true);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(calls(&stats, "GET /users/{userId}"), 1);
    assert_eq!(calls(&stats, "GET /phone/users/{userId}"), 1);
    assert_eq!(stats["peak_in_flight"], 2, "record and profile at once");

    for id in [plain_id, pending_id] {
        stack.reset_sim_stats().await;
        let (status, body) = stack.get(&path(id)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body[ZOOM_EXT]["zoomPhoneFeature"], false);
        let stats = stack.sim_admin("stats").await;
        assert_eq!(calls(&stats, "GET /users/{userId}"), 1);
        assert_eq!(calls(&stats, "GET /phone/users/{userId}"), 0, "{id}");
        assert_eq!(stats["peak_in_flight"], 1);
    }
}

/// A create reads its new user back. An active one (every create action but `create`)
/// has its record and phone profile asked at once; an invitee (`create`) is pending, so
/// its record alone is read.
#[tokio::test]
async fn a_new_user_is_read_back_in_one_round_trip() {
    for (action, status) in [
        (CreateAction::AutoCreate, "active"),
        (CreateAction::Create, "pending"),
    ] {
        let mut config = Config::default();
        config.scim.create_action = action;
        let sim = SimSettings {
            latency_ms: 30,
            ..sim_settings(20)
        };
        let stack = start_stack(sim, config).await;
        // Warm up: the group, role and site lists and the phone roster.
        let state = stack.sim_admin("state").await;
        let someone = state["users"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(stack.get(&format!("/Users/{someone}")).await.0, 200);
        wait_for_roster_walk(&stack).await;
        stack.reset_sim_stats().await;
        let response = stack
            .http
            .post(format!("{}/Users", stack.service.scim_base_url))
            .bearer_auth(SCIM_TOKEN)
            .json(&serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "new.hire@example.com",
                "name": {"givenName": "New", "familyName": "Hire"},
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body[ZOOM_EXT]["status"], status, "{action:?}: {body}");
        let stats = stack.sim_admin("stats").await;
        assert_eq!(calls(&stats, "POST /users"), 1);
        assert_eq!(calls(&stats, "GET /users/{userId}"), 1, "{stats}");
        let (phone_reads, peak) = if status == "active" { (1, 2) } else { (0, 1) };
        assert_eq!(
            calls(&stats, "GET /phone/users/{userId}"),
            phone_reads,
            "{action:?}: {stats}"
        );
        assert_eq!(stats["peak_in_flight"], peak, "{action:?}: {stats}");
    }
}

/// The acceptance test: a listing of 2,000 users, about a third of them phone
/// users, makes at most ceil(phone users / 100) phone list calls and no per-user phone
/// calls, and every user's phone attributes are right.
#[tokio::test]
async fn a_full_listing_joins_the_phone_list_instead_of_calling_per_user() {
    // Without the per-user detail enrichment (`GET /users/{id}` for 2,000 users would
    // take half a minute at Zoom's Light rate): phone attributes need none of it.
    let mut config = Config::default();
    config.scim.deep_import = false;
    let stack = start_stack(sim_settings(2000), config).await;
    let state = stack.sim_admin("state").await;
    let by_id = users_by_id(&state);
    let site_table = sites(&state);
    let phone_users = by_id.values().filter(|u| !u["phone"].is_null()).count();
    let not_pending = by_id.values().filter(|u| u["status"] != "pending").count();
    let share = phone_users as f64 / not_pending as f64;
    assert!(
        (0.28..0.39).contains(&share),
        "a third are phone users: {share}"
    );

    stack.reset_sim_stats().await;
    let mut seen = HashSet::new();
    let mut start = 1;
    loop {
        let (status, page) = stack
            .get(&format!("/Users?startIndex={start}&count=1000"))
            .await;
        assert_eq!(status, 200, "{page}");
        let resources = page["Resources"].as_array().unwrap();
        for user in resources {
            let id = user["id"].as_str().unwrap();
            assert!(seen.insert(id.to_owned()), "{id} twice");
            assert_phone_matches(user, &by_id[id], &site_table);
        }
        if resources.is_empty() || seen.len() == by_id.len() {
            break;
        }
        start += resources.len();
    }
    assert_eq!(seen.len(), 2000);
    let stats = stack.sim_admin("stats").await;
    let list_calls = calls(&stats, "GET /phone/users");
    assert!(
        list_calls <= phone_users.div_ceil(100) as u64,
        "{list_calls} phone list calls for {phone_users} phone users"
    );
    assert!(list_calls >= 1);
    assert_eq!(calls(&stats, "GET /phone/users/{userId}"), 0, "{stats}");
    assert!(calls(&stats, "GET /phone/sites") <= 1);
}

#[tokio::test]
async fn small_pages_read_profiles_one_by_one() {
    let mut config = Config::default();
    config.scim.phone_roster_ttl_s = 0;
    let stack = start_stack(sim_settings(200), config).await;
    let state = stack.sim_admin("state").await;
    let by_id = users_by_id(&state);
    let site_table = sites(&state);
    stack.reset_sim_stats().await;
    let (status, page) = stack.get("/Users?count=5").await;
    assert_eq!(status, 200);
    let resources = page["Resources"].as_array().unwrap();
    assert_eq!(resources.len(), 5);
    for user in resources {
        assert_phone_matches(user, &by_id[user["id"].as_str().unwrap()], &site_table);
    }
    let stats = stack.sim_admin("stats").await;
    assert_eq!(calls(&stats, "GET /phone/users"), 0);
    assert!(calls(&stats, "GET /phone/users/{userId}") <= 5);
    // Without phone attributes, no phone call at all.
    stack.reset_sim_stats().await;
    let (status, _) = stack.get("/Users?count=200&attributes=userName").await;
    assert_eq!(status, 200);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(calls(&stats, "GET /phone/users"), 0);
    assert_eq!(calls(&stats, "GET /phone/users/{userId}"), 0);
    assert_eq!(calls(&stats, "GET /phone/sites"), 0);
}

/// Ids of every resource of a filtered search, with the count Zoom was asked.
async fn search(stack: &Stack, filter: &str) -> HashSet<String> {
    let (status, page) = stack
        .get(&format!("/Users?count=1000&filter={}", urlencode(filter)))
        .await;
    assert_eq!(status, 200, "{filter}: {page}");
    let ids: HashSet<String> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(page["totalResults"], ids.len(), "{filter}");
    ids
}

fn expected(state: &Value, keep: impl Fn(&Value) -> bool) -> HashSet<String> {
    state["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| keep(u))
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn phone_filters_are_answered_and_pushed_down() {
    let mut config = Config::default();
    // Sites come in pages of 20: names are resolved over every page.
    config.zoom.page_size = 20;
    // No per-user detail enrichment of filtered searches (kept fast; phone attributes
    // need none of it).
    config.scim.deep_get = false;
    let stack = start_stack(
        SimSettings {
            phone_sites: 45,
            ..sim_settings(600)
        },
        config,
    )
    .await;
    let state = stack.sim_admin("state").await;
    let site_table = sites(&state);
    let phone = |u: &Value| !u["phone"].is_null();

    // extensionNumber eq: one phone-list call with the extension as keyword, one user
    // read, no user listing.
    let target = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| phone(u))
        .nth(7)
        .unwrap()
        .clone();
    let ext = target["phone"]["extension_number"].as_str().unwrap();
    stack.reset_sim_stats().await;
    let found = search(&stack, &format!("{ZOOM_EXT}:extensionNumber eq \"{ext}\"")).await;
    assert_eq!(
        found,
        HashSet::from([target["id"].as_str().unwrap().to_owned()])
    );
    let stats = stack.sim_admin("stats").await;
    assert_eq!(calls(&stats, "GET /phone/users"), 1, "{stats}");
    assert_eq!(
        calls(&stats, "GET /users"),
        0,
        "no listing of every user: {stats}"
    );
    assert_eq!(calls(&stats, "GET /phone/users/{userId}"), 0);

    // A number, a plan, a site by id, by code and by name (the name of a site on the
    // third page of sites).
    let number = target["phone"]["phone_numbers"][0].as_str();
    if let Some(number) = number {
        let found = search(&stack, &format!("zoomPhoneNumbers eq \"{number}\"")).await;
        assert_eq!(
            found,
            HashSet::from([target["id"].as_str().unwrap().to_owned()])
        );
    }
    let site_users =
        |site_id: &str| expected(&state, |u| phone(u) && u["phone"]["site_id"] == site_id);
    let populated: Vec<(&String, &(String, u64))> = site_table
        .iter()
        .filter(|(id, (_, code))| *code > 40 && !site_users(id).is_empty())
        .collect();
    let (far_site, (far_name, far_code)) = populated.first().expect("a populated late site");
    assert_eq!(
        search(&stack, &format!("siteName eq \"{far_name}\"")).await,
        site_users(far_site)
    );
    assert_eq!(
        search(
            &stack,
            &format!("siteName eq \"{}\"", far_name.to_uppercase())
        )
        .await,
        site_users(far_site),
        "site names compare case-insensitively"
    );
    assert_eq!(
        search(&stack, &format!("siteId eq \"{far_site}\"")).await,
        site_users(far_site)
    );
    assert_eq!(
        search(&stack, &format!("siteCode eq {far_code}")).await,
        site_users(far_site)
    );
    assert!(search(&stack, "siteName eq \"Atlantis\"").await.is_empty());
    assert!(search(&stack, "siteId eq \"nosuchsite\"").await.is_empty());
    assert_eq!(
        search(
            &stack,
            &format!("siteName eq \"{far_name}\" and active eq false")
        )
        .await,
        expected(&state, |u| {
            phone(u) && u["phone"]["site_id"] == far_site.as_str() && u["status"] == "inactive"
        })
    );
    assert_eq!(
        search(&stack, "callingPlans eq 200").await,
        expected(&state, |u| {
            u["phone"]["calling_plans"]
                .as_array()
                .is_some_and(|p| p.contains(&Value::from(200)))
        })
    );

    // Feature true / false: every phone user, every other user.
    assert_eq!(
        search(&stack, "zoomPhoneFeature eq true").await,
        expected(&state, phone)
    );
    assert_eq!(
        search(&stack, "zoomPhoneFeature eq false").await,
        expected(&state, |u| !phone(u))
    );
    // A phone term under `or` is evaluated over the joined data.
    assert_eq!(
        search(
            &stack,
            &format!("siteId eq \"{far_site}\" or {ZOOM_EXT}:extensionNumber eq \"{ext}\"")
        )
        .await,
        {
            let mut both = site_users(far_site);
            both.insert(target["id"].as_str().unwrap().to_owned());
            both
        }
    );
}

#[tokio::test]
async fn an_account_without_zoom_phone_reads_as_no_phone_for_everyone() {
    let stack = start_stack(sim_settings(60), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let phone_user = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| !u["phone"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    stack
        .http
        .put(format!("{}/config", stack.sim.admin_url()))
        .json(&serde_json::json!({"phone_enabled": false}))
        .send()
        .await
        .unwrap();
    let (status, body) = stack.get(&format!("/Users/{phone_user}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[ZOOM_EXT]["zoomPhoneFeature"], false);
    let (status, page) = stack.get("/Users?count=100").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u[ZOOM_EXT]["zoomPhoneFeature"] == false)
    );
    assert!(search(&stack, "zoomPhoneFeature eq true").await.is_empty());
}

#[tokio::test]
async fn the_schema_publishes_the_phone_attributes_honestly() {
    let stack = start_stack(sim_settings(5), Config::default()).await;
    let (status, schema) = stack.get(&format!("/Schemas/{ZOOM_EXT}")).await;
    assert_eq!(status, 200);
    let attrs: HashMap<&str, &Value> = schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a))
        .collect();
    for (name, kind, multi, mutability) in [
        ("zoomPhoneFeature", "boolean", false, "readWrite"),
        ("zoomPhoneStatus", "string", false, "readOnly"),
        ("siteId", "string", false, "readWrite"),
        ("siteName", "string", false, "readWrite"),
        ("siteCode", "integer", false, "readOnly"),
        ("extensionNumber", "string", false, "readWrite"),
        ("callingPlans", "integer", true, "readWrite"),
        ("zoomPhoneNumbers", "string", true, "readWrite"),
    ] {
        let a = attrs
            .get(name)
            .unwrap_or_else(|| panic!("{name} published"));
        assert_eq!(a["type"], kind, "{name}");
        assert_eq!(a["multiValued"], multi, "{name}");
        assert_eq!(a["mutability"], mutability, "{name}");
    }
}
