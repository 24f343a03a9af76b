//! Black-box tests of the SCIM Users write path: the service and the simulator on
//! port 0; every test asserts the SCIM answer, the simulator's final state
//! (`/_sim/state`) and, where it matters, the Zoom calls made (`/_sim/stats`).

use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::provider::{DeletePolicy, DuplicatePolicy, PendingDeactivation};
use zoom_scim::simulator::SimSettings;
use zoom_scim::zoom::model::CreateAction;

use crate::support::{Reply as Answer, Stack, sim_settings, start_stack};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ZOOM: &str = "urn:ietf:params:scim:schemas:extension:zoom:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn config() -> Config {
    let mut config = Config::default();
    // Tests that need invitations say so; most exercise active users.
    config.scim.create_action = CreateAction::AutoCreate;
    config
}

async fn send(stack: &Stack, method: &str, path: &str, body: Option<Value>) -> Answer {
    send_with(stack, method, path, body, &[]).await
}

async fn send_with(
    stack: &Stack,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    stack.scim(method, path, body, headers).await
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// A 400 Zoom does not retry-trigger: the call fails for good.
fn refuse(method: &str, path: &str) -> Value {
    json!({"method": method, "path": path, "count": 1, "action": "respond", "status": 400,
           "body": {"code": 300, "message": "Simulated refusal."}})
}

async fn sim_user_by_email(stack: &Stack, email: &str) -> Option<Value> {
    let state = stack.sim_admin("state").await;
    state["users"]
        .as_array()?
        .iter()
        .find(|u| {
            u["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .cloned()
}

/// A seeded user with `status` that is not the owner nor an admin.
async fn seeded(stack: &Stack, status: &str) -> Value {
    stack
        .sim_members(status)
        .await
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("a seeded {status} member"))
}

async fn group_ids(stack: &Stack) -> Vec<(String, String)> {
    let state = stack.sim_admin("state").await;
    state["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_owned(),
                g["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn custom_role(stack: &Stack) -> String {
    let state = stack.sim_admin("state").await;
    state["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .find(|id| !["0", "1", "2"].contains(&id.as_str()))
        .expect("a custom role in the seed")
}

fn entra_create(email: &str) -> Value {
    // The shape Entra ID sends (docs/clients.md section 1).
    json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "0a1b2c",
        "userName": email,
        "active": true,
        "displayName": "Grace Hopper",
        "title": "Rear Admiral",
        "emails": [{"primary": true, "type": "work", "value": email}],
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        ENTERPRISE: {"department": "Navy"}
    })
}

// ----- create --------------------------------------------------------------------------

#[tokio::test]
async fn create_returns_201_with_location_etag_and_what_zoom_holds() {
    let stack = start_stack(sim_settings(40), config()).await;
    stack.reset_sim_stats().await;
    let answer = send(
        &stack,
        "POST",
        "/Users",
        Some(entra_create("grace@example.com")),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let id = answer.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        answer.header("location"),
        answer.body["meta"]["location"].as_str()
    );
    assert!(answer.header("etag").is_some_and(|e| e.starts_with("W/")));
    assert_eq!(answer.body["title"], "Rear Admiral");
    assert_eq!(answer.body[ENTERPRISE]["department"], "Navy");
    assert!(answer.warnings().is_empty(), "{:?}", answer.warnings());

    let user = stack.sim_user(&id).await.expect("user exists in Zoom");
    assert_eq!(user["email"], "grace@example.com");
    assert_eq!(user["status"], "active");
    assert_eq!(user["first_name"], "Grace");
    assert_eq!(user["job_title"], "Rear Admiral");
    assert_eq!(user["dept"], "Navy");
    // One create, one read of the new user, one profile update; no read after it.
    assert_eq!(stack.zoom_calls("POST /users").await, 1);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 1);
    assert_eq!(stack.zoom_calls("PATCH /users/{userId}").await, 1);

    let (status, got) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(got["title"], "Rear Admiral");
    assert_eq!(got, answer.body, "the answer is what a read shows");
}

#[tokio::test]
async fn invitation_creates_a_pending_user_and_says_what_zoom_could_not_take() {
    let mut config = config();
    config.scim.create_action = CreateAction::Create;
    // `refuse`: nothing is kept for later (`defer` is tested in deferred_changes.rs).
    config.scim.pending_changes = zoom_scim::provider::PendingChanges::Refuse;
    let stack = start_stack(sim_settings(40), config).await;
    let answer = send(
        &stack,
        "POST",
        "/Users",
        Some(entra_create("invitee@example.com")),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body[ZOOM]["status"], "pending");
    // The title and department cannot be set on a pending user: said, not claimed.
    let warnings = answer.warnings().join("\n");
    assert!(warnings.contains("title"), "{warnings}");
    assert!(warnings.contains("department"), "{warnings}");
    assert!(answer.body.get("title").is_none());
    let user = sim_user_by_email(&stack, "invitee@example.com")
        .await
        .unwrap();
    assert_eq!(user["status"], "pending");
}

#[tokio::test]
async fn an_inactive_new_user_is_never_invited() {
    // Zoom cannot deactivate an invitation: with `create` an inactive new user would get
    // an invitation it could accept. Whatever the pending policy, nothing is sent.
    for policy in [
        PendingDeactivation::Refuse,
        PendingDeactivation::Disassociate,
    ] {
        let mut config = config();
        config.scim.create_action = CreateAction::Create;
        config.scim.pending_deactivation = policy;
        let stack = start_stack(sim_settings(40), config).await;
        let mut body = entra_create("disabled@example.com");
        body["active"] = json!("False");
        let answer = send(&stack, "POST", "/Users", Some(body)).await;
        assert_eq!(answer.status, 409, "{policy:?}: {}", answer.body);
        assert!(
            answer.detail().contains("nothing was created"),
            "{policy:?}"
        );
        assert_eq!(stack.zoom_calls("POST /users").await, 0, "{policy:?}");
        assert!(
            sim_user_by_email(&stack, "disabled@example.com")
                .await
                .is_none()
        );
    }
    // With an action that makes active users, the user is created and deactivated.
    let stack = start_stack(sim_settings(40), config()).await;
    let mut body = entra_create("disabled@example.com");
    body["active"] = json!(false);
    let answer = send(&stack, "POST", "/Users", Some(body)).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["active"], false);
    let user = sim_user_by_email(&stack, "disabled@example.com")
        .await
        .unwrap();
    assert_eq!(user["status"], "inactive");
}

#[tokio::test]
async fn duplicate_user_name_conflicts_naming_the_existing_id() {
    let stack = start_stack(sim_settings(40), config()).await;
    let existing = seeded(&stack, "active").await;
    stack.reset_sim_stats().await;
    let email = existing["email"].as_str().unwrap();
    let answer = send(&stack, "POST", "/Users", Some(entra_create(email))).await;
    assert_eq!(answer.status, 409);
    assert_eq!(answer.body["scimType"], "uniqueness");
    assert!(answer.detail().contains(existing["id"].as_str().unwrap()));
    // Zoom's 409 code 1005 is the check: no look-up before, one after the refusal.
    assert_eq!(stack.zoom_calls("POST /users").await, 1);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 1);
    assert_eq!(
        stack
            .sim_user(existing["id"].as_str().unwrap())
            .await
            .unwrap()["email"],
        existing["email"]
    );
}

#[tokio::test]
async fn duplicate_user_name_is_adopted_and_updated_with_adopt() {
    let mut config = config();
    config.scim.duplicates = DuplicatePolicy::Adopt;
    let stack = start_stack(sim_settings(40), config).await;
    let existing = seeded(&stack, "active").await;
    let email = existing["email"].as_str().unwrap();
    let answer = send(&stack, "POST", "/Users", Some(entra_create(email))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["id"], existing["id"]);
    let user = stack
        .sim_user(existing["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(user["job_title"], "Rear Admiral");
    assert_eq!(user["first_name"], "Grace");
    // A re-run converges: same answer, no new calls but the look-ups.
    stack.reset_sim_stats().await;
    let again = send(&stack, "POST", "/Users", Some(entra_create(email))).await;
    assert_eq!(again.status, 200);
    assert_eq!(stack.zoom_calls("PATCH /users/{userId}").await, 0);
}

#[tokio::test]
async fn a_duplicate_answer_from_zoom_is_looked_up_409_and_412() {
    for (duplicate_status, policy) in [
        (409, DuplicatePolicy::Conflict),
        (412, DuplicatePolicy::Conflict),
        (409, DuplicatePolicy::Adopt),
        (412, DuplicatePolicy::Adopt),
    ] {
        let mut config = config();
        config.scim.duplicates = policy;
        let settings = SimSettings {
            duplicate_status,
            ..sim_settings(40)
        };
        let stack = start_stack(settings, config).await;
        let existing = seeded(&stack, "active").await;
        let email = existing["email"].as_str().unwrap();
        stack.reset_sim_stats().await;
        let answer = send(&stack, "POST", "/Users", Some(entra_create(email))).await;
        assert_eq!(stack.zoom_calls("POST /users").await, 1);
        match policy {
            DuplicatePolicy::Conflict => {
                assert_eq!(answer.status, 409, "{duplicate_status}: {}", answer.body);
                assert_eq!(answer.body["scimType"], "uniqueness");
                assert!(answer.detail().contains(existing["id"].as_str().unwrap()));
            }
            DuplicatePolicy::Adopt => {
                assert_eq!(answer.status, 200, "{duplicate_status}: {}", answer.body);
                assert_eq!(answer.body["id"], existing["id"]);
            }
        }
    }
}

#[tokio::test]
async fn an_account_elsewhere_is_its_own_clear_409() {
    let stack = start_stack(sim_settings(40), config()).await;
    stack.add_fault(json!({"method": "POST", "path": "/users", "count": 1, "action": "respond", "status": 400,
               "body": {"code": 1009, "message": "The user elsewhere@example.com already holds an active account"}}),
    )
    .await;
    let answer = send(
        &stack,
        "POST",
        "/Users",
        Some(entra_create("elsewhere@example.com")),
    )
    .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(
        answer.detail().contains("another Zoom account"),
        "{}",
        answer.detail()
    );
    assert!(
        sim_user_by_email(&stack, "elsewhere@example.com")
            .await
            .is_none()
    );
}

#[tokio::test]
async fn create_validates_input_with_clear_400s() {
    let stack = start_stack(sim_settings(40), config()).await;
    for (body, keyword) in [
        (json!({"schemas": [USER]}), "invalidValue"),
        (
            json!({"schemas": [USER], "userName": "not-an-email"}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "x@example.com", "active": "maybe"}),
            "invalidValue",
        ),
        (json!([1, 2]), "invalidSyntax"),
    ] {
        let answer = send(&stack, "POST", "/Users", Some(body.clone())).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert_eq!(answer.body["scimType"], keyword, "{body}");
    }
}

#[tokio::test]
async fn a_create_with_a_value_zoom_would_refuse_creates_nothing() {
    // Probe 8, F10/F11: each of these was refused only after `POST /users`, leaving a
    // user (or an invitation e-mail) behind a 400 that said "nothing was changed".
    for action in [CreateAction::AutoCreate, CreateAction::Create] {
        let mut config = config();
        config.scim.create_action = action;
        let stack = start_stack(sim_settings(40), config).await;
        let cases = [
            json!({"roles": [{"value": "nosuch"}]}),
            json!({ENTERPRISE: {"manager": {"value": "nosuch"}}}),
            json!({ZOOM: {"groupIds": ["nosuch"]}}),
            json!({ZOOM: {"siteName": "Nowhere"}}),
            json!({ZOOM: {"siteId": "nosuch"}}),
            json!({ZOOM: {"callingPlans": [999]}}),
            json!({ZOOM: {"zoomPhoneNumbers": ["call me maybe"]}}),
            json!({"phoneNumbers": [{"value": "12", "type": "mobile"}]}),
            json!({"title": "t".repeat(129)}),
            json!({"name": {"givenName": "g".repeat(65), "familyName": "F"}}),
            json!({ZOOM: {"location": "l".repeat(257)}}),
        ];
        stack.reset_sim_stats().await;
        for (index, extra) in cases.into_iter().enumerate() {
            let email = format!("refused{index}@example.com");
            let mut body = json!({"schemas": [USER, ENTERPRISE, ZOOM], "userName": email});
            for (key, value) in extra.as_object().unwrap() {
                body[key] = value.clone();
            }
            let answer = send(&stack, "POST", "/Users", Some(body.clone())).await;
            assert_eq!(answer.status, 400, "{action:?} {body}: {}", answer.body);
            assert_eq!(answer.body["scimType"], "invalidValue", "{body}");
            assert!(
                answer.detail().contains("nothing was changed"),
                "{action:?} {body}: {}",
                answer.detail()
            );
            assert!(
                sim_user_by_email(&stack, &email).await.is_none(),
                "{action:?}: a user was created for {body}"
            );
        }
        assert_eq!(stack.zoom_calls("POST /users").await, 0, "{action:?}");
    }
}

// ----- PATCH in each client's dialect -------------------------------------------------

#[tokio::test]
async fn entra_patch_shapes_apply() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "active").await;
    let manager = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap();
    let body = patch(json!([
        {"op": "Replace", "path": "displayName", "value": "Entra Name"},
        {"op": "Add", "path": format!("{ENTERPRISE}:department"), "value": "Finance"},
        {"op": "Replace", "value": {"name.givenName": "Enid", "title": "Analyst"}},
        {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": manager["id"]},
    ]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["displayName"], "Entra Name");
    let zoom = stack.sim_user(id).await.unwrap();
    assert_eq!(zoom["display_name"], "Entra Name");
    assert_eq!(zoom["dept"], "Finance");
    assert_eq!(zoom["first_name"], "Enid");
    assert_eq!(zoom["job_title"], "Analyst");
    assert_eq!(zoom["manager"], manager["email"]);

    // "False" as a string deactivates; an empty value clears.
    let body = patch(json!([
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": "title", "value": ""},
    ]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["active"], false);
    let zoom = stack.sim_user(id).await.unwrap();
    assert_eq!(zoom["status"], "inactive");
    assert_eq!(zoom["job_title"], "");
}

/// The answer to a write Zoom takes as sent is the record read before plus the changes:
/// exactly what a read afterwards shows (body and version), for one read and one write.
#[tokio::test]
async fn a_write_answer_equals_the_next_read_without_reading_again() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "active").await;
    let manager = seeded(&stack, "inactive").await;
    let id = user["id"].as_str().unwrap();
    let role = custom_role(&stack).await;
    let path = format!("/Users/{id}");
    // Warm the role and group tables, as any earlier request would have.
    stack.get(&path).await;

    stack.reset_sim_stats().await;
    let body = patch(json!([
        {"op": "replace", "path": "title", "value": "Navigator"},
        {"op": "replace", "path": "name.givenName", "value": "Amelia"},
        {"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Aviation"},
        {"op": "replace", "path": format!("{ENTERPRISE}:costCenter"), "value": "CC-7"},
    ]));
    let answer = send(&stack, "PATCH", &path, Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 1);
    assert_eq!(stack.zoom_calls("PATCH /users/{userId}").await, 1);
    let (status, read) = stack.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(answer.body, read, "the answer is what Zoom then shows");
    assert_eq!(answer.body["title"], "Navigator");
    assert_eq!(answer.body["meta"]["version"], read["meta"]["version"]);
    assert_eq!(answer.header("etag"), read["meta"]["version"].as_str());

    // Role and manager: also predicted; the manager costs its own look-up.
    stack.reset_sim_stats().await;
    let body = patch(json!([
        {"op": "replace", "path": "roles", "value": [{"value": role, "primary": true}]},
        {"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": {"value": manager["id"]}},
        {"op": "remove", "path": "title"},
    ]));
    let answer = send(&stack, "PATCH", &path, Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 2);
    let (_, read) = stack.get(&path).await;
    assert_eq!(answer.body, read);
    assert_eq!(answer.body["roles"][0]["value"], json!(role));
    let zoom = stack.sim_user(id).await.unwrap();
    assert_eq!(zoom["role_id"], json!(role));
    assert_eq!(zoom["manager"], manager["email"]);
    assert_eq!(zoom["job_title"], "");

    // Deactivation is read back: Zoom moves licences when a status changes.
    stack.reset_sim_stats().await;
    let body = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    let answer = send(&stack, "PATCH", &path, Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 2);
    let (_, read) = stack.get(&path).await;
    assert_eq!(answer.body, read);
    assert_eq!(answer.body["active"], false);
    assert_eq!(stack.sim_user(id).await.unwrap()["status"], "inactive");

    // A change whose outcome Zoom decides (a new e-mail) is read back.
    stack.reset_sim_stats().await;
    let body = patch(json!([
        {"op": "replace", "path": "active", "value": true},
        {"op": "replace", "path": "userName", "value": "amelia@example.com"},
    ]));
    let answer = send(&stack, "PATCH", &path, Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 2);
    let (_, read) = stack.get(&path).await;
    assert_eq!(answer.body, read);
    assert_eq!(read["userName"], "amelia@example.com");
}

#[tokio::test]
async fn okta_deactivation_and_midpoint_lower_case_names_apply() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap();
    let (group, _) = group_ids(&stack).await.into_iter().next().unwrap();

    // midPoint: lower-case attribute names, groupIds written by value.
    let body = patch(json!([
        {"op": "replace", "path": "name.givenname", "value": "Mid"},
        {"op": "add", "path": format!("{ZOOM}:groupids"), "value": [group]},
    ]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let zoom = stack.sim_user(id).await.unwrap();
    assert_eq!(zoom["first_name"], "Mid");
    assert!(
        zoom["group_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(group))
    );

    // Okta: a no-path replace of active.
    stack.reset_sim_stats().await;
    let body = patch(json!([{"op": "replace", "value": {"active": false}}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(stack.sim_user(id).await.unwrap()["status"], "inactive");
    assert_eq!(stack.zoom_calls("PUT /users/{userId}/status").await, 1);
    assert_eq!(stack.zoom_calls("PATCH /users/{userId}").await, 0);
}

#[tokio::test]
async fn patch_errors_are_scim_errors_and_change_nothing() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap();
    let before = stack.sim_user(id).await.unwrap();
    for (ops, status, keyword) in [
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            400,
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "name[", "value": "x"}]),
            400,
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "perhaps"}]),
            400,
            "invalidValue",
        ),
        (
            json!([{"op": "add", "path": format!("{ZOOM}:groupIds"), "value": ["no-such-group"]}]),
            400,
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "roles", "value": [{"value": "Astronaut"}]}]),
            400,
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "userType", "value": "Gold"}]),
            400,
            "invalidValue",
        ),
    ] {
        let answer = send(
            &stack,
            "PATCH",
            &format!("/Users/{id}"),
            Some(patch(ops.clone())),
        )
        .await;
        assert_eq!(answer.status, status, "{ops}: {}", answer.body);
        assert_eq!(answer.body["scimType"], keyword, "{ops}");
    }
    assert_eq!(stack.sim_user(id).await.unwrap(), before);
    let answer = send(
        &stack,
        "PATCH",
        "/Users/nobody",
        Some(patch(
            json!([{"op": "replace", "path": "title", "value": "x"}]),
        )),
    )
    .await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn role_moves_email_changes_and_group_leaves() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap();
    let (group, _) = group_ids(&stack).await.into_iter().next().unwrap();
    let body = patch(json!([
        {"op": "replace", "path": "roles", "value": [{"value": "Admin", "primary": true}]},
        {"op": "replace", "path": "userName", "value": "renamed@example.com"},
        {"op": "add", "path": format!("{ZOOM}:groupIds"), "value": [group]},
    ]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["userName"], "renamed@example.com");
    assert_eq!(answer.body["roles"][0]["display"], "Admin");
    let zoom = stack.sim_user(id).await.unwrap();
    assert_eq!(zoom["email"], "renamed@example.com");
    assert_eq!(zoom["role_id"], "1");

    // midPoint removes values of a multi-valued attribute by value.
    let body =
        patch(json!([{"op": "remove", "path": format!("{ZOOM}:groupIds"), "value": [group]}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let zoom = stack.sim_user(id).await.unwrap();
    assert!(
        !zoom["group_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(group))
    );

    // An address outside the managed domains: Zoom refuses, the client hears why.
    let body = patch(json!([{"op": "replace", "path": "userName", "value": "x@elsewhere.test"}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(
        stack.sim_user(id).await.unwrap()["email"],
        "renamed@example.com"
    );
}

// ----- PUT ----------------------------------------------------------------------------

#[tokio::test]
async fn put_replaces_what_it_asserts_and_keeps_what_it_omits() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap();
    let before = stack.sim_user(id).await.unwrap();
    let body = json!({
        "schemas": [USER], "userName": before["email"], "active": true,
        "name": {"givenName": "Put", "familyName": "Replaced"}, "title": "",
        "groups": [], "meta": {"resourceType": "User"}
    });
    let answer = send(&stack, "PUT", &format!("/Users/{id}"), Some(body.clone())).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let zoom = stack.sim_user(id).await.unwrap();
    assert_eq!(zoom["first_name"], "Put");
    assert_eq!(zoom["last_name"], "Replaced");
    assert_eq!(zoom["job_title"], "");
    // Omitted: unchanged.
    assert_eq!(zoom["dept"], before["dept"]);
    assert_eq!(zoom["group_ids"], before["group_ids"]);
    // The same PUT again changes nothing in Zoom.
    stack.reset_sim_stats().await;
    let again = send(&stack, "PUT", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(again.status, 200);
    assert_eq!(stack.zoom_calls("PATCH /users/{userId}").await, 0);
}

// ----- partial failures and convergent replays ---------------------------------------

#[tokio::test]
async fn a_failure_at_each_step_is_reported_and_the_replay_converges() {
    let steps = [
        ("PATCH", "/users/{userId}", "profile"),
        ("PUT", "/users/{userId}/email", "userName"),
        ("POST", "/roles/{roleId}/members", "role"),
        ("POST", "/groups/{groupId}/members", "join group"),
        ("PUT", "/users/{userId}/status", "deactivate"),
    ];
    for (index, (method, path, label)) in steps.iter().enumerate() {
        let stack = start_stack(sim_settings(40), config()).await;
        let user = seeded(&stack, "active").await;
        let id = user["id"].as_str().unwrap();
        let (group, _) = group_ids(&stack).await.into_iter().next().unwrap();
        let new_email = format!("moved{index}@example.com");
        // A custom role (Zoom refuses to deactivate admins).
        let role = custom_role(&stack).await;
        let body = patch(json!([
            {"op": "replace", "path": "title", "value": "Converged"},
            {"op": "replace", "path": "userName", "value": new_email},
            {"op": "replace", "path": "roles", "value": [{"value": role}]},
            {"op": "add", "path": format!("{ZOOM}:groupIds"), "value": [group]},
            {"op": "replace", "path": "active", "value": false},
        ]));
        stack.add_fault(refuse(method, path)).await;
        let failed = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body.clone())).await;
        assert_eq!(failed.status, 400, "{label}: {}", failed.body);
        let detail = failed.detail();
        assert!(detail.contains(&format!("'{label}")), "{label}: {detail}");
        // Everything before the failed step is listed as applied, the rest as not attempted.
        for (earlier, _, earlier_label) in &steps[..index] {
            let _ = earlier;
            let applied = detail.split("Applied:").nth(1).unwrap_or_default();
            let applied = applied.split(". '").next().unwrap_or_default();
            assert!(applied.contains(earlier_label), "{label}: {detail}");
        }
        if index + 1 < steps.len() {
            assert!(
                detail.contains(steps[index + 1].2),
                "{label}: later steps named: {detail}"
            );
        }

        stack.reset_sim_stats().await;
        let replay = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
        assert_eq!(replay.status, 200, "{label} replay: {}", replay.body);
        let zoom = stack.sim_user(id).await.unwrap();
        assert_eq!(zoom["job_title"], "Converged", "{label}");
        assert_eq!(zoom["email"], new_email.as_str(), "{label}");
        assert_eq!(zoom["role_id"], role.as_str(), "{label}");
        assert!(
            zoom["group_ids"]
                .as_array()
                .unwrap()
                .contains(&json!(group))
        );
        assert_eq!(zoom["status"], "inactive", "{label}");
        // The replay redid only what was missing.
        if index > 0 {
            assert_eq!(
                stack.zoom_calls("PATCH /users/{userId}").await,
                0,
                "{label}"
            );
        }
        if index > 1 {
            assert_eq!(
                stack.zoom_calls("PUT /users/{userId}/email").await,
                0,
                "{label}"
            );
        }
    }
}

// ----- pending and inactive users -----------------------------------------------------

#[tokio::test]
async fn pending_users_refuse_what_zoom_would_drop_and_join_groups() {
    let mut config = config();
    config.scim.pending_changes = zoom_scim::provider::PendingChanges::Refuse;
    let stack = start_stack(sim_settings(40), config).await;
    let user = seeded(&stack, "pending").await;
    let id = user["id"].as_str().unwrap();
    stack.reset_sim_stats().await;
    let answer = send(
        &stack,
        "PATCH",
        &format!("/Users/{id}"),
        Some(patch(
            json!([{"op": "replace", "path": "title", "value": "Invitee"}]),
        )),
    )
    .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(answer.detail().contains("pending"), "{}", answer.detail());
    assert_eq!(
        stack.zoom_calls("PATCH /users/{userId}").await,
        0,
        "nothing sent"
    );

    let (group, _) = group_ids(&stack).await.into_iter().next().unwrap();
    let answer = send(
        &stack,
        "PATCH",
        &format!("/Users/{id}"),
        Some(patch(
            json!([{"op": "add", "path": format!("{ZOOM}:groupIds"), "value": [group]}]),
        )),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let zoom = stack.sim_user(id).await.unwrap();
    assert!(
        zoom["group_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(group))
    );

    // active=false with the default rule: refused, user untouched.
    let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(off)).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_eq!(stack.sim_user(id).await.unwrap()["status"], "pending");
}

#[tokio::test]
async fn pending_deactivation_can_withdraw_the_invitation() {
    let mut config = config();
    config.scim.pending_deactivation = PendingDeactivation::Disassociate;
    let stack = start_stack(sim_settings(40), config).await;
    let user = seeded(&stack, "pending").await;
    let id = user["id"].as_str().unwrap();
    let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(off)).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert!(stack.sim_user(id).await.is_none(), "invitation withdrawn");
}

#[tokio::test]
async fn inactive_users_change_only_together_with_reactivation() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "inactive").await;
    let id = user["id"].as_str().unwrap();
    let title = patch(json!([{"op": "replace", "path": "title", "value": "Back"}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(title)).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(
        answer.detail().contains("active=true"),
        "{}",
        answer.detail()
    );
    assert_eq!(stack.sim_user(id).await.unwrap()["status"], "inactive");

    let both = patch(json!([
        {"op": "replace", "path": "title", "value": "Back"},
        {"op": "replace", "path": "active", "value": true},
    ]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(both)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let zoom = stack.sim_user(id).await.unwrap();
    assert_eq!(zoom["status"], "active");
    assert_eq!(zoom["job_title"], "Back");
}

// ----- ETags --------------------------------------------------------------------------

#[tokio::test]
async fn stale_if_match_answers_412_and_changes_nothing() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap();
    let first = send(&stack, "GET", &format!("/Users/{id}"), None).await;
    let etag = first.header("etag").unwrap().to_owned();
    let change = patch(json!([{"op": "replace", "path": "title", "value": "v2"}]));
    let answer = send_with(
        &stack,
        "PATCH",
        &format!("/Users/{id}"),
        Some(change.clone()),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let new_etag = answer.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, etag);

    let stale = patch(json!([{"op": "replace", "path": "title", "value": "v3"}]));
    for (method, body) in [
        ("PATCH", Some(stale)),
        (
            "PUT",
            Some(json!({"userName": user["email"], "title": "v3"})),
        ),
        ("DELETE", None),
    ] {
        let answer = send_with(
            &stack,
            method,
            &format!("/Users/{id}"),
            body,
            &[("if-match", &etag)],
        )
        .await;
        assert_eq!(answer.status, 412, "{method}: {}", answer.body);
    }
    let zoom = stack.sim_user(id).await.unwrap();
    assert_eq!(zoom["job_title"], "v2");
    assert_eq!(zoom["status"], "active");
}

// ----- delete -------------------------------------------------------------------------

#[tokio::test]
async fn delete_follows_the_policy() {
    for policy in [
        DeletePolicy::Deactivate,
        DeletePolicy::Disassociate,
        DeletePolicy::Delete,
    ] {
        let mut config = config();
        config.scim.delete_policy = policy;
        let stack = start_stack(sim_settings(40), config).await;
        let user = seeded(&stack, "active").await;
        let id = user["id"].as_str().unwrap();
        let answer = send(&stack, "DELETE", &format!("/Users/{id}"), None).await;
        assert_eq!(answer.status, 204, "{policy:?}: {}", answer.body);
        let zoom = stack.sim_user(id).await;
        match policy {
            DeletePolicy::Deactivate => {
                assert_eq!(zoom.unwrap()["status"], "inactive");
                let (status, got) = stack.get(&format!("/Users/{id}")).await;
                assert_eq!((status, got["active"].clone()), (200, json!(false)));
                // Deleting again is a no-op success.
                let again = send(&stack, "DELETE", &format!("/Users/{id}"), None).await;
                assert_eq!(again.status, 204);
            }
            _ => {
                assert!(zoom.is_none(), "{policy:?}");
                let (status, _) = stack.get(&format!("/Users/{id}")).await;
                assert_eq!(status, 404);
            }
        }
        // Pending users are always removed (invitation withdrawn).
        let pending = seeded(&stack, "pending").await;
        let pid = pending["id"].as_str().unwrap();
        let answer = send(&stack, "DELETE", &format!("/Users/{pid}"), None).await;
        assert_eq!(answer.status, 204, "{policy:?}: {}", answer.body);
        assert!(stack.sim_user(pid).await.is_none());
        let answer = send(&stack, "DELETE", "/Users/no-such-user", None).await;
        assert_eq!(answer.status, 404);
    }
}

/// The `delicense` policy keeps the account and takes its licence and Zoom Phone
/// away: active users stay active, deactivated ones stay deactivated (reactivated for
/// the change and deactivated again, as Zoom changes no deactivated user), Basic users
/// without phone get no call, invitations are withdrawn, the owner is refused.
#[tokio::test]
async fn delicense_keeps_the_account_and_takes_the_licence_and_phone() {
    let mut config = config();
    config.scim.delete_policy = DeletePolicy::Delicense;
    let stack = start_stack(sim_settings(80), config).await;
    let members = |status: &'static str| {
        let stack = &stack;
        async move { stack.sim_members(status).await }
    };
    let active = members("active").await;
    let phone_user = active
        .iter()
        .find(|u| u["zoom_phone"] == true && u["type"] == 2)
        .expect("a licensed phone user");
    let id = phone_user["id"].as_str().unwrap();
    let answer = send(&stack, "DELETE", &format!("/Users/{id}"), None).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let zoom = stack.sim_user(id).await.expect("still in the account");
    assert_eq!(zoom["status"], "active");
    assert_eq!(zoom["type"], 1, "{zoom}");
    assert_eq!(zoom["zoom_phone"], false);
    assert_eq!(
        zoom["phone"],
        Value::Null,
        "the phone profile went with the feature"
    );
    let (status, got) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(got["userType"], "Basic", "{got}");
    // Again: nothing left to take, no call.
    stack.reset_sim_stats().await;
    let again = send(&stack, "DELETE", &format!("/Users/{id}"), None).await;
    assert_eq!(again.status, 204);
    for call in ["PATCH /users/{userId}", "PUT /users/{userId}/status"] {
        assert_eq!(stack.zoom_calls(call).await, 0, "{call}");
    }

    let inactive = members("inactive").await;
    let sleeper = inactive
        .iter()
        .find(|u| u["type"] == 2)
        .expect("a licensed deactivated user");
    let sid = sleeper["id"].as_str().unwrap();
    let answer = send(&stack, "DELETE", &format!("/Users/{sid}"), None).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let zoom = stack.sim_user(sid).await.expect("still in the account");
    assert_eq!(
        (zoom["status"].clone(), zoom["type"].clone()),
        (json!("inactive"), json!(1))
    );

    let pending = seeded(&stack, "pending").await;
    let pid = pending["id"].as_str().unwrap();
    let answer = send(&stack, "DELETE", &format!("/Users/{pid}"), None).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert!(
        stack.sim_user(pid).await.is_none(),
        "the invitation is withdrawn"
    );

    let owner = stack.sim_admin("state").await["account"]["owner_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = send(&stack, "DELETE", &format!("/Users/{owner}"), None).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(
        answer.detail().contains("cannot be delicensed"),
        "{}",
        answer.detail()
    );
}

#[tokio::test]
async fn protected_accounts_are_never_deactivated_or_removed() {
    let mut config = config();
    let settings = sim_settings(40);
    // Protect one member by e-mail; the owner is always protected.
    let probe = start_stack(settings.clone(), Config::default()).await;
    let member = seeded(&probe, "active").await;
    drop(probe);
    config.scim.protected_users = vec![member["email"].as_str().unwrap().to_uppercase()];
    config.scim.delete_policy = DeletePolicy::Delete;
    let stack = start_stack(settings, config).await;
    let owner_id = stack.sim_admin("state").await["account"]["owner_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in [owner_id.as_str(), member["id"].as_str().unwrap()] {
        let answer = send(&stack, "DELETE", &format!("/Users/{id}"), None).await;
        assert_eq!(answer.status, 403, "{}", answer.body);
        let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
        let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(off)).await;
        assert_eq!(answer.status, 403, "{}", answer.body);
        assert_eq!(stack.sim_user(id).await.unwrap()["status"], "active");
    }
    let role = patch(json!([{"op": "replace", "path": "roles", "value": [{"value": "2"}]}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{owner_id}"), Some(role)).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(stack.sim_user(&owner_id).await.unwrap()["role_id"], "0");
}

// ----- lost answers and sign-out ------------------------------------------------------

#[tokio::test]
async fn a_lost_create_answer_creates_exactly_one_user() {
    let stack = start_stack(sim_settings(40), config()).await;
    // Zoom creates the user but the answer never arrives.
    stack
        .add_fault(
            json!({"method": "POST", "path": "/users", "count": 1, "action": "apply_then_drop"}),
        )
        .await;
    let answer = send(
        &stack,
        "POST",
        "/Users",
        Some(entra_create("lost@example.com")),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let state = stack.sim_admin("state").await;
    let matching = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["email"] == "lost@example.com")
        .count();
    assert_eq!(matching, 1, "never duplicated");
    let zoom = sim_user_by_email(&stack, "lost@example.com").await.unwrap();
    assert_eq!(answer.body["id"], zoom["id"]);
    assert_eq!(zoom["job_title"], "Rear Admiral");
}

#[tokio::test]
async fn a_create_whose_outcome_is_unknown_never_takes_over_an_existing_user() {
    // Zoom answers 503, or the connection drops, on `POST /users` for an e-mail that
    // already has an account (here a deactivated one): the look-up after the failure
    // finds that account, which must not pass for the new one (409, nothing changed).
    let faults = [
        json!({"action": "respond", "status": 503}),
        json!({"action": "drop"}),
    ];
    for fault in faults {
        let stack = start_stack(sim_settings(40), config()).await;
        let existing = seeded(&stack, "inactive").await;
        let email = existing["email"].as_str().unwrap().to_owned();
        let mut fault_spec = json!({"method": "POST", "path": "/users", "count": 1});
        fault_spec
            .as_object_mut()
            .unwrap()
            .extend(fault.as_object().unwrap().clone());
        stack.add_fault(fault_spec).await;
        let mut body = entra_create(&email);
        body["name"] = json!({"givenName": "Someone", "familyName": "Else"});
        let answer = send(&stack, "POST", "/Users", Some(body)).await;
        assert_eq!(answer.status, 409, "{fault}: {}", answer.body);
        assert_eq!(answer.body["scimType"], "uniqueness", "{fault}");
        let after = stack
            .sim_user(existing["id"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(after["status"], "inactive", "{fault}: not reactivated");
        assert_eq!(after["first_name"], existing["first_name"], "{fault}");
        assert_eq!(after["last_name"], existing["last_name"], "{fault}");
    }
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_still_answered_201_once() {
    // The create took effect and its answer was lost, then the replay met Zoom's 409:
    // the user Zoom created just now is this request's.
    let stack = start_stack(sim_settings(40), config()).await;
    stack
        .add_fault(json!({"method": "POST", "path": "/users", "count": 1, "action": "apply_then_respond", "status": 502}))
        .await;
    let answer = send(
        &stack,
        "POST",
        "/Users",
        Some(entra_create("again@example.com")),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let zoom = sim_user_by_email(&stack, "again@example.com")
        .await
        .unwrap();
    assert_eq!(answer.body["id"], zoom["id"]);
}

#[tokio::test]
async fn a_daily_limit_of_one_user_or_one_kind_of_call_stops_nothing_else() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap().to_owned();
    // Zoom allows three e-mail changes per user a day; the fourth is this user's 429.
    for i in 1..=4 {
        let rename = patch(
            json!([{"op": "replace", "path": "userName", "value": format!("renamed.{i}@example.com")}]),
        );
        let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(rename)).await;
        if i < 4 {
            assert_eq!(answer.status, 200, "rename {i}: {}", answer.body);
            continue;
        }
        assert_eq!(answer.status, 429, "{}", answer.body);
        let retry_after: u64 = answer.header("retry-after").unwrap().parse().unwrap();
        assert!(retry_after > 3600, "until the window ends: {retry_after}");
        let detail = answer.body["detail"].as_str().unwrap();
        assert!(detail.contains("for this user"), "{detail}");
    }
    // Everything else goes on: reads and writes of other users, and creates.
    let other = seeded(&stack, "inactive").await;
    let other_id = other["id"].as_str().unwrap();
    let answer = send(&stack, "GET", &format!("/Users/{other_id}"), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let title = patch(json!([{"op": "replace", "path": "title", "value": "Still served"}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(title)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = send(
        &stack,
        "POST",
        "/Users",
        Some(entra_create("after.limit@example.com")),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);

    // The account's daily quota of user creates: creates wait for the reset (without
    // asking Zoom again), other calls go on.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT00:00:00Z")
        .to_string();
    stack
        .add_fault(json!({
            "method": "POST", "path": "/users", "count": 1, "action": "respond", "status": 429,
            "headers": {"X-RateLimit-Type": "Daily-limit", "Retry-After": tomorrow},
            "body": {"code": 429, "message": "You have exceeded the daily rate limit (10000) of Create User API requests permitted for this account. You may resume these requests at GMT 00:00:00."}
        }))
        .await;
    for email in ["one.more@example.com", "and.another@example.com"] {
        let answer = send(&stack, "POST", "/Users", Some(entra_create(email))).await;
        assert_eq!(answer.status, 503, "{}", answer.body);
        assert!(answer.header("retry-after").is_some());
    }
    assert_eq!(
        stack.zoom_calls("POST /users").await,
        2,
        "the second create did not ask Zoom"
    );
    let answer = send(&stack, "GET", &format!("/Users/{other_id}"), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn deactivation_signs_the_user_out_when_configured() {
    let mut config = config();
    config.scim.logout_on_deactivate = true;
    let stack = start_stack(sim_settings(40), config).await;
    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap();
    stack.reset_sim_stats().await;
    let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(off)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let zoom = stack.sim_user(id).await.unwrap();
    assert_eq!(zoom["status"], "inactive");
    assert_eq!(zoom["logged_out_count"], 1);
    assert_eq!(stack.zoom_calls("DELETE /users/{userId}/token").await, 1);
}

#[tokio::test]
async fn concurrent_patches_to_one_user_lose_nothing() {
    // Zoom stores phone numbers as one list: two PATCHes each adding a number would
    // overwrite each other if their read-diff-write cycles interleaved.
    let settings = SimSettings {
        latency_ms: 20,
        ..sim_settings(40)
    };
    let stack = start_stack(settings, config()).await;
    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap().to_owned();
    let clear = patch(json!([{"op": "remove", "path": "phoneNumbers"}]));
    assert_eq!(
        send(&stack, "PATCH", &format!("/Users/{id}"), Some(clear))
            .await
            .status,
        200
    );
    let numbers = ["+14155550101", "+14155550102", "+14155550103"];
    let path = format!("/Users/{id}");
    let sends = numbers.iter().map(|n| {
        let body = patch(
            json!([{"op": "add", "path": "phoneNumbers", "value": [{"value": n, "type": "work"}]}]),
        );
        send(&stack, "PATCH", &path, Some(body))
    });
    for answer in futures::future::join_all(sends).await {
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let zoom = stack.sim_user(&id).await.unwrap();
    let stored: Vec<String> = zoom["phone_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}{}",
                p["code"].as_str().unwrap(),
                p["number"].as_str().unwrap()
            )
        })
        .collect();
    for n in numbers {
        assert!(stored.contains(&n.to_owned()), "{n} kept: {stored:?}");
    }
}

// ----- role and group filters (pushed down to Zoom) -----------------------------------

#[tokio::test]
async fn role_and_group_filters_are_answered_by_zoom_queries() {
    let stack = start_stack(sim_settings(40), config()).await;
    let state = stack.sim_admin("state").await;
    let users = state["users"].as_array().unwrap();
    let admins: std::collections::BTreeSet<String> = users
        .iter()
        .filter(|u| u["role_id"] == "1")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!admins.is_empty());
    stack.reset_sim_stats().await;
    let (status, page) = stack
        .get("/Users?filter=roles.value%20eq%20%221%22&attributes=userName&count=1000")
        .await;
    assert_eq!(status, 200, "{page}");
    let got: std::collections::BTreeSet<String> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, admins);
    assert_eq!(
        stack.zoom_calls("GET /users/{userId}").await,
        0,
        "no per-user reads"
    );

    let group = state["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["member_ids"].as_array().is_some_and(|m| !m.is_empty()))
        .expect("a group with members")
        .clone();
    let members: std::collections::BTreeSet<String> = group["member_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    stack.reset_sim_stats().await;
    let (status, page) = stack
        .get(&format!(
            "/Users?filter=groups.value%20eq%20%22{}%22&attributes=userName&count=1000",
            group["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    let got: std::collections::BTreeSet<String> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, members);
    assert!(stack.zoom_calls("GET /groups/{groupId}/members").await >= 1);
    assert_eq!(stack.zoom_calls("GET /users").await, 0, "no full listing");
}

// ----- roles back to Member, and e-mail addresses Zoom cannot hold ------------------

/// Makes `id` an Admin through the service.
async fn make_admin(stack: &Stack, id: &str) {
    let body = patch(json!([{"op": "replace", "path": "roles", "value": [{"value": "Admin"}]}]));
    let answer = send(stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(stack.sim_user(id).await.unwrap()["role_id"], "1");
}

#[tokio::test]
async fn removing_every_role_moves_an_admin_back_to_member() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap();
    let email = user["email"].as_str().unwrap();
    let shapes = [
        (
            "PATCH remove roles",
            "PATCH",
            patch(json!([{"op": "remove", "path": "roles"}])),
        ),
        (
            "PUT roles []",
            "PUT",
            json!({"schemas": [USER], "userName": email, "roles": []}),
        ),
        (
            "roles Member",
            "PATCH",
            patch(json!([{"op": "replace", "path": "roles", "value": [{"value": "Member"}]}])),
        ),
        (
            "roles 2",
            "PATCH",
            patch(json!([{"op": "replace", "path": "roles", "value": [{"value": "2"}]}])),
        ),
    ];
    for (shape, method, body) in shapes {
        make_admin(&stack, id).await;
        stack.reset_sim_stats().await;
        let answer = send(&stack, method, &format!("/Users/{id}"), Some(body)).await;
        assert_eq!(answer.status, 200, "{shape}: {}", answer.body);
        assert_eq!(answer.body["roles"][0]["value"], "2", "{shape}");
        assert_eq!(answer.body["roles"][0]["display"], "Member", "{shape}");
        assert!(
            answer.warnings().is_empty(),
            "{shape}: {:?}",
            answer.warnings()
        );
        assert_eq!(stack.sim_user(id).await.unwrap()["role_id"], "2", "{shape}");
        // Zoom's way: the Admin role is withdrawn, never "add to Member".
        assert_eq!(
            stack
                .zoom_calls("DELETE /roles/{roleId}/members/{memberId}")
                .await,
            1,
            "{shape}"
        );
        assert_eq!(stack.zoom_calls("POST /roles/{roleId}/members").await, 0);
        let (status, read) = stack.get(&format!("/Users/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(
            read, answer.body,
            "{shape}: the answer is what a read shows"
        );
    }
    // The withdrawal's answer is lost: the role is read back, not withdrawn twice.
    make_admin(&stack, id).await;
    stack
        .add_fault(
            json!({"method": "DELETE", "path": "/roles/{roleId}/members/{memberId}",
                          "action": "apply_then_drop"}),
        )
        .await;
    stack.reset_sim_stats().await;
    let body = patch(json!([{"op": "remove", "path": "roles"}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["roles"][0]["value"], "2");
    assert_eq!(stack.sim_user(id).await.unwrap()["role_id"], "2");
    assert_eq!(
        stack
            .zoom_calls("DELETE /roles/{roleId}/members/{memberId}")
            .await,
        1,
        "not replayed"
    );

    // Already a Member: nothing to send.
    stack.reset_sim_stats().await;
    let body = patch(json!([{"op": "remove", "path": "roles"}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        stack
            .zoom_calls("DELETE /roles/{roleId}/members/{memberId}")
            .await,
        0
    );
}

#[tokio::test]
async fn the_owner_cannot_be_moved_to_member() {
    let stack = start_stack(sim_settings(40), config()).await;
    let state = stack.sim_admin("state").await;
    let owner = state["account"]["owner_id"].as_str().unwrap().to_owned();
    let email = stack.sim_user(&owner).await.unwrap()["email"].clone();
    for (method, body) in [
        ("PATCH", patch(json!([{"op": "remove", "path": "roles"}]))),
        (
            "PUT",
            json!({"schemas": [USER], "userName": email, "roles": []}),
        ),
        (
            "PATCH",
            patch(json!([{"op": "replace", "path": "roles", "value": [{"value": "Member"}]}])),
        ),
    ] {
        let answer = send(&stack, method, &format!("/Users/{owner}"), Some(body)).await;
        assert_eq!(answer.status, 403, "{}", answer.body);
        assert_eq!(stack.sim_user(&owner).await.unwrap()["role_id"], "0");
    }
}

#[tokio::test]
async fn an_entra_create_with_empty_roles_asks_for_member_without_a_warning() {
    for action in [CreateAction::Create, CreateAction::AutoCreate] {
        let mut config = config();
        config.scim.create_action = action;
        let stack = start_stack(sim_settings(40), config).await;
        // docs/clients.md section 1.2: Entra's create carries `roles: []`.
        let body = json!({
            "schemas": [USER, ENTERPRISE],
            "externalId": "0a1b2c",
            "userName": "entra.roles@example.com",
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "entra.roles@example.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Ada Byron", "givenName": "Ada", "familyName": "Byron"},
            "roles": []
        });
        let answer = send(&stack, "POST", "/Users", Some(body)).await;
        assert_eq!(answer.status, 201, "{action:?}: {}", answer.body);
        assert!(
            answer.warnings().is_empty(),
            "{action:?}: {:?}",
            answer.warnings()
        );
        let id = answer.body["id"].as_str().unwrap();
        assert_eq!(stack.sim_user(id).await.unwrap()["role_id"], "2");
    }
}

#[tokio::test]
async fn every_address_other_than_the_login_is_named_in_a_warning() {
    let stack = start_stack(sim_settings(40), config()).await;
    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap();
    let login = user["email"].as_str().unwrap();
    let before = stack.sim_user(id).await.unwrap();
    let shapes = [
        (
            "PATCH add emails",
            "PATCH",
            patch(json!([{"op": "add", "path": "emails",
                          "value": [{"value": "private@example.org", "type": "home"}]}])),
            vec!["private@example.org"],
        ),
        (
            "PUT with a second address",
            "PUT",
            json!({"schemas": [USER], "userName": login, "emails": [
                {"value": login, "type": "work", "primary": true},
                {"value": "second@example.org", "type": "other"}]}),
            vec!["second@example.org"],
        ),
        (
            "PATCH replace emails[type eq home].value",
            "PATCH",
            patch(
                json!([{"op": "replace", "path": "emails[type eq \"home\"].value",
                          "value": "home@example.org"}]),
            ),
            vec!["home@example.org"],
        ),
        (
            "PUT with two other addresses",
            "PUT",
            json!({"schemas": [USER], "userName": login, "emails": [
                {"value": "one@example.org", "type": "work", "primary": true},
                {"value": "two@example.org", "type": "home"}]}),
            vec!["one@example.org", "two@example.org"],
        ),
    ];
    for (shape, method, body, named) in shapes {
        let answer = send(&stack, method, &format!("/Users/{id}"), Some(body)).await;
        assert_eq!(answer.status, 200, "{shape}: {}", answer.body);
        let warnings = answer.warnings();
        assert_eq!(warnings.len(), named.len(), "{shape}: {warnings:?}");
        for address in named {
            assert!(
                warnings
                    .iter()
                    .any(|w| w.starts_with("299 zoom-scim") && w.contains(address)),
                "{shape}: {warnings:?}"
            );
        }
        // Zoom keeps the login only; the answer shows it.
        assert_eq!(
            answer.body["emails"],
            json!([{"value": login, "type": "work", "primary": true}]),
            "{shape}"
        );
        assert_eq!(stack.sim_user(id).await.unwrap(), before, "{shape}");
    }
    // The login itself, as Entra and Okta send it: no warning.
    let body =
        patch(json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": login}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.warnings().is_empty(), "{:?}", answer.warnings());
}

#[tokio::test]
async fn very_long_values_are_not_echoed_back_in_full() {
    let stack = start_stack(sim_settings(40), config()).await;
    let huge = "a".repeat(70_000);
    let bounded = |answer: &Answer, what: &str| {
        let detail = answer.detail();
        assert!(
            detail.chars().count() < 600,
            "{what}: {} characters",
            detail.len()
        );
        assert!(detail.contains("... (70"), "{what}: {detail}");
    };
    let answer = send(
        &stack,
        "POST",
        "/Users",
        Some(json!({"schemas": [USER], "userName": huge})),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.detail());
    assert_eq!(answer.body["scimType"], "invalidValue");
    assert!(
        answer
            .detail()
            .starts_with(&format!("userName '{}", "a".repeat(200)))
    );
    bounded(&answer, "userName");

    let user = seeded(&stack, "active").await;
    let id = user["id"].as_str().unwrap();
    for (what, op) in [
        (
            "phone number",
            json!({"op": "add", "path": "phoneNumbers",
                   "value": [{"value": format!("+{}", "5".repeat(70_000)), "type": "work"}]}),
        ),
        (
            "userType",
            json!({"op": "replace", "path": "userType", "value": huge}),
        ),
        ("op", json!({"op": huge, "path": "title", "value": "x"})),
        (
            "role",
            json!({"op": "replace", "path": "roles", "value": [{"value": huge}]}),
        ),
    ] {
        let answer = send(
            &stack,
            "PATCH",
            &format!("/Users/{id}"),
            Some(patch(json!([op]))),
        )
        .await;
        assert_eq!(answer.status, 400, "{what}: {}", answer.detail());
        bounded(&answer, what);
    }

    // A member id in a group change, and the Warning about an e-mail Zoom cannot keep.
    let (_, groups) = stack.get("/Groups?count=1").await;
    let group = groups["Resources"][0]["id"].as_str().unwrap().to_owned();
    // (5,000 characters: the id goes into a Zoom URL to be looked up.)
    let long_id = "b".repeat(5_000);
    let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": long_id}]}]));
    let answer = send(&stack, "PATCH", &format!("/Groups/{group}"), Some(add)).await;
    assert_eq!(answer.status, 400, "{}", answer.detail());
    assert!(answer.detail().len() < 600, "{}", answer.detail());
    assert!(
        answer.detail().contains("... (5000 characters)"),
        "{}",
        answer.detail()
    );
    // An id in the URL that is no Zoom id: 404 quoting it cut (probe 8, F4).
    for resource in ["Users", "Groups"] {
        let answer = send(&stack, "GET", &format!("/{resource}/{long_id}"), None).await;
        assert_eq!(answer.status, 404, "{}", answer.detail());
        assert!(answer.detail().len() < 300, "{}", answer.detail());
        assert!(answer.detail().contains("... (5000 characters)"));
    }
    let emails = patch(json!([{"op": "replace", "path": "emails",
        "value": [{"value": format!("{huge}@example.com"), "type": "work", "primary": true}]}]));
    let answer = send(&stack, "PATCH", &format!("/Users/{id}"), Some(emails)).await;
    assert_eq!(answer.status, 200, "{}", answer.detail());
    let warnings = answer.warnings();
    assert!(!warnings.is_empty(), "{:?}", answer.headers);
    for warning in warnings {
        assert!(warning.len() < 600, "{} bytes", warning.len());
        assert!(warning.contains("... (70012 characters)"), "{warning}");
    }
}
