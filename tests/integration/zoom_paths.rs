//! Black-box tests that no SCIM request reaches a Zoom resource other than the one its
//! operation names: ids made of dots, empty ids, Zoom's `me` alias and e-mails in
//! member removals, and removals of made-up ids. The simulator's own request log
//! (`recent_requests` in `/_sim/stats`, paths as they arrived) is the witness.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;

use crate::support::{Stack, sim_settings, start_stack, urlencode};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn patch_group(stack: &Stack, id: &str, operations: Value) -> crate::support::Reply {
    stack
        .scim(
            Method::PATCH,
            &format!("/Groups/{id}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": operations})),
            &[],
        )
        .await
}

async fn members(stack: &Stack, group_id: &str) -> HashSet<String> {
    let state = stack.sim_admin("state").await;
    state["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["id"] == group_id)
        .expect("the group still exists")["member_ids"]
        .as_array()
        .expect("member ids")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The requests the simulator received, `"METHOD /path"` as sent.
async fn received(stack: &Stack) -> Vec<String> {
    stack.sim_admin("stats").await["recent_requests"]
        .as_array()
        .expect("recent_requests")
        .iter()
        .map(|v| v.as_str().expect("string").to_owned())
        .collect()
}

/// Whether `path` matches `template`, where `*` stands for one segment that can only
/// name a resource (not empty, not `.` or `..`).
fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if *t == "*" {
                !p.is_empty() && *p != "." && *p != ".."
            } else {
                t == p
            }
        })
}

#[tokio::test]
async fn no_scim_request_reaches_a_zoom_path_its_operation_does_not_name() {
    let stack = start_stack(sim_settings(40), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let users = state["users"].as_array().expect("users");
    let active: Vec<&Value> = users.iter().filter(|u| u["status"] == "active").collect();
    let owner = users
        .iter()
        .find(|u| u["id"] == state["account"]["owner_id"])
        .expect("the account owner");
    let owner_id = owner["id"].as_str().expect("owner id").to_owned();
    let owner_email = owner["email"].as_str().expect("owner e-mail").to_owned();
    let groups = state["groups"].as_array().expect("groups");
    let group_id = groups[0]["id"].as_str().expect("group id").to_owned();

    // The owner and one user are members; another active user is not.
    let member = active
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .find(|id| *id != owner_id)
        .expect("a member");
    let r = patch_group(
        &stack,
        &group_id,
        json!([{"op": "add", "path": "members", "value": [{"value": owner_id}, {"value": member}]}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let before = members(&stack, &group_id).await;
    let outsider = active
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .find(|id| !before.contains(id))
        .expect("a user who is not a member");

    stack.reset_sim_stats().await;

    // Member removals that name no member id of the group: 400, nothing removed.
    for bad in ["..", ".", "", "me", owner_email.as_str()] {
        for path in [format!("members[value eq \"{bad}\"]"), "members".to_owned()] {
            let op = if path == "members" {
                json!({"op": "remove", "path": path, "value": [{"value": bad}]})
            } else {
                json!({"op": "remove", "path": path})
            };
            let r = patch_group(&stack, &group_id, json!([op])).await;
            assert_eq!(r.status, 400, "removing {bad:?} via {path}: {}", r.body);
            assert_eq!(r.body["scimType"], "invalidValue", "{}", r.body);
        }
    }
    // 2,000 made-up ids: one 400 naming them, no call that removes anyone.
    let calls_before = received(&stack).await.len();
    let made_up: Vec<Value> = (0..2000)
        .map(|i| json!({"value": format!("madeUpUser{i:05}")}))
        .collect();
    let r = patch_group(
        &stack,
        &group_id,
        json!([{"op": "remove", "path": "members", "value": made_up}]),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.detail().contains("madeUpUser00000"), "{}", r.body);
    let calls = received(&stack).await.len() - calls_before;
    assert!(calls <= 10, "2,000 made-up ids cost {calls} Zoom calls");
    assert_eq!(members(&stack, &group_id).await, before);

    // A user who is not a member: a no-op, answered without a removal call.
    let r = patch_group(
        &stack,
        &group_id,
        json!([{"op": "remove", "path": format!("members[value eq \"{outsider}\"]")}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        stack
            .zoom_calls("DELETE /groups/{groupId}/members/{memberId}")
            .await,
        0
    );

    // Ids of dots or nothing in the resource path of every operation.
    for id in ["%2E%2E", "%2E", "..%2F..", "%2E%2E%2Fmembers"] {
        let r = patch_group(
            &stack,
            id,
            json!([{"op": "remove", "path": format!("members[value eq \"{member}\"]")},
                   {"op": "add", "path": "members", "value": [{"value": member}]}]),
        )
        .await;
        assert!(
            r.status == 404 || r.status == 400,
            "PATCH /Groups/{id}: {} {}",
            r.status,
            r.body
        );
        for (method, base) in [(Method::DELETE, "Groups"), (Method::DELETE, "Users")] {
            let r = stack
                .scim(method.clone(), &format!("/{base}/{id}"), None, &[])
                .await;
            assert_eq!(r.status, 404, "{method} /{base}/{id}: {}", r.body);
        }
        let r = stack
            .scim(Method::GET, &format!("/Users/{id}"), None, &[])
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
    }
    for filter in ["id eq \"..\"", "id eq \".\"", "id eq \"\""] {
        let r = stack
            .scim(
                Method::GET,
                &format!("/Users?filter={}", urlencode(filter)),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        assert_eq!(r.body["totalResults"], 0, "{filter}: {}", r.body);
        let r = stack
            .scim(
                Method::GET,
                &format!("/Groups?filter={}", urlencode(filter)),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        assert_eq!(r.body["totalResults"], 0, "{filter}: {}", r.body);
    }

    // Everything so far changed nothing, and only reads reached Zoom.
    assert_eq!(members(&stack, &group_id).await, before);
    let reads = [
        "/oauth/token",
        "/v2/users",
        "/v2/users/*",
        "/v2/groups",
        "/v2/groups/*",
        "/v2/groups/*/members",
        "/v2/roles",
        "/v2/phone/users",
        "/v2/phone/users/*",
        "/v2/phone/sites",
    ];
    // Ids with an encoded slash are one segment naming a resource Zoom does not have;
    // writes to that very resource are what the operation names (Zoom answers 404).
    let named: Vec<String> = ["..%2F..", "..%2Fmembers"]
        .iter()
        .flat_map(|w| {
            [
                format!("POST /v2/groups/{w}/members"),
                format!("DELETE /v2/groups/{w}"),
                format!("DELETE /v2/groups/{w}/members/{member}"),
                format!("PUT /v2/users/{w}/status"),
                format!("DELETE /v2/users/{w}"),
            ]
        })
        .collect();
    for request in received(&stack).await {
        let (method, path) = request.split_once(' ').expect("METHOD /path");
        let allowed = match method {
            "GET" => reads.iter().any(|t| matches(t, path)),
            "POST" if path == "/oauth/token" => true,
            _ => named.contains(&request),
        };
        assert!(allowed, "a refused request reached Zoom as {request}");
    }

    // The real removal reaches exactly the member's path, and nothing else moves.
    stack.reset_sim_stats().await;
    let r = patch_group(
        &stack,
        &group_id,
        json!([{"op": "remove", "path": format!("members[value eq \"{member}\"]")}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let mut after = before.clone();
    after.remove(&member);
    assert_eq!(members(&stack, &group_id).await, after);
    let writes: Vec<String> = received(&stack)
        .await
        .into_iter()
        .filter(|r| !r.starts_with("GET ") && !r.starts_with("POST /oauth/token"))
        .collect();
    assert_eq!(
        writes,
        vec![format!("DELETE /v2/groups/{group_id}/members/{member}")]
    );
}
