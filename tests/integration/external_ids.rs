//! `externalId` for Users and Groups, kept by the store: every client's way of setting
//! it, filtering on it (from the store plus one Zoom read), surviving a restart, being
//! dropped when the resource is gone, and writes refused while the store is away.

use reqwest::Method;
use serde_json::{Value, json};
use zoom_scim::config::Config;
use zoom_scim::scim::model::urn;

use crate::support::{Stack, sim_settings, start_service, start_stack, urlencode};

const OKTA_ID: &str = "00ujl29u0le5T6Aj10h7";

fn config() -> Config {
    let mut config = Config::default();
    // Created users are active at once, so their updates are not an invitee's.
    config.scim.create_action = zoom_scim::zoom::model::CreateAction::AutoCreate;
    config
}

async fn create_user(stack: &Stack, email: &str, external_id: &str) -> String {
    let r = stack
        .scim(
            Method::POST,
            "/Users",
            Some(json!({
                "schemas": [urn::USER], "userName": email, "externalId": external_id,
                "name": {"givenName": "Ext", "familyName": "Id"}, "active": true
            })),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["externalId"], external_id);
    r.body["id"].as_str().expect("id").to_owned()
}

async fn search(stack: &Stack, resource: &str, filter: &str) -> Value {
    let r = stack
        .scim(
            Method::GET,
            &format!("/{resource}?filter={}", urlencode(filter)),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{filter}: {}", r.body);
    r.body
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

async fn patch(stack: &Stack, path: &str, operations: Value) -> crate::support::Reply {
    stack
        .scim(
            Method::PATCH,
            path,
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": operations})),
            &[],
        )
        .await
}

#[tokio::test]
async fn user_external_ids_are_kept_returned_and_searched_in_every_dialect() {
    let stack = start_stack(sim_settings(30), config()).await;
    let id = create_user(&stack, "okta.hire@example.com", OKTA_ID).await;
    let (status, body) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["externalId"], OKTA_ID);

    // `externalId eq`: the store names the user, one Zoom read confirms it; no listing.
    stack.reset_sim_stats().await;
    let found = search(&stack, "Users", &format!("externalId eq \"{OKTA_ID}\"")).await;
    assert_eq!(ids(&found), [id.as_str()]);
    assert_eq!(found["Resources"][0]["externalId"], OKTA_ID);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 1);
    assert_eq!(stack.zoom_calls("GET /users").await, 0);
    // caseExact (RFC 7643 section 3.1): another case is another value.
    let other_case = search(
        &stack,
        "Users",
        &format!("externalId eq \"{}\"", OKTA_ID.to_uppercase()),
    )
    .await;
    assert_eq!(other_case["totalResults"], 0);
    // Every other operator, evaluated over the listing with the stored values.
    for filter in [
        "externalId sw \"00uj\"",
        "externalId co \"l29u0\"",
        "externalId pr and userName eq \"okta.hire@example.com\"",
        "externalId ne \"x\" and userName sw \"okta.hire\"",
    ] {
        assert_eq!(
            ids(&search(&stack, "Users", filter).await),
            [id.as_str()],
            "{filter}"
        );
    }

    // Entra: replace by path; a validator: no-path replace; then remove.
    let r = patch(
        &stack,
        &format!("/Users/{id}"),
        json!([{"op": "Replace", "path": "externalId", "value": "entra-mail-nick"}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["externalId"], "entra-mail-nick");
    assert_eq!(
        ids(&search(&stack, "Users", "externalId eq \"entra-mail-nick\"").await),
        [id.as_str()]
    );
    assert_eq!(
        search(&stack, "Users", &format!("externalId eq \"{OKTA_ID}\"")).await["totalResults"],
        0,
        "the old value no longer matches"
    );
    let r = patch(
        &stack,
        &format!("/Users/{id}"),
        json!([{"op": "replace", "value": {"externalId": "no-path", "title": "Engineer"}}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["externalId"], "no-path");
    assert_eq!(r.body["title"], "Engineer");
    let r = patch(
        &stack,
        &format!("/Users/{id}"),
        json!([{"op": "remove", "path": "externalId"}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.get("externalId").is_none(), "{}", r.body);

    // PUT sets it (and, as for any attribute, an omitted one keeps its value).
    let put = json!({"schemas": [urn::USER], "userName": "okta.hire@example.com",
                     "externalId": "put-value", "name": {"givenName": "Ext", "familyName": "Id"}});
    let r = stack
        .scim(Method::PUT, &format!("/Users/{id}"), Some(put), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["externalId"], "put-value");
    let put = json!({"schemas": [urn::USER], "userName": "okta.hire@example.com",
                     "name": {"givenName": "Ext", "familyName": "Id"}});
    let r = stack
        .scim(Method::PUT, &format!("/Users/{id}"), Some(put), &[])
        .await;
    assert_eq!(r.body["externalId"], "put-value");

    // Too long, or not a string: 400 and nothing kept.
    let r = patch(
        &stack,
        &format!("/Users/{id}"),
        json!([{"op": "replace", "path": "externalId", "value": "x".repeat(1025)}]),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let (_, body) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(body["externalId"], "put-value");
}

#[tokio::test]
async fn the_version_covers_the_external_id() {
    let stack = start_stack(sim_settings(5), config()).await;
    let id = create_user(&stack, "etag@example.com", "v1").await;
    let r = stack
        .scim(Method::GET, &format!("/Users/{id}"), None, &[])
        .await;
    let before = r.header("etag").expect("etag").to_owned();
    let r = patch(
        &stack,
        &format!("/Users/{id}"),
        json!([{"op": "replace", "path": "externalId", "value": "v2"}]),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_ne!(r.header("etag"), Some(before.as_str()));
    // A client holding the old version is told the resource changed.
    let r = stack
        .scim(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]})),
            &[("if-match", &before)],
        )
        .await;
    assert_eq!(r.status, 412, "{}", r.body);
}

#[tokio::test]
async fn group_external_ids_are_kept_searched_and_forgotten_with_the_group() {
    let stack = start_stack(sim_settings(10), config()).await;
    let r = stack
        .scim(
            Method::POST,
            "/Groups",
            Some(json!({"schemas": [urn::GROUP], "displayName": "Ext Team",
                        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert_eq!(r.body["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");

    stack.reset_sim_stats().await;
    let found = search(
        &stack,
        "Groups",
        "externalId eq \"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\"",
    )
    .await;
    assert_eq!(ids(&found), [id.as_str()]);
    assert_eq!(stack.zoom_calls("GET /groups").await, 0, "no listing");
    assert_eq!(stack.zoom_calls("GET /groups/{groupId}").await, 1);
    assert_eq!(
        ids(&search(&stack, "Groups", "externalId sw \"8aa1\"").await),
        [id.as_str()]
    );

    // Entra's validator patches it by path; it shows and is found by the new value.
    let r = patch(
        &stack,
        &format!("/Groups/{id}"),
        json!([{"op": "Replace", "path": "externalId", "value": "renamed-ext"}]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (_, body) = stack.get(&format!("/Groups/{id}")).await;
    assert_eq!(body["externalId"], "renamed-ext");
    assert_eq!(
        ids(&search(&stack, "Groups", "externalId eq \"renamed-ext\"").await),
        [id.as_str()]
    );
    // PUT sets it too.
    let r = stack
        .scim(
            Method::PUT,
            &format!("/Groups/{id}"),
            Some(json!({"schemas": [urn::GROUP], "displayName": "Ext Team", "externalId": "put-ext"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["externalId"], "put-ext");

    // Deleted: the stored value goes with it.
    let r = stack
        .scim(Method::DELETE, &format!("/Groups/{id}"), None, &[])
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        search(&stack, "Groups", "externalId eq \"put-ext\"").await["totalResults"],
        0
    );
}

#[tokio::test]
async fn external_ids_survive_a_restart_on_the_same_store() {
    let stack = start_stack(sim_settings(5), config()).await;
    let id = create_user(&stack, "restart@example.com", "kept-across-restarts").await;
    let Stack {
        sim,
        service,
        http,
        store_dir,
    } = stack;
    service.abort();
    let mut again = config();
    again.store.url = crate::support::sqlite_url(store_dir.as_ref().expect("sqlite store"));
    let service = start_service(&sim, again).await;
    let restarted = Stack {
        sim,
        service,
        http,
        store_dir,
    };
    let (status, body) = restarted.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["externalId"], "kept-across-restarts");
    let found = search(
        &restarted,
        "Users",
        "externalId eq \"kept-across-restarts\"",
    )
    .await;
    assert_eq!(ids(&found), [id]);
}

#[tokio::test]
async fn an_external_id_of_a_user_deleted_in_zoom_is_dropped_when_found() {
    let stack = start_stack(sim_settings(5), config()).await;
    let id = create_user(&stack, "portal.delete@example.com", "gone-soon").await;
    // An admin deletes the user in Zoom's portal, past the service.
    let token = stack.zoom_token().await;
    let r = stack
        .http
        .delete(format!(
            "{}/users/{id}?action=delete",
            stack.sim.api_base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("delete in Zoom");
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        search(&stack, "Users", "externalId eq \"gone-soon\"").await["totalResults"],
        0
    );
    // Dropped from the store: the next search asks Zoom nothing.
    stack.reset_sim_stats().await;
    assert_eq!(
        search(&stack, "Users", "externalId eq \"gone-soon\"").await["totalResults"],
        0
    );
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 0);
}

/// PostgreSQL stops accepting connections to the service's database; writes are then
/// refused with 503 before any Zoom call, reads go on, and everything works again once
/// the database is back.
#[tokio::test]
async fn writes_wait_for_an_unreachable_store_and_reads_go_on() {
    let url = crate::support::postgres::fresh_database().await;
    let database = url.expose().rsplit('/').next().expect("name").to_owned();
    let mut config = config();
    config.store.url = url;
    config.store.acquire_timeout_s = 2;
    let stack = start_stack(sim_settings(5), config).await;
    let id = create_user(&stack, "store.outage@example.com", "before-outage").await;

    crate::support::postgres::set_accepting(&database, false).await;
    stack.reset_sim_stats().await;
    let r = patch(
        &stack,
        &format!("/Users/{id}"),
        json!([{"op": "replace", "path": "title", "value": "during outage"}]),
    )
    .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    assert!(r.detail().contains("store"), "{}", r.detail());
    let r = stack
        .scim(
            Method::POST,
            "/Users",
            Some(json!({"schemas": [urn::USER], "userName": "not.made@example.com"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    for endpoint in ["PATCH /users/{userId}", "POST /users"] {
        assert_eq!(
            stack.zoom_calls(endpoint).await,
            0,
            "{endpoint}: nothing reaches Zoom without the store"
        );
    }
    // A read goes on with what Zoom holds.
    let (status, body) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], Value::Null);

    crate::support::postgres::set_accepting(&database, true).await;
    let r = patch(
        &stack,
        &format!("/Users/{id}"),
        json!([{"op": "replace", "path": "title", "value": "after outage"}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["externalId"], "before-outage");
    assert_eq!(r.body["title"], "after outage");
}
