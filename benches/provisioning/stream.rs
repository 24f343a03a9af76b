//! Scenario 9: one complete listing without `count`, as the ConnId bundle reads an
//! account when no page size is configured (`GET /Users?attributes=userName,id,name`).
//! The service streams it: reported are the time to the first byte, the wall time
//! against the rate-limit floor, the service's memory before and at its peak, and
//! whether every user came back once with an exact `totalResults`.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::floor::{Budget, Floor, calls_by_category};
use crate::import::minimum_calls;
use crate::report::{Section, round, seconds};
use crate::stack::{SCIM_TOKEN, Service, ServiceOptions, Sim};

/// What the ConnId bundle asks for on every listing.
const ATTRIBUTES: &str = "userName,id,name";

/// A fresh simulator of `sim_settings.users` users and a fresh service (no change walk,
/// so the listing is measured alone), then the one listing.
pub async fn run(
    sim_settings: zoom_scim::simulator::SimSettings,
    options: &ServiceOptions,
    budget: Budget,
    log: &Path,
) -> Result<Section> {
    let users = sim_settings.users;
    let mut section = Section::new(format!("9. one streamed listing of {users} users"));
    let sim = Sim::start(sim_settings).await?;
    let census = sim.census().await?;
    let options = ServiceOptions {
        env: [
            options.env.clone(),
            vec![("ZOOM_SCIM_STORE__WATCH_INTERVAL_S".into(), "0".into())],
        ]
        .concat(),
        ..options.clone()
    };
    let service = Service::start(&sim, &options, log).await?;
    let before = service.usage()?;
    sim.reset_stats().await?;

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3600))
        .build()?;
    let started = Instant::now();
    let mut response = http
        .get(format!("{}/Users", service.scim_url))
        .bearer_auth(SCIM_TOKEN)
        .query(&[("attributes", ATTRIBUTES)])
        .send()
        .await
        .context("GET /Users")?;
    let head_s = started.elapsed().as_secs_f64();
    if !response.status().is_success() {
        bail!("GET /Users answered {}", response.status());
    }
    let chunked = response.headers().get("content-length").is_none();
    let mut body = Vec::new();
    let mut first_resource_s = None;
    while let Some(piece) = response.chunk().await.context("the listing's body")? {
        body.extend_from_slice(&piece);
        if first_resource_s.is_none() && body.windows(6).any(|w| w == b"\"id\":\"") {
            first_resource_s = Some(started.elapsed().as_secs_f64());
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    let stats = sim.stats().await?;
    let usage = service.stop().await?;

    let listing: Value = serde_json::from_slice(&body).context("the listing's JSON")?;
    let resources = listing["Resources"].as_array().cloned().unwrap_or_default();
    let ids: HashSet<&str> = resources.iter().filter_map(|r| r["id"].as_str()).collect();
    let total = listing["totalResults"].as_u64().unwrap_or(0);
    let expected = census.users();
    let complete =
        resources.len() as u64 == expected && ids.len() as u64 == expected && total == expected;
    let floor = Floor::of(minimum_calls(&census, false, &stats), budget);
    let ratio = wall_s / floor.seconds;
    let first_s = first_resource_s.unwrap_or(wall_s);
    let mib = |kib: u64| kib as f64 / 1024.0;

    section.row(
        "answer head / first user",
        format!("{} / {}", seconds(head_s), seconds(first_s)),
    );
    section.row("wall", seconds(wall_s));
    section.row("floor", floor.cell());
    section.row("wall / floor", format!("{ratio:.3}"));
    let by_cat: Vec<String> = calls_by_category(&stats)
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    section.row(
        "Zoom calls",
        format!(
            "{} ({}), 429s {}",
            stats.total,
            by_cat.join(", "),
            stats.throttled()
        ),
    );
    section.row(
        "users returned",
        format!(
            "{} resources, {} unique ids, totalResults {total}, simulator holds {expected}{}{}",
            resources.len(),
            ids.len(),
            if complete { "" } else { "  <-- INCOMPLETE" },
            if chunked {
                ", chunked"
            } else {
                ", NOT STREAMED"
            },
        ),
    );
    section.row(
        "service RSS before / peak during",
        format!(
            "{:.1} MiB / {:.1} MiB (body {:.1} MiB)",
            mib(before.rss_kib),
            usage.peak_rss_mib(),
            body.len() as f64 / 1048576.0
        ),
    );
    section.json = json!({
        "users": expected,
        "attributes": ATTRIBUTES,
        "head_s": round(head_s, 3),
        "first_user_s": round(first_s, 3),
        "wall_s": round(wall_s, 3),
        "floor": floor.json(),
        "wall_over_floor": round(ratio, 4),
        "zoom_calls": stats.json(),
        "zoom_calls_by_category": calls_by_category(&stats),
        "resources": resources.len(),
        "unique_ids": ids.len(),
        "total_results": total,
        "complete": complete,
        "chunked": chunked,
        "body_bytes": body.len(),
        "rss_before_mib": round(mib(before.rss_kib), 2),
        "peak_rss_mib": round(usage.peak_rss_mib(), 2),
    });
    Ok(section)
}
