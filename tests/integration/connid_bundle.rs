//! The ConnId SCIM bundle (Tirasa `SCIMv2Connector`) as midPoint drives it
//! (docs/clients.md section 3.2), replayed against an account larger than any page:
//! `application/json` both ways, a reconciliation without `count`, `username eq` in
//! lower case, creates re-run after a lost answer, PATCH updates with full-URN paths,
//! `__ENABLE__` as a string, members added with `$ref` and removed by filter, delete.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::provider::DuplicatePolicy;
use zoom_scim::scim::model::urn;

use crate::support::{SCIM_TOKEN, Stack, sim_settings, start_stack, urlencode};

const USERS: usize = 1_500;
const ATTRIBUTES: &str = "emails,active,title,userName,id,name";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A request as the bundle sends it: `application/json` for the body and the answer.
async fn connid(stack: &Stack, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = stack
        .http
        .request(method, format!("{}{path}", stack.service.scim_base_url))
        .bearer_auth(SCIM_TOKEN)
        .header("accept", "application/json");
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn patch(operations: Value) -> Value {
    json!({"schemas": [urn::PATCH_OP], "Operations": operations})
}

async fn sim_members(stack: &Stack, group: &str) -> HashSet<String> {
    let state = stack.sim_admin("state").await;
    state["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == group)
        .expect("group")["member_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn midpoint_through_the_connid_bundle_works_end_to_end() {
    let mut config = Config::default();
    config.scim.duplicates = DuplicatePolicy::Adopt;
    let stack = start_stack(sim_settings(USERS), config).await;
    let state = stack.sim_admin("state").await;
    let zoom_ids: HashSet<String> = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();

    // Test connection.
    let (status, body) = connid(
        &stack,
        Method::GET,
        "/Users?startIndex=1&count=1&attributes=userName",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Resources"].as_array().unwrap().len(), 1);

    // Reconciliation with no page size: one request, taken as the whole account.
    let (status, body) = connid(
        &stack,
        Method::GET,
        &format!("/Users?attributes={}", urlencode(ATTRIBUTES)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let listed: Vec<&str> = body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), zoom_ids.len(), "every account, once");
    assert_eq!(
        listed.iter().map(|s| s.to_string()).collect::<HashSet<_>>(),
        zoom_ids
    );
    assert_eq!(body["totalResults"], zoom_ids.len());

    // Look-up by name, attribute in lower case, before the create.
    let email = "connid.new@example.com";
    let by_name = format!(
        "/Users?filter={}",
        urlencode(&format!("username eq \"{email}\""))
    );
    let (status, body) = connid(&stack, Method::GET, &by_name, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["totalResults"], 0);

    // Create; the answer is lost and midPoint runs it again: the same user, not two.
    let new_user = json!({
        "schemas": [urn::USER],
        "userName": email,
        "name": {"givenName": "Conn", "familyName": "Id"},
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true,
    });
    let (status, created) = connid(&stack, Method::POST, "/Users", Some(new_user.clone())).await;
    assert_eq!(status, 201, "{created}");
    let new_id = created["id"].as_str().unwrap().to_owned();
    let (status, again) = connid(&stack, Method::POST, "/Users", Some(new_user)).await;
    assert!(status == 200 || status == 201, "{status} {again}");
    assert_eq!(again["id"], new_id.as_str(), "adopted, not duplicated");
    let (_, body) = connid(&stack, Method::GET, &by_name, None).await;
    assert_eq!(body["totalResults"], 1);

    // Update by PATCH, one replace per attribute, full-URN paths for the extension.
    let member = stack.active_member().await;
    let id = member["id"].as_str().unwrap().to_owned();
    let (status, body) = connid(
        &stack,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(patch(json!([
            {"op": "replace", "path": "name.givenName", "value": "Renamed"},
            {"op": "replace", "path": "title", "value": "Bundle Title"},
            {"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Bundle Dept"},
        ]))),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let zoom = stack.sim_user(&id).await.unwrap();
    assert_eq!(zoom["first_name"], "Renamed");
    assert_eq!(zoom["job_title"], "Bundle Title");
    assert_eq!(zoom["dept"], "Bundle Dept");

    // The non-delta update: a partial PUT; what it leaves out stays.
    let (status, body) = connid(
        &stack,
        Method::PUT,
        &format!("/Users/{id}"),
        Some(json!({"schemas": [urn::USER], "userName": member["email"], "title": "Put Title"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let zoom = stack.sim_user(&id).await.unwrap();
    assert_eq!(zoom["job_title"], "Put Title");
    assert_eq!(zoom["first_name"], "Renamed", "an omitted attribute stays");

    // Disable and enable through ConnId's own attribute, as a string.
    for (value, zoom_status) in [("false", "inactive"), ("true", "active")] {
        let (status, body) = connid(
            &stack,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(patch(
                json!([{"op": "replace", "path": "__ENABLE__", "value": value}]),
            )),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["active"], value == "true");
        assert_eq!(stack.sim_user(&id).await.unwrap()["status"], zoom_status);
    }

    // Group membership: an add carrying `$ref` and `display`, then removals by filter
    // with a `value` array beside them, and several at once.
    let group = state["groups"].as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsiders: Vec<String> = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["status"] == "active" && u["role_id"] == "2")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .filter(|u| {
            !state["groups"][0]["member_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == u.as_str())
        })
        .take(3)
        .collect();
    assert_eq!(outsiders.len(), 3);
    let base = &stack.service.scim_base_url;
    let values: Vec<Value> = outsiders
        .iter()
        .map(|u| json!({"value": u, "$ref": format!("{base}/Users/{u}"), "display": u}))
        .collect();
    let (status, body) = connid(
        &stack,
        Method::PATCH,
        &format!("/Groups/{group}"),
        Some(patch(
            json!([{"op": "add", "path": "members", "value": values}]),
        )),
    )
    .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let members = sim_members(&stack, &group).await;
    assert!(outsiders.iter().all(|u| members.contains(u)));

    let (a, b, c) = (&outsiders[0], &outsiders[1], &outsiders[2]);
    let (status, body) = connid(
        &stack,
        Method::PATCH,
        &format!("/Groups/{group}"),
        Some(patch(json!([{
            "op": "remove",
            "path": format!("members[value eq \"{a}\"]"),
            "value": [{"value": a}],
        }]))),
    )
    .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let (status, body) = connid(
        &stack,
        Method::PATCH,
        &format!("/Groups/{group}"),
        Some(patch(json!([{
            "op": "remove",
            "path": format!("members[value eq \"{b}\" or value eq \"{c}\"]"),
        }]))),
    )
    .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let after = sim_members(&stack, &group).await;
    assert!(
        outsiders.iter().all(|u| !after.contains(u)),
        "all three removed"
    );
    assert_eq!(after.len(), members.len() - 3, "no one else removed");

    // Delete the created user; a second delete is 404, as the bundle expects.
    let (status, _) = connid(&stack, Method::DELETE, &format!("/Users/{new_id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = connid(&stack, Method::GET, &format!("/Users/{new_id}"), None).await;
    assert_eq!(status, 404);
}
