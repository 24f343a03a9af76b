//! Scenario 8: a delta import, and the store at scale.
//!
//! The delta import: N users; the store's first walk done; 100 of them changed in
//! Zoom's portal (the simulator's admin API, past the service), each change reaching
//! the service as Zoom's webhook; then `meta.lastModified gt T` paged through the
//! service. Zoom calls and wall time against the floor of reading the 100 changed users
//! one by one, and against the floor of the full re-import a connector without delta
//! makes (the Java connector's way). The answer is checked to be exactly the changed
//! users.
//!
//! The store at scale: a simulator of `store_users` users (100,000 by default) and a
//! fresh service whose first walk dates every user: the SQLite store's size on disk and
//! the service's RSS after it.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use serde_json::{Value, json};

use crate::floor::{Budget, Floor, MinimumCalls, calls_by_category};
use crate::report::{Section, counts, round, seconds};
use crate::stack::{SCIM_TOKEN, Service, ServiceOptions, Sim};

/// Users changed out of band.
const CHANGED: usize = 100;
/// The webhook secret token the service and the simulator share.
const WEBHOOK_SECRET: &str = "bench-webhook-secret";

fn options_with_webhooks(options: &ServiceOptions) -> ServiceOptions {
    ServiceOptions {
        env: [
            options.env.clone(),
            vec![
                (
                    "ZOOM_SCIM_ZOOM__WEBHOOK_SECRET_TOKEN".into(),
                    WEBHOOK_SECRET.into(),
                ),
                // The first walk at start dates every user; none during the measurement.
                ("ZOOM_SCIM_STORE__WATCH_INTERVAL_S".into(), "3600".into()),
            ],
        ]
        .concat(),
        ..options.clone()
    }
}

async fn scim_get(http: &reqwest::Client, url: &str) -> Result<Value> {
    let response = http.get(url).bearer_auth(SCIM_TOKEN).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    if !status.is_success() {
        bail!("GET {url} answered {status}: {body}");
    }
    Ok(body)
}

/// Waits until the service's first change walk has ended (its `/metrics` counter);
/// its duration.
async fn first_walk(http: &reqwest::Client, service: &Service) -> Result<f64> {
    let started = Instant::now();
    let url = service.scim_url.trim_end_matches("/scim/v2").to_owned() + "/metrics";
    while started.elapsed() < Duration::from_secs(600) {
        let text = http.get(&url).send().await?.text().await?;
        if text.lines().any(|l| {
            l.starts_with("change_walks_total{outcome=\"ok\"}")
                && l.split_whitespace().last().is_some_and(|n| n != "0")
        }) {
            return Ok(started.elapsed().as_secs_f64());
        }
        if text.contains("change_walks_total{outcome=\"error\"}") {
            bail!("the first change walk failed; see the service's log");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the first change walk did not end within 10 minutes")
}

fn webhook_url(service: &Service) -> String {
    service.scim_url.trim_end_matches("/scim/v2").to_owned() + "/zoom/webhook"
}

fn stamp(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Runs the delta import against a fresh service on `sim`.
pub async fn run(
    sim: &Sim,
    options: &ServiceOptions,
    log: &Path,
    budget: Budget,
    users: u64,
) -> Result<Section> {
    let mut section = Section::new(format!(
        "8. delta import ({CHANGED} of {users} users changed in Zoom, reported by webhook)"
    ));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let state = sim.state().await?;
    let active: Vec<&Value> = state["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|u| u["status"] == "active")
        .collect();
    if active.len() < CHANGED {
        bail!(
            "needs {CHANGED} active users, the simulator has {}",
            active.len()
        );
    }
    // Spread over the account, not the first page.
    let step = active.len() / CHANGED;
    let picked: Vec<&Value> = (0..CHANGED).map(|i| active[i * step]).collect();
    let changed: Vec<String> = picked
        .iter()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    // What a correct answer needs besides each user: its manager's id (one look-up
    // per distinct manager e-mail) and, for a Zoom Phone user, its phone profile.
    let managers: BTreeSet<String> = picked
        .iter()
        .filter_map(|u| u["manager"].as_str())
        .filter(|m| m.contains('@'))
        .map(str::to_ascii_lowercase)
        .collect();
    let phone_users = picked.iter().filter(|u| u["zoom_phone"] == true).count() as u64;
    drop(picked);
    drop(active);
    drop(state);

    let service = Service::start(sim, &options_with_webhooks(options), log).await?;
    sim.put_config(
        &json!({"webhook_url": webhook_url(&service), "webhook_secret": WEBHOOK_SECRET}),
    )
    .await?;
    sim.clear_webhooks().await?;
    let walk_s = first_walk(&http, &service).await?;

    tokio::time::sleep(Duration::from_millis(20)).await;
    let since = stamp(chrono::Utc::now());
    tokio::time::sleep(Duration::from_millis(20)).await;
    for (i, id) in changed.iter().enumerate() {
        sim.admin_edit(id, &json!({"job_title": format!("Delta {i}")}))
            .await?;
    }
    let delivered = Instant::now();
    loop {
        let log = sim.webhooks().await?;
        let done = log.iter().filter(|d| d["delivered"] == true).count();
        if done >= CHANGED {
            break;
        }
        if delivered.elapsed() > Duration::from_secs(60) {
            bail!("{done} of {CHANGED} webhook events delivered after 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivery_s = delivered.elapsed().as_secs_f64();

    sim.reset_stats().await?;
    let filter = format!("meta.lastModified gt \"{since}\"")
        .replace(' ', "%20")
        .replace('"', "%22");
    let started = Instant::now();
    let mut found = BTreeSet::new();
    let mut start_index = 1;
    loop {
        let body = scim_get(
            &http,
            &format!(
                "{}/Users?filter={filter}&startIndex={start_index}&count=100",
                service.scim_url
            ),
        )
        .await?;
        let page = body["Resources"].as_array().cloned().unwrap_or_default();
        for user in &page {
            found.insert(
                user["id"]
                    .as_str()
                    .ok_or_else(|| anyhow!("a user without id: {user}"))?
                    .to_owned(),
            );
        }
        let total = body["totalResults"].as_u64().unwrap_or(0) as usize;
        start_index += page.len();
        if page.is_empty() || start_index > total {
            break;
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    let stats = sim.stats().await?;
    let usage = service.stop().await?;
    let wanted: BTreeSet<String> = changed.iter().cloned().collect();
    let exact = found == wanted;

    let mut minimum = MinimumCalls::default();
    minimum.add(
        "GET /users/{userId}",
        CHANGED as u64,
        "each changed user read once",
    );
    minimum.add(
        "GET /users/{userId}",
        managers.len() as u64,
        "each distinct manager e-mail resolved to its id (by e-mail)",
    );
    minimum.add(
        "GET /phone/users/{userId}",
        phone_users,
        "each changed Zoom Phone user's profile",
    );
    let floor = Floor::of(minimum, budget);
    let mut full = MinimumCalls::default();
    full.add(
        "GET /users/{userId}",
        users,
        "a full deep re-import reads every user",
    );
    let full_floor = Floor::of(full, budget);
    let ratio = wall_s / floor.seconds.max(f64::EPSILON);

    section.row("first walk (dates every user)", seconds(walk_s));
    section.row(
        "100 portal edits to 100 webhook deliveries",
        seconds(delivery_s),
    );
    section.row("delta import wall", seconds(wall_s));
    section.row(
        "floor (the changed users, their managers, their phone profiles)",
        floor.cell(),
    );
    section.row("wall / floor", format!("{ratio:.3}"));
    section.row(
        "a full re-import's floor (no delta)",
        format!(
            "{} ({:.1}x the delta import's wall)",
            full_floor.cell(),
            full_floor.seconds / wall_s.max(f64::EPSILON)
        ),
    );
    let by_category = calls_by_category(&stats);
    section.row(
        "Zoom calls",
        format!("{} ({})", stats.total, counts(&by_category)),
    );
    section.row("per endpoint", counts(&stats.by_endpoint));
    section.row("429s", stats.throttled().to_string());
    section.row(
        "answer",
        if exact {
            format!("exactly the {CHANGED} changed users")
        } else {
            format!(
                "WRONG: {} missing, {} extra",
                wanted.difference(&found).count(),
                found.difference(&wanted).count()
            )
        },
    );
    section.row(
        "service RSS after",
        format!("{:.1} MiB", usage.rss_kib as f64 / 1024.0),
    );
    section.json = json!({
        "users": users,
        "changed": CHANGED,
        "first_walk_s": round(walk_s, 3),
        "webhook_delivery_s": round(delivery_s, 3),
        "wall_s": round(wall_s, 3),
        "floor": floor.json(),
        "wall_over_floor": round(ratio, 4),
        "full_reimport_floor_s": round(full_floor.seconds, 3),
        "zoom_calls": stats.json(),
        "calls_by_category": by_category,
        "throttled": stats.throttled(),
        "exact": exact,
        "general_calls": stats.calls_under("/users") + stats.calls_under("/groups") + stats.calls_under("/roles"),
        "phone_listing_pages": stats.calls("GET /phone/users"),
    });
    Ok(section)
}

/// The store at `users` users: a fresh simulator and service, the first walk, then the
/// SQLite files' size and the service's RSS.
pub async fn store_at_scale(
    sim_settings: zoom_scim::simulator::SimSettings,
    options: &ServiceOptions,
    log: &Path,
) -> Result<Section> {
    let users = sim_settings.users;
    let mut section = Section::new(format!("8b. the store at {users} users"));
    let sim = Sim::start(sim_settings).await?;
    let http = reqwest::Client::new();
    let service = Service::start(&sim, &options_with_webhooks(options), log).await?;
    let walk_s = first_walk(&http, &service).await?;
    let stats = sim.stats().await?;
    let store = log.with_extension("db");
    let size = |suffix: &str| {
        std::fs::metadata(format!("{}{suffix}", store.display())).map_or(0, |m| m.len())
    };
    let (db, wal) = (size(""), size("-wal"));
    let usage = service.stop().await?;
    section.row(
        "first walk",
        format!("{} ({} Zoom calls)", seconds(walk_s), stats.total),
    );
    section.row(
        "store on disk",
        format!(
            "{:.1} MiB (database {:.1} MiB + WAL {:.1} MiB), {:.0} bytes a user",
            (db + wal) as f64 / 1048576.0,
            db as f64 / 1048576.0,
            wal as f64 / 1048576.0,
            (db + wal) as f64 / users.max(1) as f64
        ),
    );
    section.row(
        "service RSS after the walk",
        format!(
            "{:.1} MiB (peak {:.1} MiB)",
            usage.rss_kib as f64 / 1024.0,
            usage.peak_rss_mib()
        ),
    );
    section.json = json!({
        "users": users,
        "first_walk_s": round(walk_s, 3),
        "zoom_calls": stats.total,
        "store_bytes": db + wal,
        "database_bytes": db,
        "wal_bytes": wal,
        "rss_mib": round(usage.rss_kib as f64 / 1024.0, 2),
        "peak_rss_mib": round(usage.peak_rss_mib(), 2),
    });
    Ok(section)
}
