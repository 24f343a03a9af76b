//! The one error type of the Zoom client: what went wrong (a classified [`ErrorKind`])
//! plus everything Zoom said about it (status, code, field errors, tracking id, rate
//! category, reset time) and which call it was.
//!
//! How an answer becomes one (Zoom's codes and statuses, rate-limit headers, transport
//! failures) is in `classify.rs`.

use std::fmt;
use std::ops::Deref;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::limits::Category;

mod classify;

pub use classify::TRACKING_ID_HEADER;
pub(crate) use classify::{classify_unrecognised, next_utc_midnight, sanitize_body};

/// Whose daily quota a daily 429 says is spent ([`ZoomError::daily_scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyScope {
    /// The account's quota of the call's rate-limit category: every call of it waits.
    Category,
    /// The account's quota of this kind of call (e.g. creating users): only it waits.
    Endpoint,
    /// One user's quota (e.g. three e-mail changes a day): nothing else waits.
    User,
}

/// Why the token endpoint refused to issue a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// Wrong client id or client secret (`invalid_client`, codes 4702/4704/4706).
    InvalidClient,
    /// The account id is unknown ("Account does not exist").
    UnknownAccount,
    /// The Server-to-Server app is deactivated (code 4717).
    AppDisabled,
    /// The API refused a token twice in a row (401, code 124).
    TokenRejected,
    /// Any other refusal; the message says what Zoom said.
    Other,
}

/// What kind of failure a [`ZoomError`] is; decides how callers react.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The user, group, role, member, site or number does not exist (404; codes 1001,
    /// 4130, 4131, 1034).
    NotFound,
    /// The email or group name is taken (409 codes 1005 and 4132, role code 1224, and 412
    /// as the Java connector's README says Zoom answers; contract section 3.2).
    Duplicate,
    /// The email holds an active account in another Zoom account (code 1009).
    AlreadyActiveElsewhere,
    /// Zoom rejected a field value (code 300, or a 400 carrying `errors`).
    Validation,
    /// No privilege, or the plan lacks the feature (code 200, HTTP 403).
    Permission,
    /// The token lacks a scope (codes 4711 and 4700).
    MissingScope,
    /// Authentication failed.
    Auth(AuthFailure),
    /// The user has not accepted the invitation (code 1120; code 1000 on settings of a
    /// pending user).
    PendingUser,
    /// The user is deactivated (code 1053).
    InactiveUser,
    /// Zoom's rate limit answered 429; `daily` when the daily quota is spent.
    RateLimited {
        /// True for `X-RateLimit-Type: Daily-limit`.
        daily: bool,
    },
    /// Zoom could not be reached or failed (5xx, connection errors, timeouts), after
    /// retries.
    Unavailable,
    /// A 409 that is not a duplicate.
    Conflict,
    /// Any other 4xx.
    BadRequest,
    /// Zoom, or a proxy in front of it, answered something this client cannot read: a
    /// success body that does not parse, or a 4xx that is not Zoom's JSON error (an HTML
    /// page from a gateway), which says nothing about the request's values.
    Decode,
    /// The client itself is misconfigured (no client secret, a bad URL).
    Config,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::NotFound => "not found",
            Self::Duplicate => "already exists",
            Self::AlreadyActiveElsewhere => "already active in another Zoom account",
            Self::Validation => "validation failed",
            Self::Permission => "permission denied",
            Self::MissingScope => "missing OAuth scope",
            Self::Auth(AuthFailure::InvalidClient) => "invalid client id or client secret",
            Self::Auth(AuthFailure::UnknownAccount) => "unknown Zoom account id",
            Self::Auth(AuthFailure::AppDisabled) => "Server-to-Server OAuth app is disabled",
            Self::Auth(AuthFailure::TokenRejected) => "access token rejected",
            Self::Auth(AuthFailure::Other) => "authentication failed",
            Self::PendingUser => "user is pending",
            Self::InactiveUser => "user is deactivated",
            Self::RateLimited { daily: true } => "daily rate limit reached",
            Self::RateLimited { daily: false } => "rate limited",
            Self::Unavailable => "Zoom unavailable",
            Self::Conflict => "conflict",
            Self::BadRequest => "bad request",
            Self::Decode => "unreadable response",
            Self::Config => "client misconfigured",
        };
        f.write_str(text)
    }
}

/// One entry of Zoom's `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldError {
    /// The field path, e.g. `user_info.email`.
    #[serde(default)]
    pub field: String,
    /// What is wrong with it.
    #[serde(default)]
    pub message: String,
}

/// How far a batched call got before it failed (e.g. adding 75 members in batches of 30).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartialProgress {
    /// Ids in batches Zoom accepted.
    pub succeeded: Vec<String>,
    /// Ids in the batch that failed.
    pub failed: Vec<String>,
    /// Ids never sent.
    pub not_attempted: Vec<String>,
}

/// Everything known about a failed Zoom call; reached through [`ZoomError`]'s `Deref`.
#[derive(Debug, Clone)]
pub struct ZoomErrorDetail {
    /// The classification.
    pub kind: ErrorKind,
    /// HTTP status, when Zoom answered.
    pub status: Option<u16>,
    /// Zoom's `code` (or the OAuth `error` mapped to a code where Zoom documents one).
    pub code: Option<i64>,
    /// Zoom's message, or a sanitised prefix of a non-JSON body, or the transport error.
    pub message: String,
    /// The answer was not Zoom's JSON error: `message` is an excerpt of a body nobody
    /// vouches for (a proxy's page), fit for the log but not for a SCIM client.
    pub unrecognised_body: bool,
    /// Zoom's `errors` array.
    pub errors: Vec<FieldError>,
    /// Whose quota a daily 429 says is spent (see [`ZoomError::daily_scope`]).
    pub daily_scope: Option<DailyScope>,
    /// `x-zm-trackingid`, for Zoom support.
    pub tracking_id: Option<String>,
    /// The rate-limit category of the call.
    pub category: Option<Category>,
    /// When to try again: the daily reset for a daily 429, `Retry-After` for a QPS 429.
    pub retry_at: Option<DateTime<Utc>>,
    /// The HTTP method.
    pub method: &'static str,
    /// The path template, e.g. `/users/{userId}` (never the concrete id).
    pub path: &'static str,
    /// Attempts made before giving up.
    pub attempts: u32,
    /// Set when a batched call failed part-way.
    pub partial: Option<PartialProgress>,
    /// The request may have reached Zoom and taken effect (timeout, dropped connection
    /// after sending, 5xx).
    pub outcome_unknown: bool,
}

/// A failed Zoom call. Small (one pointer) so `Result<T, ZoomError>` stays cheap; the
/// details are reached through `Deref` (`err.kind`, `err.status`...).
#[derive(Clone)]
pub struct ZoomError(Box<ZoomErrorDetail>);

impl Deref for ZoomError {
    type Target = ZoomErrorDetail;
    fn deref(&self) -> &ZoomErrorDetail {
        &self.0
    }
}

impl fmt::Debug for ZoomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ZoomError {
    /// One line: call, kind, status and code, message, field errors, tracking id. Never
    /// contains a token: messages come from Zoom's answer or the transport error, and
    /// the request's headers are never formatted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        if d.kind == ErrorKind::Config {
            write!(f, "Zoom client: {}", d.kind)?;
        } else {
            write!(f, "Zoom {} {}: {}", d.method, d.path, d.kind)?;
        }
        match (d.status, d.code) {
            (Some(status), Some(code)) => write!(f, " (HTTP {status}, code {code})")?,
            (Some(status), None) => write!(f, " (HTTP {status})")?,
            (None, Some(code)) => write!(f, " (code {code})")?,
            (None, None) => {}
        }
        if !d.message.is_empty() {
            write!(f, ": {}", d.message)?;
        }
        for field in &d.errors {
            write!(f, "; {}: {}", field.field, field.message)?;
        }
        if let Some(at) = d.retry_at {
            write!(f, "; retry after {}", at.format("%Y-%m-%dT%H:%M:%SZ"))?;
        }
        if d.attempts > 1 {
            write!(f, "; after {} attempts", d.attempts)?;
        }
        if let Some(id) = &d.tracking_id {
            write!(f, " [tracking id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ZoomError {}

impl ZoomError {
    /// An error of `kind` for the call `method path`.
    pub fn new(
        kind: ErrorKind,
        method: &'static str,
        path: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self(Box::new(ZoomErrorDetail {
            kind,
            status: None,
            code: None,
            message: message.into(),
            unrecognised_body: false,
            daily_scope: None,
            errors: Vec::new(),
            tracking_id: None,
            category: None,
            retry_at: None,
            method,
            path,
            attempts: 1,
            partial: None,
            outcome_unknown: false,
        }))
    }

    /// The details, mutably (builders inside the client).
    pub(crate) fn detail_mut(&mut self) -> &mut ZoomErrorDetail {
        &mut self.0
    }

    /// Zoom answered with a refusal that changed nothing: a 4xx other than a rate limit
    /// or a rejected token, so a write may be planned again from a read.
    pub fn refused_unchanged(&self) -> bool {
        !self.outcome_unknown
            && self
                .status
                .is_some_and(|s| (400..500).contains(&s) && s != 401 && s != 429)
    }

    /// The resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// The email or name is already taken.
    pub fn is_duplicate(&self) -> bool {
        self.kind == ErrorKind::Duplicate
    }

    /// Zoom's rate limit refused the call (either kind).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self.kind, ErrorKind::RateLimited { .. })
    }

    /// A daily limit refused the call; see `retry_at` and [`ZoomError::daily_scope`].
    pub fn is_daily_limit(&self) -> bool {
        self.kind == ErrorKind::RateLimited { daily: true }
    }

    /// Whose quota a daily 429 says is spent; `None` for any other error.
    pub fn daily_scope(&self) -> Option<DailyScope> {
        self.daily_scope
    }

    /// Zoom is down, unreachable or too slow.
    pub fn is_unavailable(&self) -> bool {
        self.kind == ErrorKind::Unavailable
    }

    /// Authentication failed (credentials, account, disabled app, rejected token).
    pub fn is_auth(&self) -> bool {
        matches!(self.kind, ErrorKind::Auth(_))
    }

    /// A permission or plan problem.
    pub fn is_permission(&self) -> bool {
        self.kind == ErrorKind::Permission
    }

    /// A field value was rejected.
    pub fn is_validation(&self) -> bool {
        self.kind == ErrorKind::Validation
    }

    /// The user is pending (invitation not accepted or expired).
    pub fn is_pending_user(&self) -> bool {
        self.kind == ErrorKind::PendingUser
    }

    /// The user is deactivated.
    pub fn is_inactive_user(&self) -> bool {
        self.kind == ErrorKind::InactiveUser
    }

    /// The API rejected the bearer token (401, code 124).
    pub(crate) fn is_token_rejected(&self) -> bool {
        self.kind == ErrorKind::Auth(AuthFailure::TokenRejected)
    }

    /// Zoom's `next_page_token` expired (15 minutes) or is invalid: 400 with code 300 on
    /// users and groups, code 400 on phone ("The next page token is invalid or expired").
    pub fn is_page_token_expired(&self) -> bool {
        self.status == Some(400)
            && matches!(self.code, Some(300) | Some(400))
            && self.message.to_ascii_lowercase().contains("page token")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_one_pointer_wide() {
        assert_eq!(
            std::mem::size_of::<ZoomError>(),
            std::mem::size_of::<usize>()
        );
    }
}
