//! Black-box tests of Zoom Phone writes through SCIM: each attribute's create /
//! replace / add / remove, sites by name over several pages, exhaustion, Zoom's native
//! SCIM aliases, pending users, feature off, and failures mid-sequence followed by a
//! converging replay, asserting the simulator's phone state and the calls made.

use futures::TryStreamExt;
use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::simulator::{SimCredentials, SimSettings};
use zoom_scim::zoom::ZoomClient;
use zoom_scim::zoom::model::PhoneNumberFilter;

use crate::support::{Stack, sim_settings, start_stack};

const ZOOM: &str = "urn:ietf:params:scim:schemas:extension:zoom:2.0:User";
const NATIVE: &str = "urn:ietf:params:scim:schemas:extension:zoom:1.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn stack_with(settings: SimSettings, config: Config) -> Stack {
    start_stack(settings, config).await
}

async fn send(stack: &Stack, method: &str, path: &str, body: Value) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let reply = stack.scim(method, path, Some(body), &[]).await;
    (reply.status, reply.body)
}

async fn patch_user(stack: &Stack, id: &str, ops: Value) -> (u16, Value) {
    send(
        stack,
        "PATCH",
        &format!("/Users/{id}"),
        json!({"schemas": [PATCH_OP], "Operations": ops}),
    )
    .await
}

async fn admin(stack: &Stack, method: &str, path: &str, body: Option<Value>) -> Value {
    let mut request = stack.http.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}/{path}", stack.sim.admin_url().trim_end_matches('/')),
    );
    if let Some(body) = body {
        request = request.json(&body);
    }
    request
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(Value::Null)
}

/// The simulator's view of a user (with its `phone` block).
async fn sim_user(stack: &Stack, id: &str) -> Value {
    let state = stack.sim_admin("state").await;
    state["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// An active member without Zoom Phone.
async fn member_without_phone(stack: &Stack) -> String {
    let state = stack.sim_admin("state").await;
    let owner = state["account"]["owner_id"].clone();
    state["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| {
            u["status"] == "active"
                && u["id"] != owner
                && u["role_id"] == "2"
                && u["phone"].is_null()
        })
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .expect("an active member without phone")
}

/// An active member with Zoom Phone.
async fn phone_user(stack: &Stack) -> Value {
    let state = stack.sim_admin("state").await;
    state["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["status"] == "active" && !u["phone"].is_null() && u["role_id"] == "2")
        .cloned()
        .expect("an active phone user")
}

fn zoom_client(stack: &Stack) -> ZoomClient {
    let credentials = SimCredentials::default();
    let mut config = Config::default().zoom;
    config.api_base_url = stack.sim.api_base_url();
    config.token_url = stack.sim.token_url();
    config.account_id = credentials.account_id;
    config.client_id = credentials.client_id;
    config.client_secret = Some(zoom_scim::secret::Secret::new(credentials.client_secret));
    ZoomClient::new(&config).unwrap()
}

async fn free_numbers(stack: &Stack) -> Vec<String> {
    zoom_client(stack)
        .list_phone_numbers(PhoneNumberFilter::Unassigned)
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|n| n.number)
        .collect()
}

/// A non-main site (id, name) and two plan codes with free seats.
async fn phone_catalog(stack: &Stack) -> (String, String, Vec<i64>) {
    let state = stack.sim_admin("state").await;
    let site = state["phone"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["main"] == false)
        .expect("a second site")
        .clone();
    let plans: Vec<i64> = state["phone"]["calling_plans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["subscribed"].as_i64() > p["assigned"].as_i64())
        .map(|p| p["type"].as_i64().unwrap())
        .collect();
    assert!(plans.len() >= 2, "two plans with seats");
    (
        site["id"].as_str().unwrap().to_owned(),
        site["name"].as_str().unwrap().to_owned(),
        plans,
    )
}

#[tokio::test]
async fn every_phone_attribute_is_set_replaced_and_removed_by_difference() {
    let stack = stack_with(sim_settings(30), Config::default()).await;
    let id = member_without_phone(&stack).await;
    let (site_id, site_name, plans) = phone_catalog(&stack).await;
    let numbers = free_numbers(&stack).await;

    // Turn on with a site by name, plans and numbers.
    let (status, body) = patch_user(
        &stack,
        &id,
        json!([{"op": "add", "value": {
            format!("{ZOOM}:siteName"): site_name,
            format!("{ZOOM}:callingPlans"): [plans[0]],
            format!("{ZOOM}:zoomPhoneNumbers"): [numbers[0], numbers[1]],
        }}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let phone = sim_user(&stack, &id).await["phone"].clone();
    assert_eq!(phone["site_id"], site_id.as_str(), "{phone}");
    assert_eq!(phone["calling_plans"], json!([plans[0]]));
    let mut held: Vec<String> = serde_json::from_value(phone["phone_numbers"].clone()).unwrap();
    held.sort();
    let mut wanted = vec![numbers[0].clone(), numbers[1].clone()];
    wanted.sort();
    assert_eq!(held, wanted);

    // Replace the plan list and one number: only the difference is sent.
    admin(&stack, "DELETE", "stats", None).await;
    let (status, body) = patch_user(
        &stack,
        &id,
        json!([
            {"op": "replace", "path": format!("{ZOOM}:callingPlans"), "value": [plans[1]]},
            {"op": "replace", "path": format!("{ZOOM}:zoomPhoneNumbers"), "value": [numbers[1], numbers[2]]},
        ]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let phone = sim_user(&stack, &id).await["phone"].clone();
    assert_eq!(phone["calling_plans"], json!([plans[1]]));
    let mut held: Vec<String> = serde_json::from_value(phone["phone_numbers"].clone()).unwrap();
    held.sort();
    let mut wanted = vec![numbers[1].clone(), numbers[2].clone()];
    wanted.sort();
    assert_eq!(held, wanted);
    assert_eq!(
        stack
            .zoom_calls("DELETE /phone/users/{userId}/calling_plans/{planType}")
            .await,
        1
    );
    assert_eq!(
        stack
            .zoom_calls("DELETE /phone/users/{userId}/phone_numbers/{phoneNumberId}")
            .await,
        1
    );
    assert_eq!(
        stack
            .zoom_calls("POST /phone/users/{userId}/phone_numbers")
            .await,
        1
    );

    // Extension by itself: Zoom's full form, the site code then the short extension.
    let state = stack.sim_admin("state").await;
    let code = state["phone"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == site_id.as_str())
        .unwrap()["site_code"]
        .clone();
    let extension = format!("{code}7{:03}", id.len());
    let (status, body) = patch_user(
        &stack,
        &id,
        json!([{"op": "replace", "path": format!("{ZOOM}:extensionNumber"), "value": extension}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let held_ext = sim_user(&stack, &id).await["phone"]["extension_number"].clone();
    assert_eq!(held_ext, extension.as_str());

    // Removing every plan and number.
    let (status, body) = patch_user(
        &stack,
        &id,
        json!([
            {"op": "remove", "path": format!("{ZOOM}:callingPlans")},
            {"op": "remove", "path": format!("{ZOOM}:zoomPhoneNumbers")},
        ]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let phone = sim_user(&stack, &id).await["phone"].clone();
    assert_eq!(phone["calling_plans"], json!([]));
    assert_eq!(phone["phone_numbers"], json!([]));

    // Feature off: the profile goes, numbers return to the pool.
    let before = free_numbers(&stack).await.len();
    let (status, body) = patch_user(
        &stack,
        &id,
        json!([{"op": "replace", "path": format!("{ZOOM}:zoomPhoneFeature"), "value": false}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(sim_user(&stack, &id).await["phone"].is_null());
    assert_eq!(sim_user(&stack, &id).await["zoom_phone"], false);
    assert_eq!(free_numbers(&stack).await.len(), before);
}

#[tokio::test]
async fn native_zoom_scim_aliases_are_accepted() {
    let stack = stack_with(sim_settings(30), Config::default()).await;
    let id = member_without_phone(&stack).await;
    let (site_id, site_name, plans) = phone_catalog(&stack).await;
    let number = free_numbers(&stack).await[0].clone();
    let email = sim_user(&stack, &id).await["email"].clone();
    // A PUT as an IdP mapped for Zoom's own SCIM sends it.
    let (status, body) = send(
        &stack,
        "PUT",
        &format!("/Users/{id}"),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", NATIVE],
            "userName": email,
            NATIVE: {"zoomPhoneExtNumber": "0", "zoomPhoneNumber": number,
                     "zoomPhoneSite": site_name, "zoomPhoneCallingPlan": plans[0].to_string()}
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get(NATIVE).is_none(), "write-only, never returned");
    let phone = sim_user(&stack, &id).await["phone"].clone();
    assert_eq!(phone["site_id"], site_id.as_str());
    assert_eq!(phone["calling_plans"], json!([plans[0]]));
    assert_eq!(phone["phone_numbers"], json!([number]));
    assert!(
        !phone["extension_number"].as_str().unwrap().is_empty(),
        "auto-assigned"
    );

    // -1 removes all plans.
    let (status, body) = patch_user(
        &stack,
        &id,
        json!([{"op": "add", "path": format!("{NATIVE}:zoomPhoneCallingPlan"), "value": "-1"}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        sim_user(&stack, &id).await["phone"]["calling_plans"],
        json!([])
    );
}

#[tokio::test]
async fn sites_are_found_by_name_across_pages_and_unknown_ones_refused() {
    let mut config = Config::default();
    config.zoom.page_size = 2;
    let settings = SimSettings {
        phone_sites: 7,
        ..sim_settings(30)
    };
    let stack = stack_with(settings, config).await;
    let id = member_without_phone(&stack).await;
    let state = stack.sim_admin("state").await;
    let last = state["phone"]["sites"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    admin(&stack, "DELETE", "stats", None).await;
    let (status, body) = patch_user(
        &stack,
        &id,
        json!([{"op": "replace", "path": format!("{ZOOM}:siteName"), "value": last["name"]}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sim_user(&stack, &id).await["phone"]["site_id"], last["id"]);
    assert!(
        stack.zoom_calls("GET /phone/sites").await >= 4,
        "every page read"
    );

    let other = member_without_phone(&stack).await;
    let (status, body) = patch_user(
        &stack,
        &other,
        json!([{"op": "replace", "path": format!("{ZOOM}:siteName"), "value": "Atlantis"}]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("Atlantis"));
    assert!(
        sim_user(&stack, &other).await["phone"].is_null(),
        "nothing changed"
    );
}

#[tokio::test]
async fn exhaustion_and_taken_numbers_answer_clearly() {
    let settings = SimSettings {
        phone_spare_licences: 0,
        ..sim_settings(30)
    };
    let stack = stack_with(settings, Config::default()).await;
    let id = member_without_phone(&stack).await;
    let (status, body) = patch_user(
        &stack,
        &id,
        json!([{"op": "replace", "path": format!("{ZOOM}:zoomPhoneFeature"), "value": true}]),
    )
    .await;
    assert!((400..500).contains(&status), "{status}: {body}");
    assert!(sim_user(&stack, &id).await["phone"].is_null());

    // A number held by someone else.
    let holder = phone_user(&stack).await;
    let taken = holder["phone"]["phone_numbers"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let other = phone_user_other_than(&stack, &holder["id"]).await;
    let (status, body) = patch_user(
        &stack,
        &other,
        json!([{"op": "add", "path": format!("{ZOOM}:zoomPhoneNumbers"), "value": [taken]}]),
    )
    .await;
    assert!((400..500).contains(&status), "{status}: {body}");
    assert!(body["detail"].as_str().unwrap().contains("assign numbers"));
    let holder_after = sim_user(&stack, holder["id"].as_str().unwrap()).await;
    assert!(
        holder_after["phone"]["phone_numbers"]
            .as_array()
            .unwrap()
            .contains(&json!(taken))
    );
}

async fn phone_user_other_than(stack: &Stack, id: &Value) -> String {
    let state = stack.sim_admin("state").await;
    state["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["status"] == "active" && !u["phone"].is_null() && u["id"] != *id)
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .expect("another phone user")
}

#[tokio::test]
async fn pending_users_get_no_phone_until_they_accept() {
    let mut config = Config::default();
    config.scim.pending_changes = zoom_scim::provider::PendingChanges::Refuse;
    let stack = stack_with(sim_settings(30), config).await;
    let state = stack.sim_admin("state").await;
    let pending = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["status"] == "pending")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = patch_user(
        &stack,
        &pending,
        json!([{"op": "replace", "path": format!("{ZOOM}:zoomPhoneFeature"), "value": true}]),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("pending"));
}

#[tokio::test]
async fn a_failure_mid_sequence_is_reported_and_the_replay_converges() {
    let stack = stack_with(sim_settings(30), Config::default()).await;
    let id = member_without_phone(&stack).await;
    let (site_id, site_name, plans) = phone_catalog(&stack).await;
    let number = free_numbers(&stack).await[0].clone();
    let ops = json!([{"op": "add", "value": {
        format!("{ZOOM}:siteName"): site_name,
        format!("{ZOOM}:callingPlans"): [plans[0]],
        format!("{ZOOM}:zoomPhoneNumbers"): [number],
    }}]);
    admin(
        &stack,
        "POST",
        "faults",
        Some(
            json!({"method": "POST", "path": "/phone/users/{userId}/calling_plans", "count": 1,
                    "action": "respond", "status": 400,
                    "body": {"code": 300, "message": "Simulated refusal."}}),
        ),
    )
    .await;
    let (status, body) = patch_user(&stack, &id, ops.clone()).await;
    assert_eq!(status, 400, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("Applied: turn Zoom Phone on"), "{detail}");
    assert!(detail.contains("'assign calling plans"), "{detail}");
    // A user without a calling plan gets its plan before its number (as Zoom's portal
    // does), so the number is not attempted.
    let not_attempted = detail.split("Not attempted:").nth(1).unwrap_or_default();
    assert!(not_attempted.contains("assign numbers"), "{detail}");
    assert_eq!(
        sim_user(&stack, &id).await["phone"]["site_id"],
        site_id.as_str()
    );

    admin(&stack, "DELETE", "stats", None).await;
    let (status, body) = patch_user(&stack, &id, ops).await;
    assert_eq!(status, 200, "{body}");
    let phone = sim_user(&stack, &id).await["phone"].clone();
    assert_eq!(phone["calling_plans"], json!([plans[0]]));
    assert_eq!(phone["phone_numbers"], json!([number]));
    assert_eq!(
        stack.zoom_calls("PATCH /phone/users/{userId}").await,
        0,
        "site not redone"
    );
    assert_eq!(
        stack
            .zoom_calls("POST /phone/users/{userId}/phone_numbers")
            .await,
        1,
        "the number assigned once, by the replay"
    );
}

/// An active member with Zoom Phone, one calling plan and at least one number.
async fn phone_user_with_plan_and_number(stack: &Stack) -> Value {
    let state = stack.sim_admin("state").await;
    state["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| {
            u["status"] == "active"
                && u["role_id"] == "2"
                && u["phone"]["calling_plans"]
                    .as_array()
                    .is_some_and(|p| p.len() == 1)
                && u["phone"]["phone_numbers"]
                    .as_array()
                    .is_some_and(|n| !n.is_empty())
        })
        .cloned()
        .expect("a phone user with a plan and a number")
}

#[tokio::test]
async fn an_unknown_calling_plan_is_refused_before_anything_changes() {
    let stack = stack_with(sim_settings(30), Config::default()).await;
    let user = phone_user_with_plan_and_number(&stack).await;
    let id = user["id"].as_str().unwrap();
    let email = user["email"].clone();
    let before = sim_user(&stack, id).await;
    let plans_before = stack.sim_admin("state").await["phone"]["calling_plans"].clone();
    let requests = [
        (
            "PATCH replace",
            "PATCH",
            json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": format!("{ZOOM}:callingPlans"), "value": [2000]}]}),
        ),
        (
            "PATCH with a title",
            "PATCH",
            json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "title", "value": "Not applied"},
                {"op": "add", "path": format!("{ZOOM}:callingPlans"), "value": [2000]}]}),
        ),
        (
            "PUT",
            "PUT",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": email,
                   ZOOM: {"callingPlans": [2000]}}),
        ),
        (
            "native alias",
            "PATCH",
            json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": format!("{NATIVE}:zoomPhoneCallingPlan"), "value": "2000"}]}),
        ),
    ];
    for (shape, method, body) in requests {
        stack.reset_sim_stats().await;
        let (status, body) = send(&stack, method, &format!("/Users/{id}"), body).await;
        assert_eq!(status, 400, "{shape}: {body}");
        assert_eq!(body["scimType"], "invalidValue", "{shape}");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("2000"), "{shape}: {detail}");
        assert!(detail.contains("nothing was changed"), "{shape}: {detail}");
        assert_eq!(sim_user(&stack, id).await, before, "{shape}: plan kept");
        assert_eq!(
            stack.sim_admin("state").await["phone"]["calling_plans"],
            plans_before,
            "{shape}: no seat moved"
        );
        let stats = stack.sim_admin("stats").await;
        let writes: Vec<&String> = stats["requests"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !k.starts_with("GET "))
            .collect();
        assert!(writes.is_empty(), "{shape}: no Zoom write: {writes:?}");
    }
}

#[tokio::test]
async fn a_plan_without_free_seats_is_refused_and_the_held_plan_kept() {
    let settings = SimSettings {
        phone_spare_plan_seats: 0,
        ..sim_settings(30)
    };
    let stack = stack_with(settings, Config::default()).await;
    let user = phone_user_with_plan_and_number(&stack).await;
    let id = user["id"].as_str().unwrap();
    let held = user["phone"]["calling_plans"][0].as_i64().unwrap();
    let state = stack.sim_admin("state").await;
    let other = state["phone"]["calling_plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_i64().unwrap())
        .find(|t| *t != held)
        .expect("another subscribed plan");
    let (status, body) = patch_user(
        &stack,
        id,
        json!([{"op": "replace", "path": format!("{ZOOM}:callingPlans"), "value": [other]}]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(&other.to_string()), "{detail}");
    assert!(detail.contains("nothing was changed"), "{detail}");
    assert_eq!(
        sim_user(&stack, id).await["phone"]["calling_plans"],
        json!([held])
    );
}

#[tokio::test]
async fn calling_plan_seats_are_read_fresh_so_a_refusal_changes_nothing() {
    // One spare seat per plan: the service's own assignment takes the last one, and
    // the next request for that plan (with a site move before it) must be refused
    // before the move, not after it (probe 8, F2: a cached seat count let it through).
    let settings = SimSettings {
        phone_spare_plan_seats: 1,
        ..sim_settings(30)
    };
    let stack = stack_with(settings, Config::default()).await;
    let (site_id, site_name, plans) = phone_catalog(&stack).await;
    let plan = plans[0];
    let first = phone_user_with_plan_and_number(&stack).await;
    let first_id = first["id"].as_str().unwrap();
    stack.reset_sim_stats().await;
    let (status, body) = patch_user(
        &stack,
        first_id,
        json!([{"op": "replace", "path": format!("{ZOOM}:callingPlans"), "value": [plan]}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let state = stack.sim_admin("state").await;
    let seats = state["phone"]["calling_plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == plan)
        .cloned()
        .unwrap();
    assert_eq!(seats["subscribed"], seats["assigned"], "{seats}");

    let second = phone_user_other_than(&stack, &first["id"]).await;
    let before = sim_user(&stack, &second).await;
    assert_ne!(before["phone"]["site_id"], json!(site_id));
    let (status, body) = patch_user(
        &stack,
        &second,
        json!([
            {"op": "replace", "path": format!("{ZOOM}:siteName"), "value": site_name},
            {"op": "add", "path": format!("{ZOOM}:callingPlans"), "value": [plan]},
            {"op": "replace", "path": "title", "value": "Moved"}
        ]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("nothing was changed"), "{detail}");
    assert_eq!(sim_user(&stack, &second).await, before);
    // Each request that assigns a plan read the seats once, fresh.
    assert_eq!(stack.zoom_calls("GET /phone/calling_plans").await, 2);

    // A change that adds no plan looks nothing up.
    let (status, body) = patch_user(
        &stack,
        first_id,
        json!([{"op": "remove", "path": format!("{ZOOM}:callingPlans")}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stack.zoom_calls("GET /phone/calling_plans").await, 2);
}

#[tokio::test]
async fn a_phone_number_with_no_digits_is_refused_not_dropped() {
    let stack = stack_with(sim_settings(30), Config::default()).await;
    let user = phone_user_with_plan_and_number(&stack).await;
    let id = user["id"].as_str().unwrap();
    let before = sim_user(&stack, id).await;
    // (`[""]` is no value, RFC 7643 section 2.5: it clears, as `[]` does.)
    for ops in [
        json!([{"op": "replace", "path": format!("{ZOOM}:zoomPhoneNumbers"), "value": ["abc"]}]),
        json!([{"op": "add", "path": format!("{ZOOM}:zoomPhoneNumbers"), "value": ["call me maybe"]}]),
        json!([{"op": "replace", "path": format!("{NATIVE}:zoomPhoneNumber"), "value": "abc"}]),
    ] {
        let (status, body) = patch_user(&stack, id, ops.clone()).await;
        assert_eq!(status, 400, "{ops}: {body}");
        assert_eq!(body["scimType"], "invalidValue", "{body}");
        assert!(body["detail"].as_str().unwrap().contains("E.164"), "{body}");
        assert_eq!(sim_user(&stack, id).await, before, "{ops}");
    }
}

#[tokio::test]
async fn a_number_zoom_refuses_leaves_the_held_number_with_the_user() {
    let stack = stack_with(sim_settings(30), Config::default()).await;
    let user = phone_user_with_plan_and_number(&stack).await;
    let id = user["id"].as_str().unwrap();
    let held = user["phone"]["phone_numbers"].clone();
    let taken = phone_user_other_than(&stack, &user["id"]).await;
    let taken = sim_user(&stack, &taken).await["phone"]["phone_numbers"][0].clone();
    assert!(taken.is_string(), "another user's number");
    let free_before = free_numbers(&stack).await.len();
    // Zoom's answers: 400 code 404 "Phone number does not exist.", code 409 "Phone
    // number already in use." (a conflict).
    let before = sim_user(&stack, id).await;
    for (shape, number, expected, title) in [
        ("not the account's", json!("+15005550999"), 400, false),
        ("another user's", taken, 409, false),
        ("with a title", json!("+15005550999"), 400, true),
    ] {
        stack.reset_sim_stats().await;
        let mut ops = vec![
            json!({"op": "replace", "path": format!("{ZOOM}:zoomPhoneNumbers"), "value": [number]}),
        ];
        if title {
            ops.insert(
                0,
                json!({"op": "replace", "path": "title", "value": "Not applied"}),
            );
        }
        let (status, body) = patch_user(&stack, id, json!(ops)).await;
        assert_eq!(status, expected, "{shape}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains(number.as_str().unwrap()),
            "{shape}: {detail}"
        );
        assert!(detail.contains("Applied: none."), "{shape}: {detail}");
        if title {
            // The steps after the refused one are named as not attempted.
            let not_attempted = detail.split("Not attempted:").nth(1).unwrap_or_default();
            assert!(
                not_attempted.contains("profile (title)"),
                "{shape}: {detail}"
            );
        }
        assert_eq!(
            sim_user(&stack, id).await["phone"]["phone_numbers"],
            held,
            "{shape}"
        );
        assert_eq!(
            sim_user(&stack, id).await,
            before,
            "{shape}: nothing changed"
        );
        assert_eq!(free_numbers(&stack).await.len(), free_before, "{shape}");
        assert_eq!(
            stack
                .zoom_calls("DELETE /phone/users/{userId}/phone_numbers/{phoneNumberId}")
                .await,
            0,
            "{shape}"
        );
    }
}
