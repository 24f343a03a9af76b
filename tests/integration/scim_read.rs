//! Black-box tests of the SCIM read path: the service and the simulator on port 0,
//! assertions against the simulator's own state and call statistics.

use std::collections::HashSet;

use serde_json::Value;
use zoom_scim::config::Config;

use crate::support::{SCIM_TOKEN, sim_settings, start_stack, urlencode};

#[tokio::test]
async fn sequential_paging_returns_every_user_of_every_status_exactly_once() {
    let mut config = Config::default();
    config.zoom.page_size = 50;
    let stack = start_stack(sim_settings(260), config).await;
    let state = stack.sim_admin("state").await;
    let sim_users = state["users"].as_array().unwrap();
    let expected: HashSet<String> = sim_users
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    let statuses: HashSet<&str> = sim_users
        .iter()
        .map(|u| u["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains("pending") && statuses.contains("inactive"),
        "seed mixes statuses"
    );

    let mut seen = HashSet::new();
    let mut start = 1;
    loop {
        let (status, page) = stack
            .get(&format!(
                "/Users?startIndex={start}&count=40&attributes=userName"
            ))
            .await;
        assert_eq!(status, 200);
        assert_eq!(page["totalResults"], expected.len());
        assert_eq!(page["startIndex"], start);
        let resources = page["Resources"].as_array().unwrap();
        for user in resources {
            assert!(
                user["id"].as_str().is_some_and(|id| !id.is_empty()),
                "every user has an id"
            );
            let name = user["userName"].as_str().unwrap().to_ascii_lowercase();
            assert!(seen.insert(name.clone()), "duplicate {name}");
        }
        if resources.is_empty() {
            break;
        }
        start += resources.len();
    }
    assert_eq!(seen, expected);
    // Sequential paging reuses Zoom cursors: about users/page_size list calls in total
    // (260 users, 50 per Zoom page, over three statuses: at most 7 pages, plus one per
    // status boundary), not a walk from the start for every SCIM page.
    let stats = stack.sim_admin("stats").await;
    let list_calls = stats["requests"]["GET /users"].as_u64().unwrap();
    assert!(list_calls <= 8, "{list_calls} list calls");
}

#[tokio::test]
async fn filters_are_pushed_down_and_match_the_simulator() {
    let stack = start_stack(sim_settings(120), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let users = state["users"].as_array().unwrap();
    let inactive = users.iter().filter(|u| u["status"] == "inactive").count();
    let target = users.iter().find(|u| u["status"] == "active").unwrap();
    let email = target["email"].as_str().unwrap();

    let (_, page) = stack
        .get("/Users?filter=active%20eq%20false&attributes=active")
        .await;
    assert_eq!(page["totalResults"], inactive);
    assert!(
        page["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["active"] == false)
    );

    // userName is case-insensitive and answered by one GET /users/{email}.
    let before = stack.sim_admin("stats").await;
    let filter = format!("userName eq \"{}\"", email.to_ascii_uppercase());
    let (status, page) = stack
        .get(&format!("/Users?filter={}", urlencode(&filter)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["totalResults"], 1);
    assert_eq!(page["Resources"][0]["id"], target["id"]);
    let after = stack.sim_admin("stats").await;
    assert_eq!(
        after["requests"]["GET /users"], before["requests"]["GET /users"],
        "no listing"
    );

    // Entra's Test Connection: an unknown user is an empty ListResponse, not a 404.
    let (status, page) = stack
        .get("/Users?filter=userName%20eq%20%22nobody%40example.com%22")
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["totalResults"], 0);
    assert_eq!(page["Resources"], Value::Array(vec![]));
}

#[tokio::test]
async fn errors_are_scim_bodies() {
    let stack = start_stack(sim_settings(10), Config::default()).await;
    let base = stack.service.scim_base_url.clone();
    let response = stack
        .http
        .get(format!("{base}/Users"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "401");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );

    for (path, status, scim_type) in [
        ("/Users?filter=userName%20eq", 400, Some("invalidFilter")),
        (
            "/Users?filter=nosuchattr%20eq%20%22x%22",
            400,
            Some("invalidFilter"),
        ),
        ("/Users/does-not-exist", 404, None),
        ("/NoSuchEndpoint", 404, None),
    ] {
        let (got, body) = stack.get(path).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(body["status"], status.to_string(), "{path}");
        assert_eq!(body["scimType"].as_str(), scim_type, "{path}");
    }
    let response = stack
        .http
        .delete(format!("{base}/Schemas"))
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn single_get_carries_an_etag_and_honours_if_none_match() {
    let stack = start_stack(sim_settings(10), Config::default()).await;
    let (_, page) = stack.get("/Users?count=1").await;
    let id = page["Resources"][0]["id"].as_str().unwrap().to_owned();
    let url = format!("{}/Users/{id}", stack.service.scim_base_url);
    let response = stack
        .http
        .get(&url)
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["meta"]["version"], etag.as_str());
    assert_eq!(body["meta"]["location"], url.as_str());
    let again = stack
        .http
        .get(&url)
        .bearer_auth(SCIM_TOKEN)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // RFC 9110 section 15.4.5: a 304 carries the ETag a 200 would have.
    assert_eq!(
        again.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some(etag.as_str())
    );
}
