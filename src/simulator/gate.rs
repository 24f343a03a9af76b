//! The pipeline every `/v2` API call goes through before and after its handler:
//! counting, latency, bearer-token check, account-wide rate limits, scripted and random
//! faults, pending-invitation confirmation, and the headers Zoom puts on every answer
//! (`X-RateLimit-*`, `x-zm-trackingid`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rand::Rng;
use tokio::time::Instant;

use super::conn::ConnMeta;
use super::error::SimError;
use super::faults::{DAILY_MESSAGE, FaultAction, FaultSpec, QPS_MESSAGE, server_fault};
use super::ratelimit::{Category, Decision, Quota, ThrottleKind, endpoint_category};
use super::settings::SimSettings;
use super::state::Sim;

/// How long a "timeout" fault hangs: far beyond any sane client timeout.
const HANG: Duration = Duration::from_secs(600);

static X_RATELIMIT_CATEGORY: HeaderName = HeaderName::from_static("x-ratelimit-category");
static X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
static X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
static X_RATELIMIT_TYPE: HeaderName = HeaderName::from_static("x-ratelimit-type");
static X_ZM_TRACKINGID: HeaderName = HeaderName::from_static("x-zm-trackingid");

/// A random tracking id shaped like Zoom's (`v=2.0;clid=us06;rid=WEB_<32 hex>`).
pub fn tracking_id() -> String {
    let rid: u128 = rand::rng().random();
    format!("v=2.0;clid=sim;rid=WEB_{rid:032x}")
}

/// Adds `x-zm-trackingid` to any answer.
pub fn add_tracking_id(headers: &mut HeaderMap) {
    if let Ok(v) = HeaderValue::from_str(&tracking_id()) {
        headers.insert(X_ZM_TRACKINGID.clone(), v);
    }
}

fn set_number(headers: &mut HeaderMap, name: &HeaderName, value: u64) {
    headers.insert(name.clone(), HeaderValue::from(value));
}

/// Puts Zoom's rate-limit and tracking headers on `response`.
fn finish(
    mut response: Response,
    category: Category,
    quota: Quota,
    throttle: Option<(ThrottleKind, &str)>,
) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        X_RATELIMIT_CATEGORY.clone(),
        HeaderValue::from_static(category.as_str()),
    );
    set_number(headers, &X_RATELIMIT_LIMIT, quota.limit);
    set_number(headers, &X_RATELIMIT_REMAINING, quota.remaining);
    if let Some((kind, retry_after)) = throttle {
        headers.insert(
            X_RATELIMIT_TYPE.clone(),
            HeaderValue::from_static(kind.as_str()),
        );
        if let Ok(v) = HeaderValue::from_str(retry_after) {
            headers.insert(header::RETRY_AFTER, v);
        }
    }
    add_tracking_id(headers);
    response
}

/// Zoom's 429 answer for `kind`.
pub fn throttled_response(kind: ThrottleKind) -> Response {
    let message = match kind {
        ThrottleKind::Qps => QPS_MESSAGE,
        ThrottleKind::Daily => DAILY_MESSAGE,
    };
    SimError::new(StatusCode::TOO_MANY_REQUESTS, 429, message).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn latency(settings: &SimSettings) -> Duration {
    let jitter = if settings.jitter_ms > 0 {
        rand::rng().random_range(0..=settings.jitter_ms)
    } else {
        0
    };
    Duration::from_millis(settings.latency_ms.saturating_add(jitter))
}

/// A random fault drawn from the settings' rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RandomFault {
    Drop,
    Timeout,
    Fail(u32),
    Throttle,
    /// Handle the request, then drop the connection instead of answering.
    LostAnswer,
}

fn draw_random_fault(settings: &SimSettings) -> Option<RandomFault> {
    let total = settings.drop_rate
        + settings.timeout_rate
        + settings.fail_rate
        + settings.throttle_rate
        + settings.lost_answer_rate;
    if total <= 0.0 {
        return None;
    }
    let mut rng = rand::rng();
    let r: f64 = rng.random();
    let mut edge = settings.drop_rate;
    if r < edge {
        return Some(RandomFault::Drop);
    }
    edge += settings.timeout_rate;
    if r < edge {
        return Some(RandomFault::Timeout);
    }
    edge += settings.fail_rate;
    if r < edge {
        return Some(RandomFault::Fail(rng.random_range(0..3)));
    }
    edge += settings.throttle_rate;
    if r < edge {
        return Some(RandomFault::Throttle);
    }
    edge += settings.lost_answer_rate;
    if r < edge {
        return Some(RandomFault::LostAnswer);
    }
    None
}

/// Drops the connection; the returned response is never delivered.
fn drop_connection(conn: Option<&ConnMeta>) -> Response {
    match conn {
        Some(conn) => {
            conn.kill.kill();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        // Without connection info (in-process tests) the closest answer is a gateway error.
        None => server_fault(1),
    }
}

async fn hang(sim: &Sim) {
    let mut shutdown = sim.shutdown.clone();
    tokio::select! {
        () = tokio::time::sleep(HANG) => {}
        _ = shutdown.wait_for(|stopped| *stopped) => {}
    }
}

/// Counts a request out of `in_flight` however it ends (early answers, dropped
/// connections, a client that gives up).
struct InFlight(Arc<Sim>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.stats().leave();
    }
}

/// The middleware wrapped around every matched `/v2` route.
pub async fn api_gate(
    State(sim): State<Arc<Sim>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let conn = request
        .extensions()
        .get::<ConnectInfo<ConnMeta>>()
        .map(|c| c.0.clone());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let concrete = path.strip_prefix("/v2").unwrap_or(&path).to_owned();
    let template = matched
        .as_ref()
        .map(|m| {
            m.as_str()
                .strip_prefix("/v2")
                .unwrap_or(m.as_str())
                .to_owned()
        })
        .unwrap_or_else(|| concrete.clone());
    let (family, category) = endpoint_category(&method, &template);
    let settings = sim.settings();
    {
        let mut stats = sim.stats();
        stats.count_request(method.as_str(), &template, category);
        stats.enter();
    }
    let _in_flight = InFlight(Arc::clone(&sim));

    let delay = latency(&settings);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let now = Instant::now();
    let wall = Utc::now();

    // Authentication: an unknown, expired or revoked token is 401 code 124 (contract section 1).
    let authorized = bearer(request.headers()).is_some_and(|t| sim.tokens().is_valid(t, now));
    if !authorized {
        let quota = sim.limiter().peek(
            settings.plan,
            settings.rate_scale,
            family,
            category,
            now,
            wall,
        );
        let response =
            SimError::new(StatusCode::UNAUTHORIZED, 124, "Invalid access token.").into_response();
        return finish(response, category, quota, None);
    }

    // Account-wide rate limits.
    let decision = sim.limiter().check(
        settings.plan,
        settings.rate_scale,
        family,
        category,
        now,
        wall,
    );
    let quota = match decision {
        Decision::Allowed(quota) => quota,
        Decision::Throttled {
            kind,
            quota,
            retry_after,
        } => {
            sim.stats().count_throttled(kind);
            return finish(
                throttled_response(kind),
                category,
                quota,
                Some((kind, &retry_after)),
            );
        }
    };

    // Scripted faults first, then random ones.
    let scripted: Option<FaultSpec> = sim.faults().take(method.as_str(), &concrete, &template);
    // Set when the request is handled and its answer then lost (scripted or random).
    let mut lose_answer = false;
    if let Some(fault) = &scripted {
        sim.stats().faults_injected += 1;
        match fault.action {
            FaultAction::Respond => return finish(fault.response(), category, quota, None),
            FaultAction::Drop => return drop_connection(conn.as_ref()),
            FaultAction::Timeout => {
                hang(&sim).await;
                return drop_connection(conn.as_ref());
            }
            FaultAction::ApplyThenDrop => lose_answer = true,
            FaultAction::ApplyThenRespond => {}
        }
    } else if let Some(fault) = draw_random_fault(&settings) {
        sim.stats().faults_injected += 1;
        match fault {
            RandomFault::Drop => return drop_connection(conn.as_ref()),
            RandomFault::Timeout => {
                hang(&sim).await;
                return drop_connection(conn.as_ref());
            }
            RandomFault::Fail(pick) => return finish(server_fault(pick), category, quota, None),
            RandomFault::Throttle => {
                sim.stats().count_throttled(ThrottleKind::Qps);
                let quota = Quota {
                    limit: quota.limit,
                    remaining: 0,
                };
                return finish(
                    throttled_response(ThrottleKind::Qps),
                    category,
                    quota,
                    Some((ThrottleKind::Qps, "1")),
                );
            }
            RandomFault::LostAnswer => lose_answer = true,
        }
    }

    let response = next.run(request).await;
    if lose_answer {
        return drop_connection(conn.as_ref());
    }
    match scripted {
        Some(fault) if fault.action == FaultAction::ApplyThenRespond => {
            finish(fault.response(), category, quota, None)
        }
        _ => finish(response, category, quota, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_id_shape() {
        let id = tracking_id();
        assert!(id.starts_with("v=2.0;clid=sim;rid=WEB_"));
        assert_eq!(id.len(), "v=2.0;clid=sim;rid=WEB_".len() + 32);
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn random_faults_follow_rates() {
        let none = SimSettings::default();
        assert_eq!(draw_random_fault(&none), None);
        let always_drop = SimSettings {
            drop_rate: 1.0,
            ..SimSettings::default()
        };
        assert_eq!(draw_random_fault(&always_drop), Some(RandomFault::Drop));
        let always_throttle = SimSettings {
            throttle_rate: 1.0,
            ..SimSettings::default()
        };
        assert_eq!(
            draw_random_fault(&always_throttle),
            Some(RandomFault::Throttle)
        );
        let always_lost = SimSettings {
            lost_answer_rate: 1.0,
            ..SimSettings::default()
        };
        assert_eq!(
            draw_random_fault(&always_lost),
            Some(RandomFault::LostAnswer)
        );
    }
}
