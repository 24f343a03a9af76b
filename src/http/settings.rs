//! The HTTP layer's settings: `[server]` (the listener and its limits) and `[auth]`
//! (how SCIM clients authenticate).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};

use crate::secret::Secret;
use crate::setting::{self, Invalid};

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
    /// calls); a streamed listing's deadline is on progress instead: each part within
    /// this many seconds of the last.
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

/// The smallest `server.max_body_bytes` accepted: below it no SCIM request fits.
const MIN_BODY_BYTES: usize = 1024;

impl ServerConfig {
    /// Refuses limits the server cannot run with.
    pub fn validate(&self) -> Result<(), Invalid> {
        if !self.public_url.is_empty() {
            setting::http_url("public_url", &self.public_url)?;
        }
        setting::at_least_one(&[
            ("request_timeout_s", self.request_timeout_s),
            ("header_read_timeout_s", self.header_read_timeout_s),
            ("body_read_timeout_s", self.body_read_timeout_s),
            ("max_connections", self.max_connections as u64),
        ])?;
        if self.max_body_bytes < MIN_BODY_BYTES {
            return Err(Invalid::new(
                "max_body_bytes",
                format!("must be at least {MIN_BODY_BYTES} (a SCIM request needs room)"),
            ));
        }
        Ok(())
    }
}

/// How SCIM clients authenticate: static bearer tokens, JWTs, or both.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Static bearer tokens (a list, or one string with comma-separated tokens).
    #[serde(deserialize_with = "setting::secret_list")]
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

impl AuthConfig {
    /// Refuses a configuration with which no SCIM client could authenticate (the keys
    /// themselves are checked where they are loaded, `http::Authenticator::new`).
    pub fn require_a_method(&self) -> Result<(), Invalid> {
        if self.tokens.is_empty() && self.jwt.algorithm.is_none() {
            return Err(Invalid::new(
                "tokens",
                "no SCIM client could authenticate: set static tokens or auth.jwt.algorithm",
            ));
        }
        Ok(())
    }
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
