//! [`ZoomClient`]: one shared HTTP client, token cache, rate limiter and retry policy,
//! and one typed method per Zoom call. Every call runs the same pipeline: daily-quota
//! check -> concurrency permit -> rate-limit slot -> token -> send -> classify -> retry.
//!
//! Non-idempotent calls are never blindly replayed: when a `POST` may have taken effect
//! (timeout, dropped connection, 5xx), the client first checks whether it did (e.g.
//! `GET /users/{email}` after `POST /users`) and only replays when it did not.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::{BoxStream, TryStreamExt};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::Instrument;

use super::auth::{AccessToken, HttpTokenSource, TokenProvider};
use super::error::{DailyScope, ErrorKind, PartialProgress, ZoomError};
use super::limits::{ApiFamily, Category};
use super::model::{
    AccountCallingPlan, AddMembersResponse, AddedMembers, CreateUser, CreatedUser, DeleteUser,
    Group, GroupCreate, ListPhoneUsersQuery, ListUsersQuery, MEMBER_ROLE_ID, Member, PhoneNumber,
    PhoneNumberFilter, PhoneNumberRef, PhoneSite, PhoneUser, PhoneUserProfile, Role, StatusAction,
    UpdatePhoneUser, UpdateUser, UserSettings, ZoomUser,
};
use super::paging::{Page, paginate};
use super::ratelimit::RateLimits;
use super::retry::{RetryPolicy, is_retryable};
use crate::config::ZoomConfig;

/// Largest page sizes per endpoint. Zoom "Pagination": "Up to 300 items per page"; the
/// newest Users spec allows 2000 on `GET /users` (used only when configured higher);
/// `GET /phone/users` and `GET /phone/numbers` allow 100.
const MAX_PAGE_USERS: u32 = 2000;
const MAX_PAGE_GROUPS: u32 = 300;
/// `GET /groups/{groupId}/members` `page_size` "maximum: 2000" (Zoom Users API).
const MAX_PAGE_GROUP_MEMBERS: u32 = 2000;
/// `GET /roles/{roleId}/members` `page_size` "maximum: 300" (Zoom Accounts API).
const MAX_PAGE_ROLE_MEMBERS: u32 = 300;
const MAX_PAGE_PHONE_USERS: u32 = 100;
const MAX_PAGE_SITES: u32 = 300;
const MAX_PAGE_PHONE_NUMBERS: u32 = 100;
/// "Add members ... up to 30" (groups and roles).
const MEMBERS_PER_ADD: usize = 30;

/// RFC 3986 unreserved characters stay; everything else in a path segment is
/// percent-encoded (Zoom ids may contain `&`, emails contain `@` and `+`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One path segment, percent-encoded.
fn seg(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// Why a built path cannot name the resource its operation names, if it cannot; such a
/// call is answered as Zoom answers an unknown id (404), without being sent.
///
/// Every segment must be one that URL parsing leaves alone and that can only name a
/// resource: an empty segment (an empty id) would reach the collection above it, and
/// `.` or `..` are removed by URL normalisation (RFC 3986 section 5.2.4), walking up
/// the path (`/groups/g/members/..` is `DELETE /groups/g/`, the group itself). Zoom's
/// ids are 22 characters and its e-mail addresses at most 128: a segment longer than
/// [`MAX_SEGMENT_BYTES`] names nothing either, and a URL of kilobytes would only earn
/// a gateway's 414. [`ZoomClient::send_once`] checks again that the parsed URL kept
/// the path as built.
fn unusable_path(path: &str) -> Option<&'static str> {
    let mut segments = path.strip_prefix('/')?.split('/');
    segments
        .try_for_each(|s| match s {
            "" => Err("an empty id names no Zoom resource"),
            "." | ".." => Err("a dot segment names no Zoom resource"),
            s if s.len() > MAX_SEGMENT_BYTES => Err("no Zoom resource has an id this long"),
            _ => Ok(()),
        })
        .err()
}

/// The answer to a call that names no Zoom resource and is not sent: what Zoom answers
/// an unknown id (404).
fn unsent_not_found(op: Op, why: &'static str) -> ZoomError {
    let mut err = ZoomError::new(ErrorKind::NotFound, op.method, op.path, why);
    err.detail_mut().status = Some(404);
    err
}

/// A Zoom operation: method, path template and rate-limit category (each operation's
/// "Rate Limit Label" in Zoom's OpenAPI documents; contract section 7.2).
#[derive(Debug, Clone, Copy)]
struct Op {
    method: &'static str,
    path: &'static str,
    family: ApiFamily,
    category: Category,
}

impl Op {
    const fn general(method: &'static str, path: &'static str, category: Category) -> Self {
        Self {
            method,
            path,
            family: ApiFamily::General,
            category,
        }
    }

    const fn phone(method: &'static str, path: &'static str, category: Category) -> Self {
        Self {
            method,
            path,
            family: ApiFamily::Phone,
            category,
        }
    }

    fn http_method(&self) -> Method {
        match self.method {
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            _ => Method::GET,
        }
    }
}

/// Every Zoom call the service makes.
mod ops {
    use super::Op;
    use crate::zoom::limits::Category::{Light, Medium};

    pub const LIST_USERS: Op = Op::general("GET", "/users", Medium);
    pub const CREATE_USER: Op = Op::general("POST", "/users", Light);
    pub const GET_USER: Op = Op::general("GET", "/users/{userId}", Light);
    pub const UPDATE_USER: Op = Op::general("PATCH", "/users/{userId}", Light);
    pub const DELETE_USER: Op = Op::general("DELETE", "/users/{userId}", Light);
    pub const USER_STATUS: Op = Op::general("PUT", "/users/{userId}/status", Light);
    pub const USER_EMAIL: Op = Op::general("PUT", "/users/{userId}/email", Light);
    pub const USER_TOKEN: Op = Op::general("DELETE", "/users/{userId}/token", Light);
    pub const USER_SETTINGS: Op = Op::general("GET", "/users/{userId}/settings", Medium);
    pub const UPDATE_USER_SETTINGS: Op = Op::general("PATCH", "/users/{userId}/settings", Medium);

    pub const LIST_GROUPS: Op = Op::general("GET", "/groups", Medium);
    pub const CREATE_GROUP: Op = Op::general("POST", "/groups", Light);
    pub const GET_GROUP: Op = Op::general("GET", "/groups/{groupId}", Light);
    pub const UPDATE_GROUP: Op = Op::general("PATCH", "/groups/{groupId}", Light);
    pub const DELETE_GROUP: Op = Op::general("DELETE", "/groups/{groupId}", Light);
    pub const LIST_GROUP_MEMBERS: Op = Op::general("GET", "/groups/{groupId}/members", Medium);
    pub const ADD_GROUP_MEMBERS: Op = Op::general("POST", "/groups/{groupId}/members", Medium);
    pub const REMOVE_GROUP_MEMBER: Op =
        Op::general("DELETE", "/groups/{groupId}/members/{memberId}", Light);

    pub const LIST_ROLES: Op = Op::general("GET", "/roles", Medium);
    pub const GET_ROLE: Op = Op::general("GET", "/roles/{roleId}", Light);
    pub const LIST_ROLE_MEMBERS: Op = Op::general("GET", "/roles/{roleId}/members", Medium);
    pub const ADD_ROLE_MEMBERS: Op = Op::general("POST", "/roles/{roleId}/members", Medium);
    pub const REMOVE_ROLE_MEMBER: Op =
        Op::general("DELETE", "/roles/{roleId}/members/{memberId}", Light);

    pub const LIST_PHONE_USERS: Op = Op::phone("GET", "/phone/users", Medium);
    pub const GET_PHONE_USER: Op = Op::phone("GET", "/phone/users/{userId}", Light);
    pub const UPDATE_PHONE_USER: Op = Op::phone("PATCH", "/phone/users/{userId}", Light);
    pub const ASSIGN_CALLING_PLANS: Op =
        Op::phone("POST", "/phone/users/{userId}/calling_plans", Light);
    pub const UNASSIGN_CALLING_PLAN: Op = Op::phone(
        "DELETE",
        "/phone/users/{userId}/calling_plans/{planType}",
        Light,
    );
    pub const ASSIGN_PHONE_NUMBERS: Op =
        Op::phone("POST", "/phone/users/{userId}/phone_numbers", Light);
    pub const UNASSIGN_PHONE_NUMBER: Op = Op::phone(
        "DELETE",
        "/phone/users/{userId}/phone_numbers/{phoneNumberId}",
        Light,
    );
    pub const LIST_SITES: Op = Op::phone("GET", "/phone/sites", Medium);
    pub const LIST_PHONE_NUMBERS: Op = Op::phone("GET", "/phone/numbers", Medium);
    pub const LIST_CALLING_PLANS: Op = Op::phone("GET", "/phone/calling_plans", Medium);
}

/// The longest path segment (percent-encoded) sent to Zoom; see [`ZoomClient::execute`].
const MAX_SEGMENT_BYTES: usize = 1024;

/// How far Zoom's clock may trail this host's when a user's creation time is compared
/// with the time a create was sent. Too small a margin only turns a lost answer into a
/// 409 (the safe side); too large one would let a user created just before by someone
/// else pass for this call's.
const CREATE_CLOCK_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// Whether a user whose `user_created_at` is `created_at` was made by a create sent at
/// `sent_at`. Zoom gives whole seconds; a missing or unreadable time proves nothing.
/// (`created_at` is no use here: for a pending user it is the time of the read, contract
/// section 3.)
fn created_by_call_at(created_at: Option<&str>, sent_at: chrono::DateTime<Utc>) -> bool {
    created_at
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| t.with_timezone(&Utc) >= sent_at - CREATE_CLOCK_MARGIN)
}

/// Checks whether a non-idempotent call already took effect; `Some(body)` stands in for
/// the answer that was lost. Its argument is when the call's first attempt left (after
/// any wait for a rate-limit slot): what the call made cannot be older.
type EffectCheck<'a> = Box<
    dyn Fn(DateTime<Utc>) -> BoxFuture<'a, Result<Option<Bytes>, ZoomError>> + Send + Sync + 'a,
>;

/// What may be replayed after a transient failure.
enum Replay<'a> {
    /// Idempotent (GET, PUT, PATCH, DELETE, re-adding members): replay freely. For a
    /// DELETE, a 404 after an attempt that may have succeeded means it did.
    Safe,
    /// Non-idempotent: after an attempt that may have taken effect, run the check and
    /// replay only if it finds nothing.
    Check(EffectCheck<'a>),
}

/// One call to make.
struct Request<'a> {
    op: Op,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    replay: Replay<'a>,
}

impl<'a> Request<'a> {
    fn new(op: Op, path: String) -> Self {
        Self {
            op,
            path,
            query: Vec::new(),
            body: None,
            replay: Replay::Safe,
        }
    }

    fn query(mut self, query: Vec<(&'static str, String)>) -> Self {
        self.query = query;
        self
    }

    fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    fn check(mut self, check: EffectCheck<'a>) -> Self {
        self.replay = Replay::Check(check);
        self
    }
}

/// A successful answer.
struct Response {
    status: u16,
    body: Bytes,
}

struct Inner {
    http: reqwest::Client,
    api_base: String,
    /// The path of `api_base` (`/v2`), which every request's URL path starts with.
    api_base_path: String,
    auth: TokenProvider,
    limits: RateLimits,
    concurrency: Semaphore,
    retry: RetryPolicy,
    page_size: u32,
    health: super::health::ZoomHealth,
}

/// The Zoom REST API v2 client. Cheap to clone; all clones share one connection pool,
/// token cache, rate limiter and concurrency limit.
#[derive(Clone)]
pub struct ZoomClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for ZoomClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZoomClient")
            .field("api_base", &self.inner.api_base)
            .finish_non_exhaustive()
    }
}

fn config_error(message: impl Into<String>) -> ZoomError {
    ZoomError::new(ErrorKind::Config, "-", "-", message)
}

/// A 2xx answer that is not Zoom's (a proxy's HTML page, an empty body where Zoom sends
/// JSON): 502 for the SCIM client, never a success. A write's effect is then unknown.
fn unusable_answer(op: Op, status: u16, what: String) -> ZoomError {
    let mut err = ZoomError::new(ErrorKind::Decode, op.method, op.path, what);
    let d = err.detail_mut();
    d.status = Some(status);
    d.outcome_unknown = op.method != "GET";
    err
}

/// Reads the JSON body of a call whose success answer carries one.
fn decode<T: DeserializeOwned>(op: Op, response: &Response) -> Result<T, ZoomError> {
    serde_json::from_slice(&response.body).map_err(|e| {
        unusable_answer(
            op,
            response.status,
            format!("unexpected response body: {e}"),
        )
    })
}

/// Checks the answer of a call whose success answer carries no body: empty, or JSON
/// (Zoom's documentation and its live answers differ on 200/201/204, so any 2xx
/// status counts; contract section 3.6).
fn expect_no_body(op: Op, response: &Response) -> Result<(), ZoomError> {
    let body = &response.body;
    if body.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
    {
        Ok(())
    } else {
        Err(unusable_answer(
            op,
            response.status,
            "a success status with a body that is not Zoom's JSON".to_owned(),
        ))
    }
}

impl ZoomClient {
    /// Builds the client: one pooled rustls HTTP client with the configured connect and
    /// per-attempt timeouts, the token cache, the rate limiter and the retry policy.
    pub fn new(config: &ZoomConfig) -> Result<Self, ZoomError> {
        let client_secret = config
            .client_secret
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| config_error("zoom.client_secret is not set"))?;
        for (key, url) in [
            ("zoom.api_base_url", &config.api_base_url),
            ("zoom.token_url", &config.token_url),
        ] {
            reqwest::Url::parse(url)
                .map_err(|e| config_error(format!("{key} `{url}` is not a URL: {e}")))?;
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms.max(1)))
            .timeout(Duration::from_millis(config.request_timeout_ms.max(1)))
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("zoom-scim/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))?;
        let retry = RetryPolicy::from_config(config);
        let source = HttpTokenSource {
            http: http.clone(),
            token_url: config.token_url.clone(),
            account_id: config.account_id.clone(),
            client_id: config.client_id.clone(),
            client_secret,
            retry,
        };
        let api_base = config.api_base_url.trim_end_matches('/').to_owned();
        let api_base_path = reqwest::Url::parse(&api_base)
            .map(|url| url.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let inner = Inner {
            http,
            api_base,
            api_base_path,
            auth: TokenProvider::new(
                Box::new(source),
                Duration::from_secs(config.token_refresh_margin_s),
            ),
            limits: RateLimits::for_plan(config.plan, config.budget_share, config.rate_scale),
            concurrency: Semaphore::new(config.max_concurrency.clamp(1, Semaphore::MAX_PERMITS)),
            retry,
            page_size: config.page_size.max(1),
            health: Default::default(),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Obtains (or reuses) an access token: proves the credentials work (for `/readyz`).
    pub async fn check_token(&self) -> Result<(), ZoomError> {
        let result = self.inner.auth.token().await.map(|_| ());
        self.inner.health.observe(&result);
        result
    }

    /// What the last Zoom exchange showed of the service's access (for `/readyz`).
    pub fn health(&self) -> &super::health::ZoomHealth {
        &self.inner.health
    }

    // -----------------------------------------------------------------------------
    // The pipeline
    // -----------------------------------------------------------------------------

    /// Runs one call with pacing, token handling and retries.
    async fn execute(&self, req: &Request<'_>) -> Result<Response, ZoomError> {
        let op = req.op;
        if let Some(why) = unusable_path(&req.path) {
            return Err(unsent_not_found(op, why));
        }
        let span = tracing::debug_span!(
            "zoom_call",
            method = op.method,
            path = op.path,
            category = op.category.as_str(),
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            wait_ms = tracing::field::Empty,
        );
        let result = self
            .execute_in_span(req, &span)
            .instrument(span.clone())
            .await;
        self.inner.health.observe(&result);
        result
    }

    async fn execute_in_span(
        &self,
        req: &Request<'_>,
        span: &tracing::Span,
    ) -> Result<Response, ZoomError> {
        let inner = &*self.inner;
        let op = req.op;
        let started = Instant::now();
        let mut attempts = 0u32;
        let mut transient_failures = 0u32;
        let mut token_replayed = false;
        // An earlier attempt may have taken effect although its answer was lost.
        let mut maybe_applied = false;
        let mut first_sent_at: Option<DateTime<Utc>> = None;
        loop {
            attempts += 1;
            span.record("attempt", attempts);
            let now = Utc::now();
            let blocked = match inner.limits.daily_block(op.family, op.category, now) {
                Some(until) => Some((until, DailyScope::Category)),
                None => inner
                    .limits
                    .endpoint_daily_block(op.method, op.path, now)
                    .map(|until| (until, DailyScope::Endpoint)),
            };
            if let Some((until, scope)) = blocked {
                let mut err = ZoomError::new(
                    ErrorKind::RateLimited { daily: true },
                    op.method,
                    op.path,
                    "the daily quota is spent; not calling Zoom until it resets",
                );
                let d = err.detail_mut();
                d.daily_scope = Some(scope);
                d.retry_at = Some(until);
                d.category = Some(op.category);
                return Err(err);
            }
            // Concurrency permit first, then the rate slot: the request leaves right after
            // its slot is granted, so queued requests cannot bunch up into a burst.
            let permit = inner
                .concurrency
                .acquire()
                .await
                .map_err(|_| config_error("the client is shutting down"))?;
            let waited = inner.limits.acquire(op.family, op.category).await;
            span.record("wait_ms", waited.as_millis() as u64);
            metrics::histogram!(
                "zoom_limiter_wait_seconds",
                "category" => op.category.as_str(),
                "family" => op.family.as_str()
            )
            .record(waited.as_secs_f64());
            let token = inner.auth.token().await?;
            // The first attempt's send time, after any limiter wait: what a lost answer's
            // effect check compares Zoom's creation time with.
            let first_sent = *first_sent_at.get_or_insert_with(Utc::now);
            let outcome = self.send_once(req, &token).await;
            drop(permit);

            let status_label = match &outcome {
                Ok(response) => response.status.to_string(),
                Err(err) => err
                    .status
                    .map_or_else(|| "error".to_owned(), |s| s.to_string()),
            };
            metrics::counter!(
                "zoom_requests_total",
                "method" => op.method,
                "path" => op.path,
                "category" => op.category.as_str(),
                "status" => status_label.clone()
            )
            .increment(1);
            span.record("status", status_label.as_str());

            let mut err = match outcome {
                Ok(response) => {
                    tracing::debug!(
                        attempt = attempts,
                        status = response.status,
                        "Zoom call succeeded"
                    );
                    inner
                        .limits
                        .lift_daily(op.family, op.category, op.method, op.path);
                    return Ok(response);
                }
                Err(err) => err,
            };
            {
                let d = err.detail_mut();
                d.attempts = attempts;
                d.category.get_or_insert(op.category);
            }
            tracing::debug!(attempt = attempts, error = %err, "Zoom call failed");

            if err.is_token_rejected() {
                // Zoom invalidates a token when another one is issued for the same app
                // (contract section 6.1): fetch a new one and replay once.
                inner.auth.invalidate(&token);
                if !token_replayed {
                    token_replayed = true;
                    tracing::info!(
                        "Zoom rejected the access token (code 124); replaying with a new one"
                    );
                    continue;
                }
                return Err(err);
            }
            if let Some(scope) = err.daily_scope() {
                let until = err
                    .retry_at
                    .unwrap_or_else(|| super::error::next_utc_midnight(Utc::now()));
                metrics::counter!("zoom_rate_limited_total", "type" => "daily").increment(1);
                // Only the quota Zoom says is spent waits: a user's or one call's daily
                // limit must not stop every other call of the category for a day.
                match scope {
                    DailyScope::Category => {
                        let now = Utc::now();
                        inner.limits.block_daily(op.family, op.category, until, now);
                        if let Some(category) = err.category {
                            inner.limits.block_daily(op.family, category, until, now);
                        }
                        tracing::warn!(category = %op.category, retry_at = %until, "Zoom daily rate limit of the category reached; its calls fail fast until it resets");
                    }
                    DailyScope::Endpoint => {
                        inner
                            .limits
                            .block_endpoint_daily(op.method, op.path, until, Utc::now());
                        tracing::warn!(method = op.method, path = op.path, retry_at = %until, "Zoom daily limit of this kind of call reached; these calls fail fast until it resets");
                    }
                    DailyScope::User => {
                        tracing::warn!(method = op.method, path = op.path, retry_at = %until, "Zoom daily limit for one user reached; other users' calls go on");
                    }
                }
                return Err(err);
            }
            if err.is_rate_limited() {
                metrics::counter!("zoom_rate_limited_total", "type" => "qps").increment(1);
                tracing::warn!(category = %op.category, path = op.path, "Zoom answered 429 (per-second limit)");
            }
            if maybe_applied && err.is_not_found() && op.method == "DELETE" {
                tracing::info!(
                    path = op.path,
                    "DELETE answered 404 after an earlier attempt with unknown outcome; it was applied"
                );
                return Ok(Response {
                    status: 204,
                    body: Bytes::new(),
                });
            }
            if maybe_applied
                && err.is_duplicate()
                && let Replay::Check(check) = &req.replay
                && let Ok(Some(body)) = check(first_sent).await
            {
                tracing::info!(
                    path = op.path,
                    "an earlier attempt with unknown outcome had succeeded"
                );
                return Ok(Response { status: 200, body });
            }
            if !is_retryable(&err) {
                return Err(err);
            }
            if err.outcome_unknown {
                match &req.replay {
                    Replay::Safe => {}
                    Replay::Check(check) => match check(first_sent).await {
                        Ok(Some(body)) => {
                            tracing::info!(
                                path = op.path,
                                "the call took effect although its answer was lost; not replaying"
                            );
                            return Ok(Response { status: 200, body });
                        }
                        Ok(None) => {}
                        Err(check_error) => {
                            tracing::warn!(error = %check_error, "cannot tell whether the call took effect; not replaying");
                            return Err(err);
                        }
                    },
                }
                maybe_applied = true;
            }
            transient_failures += 1;
            let server_delay = err
                .retry_at
                .map(|at| (at - Utc::now()).to_std().unwrap_or(Duration::ZERO));
            let delay = inner.retry.next_delay(
                transient_failures,
                started.elapsed(),
                server_delay,
                &mut rand::rng(),
            );
            let Some(delay) = delay else {
                return Err(err);
            };
            metrics::counter!(
                "zoom_retries_total",
                "path" => op.path,
                "reason" => if err.is_rate_limited() { "rate_limited" } else { "unavailable" }
            )
            .increment(1);
            tracing::warn!(
                attempt = attempts,
                delay_ms = delay.as_millis() as u64,
                error = %err,
                "retrying Zoom call"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One HTTP exchange.
    async fn send_once(
        &self,
        req: &Request<'_>,
        token: &AccessToken,
    ) -> Result<Response, ZoomError> {
        let op = req.op;
        let url = reqwest::Url::parse(&format!("{}{}", self.inner.api_base, req.path))
            .ok()
            .filter(|url| {
                url.path()
                    .strip_prefix(self.inner.api_base_path.as_str())
                    .is_some_and(|rest| rest == req.path)
            })
            .ok_or_else(|| unsent_not_found(op, "the URL would not keep the path as built"))?;
        let mut builder = self
            .inner
            .http
            .request(op.http_method(), url)
            .bearer_auth(token.expose())
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        if let Some(body) = &req.body {
            builder = builder.json(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| ZoomError::from_transport(e, op.method, op.path))?;
        let status = response.status().as_u16();
        // Only errors read the headers (Retry-After, X-RateLimit-*): no copy on success.
        let headers = if (200..300).contains(&status) {
            reqwest::header::HeaderMap::new()
        } else {
            response.headers().clone()
        };
        let body = response
            .bytes()
            .await
            .map_err(|e| ZoomError::from_transport(e, op.method, op.path))?;
        if (200..300).contains(&status) {
            Ok(Response { status, body })
        } else {
            Err(ZoomError::from_response(
                op.method,
                op.path,
                status,
                &headers,
                &body,
                Utc::now(),
            ))
        }
    }

    async fn call_json<T: DeserializeOwned>(&self, req: Request<'_>) -> Result<T, ZoomError> {
        let response = self.execute(&req).await?;
        decode(req.op, &response)
    }

    async fn call_unit(&self, req: Request<'_>) -> Result<(), ZoomError> {
        let response = self.execute(&req).await?;
        expect_no_body(req.op, &response)
    }

    async fn call_page<T: DeserializeOwned>(
        &self,
        req: Request<'_>,
        items_key: &str,
    ) -> Result<Page<T>, ZoomError> {
        let response = self.execute(&req).await?;
        Page::from_body(&response.body, items_key, req.op.method, req.op.path)
    }

    /// `Some(body)` if the GET finds the resource, `None` on 404.
    async fn find(&self, op: Op, path: String) -> Result<Option<Bytes>, ZoomError> {
        match self.execute(&Request::new(op, path)).await {
            Ok(response) => Ok(Some(response.body)),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn page_size(&self, requested: Option<u32>, max: u32) -> u32 {
        requested.unwrap_or(self.inner.page_size).clamp(1, max)
    }

    /// Adds `ids` in batches of 30; on failure reports what got in.
    async fn add_members_batched<S: AsRef<str>>(
        &self,
        op: Op,
        path: String,
        ids: &[S],
    ) -> Result<AddedMembers, ZoomError> {
        let ids: Vec<String> = ids.iter().map(|s| s.as_ref().to_owned()).collect();
        let mut added = AddedMembers::default();
        let mut succeeded: Vec<String> = Vec::new();
        let batches: Vec<&[String]> = ids.chunks(MEMBERS_PER_ADD).collect();
        for (index, batch) in batches.iter().enumerate() {
            let body = json!({
                "members": batch.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>()
            });
            // Re-adding a member is idempotent in Zoom, so a lost answer is replayed.
            match self
                .call_json::<AddMembersResponse>(Request::new(op, path.clone()).json(body))
                .await
            {
                Ok(answer) => {
                    if answer.added_at.is_some() {
                        added.added_at = answer.added_at;
                    }
                    let reported: Vec<String> = answer
                        .ids
                        .as_deref()
                        .unwrap_or("")
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if reported.is_empty() {
                        added.ids.extend(batch.iter().cloned());
                    } else {
                        added.ids.extend(reported);
                    }
                    succeeded.extend(batch.iter().cloned());
                }
                Err(mut err) => {
                    err.detail_mut().partial = Some(PartialProgress {
                        succeeded,
                        failed: batch.to_vec(),
                        not_attempted: batches[index + 1..].concat(),
                    });
                    return Err(err);
                }
            }
        }
        Ok(added)
    }

    // -----------------------------------------------------------------------------
    // Users
    // -----------------------------------------------------------------------------

    /// One page of `GET /users`.
    pub async fn list_users_page(
        &self,
        query: &ListUsersQuery,
        next_page_token: Option<&str>,
    ) -> Result<Page<ZoomUser>, ZoomError> {
        let mut q = vec![(
            "page_size",
            self.page_size(query.page_size, MAX_PAGE_USERS).to_string(),
        )];
        if let Some(status) = query.status {
            q.push(("status", status.as_str().to_owned()));
        }
        if let Some(role_id) = &query.role_id {
            q.push(("role_id", role_id.clone()));
        }
        if let Some(token) = next_page_token {
            q.push(("next_page_token", token.to_owned()));
        }
        self.call_page(
            Request::new(ops::LIST_USERS, "/users".into()).query(q),
            "users",
        )
        .await
    }

    /// Every user matching `query`, page after page (de-duplicated by id, or by email for
    /// pending users, who have no id in listings).
    pub fn list_users(
        &self,
        query: ListUsersQuery,
    ) -> BoxStream<'static, Result<ZoomUser, ZoomError>> {
        let client = self.clone();
        paginate(
            move |token| {
                let client = client.clone();
                let query = query.clone();
                async move { client.list_users_page(&query, token.as_deref()).await }
            },
            |user: &ZoomUser| {
                Some(match &user.id {
                    Some(id) => format!("id:{id}"),
                    None => format!("email:{}", user.email.to_lowercase()),
                })
            },
        )
    }

    /// `GET /users/{userId}` by id or email.
    pub async fn get_user(&self, id_or_email: &str) -> Result<ZoomUser, ZoomError> {
        self.call_json(Request::new(
            ops::GET_USER,
            format!("/users/{}", seg(id_or_email)),
        ))
        .await
    }

    /// `POST /users`. An email already in use gives [`ErrorKind::Duplicate`]. If the
    /// answer is lost, the user is looked up by email before any replay, so a lost answer
    /// never creates a second invitation.
    ///
    /// A user found by that look-up counts as this call's only if Zoom created it after
    /// the call was sent ([`created_by_call_at`]): an account that already had the e-mail
    /// is never taken for a new one (the replay then meets Zoom's 409 code 1005).
    pub async fn create_user(&self, user: &CreateUser) -> Result<CreatedUser, ZoomError> {
        let body = serde_json::to_value(user)
            .map_err(|e| config_error(format!("cannot encode the user: {e}")))?;
        let email = user.user_info.email.clone();
        let check: EffectCheck<'_> = Box::new(move |sent_at| {
            let path = format!("/users/{}", seg(&email));
            Box::pin(async move {
                let Some(found) = self.find(ops::GET_USER, path).await? else {
                    return Ok(None);
                };
                let created_at = serde_json::from_slice::<ZoomUser>(&found)
                    .ok()
                    .and_then(|u| u.user_created_at);
                if created_by_call_at(created_at.as_deref(), sent_at) {
                    return Ok(Some(found));
                }
                tracing::warn!(
                    user_created_at = created_at.as_deref().unwrap_or("absent"),
                    "a user with this e-mail exists, but not one this create made: treated as a duplicate"
                );
                Ok(None)
            })
        });
        self.call_json(
            Request::new(ops::CREATE_USER, "/users".into())
                .json(body)
                .check(check),
        )
        .await
    }

    /// `PATCH /users/{userId}`.
    pub async fn update_user(&self, id: &str, update: &UpdateUser) -> Result<(), ZoomError> {
        let body = serde_json::to_value(update)
            .map_err(|e| config_error(format!("cannot encode the update: {e}")))?;
        self.call_unit(Request::new(ops::UPDATE_USER, format!("/users/{}", seg(id))).json(body))
            .await
    }

    /// `PUT /users/{userId}/status` (any 2xx is success: Zoom documents 200, older docs 204).
    pub async fn set_user_status(&self, id: &str, action: StatusAction) -> Result<(), ZoomError> {
        self.call_unit(
            Request::new(ops::USER_STATUS, format!("/users/{}/status", seg(id)))
                .json(json!({ "action": action })),
        )
        .await
    }

    /// `PUT /users/{userId}/email` (needs a managed domain; 3 changes per 24 h).
    pub async fn update_user_email(&self, id: &str, email: &str) -> Result<(), ZoomError> {
        self.call_unit(
            Request::new(ops::USER_EMAIL, format!("/users/{}/email", seg(id)))
                .json(json!({ "email": email })),
        )
        .await
    }

    /// `DELETE /users/{userId}` with the action and transfers of `delete`.
    pub async fn delete_user(&self, id: &str, delete: &DeleteUser) -> Result<(), ZoomError> {
        self.call_unit(
            Request::new(ops::DELETE_USER, format!("/users/{}", seg(id))).query(delete.to_query()),
        )
        .await
    }

    /// `DELETE /users/{userId}/token`: signs the user out everywhere.
    pub async fn revoke_user_token(&self, id: &str) -> Result<(), ZoomError> {
        self.call_unit(Request::new(
            ops::USER_TOKEN,
            format!("/users/{}/token", seg(id)),
        ))
        .await
    }

    /// `GET /users/{userId}/settings`.
    pub async fn get_user_settings(&self, id: &str) -> Result<UserSettings, ZoomError> {
        self.call_json(Request::new(
            ops::USER_SETTINGS,
            format!("/users/{}/settings", seg(id)),
        ))
        .await
    }

    /// `PATCH /users/{userId}/settings`.
    pub async fn update_user_settings(&self, id: &str, settings: &Value) -> Result<(), ZoomError> {
        self.call_unit(
            Request::new(
                ops::UPDATE_USER_SETTINGS,
                format!("/users/{}/settings", seg(id)),
            )
            .json(settings.clone()),
        )
        .await
    }

    // -----------------------------------------------------------------------------
    // Groups
    // -----------------------------------------------------------------------------

    /// One page of `GET /groups`.
    pub async fn list_groups_page(
        &self,
        page_size: Option<u32>,
        next_page_token: Option<&str>,
    ) -> Result<Page<Group>, ZoomError> {
        let mut q = vec![(
            "page_size",
            self.page_size(page_size, MAX_PAGE_GROUPS).to_string(),
        )];
        if let Some(token) = next_page_token {
            q.push(("next_page_token", token.to_owned()));
        }
        self.call_page(
            Request::new(ops::LIST_GROUPS, "/groups".into()).query(q),
            "groups",
        )
        .await
    }

    /// Every group.
    pub fn list_groups(&self) -> BoxStream<'static, Result<Group, ZoomError>> {
        let client = self.clone();
        paginate(
            move |token| {
                let client = client.clone();
                async move { client.list_groups_page(None, token.as_deref()).await }
            },
            |group: &Group| group.id.clone(),
        )
    }

    /// `GET /groups/{groupId}`.
    pub async fn get_group(&self, id: &str) -> Result<Group, ZoomError> {
        self.call_json(Request::new(ops::GET_GROUP, format!("/groups/{}", seg(id))))
            .await
    }

    /// The group named `name`, if any (Zoom has no lookup by name: lists). Names are
    /// compared as Zoom enforces their uniqueness: trimmed and case-insensitively (a
    /// create of "sales" next to "Sales" answers 409 code 4132).
    pub async fn find_group_by_name(&self, name: &str) -> Result<Option<Group>, ZoomError> {
        let mut groups = self.list_groups();
        while let Some(group) = groups.try_next().await? {
            if same_group_name(&group.name, name) {
                return Ok(Some(group));
            }
        }
        Ok(None)
    }

    /// `POST /groups`, unless a group has the name already ([`GroupCreate::Exists`]). A
    /// name taken in between gives [`ErrorKind::Duplicate`]; a lost answer is checked by
    /// listing groups before any replay.
    ///
    /// Zoom's groups carry no creation time, so the name is looked up first (the group
    /// list, Medium; Zoom allows 100 group creates a day): only then does a group found
    /// after a lost answer prove that this call made it, and a group that already had
    /// the name is never taken for a new one.
    pub async fn create_group(&self, name: &str) -> Result<GroupCreate, ZoomError> {
        if let Some(existing) = self.find_group_by_name(name).await? {
            return Ok(GroupCreate::Exists(existing));
        }
        let check: EffectCheck<'_> = Box::new(move |_sent_at| {
            Box::pin(async move {
                Ok(self
                    .find_group_by_name(name)
                    .await?
                    .and_then(|g| serde_json::to_vec(&g).ok())
                    .map(Bytes::from))
            })
        });
        self.call_json(
            Request::new(ops::CREATE_GROUP, "/groups".into())
                .json(json!({ "name": name }))
                .check(check),
        )
        .await
        .map(GroupCreate::Created)
    }

    /// `PATCH /groups/{groupId}` with a new name.
    pub async fn rename_group(&self, id: &str, name: &str) -> Result<(), ZoomError> {
        self.call_unit(
            Request::new(ops::UPDATE_GROUP, format!("/groups/{}", seg(id)))
                .json(json!({ "name": name })),
        )
        .await
    }

    /// `DELETE /groups/{groupId}`.
    pub async fn delete_group(&self, id: &str) -> Result<(), ZoomError> {
        self.call_unit(Request::new(
            ops::DELETE_GROUP,
            format!("/groups/{}", seg(id)),
        ))
        .await
    }

    /// One page of `GET /groups/{groupId}/members`.
    pub async fn list_group_members_page(
        &self,
        group_id: &str,
        page_size: Option<u32>,
        next_page_token: Option<&str>,
    ) -> Result<Page<Member>, ZoomError> {
        let mut q = vec![(
            "page_size",
            self.page_size(page_size, MAX_PAGE_GROUP_MEMBERS)
                .to_string(),
        )];
        if let Some(token) = next_page_token {
            q.push(("next_page_token", token.to_owned()));
        }
        self.call_page(
            Request::new(
                ops::LIST_GROUP_MEMBERS,
                format!("/groups/{}/members", seg(group_id)),
            )
            .query(q),
            "members",
        )
        .await
    }

    /// Every member of a group, in pages of the largest size Zoom allows (2000): a
    /// member walk always reads the whole list, so bigger pages only save calls.
    pub fn list_group_members(
        &self,
        group_id: &str,
    ) -> BoxStream<'static, Result<Member, ZoomError>> {
        let client = self.clone();
        let group_id = group_id.to_owned();
        paginate(
            move |token| {
                let client = client.clone();
                let group_id = group_id.clone();
                async move {
                    client
                        .list_group_members_page(
                            &group_id,
                            Some(MAX_PAGE_GROUP_MEMBERS),
                            token.as_deref(),
                        )
                        .await
                }
            },
            member_key,
        )
    }

    /// `POST /groups/{groupId}/members`, 30 users per call. If a batch fails, the error's
    /// `partial` says which ids got in, which failed and which were not sent.
    pub async fn add_group_members<S: AsRef<str>>(
        &self,
        group_id: &str,
        user_ids: &[S],
    ) -> Result<AddedMembers, ZoomError> {
        self.add_members_batched(
            ops::ADD_GROUP_MEMBERS,
            format!("/groups/{}/members", seg(group_id)),
            user_ids,
        )
        .await
    }

    /// `DELETE /groups/{groupId}/members/{memberId}` (member id or email).
    pub async fn remove_group_member(
        &self,
        group_id: &str,
        member_id: &str,
    ) -> Result<(), ZoomError> {
        self.call_unit(Request::new(
            ops::REMOVE_GROUP_MEMBER,
            format!("/groups/{}/members/{}", seg(group_id), seg(member_id)),
        ))
        .await
    }

    // -----------------------------------------------------------------------------
    // Roles
    // -----------------------------------------------------------------------------

    /// `GET /roles` (not paged).
    pub async fn list_roles(&self) -> Result<Vec<Role>, ZoomError> {
        let page: Page<Role> = self
            .call_page(Request::new(ops::LIST_ROLES, "/roles".into()), "roles")
            .await?;
        Ok(page.items)
    }

    /// `GET /roles/{roleId}`.
    pub async fn get_role(&self, id: &str) -> Result<Role, ZoomError> {
        self.call_json(Request::new(ops::GET_ROLE, format!("/roles/{}", seg(id))))
            .await
    }

    /// One page of `GET /roles/{roleId}/members`.
    pub async fn list_role_members_page(
        &self,
        role_id: &str,
        page_size: Option<u32>,
        next_page_token: Option<&str>,
    ) -> Result<Page<Member>, ZoomError> {
        let mut q = vec![(
            "page_size",
            self.page_size(page_size, MAX_PAGE_ROLE_MEMBERS).to_string(),
        )];
        if let Some(token) = next_page_token {
            q.push(("next_page_token", token.to_owned()));
        }
        self.call_page(
            Request::new(
                ops::LIST_ROLE_MEMBERS,
                format!("/roles/{}/members", seg(role_id)),
            )
            .query(q),
            "members",
        )
        .await
    }

    /// Every member of a role.
    pub fn list_role_members(
        &self,
        role_id: &str,
    ) -> BoxStream<'static, Result<Member, ZoomError>> {
        let client = self.clone();
        let role_id = role_id.to_owned();
        paginate(
            move |token| {
                let client = client.clone();
                let role_id = role_id.clone();
                async move {
                    client
                        .list_role_members_page(&role_id, None, token.as_deref())
                        .await
                }
            },
            member_key,
        )
    }

    /// `POST /roles/{roleId}/members`, 30 users per call (see
    /// [`ZoomClient::add_group_members`] for partial failures).
    pub async fn add_role_members<S: AsRef<str>>(
        &self,
        role_id: &str,
        user_ids: &[S],
    ) -> Result<AddedMembers, ZoomError> {
        self.add_members_batched(
            ops::ADD_ROLE_MEMBERS,
            format!("/roles/{}/members", seg(role_id)),
            user_ids,
        )
        .await
    }

    /// `DELETE /roles/{roleId}/members/{memberId}`: the member falls back to Member.
    /// Not replayed blindly: once withdrawn, the role is no longer the member's and a
    /// second call is refused, so after a lost answer the member's role is read first.
    pub async fn remove_role_member(
        &self,
        role_id: &str,
        member_id: &str,
    ) -> Result<(), ZoomError> {
        let check: EffectCheck<'_> = Box::new(move |_sent_at| {
            Box::pin(async move {
                // Withdrawn: the user holds Member, Zoom's default role.
                let user = self.get_user(member_id).await?;
                Ok((user.role_id.as_deref() == Some(MEMBER_ROLE_ID)).then(Bytes::new))
            })
        });
        self.call_unit(
            Request::new(
                ops::REMOVE_ROLE_MEMBER,
                format!("/roles/{}/members/{}", seg(role_id), seg(member_id)),
            )
            .check(check),
        )
        .await
    }

    // -----------------------------------------------------------------------------
    // Zoom Phone
    // -----------------------------------------------------------------------------

    /// One page of `GET /phone/users` (at most 100 per page).
    pub async fn list_phone_users_page(
        &self,
        query: &ListPhoneUsersQuery,
        next_page_token: Option<&str>,
    ) -> Result<Page<PhoneUser>, ZoomError> {
        let mut q = vec![(
            "page_size",
            self.page_size(query.page_size, MAX_PAGE_PHONE_USERS)
                .to_string(),
        )];
        if let Some(site_id) = &query.site_id {
            q.push(("site_id", site_id.clone()));
        }
        if let Some(calling_type) = query.calling_type {
            q.push(("calling_type", calling_type.to_string()));
        }
        if let Some(keyword) = &query.keyword {
            q.push(("keyword", keyword.clone()));
        }
        if let Some(token) = next_page_token {
            q.push(("next_page_token", token.to_owned()));
        }
        self.call_page(
            Request::new(ops::LIST_PHONE_USERS, "/phone/users".into()).query(q),
            "users",
        )
        .await
    }

    /// Every phone user matching `query`.
    pub fn list_phone_users(
        &self,
        query: ListPhoneUsersQuery,
    ) -> BoxStream<'static, Result<PhoneUser, ZoomError>> {
        let client = self.clone();
        paginate(
            move |token| {
                let client = client.clone();
                let query = query.clone();
                async move { client.list_phone_users_page(&query, token.as_deref()).await }
            },
            |user: &PhoneUser| {
                user.id
                    .clone()
                    .or_else(|| user.email.as_ref().map(|e| e.to_lowercase()))
            },
        )
    }

    /// `GET /phone/users/{userId}` (a user without Zoom Phone gives NotFound).
    pub async fn get_phone_user(&self, id: &str) -> Result<PhoneUserProfile, ZoomError> {
        self.call_json(Request::new(
            ops::GET_PHONE_USER,
            format!("/phone/users/{}", seg(id)),
        ))
        .await
    }

    /// `PATCH /phone/users/{userId}`: extension and site.
    pub async fn update_phone_user(
        &self,
        id: &str,
        update: &UpdatePhoneUser,
    ) -> Result<(), ZoomError> {
        let body = serde_json::to_value(update)
            .map_err(|e| config_error(format!("cannot encode the update: {e}")))?;
        self.call_unit(
            Request::new(ops::UPDATE_PHONE_USER, format!("/phone/users/{}", seg(id))).json(body),
        )
        .await
    }

    /// `POST /phone/users/{userId}/calling_plans` (201 live, 200 in the spec). A lost
    /// answer is checked against the user's profile before any replay.
    pub async fn assign_calling_plans(
        &self,
        id: &str,
        plan_types: &[i64],
    ) -> Result<(), ZoomError> {
        let wanted = plan_types.to_vec();
        let check: EffectCheck<'_> = Box::new(move |_sent_at| {
            let wanted = wanted.clone();
            Box::pin(async move {
                let profile = self.get_phone_user(id).await?;
                let all_there = wanted.iter().all(|t| {
                    profile
                        .calling_plans
                        .iter()
                        .any(|p| p.plan_type == Some(*t))
                });
                Ok(all_there.then(Bytes::new))
            })
        });
        let body = json!({
            "calling_plans": plan_types.iter().map(|t| json!({ "type": t })).collect::<Vec<_>>()
        });
        self.call_unit(
            Request::new(
                ops::ASSIGN_CALLING_PLANS,
                format!("/phone/users/{}/calling_plans", seg(id)),
            )
            .json(body)
            .check(check),
        )
        .await
    }

    /// `DELETE /phone/users/{userId}/calling_plans/{planType}`.
    pub async fn unassign_calling_plan(&self, id: &str, plan_type: i64) -> Result<(), ZoomError> {
        self.call_unit(Request::new(
            ops::UNASSIGN_CALLING_PLAN,
            format!("/phone/users/{}/calling_plans/{plan_type}", seg(id)),
        ))
        .await
    }

    /// `POST /phone/users/{userId}/phone_numbers` (201 live). Returns the numbers Zoom
    /// reports as assigned. A lost answer is checked against the user's profile before
    /// any replay.
    pub async fn assign_phone_numbers(
        &self,
        id: &str,
        numbers: &[PhoneNumberRef],
    ) -> Result<Vec<PhoneNumberRef>, ZoomError> {
        let wanted = numbers.to_vec();
        let check: EffectCheck<'_> = Box::new(move |_sent_at| {
            let wanted = wanted.clone();
            Box::pin(async move {
                let profile = self.get_phone_user(id).await?;
                // The numbers asked for, as the profile holds them (Zoom's answer would
                // have listed exactly these).
                let held: Vec<&PhoneNumberRef> = wanted
                    .iter()
                    .filter_map(|w| {
                        profile.phone_numbers.iter().find(|p| {
                            (w.id.is_some() && p.id == w.id) || same_number(&w.number, &p.number)
                        })
                    })
                    .collect();
                Ok((held.len() == wanted.len())
                    .then(|| serde_json::to_vec(&json!({ "phone_numbers": held })).ok())
                    .flatten()
                    .map(Bytes::from))
            })
        });
        let request = Request::new(
            ops::ASSIGN_PHONE_NUMBERS,
            format!("/phone/users/{}/phone_numbers", seg(id)),
        )
        .json(json!({ "phone_numbers": numbers }))
        .check(check);
        let response = self.execute(&request).await?;
        let page: Page<PhoneNumberRef> = if response.body.iter().all(u8::is_ascii_whitespace) {
            Page {
                items: Vec::new(),
                next_page_token: None,
                total_records: None,
            }
        } else {
            Page::from_body(
                &response.body,
                "phone_numbers",
                request.op.method,
                request.op.path,
            )?
        };
        Ok(if page.items.is_empty() {
            numbers.to_vec()
        } else {
            page.items
        })
    }

    /// `DELETE /phone/users/{userId}/phone_numbers/{phoneNumberId}` (number id or number).
    pub async fn unassign_phone_number(
        &self,
        id: &str,
        id_or_number: &str,
    ) -> Result<(), ZoomError> {
        self.call_unit(Request::new(
            ops::UNASSIGN_PHONE_NUMBER,
            format!(
                "/phone/users/{}/phone_numbers/{}",
                seg(id),
                seg(id_or_number)
            ),
        ))
        .await
    }

    /// Every phone site (`GET /phone/sites`).
    pub fn list_sites(&self) -> BoxStream<'static, Result<PhoneSite, ZoomError>> {
        let client = self.clone();
        paginate(
            move |token| {
                let client = client.clone();
                async move {
                    let mut q = vec![(
                        "page_size",
                        client.page_size(None, MAX_PAGE_SITES).to_string(),
                    )];
                    if let Some(token) = token {
                        q.push(("next_page_token", token));
                    }
                    client
                        .call_page(
                            Request::new(ops::LIST_SITES, "/phone/sites".into()).query(q),
                            "sites",
                        )
                        .await
                }
            },
            |site: &PhoneSite| site.id.clone(),
        )
    }

    /// Every account phone number of `filter` (`GET /phone/numbers?type=`).
    pub fn list_phone_numbers(
        &self,
        filter: PhoneNumberFilter,
    ) -> BoxStream<'static, Result<PhoneNumber, ZoomError>> {
        let client = self.clone();
        paginate(
            move |token| {
                let client = client.clone();
                async move {
                    let mut q = vec![
                        ("type", filter.as_str().to_owned()),
                        (
                            "page_size",
                            client.page_size(None, MAX_PAGE_PHONE_NUMBERS).to_string(),
                        ),
                    ];
                    if let Some(token) = token {
                        q.push(("next_page_token", token));
                    }
                    client
                        .call_page(
                            Request::new(ops::LIST_PHONE_NUMBERS, "/phone/numbers".into()).query(q),
                            "phone_numbers",
                        )
                        .await
                }
            },
            |number: &PhoneNumber| number.id.clone().or_else(|| number.number.clone()),
        )
    }

    /// The account's calling-plan subscriptions (`GET /phone/calling_plans`, not paged).
    pub async fn list_calling_plans(&self) -> Result<Vec<AccountCallingPlan>, ZoomError> {
        let page: Page<AccountCallingPlan> = self
            .call_page(
                Request::new(ops::LIST_CALLING_PLANS, "/phone/calling_plans".into()),
                "calling_plans",
            )
            .await?;
        Ok(page.items)
    }
}

/// Whether two group names are the same name for Zoom (trimmed, case-insensitive).
pub fn same_group_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Whether two phone numbers are the same E.164 number, whatever their formatting
/// (`+14155550100`, `14155550100`, `+1 415 555 0100`).
fn same_number(a: &Option<String>, b: &Option<String>) -> bool {
    let digits = |n: &Option<String>| -> Option<String> {
        let d: String = n.as_deref()?.chars().filter(char::is_ascii_digit).collect();
        (!d.is_empty()).then_some(d)
    };
    matches!((digits(a), digits(b)), (Some(x), Some(y)) if x == y)
}

/// De-duplication key of a group or role member.
fn member_key(member: &Member) -> Option<String> {
    member
        .id
        .clone()
        .or_else(|| Some(member.email.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_user_created_after_the_call_was_sent_is_the_calls() {
        let sent = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00.700Z")
            .unwrap()
            .with_timezone(&Utc);
        // Zoom's whole seconds, and a clock a little behind ours.
        assert!(created_by_call_at(Some("2026-11-22T10:00:00Z"), sent));
        assert!(created_by_call_at(Some("2026-11-22T09:59:57Z"), sent));
        assert!(created_by_call_at(Some("2026-11-22T10:00:03Z"), sent));
        // An account that was there before.
        assert!(!created_by_call_at(Some("2026-11-22T09:59:50Z"), sent));
        assert!(!created_by_call_at(Some("2021-01-10T22:01:07Z"), sent));
        // Nothing to go by.
        assert!(!created_by_call_at(None, sent));
        assert!(!created_by_call_at(Some("yesterday"), sent));
    }

    #[test]
    fn numbers_compare_by_digits() {
        let n = |s: &str| Some(s.to_owned());
        assert!(same_number(&n("+14155550100"), &n("14155550100")));
        assert!(same_number(&n("+1 415 555-0100"), &n("+14155550100")));
        assert!(!same_number(&n("+14155550100"), &n("+14155550101")));
        assert!(!same_number(&None, &None));
        assert!(!same_number(&n("+"), &n("")));
    }

    #[test]
    fn paths_that_could_name_another_resource_are_not_sent() {
        for id in ["", ".", ".."] {
            for path in [
                format!("/groups/{}", seg(id)),
                format!("/groups/grp1/members/{}", seg(id)),
                format!("/users/{}/status", seg(id)),
                format!("/phone/users/{}/calling_plans/1", seg(id)),
            ] {
                assert!(unusable_path(&path).is_some(), "{path:?} was allowed");
            }
        }
        assert!(unusable_path(&format!("/users/{}", "a".repeat(MAX_SEGMENT_BYTES + 1))).is_some());
        // Dots inside an id, encoded slashes and e-mails stay one segment.
        for id in ["...", ".a", "a.b@example.com", "../x", "%2e%2e", "me"] {
            let path = format!("/groups/grp1/members/{}", seg(id));
            assert_eq!(unusable_path(&path), None, "{path:?}");
        }
        assert_eq!(unusable_path("/users"), None);
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(seg("a+b@example.com"), "a%2Bb%40example.com");
        assert_eq!(seg("id&x=1/y"), "id%26x%3D1%2Fy");
        assert_eq!(seg("KDcuGIm1QgePTO8WbOqwIQ"), "KDcuGIm1QgePTO8WbOqwIQ");
        assert_eq!(seg("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn building_needs_a_secret_and_valid_urls() {
        let config = ZoomConfig::default();
        assert_eq!(
            ZoomClient::new(&config).unwrap_err().kind,
            ErrorKind::Config
        );
        let config = ZoomConfig {
            client_secret: Some("s".into()),
            api_base_url: "not a url".into(),
            ..ZoomConfig::default()
        };
        assert_eq!(
            ZoomClient::new(&config).unwrap_err().kind,
            ErrorKind::Config
        );
        let config = ZoomConfig {
            client_secret: Some("s".into()),
            ..ZoomConfig::default()
        };
        let client = ZoomClient::new(&config).unwrap();
        assert!(!format!("{client:?}").contains('s') || !format!("{client:?}").contains("\"s\""));
    }

    /// Every endpoint future can run on a multi-threaded runtime (axum handlers).
    #[allow(dead_code)]
    fn endpoint_futures_are_send(client: &ZoomClient, user: &CreateUser) {
        fn send<T: Send>(_: T) {}
        send(client.create_user(user));
        send(client.get_user("x"));
        send(client.list_users(ListUsersQuery::default()));
        send(client.update_user("x", &UpdateUser::default()));
        send(client.delete_user("x", &DeleteUser::default()));
        send(client.create_group("x"));
        send(client.add_group_members("g", &["a"]));
        send(client.add_role_members("r", &["a"]));
        send(client.assign_calling_plans("x", &[200]));
        send(client.assign_phone_numbers("x", &[]));
        send(client.list_phone_users(ListPhoneUsersQuery::default()));
        send(client.list_sites());
        send(client.list_phone_numbers(PhoneNumberFilter::Unassigned));
        send(client.check_token());
    }

    #[test]
    fn page_sizes_clamp_per_endpoint() {
        let config = ZoomConfig {
            client_secret: Some("s".into()),
            page_size: 1000,
            ..ZoomConfig::default()
        };
        let client = ZoomClient::new(&config).unwrap();
        assert_eq!(client.page_size(None, MAX_PAGE_USERS), 1000);
        assert_eq!(client.page_size(None, MAX_PAGE_PHONE_USERS), 100);
        assert_eq!(client.page_size(Some(0), MAX_PAGE_GROUPS), 1);
        assert_eq!(client.page_size(Some(5000), MAX_PAGE_USERS), 2000);
    }
}
