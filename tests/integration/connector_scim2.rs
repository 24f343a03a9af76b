//! ExclamationLabs connector-scim2 (midPoint's generic SCIM connector, the Java Zoom
//! connector's sibling), as it updates a user (docs/clients.md section 3.3): GET, a full
//! PUT of the merged user, then PATCHes of the user's `groups` (read-only in RFC 7643,
//! taken here as the membership changes they mean).

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::scim::model::urn;

use crate::support::{sim_settings, start_stack};

#[tokio::test]
async fn an_update_with_group_patches_moves_the_user_between_groups() {
    let stack = start_stack(sim_settings(30), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let user = stack.active_member().await;
    let id = user["id"].as_str().unwrap().to_owned();
    let groups: Vec<Value> = state["groups"].as_array().unwrap().clone();
    let member_of = |g: &Value| {
        g["member_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == id.as_str())
    };
    let leave = groups
        .iter()
        .find(|g| member_of(g))
        .expect("a group the user is in")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let join = groups
        .iter()
        .find(|g| !member_of(g))
        .expect("a group the user is not in")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // GET, merge, PUT the whole user (its groups as read, which PUT ignores).
    let (status, mut current) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200);
    current["title"] = json!("Connector Title");
    let put = stack
        .scim(Method::PUT, &format!("/Users/{id}"), Some(current), &[])
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["title"], "Connector Title");

    // Then the groups, one PATCH each, as the connector sends them.
    let remove = json!({"schemas": [urn::PATCH_OP], "Operations": [
        {"op": "remove", "path": format!("groups[value eq \"{leave}\"]")}]});
    let r = stack
        .scim(Method::PATCH, &format!("/Users/{id}"), Some(remove), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let add = json!({"schemas": [urn::PATCH_OP], "Operations": [
        {"op": "add", "path": "groups", "value": [{"value": join}]}]});
    let r = stack
        .scim(Method::PATCH, &format!("/Users/{id}"), Some(add), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let shown: Vec<&str> = r.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["value"].as_str())
        .collect();
    assert!(shown.contains(&join.as_str()), "{shown:?}");
    assert!(!shown.contains(&leave.as_str()), "{shown:?}");

    let state = stack.sim_admin("state").await;
    let members = |gid: &str| {
        state["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == gid)
            .unwrap()["member_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == id.as_str())
    };
    assert!(members(&join), "joined in Zoom");
    assert!(!members(&leave), "left in Zoom");
    assert_eq!(
        stack.sim_user(&id).await.unwrap()["job_title"],
        "Connector Title"
    );
}
