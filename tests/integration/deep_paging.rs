//! Deep paging with lookahead: while one SCIM page of a walk is served, the detail calls
//! of the next one start in the background. These tests check that the pipeline neither
//! loses, duplicates nor double-fetches anyone, that a single page costs that page alone
//! and that an abandoned walk wastes at most one page of calls.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use zoom_scim::config::Config;

use crate::support::{Stack, sim_settings, start_stack};

fn config() -> Config {
    let mut config = Config::default();
    // Small Zoom pages, so that SCIM pages straddle them and the lookahead fetches list
    // pages ahead too.
    config.zoom.page_size = 50;
    config
}

async fn detail_calls(stack: &Stack) -> u64 {
    let stats = stack.sim_admin("stats").await;
    stats["requests"]["GET /users/{userId}"]
        .as_u64()
        .unwrap_or(0)
}

/// Walks `/Users` with all attributes, page sizes taken in turn from `counts`; returns
/// the resources by userName.
async fn walk(stack: &Stack, counts: &[usize]) -> HashMap<String, Value> {
    let mut seen = HashMap::new();
    let mut start = 1;
    for page in 0.. {
        let count = counts[page % counts.len()];
        let (status, body) = stack
            .get(&format!("/Users?startIndex={start}&count={count}"))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["startIndex"], start);
        let resources = body["Resources"].as_array().cloned().unwrap_or_default();
        if resources.is_empty() {
            break;
        }
        for user in &resources {
            let name = user["userName"].as_str().unwrap().to_ascii_lowercase();
            assert!(
                seen.insert(name.clone(), user.clone()).is_none(),
                "duplicate {name}"
            );
        }
        start += resources.len();
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deep_paging_reads_every_user_once_with_the_right_detail() {
    let stack = start_stack(sim_settings(230), config()).await;
    let state = stack.sim_admin("state").await;
    let sim_users = state["users"].as_array().unwrap();
    // Page sizes change on the way (as some clients do), so lookaheads cover more or
    // fewer users than the next page asks for.
    let seen = walk(&stack, &[40, 70, 25]).await;
    assert_eq!(seen.len(), sim_users.len());
    for user in sim_users {
        let email = user["email"].as_str().unwrap().to_ascii_lowercase();
        let resource = &seen[&email];
        // Detail-only attributes come from the user's own detail record.
        let title = user["job_title"].as_str().unwrap_or_default();
        if !title.is_empty() {
            assert_eq!(resource["title"], title, "{email}");
        }
        if let Some(id) = user["id"].as_str() {
            assert_eq!(resource["id"], id, "{email}");
        }
    }
    // Exactly one detail call per user: the lookahead's results are used, never
    // fetched again, and nobody is left out.
    assert_eq!(detail_calls(&stack).await, sim_users.len() as u64);
}

#[tokio::test]
async fn an_abandoned_walk_wastes_at_most_one_page_of_calls() {
    let stack = start_stack(sim_settings(400), config()).await;
    for start in [1, 41] {
        let (status, _) = stack
            .get(&format!("/Users?startIndex={start}&count=40"))
            .await;
        assert_eq!(status, 200);
    }
    // Let the lookahead started by the second page finish.
    let mut calls = detail_calls(&stack).await;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = detail_calls(&stack).await;
        if now == calls && now >= 120 {
            break;
        }
        calls = now;
    }
    // Two pages served, the third looked ahead, nothing more.
    assert_eq!(calls, 120);
}

// Several worker threads, as in the service: the request and the lookahead's task
// then really race for the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_fetched_ahead_are_not_read_twice_when_the_client_is_fast() {
    // SCIM pages as large as Zoom's: every lookahead fetches the next Zoom list page,
    // and with latency on every call the client's next request arrives while that
    // page is still in flight, racing the task that starts its detail calls.
    let mut settings = sim_settings(300);
    settings.latency_ms = 30;
    let stack = start_stack(settings, config()).await;
    let seen = walk(&stack, &[50]).await;
    assert_eq!(seen.len(), 300);
    assert_eq!(detail_calls(&stack).await, 300);
}

#[tokio::test]
async fn a_single_page_costs_that_page_alone() {
    let stack = start_stack(sim_settings(400), config()).await;
    let (status, body) = stack.get("/Users?startIndex=1&count=40").await;
    assert_eq!(status, 200);
    assert_eq!(body["Resources"].as_array().map(Vec::len), Some(40));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(detail_calls(&stack).await, 40);
}
