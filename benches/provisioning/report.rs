//! Results: one section per scenario, printed as an aligned table and written as JSON.

use std::time::Duration;

use serde_json::{Value, json};

/// How a scenario ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Ran to the end.
    Ran,
    /// The service in this build lacks what the scenario needs (501/404).
    NotAvailable(String),
    /// Something went wrong; the message says what.
    Failed(String),
}

/// One scenario's results.
#[derive(Debug, Clone)]
pub struct Section {
    /// `1. full deep import`...
    pub title: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Rows of the stdout table: (what, figure).
    pub rows: Vec<(String, String)>,
    /// The JSON record.
    pub json: Value,
}

impl Section {
    /// A section that ran.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            outcome: Outcome::Ran,
            rows: Vec::new(),
            json: json!({}),
        }
    }

    /// A section that failed with `error`.
    pub fn failed(title: impl Into<String>, error: &anyhow::Error) -> Self {
        Self {
            outcome: Outcome::Failed(format!("{error:#}")),
            ..Self::new(title)
        }
    }

    /// Adds a table row.
    pub fn row(&mut self, what: impl Into<String>, figure: impl Into<String>) {
        self.rows.push((what.into(), figure.into()));
    }

    /// The section as JSON, with its outcome.
    pub fn to_json(&self) -> Value {
        let mut v = self.json.clone();
        if !v.is_object() {
            v = json!({ "data": v });
        }
        let (status, reason) = match &self.outcome {
            Outcome::Ran => ("ran", None),
            Outcome::NotAvailable(r) => ("not available in this build", Some(r.clone())),
            Outcome::Failed(r) => ("failed", Some(r.clone())),
        };
        if let Some(map) = v.as_object_mut() {
            map.insert("title".into(), json!(self.title));
            map.insert("status".into(), json!(status));
            if let Some(reason) = reason {
                map.insert("reason".into(), json!(reason));
            }
        }
        v
    }

    /// Prints the section as a two-column table.
    pub fn print(&self) {
        println!();
        println!("== {}", self.title);
        match &self.outcome {
            Outcome::Ran => {}
            Outcome::NotAvailable(r) => println!("   NOT AVAILABLE IN THIS BUILD: {r}"),
            Outcome::Failed(r) => println!("   FAILED: {r}"),
        }
        let width = self.rows.iter().map(|(w, _)| w.len()).max().unwrap_or(0);
        for (what, figure) in &self.rows {
            println!("   {what:<width$}  {figure}");
        }
    }
}

/// Latency percentiles of a sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct Percentiles {
    /// Number of samples.
    pub n: usize,
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 90th percentile, milliseconds.
    pub p90_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Largest, milliseconds.
    pub max_ms: f64,
    /// Mean, milliseconds.
    pub mean_ms: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles of `samples`.
    pub fn of(samples: &[Duration]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let at = |p: f64| {
            let rank = (p * ms.len() as f64).ceil() as usize;
            ms[rank.clamp(1, ms.len()) - 1]
        };
        Self {
            n: ms.len(),
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: ms[ms.len() - 1],
            mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
        }
    }

    /// As JSON.
    pub fn json(&self) -> Value {
        json!({
            "n": self.n,
            "p50_ms": round(self.p50_ms, 3),
            "p90_ms": round(self.p90_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "mean_ms": round(self.mean_ms, 3),
        })
    }

    /// `p50 / p99 / max` for a table cell.
    pub fn cell(&self) -> String {
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (n = {})",
            self.p50_ms, self.p99_ms, self.max_ms, self.n
        )
    }
}

/// `"a 1, b 2"`: counts by key, for a table cell.
pub fn counts<K: std::fmt::Display, V: std::fmt::Display>(
    items: impl IntoIterator<Item = (K, V)>,
) -> String {
    items
        .into_iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `x` rounded to `digits` decimals (keeps the JSON readable).
pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Seconds with a unit, e.g. `156.3 s` or `2 h 10 min`.
pub fn seconds(s: f64) -> String {
    if s >= 3600.0 {
        format!(
            "{:.0} h {:.0} min ({s:.0} s)",
            (s / 3600.0).floor(),
            (s % 3600.0) / 60.0
        )
    } else if s >= 120.0 {
        format!("{:.1} min ({s:.1} s)", s / 60.0)
    } else {
        format!("{s:.2} s")
    }
}
