//! Zoom's account-wide rate limits: the per-plan table, the category of every simulated
//! endpoint, per-second token buckets and UTC-day quotas, and the headers Zoom sends.
//!
//! Source: Zoom "Rate limits" page (contract section 7). Limits are per
//! account, shared by every app. Each endpoint's category is the "Rate Limit Label" of
//! its operation in the OpenAPI documents (section 7.2).

use std::collections::HashMap;

use axum::http::Method;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;
use tokio::time::Instant;

use super::settings::AccountPlan;

/// A rate-limit category (`X-RateLimit-Category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Category {
    /// Light.
    Light,
    /// Medium.
    Medium,
    /// Heavy.
    Heavy,
    /// Resource-intensive.
    #[serde(rename = "Resource-intensive")]
    ResourceIntensive,
}

impl Category {
    /// The header spelling Zoom uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "Light",
            Self::Medium => "Medium",
            Self::Heavy => "Heavy",
            Self::ResourceIntensive => "Resource-intensive",
        }
    }
}

/// Which of Zoom's two tables applies: general APIs or Zoom Phone APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Users, groups, roles, ...
    General,
    /// `/phone/...`
    Phone,
}

/// The refill period of a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// N requests per second.
    Second,
    /// N requests per minute (Resource-intensive).
    Minute,
}

impl Period {
    fn seconds(self) -> f64 {
        match self {
            Self::Second => 1.0,
            Self::Minute => 60.0,
        }
    }
}

/// Which daily counter a category draws from (Heavy and Resource-intensive share one
/// on paid plans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DailyPool {
    /// Light alone (Free).
    Light,
    /// Medium alone (Free).
    Medium,
    /// Heavy alone (Free).
    Heavy,
    /// Resource-intensive alone (Free).
    ResourceIntensive,
    /// "Combined daily limit for Heavy plus Resource-intensive" (Pro, Business+, Phone).
    HeavyAndResourceIntensive,
}

/// The limits of one category on one plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CategoryLimits {
    /// Requests per period.
    pub rate: u32,
    /// The period.
    pub period: Period,
    /// Requests per UTC day, if limited, and the pool they are counted in.
    pub daily: Option<(u32, DailyPool)>,
}

const fn per_second(rate: u32, daily: Option<(u32, DailyPool)>) -> CategoryLimits {
    CategoryLimits {
        rate,
        period: Period::Second,
        daily,
    }
}

const fn per_minute(rate: u32, daily: Option<(u32, DailyPool)>) -> CategoryLimits {
    CategoryLimits {
        rate,
        period: Period::Minute,
        daily,
    }
}

/// Zoom's limits for `plan`, `family` and `category` (contract section 7.1).
///
/// The Phone table has no Free column; a Free account (which cannot buy Zoom Phone)
/// gets the Pro figures.
pub fn limits(plan: AccountPlan, family: Family, category: Category) -> CategoryLimits {
    use Category::*;
    use DailyPool::HeavyAndResourceIntensive as Combined;
    match (family, plan, category) {
        // General APIs, Free.
        (Family::General, AccountPlan::Free, Light) => {
            per_second(4, Some((6000, DailyPool::Light)))
        }
        (Family::General, AccountPlan::Free, Medium) => {
            per_second(2, Some((2000, DailyPool::Medium)))
        }
        (Family::General, AccountPlan::Free, Heavy) => {
            per_second(1, Some((1000, DailyPool::Heavy)))
        }
        (Family::General, AccountPlan::Free, ResourceIntensive) => {
            per_minute(10, Some((30_000, DailyPool::ResourceIntensive)))
        }
        // General APIs, Pro.
        (Family::General, AccountPlan::Pro, Light) => per_second(30, None),
        (Family::General, AccountPlan::Pro, Medium) => per_second(20, None),
        (Family::General, AccountPlan::Pro, Heavy) => per_second(10, Some((30_000, Combined))),
        (Family::General, AccountPlan::Pro, ResourceIntensive) => {
            per_minute(10, Some((30_000, Combined)))
        }
        // General APIs, Business+.
        (Family::General, AccountPlan::Business, Light) => per_second(80, None),
        (Family::General, AccountPlan::Business, Medium) => per_second(60, None),
        (Family::General, AccountPlan::Business, Heavy) => per_second(40, Some((60_000, Combined))),
        (Family::General, AccountPlan::Business, ResourceIntensive) => {
            per_minute(20, Some((60_000, Combined)))
        }
        // Zoom Phone APIs, Pro (and Free).
        (Family::Phone, AccountPlan::Free | AccountPlan::Pro, Light) => per_second(20, None),
        (Family::Phone, AccountPlan::Free | AccountPlan::Pro, Medium) => per_second(10, None),
        (Family::Phone, AccountPlan::Free | AccountPlan::Pro, Heavy) => {
            per_second(5, Some((15_000, Combined)))
        }
        (Family::Phone, AccountPlan::Free | AccountPlan::Pro, ResourceIntensive) => {
            per_minute(5, Some((15_000, Combined)))
        }
        // Zoom Phone APIs, Business+.
        (Family::Phone, AccountPlan::Business, Light) => per_second(40, None),
        (Family::Phone, AccountPlan::Business, Medium) => per_second(20, None),
        (Family::Phone, AccountPlan::Business, Heavy) => per_second(10, Some((30_000, Combined))),
        (Family::Phone, AccountPlan::Business, ResourceIntensive) => {
            per_minute(10, Some((30_000, Combined)))
        }
    }
}

/// The family and category of an endpoint, by method and path template (without `/v2`).
///
/// Labels from each operation's "Rate Limit Label" in the Users and Accounts specs
/// (contract section 7.2; spellings vary, compared case-insensitively there).
/// Unknown phone paths default to Light in the Phone family, other unknown paths to
/// Light: the later phone endpoints add their own rows here.
pub fn endpoint_category(method: &Method, template: &str) -> (Family, Category) {
    use Category::*;
    let family = if template.starts_with("/phone") {
        Family::Phone
    } else {
        Family::General
    };
    let category = match (method.as_str(), template) {
        ("GET", "/users") => Medium,
        ("POST", "/users") => Light,
        ("GET", "/users/email") => Light,
        ("GET", "/users/{userId}") => Light,
        ("PATCH", "/users/{userId}") => Light,
        ("DELETE", "/users/{userId}") => Light,
        ("PUT", "/users/{userId}/status") => Light,
        ("PUT", "/users/{userId}/email") => Light,
        ("DELETE", "/users/{userId}/token") => Light,
        ("GET", "/users/{userId}/settings") => Medium,
        ("PATCH", "/users/{userId}/settings") => Medium,
        ("GET", "/groups") => Medium,
        ("POST", "/groups") => Light,
        ("GET", "/groups/{groupId}") => Light,
        ("PATCH", "/groups/{groupId}") => Light,
        ("DELETE", "/groups/{groupId}") => Light,
        ("GET", "/groups/{groupId}/members") => Medium,
        ("POST", "/groups/{groupId}/members") => Medium,
        ("PATCH", "/groups/{groupId}/members/{memberId}") => Medium,
        ("DELETE", "/groups/{groupId}/members/{memberId}") => Light,
        ("GET", "/roles") => Medium,
        ("GET", "/roles/{roleId}") => Light,
        ("GET", "/roles/{roleId}/members") => Medium,
        ("POST", "/roles/{roleId}/members") => Medium,
        ("DELETE", "/roles/{roleId}/members/{memberId}") => Light,
        ("GET", "/phone/users") => Medium,
        ("GET", "/phone/sites") => Medium,
        ("GET", "/phone/calling_plans") => Medium,
        ("GET", "/phone/numbers") => Medium,
        ("POST", "/phone/users/batch") => Medium,
        _ => Light,
    };
    (family, category)
}

/// Which limit a 429 reports (`X-RateLimit-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleKind {
    /// Per-second (or per-minute) limit.
    Qps,
    /// Daily quota.
    Daily,
}

impl ThrottleKind {
    /// The `X-RateLimit-Type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qps => "QPS",
            Self::Daily => "Daily-limit",
        }
    }
}

/// What the `X-RateLimit-Limit` / `X-RateLimit-Remaining` headers carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// `X-RateLimit-Limit`.
    pub limit: u64,
    /// `X-RateLimit-Remaining`.
    pub remaining: u64,
}

/// The answer of [`RateLimiter::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allowed(Quota),
    /// Answer 429.
    Throttled {
        /// Which limit was hit.
        kind: ThrottleKind,
        /// The header figures.
        quota: Quota,
        /// `Retry-After`: `1` for QPS, the next 00:00:00Z for daily limits.
        retry_after: String,
    },
}

/// The next UTC midnight after `now`, in Zoom's ISO 8601 form (`2020-05-31T00:00:00Z`).
pub fn next_utc_midnight(now: DateTime<Utc>) -> String {
    let tomorrow = now
        .date_naive()
        .checked_add_days(Days::new(1))
        .unwrap_or(NaiveDate::MAX);
    format!("{}T00:00:00Z", tomorrow.format("%Y-%m-%d"))
}

/// A token bucket: capacity = the per-period rate, refilled continuously, so a client
/// pacing exactly at the rate is never refused and a burst above it is.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    refill_per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(capacity: f64, refill_per_sec: f64, now: Instant) -> Self {
        Self {
            capacity,
            refill_per_sec,
            tokens: capacity,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.refill_per_sec).min(self.capacity);
        self.last = now;
    }

    /// Changes the rate (plan or scale changed), keeping the current fill.
    pub fn reconfigure(&mut self, capacity: f64, refill_per_sec: f64, now: Instant) {
        if (self.capacity - capacity).abs() > f64::EPSILON
            || (self.refill_per_sec - refill_per_sec).abs() > f64::EPSILON
        {
            self.refill(now);
            self.capacity = capacity;
            self.refill_per_sec = refill_per_sec;
            self.tokens = self.tokens.min(capacity);
        }
    }

    /// Whether a token is available now (without taking it).
    pub fn has_token(&mut self, now: Instant) -> bool {
        self.refill(now);
        // Tolerance for float rounding: a client pacing at exactly the rate must pass.
        self.tokens + 1e-6 >= 1.0
    }

    /// Takes a token; call after [`Self::has_token`] returned true.
    pub fn take(&mut self) {
        self.tokens = (self.tokens - 1.0).max(0.0);
    }

    /// Whole tokens left.
    pub fn remaining(&mut self, now: Instant) -> u64 {
        self.refill(now);
        (self.tokens + 1e-6).floor().max(0.0) as u64
    }
}

/// A per-UTC-day counter.
#[derive(Debug, Clone, Default)]
pub struct DailyCounter {
    day: Option<NaiveDate>,
    used: u64,
}

impl DailyCounter {
    fn roll(&mut self, now: DateTime<Utc>) {
        let today = now.date_naive();
        if self.day != Some(today) {
            self.day = Some(today);
            self.used = 0;
        }
    }

    /// Requests counted today.
    pub fn used(&mut self, now: DateTime<Utc>) -> u64 {
        self.roll(now);
        self.used
    }

    /// Counts one request if `limit` allows it.
    pub fn try_take(&mut self, limit: u64, now: DateTime<Utc>) -> bool {
        self.roll(now);
        if self.used >= limit {
            return false;
        }
        self.used += 1;
        true
    }
}

/// A limit scaled by `rate_scale` (never below 1 so scaled limits stay reachable).
fn scaled(value: u32, scale: f64) -> f64 {
    (f64::from(value) * scale).max(1.0)
}

/// Account-wide limiter: one bucket per (family, category), one counter per daily pool,
/// plus endpoint-specific daily counters (e.g. `POST /users` with `action=create`).
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: HashMap<(Family, Category), TokenBucket>,
    daily: HashMap<(Family, DailyPool), DailyCounter>,
    special: HashMap<&'static str, DailyCounter>,
}

impl RateLimiter {
    fn bucket(
        &mut self,
        family: Family,
        category: Category,
        limits: CategoryLimits,
        scale: f64,
        now: Instant,
    ) -> &mut TokenBucket {
        let capacity = scaled(limits.rate, scale);
        let refill = capacity / limits.period.seconds();
        let bucket = self
            .buckets
            .entry((family, category))
            .or_insert_with(|| TokenBucket::new(capacity, refill, now));
        bucket.reconfigure(capacity, refill, now);
        bucket
    }

    /// Counts one request of `category` and says whether it may proceed.
    ///
    /// `scale` multiplies every limit, daily ones included; 0 disables limiting (the
    /// headers then report the unscaled figures, untouched).
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &mut self,
        plan: AccountPlan,
        scale: f64,
        family: Family,
        category: Category,
        now: Instant,
        wall: DateTime<Utc>,
    ) -> Decision {
        let limits = limits(plan, family, category);
        if scale <= 0.0 {
            let limit = u64::from(limits.daily.map_or(limits.rate, |(d, _)| d));
            return Decision::Allowed(Quota {
                limit,
                remaining: limit,
            });
        }
        let daily_limit = limits
            .daily
            .map(|(d, pool)| (scaled(d, scale).ceil() as u64, pool));
        let bucket = self.bucket(family, category, limits, scale, now);
        let qps_ok = bucket.has_token(now);
        let rate_limit = bucket.capacity.round() as u64;
        if !qps_ok {
            let quota = match daily_limit {
                Some((limit, pool)) => {
                    let used = self.daily.entry((family, pool)).or_default().used(wall);
                    Quota {
                        limit,
                        remaining: limit.saturating_sub(used),
                    }
                }
                None => Quota {
                    limit: rate_limit,
                    remaining: 0,
                },
            };
            return Decision::Throttled {
                kind: ThrottleKind::Qps,
                quota,
                retry_after: "1".to_owned(),
            };
        }
        if let Some((limit, pool)) = daily_limit {
            let counter = self.daily.entry((family, pool)).or_default();
            if !counter.try_take(limit, wall) {
                return Decision::Throttled {
                    kind: ThrottleKind::Daily,
                    quota: Quota {
                        limit,
                        remaining: 0,
                    },
                    retry_after: next_utc_midnight(wall),
                };
            }
            let remaining = limit.saturating_sub(counter.used(wall));
            self.bucket(family, category, limits, scale, now).take();
            return Decision::Allowed(Quota { limit, remaining });
        }
        let bucket = self.bucket(family, category, limits, scale, now);
        bucket.take();
        Decision::Allowed(Quota {
            limit: rate_limit,
            remaining: bucket.remaining(now),
        })
    }

    /// The header figures without counting a request (for answers that never reach the
    /// limiter, e.g. 401s and injected faults).
    pub fn peek(
        &mut self,
        plan: AccountPlan,
        scale: f64,
        family: Family,
        category: Category,
        now: Instant,
        wall: DateTime<Utc>,
    ) -> Quota {
        let limits = limits(plan, family, category);
        if scale <= 0.0 {
            let limit = u64::from(limits.daily.map_or(limits.rate, |(d, _)| d));
            return Quota {
                limit,
                remaining: limit,
            };
        }
        if let Some((daily, pool)) = limits.daily {
            let limit = scaled(daily, scale).ceil() as u64;
            let used = self.daily.entry((family, pool)).or_default().used(wall);
            return Quota {
                limit,
                remaining: limit.saturating_sub(used),
            };
        }
        let bucket = self.bucket(family, category, limits, scale, now);
        Quota {
            limit: bucket.capacity.round() as u64,
            remaining: bucket.remaining(now),
        }
    }

    /// Counts one use of an endpoint-specific daily limit (`base` per day, scaled by
    /// `scale`; 0 disables). On refusal, returns the `Retry-After` value.
    pub fn try_special(
        &mut self,
        name: &'static str,
        base: u32,
        scale: f64,
        wall: DateTime<Utc>,
    ) -> Result<(), String> {
        if scale <= 0.0 {
            return Ok(());
        }
        let limit = scaled(base, scale).ceil() as u64;
        if self.special.entry(name).or_default().try_take(limit, wall) {
            Ok(())
        } else {
            Err(next_utc_midnight(wall))
        }
    }
}

/// Zoom's per-day limit on `POST /users` with `action=create` (contract section
/// 7.1): 50 Free, 1,500 Pro, 10,000 Business+.
pub fn user_create_daily_limit(plan: AccountPlan) -> u32 {
    match plan {
        AccountPlan::Free => 50,
        AccountPlan::Pro => 1_500,
        AccountPlan::Business => 10_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    fn wall() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 14, 15, 9, 26)
            .single()
            .expect("valid")
    }

    #[test]
    fn table_matches_the_rate_limits_page() {
        let free_light = limits(AccountPlan::Free, Family::General, Category::Light);
        assert_eq!(free_light.rate, 4);
        assert_eq!(free_light.daily, Some((6000, DailyPool::Light)));
        let biz_medium = limits(AccountPlan::Business, Family::General, Category::Medium);
        assert_eq!((biz_medium.rate, biz_medium.daily), (60, None));
        let pro_ri = limits(
            AccountPlan::Pro,
            Family::General,
            Category::ResourceIntensive,
        );
        assert_eq!(pro_ri.period, Period::Minute);
        assert_eq!(
            pro_ri.daily,
            Some((30_000, DailyPool::HeavyAndResourceIntensive))
        );
        let phone_heavy = limits(AccountPlan::Business, Family::Phone, Category::Heavy);
        assert_eq!(phone_heavy.rate, 10);
    }

    #[test]
    fn endpoint_labels() {
        assert_eq!(
            endpoint_category(&Method::GET, "/users"),
            (Family::General, Category::Medium)
        );
        assert_eq!(
            endpoint_category(&Method::GET, "/users/{userId}"),
            (Family::General, Category::Light)
        );
        assert_eq!(
            endpoint_category(&Method::POST, "/groups/{groupId}/members"),
            (Family::General, Category::Medium)
        );
        assert_eq!(
            endpoint_category(&Method::GET, "/phone/users").0,
            Family::Phone
        );
    }

    #[test]
    fn midnight_is_iso() {
        assert_eq!(next_utc_midnight(wall()), "2026-03-15T00:00:00Z");
    }

    #[test]
    fn burst_above_rate_is_throttled_and_pacing_is_not() {
        let mut limiter = RateLimiter::default();
        let start = Instant::now();
        // Business Light: 80/s. A burst of 80 passes, the 81st is refused.
        for i in 0..80 {
            let d = limiter.check(
                AccountPlan::Business,
                1.0,
                Family::General,
                Category::Light,
                start,
                wall(),
            );
            assert!(matches!(d, Decision::Allowed(_)), "request {i}");
        }
        let d = limiter.check(
            AccountPlan::Business,
            1.0,
            Family::General,
            Category::Light,
            start,
            wall(),
        );
        assert!(matches!(
            d,
            Decision::Throttled {
                kind: ThrottleKind::Qps,
                ..
            }
        ));
        // Pacing at exactly 80/s for 10 s: never refused.
        let step = Duration::from_secs_f64(1.0 / 80.0);
        for i in 1..=800u32 {
            let now = start + step * i;
            let d = limiter.check(
                AccountPlan::Business,
                1.0,
                Family::General,
                Category::Light,
                now,
                wall(),
            );
            assert!(matches!(d, Decision::Allowed(_)), "paced request {i}");
        }
    }

    #[test]
    fn daily_quota_is_reported_and_enforced() {
        let mut limiter = RateLimiter::default();
        let mut now = Instant::now();
        // Free Medium: 2000/day; scale 0.001 -> 2/day.
        let scale = 0.001;
        let d = limiter.check(
            AccountPlan::Free,
            scale,
            Family::General,
            Category::Medium,
            now,
            wall(),
        );
        assert_eq!(
            d,
            Decision::Allowed(Quota {
                limit: 2,
                remaining: 1
            })
        );
        now += Duration::from_secs(5);
        let d = limiter.check(
            AccountPlan::Free,
            scale,
            Family::General,
            Category::Medium,
            now,
            wall(),
        );
        assert_eq!(
            d,
            Decision::Allowed(Quota {
                limit: 2,
                remaining: 0
            })
        );
        now += Duration::from_secs(5);
        let d = limiter.check(
            AccountPlan::Free,
            scale,
            Family::General,
            Category::Medium,
            now,
            wall(),
        );
        assert_eq!(
            d,
            Decision::Throttled {
                kind: ThrottleKind::Daily,
                quota: Quota {
                    limit: 2,
                    remaining: 0
                },
                retry_after: "2026-03-15T00:00:00Z".to_owned(),
            }
        );
        // The next UTC day starts afresh.
        let tomorrow = wall() + chrono::Duration::days(1);
        now += Duration::from_secs(5);
        let d = limiter.check(
            AccountPlan::Free,
            scale,
            Family::General,
            Category::Medium,
            now,
            tomorrow,
        );
        assert!(matches!(d, Decision::Allowed(_)));
    }

    #[test]
    fn scale_zero_disables_limiting() {
        let mut limiter = RateLimiter::default();
        let now = Instant::now();
        for _ in 0..1000 {
            let d = limiter.check(
                AccountPlan::Free,
                0.0,
                Family::General,
                Category::Medium,
                now,
                wall(),
            );
            assert!(matches!(d, Decision::Allowed(_)));
        }
        assert!(limiter.try_special("create", 50, 0.0, wall()).is_ok());
    }

    #[test]
    fn special_daily_limit() {
        let mut limiter = RateLimiter::default();
        for _ in 0..50 {
            assert!(limiter.try_special("create", 50, 1.0, wall()).is_ok());
        }
        assert_eq!(
            limiter.try_special("create", 50, 1.0, wall()),
            Err("2026-03-15T00:00:00Z".to_owned())
        );
    }
}
