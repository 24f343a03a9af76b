//! Scenario 4: the service's own cost. With zero simulator latency and no rate limits,
//! `GET /Users/{id}` through the service against the same `GET /users/{id}` made straight
//! to the simulator, at concurrency 32 (and 1, unloaded): the latency the service adds,
//! and requests per second per core of the service alone (its CPU time from `/proc`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::report::{Percentiles, Section, round};
use crate::stack::{SCIM_TOKEN, Service, Sim};

/// Concurrency of the measured phase.
pub const CONCURRENCY: usize = 32;

#[derive(Clone)]
struct Target {
    /// URL prefix; the user id is appended.
    prefix: String,
    token: String,
}

struct Load {
    latencies: Vec<Duration>,
    wall_s: f64,
    errors: usize,
    first_error: Option<String>,
}

/// Sends `requests` GETs for `ids` (round robin) with `concurrency` in flight.
async fn load(
    http: &reqwest::Client,
    target: &Target,
    ids: &Arc<Vec<String>>,
    concurrency: usize,
    requests: usize,
) -> Result<Load> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
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
                let id = &ids[i % ids.len()];
                let sent = Instant::now();
                let result = http
                    .get(format!("{}{id}", target.prefix))
                    .bearer_auth(&target.token)
                    .send()
                    .await;
                let ok = match result {
                    Ok(r) => {
                        let status = r.status();
                        // Read the whole body: it is part of the request's cost.
                        let body = r.bytes().await;
                        match (status.is_success(), body) {
                            (true, Ok(_)) => Ok(()),
                            (_, Ok(b)) => Err(format!(
                                "{status}: {}",
                                String::from_utf8_lossy(&b)
                                    .chars()
                                    .take(200)
                                    .collect::<String>()
                            )),
                            (_, Err(e)) => Err(e.to_string()),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
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

/// One concurrency level: service and direct, with the service's CPU time.
struct Level {
    concurrency: usize,
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
            "concurrency": self.concurrency,
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

async fn level(
    sim: &Sim,
    service: &Service,
    http: &reqwest::Client,
    targets: (&Target, &Target),
    ids: &Arc<Vec<String>>,
    concurrency: usize,
    requests: usize,
) -> Result<Level> {
    let (through_service, direct) = targets;
    sim.reset_stats().await?;
    let cpu_before = service.usage()?.cpu_s;
    let s = load(http, through_service, ids, concurrency, requests).await?;
    let cpu_after = service.usage()?.cpu_s;
    let zoom_calls = sim.stats().await?.total;
    let d = load(http, direct, ids, concurrency, requests).await?;
    for (what, l) in [("service", &s), ("direct", &d)] {
        if l.errors > 0 {
            bail!(
                "{} of {requests} {what} requests failed, e.g. {}",
                l.errors,
                l.first_error.clone().unwrap_or_default()
            );
        }
    }
    Ok(Level {
        concurrency,
        service: Percentiles::of(&s.latencies),
        direct: Percentiles::of(&d.latencies),
        service_rps: requests as f64 / s.wall_s,
        direct_rps: requests as f64 / d.wall_s,
        service_cpu_s: cpu_after - cpu_before,
        requests,
        zoom_calls_per_request: zoom_calls as f64 / requests as f64,
    })
}

/// Runs scenario 4. The simulator must already run with zero latency and no rate limits,
/// the service with `zoom.rate_scale = 0`.
pub async fn run(sim: &Sim, service: &Service, requests: usize) -> Result<Section> {
    let mut section = Section::new("4. per-request overhead (zero latency, no rate limit)");
    let state = sim.state().await?;
    let ids: Vec<String> = state["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|u| u["status"] == "active")
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .take(1000)
        .collect();
    drop(state);
    if ids.is_empty() {
        bail!("no active users to read");
    }
    let ids = Arc::new(ids);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(60))
        .build()?;
    let through_service = Target {
        prefix: format!("{}/Users/", service.scim_url),
        token: SCIM_TOKEN.to_owned(),
    };
    let direct = Target {
        prefix: format!("{}/users/", sim.api_base()),
        token: sim.access_token(&http).await?,
    };
    // Warm-up: connections, the service's token, group/role names and manager ids.
    for target in [&through_service, &direct] {
        let warm = load(&http, target, &ids, CONCURRENCY, ids.len()).await?;
        if warm.errors > 0 {
            bail!("warm-up failed: {}", warm.first_error.unwrap_or_default());
        }
    }
    let loaded = level(
        sim,
        service,
        &http,
        (&through_service, &direct),
        &ids,
        CONCURRENCY,
        requests,
    )
    .await?;
    let unloaded = level(
        sim,
        service,
        &http,
        (&through_service, &direct),
        &ids,
        1,
        (requests / 10).max(100),
    )
    .await?;
    for l in [&loaded, &unloaded] {
        let c = l.concurrency;
        section.row(format!("c={c}: through the service"), l.service.cell());
        section.row(format!("c={c}: straight to the simulator"), l.direct.cell());
        section.row(
            format!("c={c}: added latency"),
            format!("p50 {:.3} ms, p99 {:.3} ms", l.added_p50(), l.added_p99()),
        );
        section.row(
            format!("c={c}: throughput"),
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
            format!("c={c}: Zoom calls per SCIM request"),
            format!("{:.3}", l.zoom_calls_per_request),
        );
    }
    section.json = json!({
        "loaded": loaded.json(),
        "unloaded": unloaded.json(),
        "added_p50_ms": round(loaded.added_p50(), 3),
        "added_p99_ms": round(loaded.added_p99(), 3),
        "service_requests_per_cpu_s": round(loaded.per_core(), 1),
    });
    Ok(section)
}
