//! Black-box tests of the bounds on one PATCH: thousands of values are handled in
//! linear time, and more than the published limit is a 400 naming it, before Zoom.

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::scim::patch::{MAX_OPERATIONS, MAX_VALUES};

use crate::support::{sim_settings, start_stack};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn emails(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"value": format!("alias{i}@example.com"), "type": "other"}))
        .collect()
}

#[tokio::test]
async fn a_patch_beyond_its_bounds_is_refused_before_zoom_and_one_within_answers_readably() {
    let stack = start_stack(sim_settings(10), Config::default()).await;
    let user = stack.active_member().await;
    let id = user["id"].as_str().expect("id");
    let patch = |operations: Value| {
        let path = format!("/Users/{id}");
        let stack = &stack;
        async move {
            stack
                .scim(
                    Method::PATCH,
                    &path,
                    Some(json!({"schemas": [PATCH_OP], "Operations": operations})),
                    &[],
                )
                .await
        }
    };

    stack.reset_sim_stats().await;
    let r =
        patch(json!([{"op": "add", "path": "emails", "value": emails(MAX_VALUES + 2_000)}])).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["scimType"], "tooMany", "{}", r.body);
    assert!(r.detail().contains(&MAX_VALUES.to_string()), "{}", r.body);
    let ops: Vec<Value> = (0..=MAX_OPERATIONS)
        .map(|i| json!({"op": "replace", "path": "title", "value": format!("t{i}")}))
        .collect();
    let r = patch(Value::Array(ops)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["scimType"], "tooMany", "{}", r.body);
    assert_eq!(
        stack.sim_admin("stats").await["total"],
        0,
        "Zoom was called"
    );

    // Within the bound: thousands of extra e-mails Zoom cannot hold are reported in a
    // few Warning headers any HTTP client reads, the rest counted.
    let r = patch(
        json!([{"op": "add", "path": "emails", "value": emails(5_000)},
                         {"op": "replace", "path": "title", "value": "Bounded"}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.warnings().len() <= 6,
        "{} Warning headers",
        r.warnings().len()
    );
    assert_eq!(
        stack.sim_user(id).await.expect("user")["job_title"],
        "Bounded"
    );
}
