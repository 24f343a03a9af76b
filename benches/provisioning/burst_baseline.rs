//! Scenario 7: scenario 3's burst done the Java connector's way, straight against the
//! simulator (a mode of the benchmark, not of the product). The calls per operation
//! follow docs/java-connector.md:
//!
//! - section 5.2, create: `POST /users` with `action=create`, the id from the 201;
//! - section 5.6, update of a title: `PATCH /users/{id}` (always sent), then
//!   `GET /users/{id}` for the e-mail check (4a) and `GET /users/{id}` for the phone
//!   step (4c);
//! - section 5.6, a group added to the user's `GROUP_IDS`: `PATCH /users/{id}` with
//!   `{"feature":{}}` (sent even then), `GET /users/{id}` (4a), `GET /users/{id}` for the
//!   current groups (4b), `POST /groups/{gid}/members`, `GET /users/{id}` (4c);
//! - section 5.7, delete with `deactivateOnDelete`: `GET /users/{id}`, `GET /users/{id}`
//!   in `updateUserStatus`, `PUT /users/{id}/status` deactivate;
//! - section 4.1: a new connection per request; one operation at a time, as one midPoint
//!   worker thread runs them.
//!
//! It runs a sample of the burst (the first operations of each kind, in the burst's
//! shuffled order) and extrapolates its time linearly to the whole burst. It also gives
//! that way's own floor: its calls at the rate the service may use, the least time any
//! number of parallel connector threads would need.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::burst::{Kind, Op, plan};
use crate::floor::{Budget, Floor, MinimumCalls};
use crate::report::{Section, counts, round, seconds};
use crate::stack::Sim;

/// Operations of each kind in the sample, out of the burst's (1,000 / 1,000 / 500 / 200).
pub const SAMPLE_SHARE: f64 = 0.1;

/// The Java connector's calls for one operation, as `(method, path)` pairs with the
/// simulator's endpoint templates (for the floor) filled in per op.
fn java_calls(op: &Op) -> Vec<(&'static str, &'static str)> {
    match op {
        Op::Create { .. } => vec![("POST", "/users")],
        Op::Update { .. } => vec![
            ("PATCH", "/users/{userId}"),
            ("GET", "/users/{userId}"),
            ("GET", "/users/{userId}"),
        ],
        Op::GroupAdd { .. } => vec![
            ("PATCH", "/users/{userId}"),
            ("GET", "/users/{userId}"),
            ("GET", "/users/{userId}"),
            ("POST", "/groups/{groupId}/members"),
            ("GET", "/users/{userId}"),
        ],
        Op::Delete { .. } => vec![
            ("GET", "/users/{userId}"),
            ("GET", "/users/{userId}"),
            ("PUT", "/users/{userId}/status"),
        ],
    }
}

/// The request of one call of `op`.
fn request(
    http: &reqwest::Client,
    api: &str,
    token: &str,
    op: &Op,
    (method, path): (&str, &str),
) -> reqwest::RequestBuilder {
    let user = match op {
        Op::Update { id, .. } | Op::Delete { id } => id.as_str(),
        Op::GroupAdd { user_id, .. } => user_id.as_str(),
        Op::Create { .. } => "",
    };
    let url = format!("{api}{}", path.replace("{userId}", user));
    let builder = match (method, op) {
        ("POST", Op::Create {
            user_name,
            given,
            family,
        }) => http.post(url).json(&json!({"action": "create", "user_info": {
            "email": user_name, "first_name": given, "last_name": family, "type": 1, "feature": {}
        }})),
        ("PATCH", Op::Update { title, .. }) => http
            .patch(url)
            .json(&json!({"job_title": title, "feature": {}})),
        ("PATCH", _) => http.patch(url).json(&json!({"feature": {}})),
        ("POST", Op::GroupAdd { group_id, user_id }) => http
            .post(url.replace("{groupId}", group_id))
            .json(&json!({"members": [{"id": user_id}]})),
        ("PUT", _) => http.put(url).json(&json!({"action": "deactivate"})),
        _ => http.get(url),
    };
    builder
        .bearer_auth(token)
        .header("Accept", "application/json")
}

/// Runs the sample against `sim` (reset by the caller afterwards).
pub async fn run(sim: &Sim, budget: Budget, burst_wall_s: Option<f64>) -> Result<Section> {
    let before = sim.state().await?;
    let full = plan(&before, "java")?;
    let mut wanted: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut full_counts: BTreeMap<Kind, usize> = BTreeMap::new();
    for op in &full.ops {
        *full_counts.entry(op.kind()).or_default() += 1;
    }
    for (kind, n) in &full_counts {
        wanted.insert(*kind, ((*n as f64) * SAMPLE_SHARE).ceil() as usize);
    }
    let mut sample = Vec::new();
    for op in &full.ops {
        let left = wanted.entry(op.kind()).or_default();
        if *left > 0 {
            *left -= 1;
            sample.push(op.clone());
        }
    }
    // No idle connections are kept: a new Apache HttpClient per request.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(60))
        .build()?;
    let api = sim.api_base();
    let token = sim.access_token(&http).await?;
    sim.reset_stats().await?;
    let started = Instant::now();
    for op in &sample {
        for call in java_calls(op) {
            let response = request(&http, &api, &token, op, call)
                .send()
                .await
                .with_context(|| format!("{} {}", call.0, call.1))?;
            let status = response.status();
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                bail!("{} {} answered {status}: {body}", call.0, call.1);
            }
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    let stats = sim.stats().await?;
    let scale = full.ops.len() as f64 / sample.len().max(1) as f64;
    let full_wall_s = wall_s * scale;
    // The Java way's own floor over the whole burst: its calls per endpoint.
    let mut minimum = MinimumCalls::default();
    let mut per_endpoint: BTreeMap<String, u64> = BTreeMap::new();
    for op in &full.ops {
        for (method, path) in java_calls(op) {
            *per_endpoint.entry(format!("{method} {path}")).or_default() += 1;
        }
    }
    for (endpoint, n) in &per_endpoint {
        minimum.add(endpoint, *n, "the Java connector's calls");
    }
    let floor = Floor::of(minimum, budget);
    let mut section = Section::new(format!(
        "7. the burst the Java connector's way (sequential, {} of {} operations, extrapolated)",
        sample.len(),
        full.ops.len()
    ));
    let calls: u64 = per_endpoint.values().sum();
    section.row(
        "measured",
        format!(
            "{} for {} operations ({} Zoom calls)",
            seconds(wall_s),
            sample.len(),
            stats.total
        ),
    );
    section.row(
        "whole burst",
        format!(
            "{} extrapolated; {calls} Zoom calls ({})",
            seconds(full_wall_s),
            counts(&per_endpoint)
        ),
    );
    section.row("its floor (any number of connector threads)", floor.cell());
    if let Some(burst) = burst_wall_s {
        section.row(
            "zoom-scim (scenario 3) against it",
            format!(
                "{:.1}x faster than one thread; {:.2}x faster than its floor",
                full_wall_s / burst,
                floor.seconds / burst
            ),
        );
    }
    section.json = json!({
        "sample_operations": sample.len(),
        "burst_operations": full.ops.len(),
        "measured_wall_s": round(wall_s, 3),
        "extrapolated_wall_s": round(full_wall_s, 3),
        "zoom_calls_measured": stats.json(),
        "zoom_calls_whole_burst": per_endpoint,
        "floor": floor.json(),
        "speedup_of_scenario_3": burst_wall_s.map(|b| round(full_wall_s / b, 2)),
        "scenario_3_vs_its_floor": burst_wall_s.map(|b| round(floor.seconds / b, 2)),
    });
    Ok(section)
}
