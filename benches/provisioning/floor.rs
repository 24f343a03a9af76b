//! The rate-limit floor: the least time Zoom's budget allows for the calls a piece of work
//! needs. For each (API family, category): minimum calls / (Zoom's rate for the plan x
//! `budget_share` x `rate_scale`); the floor is the largest of those (the categories are
//! paced independently, so they overlap).
//!
//! Rates: Zoom "Rate limits" (docs/zoom-contract.md section 7.1) through
//! [`zoom_scim::zoom::limits::rate_limit`]; endpoint categories: section 7.2 through the
//! simulator's [`zoom_scim::simulator::endpoint_category`].

use std::collections::BTreeMap;

use axum::http::Method;
use serde_json::{Value, json};
use zoom_scim::simulator::{self, Family};
use zoom_scim::zoom::Plan;
use zoom_scim::zoom::limits::rate_limit;
use zoom_scim::zoom::{ApiFamily, Category};

use crate::report::seconds;
use crate::stack::CallStats;

/// The budget the service paces at.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// The account's plan.
    pub plan: Plan,
    /// `zoom.budget_share`.
    pub share: f64,
    /// `zoom.rate_scale` (and the simulator's `rate_scale`).
    pub scale: f64,
}

impl Budget {
    /// Requests per second allowed in `(family, category)`.
    pub fn rate(&self, family: ApiFamily, category: Category) -> f64 {
        rate_limit(self.plan, family, category).per_second_rate() * self.share * self.scale
    }
}

/// A (family, category) label such as `general Light`, ordered for reports.
pub fn label(family: ApiFamily, category: Category) -> String {
    format!("{} {}", family.as_str(), category.as_str())
}

fn parse_label(label: &str) -> Option<(ApiFamily, Category)> {
    let (family, category) = label.split_once(' ')?;
    let family = match family {
        "general" => ApiFamily::General,
        "phone" => ApiFamily::Phone,
        _ => return None,
    };
    Some((family, Category::from_label(category)?))
}

/// The family and category of an endpoint key `"METHOD /template"`.
pub fn category_of(endpoint: &str) -> Option<(ApiFamily, Category)> {
    let (method, template) = endpoint.split_once(' ')?;
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    let (family, category) = simulator::endpoint_category(&method, template);
    let family = match family {
        Family::General => ApiFamily::General,
        Family::Phone => ApiFamily::Phone,
    };
    Some((family, Category::from_label(category.as_str())?))
}

/// Calls per (family, category) label.
pub fn calls_by_category(stats: &CallStats) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (endpoint, n) in &stats.by_endpoint {
        if let Some((family, category)) = category_of(endpoint) {
            *out.entry(label(family, category)).or_default() += n;
        }
    }
    out
}

/// Minimum calls of a piece of work, per endpoint key, with the reason for each.
#[derive(Debug, Clone, Default)]
pub struct MinimumCalls {
    /// `"METHOD /template"` -> (calls, why).
    pub by_endpoint: BTreeMap<String, (u64, String)>,
}

impl MinimumCalls {
    /// Adds `calls` of `endpoint`.
    /// Adds `calls` to `endpoint` (several reasons for one endpoint add up).
    pub fn add(&mut self, endpoint: &str, calls: u64, why: impl Into<String>) {
        if calls > 0 {
            let entry = self
                .by_endpoint
                .entry(endpoint.to_owned())
                .or_insert((0, String::new()));
            entry.0 += calls;
            if !entry.1.is_empty() {
                entry.1.push_str("; ");
            }
            entry.1.push_str(&why.into());
        }
    }
}

/// One category's share of the floor.
#[derive(Debug, Clone)]
pub struct CategoryFloor {
    /// `general Light`...
    pub label: String,
    /// Minimum calls in the category.
    pub min_calls: u64,
    /// Allowed requests per second.
    pub rate: f64,
    /// `min_calls / rate`.
    pub seconds: f64,
}

/// The floor of a piece of work.
#[derive(Debug, Clone)]
pub struct Floor {
    /// Per category, largest first.
    pub categories: Vec<CategoryFloor>,
    /// The largest category floor, seconds.
    pub seconds: f64,
    /// The minimum calls it is computed from.
    pub minimum: MinimumCalls,
}

impl Floor {
    /// Computes the floor of `minimum` under `budget`.
    pub fn of(minimum: MinimumCalls, budget: Budget) -> Self {
        let mut per_label: BTreeMap<String, u64> = BTreeMap::new();
        for (endpoint, (calls, _)) in &minimum.by_endpoint {
            if let Some((family, category)) = category_of(endpoint) {
                *per_label.entry(label(family, category)).or_default() += calls;
            }
        }
        let mut categories: Vec<CategoryFloor> = per_label
            .into_iter()
            .filter_map(|(label, min_calls)| {
                let (family, category) = parse_label(&label)?;
                let rate = budget.rate(family, category);
                Some(CategoryFloor {
                    label,
                    min_calls,
                    rate,
                    seconds: if rate > 0.0 {
                        min_calls as f64 / rate
                    } else {
                        0.0
                    },
                })
            })
            .collect();
        categories.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        let seconds = categories.first().map_or(0.0, |c| c.seconds);
        Self {
            categories,
            seconds,
            minimum,
        }
    }

    /// A table cell: the floor and its binding category, e.g. `34.38 s (general Light:
    /// 2200 calls at 64.0/s)`.
    pub fn cell(&self) -> String {
        let binding = self.categories.first().map_or_else(
            || "-".to_owned(),
            |c| format!("{}: {} calls at {:.1}/s", c.label, c.min_calls, c.rate),
        );
        format!("{} ({binding})", seconds(self.seconds))
    }

    /// The category that sets the floor.
    pub fn binding(&self) -> &str {
        self.categories.first().map_or("-", |c| c.label.as_str())
    }

    /// The floor as JSON.
    pub fn json(&self) -> Value {
        json!({
            "seconds": self.seconds,
            "binding_category": self.binding(),
            "categories": self.categories.iter().map(|c| json!({
                "category": c.label,
                "min_calls": c.min_calls,
                "rate_per_s": c.rate,
                "seconds": c.seconds,
            })).collect::<Vec<_>>(),
            "minimum_calls": self.minimum.by_endpoint.iter().map(|(e, (n, why))| json!({
                "endpoint": e, "calls": n, "why": why,
            })).collect::<Vec<_>>(),
        })
    }
}

/// `ceil(items / page)`, and 1 for an empty list (the call that finds it empty).
pub fn pages(items: u64, page: u64) -> u64 {
    items.div_ceil(page.max(1)).max(1)
}
