//! Black-box tests of the SCIM read path at its edges (service + simulator on port 0):
//! attribute projection incl. extensions and sub-attributes, the per-user detail calls deep and
//! shallow listings make, paging over more than 1,000 users, paging edge cases, absurd
//! filters, oversized requests, and Zoom faults during a listing.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};
use zoom_scim::config::Config;

use crate::support::{SCIM_TOKEN, Stack, sim_settings, start_stack, urlencode};

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ZOOM: &str = "urn:ietf:params:scim:schemas:extension:zoom:2.0:User";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// `POST {scim base}{path}` with a JSON body; status, `Retry-After` and JSON body.
async fn post(stack: &Stack, path: &str, body: &Value) -> (u16, Value) {
    let response = stack
        .http
        .post(format!("{}{path}", stack.service.scim_base_url))
        .bearer_auth(SCIM_TOKEN)
        .header("content-type", "application/scim+json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `GET` returning status, headers and body.
async fn get_full(stack: &Stack, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = stack
        .http
        .get(format!("{}{path}", stack.service.scim_base_url))
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn sim_post(stack: &Stack, path: &str, body: &Value) {
    let response = stack
        .http
        .post(format!(
            "{}/{path}",
            stack.sim.admin_url().trim_end_matches('/')
        ))
        .json(body)
        .send()
        .await
        .expect("admin request");
    assert!(response.status().is_success(), "admin {path}");
}

/// Asserts a SCIM error body with this status and keyword.
#[track_caller]
fn assert_scim_error(got: (u16, &Value), status: u16, scim_type: Option<&str>, what: &str) {
    let (code, body) = got;
    assert_eq!(code, status, "{what}: {body}");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{what}"
    );
    assert_eq!(body["status"], status.to_string(), "{what}");
    assert_eq!(body["scimType"].as_str(), scim_type, "{what}: {body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{what}"
    );
}

fn keys(v: &Value) -> HashSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn attributes_and_excluded_attributes_project_core_extension_and_sub_attributes() {
    let stack = start_stack(sim_settings(30), Config::default()).await;
    // A user with a manager, a department, emails, a name and the Zoom extension.
    let (_, all) = stack.get("/Users?count=100").await;
    let full = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| {
            u[ENTERPRISE]["manager"]["value"].is_string() && u[ENTERPRISE]["department"].is_string()
        })
        .expect("a seeded user with a manager")
        .clone();
    let id = full["id"].as_str().unwrap();
    let by_id = |q: &str| format!("/Users/{id}?{q}");
    let in_list = |q: &str| {
        format!(
            "/Users?filter={}&{q}",
            urlencode(&format!("id eq \"{id}\""))
        )
    };

    for path in [by_id("attributes=userName"), in_list("attributes=userName")] {
        let (status, mut body) = stack.get(&path).await;
        assert_eq!(status, 200, "{path}");
        if body.get("Resources").is_some() {
            body = body["Resources"][0].clone();
        }
        assert_eq!(keys(&body), set(&["schemas", "id", "userName"]), "{path}");
        assert_eq!(body["schemas"], json!([CORE]), "{path}: only the core URN");
        assert_eq!(body["userName"], full["userName"]);
    }

    // Names are case-insensitive; a sub-attribute gives a partial complex value.
    let (_, body) = stack
        .get(&by_id("attributes=USERNAME,Name.GivenName"))
        .await;
    assert_eq!(body["userName"], full["userName"]);
    assert_eq!(
        body["name"],
        json!({"givenName": full["name"]["givenName"]})
    );

    // A multi-valued sub-attribute keeps every value, with only that member.
    let (_, body) = stack.get(&by_id("attributes=emails.value")).await;
    let expected: Vec<Value> = full["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!({"value": e["value"]}))
        .collect();
    assert_eq!(body["emails"], Value::Array(expected));

    // Extension attributes, qualified or not, and extension sub-attributes.
    for attributes in [format!("{ENTERPRISE}:department"), "department".to_owned()] {
        let (_, body) = stack
            .get(&by_id(&format!("attributes={}", urlencode(&attributes))))
            .await;
        assert_eq!(
            body[ENTERPRISE],
            json!({"department": full[ENTERPRISE]["department"]}),
            "{attributes}"
        );
        assert_eq!(body["schemas"], json!([CORE, ENTERPRISE]), "{attributes}");
        assert!(body.get(ZOOM).is_none() && body.get("userName").is_none());
    }
    let (_, body) = stack
        .get(&by_id(&format!(
            "attributes={}",
            urlencode(&format!("{ENTERPRISE}:manager.value"))
        )))
        .await;
    assert_eq!(
        body[ENTERPRISE],
        json!({"manager": {"value": full[ENTERPRISE]["manager"]["value"]}})
    );

    // A whole extension by its URN.
    let (_, body) = stack
        .get(&by_id(&format!("attributes={}", urlencode(ZOOM))))
        .await;
    assert_eq!(body[ZOOM], full[ZOOM]);
    assert_eq!(body["schemas"], json!([CORE, ZOOM]));
    assert!(body.get("userName").is_none());

    // Exclusions: a whole extension, a sub-attribute, a multi-valued attribute; `id`
    // is returned always and cannot be excluded.
    let (_, body) = stack
        .get(&by_id(&format!(
            "excludedAttributes={}",
            urlencode(&format!("{ZOOM},name.familyName,emails,id"))
        )))
        .await;
    assert!(body.get(ZOOM).is_none());
    assert!(body.get("emails").is_none());
    assert_eq!(body["name"]["givenName"], full["name"]["givenName"]);
    assert!(body["name"].get("familyName").is_none());
    assert_eq!(body["id"], full["id"]);
    assert_eq!(body[ENTERPRISE], full[ENTERPRISE]);
    assert_eq!(body["schemas"], json!([CORE, ENTERPRISE]));
    let (_, body) = stack
        .get(&by_id(&format!(
            "excludedAttributes={}",
            urlencode(&format!(
                "{ENTERPRISE}:department,{ENTERPRISE}:manager.displayName"
            ))
        )))
        .await;
    assert!(body[ENTERPRISE].get("department").is_none());
    assert_eq!(
        body[ENTERPRISE]["manager"]["value"],
        full[ENTERPRISE]["manager"]["value"]
    );
    assert!(body[ENTERPRISE]["manager"].get("displayName").is_none());

    // The same through POST /Users/.search (arrays).
    let (status, page) = post(
        &stack,
        "/Users/.search",
        &json!({
            "schemas": [SEARCH],
            "filter": format!("id eq \"{id}\""),
            "attributes": ["userName", format!("{ENTERPRISE}:department")],
        }),
    )
    .await;
    assert_eq!(status, 200);
    let item = &page["Resources"][0];
    assert_eq!(keys(item), set(&["schemas", "id", "userName", ENTERPRISE]));
    assert_eq!(item["schemas"], json!([CORE, ENTERPRISE]));
    let (status, page) = post(
        &stack,
        "/Users/.search",
        &json!({
            "schemas": [SEARCH],
            "filter": format!("id eq \"{id}\""),
            "excludedAttributes": [ENTERPRISE, ZOOM, "groups"],
        }),
    )
    .await;
    assert_eq!(status, 200);
    let item = &page["Resources"][0];
    assert!(item.get(ENTERPRISE).is_none() && item.get("groups").is_none());
    assert_eq!(item["schemas"], json!([CORE]));
    assert_eq!(item["userName"], full["userName"]);

    // Both parameters, or an unknown attribute: 400.
    let (status, body) = stack
        .get(&by_id("attributes=userName&excludedAttributes=name"))
        .await;
    assert_scim_error((status, &body), 400, Some("invalidSyntax"), "both");
    let (status, body) = stack.get("/Users?attributes=noSuchAttribute").await;
    assert_scim_error((status, &body), 400, Some("invalidValue"), "unknown");
}

#[tokio::test]
async fn detail_calls_are_made_only_when_the_requested_attributes_need_them() {
    let stack = start_stack(sim_settings(80), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let users = state["users"].as_array().unwrap();
    let total = users.len();
    let pending = users.iter().filter(|u| u["status"] == "pending").count();
    let active = users.iter().filter(|u| u["status"] == "active").count();
    assert!(pending > 0 && pending < total, "seed mixes statuses");

    // Attributes every list record has: no per-user call, except one look-up per
    // pending invitee (Zoom lists them without an id, which SCIM must give).
    stack.reset_sim_stats().await;
    let (status, page) = stack
        .get("/Users?count=1000&attributes=userName,active")
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["Resources"].as_array().unwrap().len(), total);
    assert_eq!(
        stack.zoom_calls("GET /users/{userId}").await,
        pending as u64
    );

    // Only active users (pushed down to Zoom's status list): no per-user call at all.
    stack.reset_sim_stats().await;
    let filter = urlencode(&format!("{ZOOM}:status eq \"active\""));
    let (_, page) = stack
        .get(&format!(
            "/Users?count=1000&attributes=userName,active&filter={filter}"
        ))
        .await;
    assert_eq!(page["totalResults"], active);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 0);
    assert!(stack.zoom_calls("GET /users").await >= 1);

    // A detail-only attribute (title): one detail call per user, pending ones included,
    // and the values are Zoom's.
    stack.reset_sim_stats().await;
    let (_, page) = stack
        .get("/Users?count=1000&attributes=userName,title")
        .await;
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, total as u64);
    let titles: HashMap<String, Value> = users
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().to_ascii_lowercase(),
                u["job_title"].clone(),
            )
        })
        .collect();
    for user in page["Resources"].as_array().unwrap() {
        let email = user["userName"].as_str().unwrap().to_ascii_lowercase();
        let want = &titles[&email];
        if want.as_str().is_some_and(|t| !t.is_empty()) {
            assert_eq!(&user["title"], want, "{email}");
        }
    }

    // The default attribute set needs the detail too (deep import is on by default).
    stack.reset_sim_stats().await;
    stack.get("/Users?count=1000").await;
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, total as u64);
}

#[tokio::test]
async fn with_deep_get_and_import_off_listings_make_no_detail_calls() {
    let mut config = Config::default();
    config.scim.deep_get = false;
    config.scim.deep_import = false;
    let stack = start_stack(sim_settings(40), config).await;
    let state = stack.sim_admin("state").await;
    let users = state["users"].as_array().unwrap();
    let pending = users.iter().filter(|u| u["status"] == "pending").count() as u64;

    stack.reset_sim_stats().await;
    let (status, page) = stack.get("/Users?count=1000").await;
    assert_eq!(status, 200);
    assert_eq!(page["totalResults"], users.len());
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, pending);

    stack.reset_sim_stats().await;
    let (status, _) = stack
        .get(&format!(
            "/Users?filter={}&attributes=userName,title",
            urlencode("userName sw \"a\"")
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, pending);

    // A single GET always reads the whole record.
    let id = users
        .iter()
        .find(|u| u["status"] == "active")
        .and_then(|u| u["id"].as_str())
        .unwrap();
    stack.reset_sim_stats().await;
    let (status, _) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(stack.zoom_calls("GET /users/{userId}").await, 1);
}

#[tokio::test]
async fn more_than_a_thousand_users_paged_by_100_come_exactly_once_with_stable_totals() {
    let stack = start_stack(sim_settings(1_150), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let sim_users = state["users"].as_array().unwrap();
    let expected: HashMap<String, Option<String>> = sim_users
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().to_ascii_lowercase(),
                u["id"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert!(expected.len() > 1_000);
    stack.reset_sim_stats().await;

    let mut seen = HashSet::new();
    let mut ids = HashSet::new();
    let mut start = 1;
    let mut pages = 0;
    loop {
        let (status, page) = stack
            .get(&format!(
                "/Users?startIndex={start}&count=100&attributes=userName,active"
            ))
            .await;
        assert_eq!(status, 200);
        assert_eq!(page["totalResults"], expected.len(), "page at {start}");
        assert_eq!(page["startIndex"], start);
        let resources = page["Resources"].as_array().unwrap();
        assert_eq!(page["itemsPerPage"], resources.len());
        assert!(resources.len() <= 100);
        if resources.is_empty() {
            break;
        }
        pages += 1;
        for user in resources {
            let email = user["userName"].as_str().unwrap().to_ascii_lowercase();
            let id = user["id"].as_str().unwrap().to_owned();
            if let Some(Some(sim_id)) = expected.get(&email) {
                assert_eq!(&id, sim_id, "{email}");
            }
            assert!(seen.insert(email.clone()), "{email} twice");
            assert!(ids.insert(id), "id of {email} twice");
        }
        start += resources.len();
    }
    assert_eq!(pages, expected.len().div_ceil(100));
    assert_eq!(
        seen,
        expected.keys().cloned().collect::<HashSet<_>>(),
        "no user lost"
    );
    // The walk reused Zoom cursors: about users / 300 list calls, plus one per status
    // boundary, not a walk from the start for each of the 12 SCIM pages.
    let list_calls = stack.zoom_calls("GET /users").await;
    assert!(list_calls <= 8, "{list_calls} Zoom list calls");
}

#[tokio::test]
async fn count_and_start_index_edge_cases_follow_rfc_7644_3_4_2_4() {
    let mut config = Config::default();
    config.scim.default_count = Some(10);
    let stack = start_stack(sim_settings(30), config).await;
    let (_, all) = stack.get("/Users?count=10&attributes=userName").await;
    let total = all["totalResults"].as_u64().unwrap() as usize;
    let first_id = all["Resources"][0]["id"].clone();

    let page_of = |body: &Value| body["Resources"].as_array().map_or(0, Vec::len);
    // The operator's cap is the default and the maximum.
    let (_, body) = stack.get("/Users?attributes=userName").await;
    assert_eq!((page_of(&body), &body["itemsPerPage"]), (10, &json!(10)));
    let (_, body) = stack.get("/Users?count=5000&attributes=userName").await;
    assert_eq!(page_of(&body), 10, "count above the cap is clamped");
    assert_eq!(body["itemsPerPage"], 10);
    let (_, body) = stack.get("/Users?count=5&attributes=userName").await;
    assert_eq!(page_of(&body), 5);
    let (_, spc) = stack.get("/ServiceProviderConfig").await;
    assert_eq!(spc["filter"]["maxResults"], 10);
    // count=0 and negative counts: totals only.
    for count in ["0", "-7"] {
        let (status, body) = stack.get(&format!("/Users?count={count}")).await;
        assert_eq!(status, 200, "count={count}");
        assert_eq!(body["totalResults"], total, "count={count}");
        assert_eq!(page_of(&body), 0, "count={count}");
        assert_eq!(body["itemsPerPage"], 0);
    }
    // startIndex below 1 is 1.
    for start in ["0", "-5"] {
        let (status, body) = stack
            .get(&format!(
                "/Users?startIndex={start}&count=1&attributes=userName"
            ))
            .await;
        assert_eq!(status, 200, "startIndex={start}");
        assert_eq!(body["startIndex"], 1);
        assert_eq!(body["Resources"][0]["id"], first_id);
    }
    // Near and past the end.
    let (_, body) = stack
        .get(&format!("/Users?startIndex={}&count=10", total - 1))
        .await;
    assert_eq!(page_of(&body), 2);
    let (status, body) = stack.get("/Users?startIndex=100000&count=10").await;
    assert_eq!(status, 200);
    assert_eq!(page_of(&body), 0);
    assert_eq!(body["totalResults"], total);

    // Garbage and out-of-range integers: 400 invalidValue with a SCIM body.
    for query in [
        "startIndex=abc",
        "count=ten",
        "count=1.5",
        "startIndex=",
        "count=99999999999999999999999",
        "startIndex=-99999999999999999999999",
    ] {
        let (status, body) = stack.get(&format!("/Users?{query}")).await;
        assert_scim_error((status, &body), 400, Some("invalidValue"), query);
    }
    // The same rules in a SearchRequest body.
    let (status, body) = post(
        &stack,
        "/Users/.search",
        &json!({"schemas": [SEARCH], "count": -1, "startIndex": -3}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["totalResults"].clone(), page_of(&body)),
        (json!(total), 0)
    );
    for bad in [
        json!({"schemas": [SEARCH], "count": "abc"}),
        json!({"schemas": [SEARCH], "startIndex": 1.5}),
        json!({"schemas": [SEARCH], "count": true}),
        json!({"schemas": [SEARCH], "count": 1e30}),
    ] {
        let (status, body) = post(&stack, "/Users/.search", &bad).await;
        assert_scim_error((status, &body), 400, Some("invalidValue"), &bad.to_string());
    }
}

#[tokio::test]
async fn absurd_filters_are_400_invalid_filter_never_a_server_error() {
    let stack = start_stack(sim_settings(20), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let emails: Vec<String> = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect();

    let deep_parens = |n: usize| format!("{}userName eq \"a\"{}", "(".repeat(n), ")".repeat(n));
    let deep_not = |n: usize| format!("{}userName eq \"a\"{}", "not (".repeat(n), ")".repeat(n));
    let too_long = format!("userName eq \"{}\"", "x".repeat(9_000));
    let absurd = [
        deep_parens(100),
        deep_parens(3_000),
        deep_not(200),
        too_long.clone(),
        "userName eq".to_owned(),
        "userName xx \"a\"".to_owned(),
        "((userName eq \"a\")".to_owned(),
        "userName eq \"a\" and".to_owned(),
        "userName eq \"unterminated".to_owned(),
        "active gt true".to_owned(),
        "emails[type eq \"work\" and emails[value eq \"x\"]]".to_owned(),
        "emails[type eq \"work\"".to_owned(),
        "urn:nope:User:userName eq \"a\"".to_owned(),
        "\u{0}\u{1}\u{7f}".to_owned(),
    ];
    for filter in &absurd {
        let shown: String = filter.chars().take(60).collect();
        let (status, body) = post(
            &stack,
            "/Users/.search",
            &json!({"schemas": [SEARCH], "filter": filter}),
        )
        .await;
        assert_scim_error((status, &body), 400, Some("invalidFilter"), &shown);
        if filter.len() < 4_000 {
            let (status, body) = stack
                .get(&format!("/Users?filter={}", urlencode(filter)))
                .await;
            assert_scim_error((status, &body), 400, Some("invalidFilter"), &shown);
        }
    }

    // A long but well-formed filter (within the limits) is evaluated exactly.
    let mut terms: Vec<String> = (0..120)
        .map(|i| format!("userName eq \"nobody{i}@example.invalid\""))
        .collect();
    terms.extend(emails.iter().map(|e| format!("userName eq \"{e}\"")));
    let (status, body) = post(
        &stack,
        "/Users/.search",
        &json!({"schemas": [SEARCH], "filter": terms.join(" or "), "attributes": ["userName"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let found: HashSet<String> = body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    let want: HashSet<String> = emails.iter().map(|e| e.to_ascii_lowercase()).collect();
    assert_eq!(found, want);
}

#[tokio::test]
async fn oversized_requests_are_refused_with_scim_errors() {
    let mut config = Config::default();
    config.server.max_body_bytes = 4096;
    let stack = start_stack(sim_settings(5), config).await;
    let base = stack.service.scim_base_url.clone();

    // Body over server.max_body_bytes: 413 (with and without a matching filter size).
    let big =
        json!({"schemas": [SEARCH], "filter": format!("userName eq \"{}\"", "x".repeat(5_000))});
    let (status, body) = post(&stack, "/Users/.search", &big).await;
    assert_scim_error((status, &body), 413, None, "body");

    // Headers over 64 KiB: 431; a request target over 16 KiB: 414. Both SCIM bodies.
    let response = stack
        .http
        .get(format!("{base}/Users?count=1"))
        .bearer_auth(SCIM_TOKEN)
        .header("x-padding", "a".repeat(100 * 1024))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_scim_error((status, &body), 431, None, "headers");

    let response = stack
        .http
        .get(format!("{base}/Users?count=1&x={}", "a".repeat(20 * 1024)))
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_scim_error((status, &body), 414, None, "target");

    // Refused before authentication, like any oversized request.
    let response = stack
        .http
        .get(format!("{base}/Users"))
        .header("x-padding", "a".repeat(100 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);

    // Ordinary large headers (a 16 KiB JWT-sized value) still pass.
    let response = stack
        .http
        .get(format!("{base}/Users?count=1"))
        .bearer_auth(SCIM_TOKEN)
        .header("x-padding", "a".repeat(16 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // A body in another format (curl's default form encoding): 415, a SCIM body.
    let response = stack
        .http
        .post(format!("{base}/Users"))
        .bearer_auth(SCIM_TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(r#"{"userName":"form@example.com"}"#)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_scim_error((status, &body), 415, None, "content type");
}

#[tokio::test]
async fn zoom_faults_during_a_listing_answer_503_with_retry_after() {
    let mut config = Config::default();
    config.zoom.io_error_retries = 2;
    config.zoom.retry_base_ms = 1;
    config.zoom.retry_max_ms = 5;
    let stack = start_stack(sim_settings(20), config).await;

    // Fewer 5xx than attempts: retried, invisible to the SCIM client.
    sim_post(
        &stack,
        "faults",
        &json!({"method": "GET", "path": "/users", "action": "respond", "status": 502, "count": 2}),
    )
    .await;
    let (status, page) = stack.get("/Users?attributes=userName").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalResults"], 20);

    // Every attempt fails (1 + 2 retries, for each status listed, possibly at the same
    // time): 503 with Retry-After and a SCIM body.
    sim_post(
        &stack,
        "faults",
        &json!({"method": "GET", "path": "/users", "action": "respond", "status": 503, "count": 100}),
    )
    .await;
    let (status, headers, body) = get_full(&stack, "/Users?attributes=userName,active").await;
    assert_scim_error((status, &body), 503, None, "5xx");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1, "{retry_after}");
    // Zoom answers again: so does the next listing.
    stack.clear_faults().await;
    let (status, _) = stack.get("/Users?attributes=userName,active").await;
    assert_eq!(status, 200);

    // A fault on the detail call of a single GET: 503 too.
    let (_, page) = stack.get("/Users?count=1&attributes=userName").await;
    let id = page["Resources"][0]["id"].as_str().unwrap().to_owned();
    sim_post(
        &stack,
        "faults",
        &json!({"method": "GET", "path": "/users/{userId}", "action": "respond", "status": 500, "count": 3}),
    )
    .await;
    let (status, headers, body) = get_full(&stack, &format!("/Users/{id}")).await;
    assert_scim_error((status, &body), 503, None, "detail 5xx");
    assert!(headers.contains_key("retry-after"));

    // A daily-limit 429 fails fast (no retry) with the time to the reset.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT00:00:00Z")
        .to_string();
    sim_post(
        &stack,
        "faults",
        &json!({
            "method": "GET", "path": "/users", "action": "respond", "status": 429, "count": 1,
            "headers": {"X-RateLimit-Type": "Daily-limit", "Retry-After": tomorrow, "X-RateLimit-Category": "Medium"},
            "body": {"code": 429, "message": "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request."}
        }),
    )
    .await;
    stack.reset_sim_stats().await;
    let (status, headers, body) = get_full(&stack, "/Users?count=3&attributes=userName").await;
    assert_scim_error((status, &body), 503, None, "daily 429");
    let retry_after: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    let until_reset = chrono::DateTime::parse_from_rfc3339(&tomorrow)
        .unwrap()
        .signed_duration_since(chrono::Utc::now())
        .num_seconds();
    assert!(
        (retry_after - until_reset).abs() <= 5,
        "Retry-After {retry_after}, reset in {until_reset} s"
    );
    assert_eq!(
        stack.zoom_calls("GET /users").await,
        1,
        "no retry of a daily 429"
    );
    // The client remembers the spent quota: the next listing fails fast without
    // asking Zoom again.
    let (status, headers, body) = get_full(&stack, "/Users?attributes=userName").await;
    assert_scim_error((status, &body), 503, None, "daily quota remembered");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(
        stack.zoom_calls("GET /users").await,
        1,
        "Zoom not asked again"
    );
}

#[tokio::test]
async fn a_proxy_page_instead_of_a_zoom_error_is_502_and_never_quoted() {
    let stack = start_stack(sim_settings(5), Config::default()).await;
    let (_, page) = stack.get("/Users?count=1&attributes=userName").await;
    let id = page["Resources"][0]["id"].as_str().unwrap().to_owned();
    let nginx = "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or Cookie Too Large</center>\r\n<hr><center>nginx/1.18.0 at zoom-edge-07.internal.zoom.us</center>\r\n</body>\r\n</html>\r\n";
    // A read carries no client value: a gateway's 400, 403 or 404 page is the upstream
    // answering badly, not invalidValue, forbidden or "no such user".
    for status in [400, 403, 404, 413] {
        sim_post(
            &stack,
            "faults",
            &json!({"method": "GET", "path": "/users/{userId}", "action": "respond", "status": status,
                    "body": nginx, "headers": {"content-type": "text/html"}}),
        )
        .await;
        stack.reset_sim_stats().await;
        let (code, body) = stack.get(&format!("/Users/{id}")).await;
        let what = format!("gateway {status}");
        assert_scim_error((code, &body), 502, None, &what);
        let detail = body["detail"].as_str().unwrap();
        for leaked in ["nginx", "zoom-edge", "Cookie", "<"] {
            assert!(!detail.contains(leaked), "{what}: {detail}");
        }
        assert_eq!(
            stack.zoom_calls("GET /users/{userId}").await,
            1,
            "{what}: not retried"
        );
    }
    // Zoom's own JSON errors keep their meaning.
    sim_post(
        &stack,
        "faults",
        &json!({"method": "GET", "path": "/users/{userId}", "action": "respond", "status": 404,
                "body": {"code": 1001, "message": "User does not exist."}}),
    )
    .await;
    let (code, body) = stack.get(&format!("/Users/{id}")).await;
    assert_scim_error((code, &body), 404, None, "Zoom's 404");
    // The user is untouched and reads normally again.
    let (code, body) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(code, 200, "{body}");
}

#[tokio::test]
async fn filters_that_could_only_ever_match_nothing_are_400_invalid_filter() {
    let stack = start_stack(sim_settings(12), Config::default()).await;
    let state = stack.sim_admin("state").await;
    let users = state["users"].as_array().unwrap();
    let inactive = users.iter().filter(|u| u["status"] == "inactive").count();
    stack.reset_sim_stats().await;
    let refused = [
        // Zoom keeps no creation time for groups (modification times come from the
        // store: delta_import.rs).
        (
            "/Groups",
            r#"meta.created ge "2026-01-01T00:00:00Z""#,
            "meta.created",
        ),
        // dateTimes compare chronologically: the value must be one.
        ("/Users", r#"meta.created gt "not-a-date""#, "RFC 3339"),
        // Values of the wrong type.
        ("/Users", "userName gt true", "quoted string"),
        ("/Users", r#"active eq "yes""#, "true or false"),
    ];
    for (endpoint, filter, named) in refused {
        let (status, body) = stack
            .get(&format!("{endpoint}?filter={}", urlencode(filter)))
            .await;
        assert_scim_error((status, &body), 400, Some("invalidFilter"), filter);
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(named), "{filter}: {detail}");
        let (status, body) = post(
            &stack,
            &format!("{endpoint}/.search"),
            &json!({"schemas": [SEARCH], "filter": filter}),
        )
        .await;
        assert_scim_error((status, &body), 400, Some("invalidFilter"), filter);
    }
    let stats = stack.sim_admin("stats").await;
    assert_eq!(
        stats["requests"].as_object().map_or(0, |r| r.len()),
        0,
        "refused before asking Zoom: {stats}"
    );

    // What clients send keeps working: Entra's string booleans, creation times.
    let (status, page) = stack
        .get(&format!(
            "/Users?filter={}",
            urlencode(r#"active eq "False""#)
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalResults"], inactive);
    let (status, page) = stack
        .get(&format!(
            "/Users?filter={}",
            urlencode(r#"meta.created gt "2000-01-01T00:00:00+01:00""#)
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    let with_created = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["meta"]["created"].is_string())
        .count();
    assert_eq!(page["totalResults"], with_created);
    assert!(with_created > 0, "{page}");
    // And no resource claims a value the filters refuse: Zoom keeps no group creation
    // time.
    let (_, groups) = stack.get("/Groups").await;
    for g in groups["Resources"].as_array().unwrap() {
        assert!(g["meta"].get("created").is_none(), "{g}");
    }
}
