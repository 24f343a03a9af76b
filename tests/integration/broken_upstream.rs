//! Black-box tests of answers that are not Zoom's (a proxy's page, a changed API): they
//! are 502 for the SCIM client and never pass for an empty list or a done write.

use reqwest::Method;
use serde_json::json;
use zoom_scim::config::Config;
use zoom_scim::zoom::model::CreateAction;

use crate::support::{sim_settings, start_stack};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

#[tokio::test]
async fn a_list_without_its_list_is_502_never_an_empty_account() {
    let stack = start_stack(sim_settings(20), Config::default()).await;
    for body in [
        json!({"unexpected": true}),
        json!("<html><body>Service OK</body></html>"),
        json!({"page_size": 100, "total_records": 0}),
    ] {
        stack
            .add_fault(
                json!({"method": "GET", "path": "/users", "action": "respond",
                              "status": 200, "body": body, "count": 10}),
            )
            .await;
        let r = stack.scim(Method::GET, "/Users?count=10", None, &[]).await;
        assert_eq!(r.status, 502, "{body}: {}", r.body);
        assert_eq!(r.body["status"], "502", "{}", r.body);
        assert!(r.body.get("totalResults").is_none(), "{}", r.body);
        stack.clear_faults().await;
    }
    let r = stack.scim(Method::GET, "/Users?count=10", None, &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["totalResults"].as_u64().unwrap_or_default() > 0);
}

#[tokio::test]
async fn a_success_status_with_a_page_that_is_not_zoom_s_is_no_done_write() {
    let stack = start_stack(sim_settings(20), Config::default()).await;
    let user = stack.active_member().await;
    let id = user["id"].as_str().expect("id");

    // The deactivation (the default delete policy) answered 200 with a proxy's page.
    stack
        .add_fault(
            json!({"method": "PUT", "path": "/users/{userId}/status", "action": "respond",
                          "status": 200, "body": "<html>OK</html>"}),
        )
        .await;
    let r = stack
        .scim(Method::DELETE, &format!("/Users/{id}"), None, &[])
        .await;
    assert_eq!(r.status, 502, "{}", r.body);
    assert_eq!(stack.sim_user(id).await.expect("user")["status"], "active");

    // A create answered 201 without an id, by something that created nothing.
    stack
        .add_fault(
            json!({"method": "POST", "path": "/users", "action": "respond",
                          "status": 201, "body": {"email": "ghost@example.com"}}),
        )
        .await;
    let r = stack
        .scim(
            Method::POST,
            "/Users",
            Some(json!({"schemas": [USER], "userName": "ghost@example.com",
                        "name": {"givenName": "G", "familyName": "Host"}})),
            &[],
        )
        .await;
    assert_eq!(r.status, 502, "{}", r.body);
}

#[tokio::test]
async fn a_create_answered_with_an_html_page_is_502() {
    let mut config = Config::default();
    config.scim.create_action = CreateAction::AutoCreate;
    let stack = start_stack(sim_settings(5), config).await;
    stack
        .add_fault(
            json!({"method": "POST", "path": "/users", "action": "respond",
                          "status": 201, "body": "<html>Created</html>"}),
        )
        .await;
    let r = stack
        .scim(
            Method::POST,
            "/Users",
            Some(json!({"schemas": [USER], "userName": "page@example.com",
                        "name": {"givenName": "P", "familyName": "Age"}})),
            &[],
        )
        .await;
    assert_eq!(r.status, 502, "{}", r.body);
}
