//! The `[zoom]` settings: the account, its credentials and how the client talks to it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::limits::Plan;
use crate::secret::Secret;
use crate::setting::{self, Invalid};

/// The Zoom account and how the client talks to it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ZoomConfig {
    /// REST API base, an `http(s)` URL ending in `/v2` (checked at start-up).
    pub api_base_url: String,
    /// OAuth token endpoint.
    pub token_url: String,
    /// Server-to-Server OAuth app: account id.
    pub account_id: String,
    /// Server-to-Server OAuth app: client id.
    pub client_id: String,
    /// Server-to-Server OAuth app: client secret.
    pub client_secret: Option<Secret>,
    /// File holding the client secret (takes precedence).
    pub client_secret_file: Option<PathBuf>,
    /// The account's plan, for the client-side rate budget.
    pub plan: Plan,
    /// Share of the account-wide rate budget this service may use (0 < share <= 1).
    pub budget_share: f64,
    /// Multiplies the plan's published rate limits, for accounts whose limits Zoom has
    /// raised (and simulators run with `--rate-scale`); 0 turns client pacing off.
    pub rate_scale: f64,
    /// TCP connect timeout, milliseconds.
    pub connect_timeout_ms: u64,
    /// Per-attempt timeout, milliseconds.
    pub request_timeout_ms: u64,
    /// Retries after the first attempt for I/O errors, timeouts, 5xx and 429
    /// (the Java connector's `rest.ioErrorRetries`).
    pub io_error_retries: u32,
    /// Overall deadline for one Zoom call including retries, seconds.
    pub retry_deadline_s: u64,
    /// First backoff step, milliseconds (exponential with full jitter).
    pub retry_base_ms: u64,
    /// Largest backoff step, milliseconds.
    pub retry_max_ms: u64,
    /// Refresh the access token this many seconds before it expires.
    pub token_refresh_margin_s: u64,
    /// Page size for list calls (the Java connector's "import batch size"); each endpoint
    /// clamps it to its own maximum.
    pub page_size: u32,
    /// Largest number of Zoom calls in flight at once.
    pub max_concurrency: usize,
    /// The secret token of the app's event subscription: with it, the service receives
    /// Zoom's webhooks at `webhook_path`; without it, that path does not exist.
    pub webhook_secret_token: Option<Secret>,
    /// File holding the webhook secret token (takes precedence).
    pub webhook_secret_token_file: Option<PathBuf>,
    /// Where Zoom's webhooks are received (outside the SCIM base path; no bearer token:
    /// each delivery is signed).
    pub webhook_path: String,
    /// Deliveries whose timestamp is further than this from now are refused, seconds.
    pub webhook_max_age_s: u64,
}

impl Default for ZoomConfig {
    fn default() -> Self {
        Self {
            api_base_url: "https://api.zoom.us/v2".to_owned(),
            token_url: "https://zoom.us/oauth/token".to_owned(),
            account_id: String::new(),
            client_id: String::new(),
            client_secret: None,
            client_secret_file: None,
            plan: Plan::Business,
            budget_share: 0.8,
            rate_scale: 1.0,
            connect_timeout_ms: 5_000,
            request_timeout_ms: 30_000,
            io_error_retries: 5,
            retry_deadline_s: 120,
            retry_base_ms: 200,
            retry_max_ms: 10_000,
            token_refresh_margin_s: 60,
            page_size: 300,
            max_concurrency: 64,
            webhook_secret_token: None,
            webhook_secret_token_file: None,
            webhook_path: "/zoom/webhook".to_owned(),
            webhook_max_age_s: 300,
        }
    }
}

impl ZoomConfig {
    /// Refuses values the client cannot work with.
    pub fn validate(&self) -> Result<(), Invalid> {
        let api_base = setting::http_url("api_base_url", &self.api_base_url)?;
        // Every Zoom path the client builds is relative to `/v2` (Zoom API v2).
        if !api_base.path().trim_end_matches('/').ends_with("/v2") {
            return Err(Invalid::new(
                "api_base_url",
                format!(
                    "`{}` does not end in `/v2` (Zoom's is https://api.zoom.us/v2)",
                    self.api_base_url
                ),
            ));
        }
        setting::http_url("token_url", &self.token_url)?;
        setting::at_least_one(&[
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("request_timeout_ms", self.request_timeout_ms),
            ("retry_deadline_s", self.retry_deadline_s),
            ("retry_base_ms", self.retry_base_ms),
        ])?;
        if self.retry_max_ms < self.retry_base_ms {
            return Err(Invalid::new(
                "retry_max_ms",
                "must be at least zoom.retry_base_ms",
            ));
        }
        if !(self.budget_share > 0.0 && self.budget_share <= 1.0) {
            return Err(Invalid::new("budget_share", "must be in (0, 1]"));
        }
        if !(self.rate_scale.is_finite() && self.rate_scale >= 0.0) {
            return Err(Invalid::new("rate_scale", "must be a finite number >= 0"));
        }
        if !self.webhook_path.starts_with('/') || self.webhook_path.len() < 2 {
            return Err(Invalid::new(
                "webhook_path",
                format!(
                    "`{}` must be a path such as /zoom/webhook",
                    self.webhook_path
                ),
            ));
        }
        setting::at_least_one(&[
            ("page_size", u64::from(self.page_size)),
            ("max_concurrency", self.max_concurrency as u64),
            ("webhook_max_age_s", self.webhook_max_age_s),
        ])
    }

    /// The webhook verifier, when a secret token is set.
    pub fn webhook_verifier(&self) -> Option<super::webhook::WebhookVerifier> {
        let secret = self
            .webhook_secret_token
            .clone()
            .filter(|s| !s.is_empty())?;
        Some(super::webhook::WebhookVerifier::new(
            secret,
            std::time::Duration::from_secs(self.webhook_max_age_s),
            self.account_id.clone(),
        ))
    }

    /// Refuses missing Server-to-Server OAuth credentials (a real account needs them;
    /// `demo` fills them in from the simulator).
    pub fn require_credentials(&self) -> Result<(), Invalid> {
        for (key, value) in [
            ("account_id", self.account_id.as_str()),
            ("client_id", self.client_id.as_str()),
        ] {
            if value.trim().is_empty() {
                return Err(Invalid::new(key, "is required"));
            }
        }
        if self.client_secret.as_ref().is_none_or(Secret::is_empty) {
            return Err(Invalid::new(
                "client_secret",
                "is required (or set zoom.client_secret_file)",
            ));
        }
        Ok(())
    }
}
