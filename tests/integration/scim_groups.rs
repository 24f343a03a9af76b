//! Black-box tests of SCIM Groups: the service and the simulator on port 0, requests in
//! the shapes Entra, Okta and midPoint/ConnId send (docs/clients.md sections 1-3),
//! assertions on the SCIM answer, the simulator's final state (`/_sim/state`) and the
//! Zoom calls made (`/_sim/stats`).

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::provider::DuplicatePolicy;
use zoom_scim::simulator::SimSettings;

use crate::support::{Reply, SCIM_TOKEN, Stack, sim_settings, start_stack, urlencode};

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTRA_GROUP: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const ADD_MEMBERS: &str = "POST /groups/{groupId}/members";
const REMOVE_MEMBER: &str = "DELETE /groups/{groupId}/members/{memberId}";
const LIST_MEMBERS: &str = "GET /groups/{groupId}/members";

async fn call(
    stack: &Stack,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Reply {
    stack.scim(method, path, body, headers).await
}

async fn get(stack: &Stack, path: &str) -> Reply {
    call(stack, Method::GET, path, None, &[]).await
}

async fn post(stack: &Stack, path: &str, body: Value) -> Reply {
    call(stack, Method::POST, path, Some(body), &[]).await
}

async fn patch(stack: &Stack, path: &str, operations: Value) -> Reply {
    call(
        stack,
        Method::PATCH,
        path,
        Some(json!({"schemas": [PATCH_OP], "Operations": operations})),
        &[],
    )
    .await
}

/// The simulator's view of a group: name and member ids.
async fn sim_group(stack: &Stack, id: &str) -> Option<(String, HashSet<String>)> {
    let state = stack.sim_admin("state").await;
    state["groups"].as_array()?.iter().find_map(|g| {
        (g["id"] == id).then(|| {
            let members = g["member_ids"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (g["name"].as_str().unwrap_or_default().to_owned(), members)
        })
    })
}

async fn sim_group_by_name(stack: &Stack, name: &str) -> Option<Value> {
    let state = stack.sim_admin("state").await;
    state["groups"]
        .as_array()?
        .iter()
        .find(|g| g["name"] == name)
        .cloned()
}

/// Ids of seeded users with `status`, in creation order.
async fn user_ids(stack: &Stack, status: &str) -> Vec<String> {
    let state = stack.sim_admin("state").await;
    state["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["status"] == status)
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect()
}

fn members_of(resource: &Value) -> HashSet<String> {
    resource["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|v| v["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn set(ids: &[String]) -> HashSet<String> {
    ids.iter().cloned().collect()
}

#[tokio::test]
async fn entra_provisioning_cycle() {
    let stack = start_stack(sim_settings(60), Config::default()).await;
    let users = user_ids(&stack, "active").await;

    // Test Connection / match before create: a missing group is an empty list.
    let filter = urlencode("displayName eq \"Entra Team\"");
    let r = get(
        &stack,
        &format!("/Groups?excludedAttributes=members&filter={filter}"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalResults"], 0);
    assert_eq!(r.body["Resources"], json!([]));

    // Create: Microsoft's extra schema URN, externalId and meta are accepted.
    let r = post(
        &stack,
        "/Groups",
        json!({"schemas": [GROUP, ENTRA_GROUP], "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
               "displayName": "Entra Team", "meta": {"resourceType": "Group"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert_eq!(r.header("location"), r.body["meta"]["location"].as_str());
    assert_eq!(r.body["displayName"], "Entra Team");
    assert_eq!(
        r.body["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "the store keeps what Zoom cannot"
    );
    assert_eq!(
        sim_group(&stack, &id).await.expect("created").0,
        "Entra Team"
    );

    // Reads with excludedAttributes=members make no member call.
    stack.reset_sim_stats().await;
    let r = get(&stack, &format!("/Groups/{id}?excludedAttributes=members")).await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("members").is_none());
    let r = get(
        &stack,
        &format!("/Groups?excludedAttributes=members&filter={filter}"),
    )
    .await;
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["id"], id.as_str());
    assert_eq!(stack.zoom_calls(LIST_MEMBERS).await, 0);

    // Add members (one PATCH, several values, "$ref": null): 204, one Zoom add call.
    stack.reset_sim_stats().await;
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "Add", "path": "members", "value": [
            {"$ref": null, "value": users[0]}, {"$ref": null, "value": users[1]}, {"$ref": null, "value": users[2]}]}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.body, Value::Null);
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&users[..3])
    );
    assert_eq!(stack.zoom_calls(ADD_MEMBERS).await, 1);
    assert_eq!(
        stack.zoom_calls(LIST_MEMBERS).await,
        0,
        "an add needs no member list"
    );
    assert_eq!(
        stack.zoom_calls("GET /groups/{groupId}").await,
        0,
        "nor the group's record"
    );
    // ... and a group that is not there is still a 404 that changes nothing.
    let r = patch(
        &stack,
        "/Groups/no-such-group",
        json!([{"op": "Add", "path": "members", "value": [{"value": users[3]}]}]),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body["status"], "404");

    // Rename.
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "Replace", "path": "displayName", "value": "Entra Team 2"}]),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").0,
        "Entra Team 2"
    );

    // Legacy remove (value array), then the compliant form.
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": users[0]}]}]),
    )
    .await;
    assert_eq!(r.status, 204);
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", users[1])}]),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&users[2..3])
    );
    // Removing a user who is no longer a member is not an error (nothing to remove).
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", users[1])}]),
    )
    .await;
    assert_eq!(r.status, 204);

    // The user side shows the group with its name.
    let r = get(&stack, &format!("/Users/{}?attributes=groups", users[2])).await;
    assert!(
        r.body["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .any(|g| g["value"] == id.as_str() && g["display"] == "Entra Team 2"),
        "{}",
        r.body
    );

    // Validator: creating a duplicate group is 409 uniqueness.
    let r = post(
        &stack,
        "/Groups",
        json!({"schemas": [GROUP, ENTRA_GROUP], "displayName": "entra team 2"}),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["scimType"], "uniqueness");
    assert!(r.body["detail"].as_str().expect("detail").contains(&id));

    // Delete: 204, then 404, and gone from Zoom and from the user's groups.
    let r = call(&stack, Method::DELETE, &format!("/Groups/{id}"), None, &[]).await;
    assert_eq!(r.status, 204);
    assert_eq!(get(&stack, &format!("/Groups/{id}")).await.status, 404);
    assert!(sim_group(&stack, &id).await.is_none());
    let r = get(
        &stack,
        &format!(
            "/Groups?filter={}",
            urlencode("displayName eq \"Entra Team 2\"")
        ),
    )
    .await;
    assert_eq!(r.body["totalResults"], 0);
}

#[tokio::test]
async fn okta_group_push() {
    let stack = start_stack(sim_settings(60), Config::default()).await;
    let users = user_ids(&stack, "active").await;

    let r = post(
        &stack,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert!(r.body["meta"]["version"].is_string());
    assert_eq!(r.header("etag"), r.body["meta"]["version"].as_str());

    // Okta's membership update: rename with the readOnly id, remove, add with display.
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "replace", "value": {"id": id, "displayName": "Test SCIMv2"}},
               {"op": "add", "path": "members", "value": [
                   {"value": users[0], "display": "a@x"}, {"value": users[1], "display": "b@x"}]}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "replace", "value": {"id": id, "displayName": "Okta Pushed"}},
               {"op": "remove", "path": format!("members[value eq \"{}\"]", users[0])},
               {"op": "add", "path": "members", "value": [{"value": users[2]}]}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (name, members) = sim_group(&stack, &id).await.expect("group");
    assert_eq!(name, "Okta Pushed");
    assert_eq!(members, set(&[users[1].clone(), users[2].clone()]));

    // A readOnly id that differs is a mutability error and changes nothing.
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "replace", "value": {"id": "other", "displayName": "Nope"}}]),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "mutability");
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").0,
        "Okta Pushed"
    );

    // Full push: the delta only (one add call for users 3-5, one removal for user 1).
    stack.reset_sim_stats().await;
    let desired: Vec<String> = users[2..6].to_vec();
    let r = patch(
        &stack,
        &format!("/Groups/{id}?attributes=members"),
        json!([{"op": "replace", "path": "members",
                "value": desired.iter().map(|u| json!({"value": u})).collect::<Vec<_>>()}]),
    )
    .await;
    assert_eq!(
        r.status, 200,
        "attributes asks for the resource: {}",
        r.body
    );
    assert_eq!(members_of(&r.body), set(&desired));
    assert!(r.body.get("displayName").is_none(), "projected to members");
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&desired)
    );
    assert_eq!(stack.zoom_calls(ADD_MEMBERS).await, 1);
    assert_eq!(stack.zoom_calls(REMOVE_MEMBER).await, 1);

    // AIW apps: PUT with the whole group, by difference.
    stack.reset_sim_stats().await;
    let desired: Vec<String> = users[4..8].to_vec();
    let r = call(
        &stack,
        Method::PUT,
        &format!("/Groups/{id}"),
        Some(
            json!({"schemas": [GROUP], "id": id, "displayName": "Okta Pushed",
                    "members": desired.iter().map(|u| json!({"value": u})).collect::<Vec<_>>()}),
        ),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(members_of(&r.body), set(&desired));
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&desired)
    );
    assert_eq!(
        stack.zoom_calls(REMOVE_MEMBER).await,
        2,
        "users 2 and 3 leave"
    );
    assert_eq!(
        stack.zoom_calls(ADD_MEMBERS).await,
        1,
        "users 6 and 7 join in one call"
    );
    assert_eq!(
        stack.zoom_calls("PATCH /groups/{groupId}").await,
        0,
        "same name"
    );

    // A PUT without members leaves them alone; `members: []` empties the group.
    let r = call(
        &stack,
        Method::PUT,
        &format!("/Groups/{id}"),
        Some(json!({"schemas": [GROUP], "displayName": "Okta Renamed"})),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        sim_group(&stack, &id).await.expect("group"),
        ("Okta Renamed".into(), set(&desired))
    );
    let r = call(
        &stack,
        Method::PUT,
        &format!("/Groups/{id}"),
        Some(json!({"schemas": [GROUP], "displayName": "Okta Renamed", "members": []})),
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(sim_group(&stack, &id).await.expect("group").1.is_empty());
}

#[tokio::test]
async fn midpoint_and_connid_requests() {
    let stack = start_stack(sim_settings(80), Config::default()).await;
    let users = user_ids(&stack, "active").await;
    let state = stack.sim_admin("state").await;
    let seeded: HashSet<String> = state["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["id"].as_str().map(str::to_owned))
        .collect();

    // midPoint's scimrest search loop: startIndex 1,2,3 with count=25 overlaps, the
    // ConnId bundle pages by startIndex += count; both see every group, stably ordered.
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let r = get(
            &stack,
            &format!("/Groups?startIndex={start}&count=5&attributes=displayName"),
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["totalResults"], seeded.len());
        let page = r.body["Resources"].as_array().expect("resources");
        if page.is_empty() {
            break;
        }
        for g in page {
            assert!(g.get("members").is_none());
            seen.push(g["id"].as_str().expect("id").to_owned());
        }
        start += page.len();
    }
    assert_eq!(seen.len(), seeded.len());
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), seeded);

    // Lower-case attribute names; lookup by name (ConnId `displayName eq`).
    let r = get(
        &stack,
        &format!("/Groups?filter={}", urlencode("displayname eq \"sales\"")),
    )
    .await;
    assert_eq!(r.body["totalResults"], 1, "{}", r.body);
    assert_eq!(r.body["Resources"][0]["displayName"], "Sales");

    // Create with members (application/json, lower-case keys).
    let r = stack
        .http
        .post(format!("{}/Groups", stack.service.scim_base_url))
        .bearer_auth(SCIM_TOKEN)
        .json(&json!({"schemas": [GROUP], "displayname": "midPoint Role",
                      "members": [{"value": users[0]}, {"value": users[1]}]}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.expect("json");
    let id = body["id"].as_str().expect("id").to_owned();
    assert_eq!(members_of(&body), set(&users[..2]));

    // scimrest update: PUT of the full previous state plus the delta.
    let mut full = get(&stack, &format!("/Groups/{id}")).await.body;
    full["members"]
        .as_array_mut()
        .expect("members")
        .push(json!({"value": users[2]}));
    let r = call(
        &stack,
        Method::PUT,
        &format!("/Groups/{id}"),
        Some(full),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&users[..3])
    );

    // ConnId PATCH mode: the whole group in a no-path replace, then a filter removal.
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "replace", "value": {"schemas": [GROUP], "id": id, "displayName": "midPoint Role",
                "meta": {"resourceType": "Group"}, "members": [{"value": users[1]}, {"value": users[3]}]}}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&[users[1].clone(), users[3].clone()])
    );
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "remove", "path": "members", "value": [{"value": users[1]}]}]),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&users[3..4])
    );
    // Remove every member.
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "remove", "path": "members"}]),
    )
    .await;
    assert_eq!(r.status, 204);
    assert!(sim_group(&stack, &id).await.expect("group").1.is_empty());
}

#[tokio::test]
async fn filters_paging_and_member_calls() {
    let stack = start_stack(sim_settings(120), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let groups = state["groups"].as_array().expect("groups").clone();
    let sales = groups
        .iter()
        .find(|g| g["name"] == "Sales")
        .expect("Sales")
        .clone();
    let sales_id = sales["id"].as_str().expect("id");
    let sales_members: HashSet<String> = sales["member_ids"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert!(!sales_members.is_empty());

    // id eq: one GET, no listing.
    stack.reset_sim_stats().await;
    let r = get(
        &stack,
        &format!(
            "/Groups?filter={}",
            urlencode(&format!("id eq \"{sales_id}\""))
        ),
    )
    .await;
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(members_of(&r.body["Resources"][0]), sales_members);
    assert_eq!(stack.zoom_calls("GET /groups").await, 0);

    // GET one group: members read in full, with a version.
    let r = get(&stack, &format!("/Groups/{sales_id}")).await;
    assert_eq!(members_of(&r.body), sales_members);
    assert_eq!(r.header("etag"), r.body["meta"]["version"].as_str());
    assert!(
        r.body["members"][0]["$ref"]
            .as_str()
            .expect("$ref")
            .contains("/Users/")
    );
    assert_eq!(r.body["members"][0]["type"], "User");
    // If-None-Match with the version: 304.
    let etag = r.header("etag").expect("etag").to_owned();
    let r = call(
        &stack,
        Method::GET,
        &format!("/Groups/{sales_id}"),
        None,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(r.status, 304);
    assert_eq!(r.header("etag"), Some(etag.as_str()), "RFC 9110 15.4.5");

    // A member's groups: answered from the user's group_ids.
    let member = sales_members.iter().next().expect("member").clone();
    let user = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == member.as_str())
        .expect("user")
        .clone();
    stack.reset_sim_stats().await;
    let r = get(
        &stack,
        &format!(
            "/Groups?attributes=displayName&filter={}",
            urlencode(&format!("members.value eq \"{member}\""))
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let found: HashSet<Value> = r.body["Resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|g| g["id"].clone())
        .collect();
    let expected: HashSet<Value> = user["group_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .cloned()
        .collect();
    assert_eq!(found, expected);
    assert_eq!(stack.zoom_calls("GET /groups").await, 0, "no group listing");

    // General filters are evaluated over the group list; with attributes that leave out
    // members, no member call is made; count=0 gives totals only.
    stack.reset_sim_stats().await;
    let r = get(
        &stack,
        &format!(
            "/Groups?filter={}&excludedAttributes=members",
            urlencode("displayName sw \"s\"")
        ),
    )
    .await;
    let expected = groups
        .iter()
        .filter(|g| {
            g["name"]
                .as_str()
                .is_some_and(|n| n.to_lowercase().starts_with('s'))
        })
        .count();
    assert_eq!(r.body["totalResults"], expected);
    let r = get(&stack, "/Groups?count=0").await;
    assert_eq!(r.body["totalResults"], groups.len());
    assert_eq!(r.body["Resources"], json!([]));
    assert_eq!(stack.zoom_calls(LIST_MEMBERS).await, 0);

    // A filter on members reads member lists and is exact.
    let r = get(
        &stack,
        &format!(
            "/Groups?attributes=displayName&filter={}",
            urlencode(&format!(
                "members[value eq \"{member}\"] and displayName eq \"Sales\""
            ))
        ),
    )
    .await;
    assert_eq!(r.body["totalResults"], 1);
    let empty_groups = groups
        .iter()
        .filter(|g| g["member_ids"].as_array().is_some_and(Vec::is_empty))
        .count();
    let r = get(
        &stack,
        &format!(
            "/Groups?attributes=displayName&filter={}",
            urlencode("not (members pr)")
        ),
    )
    .await;
    assert_eq!(r.body["totalResults"], empty_groups);

    // Paging with members loads members for the page only.
    stack.reset_sim_stats().await;
    let r = get(&stack, "/Groups?startIndex=2&count=3").await;
    assert_eq!(r.body["itemsPerPage"], 3);
    assert_eq!(r.body["startIndex"], 2);
    assert_eq!(stack.zoom_calls(LIST_MEMBERS).await, 3);

    // .search.
    let r = post(
        &stack,
        "/Groups/.search",
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
               "filter": "displayName eq \"SALES\"", "excludedAttributes": ["members"]}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["Resources"][0]["id"], sales_id);
    assert!(r.body["Resources"][0].get("members").is_none());

    // Invalid filters.
    let r = get(
        &stack,
        &format!("/Groups?filter={}", urlencode("userName eq \"x\"")),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidFilter");
    assert_eq!(get(&stack, "/Groups/nope").await.status, 404);
}

#[tokio::test]
async fn root_search_covers_users_and_groups() {
    let stack = start_stack(sim_settings(30), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let n_users = state["users"].as_array().expect("users").len();
    let n_groups = state["groups"].as_array().expect("groups").len();
    let search = |body: Value| {
        let mut body = body;
        body["schemas"] = json!(["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]);
        post(&stack, "/.search", body)
    };

    // No filter: every user, then every group; totals summed.
    let r = search(json!({"count": 0})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalResults"], n_users + n_groups);
    // A page across the boundary: the last two users and the first three groups.
    let r = search(
        json!({"startIndex": n_users - 1, "count": 5, "attributes": ["userName", "displayName"]}),
    )
    .await;
    let page = r.body["Resources"].as_array().expect("resources");
    assert_eq!(page.len(), 5, "{}", r.body);
    assert_eq!(r.body["startIndex"], n_users - 1);
    let kinds: Vec<&str> = page
        .iter()
        .map(|res| {
            if res.get("userName").is_some() {
                "User"
            } else {
                "Group"
            }
        })
        .collect();
    assert_eq!(kinds, ["User", "User", "Group", "Group", "Group"]);
    // Past the users only groups.
    let r =
        search(json!({"startIndex": n_users + 1, "count": 100, "excludedAttributes": ["members"]}))
            .await;
    assert_eq!(
        r.body["Resources"].as_array().expect("resources").len(),
        n_groups
    );

    // A filter on an attribute of one type only: that type answers.
    let email = state["users"][3]["email"].as_str().expect("email");
    let r = search(json!({"filter": format!("userName eq \"{email}\"")})).await;
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(
        r.body["Resources"][0]["userName"]
            .as_str()
            .map(str::to_lowercase),
        Some(email.to_lowercase())
    );
    let r =
        search(json!({"filter": "displayName eq \"Engineering\"", "attributes": ["displayName"]}))
            .await;
    let groups_found: Vec<&Value> = r.body["Resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|res| res["schemas"][0] == GROUP)
        .collect();
    assert_eq!(groups_found.len(), 1, "{}", r.body);
    assert_eq!(groups_found[0]["displayName"], "Engineering");
    // A filter neither type knows is 400.
    let r = search(json!({"filter": "nosuch eq \"x\""})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidFilter");
}

#[tokio::test]
async fn large_group_adds_in_batches_of_thirty_and_pages_members() {
    let config = Config::default();
    let stack = start_stack(sim_settings(2400), config).await;
    let active = user_ids(&stack, "active").await;
    let inactive = user_ids(&stack, "inactive").await;
    let mut members: Vec<String> = active.iter().chain(&inactive).take(2100).cloned().collect();
    assert_eq!(members.len(), 2100, "enough seeded users");

    stack.reset_sim_stats().await;
    let r = post(
        &stack,
        "/Groups?excludedAttributes=members",
        json!({"schemas": [GROUP], "displayName": "Everyone Big",
               "members": members.iter().map(|u| json!({"value": u})).collect::<Vec<_>>()}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&members)
    );
    // 2100 members: 70 add calls of 30; the ids were checked by walking the user lists
    // (8 pages), not with 2100 look-ups. The first write also starts the user roster's
    // walk in the background (8 pages more); its size unknown yet, it is not waited for.
    assert_eq!(stack.zoom_calls(ADD_MEMBERS).await, 70);
    assert!(stack.zoom_calls("GET /users").await <= 18);
    assert!(stack.zoom_calls("GET /users/{userId}").await <= 10);

    // Reading it pages the members: 2000 then 100.
    stack.reset_sim_stats().await;
    let r = get(&stack, &format!("/Groups/{id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(members_of(&r.body), set(&members));
    assert_eq!(stack.zoom_calls(LIST_MEMBERS).await, 2);

    // Okta full push of 2101 members differing by 3: changes by the delta only.
    stack.reset_sim_stats().await;
    let leaving: Vec<String> = members.drain(..2).collect();
    let joining: Vec<String> = active
        .iter()
        .chain(&inactive)
        .skip(2100)
        .take(3)
        .cloned()
        .collect();
    members.extend(joining.iter().cloned());
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "replace", "path": "members",
                "value": members.iter().map(|u| json!({"value": u})).collect::<Vec<_>>()}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&members)
    );
    assert_eq!(stack.zoom_calls(ADD_MEMBERS).await, 1);
    assert_eq!(stack.zoom_calls(REMOVE_MEMBER).await, 2);
    assert_eq!(
        stack.zoom_calls("GET /users/{userId}").await,
        0,
        "the newcomers are confirmed users: the user roster vouches for them"
    );
    assert!(!leaving.is_empty());
}

#[tokio::test]
async fn unknown_member_ids_are_named_and_nothing_changes() {
    let stack = start_stack(sim_settings(40), Config::default()).await;
    let users = user_ids(&stack, "active").await;
    let state = stack.sim_admin("state").await;
    let sales = sim_group_by_name(&stack, "Sales").await.expect("Sales");
    let id = sales["id"].as_str().expect("id").to_owned();
    let before = sim_group(&stack, &id).await.expect("group");

    stack.reset_sim_stats().await;
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "replace", "path": "displayName", "value": "Sales Renamed"},
               {"op": "add", "path": "members", "value": [{"value": users[0]}, {"value": "NoSuchUser1"}, {"value": "NoSuchUser2"}]}]),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidValue");
    let detail = r.body["detail"].as_str().expect("detail");
    assert!(
        detail.contains("NoSuchUser1") && detail.contains("NoSuchUser2"),
        "{detail}"
    );
    assert!(!detail.contains(&users[0]));
    assert_eq!(sim_group(&stack, &id).await.expect("group"), before);
    assert_eq!(stack.zoom_calls(ADD_MEMBERS).await, 0);
    assert_eq!(stack.zoom_calls("PATCH /groups/{groupId}").await, 0);

    // An e-mail is not a user id (Zoom would resolve it; SCIM member values are ids).
    let email = state["users"][1]["email"].as_str().expect("email");
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "add", "path": "members", "value": [{"value": email}]}]),
    )
    .await;
    assert_eq!(r.status, 400);

    // A create with an unknown member creates nothing.
    let r = post(
        &stack,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Never Made", "members": [{"value": "NoSuchUser3"}]}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["detail"]
            .as_str()
            .expect("detail")
            .contains("NoSuchUser3")
    );
    assert!(sim_group_by_name(&stack, "Never Made").await.is_none());
    assert_eq!(stack.zoom_calls("POST /groups").await, 0);

    // Nested groups are refused.
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "add", "path": "members", "value": [{"value": id, "type": "Group"}]}]),
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn duplicate_names_follow_the_policy() {
    // conflict (default): 409 naming the existing group; nothing changes.
    let stack = start_stack(sim_settings(40), Config::default()).await;
    let users = user_ids(&stack, "active").await;
    let sales = sim_group_by_name(&stack, "Sales").await.expect("Sales");
    let sales_id = sales["id"].as_str().expect("id").to_owned();
    let before = sim_group(&stack, &sales_id).await.expect("group");
    let r = post(
        &stack,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "SALES", "members": [{"value": users[0]}]}),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["scimType"], "uniqueness");
    assert!(
        r.body["detail"]
            .as_str()
            .expect("detail")
            .contains(&sales_id)
    );
    assert_eq!(sim_group(&stack, &sales_id).await.expect("group"), before);
    // Renaming onto a taken name is 409 too.
    let eng = sim_group_by_name(&stack, "Engineering")
        .await
        .expect("Engineering");
    let r = patch(
        &stack,
        &format!("/Groups/{}", eng["id"].as_str().expect("id")),
        json!([{"op": "replace", "path": "displayName", "value": "Sales"}]),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["scimType"], "uniqueness");

    // adopt: 200 with the existing group, the requested members added, nobody removed.
    let mut config = Config::default();
    config.scim.duplicates = DuplicatePolicy::Adopt;
    let stack = start_stack(sim_settings(40), config).await;
    let users = user_ids(&stack, "active").await;
    let sales = sim_group_by_name(&stack, "Sales").await.expect("Sales");
    let sales_id = sales["id"].as_str().expect("id").to_owned();
    let (_, before) = sim_group(&stack, &sales_id).await.expect("group");
    let newcomer = users
        .iter()
        .find(|u| !before.contains(*u))
        .expect("non-member")
        .clone();
    let body =
        json!({"schemas": [GROUP], "displayName": "Sales", "members": [{"value": newcomer}]});
    let r = post(&stack, "/Groups", body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["id"], sales_id.as_str());
    let (_, after) = sim_group(&stack, &sales_id).await.expect("group");
    assert!(after.is_superset(&before));
    assert!(after.contains(&newcomer));
    assert_eq!(members_of(&r.body), after);
    // A re-run import converges: the same answer, no further change.
    let r = post(&stack, "/Groups", body).await;
    assert_eq!(r.status, 200);
    assert_eq!(sim_group(&stack, &sales_id).await.expect("group").1, after);
}

#[tokio::test]
async fn if_match_guards_writes() {
    let stack = start_stack(sim_settings(40), Config::default()).await;
    let users = user_ids(&stack, "active").await;
    let sales = sim_group_by_name(&stack, "Sales").await.expect("Sales");
    let id = sales["id"].as_str().expect("id").to_owned();
    let r = get(&stack, &format!("/Groups/{id}")).await;
    let etag = r.header("etag").expect("etag").to_owned();
    let outsider = users
        .iter()
        .find(|u| !members_of(&r.body).contains(*u))
        .expect("outsider")
        .clone();

    // Someone else changes the group: the version moves on.
    let zoom_add = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "add", "path": "members", "value": [{"value": outsider}]}]),
    )
    .await;
    assert_eq!(zoom_add.status, 204);
    let before = sim_group(&stack, &id).await.expect("group");

    for (method, body) in [
        (
            Method::PATCH,
            Some(
                json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "Stale"}]}),
            ),
        ),
        (
            Method::PUT,
            Some(json!({"schemas": [GROUP], "displayName": "Stale"})),
        ),
        (Method::DELETE, None),
    ] {
        let r = call(
            &stack,
            method.clone(),
            &format!("/Groups/{id}"),
            body,
            &[("if-match", &etag)],
        )
        .await;
        assert_eq!(r.status, 412, "{method}: {}", r.body);
        assert_eq!(
            sim_group(&stack, &id).await.expect("group"),
            before,
            "{method}"
        );
    }

    // The current version (or *) lets the write through.
    let current = get(&stack, &format!("/Groups/{id}")).await;
    let etag = current.header("etag").expect("etag").to_owned();
    assert_ne!(etag, r#"W/"""#);
    let r = call(
        &stack,
        Method::PATCH,
        &format!("/Groups/{id}"),
        Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "Fresh"}]})),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(sim_group(&stack, &id).await.expect("group").0, "Fresh");
    let r = call(
        &stack,
        Method::DELETE,
        &format!("/Groups/{id}"),
        None,
        &[("if-match", "*")],
    )
    .await;
    assert_eq!(r.status, 204);
}

#[tokio::test]
async fn group_deletion_can_be_switched_off() {
    let mut config = Config::default();
    config.scim.group_deletion = false;
    let stack = start_stack(sim_settings(20), config).await;
    let sales = sim_group_by_name(&stack, "Sales").await.expect("Sales");
    let id = sales["id"].as_str().expect("id");
    let r = call(&stack, Method::DELETE, &format!("/Groups/{id}"), None, &[]).await;
    assert_eq!(r.status, 403);
    assert!(
        r.body["detail"]
            .as_str()
            .expect("detail")
            .contains("group_deletion")
    );
    assert!(sim_group(&stack, id).await.is_some());
}

#[tokio::test]
async fn pending_users_join_through_a_user_update() {
    let stack = start_stack(sim_settings(120), Config::default()).await;
    let pending = user_ids(&stack, "pending").await;
    assert!(!pending.is_empty(), "seed has pending users");
    let sales = sim_group_by_name(&stack, "Sales").await.expect("Sales");
    let id = sales["id"].as_str().expect("id").to_owned();
    stack.reset_sim_stats().await;
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "add", "path": "members", "value": [{"value": pending[0]}]}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(r.header("warning").is_none());
    assert!(
        sim_group(&stack, &id)
            .await
            .expect("group")
            .1
            .contains(&pending[0])
    );
    // Zoom ignores pending users in member adds: the service used the documented way.
    assert_eq!(stack.zoom_calls(ADD_MEMBERS).await, 0);
    assert_eq!(stack.zoom_calls("PATCH /users/{userId}").await, 1);

    // The others at once (their joins run side by side), each read back.
    let others = &pending[1..];
    assert!(others.len() >= 2, "seed has several pending users");
    stack.reset_sim_stats().await;
    let values: Vec<Value> = others.iter().map(|u| json!({"value": u})).collect();
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "add", "path": "members", "value": values}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(r.header("warning").is_none());
    let members = sim_group(&stack, &id).await.expect("group").1;
    assert!(others.iter().all(|u| members.contains(u)));
    assert_eq!(
        stack.zoom_calls("PATCH /users/{userId}").await,
        others.len() as u64
    );

    // Zoom answers 204 and drops the join: the read-back finds it, and the answer
    // says so in a Warning instead of claiming it.
    let engineering = sim_group_by_name(&stack, "Engineering")
        .await
        .expect("Engineering");
    let other_id = engineering["id"].as_str().expect("id").to_owned();
    stack
        .add_fault(
            json!({"method": "PATCH", "path": "/users/{userId}", "count": 1,
                          "action": "respond", "status": 204}),
        )
        .await;
    let r = patch(
        &stack,
        &format!("/Groups/{other_id}"),
        json!([{"op": "add", "path": "members", "value": [{"value": pending[0]}]}]),
    )
    .await;
    assert!(r.status == 200 || r.status == 204, "{}", r.body);
    let warning = r.header("warning").expect("a Warning header");
    assert!(
        warning.contains(&format!("pending user {} was not added", pending[0])),
        "{warning}"
    );
    let members = sim_group(&stack, &other_id).await.expect("group").1;
    assert!(!members.contains(&pending[0]));
}

#[tokio::test]
async fn failure_mid_batch_says_what_was_applied_and_a_replay_converges() {
    let mut config = Config::default();
    config.zoom.io_error_retries = 0;
    let stack = start_stack(sim_settings(200), config).await;
    let users = user_ids(&stack, "active").await;
    let r = post(
        &stack,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Batch Team"}),
    )
    .await;
    let id = r.body["id"].as_str().expect("id").to_owned();
    let wanted: Vec<String> = users[..90].to_vec();
    let operations = json!([{"op": "add", "path": "members",
                              "value": wanted.iter().map(|u| json!({"value": u})).collect::<Vec<_>>()}]);

    // One of three add calls fails (the second to reach Zoom; the three run at once).
    stack.add_fault(json!({"method": "POST", "path": "/groups/{groupId}/members", "skip": 1, "count": 1,
               "action": "respond", "status": 503, "body": {"code": 503, "message": "Service Unavailable"}}),
    )
    .await;
    let r = patch(&stack, &format!("/Groups/{id}"), operations.clone()).await;
    assert_eq!(r.status, 503, "{}", r.body);
    let detail = r.body["detail"].as_str().expect("detail");
    let batches: Vec<String> = (1..=3)
        .map(|i| format!("add members, batch {i}/3 (30 users)"))
        .collect();
    // A 5xx leaves the outcome open, and the detail says so.
    let failed: Vec<&String> = batches
        .iter()
        .filter(|b| {
            detail.contains(&format!(
                "'{b}' failed and may or may not have taken effect"
            ))
        })
        .collect();
    assert_eq!(failed.len(), 1, "{detail}");
    let applied: Vec<&String> = batches.iter().filter(|b| *b != failed[0]).collect();
    assert!(
        detail.contains(&format!("Applied: {}, {}.", applied[0], applied[1])),
        "{detail}"
    );
    assert!(detail.contains("Not attempted: none."), "{detail}");
    assert!(
        detail.contains("again applies only what is missing"),
        "{detail}"
    );
    let (_, members) = sim_group(&stack, &id).await.expect("group");
    assert_eq!(members.len(), 60);
    assert!(members.is_subset(&set(&wanted)));

    // The same request again finishes the job. The user roster vouches for the 90
    // users without reading them, and it does not hold their groups, so each batch is
    // sent again: Zoom's add is idempotent (the 60 members stay, once).
    stack.reset_sim_stats().await;
    let r = patch(&stack, &format!("/Groups/{id}"), operations).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(sim_group(&stack, &id).await.expect("group").1, set(&wanted));
    assert_eq!(stack.zoom_calls(ADD_MEMBERS).await, 3);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 0);

    // A removal failing part-way through an Okta full push, then the replay. Ten
    // removals, up to eight at once: the fifth to reach Zoom fails, the others already
    // started end, and no new one starts. The detail accounts for each of the ten, and
    // Zoom's membership agrees with it.
    let keep: Vec<String> = wanted[10..].to_vec();
    let operations = json!([{"op": "replace", "path": "members",
                              "value": keep.iter().map(|u| json!({"value": u})).collect::<Vec<_>>()}]);
    stack.add_fault(json!({"method": "DELETE", "path": "/groups/{groupId}/members/{memberId}", "skip": 4, "count": 1,
               "action": "respond", "status": 500}),
    )
    .await;
    let r = patch(&stack, &format!("/Groups/{id}"), operations.clone()).await;
    assert_eq!(r.status, 503, "{}", r.body);
    let detail = r.body["detail"].as_str().expect("detail");
    let section = |start: &str, end: &str| {
        let from = detail.find(start).expect(start) + start.len();
        detail[from..][..detail[from..].find(end).expect(end)].to_owned()
    };
    let (applied, not_attempted) = (section("Applied: ", ". '"), section("Not attempted: ", "."));
    let members = sim_group(&stack, &id).await.expect("group").1;
    let mut failed = 0;
    for u in &wanted[..10] {
        let label = format!("remove member {u}");
        if detail.contains(&format!("'{label}' failed and may or may not")) {
            failed += 1;
            assert!(members.contains(u), "a 500 changed nothing");
        } else if applied.contains(&label) {
            assert!(!members.contains(u), "{u} applied, so removed");
        } else {
            assert!(
                not_attempted.contains(&label),
                "{u} unaccounted for: {detail}"
            );
            assert!(members.contains(u), "{u} not attempted, so still a member");
        }
    }
    assert_eq!(failed, 1, "{detail}");
    assert!(applied.matches("remove member").count() >= 4, "{detail}");
    let r = patch(&stack, &format!("/Groups/{id}"), operations).await;
    assert_eq!(r.status, 204);
    assert_eq!(sim_group(&stack, &id).await.expect("group").1, set(&keep));

    // A rename refused by Zoom: nothing else is attempted.
    let before = sim_group(&stack, &id).await.expect("group");
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "replace", "path": "displayName", "value": "Sales"},
               {"op": "remove", "path": "members"}]),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(sim_group(&stack, &id).await.expect("group"), before);
}

/// The member calls of one group write run several at once (up to eight), so a large
/// change takes Zoom's rate, not the sum of its latencies.
#[tokio::test]
async fn member_calls_of_one_write_run_at_once() {
    let sim = SimSettings {
        latency_ms: 30,
        ..sim_settings(200)
    };
    let stack = start_stack(sim, Config::default()).await;
    let users = user_ids(&stack, "active").await;
    let values = |ids: &[String]| ids.iter().map(|u| json!({"value": u})).collect::<Vec<_>>();
    let r = post(
        &stack,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Many At Once", "members": values(&users[..90])}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&users[..90])
    );

    // 40 removals: eight at a time.
    stack.reset_sim_stats().await;
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "replace", "path": "members", "value": values(&users[40..90])}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let members = sim_group(&stack, &id).await.expect("group").1;
    assert_eq!(members, set(&users[40..90]));
    let stats = stack.sim_admin("stats").await;
    assert_eq!(stats["requests"][REMOVE_MEMBER], 40, "{stats}");
    assert_eq!(stats["peak_in_flight"], 8, "{stats}");
}

#[tokio::test]
async fn user_side_helper_moves_a_user_between_groups_by_difference() {
    use zoom_scim::provider::progress::Progress;
    use zoom_scim::provider::{GroupMember, Provider};

    let stack = start_stack(sim_settings(40), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let user = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| {
            u["status"] == "active" && u["group_ids"].as_array().is_some_and(|g| g.len() == 1)
        })
        .expect("user in one group")
        .clone();
    let user_id = user["id"].as_str().expect("id");
    let current: Vec<String> = vec![user["group_ids"][0].as_str().expect("group").to_owned()];
    let others: Vec<String> = state["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["id"].as_str().map(str::to_owned))
        .filter(|g| *g != current[0])
        .take(2)
        .collect();

    let store_dir = tempfile::tempdir().expect("store dir");
    let mut config = Config::default();
    config.store.url = crate::support::sqlite_url(&store_dir);
    let store = zoom_scim::store::Store::open(&config.store)
        .await
        .expect("store");
    let provider = crate::support::provider_for(&stack.sim, config, store);

    // Unknown group ids are refused up front.
    let err = provider
        .check_groups_exist(&[others[0].clone(), "NoSuchGroup".into()])
        .await
        .unwrap_err();
    assert_eq!(err.status, 400);
    assert!(err.detail.contains("NoSuchGroup") && !err.detail.contains(&others[0]));

    let desired = others.clone();
    let labels = Provider::user_group_labels(&current, &desired);
    assert_eq!(labels.len(), 3);
    let mut progress = Progress::new(format!("update user {user_id}"), labels);
    provider
        .apply_user_groups(
            GroupMember {
                id: user_id,
                pending: false,
            },
            &current,
            &desired,
            &mut progress,
        )
        .await
        .expect("applied");
    assert_eq!(progress.applied_steps().len(), 3);
    let state = stack.sim_admin("state").await;
    let after = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == user_id)
        .expect("user")["group_ids"]
        .clone();
    let after: HashSet<String> = after
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert_eq!(after, set(&desired));
}

/// Measurement, not a check: a 10,000-member group created through SCIM, read back, and
/// pushed again (Okta's full replace) with a delta of 5 in and 5 out, with the Zoom
/// client's own pacing for a Business account (the simulator does not throttle).
/// `cargo test --release --test integration scim_groups::measure_10k_member_group -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "measurement; run alone with --ignored --nocapture"]
async fn measure_10k_member_group() {
    use std::time::Instant;
    let config = Config::default();
    let stack = start_stack(sim_settings(11_500), config).await;
    let active = user_ids(&stack, "active").await;
    let inactive = user_ids(&stack, "inactive").await;
    let pool: Vec<String> = active.iter().chain(&inactive).cloned().collect();
    assert!(pool.len() >= 10_005, "{} users", pool.len());
    let mut members: Vec<String> = pool[..10_000].to_vec();
    let values = |ids: &[String]| ids.iter().map(|u| json!({"value": u})).collect::<Vec<_>>();

    stack.reset_sim_stats().await;
    let t = Instant::now();
    let r = post(
        &stack,
        "/Groups?excludedAttributes=members",
        json!({"schemas": [GROUP], "displayName": "Ten Thousand", "members": values(&members)}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    let stats = stack.sim_admin("stats").await;
    println!(
        "create with 10,000 members: {:?}, Zoom calls {} ({} adds, {} user list pages, {} user reads)",
        t.elapsed(),
        stats["total"],
        stats["requests"][ADD_MEMBERS],
        stats["requests"]["GET /users"],
        stats["requests"]["GET /users/{userId}"]
    );

    stack.reset_sim_stats().await;
    let t = Instant::now();
    let r = get(&stack, &format!("/Groups/{id}")).await;
    assert_eq!(members_of(&r.body).len(), 10_000);
    let stats = stack.sim_admin("stats").await;
    println!(
        "read with members: {:?}, Zoom calls {}",
        t.elapsed(),
        stats["total"]
    );

    stack.reset_sim_stats().await;
    members.drain(..5);
    members.extend(pool[10_000..10_005].iter().cloned());
    let t = Instant::now();
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "replace", "path": "members", "value": values(&members)}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let stats = stack.sim_admin("stats").await;
    println!(
        "full push, delta 5 in / 5 out: {:?}, Zoom calls {} ({} member pages, {} adds, {} removals)",
        t.elapsed(),
        stats["total"],
        stats["requests"][LIST_MEMBERS],
        stats["requests"][ADD_MEMBERS],
        stats["requests"][REMOVE_MEMBER]
    );
    assert_eq!(
        sim_group(&stack, &id).await.expect("group").1,
        set(&members)
    );
}

#[tokio::test]
async fn a_group_create_whose_outcome_is_unknown_never_takes_over_an_existing_group() {
    let stack = start_stack(sim_settings(40), Config::default()).await;
    let legal = sim_group_by_name(&stack, "Legal")
        .await
        .expect("seeded Legal");
    let legal_id = legal["id"].as_str().unwrap().to_owned();
    let members_before = sim_group(&stack, &legal_id).await.unwrap().1;
    // A taken name is found in the group list before any create is sent, so a create
    // whose answer is lost can only be this request's.
    stack.reset_sim_stats().await;
    let r = post(
        &stack,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "legal"}),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["scimType"], "uniqueness");
    assert_eq!(stack.zoom_calls("POST /groups").await, 0);
    assert_eq!(
        sim_group(&stack, &legal_id).await.unwrap().1,
        members_before
    );

    // New names: a gateway error before Zoom acted (replayed), and a create that took
    // effect and lost its answer (found, not replayed). Each group is created once.
    for (name, fault, posts) in [
        (
            "Gateway Error",
            json!({"action": "respond", "status": 502, "body": "<html>502 Bad Gateway</html>"}),
            2,
        ),
        ("Lost Answer", json!({"action": "apply_then_drop"}), 1),
    ] {
        let mut spec = json!({"method": "POST", "path": "/groups", "count": 1});
        spec.as_object_mut()
            .unwrap()
            .extend(fault.as_object().unwrap().clone());
        stack.add_fault(spec).await;
        stack.reset_sim_stats().await;
        let r = post(
            &stack,
            "/Groups",
            json!({"schemas": [GROUP], "displayName": name}),
        )
        .await;
        assert_eq!(r.status, 201, "{name}: {}", r.body);
        assert_eq!(stack.zoom_calls("POST /groups").await, posts, "{name}");
        let state = stack.sim_admin("state").await;
        let named = state["groups"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["name"] == name)
            .count();
        assert_eq!(named, 1, "{name}: created exactly once");
    }
}

#[tokio::test]
async fn ids_longer_than_any_zoom_id_are_unknown_without_asking_zoom() {
    let stack = start_stack(sim_settings(40), Config::default()).await;
    let legal = sim_group_by_name(&stack, "Legal")
        .await
        .expect("seeded Legal");
    let legal_id = legal["id"].as_str().unwrap().to_owned();
    let huge = "a".repeat(5_000);
    stack.reset_sim_stats().await;
    let r = get(&stack, &format!("/Users/{huge}")).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = get(&stack, &format!("/Groups/{huge}")).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = patch(
        &stack,
        &format!("/Groups/{legal_id}"),
        json!([{"op": "add", "path": "members", "value": [{"value": huge}]}]),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().len() < 600, "{}", r.body);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(
        stats["requests"]["GET /users/{userId}"],
        Value::Null,
        "{stats}"
    );
    assert_eq!(
        stats["requests"]["GET /groups/{groupId}"],
        Value::Null,
        "{stats}"
    );
}
