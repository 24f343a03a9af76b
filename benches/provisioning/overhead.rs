//! Scenario 4: the service's own cost. With zero simulator latency and no rate limits,
//! `GET /Users/{id}` through the service against the same Zoom calls made straight to
//! the simulator, as the service makes them (`GET /users/{id}`, and at the same time
//! `GET /phone/users/{id}` for the users on the service's phone roster, i.e. the users
//! with Zoom Phone): the latency the service adds, and requests per second per core of the
//! service alone (its CPU time from `/proc`).
//!
//! Three loads: closed loop at concurrency 32 (the definition: each client sends
//! its next request when the previous answer arrives, so the slowest stage saturates and
//! latency is mostly queueing there), open loop at a fixed rate with up to 32 in flight
//! (a busy but unsaturated service), and concurrency 1 (no queueing at all). Service and
//! direct requests alternate in rounds, so background load on the machine hits both alike.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::report::{Percentiles, Section, round};
use crate::stack::{SCIM_TOKEN, Service, Sim};

/// Concurrency of the measured phase.
pub const CONCURRENCY: usize = 32;
/// Request rate of the open-loop phase, per second: twelve times Zoom's fastest
/// per-account rate (Business Light, 80/s), so a busy but unsaturated service.
pub const OPEN_LOOP_RATE: f64 = 1_000.0;
/// Rounds of alternating service and direct phases.
const ROUNDS: usize = 5;

#[derive(Clone)]
struct Target {
    /// URL prefixes, called at once per request (as the service calls Zoom for a phone
    /// user on its roster); the user id is appended. A later call may answer 404 (a user
    /// without Zoom Phone).
    prefixes: Vec<String>,
    /// When set, the calls after the first are made only for these ids (the service
    /// reads a phone profile only for users on its phone roster).
    later_only_for: Option<Arc<std::collections::HashSet<String>>>,
    token: String,
}

struct Load {
    latencies: Vec<Duration>,
    wall_s: f64,
    errors: usize,
    first_error: Option<String>,
}

/// One GET, its whole body read (it is part of the request's cost); a later call of a
/// request (`may_be_absent`) may answer 404.
async fn get(
    http: &reqwest::Client,
    url: String,
    token: &str,
    may_be_absent: bool,
) -> Result<(), String> {
    let response = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let expected =
        status.is_success() || (may_be_absent && status == reqwest::StatusCode::NOT_FOUND);
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if expected {
        return Ok(());
    }
    Err(format!(
        "{status}: {}",
        String::from_utf8_lossy(&body)
            .chars()
            .take(200)
            .collect::<String>()
    ))
}

/// Sends `requests` GETs for `ids` (round robin) with `concurrency` in flight; with a
/// `rate`, request `i` is not sent before `i / rate` seconds (open loop).
async fn load(
    http: &reqwest::Client,
    target: &Target,
    ids: &Arc<Vec<String>>,
    concurrency: usize,
    requests: usize,
    rate: Option<f64>,
) -> Result<Load> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let start = tokio::time::Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, target, ids, next) = (http.clone(), target.clone(), ids.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut first_error = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                if let Some(rate) = rate {
                    tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate))
                        .await;
                }
                let id = &ids[i % ids.len()];
                let sent = Instant::now();
                let calls = target
                    .prefixes
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| {
                        *k == 0
                            || target
                                .later_only_for
                                .as_ref()
                                .is_none_or(|only| only.contains(id))
                    })
                    .map(|(k, prefix)| get(&http, format!("{prefix}{id}"), &target.token, k > 0));
                let ok = futures::future::join_all(calls)
                    .await
                    .into_iter()
                    .collect::<Result<Vec<()>, String>>();
                latencies.push(sent.elapsed());
                if let Err(e) = ok {
                    errors += 1;
                    first_error.get_or_insert(e);
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let mut out = Load {
        latencies: Vec::with_capacity(requests),
        wall_s: 0.0,
        errors: 0,
        first_error: None,
    };
    for worker in workers {
        let (latencies, errors, first_error) = worker.await?;
        out.latencies.extend(latencies);
        out.errors += errors;
        if out.first_error.is_none() {
            out.first_error = first_error;
        }
    }
    out.wall_s = started.elapsed().as_secs_f64();
    Ok(out)
}

/// One load level: service and direct, with the service's CPU time.
struct Level {
    label: &'static str,
    concurrency: usize,
    rate: Option<f64>,
    service: Percentiles,
    direct: Percentiles,
    service_rps: f64,
    direct_rps: f64,
    service_cpu_s: f64,
    requests: usize,
    zoom_calls_per_request: f64,
}

impl Level {
    fn added_p50(&self) -> f64 {
        self.service.p50_ms - self.direct.p50_ms
    }

    fn added_p99(&self) -> f64 {
        self.service.p99_ms - self.direct.p99_ms
    }

    fn per_core(&self) -> f64 {
        if self.service_cpu_s > 0.0 {
            self.requests as f64 / self.service_cpu_s
        } else {
            f64::NAN
        }
    }

    fn json(&self) -> Value {
        json!({
            "load": self.label,
            "concurrency": self.concurrency,
            "offered_rate_per_s": self.rate,
            "requests": self.requests,
            "service": self.service.json(),
            "direct": self.direct.json(),
            "added_p50_ms": round(self.added_p50(), 3),
            "added_p99_ms": round(self.added_p99(), 3),
            "service_requests_per_s": round(self.service_rps, 1),
            "direct_requests_per_s": round(self.direct_rps, 1),
            "service_cpu_s": round(self.service_cpu_s, 3),
            "service_requests_per_cpu_s": round(self.per_core(), 1),
            "zoom_calls_per_scim_request": round(self.zoom_calls_per_request, 3),
        })
    }
}

/// How a level loads the service.
struct Shape {
    label: &'static str,
    concurrency: usize,
    rate: Option<f64>,
    requests: usize,
}

async fn level(
    sim: &Sim,
    service: &Service,
    http: &reqwest::Client,
    targets: (&Target, &Target),
    ids: &Arc<Vec<String>>,
    shape: Shape,
) -> Result<Level> {
    let (through_service, direct) = targets;
    let per_round = (shape.requests / ROUNDS).max(1);
    let (mut s_lat, mut d_lat) = (Vec::new(), Vec::new());
    let (mut s_wall, mut d_wall, mut cpu, mut zoom_calls) = (0.0, 0.0, 0.0, 0u64);
    for _ in 0..ROUNDS {
        sim.reset_stats().await?;
        let cpu_before = service.usage()?.cpu_s;
        let s = load(
            http,
            through_service,
            ids,
            shape.concurrency,
            per_round,
            shape.rate,
        )
        .await?;
        cpu += service.usage()?.cpu_s - cpu_before;
        zoom_calls += sim.stats().await?.total;
        let d = load(http, direct, ids, shape.concurrency, per_round, shape.rate).await?;
        for (what, l) in [("service", &s), ("direct", &d)] {
            if l.errors > 0 {
                bail!(
                    "{} of {per_round} {what} requests failed, e.g. {}",
                    l.errors,
                    l.first_error.clone().unwrap_or_default()
                );
            }
        }
        s_wall += s.wall_s;
        d_wall += d.wall_s;
        s_lat.extend(s.latencies);
        d_lat.extend(d.latencies);
    }
    let requests = per_round * ROUNDS;
    Ok(Level {
        label: shape.label,
        concurrency: shape.concurrency,
        rate: shape.rate,
        service: Percentiles::of(&s_lat),
        direct: Percentiles::of(&d_lat),
        service_rps: requests as f64 / s_wall,
        direct_rps: requests as f64 / d_wall,
        service_cpu_s: cpu,
        requests,
        zoom_calls_per_request: zoom_calls as f64 / requests as f64,
    })
}

/// Runs scenario 4. The simulator must already run with zero latency and no rate limits,
/// the service with `zoom.rate_scale = 0`.
/// The last phase: phone users read one at a time with Zoom's latency (`latency_ms`,
/// no jitter), where the service's two Zoom calls per read (record and phone profile)
/// either overlap (one round trip) or do not (two).
pub async fn run(
    sim: &Sim,
    service: &Service,
    requests: usize,
    latency_ms: u64,
) -> Result<Section> {
    let mut section = Section::new("4. per-request overhead (zero latency, no rate limit)");
    let state = sim.state().await?;
    let active: Vec<&Value> = state["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|u| u["status"] == "active")
        .take(1000)
        .collect();
    let ids: Vec<String> = active
        .iter()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    let phone_ids: std::collections::HashSet<String> = active
        .iter()
        .filter(|u| !u["phone"].is_null())
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    drop(active);
    drop(state);
    if ids.is_empty() {
        bail!("no active users to read");
    }
    let phone_only = Arc::new(phone_ids.iter().cloned().collect::<Vec<_>>());
    let ids = Arc::new(ids);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(60))
        .build()?;
    let through_service = Target {
        prefixes: vec![format!("{}/Users/", service.scim_url)],
        later_only_for: None,
        token: SCIM_TOKEN.to_owned(),
    };
    let direct = Target {
        prefixes: vec![
            format!("{}/users/", sim.api_base()),
            format!("{}/phone/users/", sim.api_base()),
        ],
        later_only_for: Some(Arc::new(phone_ids)),
        token: sim.access_token(&http).await?,
    };
    // Warm-up: connections, the service's token, group/role names and manager ids.
    for target in [&through_service, &direct] {
        let warm = load(&http, target, &ids, CONCURRENCY, ids.len(), None).await?;
        if warm.errors > 0 {
            bail!("warm-up failed: {}", warm.first_error.unwrap_or_default());
        }
    }
    let targets = (&through_service, &direct);
    let closed = level(
        sim,
        service,
        &http,
        targets,
        &ids,
        Shape {
            label: "closed loop, concurrency 32",
            concurrency: CONCURRENCY,
            rate: None,
            requests,
        },
    )
    .await?;
    let open = level(
        sim,
        service,
        &http,
        targets,
        &ids,
        Shape {
            label: "open loop, 1000 req/s, up to 32 in flight",
            concurrency: CONCURRENCY,
            rate: Some(OPEN_LOOP_RATE),
            requests: (requests / 2).max(ROUNDS),
        },
    )
    .await?;
    let single = level(
        sim,
        service,
        &http,
        targets,
        &ids,
        Shape {
            label: "closed loop, concurrency 1",
            concurrency: 1,
            rate: None,
            requests: (requests / 10).max(ROUNDS),
        },
    )
    .await?;
    // An account without Zoom Phone (`--phone-share 0`) has no phone users to read.
    let at_latency = if phone_only.is_empty() {
        None
    } else {
        sim.put_config(&json!({"latency_ms": latency_ms, "jitter_ms": 0}))
            .await?;
        let level = level(
            sim,
            service,
            &http,
            targets,
            &phone_only,
            Shape {
                label: "phone users, Zoom latency, concurrency 1",
                concurrency: 1,
                rate: None,
                requests: 100,
            },
        )
        .await;
        sim.put_config(&json!({"latency_ms": 0, "jitter_ms": 0}))
            .await?;
        Some(level?)
    };
    for l in [&closed, &open, &single]
        .into_iter()
        .chain(at_latency.as_ref())
    {
        let c = l.label;
        section.row(format!("{c}: through the service"), l.service.cell());
        section.row(format!("{c}: straight to the simulator"), l.direct.cell());
        section.row(
            format!("{c}: added latency"),
            format!("p50 {:.3} ms, p99 {:.3} ms", l.added_p50(), l.added_p99()),
        );
        section.row(
            format!("{c}: throughput"),
            format!(
                "service {:.0} req/s, direct {:.0} req/s; service CPU {:.2} s for {} requests = {:.0} req/s per core",
                l.service_rps,
                l.direct_rps,
                l.service_cpu_s,
                l.requests,
                l.per_core()
            ),
        );
        section.row(
            format!("{c}: Zoom calls per SCIM request"),
            format!("{:.3}", l.zoom_calls_per_request),
        );
    }
    let round_trips = |p50_ms: f64| p50_ms / latency_ms.max(1) as f64;
    if let Some(l) = &at_latency {
        section.row(
            format!(
                "{}: Zoom round trips per read (p50 / {latency_ms} ms)",
                l.label
            ),
            format!(
                "service {:.2}, direct {:.2}",
                round_trips(l.service.p50_ms),
                round_trips(l.direct.p50_ms)
            ),
        );
    }
    section.json = json!({
        "closed_loop_c32": closed.json(),
        "open_loop": open.json(),
        "closed_loop_c1": single.json(),
        "phone_users_at_latency_c1": at_latency.as_ref().map(Level::json),
        "zoom_latency_ms": latency_ms,
        "phone_user_read_p50_round_trips": at_latency.as_ref().map(|l| round(round_trips(l.service.p50_ms), 2)),
        "added_p50_ms": round(closed.added_p50(), 3),
        "added_p99_ms": round(closed.added_p99(), 3),
        "service_requests_per_cpu_s": round(closed.per_core(), 1),
        "load_average_at_end": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
    });
    Ok(section)
}
