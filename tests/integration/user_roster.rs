//! The user roster (`scim.user_roster_ttl_s`): once a write has had the active and
//! inactive lists walked, deletes and group member adds of confirmed users make no
//! `GET /users/{userId}` (Light), users the roster does not list (pending invitees)
//! are still read first, a user gone from Zoom since the walk still answers 404, and a
//! refusal Zoom gives the unread write falls back to reading the user.

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;

use crate::support::{Stack, sim_settings, start_stack};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const READ_USER: &str = "GET /users/{userId}";
const LIST_USERS: &str = "GET /users";
const SET_STATUS: &str = "PUT /users/{userId}/status";
const ADD_MEMBERS: &str = "POST /groups/{groupId}/members";

fn calls(stats: &Value, endpoint: &str) -> u64 {
    stats["requests"][endpoint].as_u64().unwrap_or(0)
}

/// Deletes `id` through SCIM (the first write, which starts the roster's walk), then
/// waits for the walk (both lists) to end.
async fn walk_roster_with_a_delete(stack: &Stack, id: &str) {
    stack.reset_sim_stats().await;
    let answer = stack
        .scim(Method::DELETE, &format!("/Users/{id}"), None, &[])
        .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let stats = stack.sim_admin("stats").await;
        if calls(&stats, LIST_USERS) >= 2 && stats["in_flight"] == 0 {
            // The answer has left the simulator; give the service time to file it.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            return;
        }
    }
    panic!("the user roster's walk did not end within 5 s");
}

/// Whether the simulator's record `user` lists `group` among its groups.
fn in_group(user: &Value, group: &str) -> bool {
    user["group_ids"]
        .as_array()
        .is_some_and(|g| g.iter().any(|g| g == group))
}

fn add_member(user_id: &str) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": user_id}]}
    ]})
}

async fn first_group(stack: &Stack) -> String {
    let state = stack.sim_admin("state").await;
    state["groups"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn writes_to_confirmed_users_skip_the_user_read() {
    let stack = start_stack(sim_settings(60), Config::default()).await;
    let active = stack.sim_members("active").await;
    let first = active[0]["id"].as_str().unwrap();
    walk_roster_with_a_delete(&stack, first).await;
    let stats = stack.sim_admin("stats").await;
    assert_eq!(
        calls(&stats, READ_USER),
        1,
        "before the walk: read, then write"
    );
    // Operators see the walk in the metrics.
    let metrics_url = stack.service.scim_base_url.replace("/scim/v2", "/metrics");
    let metrics = stack.http.get(metrics_url).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("roster_walks_total{roster=\"user_roster\",outcome=\"ok\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("roster_entries{roster=\"user_roster\"}"),
        "{metrics}"
    );
    assert_eq!(stack.sim_user(first).await.unwrap()["status"], "inactive");

    // A delete of a confirmed user: the status change alone.
    let second = active[1]["id"].as_str().unwrap();
    stack.reset_sim_stats().await;
    let answer = stack
        .scim(Method::DELETE, &format!("/Users/{second}"), None, &[])
        .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(calls(&stats, READ_USER), 0, "{stats}");
    assert_eq!(calls(&stats, SET_STATUS), 1);
    assert_eq!(stack.sim_user(second).await.unwrap()["status"], "inactive");
    // Deleting it again: the roster now lists it inactive, so it is read and left alone.
    stack.reset_sim_stats().await;
    let again = stack
        .scim(Method::DELETE, &format!("/Users/{second}"), None, &[])
        .await;
    assert_eq!(again.status, 204);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(
        (calls(&stats, READ_USER), calls(&stats, SET_STATUS)),
        (1, 0)
    );

    // A member add of a confirmed user: the add alone; the user is in the group.
    let group = first_group(&stack).await;
    let joiner = active
        .iter()
        .skip(2)
        .find(|u| !in_group(u, &group))
        .expect("an active user outside the group");
    let joiner = joiner["id"].as_str().unwrap();
    stack.reset_sim_stats().await;
    let answer = stack
        .scim(
            Method::PATCH,
            &format!("/Groups/{group}"),
            Some(add_member(joiner)),
            &[],
        )
        .await;
    assert!(matches!(answer.status, 200 | 204), "{}", answer.body);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(calls(&stats, READ_USER), 0, "{stats}");
    assert_eq!(calls(&stats, ADD_MEMBERS), 1);
    let joined = stack.sim_user(joiner).await.unwrap();
    assert!(in_group(&joined, &group), "{joined}");

    // A pending invitee is not on the roster: read first, and it joins the other way.
    let pending = stack.sim_members("pending").await;
    let invitee = pending[0]["id"].as_str().unwrap();
    stack.reset_sim_stats().await;
    let answer = stack
        .scim(
            Method::PATCH,
            &format!("/Groups/{group}"),
            Some(add_member(invitee)),
            &[],
        )
        .await;
    assert!(matches!(answer.status, 200 | 204), "{}", answer.body);
    let stats = stack.sim_admin("stats").await;
    assert!(calls(&stats, READ_USER) >= 1, "{stats}");
    assert_eq!(calls(&stats, ADD_MEMBERS), 0, "{stats}");

    // An admin: Zoom will not change its status, so it is read first (one status call,
    // refused), as without the roster.
    let admin = stack.sim_admin("state").await["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["role_id"] == "1" && u["status"] == "active")
        .expect("a seeded admin")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    stack.reset_sim_stats().await;
    let answer = stack
        .scim(Method::DELETE, &format!("/Users/{admin}"), None, &[])
        .await;
    assert!(answer.status >= 400, "{}", answer.body);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(
        (calls(&stats, READ_USER), calls(&stats, SET_STATUS)),
        (1, 1),
        "{stats}"
    );

    // A pending invitee's delete withdraws the invitation, as without the roster.
    let withdrawn = pending[1]["id"].as_str().unwrap();
    let answer = stack
        .scim(Method::DELETE, &format!("/Users/{withdrawn}"), None, &[])
        .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert!(stack.sim_user(withdrawn).await.is_none());
}

#[tokio::test]
async fn a_user_gone_since_the_walk_is_404_and_a_refusal_is_decided_by_a_read() {
    let stack = start_stack(sim_settings(60), Config::default()).await;
    let active = stack.sim_members("active").await;
    walk_roster_with_a_delete(&stack, active[0]["id"].as_str().unwrap()).await;

    // Deleted in Zoom directly after the walk.
    let gone = active[1]["id"].as_str().unwrap();
    let token = stack.zoom_token().await;
    let response = stack
        .http
        .delete(format!(
            "{}/users/{gone}?action=delete",
            stack.sim.api_base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let answer = stack
        .scim(Method::DELETE, &format!("/Users/{gone}"), None, &[])
        .await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    let group = first_group(&stack).await;
    let answer = stack
        .scim(
            Method::PATCH,
            &format!("/Groups/{group}"),
            Some(add_member(gone)),
            &[],
        )
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.detail().contains(gone), "{}", answer.detail());

    // Zoom refuses a member add of users the roster vouched for (as it might for a
    // user already in the group): they are read, members are dropped, the rest sent
    // again.
    let state = stack.sim_admin("state").await;
    let member = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["status"] == "active" && in_group(u, &group))
        .expect("an active member of the group")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let newcomer = active
        .iter()
        .skip(3)
        .find(|u| !in_group(u, &group))
        .expect("an active user outside the group")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    stack
        .add_fault(
            json!({"method": "POST", "path": "/groups/{groupId}/members", "count": 1,
                          "action": "respond", "status": 400,
                          "body": {"code": 300, "message": "Simulated refusal."}}),
        )
        .await;
    stack.reset_sim_stats().await;
    let both = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": member}, {"value": newcomer}]}
    ]});
    let answer = stack
        .scim(Method::PATCH, &format!("/Groups/{group}"), Some(both), &[])
        .await;
    assert!(matches!(answer.status, 200 | 204), "{}", answer.body);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(
        (calls(&stats, ADD_MEMBERS), calls(&stats, READ_USER)),
        (2, 2),
        "{stats}"
    );
    let joined = stack.sim_user(&newcomer).await.unwrap();
    assert!(in_group(&joined, &group), "{joined}");

    // Zoom refuses the unread status change once: the user is read and the delete
    // decided again, and goes through.
    let refused = active[2]["id"].as_str().unwrap();
    stack
        .add_fault(
            json!({"method": "PUT", "path": "/users/{userId}/status", "count": 1,
                          "action": "respond", "status": 400,
                          "body": {"code": 300, "message": "Simulated refusal."}}),
        )
        .await;
    stack.reset_sim_stats().await;
    let answer = stack
        .scim(Method::DELETE, &format!("/Users/{refused}"), None, &[])
        .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let stats = stack.sim_admin("stats").await;
    assert_eq!(
        (calls(&stats, SET_STATUS), calls(&stats, READ_USER)),
        (2, 1),
        "{stats}"
    );
    assert_eq!(stack.sim_user(refused).await.unwrap()["status"], "inactive");
}

#[tokio::test]
async fn turned_off_every_delete_reads_first_and_no_walk_is_made() {
    let mut config = Config::default();
    config.scim.user_roster_ttl_s = 0;
    let stack = start_stack(sim_settings(40), config).await;
    let active = stack.sim_members("active").await;
    for user in &active[..2] {
        let id = user["id"].as_str().unwrap();
        stack.reset_sim_stats().await;
        let answer = stack
            .scim(Method::DELETE, &format!("/Users/{id}"), None, &[])
            .await;
        assert_eq!(answer.status, 204, "{}", answer.body);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let stats = stack.sim_admin("stats").await;
        assert_eq!(calls(&stats, READ_USER), 1);
        assert_eq!(calls(&stats, LIST_USERS), 0);
    }
}
