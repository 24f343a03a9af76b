//! Request counters served by `GET /_sim/stats`: per endpoint (method + path template),
//! per rate-limit category, 429s by type, injected faults and issued tokens.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use super::ratelimit::{Category, ThrottleKind};

/// 429s answered, by `X-RateLimit-Type`.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Throttled {
    /// Per-second refusals.
    #[serde(rename = "QPS")]
    pub qps: u64,
    /// Daily-quota refusals.
    #[serde(rename = "Daily-limit")]
    pub daily: u64,
}

/// The counters.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// API requests by `"METHOD /template"`, e.g. `"GET /users/{userId}"`.
    pub requests: BTreeMap<String, u64>,
    /// API requests by rate-limit category.
    pub by_category: BTreeMap<&'static str, u64>,
    /// 429s answered.
    pub throttled: Throttled,
    /// Random and scripted faults injected.
    pub faults_injected: u64,
    /// Access tokens issued by `POST /oauth/token`.
    pub tokens_issued: u64,
    /// Requests to `POST /oauth/token`, refused ones included.
    pub token_requests: u64,
    /// All API requests.
    pub total: u64,
    /// API requests being handled now (latency included).
    pub in_flight: u64,
    /// The most API requests in flight at once since the counters were zeroed: how
    /// concurrently a client calls Zoom.
    pub peak_in_flight: u64,
    /// The latest requests as they arrived, `"METHOD /raw/path"` (path as sent, before
    /// any routing; the admin API excluded), at most [`RECENT_REQUESTS_MAX`]: what a
    /// test checks to know which Zoom resource a call reached.
    pub recent_requests: VecDeque<String>,
}

/// How many requests [`Stats::recent_requests`] keeps.
pub const RECENT_REQUESTS_MAX: usize = 10_000;

impl Stats {
    /// Counts one API request.
    pub fn count_request(&mut self, method: &str, template: &str, category: Category) {
        *self
            .requests
            .entry(format!("{method} {template}"))
            .or_default() += 1;
        *self.by_category.entry(category.as_str()).or_default() += 1;
        self.total += 1;
    }

    /// Records a request as it arrived (method and raw path).
    pub fn log_request(&mut self, method: &str, path: &str) {
        if self.recent_requests.len() >= RECENT_REQUESTS_MAX {
            self.recent_requests.pop_front();
        }
        self.recent_requests.push_back(format!("{method} {path}"));
    }

    /// An API request starts.
    pub fn enter(&mut self) {
        self.in_flight += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
    }

    /// An API request ends (answered, failed or abandoned by its client).
    pub fn leave(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Zeroes the counters; requests still in flight stay counted.
    pub fn reset(&mut self) {
        let in_flight = self.in_flight;
        *self = Self {
            in_flight,
            peak_in_flight: in_flight,
            ..Self::default()
        };
    }

    /// Counts one 429.
    pub fn count_throttled(&mut self, kind: ThrottleKind) {
        match kind {
            ThrottleKind::Qps => self.throttled.qps += 1,
            ThrottleKind::Daily => self.throttled.daily += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_zoom_names() {
        let mut s = Stats::default();
        s.count_request("GET", "/users", Category::Medium);
        s.count_throttled(ThrottleKind::Daily);
        let v = serde_json::to_value(&s).expect("serializes");
        assert_eq!(v["requests"]["GET /users"], 1);
        assert_eq!(v["by_category"]["Medium"], 1);
        assert_eq!(v["throttled"]["Daily-limit"], 1);
        assert_eq!(v["throttled"]["QPS"], 0);
        assert_eq!(v["total"], 1);
    }

    #[test]
    fn peak_in_flight_survives_leaving_and_reset_keeps_the_requests_in_flight() {
        let mut s = Stats::default();
        s.enter();
        s.enter();
        s.leave();
        s.enter();
        s.leave();
        assert_eq!((s.in_flight, s.peak_in_flight), (1, 2));
        s.reset();
        assert_eq!((s.in_flight, s.peak_in_flight), (1, 1));
        s.leave();
        s.leave();
        assert_eq!((s.in_flight, s.peak_in_flight), (0, 1));
    }
}
