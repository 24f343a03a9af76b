//! Complete listings for clients that never page: a listing without `count` answers
//! every match, streamed as Zoom's pages arrive; any `count` is honoured; a listing that
//! fails part-way never ends as a valid but short document.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zoom_scim::config::Config;

use crate::support::{SCIM_TOKEN, Stack, sim_settings, start_stack, urlencode};

/// More users than any held page (1,000), so every listing here streams.
const USERS: usize = 1_500;

/// The ids of every user in the simulator.
async fn zoom_ids(stack: &Stack) -> HashSet<String> {
    let state = stack.sim_admin("state").await;
    state["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect()
}

/// `GET {path}` read as raw text: status, whether the body was chunked (no
/// `Content-Length`), and the text, or the error that cut it.
async fn get_raw(stack: &Stack, path: &str) -> (u16, bool, Result<String, String>) {
    let response = stack
        .http
        .get(format!("{}{path}", stack.service.scim_base_url))
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let chunked = response.headers().get("content-length").is_none();
    let mut text = Vec::new();
    let mut response = response;
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => text.extend_from_slice(&bytes),
            Ok(None) => break,
            Err(e) => return (status, chunked, Err(format!("{e:?}"))),
        }
    }
    (status, chunked, Ok(String::from_utf8(text).expect("UTF-8")))
}

/// Asserts `body` lists every id of `expected` exactly once, with an exact total.
fn assert_complete(body: &Value, expected: &HashSet<String>) {
    let resources = body["Resources"].as_array().expect("Resources");
    let mut seen = HashSet::new();
    for user in resources {
        let id = user["id"].as_str().expect("id").to_owned();
        assert!(seen.insert(id.clone()), "{id} listed twice");
    }
    assert_eq!(&seen, expected, "every user, none other");
    assert_eq!(body["totalResults"], expected.len());
    assert_eq!(body["itemsPerPage"], expected.len());
    assert_eq!(body["startIndex"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_listing_without_count_answers_every_user_as_a_stream() {
    let stack = start_stack(sim_settings(USERS), Config::default()).await;
    let expected = zoom_ids(&stack).await;
    assert!(expected.len() >= USERS);

    // The ConnId bundle's reconciliation with no page size: one request, no `count`.
    let attributes = urlencode("userName,id,name");
    let (status, chunked, text) = get_raw(&stack, &format!("/Users?attributes={attributes}")).await;
    assert_eq!(status, 200);
    assert!(chunked, "a listing this long is streamed, not held");
    let text = text.expect("the stream ends cleanly");
    let body: Value = serde_json::from_str(&text).expect("one JSON document");
    assert_complete(&body, &expected);
    // Zoom's list totals give the count before the walk: it is written first.
    assert!(text.find("totalResults") < text.find("Resources"));
    let first = &body["Resources"][0];
    assert!(first["name"].is_object() && first["userName"].is_string());
    assert!(first.get("title").is_none(), "only the asked attributes");

    // With every attribute (deep detail per user) the answer is the same set.
    stack.reset_sim_stats().await;
    let (status, body) = stack.get("/Users").await;
    assert_eq!(status, 200);
    assert_complete(&body, &expected);
    assert_eq!(
        stack.zoom_calls("GET /users/{userId}").await as usize,
        expected.len(),
        "one detail call per user, none repeated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn any_count_is_honoured_and_only_the_last_page_is_short() {
    let stack = start_stack(sim_settings(USERS), Config::default()).await;
    let expected = zoom_ids(&stack).await;
    let attributes = urlencode("userName,id");

    // A count above the total answers everything (it was clamped to 1,000).
    let (status, body) = stack
        .get(&format!("/Users?count=5000&attributes={attributes}"))
        .await;
    assert_eq!(status, 200);
    assert_complete(&body, &expected);

    // A client that stops on a short page reads everything in pages of 1,200.
    let mut seen = HashSet::new();
    let mut start = 1;
    loop {
        let (status, body) = stack
            .get(&format!(
                "/Users?startIndex={start}&count=1200&attributes={attributes}"
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        let page = body["Resources"].as_array().cloned().unwrap_or_default();
        for user in &page {
            assert!(seen.insert(user["id"].as_str().unwrap().to_owned()));
        }
        start += page.len();
        if page.len() < 1200 {
            assert_eq!(start - 1, expected.len(), "only the last page is short");
            break;
        }
    }
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_filter_evaluated_here_streams_with_its_total_after_the_resources() {
    let stack = start_stack(sim_settings(USERS), Config::default()).await;
    let expected = zoom_ids(&stack).await;
    // Zoom cannot answer `co` on an e-mail: every user is a candidate, matched here.
    let filter = urlencode(r#"userName co "@""#);
    let attributes = urlencode("userName,id");
    let (status, chunked, text) = get_raw(
        &stack,
        &format!("/Users?filter={filter}&attributes={attributes}"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(chunked);
    let text = text.expect("the stream ends cleanly");
    let body: Value = serde_json::from_str(&text).expect("one JSON document");
    assert_complete(&body, &expected);
    // The count is known only once every candidate is matched: it follows them.
    assert!(text.find("totalResults") > text.find("Resources"));

    // A filter that matches few answers them in one held page.
    let someone = expected.iter().next().unwrap();
    let user = stack.sim_user(someone).await.expect("user");
    let email = user["email"].as_str().unwrap();
    let filter = urlencode(&format!(r#"userName co "{email}""#));
    let (status, body) = stack.get(&format!("/Users?filter={filter}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["totalResults"], 1);
    assert_eq!(body["Resources"][0]["id"], someone.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn zoom_failing_mid_stream_leaves_the_client_an_unterminated_document() {
    let mut config = Config::default();
    config.zoom.retry_deadline_s = 1;
    let stack = start_stack(sim_settings(USERS), config).await;
    // Zoom's fifth list page (the first of each status come first, for their
    // totals) and every retry of it fail.
    stack
        .add_fault(json!({
            "method": "GET", "path": "/users", "skip": 4, "count": 1000,
            "action": "respond", "status": 503,
        }))
        .await;
    let attributes = urlencode("userName,id");
    let (status, _, text) = get_raw(&stack, &format!("/Users?attributes={attributes}")).await;
    assert_eq!(status, 200, "the head was sent before Zoom failed");
    match text {
        Err(_) => {}
        Ok(text) => assert!(
            serde_json::from_str::<Value>(&text).is_err(),
            "a cut listing must not parse: {}",
            &text[text.len().saturating_sub(200)..]
        ),
    }
    stack.clear_faults().await;
    // Once Zoom answers again the same request converges.
    let (status, body) = stack.get(&format!("/Users?attributes={attributes}")).await;
    assert_eq!(status, 200);
    assert_complete(&body, &zoom_ids(&stack).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_streamed_listing_is_cut_when_it_stops_making_progress() {
    let mut config = Config::default();
    config.server.request_timeout_s = 1;
    let stack = start_stack(sim_settings(USERS), config).await;
    // Zoom's fifth list page never comes back (until long after the deadline).
    stack
        .add_fault(json!({
            "method": "GET", "path": "/users", "skip": 4, "action": "timeout",
        }))
        .await;
    let attributes = urlencode("userName,id");
    let started = Instant::now();
    let (status, _, text) = get_raw(&stack, &format!("/Users?attributes={attributes}")).await;
    assert_eq!(status, 200);
    assert!(
        text.as_ref()
            .map_or(true, |t| serde_json::from_str::<Value>(t).is_err()),
        "a stalled listing is cut, not completed"
    );
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(10),
        "cut on progress, after {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_leaves_stops_the_walk() {
    let mut settings = sim_settings(USERS);
    settings.latency_ms = 20;
    let stack = start_stack(settings, Config::default()).await;
    // Every attribute: one detail call per user, a few hundred milliseconds a chunk.
    let mut response = stack
        .http
        .get(format!("{}/Users", stack.service.scim_base_url))
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let mut read = 0;
    while read < 10_000 {
        read += response
            .chunk()
            .await
            .expect("bytes")
            .expect("a piece")
            .len();
    }
    drop(response);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_leaving = stack.zoom_calls("GET /users/{userId}").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = stack.zoom_calls("GET /users/{userId}").await;
    assert_eq!(
        after_leaving, later,
        "the walk stopped when the client left"
    );
    assert!(
        (later as usize) < USERS / 2,
        "{later} detail calls for a client that read the first chunks"
    );
}
