//! Server-to-Server OAuth (`grant_type=account_credentials`): one access token cached
//! for the whole process, refreshed ahead of expiry by a single caller (single-flight),
//! invalidated when the API rejects it (401, code 124).
//!
//! Zoom "Server-to-Server OAuth": POST the token URL with HTTP Basic
//! `client_id:client_secret` and `grant_type=account_credentials&account_id=...`; "The
//! token's time to live is one hour"; "There is no refresh token". Zoom's own SDK
//! refreshes when 60 s or less remain (`EXPIRATION_DELTA_SECONDS = 60`).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::Deserialize;

use super::error::{AuthFailure, ErrorKind, ZoomError, sanitize_body};
use super::retry::{RetryPolicy, is_retryable};
use crate::secret::Secret;

/// Method and path reported in token-endpoint errors.
const TOKEN_METHOD: &str = "POST";
const TOKEN_PATH: &str = "/oauth/token";

/// A token as the token endpoint issued it.
pub(crate) struct FetchedToken {
    /// The bearer value.
    pub value: Secret,
    /// Its lifetime (`expires_in`).
    pub expires_in: Duration,
}

/// Where tokens come from (the HTTP token endpoint; a fake in unit tests).
pub(crate) trait TokenSource: Send + Sync {
    /// Asks for a new token.
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, ZoomError>>;
}

/// A cached access token.
#[derive(Debug)]
pub(crate) struct AccessToken {
    value: Secret,
    refresh_at: Instant,
    expires_at: Instant,
    serial: u64,
}

impl AccessToken {
    /// The bearer value, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        self.value.expose()
    }
}

#[derive(Default)]
struct TokenState {
    current: Option<Arc<AccessToken>>,
    /// Completed fetches (successful or not); lets waiters see that one finished.
    fetches: u64,
    last_failure: Option<ZoomError>,
    next_serial: u64,
}

/// A monotonic clock (injected so expiry can be tested without sleeping).
pub(crate) type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The process-wide token cache.
pub(crate) struct TokenProvider {
    source: Box<dyn TokenSource>,
    margin: Duration,
    clock: Clock,
    state: Mutex<TokenState>,
    /// Held by the one caller that is fetching; the others wait on it (or keep using a
    /// still-valid token).
    refresh_lock: tokio::sync::Mutex<()>,
}

impl TokenProvider {
    /// A cache over `source`, refreshing `margin` before expiry.
    pub fn new(source: Box<dyn TokenSource>, margin: Duration) -> Self {
        Self::with_clock(source, margin, Arc::new(Instant::now))
    }

    /// [`TokenProvider::new`] on `clock`.
    pub fn with_clock(source: Box<dyn TokenSource>, margin: Duration, clock: Clock) -> Self {
        Self {
            source,
            margin,
            clock,
            state: Mutex::new(TokenState::default()),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> MutexGuard<'_, TokenState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A usable token: the cached one, or a new one fetched by exactly one caller while
    /// the others wait. Once the refresh margin is reached, one caller refreshes while
    /// the others go on with the still-valid token.
    pub async fn token(&self) -> Result<Arc<AccessToken>, ZoomError> {
        let (current, seen_fetches) = {
            let state = self.state();
            (state.current.clone(), state.fetches)
        };
        if let Some(token) = current {
            let now = (self.clock)();
            if now < token.refresh_at {
                return Ok(token);
            }
            if now < token.expires_at {
                let Ok(_guard) = self.refresh_lock.try_lock() else {
                    // Someone is already refreshing; this token still works.
                    return Ok(token);
                };
                if let Some(fresh) = self.fresh_other_than(token.serial) {
                    return Ok(fresh);
                }
                return match self.fetch_and_store().await {
                    Ok(new) => Ok(new),
                    Err(err) => {
                        tracing::warn!(error = %err, "Zoom token refresh failed; the current token is still valid");
                        Ok(token)
                    }
                };
            }
        }
        let _guard = self.refresh_lock.lock().await;
        {
            let state = self.state();
            if let Some(token) = &state.current
                && (self.clock)() < token.refresh_at
            {
                return Ok(token.clone());
            }
            // A fetch finished while we waited and failed: share its answer instead of
            // sending every waiter to the token endpoint in turn.
            if state.fetches != seen_fetches
                && let Some(err) = &state.last_failure
            {
                return Err(err.clone());
            }
        }
        self.fetch_and_store().await
    }

    /// The cached token if it is fresh and not the one with `serial`.
    fn fresh_other_than(&self, serial: u64) -> Option<Arc<AccessToken>> {
        let state = self.state();
        state
            .current
            .as_ref()
            .filter(|t| t.serial != serial && (self.clock)() < t.refresh_at)
            .cloned()
    }

    /// Fetches and caches a token; the caller holds `refresh_lock`.
    async fn fetch_and_store(&self) -> Result<Arc<AccessToken>, ZoomError> {
        let result = self.source.fetch().await;
        let now = (self.clock)();
        let mut state = self.state();
        state.fetches += 1;
        match result {
            Ok(fetched) => {
                state.next_serial += 1;
                // Refresh `margin` early, but never sooner than half the lifetime (a
                // short-lived token would otherwise be refreshed on every call).
                let lifetime = fetched.expires_in;
                let early = lifetime.saturating_sub(self.margin).max(lifetime / 2);
                let token = Arc::new(AccessToken {
                    value: fetched.value,
                    refresh_at: now + early,
                    expires_at: now + lifetime,
                    serial: state.next_serial,
                });
                state.current = Some(token.clone());
                state.last_failure = None;
                metrics::counter!("zoom_token_refreshes_total", "outcome" => "ok").increment(1);
                tracing::info!(
                    expires_in_s = lifetime.as_secs(),
                    "fetched a Zoom access token"
                );
                Ok(token)
            }
            Err(err) => {
                state.last_failure = Some(err.clone());
                metrics::counter!("zoom_token_refreshes_total", "outcome" => "error").increment(1);
                tracing::warn!(error = %err, "Zoom token request failed");
                Err(err)
            }
        }
    }

    /// Forgets `token` after the API rejected it (401, code 124), unless it has already
    /// been replaced; the next [`TokenProvider::token`] fetches a new one.
    pub fn invalidate(&self, token: &AccessToken) {
        let mut state = self.state();
        if state
            .current
            .as_ref()
            .is_some_and(|t| t.serial == token.serial)
        {
            state.current = None;
            tracing::info!("Zoom rejected the access token; it will be replaced");
        }
    }
}

/// The token endpoint over HTTP, with retries for transient failures.
pub(crate) struct HttpTokenSource {
    pub http: reqwest::Client,
    pub token_url: String,
    pub account_id: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub retry: RetryPolicy,
}

/// The token endpoint's answer. No `Debug`: it holds the token.
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// The token endpoint's error body: OAuth style `{"reason", "error"}` as seen on the
/// wire, or Zoom style `{"code", "message"}` ("OAuth error messages" page).
#[derive(Deserialize)]
struct TokenErrorBody {
    error: Option<String>,
    reason: Option<String>,
    error_description: Option<String>,
    code: Option<i64>,
    message: Option<String>,
}

impl TokenErrorBody {
    /// Whether any field of the endpoint's error shape is present.
    fn says_anything(&self) -> bool {
        self.error.is_some()
            || self.reason.is_some()
            || self.error_description.is_some()
            || self.code.is_some()
            || self.message.is_some()
    }
}

impl TokenSource for HttpTokenSource {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, ZoomError>> {
        Box::pin(async move {
            let started = tokio::time::Instant::now();
            let mut attempts = 0;
            loop {
                attempts += 1;
                let err = match self.fetch_once().await {
                    Ok(token) => return Ok(token),
                    Err(err) => err,
                };
                let server_delay = err
                    .retry_at
                    .map(|at| (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO));
                let delay = if is_retryable(&err) {
                    self.retry.next_delay(
                        attempts,
                        started.elapsed(),
                        server_delay,
                        &mut rand::rng(),
                    )
                } else {
                    None
                };
                let Some(delay) = delay else {
                    let mut err = err;
                    err.detail_mut().attempts = attempts;
                    return Err(err);
                };
                tracing::warn!(error = %err, attempt = attempts, delay_ms = delay.as_millis() as u64, "retrying the Zoom token request");
                tokio::time::sleep(delay).await;
            }
        })
    }
}

impl HttpTokenSource {
    async fn fetch_once(&self) -> Result<FetchedToken, ZoomError> {
        let response = self
            .http
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .form(&[
                ("grant_type", "account_credentials"),
                ("account_id", self.account_id.as_str()),
            ])
            .send()
            .await
            .map_err(|e| ZoomError::from_transport(e, TOKEN_METHOD, TOKEN_PATH))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| ZoomError::from_transport(e, TOKEN_METHOD, TOKEN_PATH))?;
        if !(200..300).contains(&status) {
            return Err(token_error(status, &headers, &body));
        }
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|_| {
            // Never echo the body: it may hold a token.
            ZoomError::new(
                ErrorKind::Decode,
                TOKEN_METHOD,
                TOKEN_PATH,
                "the token endpoint answered with an unreadable body",
            )
        })?;
        if parsed.access_token.is_empty() {
            return Err(ZoomError::new(
                ErrorKind::Decode,
                TOKEN_METHOD,
                TOKEN_PATH,
                "the token endpoint answered without an access_token",
            ));
        }
        Ok(FetchedToken {
            value: Secret::new(parsed.access_token),
            expires_in: Duration::from_secs(parsed.expires_in.unwrap_or(3600)),
        })
    }
}

/// Classifies a refusal of the token endpoint (contract section 6, "Token-endpoint
/// errors"): bad client credentials, unknown account, disabled app (4717), missing
/// scope (4711); 5xx and 429 stay transient.
fn token_error(status: u16, headers: &reqwest::header::HeaderMap, body: &[u8]) -> ZoomError {
    if status >= 500 || status == 429 {
        return ZoomError::from_response(
            TOKEN_METHOD,
            TOKEN_PATH,
            status,
            headers,
            body,
            chrono::Utc::now(),
        );
    }
    let parsed = serde_json::from_slice::<TokenErrorBody>(body)
        .ok()
        .filter(TokenErrorBody::says_anything);
    let Some(parsed) = parsed else {
        // Not the token endpoint's JSON (a proxy's page): the status alone decides, and
        // the excerpt is for the log only.
        let kind = if status == 401 {
            ErrorKind::Auth(AuthFailure::InvalidClient)
        } else {
            super::error::classify_unrecognised(status, None)
        };
        let mut err = ZoomError::new(kind, TOKEN_METHOD, TOKEN_PATH, sanitize_body(body));
        let d = err.detail_mut();
        d.status = Some(status);
        d.unrecognised_body = true;
        return err;
    };
    let message = parsed
        .reason
        .clone()
        .or(parsed.error_description.clone())
        .or(parsed.message.clone())
        .map(|m| sanitize_body(m.as_bytes()))
        .unwrap_or_else(|| sanitize_body(body));
    let lower = message.to_ascii_lowercase();
    let error = parsed.error.as_deref().unwrap_or("");
    let kind = if parsed.code == Some(4711) || lower.contains("does not contain scope") {
        ErrorKind::MissingScope
    } else if parsed.code == Some(4717)
        || lower.contains("disabled")
        || lower.contains("deactivated")
    {
        ErrorKind::Auth(AuthFailure::AppDisabled)
    } else if lower.contains("account") && !lower.contains("client") {
        ErrorKind::Auth(AuthFailure::UnknownAccount)
    } else if error == "invalid_client"
        || matches!(parsed.code, Some(4702 | 4704 | 4706))
        || lower.contains("client")
        || status == 401
    {
        ErrorKind::Auth(AuthFailure::InvalidClient)
    } else {
        ErrorKind::Auth(AuthFailure::Other)
    };
    let mut err = ZoomError::new(kind, TOKEN_METHOD, TOKEN_PATH, message);
    let d = err.detail_mut();
    d.status = Some(status);
    d.code = parsed.code;
    d.tracking_id = headers
        .get(super::error::TRACKING_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
    use tokio::sync::Semaphore;

    /// Counts fetches; each waits for the gate, then yields `tok-N` valid for `lifetime`
    /// (or fails while `fail` is set).
    struct FakeSource {
        calls: AtomicU32,
        lifetime: Duration,
        fail: AtomicBool,
        gate: Semaphore,
    }

    impl FakeSource {
        fn open(&self) {
            self.gate.add_permits(1);
        }
        fn close(&self) {
            self.gate.forget_permits(usize::MAX);
        }
    }

    struct Shared(Arc<FakeSource>);

    impl TokenSource for Shared {
        fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, ZoomError>> {
            Box::pin(async move {
                let source = &self.0;
                let n = source.calls.fetch_add(1, Ordering::SeqCst) + 1;
                drop(source.gate.acquire().await);
                if source.fail.load(Ordering::SeqCst) {
                    return Err(ZoomError::new(
                        ErrorKind::Auth(AuthFailure::InvalidClient),
                        TOKEN_METHOD,
                        TOKEN_PATH,
                        "Invalid client_id or client_secret",
                    ));
                }
                Ok(FetchedToken {
                    value: Secret::new(format!("tok-{n}")),
                    expires_in: source.lifetime,
                })
            })
        }
    }

    /// A clock that only moves when told to.
    #[derive(Clone)]
    struct ManualClock {
        base: Instant,
        offset_ms: Arc<AtomicU64>,
    }

    impl ManualClock {
        fn advance(&self, by: Duration) {
            self.offset_ms
                .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
        }
    }

    fn provider(lifetime: Duration) -> (Arc<TokenProvider>, Arc<FakeSource>, ManualClock) {
        let source = Arc::new(FakeSource {
            calls: AtomicU32::new(0),
            lifetime,
            fail: AtomicBool::new(false),
            gate: Semaphore::new(0),
        });
        let clock = ManualClock {
            base: Instant::now(),
            offset_ms: Arc::new(AtomicU64::new(0)),
        };
        let reading = clock.clone();
        let provider = TokenProvider::with_clock(
            Box::new(Shared(source.clone())),
            Duration::from_secs(60),
            Arc::new(move || {
                reading.base + Duration::from_millis(reading.offset_ms.load(Ordering::SeqCst))
            }),
        );
        (Arc::new(provider), source, clock)
    }

    type Callers = Vec<tokio::task::JoinHandle<Result<String, ZoomError>>>;

    /// Starts `n` concurrent callers and lets each run up to its first wait
    /// (current-thread runtime: yielding runs every spawned task).
    async fn start_callers(provider: &Arc<TokenProvider>, n: usize) -> Callers {
        let tasks: Callers = (0..n)
            .map(|_| {
                let p = provider.clone();
                tokio::spawn(async move { p.token().await.map(|t| t.expose().to_owned()) })
            })
            .collect();
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
        tasks
    }

    async fn finish(tasks: Callers) -> Vec<Result<String, ZoomError>> {
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn fifty_concurrent_callers_cause_one_fetch() {
        let (provider, source, _clock) = provider(Duration::from_secs(3600));
        let callers = start_callers(&provider, 50).await;
        // Every caller is now waiting on the single fetch in flight.
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        source.open();
        let tokens = finish(callers).await;
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        assert!(tokens.iter().all(|t| t.as_deref().ok() == Some("tok-1")));
    }

    #[tokio::test]
    async fn refreshes_ahead_of_expiry_while_others_keep_the_valid_token() {
        let (provider, source, clock) = provider(Duration::from_secs(3600));
        source.open();
        assert_eq!(provider.token().await.unwrap().expose(), "tok-1");
        source.close();
        // 3541 s in, inside the 60 s margin: one caller refreshes; the others do not
        // wait for it and keep using tok-1, which is still valid.
        clock.advance(Duration::from_secs(3541));
        let callers = start_callers(&provider, 20).await;
        let finished_early = callers.iter().filter(|t| t.is_finished()).count();
        assert_eq!(finished_early, 19);
        source.open();
        let tokens = finish(callers).await;
        let old = tokens
            .iter()
            .filter(|t| t.as_deref().ok() == Some("tok-1"))
            .count();
        let new = tokens
            .iter()
            .filter(|t| t.as_deref().ok() == Some("tok-2"))
            .count();
        assert_eq!((old, new), (19, 1));
        assert_eq!(provider.token().await.unwrap().expose(), "tok-2");
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_expired_token_is_never_handed_out() {
        let (provider, source, clock) = provider(Duration::from_secs(3600));
        source.open();
        provider.token().await.unwrap();
        clock.advance(Duration::from_secs(3600));
        assert_eq!(provider.token().await.unwrap().expose(), "tok-2");
    }

    #[tokio::test]
    async fn short_lived_tokens_are_refreshed_at_half_life_not_on_every_call() {
        let (provider, source, clock) = provider(Duration::from_secs(30));
        source.open();
        provider.token().await.unwrap();
        clock.advance(Duration::from_secs(14));
        provider.token().await.unwrap();
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        clock.advance(Duration::from_secs(2));
        assert_eq!(provider.token().await.unwrap().expose(), "tok-2");
    }

    #[tokio::test]
    async fn invalidation_only_drops_the_token_it_names() {
        let (provider, source, _clock) = provider(Duration::from_secs(3600));
        source.open();
        let first = provider.token().await.unwrap();
        provider.invalidate(&first);
        let second = provider.token().await.unwrap();
        assert_eq!(second.expose(), "tok-2");
        // A late 124 for the old token must not throw away the new one.
        provider.invalidate(&first);
        assert_eq!(provider.token().await.unwrap().expose(), "tok-2");
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_fetch_is_shared_by_its_waiters_not_repeated() {
        let (provider, source, _clock) = provider(Duration::from_secs(3600));
        source.fail.store(true, Ordering::SeqCst);
        let callers = start_callers(&provider, 30).await;
        source.open();
        let results = finish(callers).await;
        assert!(results.iter().all(|r| matches!(
            r,
            Err(e) if e.kind == ErrorKind::Auth(AuthFailure::InvalidClient)
        )));
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        // A later call tries again.
        source.fail.store(false, Ordering::SeqCst);
        assert_eq!(provider.token().await.unwrap().expose(), "tok-2");
    }

    #[test]
    fn token_endpoint_refusals_are_told_apart() {
        let headers = reqwest::header::HeaderMap::new();
        let kind = |status, body: &str| token_error(status, &headers, body.as_bytes()).kind;
        assert_eq!(
            kind(
                400,
                r#"{"reason":"Invalid client_id or client_secret","error":"invalid_client"}"#
            ),
            ErrorKind::Auth(AuthFailure::InvalidClient)
        );
        assert_eq!(
            kind(
                400,
                r#"{"reason":"Account does not exist","error":"invalid_request"}"#
            ),
            ErrorKind::Auth(AuthFailure::UnknownAccount)
        );
        assert_eq!(
            kind(
                400,
                r#"{"code":4717,"message":"The app has been disabled by the admin."}"#
            ),
            ErrorKind::Auth(AuthFailure::AppDisabled)
        );
        assert_eq!(
            kind(
                400,
                r#"{"code":4711,"message":"Invalid access token, does not contain scopes:[user:read:admin]."}"#
            ),
            ErrorKind::MissingScope
        );
        assert_eq!(kind(503, "<html>down</html>"), ErrorKind::Unavailable);
        // A proxy's page is not the endpoint speaking: no guessing from its words.
        let page = "<html><title>400</title><body>Request header or cookie too large; account</body></html>";
        assert_eq!(kind(400, page), ErrorKind::Decode);
        assert_eq!(kind(403, page), ErrorKind::Decode);
        assert_eq!(kind(400, "{}"), ErrorKind::Decode);
        assert_eq!(kind(401, page), ErrorKind::Auth(AuthFailure::InvalidClient));
        assert!(token_error(400, &headers, page.as_bytes()).unrecognised_body);
        assert_eq!(
            kind(
                400,
                r#"{"reason":"unsupported grant type","error":"unsupported_grant_type"}"#
            ),
            ErrorKind::Auth(AuthFailure::Other)
        );
        let err = token_error(
            400,
            &headers,
            br#"{"reason":"Invalid client_id or client_secret","error":"invalid_client"}"#,
        );
        assert!(
            err.to_string()
                .contains("Invalid client_id or client_secret")
        );
    }
}
