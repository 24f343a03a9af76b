//! Paging cursors: what a walk keeps between SCIM pages is bounded, and a cursor may
//! save calls but never change an answer.

use std::collections::HashSet;

use serde_json::Value;
use zoom_scim::config::Config;

use crate::support::{Stack, sim_settings, start_stack, urlencode};

/// Walks `/Users` (userName only) in pages of `count`; every userName seen, in order.
async fn walk(stack: &Stack, filter: Option<&str>, count: usize) -> Vec<String> {
    let filter = filter.map_or_else(String::new, |f| format!("&filter={}", urlencode(f)));
    let mut names = Vec::new();
    let mut start = 1;
    loop {
        let (status, body) = stack
            .get(&format!(
                "/Users?startIndex={start}&count={count}&attributes=userName{filter}"
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        let resources = body["Resources"].as_array().cloned().unwrap_or_default();
        if resources.is_empty() {
            break;
        }
        names.extend(resources.iter().map(|r| {
            r["userName"]
                .as_str()
                .expect("userName")
                .to_ascii_lowercase()
        }));
        start += resources.len();
    }
    names
}

fn sim_names(state: &Value, wanted: impl Fn(&Value) -> bool) -> HashSet<String> {
    state["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| wanted(u))
        .map(|u| u["email"].as_str().expect("email").to_ascii_lowercase())
        .collect()
}

#[tokio::test]
async fn a_walk_whose_buffers_were_dropped_resumes_exactly_where_it_was() {
    // No byte budget at all: every cursor keeps only its resume point (page token and
    // offset), and every SCIM page fetches its Zoom page again.
    let mut config = Config::default();
    config.scim.cursor_cache_mib = 0;
    config.zoom.page_size = 30;
    let stack = start_stack(sim_settings(200), config).await;
    let state = stack.sim_admin("state").await;
    stack.reset_sim_stats().await;
    // Pages of 7 straddle Zoom's pages of 30; all statuses (active, inactive, pending).
    let names = walk(&stack, None, 7).await;
    let unique: HashSet<String> = names.iter().cloned().collect();
    assert_eq!(unique.len(), names.len(), "a user was listed twice");
    assert_eq!(unique, sim_names(&state, |_| true));
    // Resuming costs a list call per SCIM page (its Zoom page again) and one per Zoom
    // page it crosses, never a walk from the start (that would be hundreds).
    let pages = names.len().div_ceil(7) as u64 + 1;
    let zoom_pages = names.len().div_ceil(30) as u64 + 3;
    let list_calls = stack.zoom_calls("GET /users").await;
    assert!(
        list_calls <= pages + zoom_pages + 3,
        "{list_calls} list calls for {pages} SCIM pages"
    );
}

#[tokio::test]
async fn a_fresh_query_always_asks_zoom() {
    let stack = start_stack(sim_settings(40), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let inactive_before = sim_names(&state, |u| u["status"] == "inactive");
    let filter = "active eq false";
    let first = walk(&stack, Some(filter), 100).await;
    assert_eq!(
        first.iter().cloned().collect::<HashSet<_>>(),
        inactive_before
    );

    // A user is deactivated (through SCIM); the same query from the start sees it.
    let victim = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["status"] == "active" && u["role_id"] == "2")
        .expect("an active user");
    let id = victim["id"].as_str().expect("id");
    let r = stack
        .scim(
            reqwest::Method::PATCH,
            &format!("/Users/{id}"),
            Some(serde_json::json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": false}]
            })),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let second = walk(&stack, Some(filter), 100).await;
    let mut expected = inactive_before.clone();
    expected.insert(
        victim["email"]
            .as_str()
            .expect("email")
            .to_ascii_lowercase(),
    );
    assert_eq!(second.iter().cloned().collect::<HashSet<_>>(), expected);
}
