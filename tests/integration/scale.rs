//! Scale tests of the Zoom client against the simulator at Zoom's real rate limits
//! (Business plan, rate scale 1): a 10,000-user listing is complete, has no duplicate
//! and draws no 429, while the same calls made without the client's pacing do.

use std::collections::HashSet;
use std::time::Instant;

use futures::TryStreamExt;
use serde_json::Value;
use zoom_scim::simulator::AccountPlan;
use zoom_scim::simulator::{SimCredentials, SimHandle, SimSettings};
use zoom_scim::zoom::ZoomClient;
use zoom_scim::zoom::model::{ListUsersQuery, UserStatus};
use zoom_scim::zoom::{Plan, ZoomConfig};

use crate::support::start_simulator;

/// Users seeded.
const USERS: usize = 10_000;

/// Zoom page size of the listing. At 300 (Zoom's maximum) 10,000 users take 34 list
/// calls, which fit in Zoom's Business Medium bucket of 60 at once: no pacing would ever
/// be needed and a zero-429 assertion would prove nothing. At 100 the listing takes
/// about 101 calls, well above one bucket, so the client's limiter must really pace them
/// (about 2 s at 80% of 60/s).
const PAGE_SIZE: u32 = 100;

fn client_config(sim: &SimHandle) -> ZoomConfig {
    let credentials = SimCredentials::default();
    ZoomConfig {
        api_base_url: sim.api_base_url(),
        token_url: sim.token_url(),
        account_id: credentials.account_id,
        client_id: credentials.client_id,
        client_secret: Some(credentials.client_secret.into()),
        plan: Plan::Business,
        page_size: PAGE_SIZE,
        ..ZoomConfig::default()
    }
}

async fn admin_get(sim: &SimHandle, path: &str) -> Value {
    reqwest::get(format!("{}{path}", sim.admin_url()))
        .await
        .expect("admin request")
        .json()
        .await
        .expect("admin JSON")
}

async fn admin_reset_stats(sim: &SimHandle) {
    let response = reqwest::Client::new()
        .delete(format!("{}/stats", sim.admin_url()))
        .send()
        .await
        .expect("admin request");
    assert!(response.status().is_success());
}

/// A Zoom access token obtained directly, for calls that bypass the client.
async fn raw_token(sim: &SimHandle) -> String {
    crate::support::zoom_token(&reqwest::Client::new(), sim).await
}

#[tokio::test]
async fn ten_thousand_users_list_completely_once_each_without_a_429() {
    let sim = start_simulator(SimSettings {
        users: USERS,
        plan: AccountPlan::Business,
        rate_scale: 1.0,
        ..SimSettings::default()
    })
    .await;
    let state = admin_get(&sim, "/state").await;
    let expected: HashSet<String> = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["email"].as_str().map(str::to_ascii_lowercase))
        .collect();
    assert!(expected.len() >= USERS, "{} users seeded", expected.len());

    let client = ZoomClient::new(&client_config(&sim)).expect("client");
    // Warm the token so the listing alone is measured.
    client.check_token().await.expect("token");
    admin_reset_stats(&sim).await;

    // The three status lists at once, as the SCIM provider walks them.
    let started = Instant::now();
    let list = |status: UserStatus| {
        client
            .list_users(ListUsersQuery {
                status: Some(status),
                ..ListUsersQuery::default()
            })
            .try_collect::<Vec<_>>()
    };
    let (active, inactive, pending) = tokio::try_join!(
        list(UserStatus::Active),
        list(UserStatus::Inactive),
        list(UserStatus::Pending)
    )
    .expect("listing succeeds");
    let elapsed = started.elapsed();

    let mut seen = HashSet::new();
    let mut ids = HashSet::new();
    for (status, users) in [
        ("active", &active),
        ("inactive", &inactive),
        ("pending", &pending),
    ] {
        for user in users.iter() {
            assert_eq!(
                user.status.as_ref().map(UserStatus::as_str),
                Some(status),
                "{}",
                user.email
            );
            let email = user.email.to_ascii_lowercase();
            assert!(seen.insert(email.clone()), "{email} listed twice");
            if let Some(id) = &user.id {
                assert!(ids.insert(id.clone()), "id {id} listed twice");
            }
        }
    }
    assert_eq!(seen, expected, "every user exactly once");

    let stats = admin_get(&sim, "/stats").await;
    let list_calls = stats["requests"]["GET /users"].as_u64().unwrap_or(0);
    assert_eq!(stats["throttled"]["QPS"], 0, "no per-second 429: {stats}");
    assert_eq!(stats["throttled"]["Daily-limit"], 0, "{stats}");
    // ceil(n / 100) per status: about 101 calls, more than one 60-request bucket.
    let pages = |n: usize| n.div_ceil(PAGE_SIZE as usize) as u64;
    assert_eq!(
        list_calls,
        pages(active.len()) + pages(inactive.len()) + pages(pending.len()),
        "one call per page, no retry"
    );
    assert!(
        list_calls > 60,
        "{list_calls} calls: the limiter had to pace"
    );
    eprintln!(
        "listed {} users in {list_calls} calls in {elapsed:.2?} ({:.0} calls/s; Zoom Business Medium allows 60/s)",
        seen.len(),
        list_calls as f64 / elapsed.as_secs_f64()
    );

    // Control: the same number of list calls fired without the client's pacing are
    // refused by this simulator, so the zero above is the limiter's doing.
    admin_reset_stats(&sim).await;
    let token = raw_token(&sim).await;
    let http = reqwest::Client::new();
    let url = format!(
        "{}/users?status=active&page_size={PAGE_SIZE}",
        sim.api_base_url()
    );
    let burst: Vec<_> = (0..list_calls)
        .map(|_| {
            let request = http.get(&url).bearer_auth(&token).send();
            async move { request.await.map(|r| r.status().as_u16()) }
        })
        .collect();
    let statuses = futures::future::try_join_all(burst)
        .await
        .expect("burst requests");
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        refused > 0,
        "an unpaced burst of {list_calls} list calls drew no 429: {statuses:?}"
    );
    let stats = admin_get(&sim, "/stats").await;
    assert_eq!(stats["throttled"]["QPS"], refused as u64);
}
