//! Scenario 2: the same import done the Java connector's way, straight against the
//! simulator (a mode of the benchmark, not of the product). From
//! docs/java-connector.md:
//!
//! - section 5.4: batch import walks `status=active` then `status=inactive` with the
//!   deprecated `page_number` paging and `page_size` = `importBatchSize` (default 50);
//!   pending users are never listed;
//! - section 5.5: deep import re-fetches every listed user with `GET /users/{id}`,
//!   strictly sequentially; for phone users also `GET /phone/users/{id}` and the first
//!   page of `GET /phone/sites` (versions <= 5.0.0, the last that read phone data,
//!   probed every non-pending user; probing only phone users keeps the baseline on the
//!   fast side);
//! - section 4.1: a new HTTP client (so a new connection) per request.
//!
//! The walk may stop after `limit` users; its time is then extrapolated linearly to all
//! the users the connector would visit.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::report::{Section, round, seconds};
use crate::stack::{CallStats, Census, Sim};

/// `results.importBatchSize` default (docs/java-connector.md section 2).
pub const JAVA_PAGE_SIZE: u32 = 50;

/// The baseline's results.
#[derive(Debug, Clone)]
pub struct BaselineRun {
    /// Users fetched in detail.
    pub processed: u64,
    /// Users the connector would visit in a full import (active + inactive).
    pub java_users: u64,
    /// Measured wall time, seconds.
    pub wall_s: f64,
    /// Wall time for all `java_users`, seconds (equal to `wall_s` when not extrapolated).
    pub full_wall_s: f64,
    /// Phone users met.
    pub phone_users: u64,
    /// Whether the simulator serves the phone endpoints (else those calls were skipped).
    pub phone_simulated: bool,
    /// Zoom calls made.
    pub stats: CallStats,
}

impl BaselineRun {
    /// Whether the full time is an extrapolation.
    pub fn extrapolated(&self) -> bool {
        self.processed < self.java_users
    }

    /// "extrapolated from M users" or "measured".
    pub fn basis(&self) -> String {
        if self.extrapolated() {
            format!(
                "extrapolated from {} users to {}",
                self.processed, self.java_users
            )
        } else {
            format!("measured on all {} users", self.java_users)
        }
    }

    /// As JSON, with the speedup of `import_wall_s` (scenario 1) over it.
    pub fn json(&self, import_wall_s: Option<f64>) -> Value {
        json!({
            "basis": self.basis(),
            "extrapolated": self.extrapolated(),
            "users_processed": self.processed,
            "users_in_full_import": self.java_users,
            "measured_wall_s": round(self.wall_s, 3),
            "full_import_wall_s": round(self.full_wall_s, 3),
            "phone_users_processed": self.phone_users,
            "phone_endpoints_simulated": self.phone_simulated,
            "zoom_calls": self.stats.json(),
            "speedup_vs_scenario_1": import_wall_s.map(|w| round(self.full_wall_s / w, 2)),
        })
    }

    /// Table rows.
    pub fn rows(&self, section: &mut Section, import_wall_s: Option<f64>) {
        section.row(
            "page size, paging",
            format!("{JAVA_PAGE_SIZE}, page_number (deprecated)"),
        );
        section.row(
            "measured",
            format!("{} for {} users", seconds(self.wall_s), self.processed),
        );
        section.row(
            "full import",
            format!("{} ({})", seconds(self.full_wall_s), self.basis()),
        );
        let by_endpoint: Vec<String> = self
            .stats
            .by_endpoint
            .iter()
            .map(|(e, n)| format!("{e} {n}"))
            .collect();
        section.row(
            "Zoom calls (measured part)",
            format!("{} ({})", self.stats.total, by_endpoint.join(", ")),
        );
        section.row(
            "phone users met",
            format!(
                "{}{}",
                self.phone_users,
                if self.phone_simulated {
                    ""
                } else {
                    " (phone endpoints not in this simulator build: those calls skipped, so the baseline is faster than the connector)"
                }
            ),
        );
        if let Some(w) = import_wall_s {
            section.row(
                "speedup of zoom-scim (scenario 1, all attributes)",
                format!("{:.1}x", self.full_wall_s / w),
            );
        }
    }
}

/// One request on a connection of its own; returns status and JSON body.
async fn call(http: &reqwest::Client, url: &str, token: &str) -> Result<(u16, Value)> {
    let response = http
        .get(url)
        .bearer_auth(token)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

/// Zoom's answer for a path it does not know (the simulator before Zoom Phone landed).
fn endpoint_unknown(status: u16, body: &Value) -> bool {
    status == 404 && body["code"].as_i64() == Some(2300)
}

/// Runs the connector's import against `sim`, stopping after `limit` users.
pub async fn run(sim: &Sim, census: &Census, limit: u64) -> Result<BaselineRun> {
    let state = sim.state().await?;
    let phone_ids: HashSet<String> = state["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|u| u["zoom_phone"].as_bool() == Some(true))
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    drop(state);
    // No idle connections are kept: every request opens its own, as a new Apache
    // HttpClient per request does.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(60))
        .build()?;
    let base = sim.api_base();
    let java_users = census.active + census.inactive;
    let limit = limit.min(java_users);
    sim.reset_stats().await?;
    let started = Instant::now();
    let token = sim.access_token(&http).await?;
    let mut processed = 0u64;
    let mut phone_users = 0u64;
    let mut phone_simulated = true;
    'statuses: for status in ["active", "inactive"] {
        let mut page_number = 1u64;
        loop {
            let url = format!(
                "{base}/users?status={status}&page_size={JAVA_PAGE_SIZE}&page_number={page_number}"
            );
            let (code, page) = call(&http, &url, &token).await?;
            if code != 200 {
                bail!("GET /users page {page_number} answered {code}: {page}");
            }
            for user in page["users"].as_array().into_iter().flatten() {
                if processed >= limit {
                    break 'statuses;
                }
                let Some(id) = user["id"].as_str() else {
                    continue;
                };
                let (code, body) = call(&http, &format!("{base}/users/{id}"), &token).await?;
                // 404 code 1001 is swallowed (the user vanished); anything else throws.
                if code != 200 && !(code == 404 && body["code"].as_i64() == Some(1001)) {
                    bail!("GET /users/{id} answered {code}: {body}");
                }
                processed += 1;
                if phone_simulated && phone_ids.contains(id) {
                    phone_users += 1;
                    let (code, body) =
                        call(&http, &format!("{base}/phone/users/{id}"), &token).await?;
                    if endpoint_unknown(code, &body) {
                        phone_simulated = false;
                        continue;
                    }
                    // First page only, Zoom's default page size (docs/java-connector.md 5.3).
                    let (code, body) = call(&http, &format!("{base}/phone/sites"), &token).await?;
                    if endpoint_unknown(code, &body) {
                        phone_simulated = false;
                    }
                } else if phone_ids.contains(id) {
                    phone_users += 1;
                }
            }
            let page_count = page["page_count"].as_u64().unwrap_or(0);
            if page_number >= page_count {
                break;
            }
            page_number += 1;
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    let stats = sim.stats().await?;
    let full_wall_s = if processed == 0 {
        0.0
    } else {
        wall_s * java_users as f64 / processed as f64
    };
    Ok(BaselineRun {
        processed,
        java_users,
        wall_s,
        full_wall_s,
        phone_users,
        phone_simulated,
        stats,
    })
}
