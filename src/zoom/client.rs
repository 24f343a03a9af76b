//! [`ZoomClient`]: one shared HTTP client, token cache, rate limiter and retry policy,
//! and the pipeline every Zoom call runs through ([`ZoomClient::execute`]). The typed
//! endpoint methods are in `api/`, one file per API family.
//!
//! The pipeline, step by step (the functions below, in this order):
//! 1. `check_daily_quota`: a daily quota Zoom said is spent fails the call unsent;
//! 2. `pace`: a concurrency permit, then a rate-limit slot (`ratelimit.rs`);
//! 3. the token: a cached OAuth access token (`auth.rs`);
//! 4. `send_once`: one HTTP exchange;
//! 5. `classify_answer`: a 2xx is the answer, anything else a classified [`ZoomError`]
//!    (`error/classify.rs`);
//! 6. `settle_failure`: a rejected token is renewed and the call replayed once
//!    (`renew_token`), a daily 429 blocks its quota (`block_spent_quota`), a lost answer
//!    is looked for (`earlier_attempt_applied`, `lost_answer_effect`), a transient
//!    failure is retried after a pause (`retry_delay`, `retry.rs`).
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
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;
use tracing::{Instrument, Span};

use super::auth::{AccessToken, HttpTokenSource, TokenProvider};
use super::error::{DailyScope, ErrorKind, ZoomError, next_utc_midnight};
use super::health::ZoomHealth;
use super::limits::{ApiFamily, Category};
use super::paging::Page;
use super::path::unusable_path;
use super::ratelimit::RateLimits;
use super::retry::{RetryPolicy, is_retryable};
use super::settings::ZoomConfig;

/// A Zoom operation: method, path template and rate-limit category (each operation's
/// "Rate Limit Label" in Zoom's OpenAPI documents; docs/zoom-contract.md section 7.2).
/// Each family's operations are constants at the top of its file in `api/`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Op {
    pub(super) method: &'static str,
    pub(super) path: &'static str,
    pub(super) family: ApiFamily,
    pub(super) category: Category,
}

impl Op {
    /// An operation of the general API (users, groups, roles).
    pub(super) const fn general(
        method: &'static str,
        path: &'static str,
        category: Category,
    ) -> Self {
        Self {
            method,
            path,
            family: ApiFamily::General,
            category,
        }
    }

    /// An operation of the Zoom Phone API, paced separately.
    pub(super) const fn phone(
        method: &'static str,
        path: &'static str,
        category: Category,
    ) -> Self {
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

/// The answer to a call that names no Zoom resource and is not sent: what Zoom answers
/// an unknown id (404).
fn unsent_not_found(op: Op, why: &'static str) -> ZoomError {
    let mut err = ZoomError::new(ErrorKind::NotFound, op.method, op.path, why);
    err.detail_mut().status = Some(404);
    err
}

/// Checks whether a non-idempotent call already took effect; `Some(body)` stands in for
/// the answer that was lost. Its argument is when the call's first attempt left (after
/// any wait for a rate-limit slot): what the call made cannot be older.
pub(super) type EffectCheck<'a> = Box<
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
pub(super) struct Request<'a> {
    pub(super) op: Op,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    replay: Replay<'a>,
}

impl<'a> Request<'a> {
    /// A call of `op` on `path` (built with [`super::path::seg`]), replayed freely.
    pub(super) fn new(op: Op, path: String) -> Self {
        Self {
            op,
            path,
            query: Vec::new(),
            body: None,
            replay: Replay::Safe,
        }
    }

    /// The query pairs.
    pub(super) fn query(mut self, query: Vec<(&'static str, String)>) -> Self {
        self.query = query;
        self
    }

    /// The JSON body.
    pub(super) fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Not idempotent: `check` decides, after a lost answer, whether to replay.
    pub(super) fn check(mut self, check: EffectCheck<'a>) -> Self {
        self.replay = Replay::Check(check);
        self
    }
}

/// A successful answer.
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) body: Bytes,
}

struct Inner {
    http: reqwest::Client,
    api_base: String,
    /// The path of `api_base` (`/v2`), which every request's URL path starts with.
    api_base_path: String,
    auth: TokenProvider,
    limits: RateLimits,
    concurrency: Semaphore,
    /// The permits `concurrency` was made with.
    max_concurrency: usize,
    retry: RetryPolicy,
    page_size: u32,
    health: ZoomHealth,
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

/// An error of the client itself (a bad setting, a body it cannot encode).
pub(super) fn config_error(message: impl Into<String>) -> ZoomError {
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
        let max_concurrency = config.max_concurrency.clamp(1, Semaphore::MAX_PERMITS);
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
            concurrency: Semaphore::new(max_concurrency),
            max_concurrency,
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
    pub fn health(&self) -> &ZoomHealth {
        &self.inner.health
    }

    // -----------------------------------------------------------------------------
    // The pipeline
    // -----------------------------------------------------------------------------

    /// Runs one call through the pipeline (the steps are listed in the module doc). A
    /// path that cannot name the operation's resource is answered 404 unsent.
    pub(super) async fn execute(&self, req: &Request<'_>) -> Result<Response, ZoomError> {
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
        let result = self.attempt(req, &span).instrument(span.clone()).await;
        self.inner.health.observe(&result);
        super::observe::record(|| call_record(req, &result));
        result
    }

    /// The attempts of one call: quota, pacing, token, send and classify, until an
    /// answer settles it.
    async fn attempt(&self, req: &Request<'_>, span: &Span) -> Result<Response, ZoomError> {
        let op = req.op;
        let mut call = CallState::new();
        loop {
            call.attempts += 1;
            span.record("attempt", call.attempts);
            self.check_daily_quota(op)?;
            let permit = self.pace(op, span).await?;
            let token = self.inner.auth.token().await?;
            // The first attempt's send time, after any limiter wait: what a lost answer's
            // effect check compares Zoom's creation time with.
            let first_sent = *call.first_sent_at.get_or_insert_with(Utc::now);
            let sent = std::time::Instant::now();
            let outcome = self.send_once(req, &token).await;
            drop(permit);
            record_outcome(op, &outcome, span, sent.elapsed());

            let err = match outcome {
                Ok(response) => {
                    tracing::debug!(
                        attempt = call.attempts,
                        status = response.status,
                        "Zoom call succeeded"
                    );
                    self.inner
                        .limits
                        .lift_daily(op.family, op.category, op.method, op.path);
                    return Ok(response);
                }
                Err(err) => err,
            };
            match self
                .settle_failure(req, err, &token, first_sent, &mut call)
                .await
            {
                Next::Done(result) => return result,
                Next::Replay => {}
                Next::RetryAfter(delay) => tokio::time::sleep(delay).await,
            }
        }
    }

    /// Step 1: a daily quota Zoom said is spent fails the call unsent until it resets.
    fn check_daily_quota(&self, op: Op) -> Result<(), ZoomError> {
        let limits = &self.inner.limits;
        let now = Utc::now();
        let blocked = match limits.daily_block(op.family, op.category, now) {
            Some(until) => Some((until, DailyScope::Category)),
            None => limits
                .endpoint_daily_block(op.method, op.path, now)
                .map(|until| (until, DailyScope::Endpoint)),
        };
        let Some((until, scope)) = blocked else {
            return Ok(());
        };
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
        Err(err)
    }

    /// Step 2: a concurrency permit first, then the rate slot (`ratelimit.rs`): the
    /// request leaves right after its slot is granted, so queued requests cannot bunch up
    /// into a burst. The permit is held until the answer is read.
    async fn pace(&self, op: Op, span: &Span) -> Result<SemaphorePermit<'_>, ZoomError> {
        let permit = self
            .inner
            .concurrency
            .acquire()
            .await
            .map_err(|_| config_error("the client is shutting down"))?;
        let waited = self.inner.limits.acquire(op.family, op.category).await;
        span.record("wait_ms", waited.as_millis() as u64);
        metrics::histogram!(
            "zoom_limiter_wait_seconds",
            "category" => op.category.as_str(),
            "family" => op.family.as_str()
        )
        .record(waited.as_secs_f64());
        Ok(permit)
    }

    /// Step 4: one HTTP exchange with the token of step 3 (`auth.rs`). The URL must keep
    /// the path as built (see [`unusable_path`]); the answer is classified by
    /// [`classify_answer`].
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
            HeaderMap::new()
        } else {
            response.headers().clone()
        };
        let body = response
            .bytes()
            .await
            .map_err(|e| ZoomError::from_transport(e, op.method, op.path))?;
        classify_answer(op, status, &headers, body)
    }

    /// Step 6: what a failed attempt leads to. A rejected token is renewed and the call
    /// replayed once; a daily 429 blocks its quota and fails; after an attempt whose
    /// answer was lost, this answer may show that it applied; a transient failure is
    /// retried, a non-idempotent call only when its effect check found nothing; any other
    /// failure is the call's answer.
    async fn settle_failure(
        &self,
        req: &Request<'_>,
        mut err: ZoomError,
        token: &AccessToken,
        first_sent: DateTime<Utc>,
        call: &mut CallState,
    ) -> Next {
        let op = req.op;
        {
            let d = err.detail_mut();
            d.attempts = call.attempts;
            d.category.get_or_insert(op.category);
        }
        tracing::debug!(attempt = call.attempts, error = %err, "Zoom call failed");

        if err.is_token_rejected() {
            return self.renew_token(token, err, call);
        }
        if let Some(scope) = err.daily_scope() {
            self.block_spent_quota(op, &err, scope);
            return Next::Done(Err(err));
        }
        if err.is_rate_limited() {
            metrics::counter!("zoom_rate_limited_total", "type" => "qps").increment(1);
            tracing::warn!(category = %op.category, path = op.path, "Zoom answered 429 (per-second limit)");
        }
        if call.maybe_applied
            && let Some(response) = earlier_attempt_applied(req, &err, first_sent).await
        {
            return Next::Done(Ok(response));
        }
        if !is_retryable(&err) {
            return Next::Done(Err(err));
        }
        if err.outcome_unknown {
            match lost_answer_effect(req, first_sent).await {
                Ok(Some(response)) => return Next::Done(Ok(response)),
                Ok(None) => call.maybe_applied = true,
                Err(check_error) => {
                    tracing::warn!(error = %check_error, "cannot tell whether the call took effect; not replaying");
                    return Next::Done(Err(err));
                }
            }
        }
        match self.retry_delay(op, &err, call) {
            Some(delay) => Next::RetryAfter(delay),
            None => Next::Done(Err(err)),
        }
    }

    /// Zoom invalidates a token when another one is issued for the same app (contract
    /// section 6.1): the rejected token is dropped and the call replayed once with a new
    /// one.
    fn renew_token(&self, token: &AccessToken, err: ZoomError, call: &mut CallState) -> Next {
        self.inner.auth.invalidate(token);
        if call.token_replayed {
            return Next::Done(Err(err));
        }
        call.token_replayed = true;
        tracing::info!("Zoom rejected the access token (code 124); replaying with a new one");
        Next::Replay
    }

    /// A daily 429: only the quota Zoom says is spent waits until it resets. A user's or
    /// one call's daily limit must not stop every other call of the category for a day.
    fn block_spent_quota(&self, op: Op, err: &ZoomError, scope: DailyScope) {
        let limits = &self.inner.limits;
        let until = err
            .retry_at
            .unwrap_or_else(|| next_utc_midnight(Utc::now()));
        metrics::counter!("zoom_rate_limited_total", "type" => "daily").increment(1);
        match scope {
            DailyScope::Category => {
                let now = Utc::now();
                limits.block_daily(op.family, op.category, until, now);
                if let Some(category) = err.category {
                    limits.block_daily(op.family, category, until, now);
                }
                tracing::warn!(category = %op.category, retry_at = %until, "Zoom daily rate limit of the category reached; its calls fail fast until it resets");
            }
            DailyScope::Endpoint => {
                limits.block_endpoint_daily(op.method, op.path, until, Utc::now());
                tracing::warn!(method = op.method, path = op.path, retry_at = %until, "Zoom daily limit of this kind of call reached; these calls fail fast until it resets");
            }
            DailyScope::User => {
                tracing::warn!(method = op.method, path = op.path, retry_at = %until, "Zoom daily limit for one user reached; other users' calls go on");
            }
        }
    }

    /// The pause before the next attempt after a transient failure (`retry.rs`: backoff
    /// or Zoom's `Retry-After`), or `None` when the attempts or the deadline are spent.
    fn retry_delay(&self, op: Op, err: &ZoomError, call: &mut CallState) -> Option<Duration> {
        call.transient_failures += 1;
        let server_delay = err
            .retry_at
            .map(|at| (at - Utc::now()).to_std().unwrap_or(Duration::ZERO));
        let delay = self.inner.retry.next_delay(
            call.transient_failures,
            call.started.elapsed(),
            server_delay,
            &mut rand::rng(),
        )?;
        metrics::counter!(
            "zoom_retries_total",
            "path" => op.path,
            "reason" => if err.is_rate_limited() { "rate_limited" } else { "unavailable" }
        )
        .increment(1);
        tracing::warn!(
            attempt = call.attempts,
            delay_ms = delay.as_millis() as u64,
            error = %err,
            "retrying Zoom call"
        );
        Some(delay)
    }

    // -----------------------------------------------------------------------------
    // Reading the answer (used by the endpoint methods in `api/`)
    // -----------------------------------------------------------------------------

    /// Runs `req`; its answer is a JSON body of `T`.
    pub(super) async fn call_json<T: DeserializeOwned>(
        &self,
        req: Request<'_>,
    ) -> Result<T, ZoomError> {
        let response = self.execute(&req).await?;
        decode(req.op, &response)
    }

    /// Runs `req`; its answer carries no body.
    pub(super) async fn call_unit(&self, req: Request<'_>) -> Result<(), ZoomError> {
        let response = self.execute(&req).await?;
        expect_no_body(req.op, &response)
    }

    /// Runs `req`; its answer is one page whose items are under `items_key`.
    pub(super) async fn call_page<T: DeserializeOwned>(
        &self,
        req: Request<'_>,
        items_key: &str,
    ) -> Result<Page<T>, ZoomError> {
        let response = self.execute(&req).await?;
        Page::from_body(&response.body, items_key, req.op.method, req.op.path)
    }

    /// `Some(body)` if the GET finds the resource, `None` on 404.
    pub(super) async fn find(&self, op: Op, path: String) -> Result<Option<Bytes>, ZoomError> {
        match self.execute(&Request::new(op, path)).await {
            Ok(response) => Ok(Some(response.body)),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The configured page size (`zoom.page_size`).
    pub fn default_page_size(&self) -> u32 {
        self.inner.page_size
    }

    /// The most calls in flight at once (`zoom.max_concurrency`).
    pub fn max_concurrency(&self) -> usize {
        self.inner.max_concurrency
    }

    /// The page size to ask for: `requested` or the configured one, within `1..=max`.
    pub(super) fn page_size(&self, requested: Option<u32>, max: u32) -> u32 {
        requested.unwrap_or(self.inner.page_size).clamp(1, max)
    }
}

/// What the attempts of one call have shown so far.
struct CallState {
    started: Instant,
    attempts: u32,
    transient_failures: u32,
    token_replayed: bool,
    /// An earlier attempt may have taken effect although its answer was lost.
    maybe_applied: bool,
    first_sent_at: Option<DateTime<Utc>>,
}

impl CallState {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            attempts: 0,
            transient_failures: 0,
            token_replayed: false,
            maybe_applied: false,
            first_sent_at: None,
        }
    }
}

/// What follows a failed attempt.
enum Next {
    /// The call is settled.
    Done(Result<Response, ZoomError>),
    /// Send again at once (with a new token).
    Replay,
    /// Send again after this pause.
    RetryAfter(Duration),
}

/// Step 5: a 2xx answer is a [`Response`]; any other becomes a [`ZoomError`] classified by
/// Zoom's code first, then the status (`error/classify.rs`).
fn classify_answer(
    op: Op,
    status: u16,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, ZoomError> {
    if (200..300).contains(&status) {
        Ok(Response { status, body })
    } else {
        Err(ZoomError::from_response(
            op.method,
            op.path,
            status,
            headers,
            &body,
            Utc::now(),
        ))
    }
}

/// What [`super::observe`] keeps of a finished call.
fn call_record(
    req: &Request<'_>,
    result: &Result<Response, ZoomError>,
) -> super::observe::CallRecord {
    let (status, outcome) = match result {
        Ok(response) => (Some(response.status), "ok".to_owned()),
        Err(err) => {
            let mut outcome = format!("{:?}", err.kind);
            if let Some(code) = err.code {
                outcome.push_str(&format!(" (Zoom code {code})"));
            }
            if !err.message.is_empty() && !err.unrecognised_body {
                let message: String = err.message.chars().take(300).collect();
                outcome.push_str(&format!(": {message}"));
            }
            (err.status, outcome)
        }
    };
    super::observe::CallRecord {
        method: req.op.method,
        path: req.path.clone(),
        status,
        outcome,
    }
}

/// Counts the attempt's answer (`zoom_requests_total`), records how long the exchange
/// took (`zoom_request_duration_seconds`, by endpoint template and rate-limit category)
/// and its status on the span.
fn record_outcome(op: Op, outcome: &Result<Response, ZoomError>, span: &Span, took: Duration) {
    let status_label = match outcome {
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
    metrics::histogram!(
        "zoom_request_duration_seconds",
        "method" => op.method,
        "path" => op.path,
        "category" => op.category.as_str()
    )
    .record(took.as_secs_f64());
    span.record("status", status_label.as_str());
}

/// After an attempt whose answer was lost, whether this failure shows that it applied: a
/// DELETE answered 404, or a non-idempotent call answered "already exists" whose effect
/// check finds what the call made (a failing check proves nothing).
async fn earlier_attempt_applied(
    req: &Request<'_>,
    err: &ZoomError,
    first_sent: DateTime<Utc>,
) -> Option<Response> {
    let op = req.op;
    if err.is_not_found() && op.method == "DELETE" {
        tracing::info!(
            path = op.path,
            "DELETE answered 404 after an earlier attempt with unknown outcome; it was applied"
        );
        return Some(Response {
            status: 204,
            body: Bytes::new(),
        });
    }
    if err.is_duplicate()
        && let Replay::Check(check) = &req.replay
        && let Ok(Some(body)) = check(first_sent).await
    {
        tracing::info!(
            path = op.path,
            "an earlier attempt with unknown outcome had succeeded"
        );
        return Some(Response { status: 200, body });
    }
    None
}

/// Before a replay of an attempt that may have taken effect: `Some` when the call's
/// effect check finds it did (its answer stands in for the lost one); `None` when the
/// call may be replayed (idempotent, or the check found nothing).
async fn lost_answer_effect(
    req: &Request<'_>,
    first_sent: DateTime<Utc>,
) -> Result<Option<Response>, ZoomError> {
    let Replay::Check(check) = &req.replay else {
        return Ok(None);
    };
    let Some(body) = check(first_sent).await? else {
        return Ok(None);
    };
    tracing::info!(
        path = req.op.path,
        "the call took effect although its answer was lost; not replaying"
    );
    Ok(Some(Response { status: 200, body }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
