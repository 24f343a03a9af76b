//! `meta.lastModified` and delta imports: the service's own writes are dated at once,
//! changes made in Zoom directly at the next walk, and `meta.lastModified gt X` returns
//! exactly what changed after X, read one by one from Zoom (calls in proportion to the
//! changes, not to the account).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::scim::model::urn;

use crate::support::{changed_since, sim_settings, stamp, start_stack, urlencode};

/// Waits until `done` holds, checking every 200 ms for at most 15 s.
async fn eventually<F: AsyncFn() -> bool>(done: F) -> bool {
    for _ in 0..75 {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test]
async fn a_delta_import_returns_exactly_what_changed_in_zoom_and_through_the_service() {
    let mut config = Config::default();
    config.store.watch_interval_s = 1;
    let stack = start_stack(sim_settings(60), config).await;
    let state = stack.sim_admin("state").await;
    let members: Vec<String> = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["status"] == "active" && u["role_id"] == "2")
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .take(4)
        .collect();
    assert_eq!(members.len(), 4);
    // The first walk sees every user: from then on each carries a time.
    let seen = eventually(async || {
        let (_, body) = stack.get(&format!("/Users/{}", members[0])).await;
        body["meta"]["lastModified"].is_string()
    })
    .await;
    assert!(seen, "the first walk dated the users");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let since = stamp(chrono::Utc::now());
    assert!(changed_since(&stack, "Users", &since).await.is_empty());

    // Two users edited in Zoom's portal, past the service.
    let token = stack.zoom_token().await;
    for id in &members[..2] {
        let r = stack
            .http
            .patch(format!("{}/users/{id}", stack.sim.api_base_url()))
            .bearer_auth(&token)
            .json(&json!({"first_name": "Portal"}))
            .send()
            .await
            .expect("edit in Zoom");
        assert!(r.status().is_success(), "{}", r.status());
    }
    // One changed through the service: dated at once.
    let r = stack
        .scim(
            Method::PATCH,
            &format!("/Users/{}", members[2]),
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Via SCIM"}]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["meta"]["lastModified"].as_str().unwrap_or_default() > since.as_str());

    let mut expected: Vec<String> = members[..3].to_vec();
    expected.sort();
    let found = eventually(async || changed_since(&stack, "Users", &since).await == expected).await;
    assert!(
        found,
        "changed: {:?}, expected {expected:?}",
        changed_since(&stack, "Users", &since).await
    );
    // The delta import asks Zoom for the changed users only.
    stack.reset_sim_stats().await;
    assert_eq!(changed_since(&stack, "Users", &since).await, expected);
    assert_eq!(stack.zoom_calls("GET /users").await, 0, "no listing");
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 3);
    // The untouched user is older than X, and `lt` says so.
    let filter = urlencode(&format!(
        "meta.lastModified lt \"{since}\" and id eq \"{}\"",
        members[3]
    ));
    let r = stack
        .scim(Method::GET, &format!("/Users?filter={filter}"), None, &[])
        .await;
    assert_eq!(r.body["totalResults"], 1, "{}", r.body);
}

#[tokio::test]
async fn groups_are_dated_by_writes_and_walks() {
    let mut config = Config::default();
    config.store.watch_interval_s = 1;
    let stack = start_stack(sim_settings(10), config).await;
    let since = stamp(chrono::Utc::now() - chrono::Duration::milliseconds(1));
    let r = stack
        .scim(
            Method::POST,
            "/Groups",
            Some(json!({"schemas": [urn::GROUP], "displayName": "Delta Team"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    let changed = changed_since(&stack, "Groups", &since).await;
    assert!(changed.contains(&id), "{changed:?}");
    let (_, body): (u16, Value) = stack.get(&format!("/Groups/{id}")).await;
    assert!(body["meta"]["lastModified"].is_string(), "{body}");
}

/// A field Zoom's listing does not carry (a title) changed in Zoom's portal, with
/// neither walks nor webhooks: the next full read sees the resource's version change
/// and dates it then; a read that finds nothing new dates nothing.
#[tokio::test]
async fn a_full_read_dates_a_change_the_listing_cannot_show() {
    let stack = start_stack(sim_settings(10), Config::default()).await;
    let id = stack.active_member().await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, user) = stack.get(&format!("/Users/{id}")).await;
    let first_seen = user["meta"]["lastModified"]
        .as_str()
        .expect("first seen")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (_, again) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(
        again["meta"]["lastModified"],
        first_seen.as_str(),
        "nothing new"
    );

    let since = stamp(chrono::Utc::now());
    tokio::time::sleep(Duration::from_millis(20)).await;
    let r = stack
        .http
        .patch(format!("{}/users/{id}", stack.sim.admin_url()))
        .json(&json!({"job_title": "Set in the portal"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        changed_since(&stack, "Users", &since).await.is_empty(),
        "not seen yet"
    );
    let (_, read) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(read["title"], "Set in the portal");
    let dated = read["meta"]["lastModified"]
        .as_str()
        .expect("dated")
        .to_owned();
    assert!(dated > since, "{dated} > {since}");
    assert_eq!(
        changed_since(&stack, "Users", &since).await,
        vec![id.clone()]
    );
    let (_, later) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(later["meta"]["lastModified"], dated.as_str());
}
