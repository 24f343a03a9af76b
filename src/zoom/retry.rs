//! Retry policy for Zoom calls: which failures are worth another attempt, how long to
//! wait (exponential backoff with full jitter, or Zoom's `Retry-After`), and when to give
//! up (attempt budget and overall deadline).

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use super::error::{ErrorKind, ZoomError};
use super::settings::ZoomConfig;

/// How often and how long a failing call is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Attempts in total: 1 + `io_error_retries`.
    pub max_attempts: u32,
    /// First backoff ceiling.
    pub base: Duration,
    /// Largest backoff ceiling.
    pub max: Duration,
    /// Overall deadline for one call, retries included.
    pub deadline: Duration,
}

impl RetryPolicy {
    /// The policy the configuration asks for.
    pub fn from_config(config: &ZoomConfig) -> Self {
        Self {
            max_attempts: config.io_error_retries.saturating_add(1),
            base: Duration::from_millis(config.retry_base_ms),
            max: Duration::from_millis(config.retry_max_ms.max(config.retry_base_ms)),
            deadline: Duration::from_secs(config.retry_deadline_s),
        }
    }

    /// The pause before retry number `retry` (0 for the first retry): "full jitter",
    /// uniformly random in `[0, min(max, base * 2^retry)]` (AWS Architecture Blog,
    /// "Exponential Backoff And Jitter"), which spreads out callers that failed together.
    pub fn backoff(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self
            .base
            .checked_mul(2u32.saturating_pow(retry.min(31)))
            .unwrap_or(self.max)
            .min(self.max);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.random_range(0..=ceiling_ms))
    }

    /// The pause before the next attempt after `attempts_made` failed ones, or `None` to
    /// give up: the attempt budget is spent, or waiting would pass the deadline.
    /// `server_delay` (from `Retry-After`) replaces the backoff when Zoom gives one.
    pub fn next_delay(
        &self,
        attempts_made: u32,
        elapsed: Duration,
        server_delay: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        if attempts_made >= self.max_attempts {
            return None;
        }
        let delay = match server_delay {
            Some(delay) => delay,
            None => self.backoff(attempts_made.saturating_sub(1), rng),
        };
        if elapsed.saturating_add(delay) > self.deadline {
            return None;
        }
        Some(delay)
    }
}

/// Whether a failure is transient: connection errors, timeouts, 5xx and per-second
/// 429s are; a daily 429 (fails fast with its reset time) and every other 4xx are not.
pub(crate) fn is_retryable(error: &ZoomError) -> bool {
    matches!(
        error.kind,
        ErrorKind::Unavailable | ErrorKind::RateLimited { daily: false }
    )
}

/// A parsed `Retry-After` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryAfter {
    /// Delay-seconds (`Retry-After: 1`).
    Delay(Duration),
    /// An absolute time (HTTP-date, or ISO 8601 as Zoom sends on a daily 429).
    At(DateTime<Utc>),
}

/// Parses `Retry-After`: delay-seconds or HTTP-date (RFC 9110 section 10.2.3), or an
/// ISO 8601 date-time, which is what Zoom sends with `X-RateLimit-Type: Daily-limit`
/// (contract section 7.3: `Retry-After: 2020-05-31T00:00:00Z`).
pub(crate) fn parse_retry_after(value: &str) -> Option<RetryAfter> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(RetryAfter::Delay(Duration::from_secs(seconds)));
    }
    if let Ok(seconds) = value.parse::<f64>()
        && seconds >= 0.0
    {
        // Infinite, NaN or past `Duration`'s range (`1e30`): no usable delay.
        return Duration::try_from_secs_f64(seconds)
            .ok()
            .map(RetryAfter::Delay);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(RetryAfter::At(at.with_timezone(&Utc)));
    }
    // ISO 8601 without an offset: Zoom's times are UTC ("Time in Zoom API").
    if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S") {
        return Some(RetryAfter::At(naive.and_utc()));
    }
    // IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is a subset of RFC 2822.
    if let Ok(at) = DateTime::parse_from_rfc2822(value) {
        return Some(RetryAfter::At(at.with_timezone(&Utc)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoom::error::AuthFailure;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(200),
            max: Duration::from_millis(10_000),
            deadline: Duration::from_secs(120),
        }
    }

    #[test]
    fn backoff_ceiling_doubles_and_caps_with_jitter_inside_bounds() {
        let policy = policy();
        let mut rng = StdRng::seed_from_u64(7);
        for retry in 0..12u32 {
            let ceiling = (200u64 << retry).min(10_000);
            let mut max_seen = 0;
            for _ in 0..500 {
                let d = policy.backoff(retry, &mut rng).as_millis() as u64;
                assert!(d <= ceiling, "retry {retry}: {d} > {ceiling}");
                max_seen = max_seen.max(d);
            }
            // Full jitter really spreads over the whole range, up to near the ceiling.
            assert!(
                max_seen * 10 >= ceiling * 9,
                "retry {retry}: max {max_seen}"
            );
        }
        // Huge retry numbers do not overflow.
        assert!(policy.backoff(u32::MAX, &mut rng) <= Duration::from_millis(10_000));
    }

    #[test]
    fn jitter_is_spread_not_constant() {
        let policy = policy();
        let mut rng = StdRng::seed_from_u64(1);
        let samples: Vec<_> = (0..100).map(|_| policy.backoff(3, &mut rng)).collect();
        let distinct: std::collections::HashSet<_> = samples.iter().collect();
        assert!(distinct.len() > 50);
        let mean = samples.iter().map(|d| d.as_millis()).sum::<u128>() / 100;
        assert!((400..=1200).contains(&mean), "mean {mean} of U(0,1600)");
    }

    #[test]
    fn gives_up_after_the_attempt_budget_or_the_deadline() {
        let policy = policy();
        let mut rng = StdRng::seed_from_u64(3);
        for attempts in 1..6 {
            assert!(
                policy
                    .next_delay(attempts, Duration::ZERO, None, &mut rng)
                    .is_some()
            );
        }
        assert_eq!(policy.next_delay(6, Duration::ZERO, None, &mut rng), None);
        // Retry-After is honoured as given...
        assert_eq!(
            policy.next_delay(1, Duration::ZERO, Some(Duration::from_secs(2)), &mut rng),
            Some(Duration::from_secs(2))
        );
        // ...unless it would end past the deadline.
        assert_eq!(
            policy.next_delay(
                1,
                Duration::from_secs(119),
                Some(Duration::from_secs(2)),
                &mut rng
            ),
            None
        );
    }

    #[test]
    fn retry_after_in_every_form() {
        assert_eq!(
            parse_retry_after("1"),
            Some(RetryAfter::Delay(Duration::from_secs(1)))
        );
        assert_eq!(
            parse_retry_after(" 0.5 "),
            Some(RetryAfter::Delay(Duration::from_millis(500)))
        );
        let midnight = DateTime::parse_from_rfc3339("2026-02-08T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("2026-02-08T00:00:00Z"),
            Some(RetryAfter::At(midnight))
        );
        assert_eq!(
            parse_retry_after("2026-02-08T00:00:00"),
            Some(RetryAfter::At(midnight))
        );
        assert_eq!(
            parse_retry_after("Sun, 08 Feb 2026 00:00:00 GMT"),
            Some(RetryAfter::At(midnight))
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-3"), None);
    }

    #[test]
    fn classification_retries_only_transient_failures() {
        let err = |kind| ZoomError::new(kind, "GET", "/users", "x");
        assert!(is_retryable(&err(ErrorKind::Unavailable)));
        assert!(is_retryable(&err(ErrorKind::RateLimited { daily: false })));
        for kind in [
            ErrorKind::RateLimited { daily: true },
            ErrorKind::NotFound,
            ErrorKind::Duplicate,
            ErrorKind::Validation,
            ErrorKind::Permission,
            ErrorKind::MissingScope,
            ErrorKind::Auth(AuthFailure::InvalidClient),
            ErrorKind::BadRequest,
            ErrorKind::Conflict,
            ErrorKind::Decode,
        ] {
            assert!(!is_retryable(&err(kind)), "{kind:?}");
        }
    }
}
