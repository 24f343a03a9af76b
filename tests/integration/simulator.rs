//! Black-box tests of the Zoom API simulator over HTTP: OAuth, users (pending and
//! deactivated rules included), groups, roles, paging tokens, rate limits with their
//! headers, random and scripted faults, and the admin API.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use zoom_scim::simulator::AccountPlan;
use zoom_scim::simulator::{SimCredentials, SimHandle, SimSettings};

use crate::support::start_simulator;

/// A simulator with an HTTP client and a valid access token.
struct Zoom {
    sim: SimHandle,
    http: Client,
    token: String,
}

/// A response: status, headers and body (JSON, a JSON string for non-JSON text, or
/// null when empty).
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn client() -> Client {
    Client::builder().no_proxy().build().expect("client")
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Reply {
        status,
        headers,
        body,
    }
}

async fn fetch_token(http: &Client, sim: &SimHandle) -> String {
    crate::support::zoom_token(http, sim).await
}

impl Zoom {
    async fn start(settings: SimSettings) -> Self {
        let sim = start_simulator(settings).await;
        let http = client();
        let token = fetch_token(&http, &sim).await;
        Self { sim, http, token }
    }

    fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sim.api_base_url()))
            .bearer_auth(&self.token)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.req(method, path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        reply(req.send().await.expect("api call")).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.admin_url()));
        if let Some(body) = body {
            req = req.json(&body);
        }
        reply(req.send().await.expect("admin call")).await
    }

    async fn state(&self) -> Value {
        self.admin(Method::GET, "/state", None).await.body
    }

    /// Creates a user with `action` and returns its id.
    async fn create_user(&self, action: &str, email: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/users",
                Some(json!({"action": action, "user_info": {
                    "email": email, "type": 1, "first_name": "New", "last_name": "Hire"}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_str().expect("id").to_owned()
    }

    /// The first active Member (role 2) of the seeded account.
    async fn some_member(&self) -> Value {
        let r = self.get("/users?page_size=300&role_id=2").await;
        r.body["users"][0].clone()
    }
}

fn settings(users: usize) -> SimSettings {
    SimSettings {
        users,
        ..SimSettings::default()
    }
}

fn assert_zoom_error(r: &Reply, status: u16, code: i64) {
    assert_eq!(r.status.as_u16(), status, "body: {}", r.body);
    assert_eq!(r.body["code"], code, "body: {}", r.body);
    assert!(r.body["message"].is_string(), "body: {}", r.body);
}

// ----- OAuth ---------------------------------------------------------------------------

#[tokio::test]
async fn token_endpoint_issues_tokens_and_refuses_bad_requests() {
    let sim = start_simulator(settings(5)).await;
    let http = client();
    let creds = SimCredentials::default();

    // Form body.
    let r = reply(
        http.post(sim.token_url())
            .basic_auth(&creds.client_id, Some(&creds.client_secret))
            .form(&[
                ("grant_type", "account_credentials"),
                ("account_id", &creds.account_id),
            ])
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("x-zm-trackingid").is_some());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.body["token_type"], "bearer");
    assert_eq!(r.body["expires_in"], 3600);
    assert!(
        r.body["scope"]
            .as_str()
            .is_some_and(|s| s.contains("user:read:user:admin"))
    );
    assert_eq!(r.body["api_url"], format!("http://{}", sim.addr));
    let first = r.body["access_token"].as_str().expect("token").to_owned();

    // Query string; a second token is issued while the first stays valid.
    let r = reply(
        http.post(sim.token_url())
            .basic_auth(&creds.client_id, Some(&creds.client_secret))
            .query(&[
                ("grant_type", "account_credentials"),
                ("account_id", &creds.account_id),
            ])
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let second = r.body["access_token"].as_str().expect("token").to_owned();
    assert_ne!(first, second);
    for token in [&first, &second] {
        let r = http
            .get(format!("{}/users/me", sim.api_base_url()))
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::OK);
    }

    // Bad client secret.
    let r = reply(
        http.post(sim.token_url())
            .basic_auth(&creds.client_id, Some("wrong"))
            .form(&[
                ("grant_type", "account_credentials"),
                ("account_id", &creds.account_id),
            ])
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.body,
        json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
    );
    // No credentials at all.
    let r = reply(
        http.post(sim.token_url())
            .form(&[("grant_type", "account_credentials")])
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.body["error"], "invalid_client");
    // Wrong grant.
    let r = reply(
        http.post(sim.token_url())
            .basic_auth(&creds.client_id, Some(&creds.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"reason": "unsupported grant type", "error": "unsupported_grant_type"})
    );
    // Unknown account.
    let r = reply(
        http.post(sim.token_url())
            .basic_auth(&creds.client_id, Some(&creds.client_secret))
            .form(&[
                ("grant_type", "account_credentials"),
                ("account_id", "someone-else"),
            ])
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"reason": "Account does not exist", "error": "invalid_request"})
    );
}

#[tokio::test]
async fn api_calls_need_a_valid_token() {
    let zoom = Zoom::start(settings(5)).await;
    let url = format!("{}/users", zoom.sim.api_base_url());
    for auth in [None, Some("Bearer forged"), Some("Basic abc")] {
        let mut req = zoom.http.get(&url);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let r = reply(req.send().await.expect("send")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.body,
            json!({"code": 124, "message": "Invalid access token."})
        );
        assert_eq!(r.header("x-ratelimit-category"), Some("Medium"));
        assert!(r.header("x-zm-trackingid").is_some());
    }
}

#[tokio::test]
async fn tokens_expire_and_can_be_revoked() {
    let zoom = Zoom::start(SimSettings {
        token_ttl_s: 1,
        users: 5,
        ..SimSettings::default()
    })
    .await;
    assert_eq!(zoom.get("/users/me").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_zoom_error(&zoom.get("/users/me").await, 401, 124);

    let zoom = Zoom::start(settings(5)).await;
    assert_eq!(zoom.get("/users/me").await.status, StatusCode::OK);
    let r = zoom.admin(Method::POST, "/tokens/revoke", None).await;
    assert_eq!(r.body["revoked"], 1);
    assert_zoom_error(&zoom.get("/users/me").await, 401, 124);
    let fresh = fetch_token(&zoom.http, &zoom.sim).await;
    let r = zoom
        .http
        .get(format!("{}/users/me", zoom.sim.api_base_url()))
        .bearer_auth(fresh)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
}

// ----- Users ---------------------------------------------------------------------------

#[tokio::test]
async fn every_answer_carries_zoom_headers() {
    let zoom = Zoom::start(settings(10)).await;
    let r = zoom.get("/users/me").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    assert_eq!(r.header("x-ratelimit-category"), Some("Light"));
    assert_eq!(r.header("x-ratelimit-limit"), Some("80"));
    assert!(r.header("x-ratelimit-remaining").is_some());
    assert!(
        r.header("x-zm-trackingid")
            .is_some_and(|t| t.starts_with("v=2.0;clid=sim;rid="))
    );
    let other = zoom.get("/users/me").await;
    assert_ne!(r.header("x-zm-trackingid"), other.header("x-zm-trackingid"));
    let r = zoom.get("/users/nobody@example.com").await;
    assert_zoom_error(&r, 404, 1001);
    assert_eq!(
        r.body["message"],
        "User does not exist: nobody@example.com."
    );
    assert_eq!(r.header("x-ratelimit-category"), Some("Light"));
}

#[tokio::test]
async fn users_are_listed_in_pages_with_tokens() {
    let zoom = Zoom::start(settings(150)).await;
    let state = zoom.state().await;
    let active = state["account"]["user_counts"]["active"]
        .as_u64()
        .expect("count") as usize;
    assert!(active > 60);

    let first = zoom.get("/users?page_size=30").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("x-ratelimit-category"), Some("Medium"));
    let b = &first.body;
    assert_eq!(b["page_number"], 1);
    assert_eq!(b["page_size"], 30);
    assert_eq!(b["total_records"], active);
    assert_eq!(b["page_count"], active.div_ceil(30));
    assert_eq!(b["users"].as_array().map(Vec::len), Some(30));
    let mut ids: Vec<String> = b["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect();
    let mut token = b["next_page_token"].as_str().expect("token").to_owned();
    assert!(!token.is_empty());
    while !token.is_empty() {
        let r = zoom
            .get(&format!("/users?page_size=30&next_page_token={token}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // contract section 2: token pages carry no page_count/page_number.
        assert!(r.body.get("page_count").is_none());
        assert!(r.body.get("page_number").is_none());
        assert_eq!(r.body["total_records"], active);
        for u in r.body["users"].as_array().expect("users") {
            assert_eq!(u["status"], "active");
            ids.push(u["id"].as_str().expect("id").to_owned());
        }
        token = r.body["next_page_token"]
            .as_str()
            .expect("token")
            .to_owned();
    }
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), active);
    assert_eq!(unique.len(), active);

    // The deprecated page_number still works.
    let p2 = zoom.get("/users?page_size=30&page_number=2").await;
    assert_eq!(p2.body["page_number"], 2);
    assert_eq!(p2.body["users"][0]["id"].as_str(), Some(ids[30].as_str()));

    // page_size is clamped to max_page_size (300) and defaults to 30.
    let r = zoom.get("/users?page_size=5000").await;
    assert_eq!(r.body["page_size"], 300);
    assert_eq!(r.body["next_page_token"], "");
    let r = zoom.get("/users").await;
    assert_eq!(r.body["page_size"], 30);
    // Bad page_size and status.
    assert_zoom_error(&zoom.get("/users?page_size=ten").await, 400, 300);
    assert_zoom_error(&zoom.get("/users?status=gone").await, 400, 300);

    // Role filter with an exact total.
    let admins = zoom.get("/users?role_id=1&page_size=300").await;
    let n = admins.body["users"]
        .as_array()
        .map(Vec::len)
        .expect("users");
    assert_eq!(admins.body["total_records"], n);
    assert!(n >= 2);
    assert!(
        admins.body["users"]
            .as_array()
            .expect("users")
            .iter()
            .all(|u| u["role_id"] == "1")
    );
}

#[tokio::test]
async fn page_tokens_are_tied_to_the_query_and_expire() {
    let zoom = Zoom::start(SimSettings {
        users: 80,
        page_token_ttl_s: 2,
        ..SimSettings::default()
    })
    .await;
    let first = zoom.get("/users?page_size=10").await;
    let token = first.body["next_page_token"]
        .as_str()
        .expect("token")
        .to_owned();
    // Another status: invalid.
    let r = zoom
        .get(&format!(
            "/users?page_size=10&status=inactive&next_page_token={token}"
        ))
        .await;
    assert_zoom_error(&r, 400, 300);
    assert_eq!(
        r.body["message"],
        "The next page token is invalid or expired."
    );
    // Another role filter: invalid.
    let r = zoom
        .get(&format!(
            "/users?page_size=10&role_id=2&next_page_token={token}"
        ))
        .await;
    assert_zoom_error(&r, 400, 300);
    // Same query: valid, and reusable (a retried page gives the same users).
    let a = zoom
        .get(&format!("/users?page_size=10&next_page_token={token}"))
        .await;
    let b = zoom
        .get(&format!("/users?page_size=10&next_page_token={token}"))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["users"], b.body["users"]);
    assert_ne!(a.body["users"][0]["id"], first.body["users"][0]["id"]);
    // Forged.
    assert_zoom_error(&zoom.get("/users?next_page_token=forged").await, 400, 300);
    // Expired.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = zoom
        .get(&format!("/users?page_size=10&next_page_token={token}"))
        .await;
    assert_zoom_error(&r, 400, 300);
}

#[tokio::test]
async fn create_validates_and_reports_duplicates_409_or_412() {
    for status in [409u16, 412] {
        let zoom = Zoom::start(SimSettings {
            users: 10,
            duplicate_status: status,
            ..SimSettings::default()
        })
        .await;
        let id = zoom.create_user("autoCreate", "jane.roe@example.com").await;
        assert_eq!(id.len(), 22);
        let r = zoom
            .call(
                Method::POST,
                "/users",
                Some(json!({"action": "create", "user_info": {"email": "JANE.ROE@example.com", "type": 1}})),
            )
            .await;
        assert_zoom_error(&r, status, 1005);
        assert_eq!(
            r.body["message"],
            "Email \"JANE.ROE@example.com\" has already been used."
        );
    }

    let zoom = Zoom::start(settings(5)).await;
    let r = zoom
        .call(
            Method::POST,
            "/users",
            Some(json!({"action": "create", "user_info": {"first_name": "x".repeat(65)}})),
        )
        .await;
    assert_zoom_error(&r, 400, 300);
    assert_eq!(r.body["message"], "Validation Failed.");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(fields.contains(&"user_info.email"), "{fields:?}");
    assert!(fields.contains(&"user_info.type"), "{fields:?}");
    assert!(fields.contains(&"user_info.first_name"), "{fields:?}");

    for bad in [
        json!({"user_info": {"email": "a@example.com", "type": 1}}),
        json!({"action": "invite", "user_info": {"email": "a@example.com", "type": 1}}),
        json!({"action": "create", "user_info": {"email": "not-an-email", "type": 1}}),
        json!({"action": "create", "user_info": {"email": "a@example.com", "type": 3}}),
        json!({"action": "create", "user_info": {"email": "a@example.com", "type": 99}}),
        json!({"action": "autoCreate", "user_info": {"email": "a@example.com", "type": 1, "password": "short"}}),
    ] {
        assert_zoom_error(
            &zoom.call(Method::POST, "/users", Some(bad)).await,
            400,
            300,
        );
    }
    let r = reply(
        zoom.req(Method::POST, "/users")
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_zoom_error(&r, 400, 300);
    // autoCreate outside the managed domain.
    let r = zoom
        .call(
            Method::POST,
            "/users",
            Some(json!({"action": "autoCreate", "user_info": {"email": "a@elsewhere.org", "type": 1}})),
        )
        .await;
    assert_zoom_error(&r, 400, 1116);
    // ssoCreate may use type 99; the created user is active and readable.
    let r = zoom
        .call(
            Method::POST,
            "/users",
            Some(json!({"action": "ssoCreate", "user_info": {"email": "sso.user@example.com", "type": 99,
                        "feature": {"zoom_phone": true}}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let keys: Vec<&String> = r.body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["id", "first_name", "last_name", "email", "type"]);
    let got = zoom.get("/users/sso.user@example.com").await;
    assert_eq!(got.body["status"], "active");
    assert_eq!(got.body["login_types"], json!([101]));
    let state = zoom.state().await;
    let created = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == "sso.user@example.com")
        .expect("in state");
    assert_eq!(created["zoom_phone"], true);
}

#[tokio::test]
async fn create_action_has_a_daily_limit_per_plan() {
    // Pro: 1,500 invitations a day, scaled by 0.002 to 3. The scaled Light rate is
    // 1/s, so the test waits a second between calls.
    let zoom = Zoom::start(SimSettings {
        users: 5,
        plan: AccountPlan::Pro,
        rate_scale: 0.002,
        ..SimSettings::default()
    })
    .await;
    for i in 0..3 {
        let r = zoom
            .call(
                Method::POST,
                "/users",
                Some(json!({"action": "create", "user_info": {"email": format!("inv{i}@example.com"), "type": 1}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        tokio::time::sleep(Duration::from_millis(1050)).await;
    }
    let r = zoom
        .call(
            Method::POST,
            "/users",
            Some(
                json!({"action": "create", "user_info": {"email": "inv9@example.com", "type": 1}}),
            ),
        )
        .await;
    assert_zoom_error(&r, 429, 429);
    assert_eq!(r.header("x-ratelimit-type"), Some("Daily-limit"));
    assert!(
        r.header("retry-after")
            .is_some_and(|v| v.ends_with("T00:00:00Z"))
    );
    // Other actions are not counted.
    tokio::time::sleep(Duration::from_millis(1050)).await;
    zoom.create_user("autoCreate", "auto@example.com").await;
}

#[tokio::test]
async fn users_are_read_by_id_email_or_me() {
    let zoom = Zoom::start(settings(20)).await;
    let me = zoom.get("/users/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["role_id"], "0");
    assert_eq!(me.body["role_name"], "Owner");
    for key in [
        "id",
        "email",
        "first_name",
        "last_name",
        "display_name",
        "type",
        "pmi",
        "timezone",
        "dept",
        "created_at",
        "user_created_at",
        "group_ids",
        "account_id",
        "account_number",
        "language",
        "status",
        "job_title",
        "location",
        "login_types",
        "role_id",
        "cluster",
        "verified",
    ] {
        assert!(me.body.get(key).is_some(), "missing {key}: {}", me.body);
    }
    let id = me.body["id"].as_str().expect("id");
    let email = me.body["email"].as_str().expect("email");
    let by_id = zoom.get(&format!("/users/{id}")).await;
    let by_email = zoom.get(&format!("/users/{}", email.to_uppercase())).await;
    assert_eq!(by_id.body["id"], me.body["id"]);
    assert_eq!(by_email.body["id"], me.body["id"]);
    assert_zoom_error(&zoom.get("/users/AAAAAAAAAAAAAAAAAAAAAA").await, 404, 1001);

    let exists = zoom.get(&format!("/users/email?email={email}")).await;
    assert_eq!(exists.header("x-ratelimit-category"), Some("Light"));
    // The owner is an SSO or e-mail user; compare with the seeded login type.
    let sso = me.body["login_types"] == json!([101]);
    assert_eq!(exists.body["existed_email"], !sso);
    let missing = zoom.get("/users/email?email=ghost@example.com").await;
    assert_eq!(missing.body, json!({"existed_email": false}));
    assert_zoom_error(&zoom.get("/users/email").await, 400, 300);
}

#[tokio::test]
async fn pending_users_follow_zooms_rules() {
    let zoom = Zoom::start(settings(20)).await;
    let id = zoom.create_user("create", "invitee@example.com").await;

    // Listed without id.
    let r = zoom.get("/users?status=pending&page_size=300").await;
    let listed = r.body["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == "invitee@example.com")
        .expect("listed")
        .clone();
    assert!(listed.get("id").is_none(), "{listed}");
    assert_eq!(listed["status"], "pending");
    assert!(
        r.body["users"]
            .as_array()
            .expect("users")
            .iter()
            .all(|u| u.get("id").is_none())
    );
    // Not in the active list.
    let active = zoom.get("/users?page_size=300").await;
    assert!(
        !active.body["users"]
            .as_array()
            .expect("users")
            .iter()
            .any(|u| u["email"] == "invitee@example.com")
    );

    // Fetched by e-mail or id: id present, created_at = now.
    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    let got = zoom.get("/users/invitee@example.com").await;
    assert_eq!(got.body["id"], id.as_str());
    assert_eq!(got.body["status"], "pending");
    let created =
        chrono::DateTime::parse_from_rfc3339(got.body["created_at"].as_str().expect("ts"))
            .expect("rfc3339");
    assert!(created >= before);
    assert_eq!(
        zoom.get(&format!("/users/{id}")).await.body["status"],
        "pending"
    );

    // PATCH accepted, not applied; except group_id.
    let groups = zoom.get("/groups?page_size=300").await;
    let group_id = groups.body["groups"][0]["id"]
        .as_str()
        .expect("group")
        .to_owned();
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({"first_name": "Changed", "job_title": "CTO", "group_id": group_id})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let got = zoom.get(&format!("/users/{id}")).await;
    assert_eq!(got.body["first_name"], "New");
    assert_eq!(got.body["group_ids"], json!([group_id]));
    // Unknown group.
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({"group_id": "nope"})),
        )
        .await;
    assert_zoom_error(&r, 404, 4130);
    // Validation still applies.
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({"first_name": "x".repeat(65)})),
        )
        .await;
    assert_zoom_error(&r, 400, 300);

    // Group member adds are silently not applied to pending users.
    let other_group = groups.body["groups"][1]["id"].as_str().expect("group");
    let r = zoom
        .call(
            Method::POST,
            &format!("/groups/{other_group}/members"),
            Some(json!({"members": [{"id": id}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["ids"], id.as_str());
    let got = zoom.get(&format!("/users/{id}")).await;
    assert_eq!(got.body["group_ids"], json!([group_id]));

    // Status changes refused.
    for action in ["deactivate", "activate"] {
        let r = zoom
            .call(
                Method::PUT,
                &format!("/users/{id}/status"),
                Some(json!({ "action": action })),
            )
            .await;
        assert_zoom_error(&r, 400, 300);
    }
    // Settings refused.
    let r = zoom.get(&format!("/users/{id}/settings")).await;
    assert_zoom_error(&r, 400, 1000);
    assert_eq!(
        r.body["message"],
        "You can not access settings of users that are still in pending state."
    );
    // Delete only by disassociate.
    let r = zoom
        .call(Method::DELETE, &format!("/users/{id}?action=delete"), None)
        .await;
    assert_zoom_error(&r, 400, 300);
    assert_eq!(
        r.body["message"],
        "To delete pending user in the account, use disassociate"
    );
    let r = zoom
        .call(Method::DELETE, "/users/invitee@example.com", None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_zoom_error(&zoom.get(&format!("/users/{id}")).await, 404, 1001);
}

#[tokio::test]
async fn pending_users_confirm_by_admin_call_or_after_the_delay() {
    let zoom = Zoom::start(SimSettings {
        users: 80,
        activate_pending_after_s: Some(2),
        ..SimSettings::default()
    })
    .await;
    let pending = |state: &Value| state["account"]["user_counts"]["pending"].as_u64();
    let seeded_pending = pending(&zoom.state().await).expect("count");
    assert!(seeded_pending > 0, "the seed has pending users");
    let id = zoom.create_user("create", "soon@example.com").await;
    assert_eq!(
        zoom.get(&format!("/users/{id}")).await.body["status"],
        "pending"
    );
    assert_eq!(pending(&zoom.state().await), Some(seeded_pending + 1));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // The admin view sees the confirmation too, without any API call in between, and
    // seeded pending users never confirm on their own.
    let state = zoom.state().await;
    assert_eq!(pending(&state), Some(seeded_pending));
    let invitee = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == id.as_str())
        .expect("user")
        .clone();
    assert_eq!(invitee["status"], "active");
    assert_eq!(
        zoom.get(&format!("/users/{id}")).await.body["status"],
        "active"
    );

    let zoom = Zoom::start(settings(5)).await;
    let id = zoom.create_user("create", "now@example.com").await;
    let r = zoom
        .admin(Method::POST, &format!("/users/{id}/activate"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "active");
    assert_eq!(
        zoom.get(&format!("/users/{id}")).await.body["status"],
        "active"
    );
    let again = zoom
        .admin(Method::POST, &format!("/users/{id}/activate"), None)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn updates_apply_validate_and_refuse_deactivated_users() {
    let zoom = Zoom::start(settings(30)).await;
    let id = zoom.create_user("autoCreate", "worker@example.com").await;
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({
                "first_name": "Jill", "last_name": "Chill", "display_name": "",
                "job_title": "Engineer", "dept": "R&D", "company": "Example Corp",
                "cost_center": "CC-1", "location": "Paris", "language": "fr-FR",
                "timezone": "Europe/Paris", "manager": "boss@example.com",
                "phone_numbers": [{"code": "+33", "country": "FR", "label": "Office", "number": "155555555"}],
                "unknown_field": "ignored"
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let got = zoom.get(&format!("/users/{id}")).await.body;
    assert_eq!(got["first_name"], "Jill");
    assert_eq!(got["display_name"], "Jill Chill");
    assert_eq!(got["job_title"], "Engineer");
    assert_eq!(got["dept"], "R&D");
    assert_eq!(got["company"], "Example Corp");
    assert_eq!(got["cost_center"], "CC-1");
    assert_eq!(got["location"], "Paris");
    assert_eq!(got["language"], "fr-FR");
    assert_eq!(got["timezone"], "Europe/Paris");
    assert_eq!(got["manager"], "boss@example.com");
    assert_eq!(got["phone_numbers"][0]["number"], "155555555");
    assert!(got.get("unknown_field").is_none());

    for bad in [
        json!({"job_title": "x".repeat(129)}),
        json!({"type": 2, "zoom_one_type": 16}),
        json!({"type": 7}),
        json!({"phone_numbers": [{}, {}, {}, {}]}),
        json!({"feature": {"zoom_phone": "yes"}}),
    ] {
        let r = zoom
            .call(Method::PATCH, &format!("/users/{id}"), Some(bad))
            .await;
        assert_zoom_error(&r, 400, 300);
    }
    assert_zoom_error(
        &zoom
            .call(Method::PATCH, "/users/ghost@example.com", Some(json!({})))
            .await,
        404,
        1001,
    );

    // Deactivated users cannot be updated, not even to drop Zoom Phone.
    let r = zoom
        .call(
            Method::PUT,
            &format!("/users/{id}/status"),
            Some(json!({"action": "deactivate"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({"feature": {"zoom_phone": false}})),
        )
        .await;
    assert_zoom_error(&r, 400, 1053);
}

#[tokio::test]
async fn zoom_phone_flag_follows_every_write_path() {
    let zoom = Zoom::start(settings(10)).await;
    let id = zoom.create_user("autoCreate", "caller@example.com").await;
    let phone_flag = |state: &Value| {
        state["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["email"] == "caller@example.com")
            .map(|u| u["zoom_phone"].clone())
    };
    assert_eq!(phone_flag(&zoom.state().await), Some(json!(false)));
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{id}/settings"),
            Some(json!({"feature": {"zoom_phone": true}, "in_meeting": {"chat": false}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(phone_flag(&zoom.state().await), Some(json!(true)));
    let s = zoom.get(&format!("/users/{id}/settings")).await;
    assert_eq!(s.header("x-ratelimit-category"), Some("Medium"));
    assert_eq!(s.body["feature"]["zoom_phone"], true);
    assert_eq!(s.body["in_meeting"]["chat"], false);
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({"feature": {"zoom_phone": false}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(phone_flag(&zoom.state().await), Some(json!(false)));
    let s = zoom.get(&format!("/users/{id}/settings")).await;
    assert_eq!(s.body["feature"]["zoom_phone"], false);
    let sec = zoom
        .get(&format!("/users/{id}/settings?option=meeting_security"))
        .await;
    assert!(sec.body["meeting_security"].is_object());
    assert_zoom_error(
        &zoom
            .get(&format!("/users/{id}/settings?option=bogus"))
            .await,
        400,
        300,
    );

    // Without Zoom Phone on the account, enabling it fails.
    let zoom = Zoom::start(SimSettings {
        users: 5,
        phone_enabled: false,
        ..SimSettings::default()
    })
    .await;
    let id = zoom.create_user("autoCreate", "nophone@example.com").await;
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({"feature": {"zoom_phone": true}})),
        )
        .await;
    assert_zoom_error(&r, 404, 1102);
}

#[tokio::test]
async fn status_changes_follow_zooms_rules() {
    let zoom = Zoom::start(settings(40)).await;
    let member = zoom.some_member().await;
    let id = member["id"].as_str().expect("id");
    let status_path = format!("/users/{id}/status");
    let put = |action: &'static str| {
        zoom.call(Method::PUT, &status_path, Some(json!({ "action": action })))
    };
    assert_eq!(put("deactivate").await.status, StatusCode::NO_CONTENT);
    assert_eq!(put("deactivate").await.status, StatusCode::NO_CONTENT);
    let got = zoom.get(&format!("/users/{id}")).await;
    assert_eq!(got.body["status"], "inactive");
    let inactive = zoom.get("/users?status=inactive&page_size=300").await;
    assert!(
        inactive.body["users"]
            .as_array()
            .expect("users")
            .iter()
            .any(|u| u["id"] == id)
    );
    assert_eq!(put("activate").await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        zoom.get(&format!("/users/{id}")).await.body["status"],
        "active"
    );
    assert_zoom_error(&put("suspend").await, 400, 300);
    let r = zoom
        .call(Method::PUT, &format!("/users/{id}/status"), Some(json!({})))
        .await;
    assert_zoom_error(&r, 400, 300);

    // Owner and admins.
    let r = zoom
        .call(
            Method::PUT,
            "/users/me/status",
            Some(json!({"action": "deactivate"})),
        )
        .await;
    assert_zoom_error(&r, 400, 200);
    assert_eq!(
        r.body["message"],
        "Zoom Room and Admin users' status cannot be activated or deactivated."
    );
    let admin = zoom.get("/users?role_id=1").await.body["users"][0]["id"].clone();
    let r = zoom
        .call(
            Method::PUT,
            &format!("/users/{}/status", admin.as_str().expect("admin")),
            Some(json!({"action": "deactivate"})),
        )
        .await;
    assert_zoom_error(&r, 400, 200);

    // 200 mode.
    let zoom = Zoom::start(SimSettings {
        users: 40,
        status_success_code: 200,
        ..SimSettings::default()
    })
    .await;
    let member = zoom.some_member().await;
    let r = zoom
        .call(
            Method::PUT,
            &format!("/users/{}/status", member["id"].as_str().expect("id")),
            Some(json!({"action": "deactivate"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn email_changes_need_the_managed_domain_and_are_limited() {
    let zoom = Zoom::start(settings(20)).await;
    let id = zoom.create_user("autoCreate", "rename@example.com").await;
    let other = zoom.create_user("autoCreate", "taken@example.com").await;
    assert_ne!(id, other);
    let email_path = format!("/users/{id}/email");
    let put = |email: String| zoom.call(Method::PUT, &email_path, Some(json!({ "email": email })));
    let r = put("rename@elsewhere.org".into()).await;
    assert_zoom_error(&r, 400, 1116);
    let r = put("TAKEN@example.com".into()).await;
    assert_zoom_error(&r, 409, 1005);
    assert_zoom_error(&put("not-an-email".into()).await, 400, 300);
    for i in 1..=3 {
        let r = put(format!("rename{i}@example.com")).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    }
    let got = zoom.get(&format!("/users/{id}")).await;
    assert_eq!(got.body["email"], "rename3@example.com");
    assert_zoom_error(&zoom.get("/users/rename@example.com").await, 404, 1001);
    let r = put("rename4@example.com".into()).await;
    assert_zoom_error(&r, 429, 429);
    assert_eq!(r.header("x-ratelimit-type"), Some("Daily-limit"));
    assert!(r.header("retry-after").is_some_and(|v| v.ends_with('Z')));
    let state = zoom.state().await;
    let user = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == id.as_str())
        .expect("user")
        .clone();
    assert_eq!(user["email_change_count"], 3);
}

#[tokio::test]
async fn deletes_follow_zooms_rules_and_leave_groups_consistent() {
    let zoom = Zoom::start(settings(60)).await;
    let id = zoom.create_user("autoCreate", "leaver@example.com").await;
    let groups = zoom.get("/groups").await;
    let gid = groups.body["groups"][0]["id"]
        .as_str()
        .expect("gid")
        .to_owned();
    let before = groups.body["groups"][0]["total_members"]
        .as_u64()
        .expect("n");
    let r = zoom
        .call(
            Method::POST,
            &format!("/groups/{gid}/members"),
            Some(json!({"members": [{"email": "leaver@example.com"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        zoom.get(&format!("/groups/{gid}")).await.body["total_members"],
        before + 1
    );

    // Transfers are checked.
    let r = zoom
        .call(
            Method::DELETE,
            &format!(
                "/users/{id}?action=delete&transfer_email=leaver@example.com&transfer_meeting=true"
            ),
            None,
        )
        .await;
    assert_zoom_error(&r, 400, 300);
    let r = zoom
        .call(
            Method::DELETE,
            &format!("/users/{id}?action=delete&transfer_email=ghost@example.com"),
            None,
        )
        .await;
    assert_zoom_error(&r, 400, 300);
    let r = zoom
        .call(
            Method::DELETE,
            &format!("/users/{id}?action=delete&transfer_recording=true"),
            None,
        )
        .await;
    assert_zoom_error(&r, 400, 300);
    assert_zoom_error(
        &zoom
            .call(Method::DELETE, &format!("/users/{id}?action=erase"), None)
            .await,
        400,
        300,
    );
    let owner_email = zoom.get("/users/me").await.body["email"].clone();
    let r = zoom
        .call(
            Method::DELETE,
            &format!(
                "/users/{id}?action=delete&transfer_email={}&transfer_meeting=true",
                owner_email.as_str().expect("email")
            ),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_zoom_error(&zoom.get(&format!("/users/{id}")).await, 404, 1001);
    assert_eq!(
        zoom.get(&format!("/groups/{gid}")).await.body["total_members"],
        before
    );
    assert_zoom_error(
        &zoom
            .call(Method::DELETE, &format!("/users/{id}"), None)
            .await,
        404,
        1001,
    );

    // The owner cannot be removed; admins cannot be disassociated.
    assert_zoom_error(
        &zoom.call(Method::DELETE, "/users/me", None).await,
        400,
        200,
    );
    let admin = zoom.get("/users?role_id=1").await.body["users"][0]["id"].clone();
    let admin = admin.as_str().expect("admin");
    assert_zoom_error(
        &zoom
            .call(Method::DELETE, &format!("/users/{admin}"), None)
            .await,
        400,
        1117,
    );
    // The deleted e-mail can be used again.
    zoom.create_user("autoCreate", "leaver@example.com").await;
}

#[tokio::test]
async fn logout_is_counted() {
    let zoom = Zoom::start(settings(10)).await;
    let member = zoom.some_member().await;
    let id = member["id"].as_str().expect("id");
    for _ in 0..2 {
        let r = zoom
            .call(Method::DELETE, &format!("/users/{id}/token"), None)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }
    let state = zoom.state().await;
    let user = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == id)
        .expect("user")
        .clone();
    assert_eq!(user["logged_out_count"], 2);
}

// ----- Groups --------------------------------------------------------------------------

#[tokio::test]
async fn groups_crud_and_rules() {
    let zoom = Zoom::start(settings(80)).await;
    let list = zoom.get("/groups").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.header("x-ratelimit-category"), Some("Medium"));
    assert_eq!(list.body["total_records"], 12);
    assert!(list.body.get("page_count").is_none());
    assert_eq!(list.body["next_page_token"], "");
    let names: Vec<&str> = list.body["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert!(names.contains(&"Engineering") && names.contains(&"Sales"));

    // Paging by token.
    let p1 = zoom.get("/groups?page_size=5").await;
    let token = p1.body["next_page_token"].as_str().expect("token");
    assert!(!token.is_empty());
    let p2 = zoom
        .get(&format!("/groups?page_size=5&next_page_token={token}"))
        .await;
    assert_ne!(p1.body["groups"][0]["id"], p2.body["groups"][0]["id"]);

    let r = zoom
        .call(
            Method::POST,
            "/groups",
            Some(json!({"name": "Contractors"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["name"], "Contractors");
    assert_eq!(r.body["total_members"], 0);
    let gid = r.body["id"].as_str().expect("id").to_owned();
    let r = zoom
        .call(
            Method::POST,
            "/groups",
            Some(json!({"name": "contractors"})),
        )
        .await;
    assert_zoom_error(&r, 409, 4132);
    assert_eq!(
        r.body["message"],
        "The group name \"contractors\" is already in use."
    );
    for bad in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "x".repeat(128)}),
        json!({"name": 5}),
    ] {
        assert_zoom_error(
            &zoom.call(Method::POST, "/groups", Some(bad)).await,
            400,
            300,
        );
    }

    let got = zoom.get(&format!("/groups/{gid}")).await;
    assert_eq!(
        got.body,
        json!({"id": gid, "name": "Contractors", "total_members": 0})
    );
    let r = zoom.get("/groups/nope").await;
    assert_zoom_error(&r, 404, 4130);
    assert_eq!(r.body["message"], "A group with this nope does not exist.");

    let r = zoom
        .call(
            Method::PATCH,
            &format!("/groups/{gid}"),
            Some(json!({"name": "Sales"})),
        )
        .await;
    assert_zoom_error(&r, 409, 4132);
    assert_eq!(r.body["message"], "Group name Sales is already in use.");
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/groups/{gid}"),
            Some(json!({"name": "Vendors"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        zoom.get(&format!("/groups/{gid}")).await.body["name"],
        "Vendors"
    );

    // Members.
    let users = zoom.get("/users?page_size=40").await;
    let ids: Vec<String> = users.body["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect();
    let too_many: Vec<Value> = ids.iter().take(31).map(|i| json!({"id": i})).collect();
    let r = zoom
        .call(
            Method::POST,
            &format!("/groups/{gid}/members"),
            Some(json!({ "members": too_many })),
        )
        .await;
    assert_zoom_error(&r, 400, 300);
    let r = zoom
        .call(
            Method::POST,
            &format!("/groups/{gid}/members"),
            Some(json!({"members": [{"id": ids[0]}, {"email": "ghost@example.com"}]})),
        )
        .await;
    assert_zoom_error(&r, 404, 1001);
    assert_eq!(
        zoom.get(&format!("/groups/{gid}")).await.body["total_members"],
        0,
        "a failed add adds nobody"
    );
    let members: Vec<Value> = ids.iter().take(30).map(|i| json!({"id": i})).collect();
    let r = zoom
        .call(
            Method::POST,
            &format!("/groups/{gid}/members"),
            Some(json!({ "members": members })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["ids"], ids[..30].join(","));
    assert!(
        r.body["added_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    // Adding again is a no-op success; e-mail is ignored when id is given.
    let r = zoom
        .call(
            Method::POST,
            &format!("/groups/{gid}/members"),
            Some(json!({"members": [{"id": ids[0], "email": "ghost@example.com"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        zoom.get(&format!("/groups/{gid}")).await.body["total_members"],
        30
    );
    let user = zoom.get(&format!("/users/{}", ids[0])).await;
    assert!(
        user.body["group_ids"]
            .as_array()
            .expect("groups")
            .contains(&json!(gid))
    );

    // Member listing with tokens and the deprecated page_number.
    let m1 = zoom
        .get(&format!("/groups/{gid}/members?page_size=20"))
        .await;
    assert_eq!(m1.header("x-ratelimit-category"), Some("Medium"));
    assert_eq!(m1.body["total_records"], 30);
    assert_eq!(m1.body["page_count"], 2);
    let first = &m1.body["members"][0];
    for key in [
        "id",
        "email",
        "first_name",
        "last_name",
        "type",
        "primary_group",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    let token = m1.body["next_page_token"].as_str().expect("token");
    let m2 = zoom
        .get(&format!(
            "/groups/{gid}/members?page_size=20&next_page_token={token}"
        ))
        .await;
    assert_eq!(m2.body["members"].as_array().map(Vec::len), Some(10));
    assert_eq!(m2.body["next_page_token"], "");
    let other = zoom
        .get(&format!(
            "/groups/{}/members?next_page_token={token}",
            list.body["groups"][0]["id"].as_str().expect("g")
        ))
        .await;
    assert_zoom_error(&other, 400, 300);
    let byn = zoom
        .get(&format!("/groups/{gid}/members?page_size=20&page_number=2"))
        .await;
    assert_eq!(byn.body["members"], m2.body["members"]);

    // Remove a member by e-mail, then again: 4131.
    let email = user.body["email"].as_str().expect("email");
    let r = zoom
        .call(
            Method::DELETE,
            &format!("/groups/{gid}/members/{email}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.header("x-ratelimit-category"), Some("Light"));
    let r = zoom
        .call(
            Method::DELETE,
            &format!("/groups/{gid}/members/{email}"),
            None,
        )
        .await;
    assert_zoom_error(&r, 404, 4131);
    let user = zoom.get(&format!("/users/{}", ids[0])).await;
    assert!(
        !user.body["group_ids"]
            .as_array()
            .expect("groups")
            .contains(&json!(gid))
    );

    // Moving a member.
    let target = list.body["groups"][2]["id"].as_str().expect("target");
    let r = zoom
        .call(
            Method::PATCH,
            &format!("/groups/{gid}/members/{}", ids[1]),
            Some(json!({"action": "move", "target_group_id": target})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let moved = zoom.get(&format!("/users/{}", ids[1])).await;
    let moved_groups = moved.body["group_ids"].as_array().expect("groups").clone();
    assert!(moved_groups.contains(&json!(target)));
    assert!(!moved_groups.contains(&json!(gid)));

    // Deleting the group removes it from every member's group_ids.
    let r = zoom
        .call(Method::DELETE, &format!("/groups/{gid}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_zoom_error(&zoom.get(&format!("/groups/{gid}")).await, 404, 4130);
    let user = zoom.get(&format!("/users/{}", ids[2])).await;
    assert!(
        !user.body["group_ids"]
            .as_array()
            .expect("groups")
            .contains(&json!(gid))
    );
    let state = zoom.state().await;
    for g in state["groups"].as_array().expect("groups") {
        for member in g["member_ids"].as_array().expect("members") {
            let u = state["users"]
                .as_array()
                .expect("users")
                .iter()
                .find(|u| u["id"] == *member)
                .expect("member exists");
            assert!(u["group_ids"].as_array().expect("ids").contains(&g["id"]));
        }
    }
}

#[tokio::test]
async fn group_creation_is_limited_per_day_and_paid_only() {
    // 100 quick creates would exceed Business Light's 80/s: no rate limiting here.
    let zoom = Zoom::start(SimSettings {
        users: 3,
        rate_scale: 0.0,
        ..SimSettings::default()
    })
    .await;
    for i in 0..100 {
        let r = zoom
            .call(
                Method::POST,
                "/groups",
                Some(json!({ "name": format!("Team {i}") })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "group {i}: {}", r.body);
    }
    let r = zoom
        .call(Method::POST, "/groups", Some(json!({"name": "Team 100"})))
        .await;
    assert_zoom_error(&r, 400, 300);
    assert!(
        r.body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("It has reached the maximum number of groups"))
    );

    let free = Zoom::start(SimSettings {
        users: 3,
        plan: AccountPlan::Free,
        ..SimSettings::default()
    })
    .await;
    let r = free.get("/groups").await;
    assert_zoom_error(&r, 400, 200);
    assert_eq!(r.body["message"], "Only available for Paid account.");
}

// ----- Roles ---------------------------------------------------------------------------

#[tokio::test]
async fn roles_are_listed_and_members_move_between_them() {
    let zoom = Zoom::start(settings(60)).await;
    let roles = zoom.get("/roles").await;
    assert_eq!(roles.status, StatusCode::OK);
    assert_eq!(roles.header("x-ratelimit-category"), Some("Medium"));
    let list = roles.body["roles"].as_array().expect("roles").clone();
    assert_eq!(roles.body["total_records"], list.len());
    assert!(list.len() >= 5);
    assert_eq!(list[0]["id"], "0");
    assert_eq!(list[0]["name"], "Owner");
    assert_eq!(list[0]["total_members"], 1);
    assert_eq!(list[1]["name"], "Admin");
    assert_eq!(list[2]["name"], "Member");
    for r in &list {
        for key in ["id", "name", "description", "type", "total_members"] {
            assert!(r.get(key).is_some(), "role misses {key}");
        }
        assert_eq!(r["type"], "common");
    }
    let custom = list[3]["id"].as_str().expect("custom").to_owned();
    assert!(custom.len() >= 20);
    let custom_name = list[3]["name"].as_str().expect("name").to_owned();

    let role = zoom.get(&format!("/roles/{custom}")).await;
    assert!(role.body["privileges"].is_array());
    let r = zoom.get("/roles/nope").await;
    assert_zoom_error(&r, 400, 1034);

    // Assign a member to the custom role.
    let member = zoom.some_member().await;
    let id = member["id"].as_str().expect("id").to_owned();
    let r = zoom
        .call(
            Method::POST,
            &format!("/roles/{custom}/members"),
            Some(json!({"members": [{"id": id}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["ids"], id.as_str());
    assert!(r.body["add_at"].is_string());
    let got = zoom.get(&format!("/users/{id}")).await;
    assert_eq!(got.body["role_id"], custom.as_str());
    assert_eq!(got.body["role_name"], custom_name.as_str());
    let members = zoom
        .get(&format!("/roles/{custom}/members?page_size=300"))
        .await;
    let found = members.body["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["id"] == id.as_str())
        .expect("listed")
        .clone();
    for key in [
        "id",
        "email",
        "first_name",
        "last_name",
        "type",
        "department",
    ] {
        assert!(found.get(key).is_some(), "member misses {key}");
    }
    // One role per user: moving to Admin leaves the custom role.
    let r = zoom
        .call(
            Method::POST,
            "/roles/1/members",
            Some(json!({"members": [{"email": got.body["email"]}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let after = zoom
        .get(&format!("/roles/{custom}/members?page_size=300"))
        .await;
    assert!(
        !after.body["members"]
            .as_array()
            .expect("members")
            .iter()
            .any(|m| m["id"] == id.as_str())
    );
    assert_eq!(
        zoom.get(&format!("/users/{id}")).await.body["role_name"],
        "Admin"
    );

    // Owner and Member roles cannot be assigned or withdrawn directly.
    for role in ["0", "2"] {
        let r = zoom
            .call(
                Method::POST,
                &format!("/roles/{role}/members"),
                Some(json!({"members": [{"id": id}]})),
            )
            .await;
        assert_zoom_error(&r, 400, 300);
        let r = zoom
            .call(Method::DELETE, &format!("/roles/{role}/members/{id}"), None)
            .await;
        assert_zoom_error(&r, 400, 300);
    }
    // The owner's role cannot change.
    let owner = zoom.get("/users/me").await.body["id"].clone();
    let r = zoom
        .call(
            Method::POST,
            &format!("/roles/{custom}/members"),
            Some(json!({"members": [{"id": owner}]})),
        )
        .await;
    assert_zoom_error(&r, 400, 300);

    // Withdrawing the Admin role makes the user a Member again.
    let r = zoom
        .call(Method::DELETE, &format!("/roles/1/members/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let got = zoom.get(&format!("/users/{id}")).await;
    assert_eq!(got.body["role_id"], "2");
    assert_eq!(got.body["role_name"], "Member");
    let r = zoom
        .call(Method::DELETE, &format!("/roles/1/members/{id}"), None)
        .await;
    assert_zoom_error(&r, 400, 300);

    // Counts stay consistent with the users' role ids.
    let state = zoom.state().await;
    for role in state["roles"].as_array().expect("roles") {
        let n = state["users"]
            .as_array()
            .expect("users")
            .iter()
            .filter(|u| u["role_id"] == role["id"])
            .count();
        assert_eq!(role["member_count"], n, "role {}", role["name"]);
    }
}

// ----- Rate limits ---------------------------------------------------------------------

#[tokio::test]
async fn a_burst_above_the_plan_rate_gets_qps_429s() {
    // Free: Light 4/s.
    let zoom = Zoom::start(SimSettings {
        users: 5,
        plan: AccountPlan::Free,
        ..SimSettings::default()
    })
    .await;
    let calls = (0..40).map(|_| zoom.get("/users/me"));
    let replies = futures::future::join_all(calls).await;
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let throttled: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert!(ok >= 4, "the bucket starts full: {ok} passed");
    // Even if a loaded machine spreads the 40 calls over a few seconds, most are refused.
    assert!(throttled.len() >= 20, "{} throttled", throttled.len());
    let t = throttled[0];
    assert_eq!(
        t.body,
        json!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."})
    );
    assert_eq!(t.header("x-ratelimit-type"), Some("QPS"));
    assert_eq!(t.header("retry-after"), Some("1"));
    assert_eq!(t.header("x-ratelimit-category"), Some("Light"));
    // Free Light also has a daily quota of 6000: Limit/Remaining track it.
    assert_eq!(t.header("x-ratelimit-limit"), Some("6000"));
    let stats = zoom.admin(Method::GET, "/stats", None).await.body;
    assert_eq!(stats["throttled"]["QPS"], throttled.len());
    assert_eq!(stats["by_category"]["Light"], 40);
}

#[tokio::test]
async fn a_client_pacing_at_the_rate_is_never_throttled() {
    let zoom = Zoom::start(SimSettings {
        users: 5,
        plan: AccountPlan::Free,
        ..SimSettings::default()
    })
    .await;
    // Free Medium: 2/s. Two quick calls, then one every 500 ms for 3 s.
    for i in 0..8 {
        let r = zoom.get("/users?page_size=1").await;
        assert_eq!(r.status, StatusCode::OK, "call {i}: {}", r.body);
        if i >= 1 {
            tokio::time::sleep(Duration::from_millis(505)).await;
        }
    }
    // The daily figures are reported on a free account (2000/day Medium).
    let r = zoom.get("/users?page_size=1").await;
    assert_eq!(r.header("x-ratelimit-limit"), Some("2000"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("1991"));
}

#[tokio::test]
async fn daily_limits_answer_429_with_an_iso_retry_after() {
    // Free Medium 2000/day scaled by 0.001: 2 calls a day (and a 1/s bucket).
    let zoom = Zoom::start(SimSettings {
        users: 5,
        plan: AccountPlan::Free,
        rate_scale: 0.001,
        ..SimSettings::default()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(zoom.get("/users").await.status, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(1050)).await;
    }
    let r = zoom.get("/users").await;
    assert_zoom_error(&r, 429, 429);
    assert_eq!(
        r.body["message"],
        "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request."
    );
    assert_eq!(r.header("x-ratelimit-type"), Some("Daily-limit"));
    assert_eq!(r.header("x-ratelimit-limit"), Some("2"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT00:00:00Z")
        .to_string();
    let retry = r.header("retry-after").expect("retry-after");
    // Around midnight the test's "tomorrow" may be a day off; accept both.
    let today = chrono::Utc::now().format("%Y-%m-%dT00:00:00Z").to_string();
    assert!(retry == tomorrow || retry == today, "{retry}");
    // Light calls have their own pool.
    assert_eq!(zoom.get("/users/me").await.status, StatusCode::OK);
    let stats = zoom.admin(Method::GET, "/stats", None).await.body;
    assert_eq!(stats["throttled"]["Daily-limit"], 1);
}

#[tokio::test]
async fn rate_scale_zero_disables_limiting() {
    let zoom = Zoom::start(SimSettings {
        users: 5,
        plan: AccountPlan::Free,
        rate_scale: 0.0,
        ..SimSettings::default()
    })
    .await;
    let replies = futures::future::join_all((0..40).map(|_| zoom.get("/users/me"))).await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
}

// ----- Faults --------------------------------------------------------------------------

#[tokio::test]
async fn random_faults_hit_the_api_only() {
    let zoom = Zoom::start(SimSettings {
        users: 5,
        fail_rate: 1.0,
        ..SimSettings::default()
    })
    .await;
    let mut statuses = std::collections::BTreeSet::new();
    let mut html = false;
    for _ in 0..30 {
        let r = zoom.get("/users/me").await;
        assert!(r.status.is_server_error());
        statuses.insert(r.status.as_u16());
        if r.header("content-type") == Some("text/html") {
            html = true;
            assert!(
                r.body
                    .as_str()
                    .is_some_and(|b| b.contains("502 Bad Gateway"))
            );
        }
    }
    assert!(html, "a gateway HTML page among {statuses:?}");
    assert!(statuses.len() >= 2, "{statuses:?}");
    // Never on the admin API or the token endpoint.
    assert_eq!(
        zoom.admin(Method::GET, "/stats", None).await.status,
        StatusCode::OK
    );
    fetch_token(&zoom.http, &zoom.sim).await;
    let stats = zoom.admin(Method::GET, "/stats", None).await.body;
    assert_eq!(stats["faults_injected"], 30);

    let zoom = Zoom::start(SimSettings {
        users: 5,
        throttle_rate: 1.0,
        ..SimSettings::default()
    })
    .await;
    let r = zoom.get("/users/me").await;
    assert_zoom_error(&r, 429, 429);
    assert_eq!(r.header("x-ratelimit-type"), Some("QPS"));

    let zoom = Zoom::start(SimSettings {
        users: 5,
        drop_rate: 1.0,
        ..SimSettings::default()
    })
    .await;
    let r = zoom.req(Method::GET, "/users/me").send().await;
    assert!(r.is_err(), "the connection is dropped");

    let zoom = Zoom::start(SimSettings {
        users: 5,
        timeout_rate: 1.0,
        ..SimSettings::default()
    })
    .await;
    let started = Instant::now();
    let r = zoom
        .req(Method::GET, "/users/me")
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()));
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A lost answer: the create takes effect, the client sees the connection drop.
    let zoom = Zoom::start(SimSettings {
        users: 5,
        lost_answer_rate: 1.0,
        ..SimSettings::default()
    })
    .await;
    let r = zoom
        .req(Method::POST, "/users")
        .json(
            &json!({"action": "autoCreate", "user_info": {"email": "gone@example.com", "type": 1}}),
        )
        .send()
        .await;
    assert!(r.is_err(), "the answer is lost");
    let off = zoom
        .admin(
            Method::PUT,
            "/config",
            Some(json!({"lost_answer_rate": 0.0})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{:?}", off.body);
    assert_eq!(
        zoom.get("/users/gone@example.com").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn latency_is_added() {
    let zoom = Zoom::start(SimSettings {
        users: 5,
        latency_ms: 150,
        jitter_ms: 50,
        ..SimSettings::default()
    })
    .await;
    let started = Instant::now();
    assert_eq!(zoom.get("/users/me").await.status, StatusCode::OK);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(150), "{took:?}");
}

async fn add_fault(zoom: &Zoom, fault: Value) {
    let r = zoom.admin(Method::POST, "/faults", Some(fault)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn scripted_faults_respond_drop_hang_and_lose_answers() {
    let zoom = Zoom::start(settings(10)).await;

    // respond, twice, on a template path.
    add_fault(
        &zoom,
        json!({"method": "GET", "path": "/users/{userId}", "count": 2, "action": "respond",
               "status": 503, "body": {"code": 503, "message": "busy"}, "headers": {"retry-after": "7"}}),
    )
    .await;
    let listed = zoom.admin(Method::GET, "/faults", None).await;
    assert_eq!(listed.body["faults"][0]["count"], 2);
    for _ in 0..2 {
        let r = zoom.get("/users/me").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.body, json!({"code": 503, "message": "busy"}));
        assert_eq!(r.header("retry-after"), Some("7"));
        assert_eq!(r.header("x-ratelimit-category"), Some("Light"));
    }
    assert_eq!(zoom.get("/users/me").await.status, StatusCode::OK);
    assert_eq!(
        zoom.admin(Method::GET, "/faults", None).await.body["faults"],
        json!([])
    );

    // drop, on a concrete path.
    add_fault(
        &zoom,
        json!({"method": "get", "path": "/v2/users", "action": "drop"}),
    )
    .await;
    assert!(zoom.req(Method::GET, "/users").send().await.is_err());
    assert_eq!(zoom.get("/users").await.status, StatusCode::OK);

    // timeout.
    add_fault(
        &zoom,
        json!({"method": "GET", "path": "/groups", "action": "timeout"}),
    )
    .await;
    let r = zoom
        .req(Method::GET, "/groups")
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()));

    // apply_then_drop: the user exists although the client saw no answer.
    add_fault(
        &zoom,
        json!({"method": "POST", "path": "/users", "action": "apply_then_drop"}),
    )
    .await;
    let r = zoom
        .req(Method::POST, "/users")
        .json(
            &json!({"action": "autoCreate", "user_info": {"email": "lost@example.com", "type": 1}}),
        )
        .send()
        .await;
    assert!(r.is_err());
    assert_eq!(
        zoom.get("/users/lost@example.com").await.status,
        StatusCode::OK
    );
    // The retry meets the duplicate.
    let r = zoom
        .call(
            Method::POST,
            "/users",
            Some(json!({"action": "autoCreate", "user_info": {"email": "lost@example.com", "type": 1}})),
        )
        .await;
    assert_zoom_error(&r, 409, 1005);

    // apply_then_respond.
    add_fault(
        &zoom,
        json!({"method": "POST", "path": "/groups", "action": "apply_then_respond", "status": 502,
               "body": "<html>bad gateway</html>"}),
    )
    .await;
    let r = zoom
        .call(Method::POST, "/groups", Some(json!({"name": "Ghost Team"})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(r.body, json!("<html>bad gateway</html>"));
    let again = zoom
        .call(Method::POST, "/groups", Some(json!({"name": "Ghost Team"})))
        .await;
    assert_zoom_error(&again, 409, 4132);

    // Clearing.
    add_fault(
        &zoom,
        json!({"method": "*", "path": "/users/me", "count": 5, "action": "respond", "status": 500}),
    )
    .await;
    let r = zoom.admin(Method::DELETE, "/faults", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(zoom.get("/users/me").await.status, StatusCode::OK);

    // Bad specs.
    for bad in [
        json!({"method": "GET", "path": "users", "action": "drop"}),
        json!({"method": "GET", "path": "/users", "action": "explode"}),
        json!({"method": "GET", "path": "/users", "action": "drop", "count": 0}),
    ] {
        let r = zoom.admin(Method::POST, "/faults", Some(bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    let stats = zoom.admin(Method::GET, "/stats", None).await.body;
    assert_eq!(stats["faults_injected"], 6);
}

// ----- Admin API -----------------------------------------------------------------------

#[tokio::test]
async fn admin_api_state_stats_config_reset_and_seed() {
    let zoom = Zoom::start(settings(50)).await;
    let state = zoom.state().await;
    assert_eq!(state["users"].as_array().map(Vec::len), Some(50));
    assert_eq!(state["groups"].as_array().map(Vec::len), Some(12));
    assert!(state["roles"].as_array().is_some_and(|r| r.len() >= 5));
    assert_eq!(state["account"]["id"], SimCredentials::default().account_id);
    assert_eq!(state["account"]["managed_domains"], json!(["example.com"]));
    let u = &state["users"][0];
    for key in [
        "id",
        "email",
        "status",
        "role_id",
        "group_ids",
        "zoom_phone",
        "email_change_count",
        "logged_out_count",
    ] {
        assert!(u.get(key).is_some(), "state user misses {key}");
    }

    zoom.get("/users/me").await;
    zoom.get("/users/me").await;
    zoom.get("/users").await;
    let stats = zoom.admin(Method::GET, "/stats", None).await.body;
    assert_eq!(stats["requests"]["GET /users/{userId}"], 2);
    assert_eq!(stats["requests"]["GET /users"], 1);
    assert_eq!(stats["by_category"]["Light"], 2);
    assert_eq!(stats["by_category"]["Medium"], 1);
    assert_eq!(stats["total"], 3);
    assert_eq!(stats["tokens_issued"], 1);
    assert_eq!(
        zoom.admin(Method::DELETE, "/stats", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        zoom.admin(Method::GET, "/stats", None).await.body["total"],
        0
    );

    // Config.
    let config = zoom.admin(Method::GET, "/config", None).await.body;
    assert_eq!(config["users"], 50);
    let r = zoom
        .admin(
            Method::PUT,
            "/config",
            Some(json!({"duplicate_status": 412, "users": 20})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["duplicate_status"], 412);
    assert_eq!(r.body["latency_ms"], 0);
    for bad in [
        json!({"duplicate_status": 500}),
        json!({"bogus": 1}),
        json!({"fail_rate": "x"}),
    ] {
        assert_eq!(
            zoom.admin(Method::PUT, "/config", Some(bad)).await.status,
            StatusCode::BAD_REQUEST
        );
    }
    let owner_email = zoom.get("/users/me").await.body["email"].clone();
    let r = zoom
        .call(
            Method::POST,
            "/users",
            Some(json!({"action": "create", "user_info": {"email": owner_email, "type": 1}})),
        )
        .await;
    assert_zoom_error(&r, 412, 1005);

    // Reset re-seeds with the new user count; the token keeps working.
    zoom.create_user("autoCreate", "temp@example.com").await;
    let r = zoom.admin(Method::POST, "/reset", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_zoom_error(&zoom.get("/users/temp@example.com").await, 404, 1001);
    assert_eq!(
        zoom.state().await["users"].as_array().map(Vec::len),
        Some(20)
    );
    assert_eq!(
        zoom.admin(Method::GET, "/stats", None).await.body["total"],
        1
    );

    // Seed: same seed gives the same data, another seed other data.
    let r = zoom
        .admin(Method::POST, "/seed", Some(json!({"users": 30, "seed": 7})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let a = zoom.state().await["users"].clone();
    assert_eq!(a.as_array().map(Vec::len), Some(30));
    zoom.admin(Method::POST, "/seed", Some(json!({"seed": 8})))
        .await;
    let b = zoom.state().await["users"].clone();
    zoom.admin(Method::POST, "/seed", Some(json!({"seed": 7})))
        .await;
    let c = zoom.state().await["users"].clone();
    assert_ne!(a[1]["email"], b[1]["email"]);
    assert_eq!(a[1]["id"], c[1]["id"]);
    assert_eq!(a[1]["email"], c[1]["email"]);
    assert_eq!(
        zoom.admin(Method::POST, "/seed", Some(json!({"colour": 1})))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn unknown_paths_and_shutdown() {
    let zoom = Zoom::start(settings(3)).await;
    let r = zoom.get("/no/such/endpoint").await;
    assert_zoom_error(&r, 404, 2300);
    let url = format!("{}/users/me", zoom.sim.api_base_url());
    zoom.sim.shutdown();
    let Zoom { sim, http, token } = zoom;
    tokio::time::timeout(Duration::from_secs(5), sim.wait())
        .await
        .expect("stops in time")
        .expect("clean stop");
    let r = client().get(&url).bearer_auth(&token).send().await;
    assert!(r.is_err(), "nothing listens any more");
    drop(http);
}

// ----- Measurement ---------------------------------------------------------------------

/// Resident set size of this process, KiB (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Seeds 100,000 users, reports the memory they take and how fast the whole active
/// list can be walked with `page_size=300` and no rate limiting. Zoom's fastest
/// listing rate is Business+ Medium, 60 pages/s x 300 = 18,000 users/s; the simulator
/// must be well above it. Run alone:
/// `cargo test --test integration simulator::measure_100k_users -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; run alone with --ignored --nocapture"]
async fn measure_100k_users() {
    let before = rss_kib();
    let started = Instant::now();
    let zoom = Zoom::start(SimSettings {
        users: 100_000,
        rate_scale: 0.0,
        max_page_size: 300,
        ..SimSettings::default()
    })
    .await;
    let seeding = started.elapsed();
    let after = rss_kib();

    let started = Instant::now();
    let mut listed = 0usize;
    let mut pages = 0usize;
    let mut totals = Vec::new();
    let mut token = String::new();
    loop {
        let path = if token.is_empty() {
            "/users?page_size=300".to_owned()
        } else {
            format!("/users?page_size=300&next_page_token={token}")
        };
        // Only count the users: the client's own parsing should not dominate.
        #[derive(serde::Deserialize)]
        struct Page {
            total_records: usize,
            next_page_token: String,
            users: Vec<serde::de::IgnoredAny>,
        }
        let r = zoom.req(Method::GET, &path).send().await.expect("page");
        assert_eq!(r.status(), StatusCode::OK);
        let page: Page = serde_json::from_slice(&r.bytes().await.expect("body")).expect("page");
        listed += page.users.len();
        totals.push(page.total_records);
        pages += 1;
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    let walk = started.elapsed();
    let rate = listed as f64 / walk.as_secs_f64();
    assert!(
        totals.iter().all(|t| *t == listed),
        "total_records {totals:?}"
    );
    let after_walk = rss_kib();
    println!(
        "seeded 100000 users in {seeding:.2?}; RSS before {before:?} KiB, after seeding {after:?} KiB, \
         after the walk {after_walk:?} KiB; listed {listed} active users in {pages} pages in {walk:.2?}: \
         {rate:.0} users/s ({:.0} pages/s)",
        pages as f64 / walk.as_secs_f64()
    );
    if let (Some(before), Some(after)) = (before, after) {
        assert!(
            after.saturating_sub(before) < 200 * 1024,
            "100k users take {} KiB",
            after - before
        );
        assert!(after < 200 * 1024 + before, "RSS {after} KiB");
    }
    assert!(rate > 18_000.0, "{rate:.0} users/s");
}
