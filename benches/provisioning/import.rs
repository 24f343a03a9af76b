//! Scenario 1 (full deep import through the service) and the figures scenario 5 reads
//! from it: a SCIM client pages `GET /Users?startIndex=..&count=100` sequentially, as
//! IGA tools do, with all attributes, then with `attributes=userName,active`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::floor::{Budget, Floor, MinimumCalls, calls_by_category, pages};
use crate::report::{Percentiles, Section, round, seconds};
use crate::stack::{CallStats, Census, ProcUsage, SCIM_TOKEN, Service, Sim};

/// SCIM page size IGA tools use.
pub const SCIM_COUNT: usize = 100;
/// Largest page of `GET /groups` (Zoom "Pagination": up to 300).
const GROUP_PAGE: u64 = 300;
/// Largest page of `GET /phone/users` (Zoom Phone API: up to 100).
const PHONE_USER_PAGE: u64 = 100;

/// One sequential walk over `/Users`.
#[derive(Debug, Clone)]
pub struct ImportRun {
    /// `all attributes` or `attributes=...`.
    pub label: String,
    /// Wall time, seconds.
    pub wall_s: f64,
    /// SCIM pages fetched.
    pub pages: usize,
    /// Resources received.
    pub resources: usize,
    /// `totalResults` of the first page.
    pub total_results: u64,
    /// Distinct ids received.
    pub unique_ids: usize,
    /// Users in the simulator.
    pub expected_users: u64,
    /// Time per SCIM page.
    pub page_times: Percentiles,
    /// Zoom calls made during the walk.
    pub stats: CallStats,
    /// The rate-limit floor of the walk.
    pub floor: Floor,
    /// Service readings after the walk.
    pub usage: ProcUsage,
}

impl ImportRun {
    /// `wall / floor`.
    pub fn ratio(&self) -> f64 {
        if self.floor.seconds > 0.0 {
            self.wall_s / self.floor.seconds
        } else {
            f64::NAN
        }
    }

    /// Whether every user came back exactly once.
    pub fn complete(&self) -> bool {
        self.resources as u64 == self.expected_users
            && self.unique_ids as u64 == self.expected_users
            && self.total_results == self.expected_users
    }

    /// Per-user detail calls (`GET /users/{userId}`, by id or e-mail).
    pub fn detail_calls(&self) -> u64 {
        self.stats.calls("GET /users/{userId}")
    }

    /// As JSON.
    pub fn json(&self) -> Value {
        json!({
            "variant": self.label,
            "wall_s": round(self.wall_s, 3),
            "floor": self.floor.json(),
            "wall_over_floor": round(self.ratio(), 4),
            "scim_pages": self.pages,
            "resources": self.resources,
            "total_results": self.total_results,
            "unique_ids": self.unique_ids,
            "expected_users": self.expected_users,
            "complete": self.complete(),
            "page_time": self.page_times.json(),
            "zoom_calls": self.stats.json(),
            "zoom_calls_by_category": calls_by_category(&self.stats),
            "detail_calls": self.detail_calls(),
            "service_peak_rss_mib": round(self.usage.peak_rss_mib(), 2),
            "service_cpu_s": round(self.usage.cpu_s, 3),
        })
    }

    /// Table rows, prefixed with the variant.
    pub fn rows(&self, section: &mut Section) {
        let p = &self.label;
        section.row(format!("{p}: wall"), seconds(self.wall_s));
        section.row(format!("{p}: floor"), self.floor.cell());
        section.row(format!("{p}: wall / floor"), format!("{:.3}", self.ratio()));
        let by_cat: Vec<String> = calls_by_category(&self.stats)
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        section.row(
            format!("{p}: Zoom calls"),
            format!("{} ({})", self.stats.total, by_cat.join(", ")),
        );
        let by_endpoint: Vec<String> = self
            .stats
            .by_endpoint
            .iter()
            .map(|(e, n)| format!("{e} {n}"))
            .collect();
        section.row(format!("{p}: per endpoint"), by_endpoint.join(", "));
        section.row(
            format!("{p}: 429s"),
            format!(
                "{} (QPS {}, daily {})",
                self.stats.throttled(),
                self.stats.throttled_qps,
                self.stats.throttled_daily
            ),
        );
        section.row(
            format!("{p}: users returned"),
            format!(
                "{} resources, {} unique ids, totalResults {}, simulator holds {}{}",
                self.resources,
                self.unique_ids,
                self.total_results,
                self.expected_users,
                if self.complete() {
                    ""
                } else {
                    "  <-- INCOMPLETE"
                }
            ),
        );
        section.row(
            format!("{p}: GET /users/{{userId}} per user"),
            format!(
                "{:.3} (detail, or the id of an invitee)",
                self.detail_calls() as f64 / self.expected_users.max(1) as f64
            ),
        );
        section.row(format!("{p}: SCIM page time"), self.page_times.cell());
    }
}

/// The minimum Zoom calls of a full walk: every status listed at the largest page size,
/// plus what the requested attributes need.
pub fn minimum_calls(census: &Census, deep: bool, stats: &CallStats) -> MinimumCalls {
    let mut m = MinimumCalls::default();
    let page = census.max_page_size;
    let list_pages =
        pages(census.active, page) + pages(census.inactive, page) + pages(census.pending, page);
    m.add(
        "GET /users",
        list_pages,
        format!("active, inactive and pending users listed {page} per page"),
    );
    if deep {
        m.add(
            "GET /users/{userId}",
            census.users(),
            "one detail call per user (for invitees the call by e-mail also yields the id)",
        );
        m.add(
            "GET /groups",
            pages(census.groups, GROUP_PAGE),
            "group names for groups.display",
        );
        m.add("GET /roles", 1, "role names for roles.display");
        // Counted only when this build reads Zoom Phone at all.
        if stats.calls_under("/phone") > 0 {
            m.add(
                "GET /phone/users",
                pages(census.phone_users, PHONE_USER_PAGE),
                "phone profiles listed 100 per page",
            );
            m.add("GET /phone/sites", 1, "site names, once");
        }
    } else {
        m.add(
            "GET /users/{userId}",
            census.pending,
            "the id of each pending invitee (Zoom lists them without one)",
        );
    }
    m
}

/// Walks `/Users` once, sequentially, `count` 100.
pub async fn walk(
    sim: &Sim,
    service: &Service,
    census: &Census,
    budget: Budget,
    attributes: Option<&str>,
) -> Result<ImportRun> {
    // One keep-alive client, as an IGA tool has.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    sim.reset_stats().await?;
    let started = Instant::now();
    let mut start_index = 1usize;
    let mut total_results = None;
    let mut ids = HashSet::new();
    let mut resources = 0usize;
    let mut page_times = Vec::new();
    loop {
        let mut query = vec![
            ("startIndex", start_index.to_string()),
            ("count", SCIM_COUNT.to_string()),
        ];
        if let Some(a) = attributes {
            query.push(("attributes", a.to_owned()));
        }
        let page_started = Instant::now();
        let response = http
            .get(format!("{}/Users", service.scim_url))
            .bearer_auth(SCIM_TOKEN)
            .query(&query)
            .send()
            .await
            .context("GET /Users")?;
        let status = response.status();
        let body: Value = response.json().await.context("GET /Users body")?;
        page_times.push(page_started.elapsed());
        if !status.is_success() {
            bail!("GET /Users?startIndex={start_index} answered {status}: {body}");
        }
        let total = body["totalResults"].as_u64().unwrap_or(0);
        total_results.get_or_insert(total);
        let items = body["Resources"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        for item in &items {
            if let Some(id) = item["id"].as_str() {
                ids.insert(id.to_owned());
            }
        }
        resources += items.len();
        start_index += items.len();
        if start_index as u64 > total {
            break;
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    let stats = sim.stats().await?;
    let usage = service.usage()?;
    let floor = Floor::of(minimum_calls(census, attributes.is_none(), &stats), budget);
    Ok(ImportRun {
        label: attributes.map_or_else(
            || "all attributes".to_owned(),
            |a| format!("attributes={a}"),
        ),
        wall_s,
        pages: page_times.len(),
        resources,
        total_results: total_results.unwrap_or(0),
        unique_ids: ids.len(),
        expected_users: census.users(),
        page_times: Percentiles::of(&page_times),
        stats,
        floor,
        usage,
    })
}
