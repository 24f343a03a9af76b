//! Zoom's webhooks, end to end: the simulator posts its events as Zoom does (signed,
//! retried), the service checks each delivery, and what an event says changed reaches a
//! delta import within seconds, without waiting for the walk.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use zoom_scim::config::Config;
use zoom_scim::scim::model::urn;
use zoom_scim::secret::Secret;
use zoom_scim::simulator::SimSettings;

use crate::support::{Stack, changed_since, sim_settings, stamp, start_stack};

const SECRET: &str = "webhook-secret-token";

fn hmac_hex(key: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key");
    mac.update(message);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A stack whose service receives webhooks and whose simulator sends them to it.
async fn webhook_stack(settings: SimSettings, mut config: Config) -> Stack {
    config.zoom.webhook_secret_token = Some(Secret::new(SECRET));
    let stack = start_stack(settings, config).await;
    let url = format!("http://{}/zoom/webhook", stack.service.addr);
    stack
        .sim
        .configure(|s| {
            s.webhook_url = Some(url);
            s.webhook_secret = Some(SECRET.into());
        })
        .expect("webhook settings");
    stack
}

fn webhook_settings() -> SimSettings {
    SimSettings {
        webhook_retry_delays_ms: vec![500, 500, 500],
        ..sim_settings(30)
    }
}

/// Posts `body` to the service's webhook path, signed with `secret` at `timestamp`.
async fn deliver(stack: &Stack, body: &str, secret: &str, timestamp: i64) -> (u16, Value) {
    let timestamp = timestamp.to_string();
    let signature = format!(
        "v0={}",
        hmac_hex(secret, format!("v0:{timestamp}:{body}").as_bytes())
    );
    let r = stack
        .http
        .post(format!("http://{}/zoom/webhook", stack.service.addr))
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", timestamp)
        .header("x-zm-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .expect("delivery");
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Waits until `done` holds, checking every 100 ms for at most `seconds`.
async fn within<F: AsyncFn() -> bool>(seconds: u64, done: F) -> bool {
    for _ in 0..seconds * 10 {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn members(stack: &Stack, n: usize) -> Vec<String> {
    let state = stack.sim_admin("state").await;
    state["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["status"] == "active" && u["role_id"] == "2")
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .take(n)
        .collect()
}

async fn admin_edit(stack: &Stack, id: &str, body: Value) -> reqwest::Response {
    stack
        .http
        .patch(format!("{}/users/{id}", stack.sim.admin_url()))
        .json(&body)
        .send()
        .await
        .expect("admin edit")
}

/// The statuses of a delivery's attempts.
fn statuses(delivery: &Value) -> Vec<Value> {
    delivery["attempts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["status"].clone())
        .collect()
}

async fn deliveries(stack: &Stack) -> Vec<Value> {
    stack.sim_admin("webhooks").await["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn zoom_validates_the_endpoint_and_only_signed_fresh_deliveries_are_taken() {
    let stack = webhook_stack(webhook_settings(), Config::default()).await;
    // Endpoint validation: the plain token and its HMAC under the secret token.
    let (status, body) = deliver(
        &stack,
        r#"{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680}"#,
        SECRET,
        now_s(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
    assert_eq!(
        body["encryptedToken"],
        hmac_hex(SECRET, b"qgg8vlvZRS6UYooatFL8Aw")
    );

    let id = &members(&stack, 1).await[0];
    // The first read: the store first sees the user now.
    let (_, user) = stack.get(&format!("/Users/{id}")).await;
    let first_seen = user["meta"]["lastModified"].clone();
    assert!(first_seen.is_string(), "{user}");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let event = json!({"event": "user.updated", "event_ts": 1,
        "payload": {"account_id": "sim-account-0001",
                    "object": {"id": id, "first_name": "X"}, "old_object": {"id": id}}})
    .to_string();
    // Signed with another secret, replayed from ten minutes ago, unsigned: refused, and
    // nothing is dated.
    for (secret, at) in [("not-the-secret", now_s()), (SECRET, now_s() - 600)] {
        let (status, body) = deliver(&stack, &event, secret, at).await;
        assert_eq!(status, 401, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("webhook delivery refused")
        );
    }
    let unsigned = stack
        .http
        .post(format!("http://{}/zoom/webhook", stack.service.addr))
        .body(event.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let (_, user) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(user["meta"]["lastModified"], first_seen, "{user}");

    // A signed body that is not an event: 400. Another account's event: taken, ignored.
    let (status, _) = deliver(&stack, "[1, 2]", SECRET, now_s()).await;
    assert_eq!(status, 400);
    let foreign = event.replace("sim-account-0001", "another-account");
    let (status, _) = deliver(&stack, &foreign, SECRET, now_s()).await;
    assert_eq!(status, 204);
    let (_, user) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(user["meta"]["lastModified"], first_seen, "{user}");

    // The real thing: dated, and a repeat changes nothing.
    let (status, _) = deliver(&stack, &event, SECRET, now_s()).await;
    assert_eq!(status, 204);
    let (_, user) = stack.get(&format!("/Users/{id}")).await;
    let dated = user["meta"]["lastModified"].clone();
    assert!(
        dated.as_str().unwrap() > first_seen.as_str().unwrap(),
        "{user}"
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (status, _) = deliver(&stack, &event, SECRET, now_s()).await;
    assert_eq!(status, 204);
    let (_, user) = stack.get(&format!("/Users/{id}")).await;
    assert_eq!(
        user["meta"]["lastModified"], dated,
        "a repeat dates nothing"
    );
}

#[tokio::test]
async fn without_a_secret_token_there_is_no_webhook_endpoint() {
    let stack = start_stack(sim_settings(5), Config::default()).await;
    let (status, body) = deliver(
        &stack,
        r#"{"event":"endpoint.url_validation","payload":{"plainToken":"abc"}}"#,
        SECRET,
        now_s(),
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn out_of_band_changes_reach_a_delta_import_within_seconds() {
    // The walk is off: only the events can tell the service.
    let stack = webhook_stack(webhook_settings(), Config::default()).await;
    let ids = members(&stack, 3).await;
    let since = stamp(chrono::Utc::now());
    tokio::time::sleep(Duration::from_millis(20)).await;
    stack.reset_sim_stats().await;

    // An admin edits one user in Zoom's portal and deactivates another.
    let r = admin_edit(&stack, &ids[0], json!({"job_title": "Portal Title"})).await;
    assert_eq!(r.status(), 200);
    let r = admin_edit(&stack, &ids[1], json!({"status": "inactive"})).await;
    assert_eq!(r.status(), 200);
    let mut want = vec![ids[0].clone(), ids[1].clone()];
    want.sort();
    assert!(
        within(5, async || changed_since(&stack, "Users", &since).await
            == want)
        .await,
        "the delta import returns exactly the two users: {:?}",
        changed_since(&stack, "Users", &since).await
    );
    assert_eq!(
        stack.zoom_calls("GET /users").await,
        0,
        "no listing was walked"
    );
    let (_, user) = stack.get(&format!("/Users/{}", ids[0])).await;
    assert_eq!(user["title"], "Portal Title");

    // A group membership changed through Zoom's API, past the service: the group and
    // the member are both dated.
    let token = stack.zoom_token().await;
    let groups = stack.sim_admin("state").await["groups"].clone();
    let group = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| !g["member_ids"].as_array().unwrap().contains(&json!(ids[2])))
        .and_then(|g| g["id"].as_str())
        .expect("a group the third user is not in")
        .to_owned();
    let since = stamp(chrono::Utc::now());
    tokio::time::sleep(Duration::from_millis(20)).await;
    let r = stack
        .http
        .post(format!(
            "{}/groups/{group}/members",
            stack.sim.api_base_url()
        ))
        .bearer_auth(&token)
        .json(&json!({"members": [{"id": ids[2]}]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert!(
        within(5, async || changed_since(&stack, "Groups", &since).await
            == vec![group.clone()])
        .await
    );
    assert_eq!(
        changed_since(&stack, "Users", &since).await,
        vec![ids[2].clone()]
    );

    // Every event was delivered once and answered 204.
    let log = deliveries(&stack).await;
    let events: Vec<&str> = log.iter().map(|d| d["event"].as_str().unwrap()).collect();
    assert_eq!(
        events,
        ["user.updated", "user.deactivated", "group.member_added"]
    );
    for delivery in &log {
        assert_eq!(statuses(delivery), [json!(204)], "{delivery}");
    }
    assert_eq!(
        log[0]["body"]["payload"]["object"]["job_title"],
        "Portal Title"
    );
    assert_eq!(
        log[0]["body"]["payload"]["old_object"]["id"],
        ids[0].as_str()
    );
}

#[tokio::test]
async fn an_invitee_who_accepts_gets_the_deferred_changes_within_seconds() {
    let stack = webhook_stack(webhook_settings(), Config::default()).await;
    let r = stack
        .scim(
            Method::POST,
            "/Users",
            Some(
                json!({"schemas": [urn::USER], "userName": "new.hire.webhook@example.com",
                        "name": {"givenName": "New", "familyName": "Hire"}}),
            ),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = stack
        .scim(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({"schemas": [urn::PATCH_OP],
                "Operations": [{"op": "replace", "path": "title", "value": "Engineer"}]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(stack.sim_user(&id).await.unwrap()["job_title"].is_null());

    let r = stack
        .http
        .post(format!("{}/users/{id}/activate", stack.sim.admin_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The periodic check runs every 30 s: within 5 s, only the event can have done it.
    assert!(
        within(5, async || stack.sim_user(&id).await.unwrap()["job_title"]
            == "Engineer")
        .await,
        "the deferred title reached Zoom: {:?}",
        stack.sim_user(&id).await
    );
    let log = deliveries(&stack).await;
    assert!(
        log.iter().any(|d| d["event"] == "user.invitation_accepted"
            && d["object_id"] == id.as_str()
            && statuses(d) == [json!(204)]),
        "{log:?}"
    );
}

#[tokio::test]
async fn repeated_deliveries_are_taken_once() {
    let settings = SimSettings {
        webhook_duplicate_rate: 1.0,
        ..webhook_settings()
    };
    let stack = webhook_stack(settings, Config::default()).await;
    let id = members(&stack, 1).await.remove(0);
    let r = admin_edit(&stack, &id, json!({"dept": "Portal Dept"})).await;
    assert_eq!(r.status(), 200);
    assert!(
        within(5, async || deliveries(&stack).await.first().is_some_and(
            |d| d["attempts"].as_array().is_some_and(|a| a.len() == 2)
        ))
        .await
    );
    let log = deliveries(&stack).await;
    assert_eq!(statuses(&log[0]), [json!(204), json!(204)], "both taken");
    // The user was dated by the first delivery, before its answer; the repeat, 50 ms
    // after that answer, dated nothing.
    let (_, user) = stack.get(&format!("/Users/{id}")).await;
    let dated =
        chrono::DateTime::parse_from_rfc3339(user["meta"]["lastModified"].as_str().unwrap())
            .unwrap();
    let first_answered =
        chrono::DateTime::parse_from_rfc3339(log[0]["attempts"][0]["at"].as_str().unwrap())
            .unwrap();
    assert!(dated <= first_answered, "{dated} <= {first_answered}");
}

#[tokio::test]
async fn a_delivery_the_service_cannot_take_is_retried_until_it_is() {
    // The store goes away: the service answers 503, Zoom (the simulator) retries, and
    // the retry after the store is back is taken.
    let url = crate::support::postgres::fresh_database().await;
    let database = url.expose().rsplit('/').next().expect("name").to_owned();
    let mut config = Config::default();
    config.store.url = url;
    config.store.acquire_timeout_s = 1;
    let settings = SimSettings {
        webhook_retry_delays_ms: vec![1_500, 1_500, 1_500],
        ..webhook_settings()
    };
    let stack = webhook_stack(settings, config).await;
    let id = members(&stack, 1).await.remove(0);
    let since = stamp(chrono::Utc::now());
    tokio::time::sleep(Duration::from_millis(20)).await;

    crate::support::postgres::set_accepting(&database, false).await;
    let r = admin_edit(&stack, &id, json!({"location": "Portal City"})).await;
    assert_eq!(r.status(), 200);
    assert!(
        within(5, async || deliveries(&stack).await.first().is_some_and(
            |d| d["attempts"].as_array().is_some_and(|a| !a.is_empty())
        ))
        .await
    );
    let first = deliveries(&stack).await[0]["attempts"][0]["status"].clone();
    assert_eq!(first, 503, "refused while the store is away");

    crate::support::postgres::set_accepting(&database, true).await;
    assert!(
        within(10, async || deliveries(&stack).await[0]["delivered"]
            == true)
        .await,
        "{:?}",
        deliveries(&stack).await
    );
    assert_eq!(changed_since(&stack, "Users", &since).await, vec![id]);
}
