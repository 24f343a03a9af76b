//! The simulator's knobs: command-line flags of `simulate` and `demo`, and the body of
//! `PUT /_sim/config`.

use serde::{Deserialize, Serialize};

/// The Zoom plan the simulated account is on; picks its rate limits (contract
/// section 7.1). The simulator's own type: it plays Zoom, not the client.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccountPlan {
    /// Free accounts.
    Free,
    /// Pro accounts.
    Pro,
    /// Business, Education, Enterprise and Partners ("Business+").
    #[default]
    Business,
}

/// Credentials the simulator accepts on `POST /oauth/token`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, clap::Args)]
pub struct SimCredentials {
    /// Account id for the `account_credentials` grant.
    #[arg(long = "account-id", default_value = "sim-account-0001")]
    pub account_id: String,
    /// OAuth client id (HTTP Basic user).
    #[arg(long = "client-id", default_value = "sim-client-id")]
    pub client_id: String,
    /// OAuth client secret (HTTP Basic password); a demo value, not a real secret.
    #[arg(long = "client-secret", default_value = "sim-client-secret")]
    pub client_secret: String,
}

impl Default for SimCredentials {
    fn default() -> Self {
        Self {
            account_id: "sim-account-0001".to_owned(),
            client_id: "sim-client-id".to_owned(),
            client_secret: "sim-client-secret".to_owned(),
        }
    }
}

/// Behaviour knobs. Every field can be changed at run time with `PUT /_sim/config`
/// (fields absent from the body keep their value).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, clap::Args)]
#[serde(default)]
pub struct SimSettings {
    /// Base latency added to every API response, milliseconds.
    #[arg(long = "latency-ms", default_value_t = 0)]
    pub latency_ms: u64,
    /// Uniform random extra latency, 0..=jitter milliseconds.
    #[arg(long = "jitter-ms", default_value_t = 0)]
    pub jitter_ms: u64,
    /// Fraction of API requests answered with a 5xx.
    #[arg(long = "fail-rate", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Fraction of API requests answered with a per-second 429.
    #[arg(long = "throttle-rate", default_value_t = 0.0)]
    pub throttle_rate: f64,
    /// Fraction of API requests whose connection is dropped without an answer.
    #[arg(long = "drop-rate", default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Fraction of API requests that hang past any sane client timeout.
    #[arg(long = "timeout-rate", default_value_t = 0.0)]
    pub timeout_rate: f64,
    /// Fraction of API requests that are handled (a write takes effect) and whose answer
    /// is then lost: the connection drops, as behind a gateway that timed out.
    #[arg(long = "lost-answer-rate", default_value_t = 0.0)]
    pub lost_answer_rate: f64,
    /// Access-token lifetime, seconds.
    #[arg(long = "token-ttl-s", default_value_t = 3600)]
    pub token_ttl_s: u64,
    /// Account plan whose rate limits apply.
    #[arg(long = "plan", value_enum, default_value_t = AccountPlan::Business)]
    pub plan: AccountPlan,
    /// Multiplies every rate limit (10 = ten times Zoom's rates); 0 disables rate limiting.
    #[arg(long = "rate-scale", default_value_t = 1.0)]
    pub rate_scale: f64,
    /// Status of a duplicate-email answer to `POST /users`: 409 (Zoom's spec) or 412.
    #[arg(long = "duplicate-status", default_value_t = 409)]
    pub duplicate_status: u16,
    /// Pending users become active this many seconds after creation (invitees
    /// confirming); absent: never (`demo`: 5 unless given).
    #[arg(long = "activate-pending-after-s")]
    pub activate_pending_after_s: Option<u64>,
    /// Number of users seeded at start and on `POST /_sim/reset`.
    #[arg(long = "users", default_value_t = 200)]
    pub users: usize,
    /// Seed of the deterministic data generator.
    #[arg(long = "seed", default_value_t = 42)]
    pub seed: u64,
    /// Lifetime of `next_page_token`, seconds (Zoom: 15 minutes).
    #[arg(long = "page-token-ttl-s", default_value_t = 900)]
    pub page_token_ttl_s: u64,
    /// Largest `page_size` honoured on `GET /users` (larger values are clamped).
    #[arg(long = "max-page-size", default_value_t = 300)]
    pub max_page_size: u32,
    /// Whether Zoom Phone is enabled on the account (else phone endpoints answer 403).
    #[arg(long = "phone-enabled", default_value_t = true, action = clap::ArgAction::Set)]
    pub phone_enabled: bool,
    /// Success status of `PUT /users/{id}/status`: 204 (older docs) or 200 (2026 spec).
    #[arg(long = "status-success-code", default_value_t = 204)]
    pub status_success_code: u16,
    /// Whether `POST /groups/{id}/members` silently ignores pending users (answers 201
    /// but does not add them), as SailPoint reports Zoom doing; `PATCH /users/{id}`
    /// with `group_id` is the documented way to put a pending user in a group.
    #[arg(long = "pending-group-adds-ignored", default_value_t = true, action = clap::ArgAction::Set)]
    pub pending_group_adds_ignored: bool,
    /// Zoom Phone sites seeded (the first is the main site); applies at the next seed.
    #[arg(long = "phone-sites", default_value_t = 5)]
    pub phone_sites: usize,
    /// Phone licences left free beyond the seeded phone users.
    #[arg(long = "phone-spare-licences", default_value_t = 20)]
    pub phone_spare_licences: usize,
    /// Unassigned numbers in the seeded phone-number pool.
    #[arg(long = "phone-spare-numbers", default_value_t = 50)]
    pub phone_spare_numbers: usize,
    /// Free seats per calling plan beyond the seeded assignments.
    #[arg(long = "phone-spare-plan-seats", default_value_t = 10)]
    pub phone_spare_plan_seats: u32,
    /// Where webhook events are posted (Zoom's event notification endpoint URL);
    /// absent: none are sent.
    #[arg(long = "webhook-url")]
    pub webhook_url: Option<String>,
    /// The secret token events are signed with (required with `webhook_url`).
    #[arg(long = "webhook-secret")]
    pub webhook_secret: Option<String>,
    /// Delays before each retry of an event that got no 2xx, milliseconds (Zoom: 5,
    /// 20 and 60 minutes).
    #[arg(long = "webhook-retry-delays-ms", value_delimiter = ',', default_values_t = [300_000u64, 1_200_000, 3_600_000])]
    pub webhook_retry_delays_ms: Vec<u64>,
    /// Fraction of events delivered twice (an at-least-once sender's repeats).
    #[arg(long = "webhook-duplicate-rate", default_value_t = 0.0)]
    pub webhook_duplicate_rate: f64,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            jitter_ms: 0,
            fail_rate: 0.0,
            throttle_rate: 0.0,
            drop_rate: 0.0,
            timeout_rate: 0.0,
            lost_answer_rate: 0.0,
            token_ttl_s: 3600,
            plan: AccountPlan::Business,
            rate_scale: 1.0,
            duplicate_status: 409,
            activate_pending_after_s: None,
            users: 200,
            seed: 42,
            page_token_ttl_s: 900,
            max_page_size: 300,
            phone_enabled: true,
            status_success_code: 204,
            pending_group_adds_ignored: true,
            phone_sites: 5,
            phone_spare_licences: 20,
            phone_spare_numbers: 50,
            phone_spare_plan_seats: 10,
            webhook_url: None,
            webhook_secret: None,
            webhook_retry_delays_ms: vec![300_000, 1_200_000, 3_600_000],
            webhook_duplicate_rate: 0.0,
        }
    }
}

impl SimSettings {
    /// Checks the knobs: rates are fractions whose sum is at most 1, `rate_scale` is a
    /// finite non-negative number, status choices are the documented ones, lifetimes and
    /// page sizes are positive.
    pub fn validate(&self) -> Result<(), String> {
        let rates = [
            ("fail_rate", self.fail_rate),
            ("throttle_rate", self.throttle_rate),
            ("drop_rate", self.drop_rate),
            ("timeout_rate", self.timeout_rate),
            ("lost_answer_rate", self.lost_answer_rate),
        ];
        for (name, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        let total: f64 = rates.iter().map(|(_, r)| r).sum();
        if total > 1.0 + 1e-9 {
            return Err(format!("the fault rates add up to {total}, more than 1"));
        }
        if !self.rate_scale.is_finite() || self.rate_scale < 0.0 {
            return Err(format!(
                "rate_scale must be a finite number >= 0, got {}",
                self.rate_scale
            ));
        }
        if !matches!(self.duplicate_status, 409 | 412) {
            return Err(format!(
                "duplicate_status must be 409 or 412, got {}",
                self.duplicate_status
            ));
        }
        if !matches!(self.status_success_code, 200 | 204) {
            return Err(format!(
                "status_success_code must be 200 or 204, got {}",
                self.status_success_code
            ));
        }
        if self.token_ttl_s == 0 {
            return Err("token_ttl_s must be at least 1".into());
        }
        if self.page_token_ttl_s == 0 {
            return Err("page_token_ttl_s must be at least 1".into());
        }
        if self.max_page_size == 0 {
            return Err("max_page_size must be at least 1".into());
        }
        if let Some(url) = &self.webhook_url {
            let parsed = reqwest::Url::parse(url)
                .map_err(|e| format!("webhook_url `{url}` is not a URL: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!("webhook_url `{url}` is not http(s)"));
            }
            if self.webhook_secret.as_deref().is_none_or(str::is_empty) {
                return Err("webhook_url needs webhook_secret (the secret token)".into());
            }
        }
        if !(0.0..=1.0).contains(&self.webhook_duplicate_rate) {
            return Err(format!(
                "webhook_duplicate_rate must be between 0 and 1, got {}",
                self.webhook_duplicate_rate
            ));
        }
        // Site codes prefix 4-digit short extensions; keep them to four digits too.
        if !(1..=9999).contains(&self.phone_sites) {
            return Err(format!(
                "phone_sites must be between 1 and 9999, got {}",
                self.phone_sites
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_knobs_are_refused() {
        assert_eq!(SimSettings::default().validate(), Ok(()));
        let bad = [
            SimSettings {
                fail_rate: 1.5,
                ..SimSettings::default()
            },
            SimSettings {
                fail_rate: 0.6,
                drop_rate: 0.6,
                ..SimSettings::default()
            },
            SimSettings {
                rate_scale: f64::NAN,
                ..SimSettings::default()
            },
            SimSettings {
                duplicate_status: 400,
                ..SimSettings::default()
            },
            SimSettings {
                status_success_code: 201,
                ..SimSettings::default()
            },
            SimSettings {
                token_ttl_s: 0,
                ..SimSettings::default()
            },
            SimSettings {
                webhook_url: Some("http://127.0.0.1:1/zoom/webhook".into()),
                ..SimSettings::default()
            },
            SimSettings {
                webhook_url: Some("ftp://example.com/".into()),
                webhook_secret: Some("s".into()),
                ..SimSettings::default()
            },
        ];
        for s in bad {
            assert!(s.validate().is_err(), "{s:?}");
        }
    }
}
