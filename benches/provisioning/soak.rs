//! Soak (`--soak --minutes M`): scenario 3's provisioning burst under faults, again and
//! again against one service process for M minutes, with the service's resident memory
//! (`VmRSS` of `/proc/<pid>/status`) and open file descriptors (`/proc/<pid>/fd`)
//! sampled every few seconds. Between bursts the simulator is re-seeded, so Zoom's data
//! stays the same size and whatever the service keeps growing is the service's own.
//!
//! Verdict: every burst's final state exact, and after the warm-up bursts the figures
//! taken once each burst has settled are flat: RSS within [`RSS_SLACK`] of the first
//! settled figure (at least [`RSS_SLACK_MIB`]), descriptors within [`FD_SLACK`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

use crate::burst::{self, Faults};
use crate::floor::Budget;
use crate::report::{Outcome, Section, round};
use crate::stack::{Service, Sim};

/// Growth of settled RSS allowed after the warm-up, as a fraction of the first figure.
const RSS_SLACK: f64 = 0.10;
/// ... and at least this much, MiB (allocator arenas move by a few MiB).
const RSS_SLACK_MIB: f64 = 4.0;
/// Growth of settled open descriptors allowed after the warm-up (idle pooled
/// connections to Zoom come and go).
const FD_SLACK: usize = 16;
/// Wait after a burst before its settled figure is taken.
const SETTLE: Duration = Duration::from_secs(3);

/// What to run.
pub struct Soak {
    /// How long to keep starting bursts.
    pub duration: Duration,
    /// Sampling period.
    pub every: Duration,
    /// Bursts whose figures do not count (caches and pools fill up).
    pub warmup_bursts: usize,
    /// Faults the simulator injects during each burst.
    pub faults: Faults,
}

/// One reading of the service process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at_s: f64,
    rss_kib: u64,
    fds: usize,
}

impl Sample {
    fn take(pid: u32, started: Instant) -> Result<Self> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let rss_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| anyhow!("no VmRSS in /proc/{pid}/status"))?;
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))?.count();
        Ok(Self {
            at_s: started.elapsed().as_secs_f64(),
            rss_kib,
            fds,
        })
    }

    fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }

    fn json(&self) -> Value {
        json!({"t_s": round(self.at_s, 1), "rss_mib": round(self.rss_mib(), 2), "fds": self.fds})
    }
}

/// Least-squares slope of `ys` over `xs`, per unit of `xs`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx) * (x - mx))
    });
    if den == 0.0 { 0.0 } else { num / den }
}

/// Runs the soak against `service` (started by the caller with the burst's settings).
pub async fn run(sim: &Sim, service: &Service, budget: Budget, soak: &Soak) -> Result<Section> {
    let minutes = soak.duration.as_secs_f64() / 60.0;
    let mut section = Section::new(format!(
        "soak: the provisioning burst under faults for {minutes} min"
    ));
    let pid = service.pid();
    let started = Instant::now();
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let sampler = {
        let samples = samples.clone();
        let every = soak.every;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match Sample::take(pid, started) {
                    Ok(s) => {
                        println!(
                            "  t={:>6.0} s  RSS {:>6.1} MiB  fds {:>4}",
                            s.at_s,
                            s.rss_mib(),
                            s.fds
                        );
                        if let Ok(mut all) = samples.lock() {
                            all.push(s);
                        }
                    }
                    Err(e) => {
                        println!("  sampling stopped: {e:#}");
                        break;
                    }
                }
            }
        })
    };

    let mut bursts: Vec<Value> = Vec::new();
    let mut settled: Vec<Sample> = Vec::new();
    let mut inexact = 0;
    let mut failed_ops = 0u64;
    while started.elapsed() < soak.duration {
        let k = bursts.len() + 1;
        let result = burst::run(sim, service, budget, soak.faults).await;
        sim.reset().await?;
        let burst = match result {
            Ok(s) => s,
            Err(e) => {
                sampler.abort();
                return Err(e.context(format!("burst {k}")));
            }
        };
        let exact = burst.json["final_state_exact"].as_bool() == Some(true);
        let failed: u64 = burst.json["operations"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, o)| o["failed"].as_u64().unwrap_or(0))
            .sum();
        inexact += usize::from(!exact);
        failed_ops += failed;
        tokio::time::sleep(SETTLE).await;
        let after = Sample::take(pid, started)?;
        settled.push(after);
        println!(
            "burst {k}: {:.1} s, {} faults injected, {failed} operations failed, final state {}; settled RSS {:.1} MiB, {} fds",
            burst.json["wall_s"].as_f64().unwrap_or(f64::NAN),
            burst.json["injected_faults"],
            if exact {
                "exact".to_owned()
            } else {
                format!(
                    "{} differences, e.g. {}",
                    burst.json["final_state_difference_count"],
                    burst.json["final_state_differences"][0]
                )
            },
            after.rss_mib(),
            after.fds
        );
        bursts.push(json!({
            "burst": k,
            "wall_s": burst.json["wall_s"],
            "injected_faults": burst.json["injected_faults"],
            "failed_operations": failed,
            "final_state_exact": exact,
            "final_state_differences": burst.json["final_state_differences"],
            "settled": after.json(),
        }));
    }
    sampler.abort();
    let samples = samples.lock().map(|s| s.clone()).unwrap_or_default();

    let counted = settled.get(soak.warmup_bursts..).unwrap_or_default();
    section.row(
        "bursts",
        format!(
            "{} in {:.1} min ({} for warm-up), {inexact} with a final state not exact, {failed_ops} operations failed",
            bursts.len(),
            started.elapsed().as_secs_f64() / 60.0,
            soak.warmup_bursts.min(bursts.len())
        ),
    );
    let rss_max = samples.iter().map(Sample::rss_mib).fold(0.0, f64::max);
    let fd_max = samples.iter().map(|s| s.fds).max().unwrap_or(0);
    section.row(
        "samples",
        format!(
            "{} every {} s; max RSS {rss_max:.1} MiB, max fds {fd_max}",
            samples.len(),
            soak.every.as_secs()
        ),
    );
    let mut flat = None;
    if let (Some(first), Some(last)) = (counted.first(), counted.last()) {
        let rss_limit = first.rss_mib() + (first.rss_mib() * RSS_SLACK).max(RSS_SLACK_MIB);
        let fd_limit = first.fds + FD_SLACK;
        let rss_peak = counted.iter().map(Sample::rss_mib).fold(0.0, f64::max);
        let fd_peak = counted.iter().map(|s| s.fds).max().unwrap_or(0);
        let per_hour = slope(
            &counted
                .iter()
                .map(|s| (s.at_s / 3600.0, s.rss_mib()))
                .collect::<Vec<_>>(),
        );
        section.row(
            "settled RSS after warm-up",
            format!(
                "first {:.1} MiB, last {:.1} MiB, max {rss_peak:.1} MiB (limit {rss_limit:.1}); trend {per_hour:+.1} MiB/h",
                first.rss_mib(),
                last.rss_mib()
            ),
        );
        section.row(
            "settled fds after warm-up",
            format!(
                "first {}, last {}, max {fd_peak} (limit {fd_limit})",
                first.fds, last.fds
            ),
        );
        flat = Some(rss_peak <= rss_limit && fd_peak <= fd_limit);
    } else {
        section.row(
            "flatness",
            "not judged: no burst after the warm-up (run longer)",
        );
    }
    let verdict = match flat {
        Some(true) if inexact == 0 => "flat after warm-up, every final state exact",
        Some(false) => "GREW after warm-up",
        _ if inexact > 0 => "a final state was not exact",
        _ => "not judged",
    };
    section.row("verdict", verdict);
    if inexact > 0 || flat == Some(false) {
        section.outcome = Outcome::Failed(verdict.to_owned());
    }
    section.json = json!({
        "minutes": round(minutes, 2),
        "sample_every_s": soak.every.as_secs(),
        "warmup_bursts": soak.warmup_bursts,
        "injected_fault_rates": {
            "fail_rate": soak.faults.fail_rate,
            "drop_rate": soak.faults.drop_rate,
            "lost_answer_rate": soak.faults.lost_answer_rate,
            "throttle_rate": soak.faults.throttle_rate,
        },
        "bursts": bursts,
        "flat_after_warmup": flat,
        "every_final_state_exact": inexact == 0,
        "samples": samples.iter().map(Sample::json).collect::<Vec<_>>(),
    });
    Ok(section)
}
