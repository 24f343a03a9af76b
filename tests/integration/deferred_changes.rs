//! Changes to invitees, kept until they accept (`scim.pending_changes = "defer"`, the
//! default): what the IdP sees, what Zoom holds meanwhile, and the one write made when
//! the invitee accepts, whether a read, the next write or the periodic check sees it.

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::scim::model::urn;
use zoom_scim::store::journal::{JournalQuery, Outcome};
use zoom_scim::store::{ResourceKind, Store, StoreConfig};

use crate::support::{Reply, Stack, sim_settings, start_stack};

const ZOOM: &str = "urn:ietf:params:scim:schemas:extension:zoom:2.0:User";

async fn sim_user(stack: &Stack, email: &str) -> Value {
    let state = stack.sim_admin("state").await;
    state["users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| {
            u["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .cloned()
        .unwrap_or(Value::Null)
}

async fn invite(stack: &Stack, email: &str) -> Reply {
    stack
        .scim(
            Method::POST,
            "/Users",
            Some(
                json!({"schemas": [urn::USER], "userName": email, "title": "New Hire",
                        "name": {"givenName": "New", "familyName": "Hire"}}),
            ),
            &[],
        )
        .await
}

async fn patch(stack: &Stack, id: &str, operations: Value) -> Reply {
    stack
        .scim(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": operations})),
            &[],
        )
        .await
}

async fn accept(stack: &Stack, id: &str) {
    let r = stack
        .http
        .post(format!(
            "{}/users/{id}/activate",
            stack.sim.admin_url().trim_end_matches('/')
        ))
        .send()
        .await
        .expect("accept the invitation");
    assert!(r.status().is_success(), "{}", r.status());
}

async fn open_store(stack: &Stack) -> Store {
    Store::open(&StoreConfig {
        url: crate::support::sqlite_url(stack.store_dir.as_ref().expect("SQLite store")),
        ..StoreConfig::default()
    })
    .await
    .expect("open the store")
}

#[tokio::test]
async fn a_new_hire_patched_while_invited_gets_the_patch_when_accepting() {
    let stack = start_stack(sim_settings(5), Config::default()).await;
    let created = invite(&stack, "new.hire@example.com").await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body[ZOOM]["status"], "pending");
    let id = created.body["id"].as_str().expect("id").to_owned();
    // Zoom takes no title from an invitation: it is deferred, shown, and said so.
    assert_eq!(created.body["title"], "New Hire");
    assert!(
        created.warnings().join("\n").contains("deferred"),
        "{:?}",
        created.warnings()
    );
    assert!(
        sim_user(&stack, "new.hire@example.com").await["job_title"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );

    // Minutes later the IdP updates the new hire: 200, shown, nothing sent to Zoom.
    stack.reset_sim_stats().await;
    let r = patch(
        &stack,
        &id,
        json!([{"op": "replace", "path": "title", "value": "Engineer"},
               {"op": "replace", "path": "name.givenName", "value": "Newt"}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["title"], "Engineer");
    assert!(
        r.warnings().join("\n").contains("deferred"),
        "{:?}",
        r.warnings()
    );
    assert_eq!(stack.zoom_calls("PATCH /users/{userId}").await, 0);
    let (_, shown) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(shown["title"], "Engineer", "the IdP sees its write");
    assert_eq!(shown["name"]["givenName"], "Newt");
    assert_eq!(shown[ZOOM]["status"], "pending");
    // A later change to the same attribute replaces the deferred one; a bad request
    // is still refused and keeps nothing.
    let r = patch(
        &stack,
        &id,
        json!([{"op": "replace", "path": "title", "value": "Staff Engineer"}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = patch(&stack, &id, json!([{"op": "remove", "path": "userName"}])).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let (_, shown) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(shown["title"], "Staff Engineer");

    // The invitee accepts; the next read applies what waited, as one write.
    accept(&stack, &id).await;
    stack.reset_sim_stats().await;
    let (status, after) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after[ZOOM]["status"], "active");
    assert_eq!(after["title"], "Staff Engineer");
    assert_eq!(
        stack.zoom_calls("PATCH /users/{userId}").await,
        1,
        "one write"
    );
    let zoom = sim_user(&stack, "new.hire@example.com").await;
    assert_eq!(zoom["job_title"], "Staff Engineer");
    assert_eq!(zoom["first_name"], "Newt");
    // Applied once: nothing waits any more.
    stack.reset_sim_stats().await;
    stack.get(&format!("/Users/{id}")).await;
    assert_eq!(stack.zoom_calls("PATCH /users/{userId}").await, 0);
    let store = open_store(&stack).await;
    assert!(
        store
            .deferred(ResourceKind::User, &[&id])
            .await
            .unwrap()
            .is_empty()
    );
    let applied: Vec<_> = store
        .journal_entries(&JournalQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.operation == "apply deferred changes")
        .collect();
    assert_eq!(applied.len(), 1, "{applied:?}");
    assert_eq!(applied[0].outcome, Outcome::Done);
    assert!(
        applied[0]
            .calls
            .iter()
            .any(|c| c.call == format!("PATCH /users/{id}")),
        "{:?}",
        applied[0].calls
    );
}

#[tokio::test]
async fn the_periodic_check_applies_them_and_a_withdrawn_invitation_discards_them() {
    let stack = start_stack(sim_settings(5), Config::default()).await;
    let accepted = invite(&stack, "accepts@example.com").await.body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let withdrawn = invite(&stack, "withdrawn@example.com").await.body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for id in [&accepted, &withdrawn] {
        let r = patch(
            &stack,
            id,
            json!([{"op": "replace", "path": "title", "value": "Analyst"}]),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    accept(&stack, &accepted).await;
    // The invitation is withdrawn in Zoom directly.
    let token = stack.zoom_token().await;
    let r = stack
        .http
        .delete(format!(
            "{}/users/{withdrawn}?action=disassociate",
            stack.sim.api_base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("withdraw");
    assert!(r.status().is_success(), "{}", r.status());

    // What the service's periodic check runs, on the same store.
    let store = open_store(&stack).await;
    let provider = crate::support::provider_for(&stack.sim, Config::default(), store.clone());
    assert_eq!(provider.apply_deferred_changes().await.expect("check"), 1);
    assert_eq!(
        sim_user(&stack, "accepts@example.com").await["job_title"],
        "Analyst"
    );
    let left = store
        .deferred(ResourceKind::User, &[&accepted, &withdrawn])
        .await
        .unwrap();
    assert!(left.is_empty(), "applied or discarded: {left:?}");
    assert_eq!(provider.apply_deferred_changes().await.expect("check"), 0);
}

#[tokio::test]
async fn refuse_keeps_nothing_and_answers_409() {
    let mut config = Config::default();
    config.scim.pending_changes = zoom_scim::provider::PendingChanges::Refuse;
    let stack = start_stack(sim_settings(5), config).await;
    let created = invite(&stack, "refused@example.com").await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert!(created.body.get("title").is_none(), "not kept for later");
    let r = patch(
        &stack,
        &id,
        json!([{"op": "replace", "path": "title", "value": "x"}]),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
}
