//! Service configuration: one typed struct, layered as defaults, then a TOML file
//! (`--config`), then `ZOOM_SCIM_*` environment variables (nested keys joined by `__`),
//! then command-line flags. Secrets also load from `*_file` keys (`*_FILE` variables),
//! which take precedence over the inline value.
//!
//! Every key is documented in the README table and in `docker/zoom-scim.example.toml`;
//! a test keeps those two in step with [`Config::documented_keys`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize};

use crate::secret::Secret;

/// The prefix of every environment variable the service reads.
pub const ENV_PREFIX: &str = "ZOOM_SCIM_";

/// The environment variable that carries a config key, e.g. `zoom.client_id` ->
/// `ZOOM_SCIM_ZOOM__CLIENT_ID`.
pub fn env_var_for(key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        key.replace('.', "__").to_ascii_uppercase()
    )
}

/// A configuration problem, naming both the key and its environment variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration: `{key}` (env {env}): {message}")]
pub struct ConfigError {
    /// Dotted config key, e.g. `zoom.client_secret`.
    pub key: String,
    /// The matching environment variable.
    pub env: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// A problem with one key.
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            env: env_var_for(key),
            message: message.into(),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The SCIM HTTP server.
    pub server: ServerConfig,
    /// Logging.
    pub log: LogConfig,
    /// How SCIM clients authenticate.
    pub auth: AuthConfig,
    /// The Zoom account and how to talk to it.
    pub zoom: ZoomConfig,
    /// SCIM behaviour and provisioning policies.
    pub scim: ScimConfig,
}

/// The SCIM HTTP server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the SCIM service listens on.
    pub listen: SocketAddr,
    /// Public base URL clients use (scheme, host, port, optional prefix), used to build
    /// `meta.location` and `Location`. Empty: `http://{listen}`.
    pub public_url: String,
    /// Per-request deadline in seconds, at least 1 (a SCIM request may make many Zoom
    /// calls).
    pub request_timeout_s: u64,
    /// Seconds a connection may take to send a request's headers; also how long an idle
    /// keep-alive connection stays open (at least 1).
    pub header_read_timeout_s: u64,
    /// Seconds a request may take to send its whole body (at least 1).
    pub body_read_timeout_s: u64,
    /// Most connections open at once, at least 1 (a few more are kept for `/healthz`
    /// and `/readyz`).
    pub max_connections: usize,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for requests and writes under way.
    pub shutdown_grace_s: u64,
    /// Largest accepted request body in bytes (at least 1024).
    pub max_body_bytes: usize,
    /// Serve Prometheus metrics at `/metrics` (no auth, like the health endpoints).
    pub metrics: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: String::new(),
            request_timeout_s: 300,
            header_read_timeout_s: 10,
            body_read_timeout_s: 30,
            max_connections: 1024,
            shutdown_grace_s: 30,
            max_body_bytes: 1024 * 1024,
            metrics: true,
        }
    }
}

impl ServerConfig {
    /// The public base URL without a trailing slash.
    pub fn public_base(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }
}

/// Logging.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `human` (default) or `json`.
    pub format: LogFormat,
    /// A tracing filter directive, e.g. `info` or `zoom_scim=debug,info`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Human,
            level: "info".to_owned(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// How SCIM clients authenticate: static bearer tokens, JWTs, or both.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Static bearer tokens (a list, or one string with comma-separated tokens).
    #[serde(deserialize_with = "deserialize_secret_list")]
    pub tokens: Vec<Secret>,
    /// File with one static token per line (takes precedence over `tokens`).
    pub tokens_file: Option<PathBuf>,
    /// JWT validation; off unless `auth.jwt.algorithm` is set.
    pub jwt: JwtConfig,
}

/// JWT bearer validation with a pinned algorithm.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    /// `HS256`, `RS256` or `ES256`; unset or empty disables JWT validation.
    #[serde(deserialize_with = "deserialize_optional_algorithm")]
    pub algorithm: Option<JwtAlgorithm>,
    /// HS256 shared secret, at least 32 bytes (RFC 7518 section 3.2).
    pub secret: Option<Secret>,
    /// File holding the HS256 secret (takes precedence).
    pub secret_file: Option<PathBuf>,
    /// RS256/ES256 public key in PEM (RSA: at least 2048 bits).
    pub public_key_pem: Option<Secret>,
    /// File holding the PEM public key (takes precedence).
    pub public_key_file: Option<PathBuf>,
    /// Required `iss` claim, if set.
    pub issuer: Option<String>,
    /// Required `aud` claim; must be set when JWT validation is on (`*`: any audience, explicitly).
    pub audience: Option<String>,
    /// Clock skew allowed on `exp`/`nbf`, seconds.
    pub leeway_s: u64,
}

/// JWT signature algorithms the service accepts (one, pinned).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// HMAC SHA-256 with a shared secret.
    HS256,
    /// RSA PKCS#1 v1.5 SHA-256 with a public key.
    RS256,
    /// ECDSA P-256 SHA-256 with a public key.
    ES256,
}

/// Zoom account plan; sizes the rate budget (Zoom "Rate limits" page).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// Free accounts.
    Free,
    /// Pro accounts.
    Pro,
    /// Business, Education, Enterprise and Partners ("Business+").
    #[default]
    Business,
}

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
        }
    }
}

/// What `POST /Users` sends to Zoom as `action`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum CreateAction {
    /// Zoom e-mails an invitation; the user stays pending until they accept.
    #[default]
    #[serde(rename = "create")]
    Create,
    /// Managed-domain accounts: active at once.
    #[serde(rename = "autoCreate")]
    AutoCreate,
    /// ISV accounts: active, cannot log in to the web portal.
    #[serde(rename = "custCreate")]
    CustCreate,
    /// Pre-provisioned SSO users: active.
    #[serde(rename = "ssoCreate")]
    SsoCreate,
}

impl CreateAction {
    /// The value Zoom expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::AutoCreate => "autoCreate",
            Self::CustCreate => "custCreate",
            Self::SsoCreate => "ssoCreate",
        }
    }
}

/// What a create does when the user (or group) already exists.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum DuplicatePolicy {
    /// 409 `uniqueness`, naming the existing id.
    #[default]
    Conflict,
    /// Apply the request to the existing resource and return it (200).
    Adopt,
}

/// What `DELETE /Users/{id}` does in Zoom.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum DeletePolicy {
    /// Deactivate; the user stays in Zoom (and in listings) as inactive.
    #[default]
    Deactivate,
    /// Unlink from the account (the user keeps a free basic account).
    Disassociate,
    /// Delete permanently, with the configured transfers.
    Delete,
}

/// What `active=false` does to a pending (invited, not yet confirmed) user.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum PendingDeactivation {
    /// Refuse with 409 and a detail: Zoom cannot deactivate a pending user.
    #[default]
    Refuse,
    /// Withdraw the invitation (`DELETE /users/{id}?action=disassociate`).
    Disassociate,
}

/// Zoom's `transfer_*` options for a permanent delete.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DeleteTransfer {
    /// Target user for transfers (required by Zoom when any transfer is on).
    pub email: Option<String>,
    /// Transfer future meetings.
    pub meeting: bool,
    /// Transfer future webinars.
    pub webinar: bool,
    /// Transfer cloud recordings.
    pub recording: bool,
    /// Transfer whiteboards.
    pub whiteboard: bool,
    /// Transfer clips.
    pub clipfiles: bool,
    /// Transfer notes.
    pub notes: bool,
    /// Transfer visitors.
    pub visitors: bool,
    /// Transfer docs.
    pub docs: bool,
}

/// SCIM behaviour and provisioning policies.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ScimConfig {
    /// Path prefix of the SCIM API.
    pub base_path: String,
    /// `count` when a list request has none.
    pub default_count: usize,
    /// Largest `count` honoured (larger values are clamped, per RFC 7644 section 3.4.2.4).
    pub max_count: usize,
    /// Enrich filtered/paged searches with per-user detail calls when the requested
    /// attributes need detail fields (Java `results.deepGet`).
    pub deep_get: bool,
    /// Same for unfiltered full listings (Java `results.deepImport`).
    pub deep_import: bool,
    /// Zoom create action (see [`CreateAction`]).
    pub create_action: CreateAction,
    /// Zoom user `type` when a create carries none (1 Basic, 2 Licensed, 4 Unassigned,
    /// 99 None: `ssoCreate` only).
    pub default_user_type: u8,
    /// Duplicate policy for users and groups (Java `service.duplicateErrorReturnsId`).
    pub duplicates: DuplicatePolicy,
    /// Delete policy (Java `deactivateOnDelete` / `disassociateOnDelete`).
    pub delete_policy: DeletePolicy,
    /// Transfers sent with `delete_policy = "delete"`.
    pub delete_transfer: DeleteTransfer,
    /// Log the user out everywhere after deactivation (Java `immediateLogoutOnDeactivate`).
    pub logout_on_deactivate: bool,
    /// What `active=false` does to a pending user.
    pub pending_deactivation: PendingDeactivation,
    /// Ids or e-mails that can never be deactivated, removed or deleted (the account
    /// owner is always protected); a list, or one string with comma-separated entries.
    #[serde(deserialize_with = "deserialize_string_list")]
    pub protected_users: Vec<String>,
    /// Allow `DELETE /Groups/{id}` (Java `entitlementDeletionEnabled`).
    pub group_deletion: bool,
    /// Paging cursors kept for sequential SCIM paging (each a resume point of a few
    /// hundred bytes).
    pub cursor_cache_size: u64,
    /// MiB the cursors' buffered pages, calls started ahead and phone listings may
    /// hold together; a cursor whose buffers were dropped fetches its page again.
    pub cursor_cache_mib: u64,
    /// How long a paging cursor is kept, seconds (Zoom tokens expire after 15 minutes).
    pub cursor_ttl_s: u64,
    /// How long the phone site list is cached, seconds.
    pub site_cache_ttl_s: u64,
    /// Listing pages with at most this many users read phone profiles one by one
    /// (`GET /phone/users/{id}`); larger ones read the paged `GET /phone/users` once.
    pub phone_per_user_max: usize,
    /// How long the list of Zoom Phone users is trusted, seconds (0: off). Reading one
    /// user asks for a phone profile only for users on it; it is refreshed in the
    /// background.
    pub phone_roster_ttl_s: u64,
    /// How long the list of confirmed (active and inactive) users is trusted, seconds
    /// (0: off). Writes skip a user read when it lists the user; it is walked in the
    /// background once a write asks for it.
    pub user_roster_ttl_s: u64,
}

impl Default for ScimConfig {
    fn default() -> Self {
        Self {
            base_path: "/scim/v2".to_owned(),
            default_count: 100,
            max_count: 1000,
            deep_get: true,
            deep_import: true,
            create_action: CreateAction::Create,
            default_user_type: 1,
            duplicates: DuplicatePolicy::Conflict,
            delete_policy: DeletePolicy::Deactivate,
            delete_transfer: DeleteTransfer::default(),
            logout_on_deactivate: false,
            pending_deactivation: PendingDeactivation::Refuse,
            protected_users: Vec::new(),
            group_deletion: true,
            cursor_cache_size: 1024,
            cursor_cache_mib: 8,
            cursor_ttl_s: 600,
            site_cache_ttl_s: 300,
            phone_per_user_max: 10,
            phone_roster_ttl_s: 60,
            user_roster_ttl_s: 300,
        }
    }
}

/// A list written as `["a","b"]` or as one string `"a,b"` (environment variables carry
/// one string).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => split_list(&s).map(str::to_owned).collect(),
            Self::Many(v) => v,
        }
    }
}

fn deserialize_secret_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Secret>, D::Error> {
    Ok(OneOrMany::deserialize(d)?
        .into_vec()
        .into_iter()
        .map(Secret::from)
        .collect())
}

fn deserialize_string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(OneOrMany::deserialize(d)?.into_vec())
}

/// An unset or empty algorithm (`ZOOM_SCIM_AUTH__JWT__ALGORITHM=` from a template)
/// turns JWT validation off.
fn deserialize_optional_algorithm<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<JwtAlgorithm>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Algorithm(JwtAlgorithm),
        Other(String),
    }
    match Option::<Written>::deserialize(d)? {
        None => Ok(None),
        Some(Written::Algorithm(alg)) => Ok(Some(alg)),
        Some(Written::Other(s)) if s.trim().is_empty() => Ok(None),
        Some(Written::Other(s)) => Err(serde::de::Error::custom(format!(
            "`{s}` is not one of `HS256`, `RS256`, `ES256` (or empty: off)"
        ))),
    }
}

/// The entries of a comma- or line-separated list, trimmed, empty ones dropped.
fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn split_tokens(s: &str) -> Vec<Secret> {
    split_list(s).map(Secret::from).collect()
}

/// Reads a secret file: the whole content minus trailing line breaks.
fn read_secret_file(key: &str, path: &Path) -> Result<Secret, ConfigError> {
    std::fs::read_to_string(path)
        .map(|s| Secret::new(s.trim_end_matches(['\r', '\n'])))
        .map_err(|e| ConfigError::new(key, format!("cannot read {}: {e}", path.display())))
}

/// The smallest `server.max_body_bytes` accepted: below it no SCIM request fits.
const MIN_BODY_BYTES: usize = 1024;

/// Parses an absolute `http(s)` URL with a host, or names the key that holds it.
fn http_url(key: &str, value: &str) -> Result<reqwest::Url, ConfigError> {
    let url = reqwest::Url::parse(value)
        .map_err(|e| ConfigError::new(key, format!("`{value}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(ConfigError::new(
            key,
            format!("`{value}` is not an absolute http(s) URL with a host"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            key,
            format!("`{value}` must not carry a query or a fragment"),
        ));
    }
    Ok(url)
}

/// What the loaded configuration is used for; decides which settings are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `serve`: a real Zoom account.
    Serve,
    /// `demo`: the built-in simulator stands in for Zoom.
    Demo,
}

impl Config {
    /// Loads defaults, the optional TOML file, the environment and `overrides` (flags),
    /// in that order, then resolves `*_file` secrets. Does not validate.
    pub fn load(file: Option<&Path>, overrides: Figment) -> Result<Self, ConfigError> {
        Self::load_from_env(file, overrides, Self::env_provider())
    }

    /// The `ZOOM_SCIM_<SECTION>__<KEY>` variables. `ZOOM_SCIM_CONFIG` names the file
    /// (a command-line setting read by clap), not a key.
    pub fn env_provider() -> Env {
        Env::prefixed(ENV_PREFIX).ignore(&["config"]).split("__")
    }

    /// [`Config::load`] with an explicit environment provider (for tests).
    pub fn load_from_env(
        file: Option<&Path>,
        overrides: Figment,
        env: Env,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError {
                    key: "--config".to_owned(),
                    env: "ZOOM_SCIM_CONFIG".to_owned(),
                    message: format!("file {} does not exist", path.display()),
                });
            }
            figment = figment.merge(Toml::file(path));
        }
        let figment = figment.merge(env).merge(overrides);
        let mut config: Config = figment.extract().map_err(|e| figment_error(e, file))?;
        config.resolve_secret_files()?;
        Ok(config)
    }

    fn resolve_secret_files(&mut self) -> Result<(), ConfigError> {
        if let Some(path) = &self.zoom.client_secret_file {
            self.zoom.client_secret = Some(read_secret_file("zoom.client_secret_file", path)?);
        }
        if let Some(path) = &self.auth.tokens_file {
            let content = read_secret_file("auth.tokens_file", path)?;
            self.auth.tokens = split_tokens(content.expose());
        }
        if let Some(path) = &self.auth.jwt.secret_file {
            self.auth.jwt.secret = Some(read_secret_file("auth.jwt.secret_file", path)?);
        }
        if let Some(path) = &self.auth.jwt.public_key_file {
            self.auth.jwt.public_key_pem =
                Some(read_secret_file("auth.jwt.public_key_file", path)?);
        }
        Ok(())
    }

    /// Checks the settings `mode` needs; the first problem names its key and variable.
    pub fn validate(&self, mode: Mode) -> Result<(), ConfigError> {
        if mode == Mode::Serve {
            for (key, value) in [
                ("zoom.account_id", self.zoom.account_id.as_str()),
                ("zoom.client_id", self.zoom.client_id.as_str()),
            ] {
                if value.trim().is_empty() {
                    return Err(ConfigError::new(key, "is required"));
                }
            }
            if self
                .zoom
                .client_secret
                .as_ref()
                .is_none_or(Secret::is_empty)
            {
                return Err(ConfigError::new(
                    "zoom.client_secret",
                    "is required (or set zoom.client_secret_file)",
                ));
            }
            if self.auth.tokens.is_empty() && self.auth.jwt.algorithm.is_none() {
                return Err(ConfigError::new(
                    "auth.tokens",
                    "no SCIM client could authenticate: set static tokens or auth.jwt.algorithm",
                ));
            }
        }
        if !self.server.public_url.is_empty() {
            http_url("server.public_url", &self.server.public_url)?;
        }
        if self.server.request_timeout_s == 0 {
            return Err(ConfigError::new(
                "server.request_timeout_s",
                "must be at least 1",
            ));
        }
        for (key, value) in [
            (
                "server.header_read_timeout_s",
                self.server.header_read_timeout_s,
            ),
            (
                "server.body_read_timeout_s",
                self.server.body_read_timeout_s,
            ),
            ("server.max_connections", self.server.max_connections as u64),
        ] {
            if value == 0 {
                return Err(ConfigError::new(key, "must be at least 1"));
            }
        }
        if self.server.max_body_bytes < MIN_BODY_BYTES {
            return Err(ConfigError::new(
                "server.max_body_bytes",
                format!("must be at least {MIN_BODY_BYTES} (a SCIM request needs room)"),
            ));
        }
        let api_base = http_url("zoom.api_base_url", &self.zoom.api_base_url)?;
        // Every Zoom path the client builds is relative to `/v2` (Zoom API v2).
        if !api_base.path().trim_end_matches('/').ends_with("/v2") {
            return Err(ConfigError::new(
                "zoom.api_base_url",
                format!(
                    "`{}` does not end in `/v2` (Zoom's is https://api.zoom.us/v2)",
                    self.zoom.api_base_url
                ),
            ));
        }
        http_url("zoom.token_url", &self.zoom.token_url)?;
        for (key, value) in [
            ("zoom.connect_timeout_ms", self.zoom.connect_timeout_ms),
            ("zoom.request_timeout_ms", self.zoom.request_timeout_ms),
            ("zoom.retry_deadline_s", self.zoom.retry_deadline_s),
            ("zoom.retry_base_ms", self.zoom.retry_base_ms),
        ] {
            if value == 0 {
                return Err(ConfigError::new(key, "must be at least 1"));
            }
        }
        if self.zoom.retry_max_ms < self.zoom.retry_base_ms {
            return Err(ConfigError::new(
                "zoom.retry_max_ms",
                "must be at least zoom.retry_base_ms",
            ));
        }
        if !(self.zoom.budget_share > 0.0 && self.zoom.budget_share <= 1.0) {
            return Err(ConfigError::new("zoom.budget_share", "must be in (0, 1]"));
        }
        if !(self.zoom.rate_scale.is_finite() && self.zoom.rate_scale >= 0.0) {
            return Err(ConfigError::new(
                "zoom.rate_scale",
                "must be a finite number >= 0",
            ));
        }
        if self.zoom.page_size == 0 {
            return Err(ConfigError::new("zoom.page_size", "must be at least 1"));
        }
        if self.zoom.max_concurrency == 0 {
            return Err(ConfigError::new(
                "zoom.max_concurrency",
                "must be at least 1",
            ));
        }
        if self.scim.max_count == 0 {
            return Err(ConfigError::new("scim.max_count", "must be at least 1"));
        }
        if self.scim.default_count == 0 || self.scim.default_count > self.scim.max_count {
            return Err(ConfigError::new(
                "scim.default_count",
                "must be at least 1 and at most scim.max_count",
            ));
        }
        if ![1, 2, 4, 99].contains(&self.scim.default_user_type) {
            return Err(ConfigError::new(
                "scim.default_user_type",
                "must be 1, 2, 4 or 99",
            ));
        }
        if !self.scim.base_path.starts_with('/') || self.scim.base_path.ends_with('/') {
            return Err(ConfigError::new(
                "scim.base_path",
                "must start with `/` and not end with `/`",
            ));
        }
        let transfer = &self.scim.delete_transfer;
        let any_transfer = transfer.meeting
            || transfer.webinar
            || transfer.recording
            || transfer.whiteboard
            || transfer.clipfiles
            || transfer.notes
            || transfer.visitors
            || transfer.docs;
        if any_transfer && transfer.email.as_deref().is_none_or(str::is_empty) {
            return Err(ConfigError::new(
                "scim.delete_transfer.email",
                "is required when a transfer is enabled",
            ));
        }
        Ok(())
    }

    /// Every leaf key, dotted, in declaration order (documentation drift test).
    pub fn documented_keys() -> Vec<String> {
        let value = serde_json::to_value(Config::default()).expect("config serializes");
        let mut keys = Vec::new();
        collect_keys(&value, "", &mut keys);
        keys
    }
}

fn collect_keys(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if v.is_object() {
                    collect_keys(v, &key, out);
                } else {
                    out.push(key);
                }
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

/// Turns a figment error into one that names the key and its variable; an error with
/// no key (the TOML file does not parse) names the file instead.
fn figment_error(err: figment::Error, file: Option<&Path>) -> ConfigError {
    let key = err.path.join(".");
    let message = err.kind.to_string();
    if key.is_empty() {
        let file = file.map_or_else(|| "(none)".to_owned(), |f| f.display().to_string());
        ConfigError {
            key: "--config".to_owned(),
            env: "ZOOM_SCIM_CONFIG".to_owned(),
            message: format!("file {file}: {message}"),
        }
    } else {
        ConfigError::new(&key, message)
    }
}

#[cfg(test)]
// figment's `Jail::expect_with` fixes the closure's error type (`figment::Error`).
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    fn load(jail_env: &[(&str, &str)], toml: Option<&str>) -> Result<Config, ConfigError> {
        let mut result = None;
        Jail::expect_with(|jail| {
            for (k, v) in jail_env {
                jail.set_env(k, v);
            }
            let path = toml.map(|t| {
                jail.create_file("c.toml", t).unwrap();
                PathBuf::from("c.toml")
            });
            result = Some(Config::load(path.as_deref(), Figment::new()));
            Ok(())
        });
        result.unwrap()
    }

    #[test]
    fn layers_defaults_file_env_in_order() {
        let config = load(
            &[
                ("ZOOM_SCIM_ZOOM__CLIENT_ID", "from-env"),
                ("ZOOM_SCIM_SCIM__MAX_COUNT", "50"),
            ],
            Some(
                "[zoom]\nclient_id = \"from-file\"\naccount_id = \"acc\"\n[scim]\nmax_count = 20\n",
            ),
        )
        .unwrap();
        assert_eq!(config.zoom.client_id, "from-env");
        assert_eq!(config.zoom.account_id, "acc");
        assert_eq!(config.scim.max_count, 50);
        assert_eq!(config.scim.default_count, 100);
    }

    #[test]
    fn flags_override_everything() {
        let mut got = None;
        Jail::expect_with(|jail| {
            jail.set_env("ZOOM_SCIM_SERVER__LISTEN", "127.0.0.1:9000");
            let flags = Figment::from(Serialized::global("server.listen", "127.0.0.1:9100"));
            got = Some(Config::load(None, flags).unwrap());
            Ok(())
        });
        assert_eq!(got.unwrap().server.listen.port(), 9100);
    }

    #[test]
    fn secret_files_take_precedence_and_tokens_split() {
        let mut got = None;
        Jail::expect_with(|jail| {
            jail.create_file("secret.txt", "file-secret\n")?;
            jail.set_env("ZOOM_SCIM_ZOOM__CLIENT_SECRET", "inline");
            jail.set_env("ZOOM_SCIM_ZOOM__CLIENT_SECRET_FILE", "secret.txt");
            jail.set_env("ZOOM_SCIM_AUTH__TOKENS", "tok-a, tok-b");
            got = Some(Config::load(None, Figment::new()).unwrap());
            Ok(())
        });
        let config = got.unwrap();
        assert_eq!(config.zoom.client_secret.unwrap().expose(), "file-secret");
        let tokens: Vec<_> = config
            .auth
            .tokens
            .iter()
            .map(|t| t.expose().to_owned())
            .collect();
        assert_eq!(tokens, ["tok-a", "tok-b"]);
    }

    #[test]
    fn invalid_value_names_key_and_env() {
        let err = load(&[("ZOOM_SCIM_SCIM__DELETE_POLICY", "explode")], None).unwrap_err();
        assert_eq!(err.key, "scim.delete_policy");
        assert_eq!(err.env, "ZOOM_SCIM_SCIM__DELETE_POLICY");
        let text = err.to_string();
        assert!(
            text.contains("scim.delete_policy") && text.contains("ZOOM_SCIM_SCIM__DELETE_POLICY")
        );
    }

    #[test]
    fn serve_requires_credentials_naming_both_names() {
        let config = Config::default();
        let err = config.validate(Mode::Serve).unwrap_err();
        assert_eq!(err.key, "zoom.account_id");
        assert!(err.to_string().contains("ZOOM_SCIM_ZOOM__ACCOUNT_ID"));
        assert!(config.validate(Mode::Demo).is_ok());
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let mut config = Config::default();
        config.zoom.client_secret = Some(Secret::new("s3cr3t-value"));
        config.auth.tokens = vec![Secret::new("bearer-value")];
        let dump = format!("{config:?}");
        assert!(!dump.contains("s3cr3t-value") && !dump.contains("bearer-value"));
    }

    #[test]
    fn the_config_file_variable_is_not_a_key() {
        // `ZOOM_SCIM_CONFIG` names the file (clap reads it); the key provider skips it.
        let config = load(
            &[("ZOOM_SCIM_CONFIG", "c.toml")],
            Some("[scim]\nmax_count = 20\n"),
        )
        .unwrap();
        assert_eq!(config.scim.max_count, 20);
    }

    #[test]
    fn an_empty_jwt_algorithm_turns_jwt_off() {
        let config = load(&[("ZOOM_SCIM_AUTH__JWT__ALGORITHM", "")], None).unwrap();
        assert_eq!(config.auth.jwt.algorithm, None);
        let config = load(&[("ZOOM_SCIM_AUTH__JWT__ALGORITHM", "RS256")], None).unwrap();
        assert_eq!(config.auth.jwt.algorithm, Some(JwtAlgorithm::RS256));
        let err = load(&[("ZOOM_SCIM_AUTH__JWT__ALGORITHM", "HS512")], None).unwrap_err();
        assert_eq!(err.key, "auth.jwt.algorithm");
        assert!(err.message.contains("HS512"), "{err}");
    }

    #[test]
    fn protected_users_take_a_comma_separated_string() {
        let config = load(
            &[(
                "ZOOM_SCIM_SCIM__PROTECTED_USERS",
                "a@example.com, b@example.com",
            )],
            None,
        )
        .unwrap();
        assert_eq!(
            config.scim.protected_users,
            ["a@example.com", "b@example.com"]
        );
        let config = load(&[], Some("[scim]\nprotected_users = [\"c@example.com\"]\n")).unwrap();
        assert_eq!(config.scim.protected_users, ["c@example.com"]);
    }

    #[test]
    fn a_toml_syntax_error_names_the_file() {
        let err = load(&[], Some("[server\nlisten = 1\n")).unwrap_err();
        assert_eq!(err.key, "--config");
        assert_eq!(err.env, "ZOOM_SCIM_CONFIG");
        assert!(err.message.starts_with("file c.toml: "), "{err}");
    }

    #[test]
    fn validation_refuses_unusable_urls_and_limits() {
        let refused = |change: &dyn Fn(&mut Config)| {
            let mut config = Config::default();
            change(&mut config);
            config.validate(Mode::Demo).unwrap_err()
        };
        let err = refused(&|c| c.server.public_url = "notaurl".into());
        assert_eq!(err.key, "server.public_url");
        let err = refused(&|c| c.server.public_url = "ftp://scim.example.com".into());
        assert_eq!(err.key, "server.public_url");
        let err = refused(&|c| c.zoom.api_base_url = "https://api.zoom.us/v3".into());
        assert_eq!(err.key, "zoom.api_base_url");
        assert!(err.message.contains("/v2"), "{err}");
        let err = refused(&|c| c.zoom.token_url = "zoom.us/oauth/token".into());
        assert_eq!(err.key, "zoom.token_url");
        let err = refused(&|c| c.server.request_timeout_s = 0);
        assert_eq!(err.key, "server.request_timeout_s");
        let err = refused(&|c| c.server.max_body_bytes = 0);
        assert_eq!(err.key, "server.max_body_bytes");
        let err = refused(&|c| c.scim.max_count = 0);
        assert_eq!(err.key, "scim.max_count");
        let err = refused(&|c| c.zoom.retry_max_ms = 10);
        assert_eq!(err.key, "zoom.retry_max_ms");

        let mut config = Config::default();
        config.server.public_url = "https://scim.example.com/zoom/".into();
        config.zoom.api_base_url = "http://127.0.0.1:9090/v2/".into();
        config.validate(Mode::Demo).unwrap();
        assert_eq!(config.server.public_base(), "https://scim.example.com/zoom");
    }

    #[test]
    fn env_var_names() {
        assert_eq!(
            env_var_for("zoom.client_secret_file"),
            "ZOOM_SCIM_ZOOM__CLIENT_SECRET_FILE"
        );
    }
}
