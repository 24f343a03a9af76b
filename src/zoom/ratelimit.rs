//! Client-side pacing so that zoom-scim stays inside its share of Zoom's account-wide
//! rate limits: one `governor` GCRA bucket per (API family, category), sized from the
//! plan, `budget_share` and `rate_scale`, plus "daily quota spent until" markers set by Zoom's
//! `Daily-limit` 429s.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::clock::{Clock, QuantaClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use super::limits::Plan;
use super::limits::{ApiFamily, Category, RateLimit, rate_limit};

type Bucket<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// The GCRA quota for our `share` of `limit`.
///
/// Zoom counts requests per window (one second, one minute for Resource-intensive).
/// A GCRA bucket with rate `r` and burst `b` lets at most `b + r * window` requests
/// through in any window, so to stay under Zoom's `requests` per window the burst is
/// `requests * (1 - share)`, at least 1: e.g. Business Light 80/s at 0.8 paces at 64/s
/// with bursts of 16 (16 + 64 = 80). A burst of the full rate would allow 144 in one
/// second and draw 429s.
pub(crate) fn quota_for(limit: RateLimit, share: f64) -> Quota {
    let share = if share.is_finite() {
        share.clamp(0.01, 1.0)
    } else {
        1.0
    };
    let requests = f64::from(limit.requests.max(1));
    let allowed = requests * share;
    let interval = limit.per.div_f64(allowed);
    // The epsilon keeps 80 * 0.2 = 15.999... at 16.
    let burst = (requests * (1.0 - share) + 1e-9)
        .floor()
        .clamp(1.0, allowed.max(1.0));
    // `burst` is in [1, requests], so it fits a u32 and is never zero.
    let burst = NonZeroU32::new(burst as u32).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(interval.max(Duration::from_nanos(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// Pacing state for every (family, category), shared by all clones of the client.
pub(crate) struct RateLimits<C: Clock = QuantaClock> {
    buckets: HashMap<(ApiFamily, Category), Bucket<C>>,
    clock: C,
    daily_blocks: Mutex<HashMap<(ApiFamily, Category), DailyBlock>>,
    /// Daily quotas of one kind of call, by method and path template.
    endpoint_blocks: Mutex<HashMap<(&'static str, &'static str), DailyBlock>>,
    /// Some daily block may be in place (so a successful call has one to lift).
    any_block: AtomicBool,
}

/// While a daily quota is spent, one call is let through this often as a probe. A
/// daily 429 is read from Zoom's wording and headers (contract section 7.3), which Zoom
/// does not document well: a quota Zoom does not publish (Light on Business+), a reset
/// earlier than the `Retry-After` it gave, or a misread would otherwise stop every such
/// call until midnight UTC. A probe that succeeds lifts the block; one answered with
/// the daily 429 again keeps it for another interval.
pub(crate) const DAILY_PROBE_INTERVAL: chrono::Duration = chrono::Duration::minutes(5);

/// A daily quota spent until `until`; the next probe may pass at `next_probe`.
#[derive(Debug, Clone, Copy)]
struct DailyBlock {
    until: DateTime<Utc>,
    next_probe: DateTime<Utc>,
}

/// `limit` multiplied by `scale` (Zoom raises limits for some accounts on request), at
/// least one request per window.
fn scaled(limit: RateLimit, scale: f64) -> RateLimit {
    let requests = (f64::from(limit.requests) * scale)
        .round()
        .clamp(1.0, f64::from(u32::MAX));
    RateLimit {
        // Clamped to [1, u32::MAX] just above, so the cast cannot truncate.
        requests: requests as u32,
        ..limit
    }
}

impl<C: Clock + Clone> RateLimits<C> {
    /// Buckets for `plan` at `share` of Zoom's limits, on `clock`.
    #[cfg(test)]
    pub fn new(plan: Plan, share: f64, clock: C) -> Self {
        Self::scaled(plan, share, 1.0, clock)
    }

    /// Buckets for `plan`'s limits multiplied by `scale`, at `share` of them, on `clock`.
    /// A `scale` of 0 (or below, or not finite) means no pacing at all.
    pub fn scaled(plan: Plan, share: f64, scale: f64, clock: C) -> Self {
        let mut buckets = HashMap::new();
        let pacing = scale.is_finite() && scale > 0.0;
        let families: &[ApiFamily] = if pacing {
            &[ApiFamily::General, ApiFamily::Phone]
        } else {
            &[]
        };
        for &family in families {
            for category in Category::ALL {
                let limit = scaled(rate_limit(plan, family, category), scale);
                let quota = quota_for(limit, share);
                buckets.insert(
                    (family, category),
                    RateLimiter::direct_with_clock(quota, clock.clone()),
                );
            }
        }
        Self {
            buckets,
            clock,
            daily_blocks: Mutex::new(HashMap::new()),
            endpoint_blocks: Mutex::new(HashMap::new()),
            any_block: AtomicBool::new(false),
        }
    }

    /// Takes a slot now, or says how long until one is free.
    pub fn check(&self, family: ApiFamily, category: Category) -> Result<(), Duration> {
        let Some(bucket) = self.buckets.get(&(family, category)) else {
            return Ok(());
        };
        bucket
            .check()
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Waits (with `sleep`) until a slot is free and takes it; returns the time waited.
    pub async fn acquire_with<F, Fut>(
        &self,
        family: ApiFamily,
        category: Category,
        mut sleep: F,
    ) -> Duration
    where
        F: FnMut(Duration) -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut waited = Duration::ZERO;
        while let Err(wait) = self.check(family, category) {
            sleep(wait).await;
            waited += wait;
        }
        waited
    }

    /// Remembers that Zoom's daily quota for the category is spent until `until`.
    /// Heavy and Resource-intensive share one daily quota (Zoom "Rate limits": "combined
    /// daily limit"), so a block on one blocks both.
    pub fn block_daily(
        &self,
        family: ApiFamily,
        category: Category,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        for c in sharing_daily_quota(category) {
            extend_block(&self.daily_blocks, (family, *c), until, now);
        }
        self.any_block.store(true, Ordering::Release);
    }

    /// A call of `method` on `path` in the category succeeded: whatever daily block
    /// covered it is lifted (it was a probe, or the block was wrong).
    pub fn lift_daily(
        &self,
        family: ApiFamily,
        category: Category,
        method: &'static str,
        path: &'static str,
    ) {
        if !self.any_block.load(Ordering::Acquire) {
            return;
        }
        let mut daily = lock(&self.daily_blocks);
        let mut endpoints = lock(&self.endpoint_blocks);
        let mut lifted = endpoints.remove(&(method, path)).is_some();
        for c in sharing_daily_quota(category) {
            lifted |= daily.remove(&(family, *c)).is_some();
        }
        if lifted {
            tracing::info!(category = %category, method, path, "a Zoom call succeeded while its daily quota was thought spent; the block is lifted");
        }
        self.any_block.store(
            !daily.is_empty() || !endpoints.is_empty(),
            Ordering::Release,
        );
    }

    /// Remembers that the account's daily quota of one kind of call (`method` on the
    /// path template `path`) is spent until `until`; other calls go on.
    pub fn block_endpoint_daily(
        &self,
        method: &'static str,
        path: &'static str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        extend_block(&self.endpoint_blocks, (method, path), until, now);
        self.any_block.store(true, Ordering::Release);
    }

    /// When the daily quota of `method` on `path` comes back, if it is spent at `now`
    /// (`None` also for the one call let through as a probe, every
    /// [`DAILY_PROBE_INTERVAL`]).
    pub fn endpoint_daily_block(
        &self,
        method: &'static str,
        path: &'static str,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        active_block(&self.endpoint_blocks, &(method, path), now)
    }

    /// When the category's daily quota comes back, if it is spent at `now` (`None` also
    /// for the one call let through as a probe, every [`DAILY_PROBE_INTERVAL`]).
    pub fn daily_block(
        &self,
        family: ApiFamily,
        category: Category,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        active_block(&self.daily_blocks, &(family, category), now)
    }
}

/// Heavy and Resource-intensive share one daily quota (Zoom "Rate limits": "combined
/// daily limit"); the other categories have their own.
fn sharing_daily_quota(category: Category) -> &'static [Category] {
    match category {
        Category::Heavy | Category::ResourceIntensive => {
            &[Category::Heavy, Category::ResourceIntensive]
        }
        Category::Light => &[Category::Light],
        Category::Medium => &[Category::Medium],
    }
}

fn lock<K>(blocks: &Mutex<HashMap<K, DailyBlock>>) -> MutexGuard<'_, HashMap<K, DailyBlock>> {
    blocks
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Blocks `key` until `until` (or later, if it already is); the next probe waits a
/// full interval from `now`.
fn extend_block<K: Eq + Hash>(
    blocks: &Mutex<HashMap<K, DailyBlock>>,
    key: K,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) {
    let mut blocks = lock(blocks);
    let next_probe = now + DAILY_PROBE_INTERVAL;
    let entry = blocks
        .entry(key)
        .or_insert(DailyBlock { until, next_probe });
    entry.until = entry.until.max(until);
    entry.next_probe = next_probe;
}

/// When `key`'s block ends, if it is blocked at `now` (an ended block is forgotten);
/// `None` for the call that becomes the probe.
fn active_block<K: Eq + Hash>(
    blocks: &Mutex<HashMap<K, DailyBlock>>,
    key: &K,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut blocks = lock(blocks);
    let block = blocks.get_mut(key)?;
    if block.until <= now {
        blocks.remove(key);
        return None;
    }
    if now >= block.next_probe {
        block.next_probe = now + DAILY_PROBE_INTERVAL;
        tracing::info!(retry_at = %block.until, "letting one call through to Zoom as a probe of a spent daily quota");
        return None;
    }
    Some(block.until)
}

impl RateLimits<QuantaClock> {
    /// Production buckets on the quanta clock: `plan`'s limits times `scale`, at `share`.
    pub fn for_plan(plan: Plan, share: f64, scale: f64) -> Self {
        Self::scaled(plan, share, scale, QuantaClock::default())
    }

    /// Waits on the tokio timer until a slot is free; returns the time waited.
    pub async fn acquire(&self, family: ApiFamily, category: Category) -> Duration {
        self.acquire_with(family, category, tokio::time::sleep)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    /// Runs `n` acquisitions on a fake clock; returns each admission time.
    async fn admissions(
        limits: &RateLimits<FakeRelativeClock>,
        clock: &FakeRelativeClock,
        category: Category,
        n: usize,
    ) -> Vec<Duration> {
        let mut elapsed = Duration::ZERO;
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            let waited = limits
                .acquire_with(ApiFamily::General, category, |d| {
                    clock.advance(d);
                    std::future::ready(())
                })
                .await;
            elapsed += waited;
            times.push(elapsed);
        }
        times
    }

    fn most_in_any_window(times: &[Duration], window: Duration) -> usize {
        let mut most = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end] - times[start] >= window {
                start += 1;
            }
            most = most.max(end - start + 1);
        }
        most
    }

    #[tokio::test]
    async fn n_requests_at_rate_r_take_n_over_r() {
        let clock = FakeRelativeClock::default();
        let limits = RateLimits::new(Plan::Business, 0.8, clock.clone());
        // Business Light: 80/s * 0.8 = 64/s, burst 16: 1000 requests take (1000-16)/64 s.
        let times = admissions(&limits, &clock, Category::Light, 1000).await;
        let total = times.last().unwrap().as_secs_f64();
        assert!((total - 984.0 / 64.0).abs() < 0.001, "took {total}s");
        // No one-second window holds more than Zoom's 80.
        assert!(most_in_any_window(&times, Duration::from_secs(1)) <= 80);
    }

    #[tokio::test]
    async fn small_free_plan_limits_are_never_exceeded() {
        let clock = FakeRelativeClock::default();
        let limits = RateLimits::new(Plan::Free, 0.8, clock.clone());
        // Free Medium: 2/s * 0.8 = 1.6/s, burst 1.
        let times = admissions(&limits, &clock, Category::Medium, 17).await;
        let total = times.last().unwrap().as_secs_f64();
        assert!((total - 16.0 / 1.6).abs() < 0.01, "took {total}s");
        assert!(most_in_any_window(&times, Duration::from_secs(1)) <= 2);
        // Resource-intensive is per minute: 10/min at 0.8 = 8/min, burst 2.
        let times = admissions(&limits, &clock, Category::ResourceIntensive, 30).await;
        assert!(most_in_any_window(&times, Duration::from_secs(60)) <= 10);
    }

    #[tokio::test]
    async fn categories_and_families_pace_independently() {
        let clock = FakeRelativeClock::default();
        let limits = RateLimits::new(Plan::Free, 0.8, clock.clone());
        assert!(limits.check(ApiFamily::General, Category::Medium).is_ok());
        assert!(limits.check(ApiFamily::General, Category::Medium).is_err());
        assert!(limits.check(ApiFamily::General, Category::Light).is_ok());
        assert!(limits.check(ApiFamily::Phone, Category::Medium).is_ok());
    }

    #[tokio::test]
    async fn scale_multiplies_the_rate_and_zero_turns_pacing_off() {
        let clock = FakeRelativeClock::default();
        // Business Light 80/s x 10 = 800/s at 0.8: 640/s with bursts of 160.
        let limits = RateLimits::scaled(Plan::Business, 0.8, 10.0, clock.clone());
        let times = admissions(&limits, &clock, Category::Light, 1000).await;
        let total = times.last().unwrap().as_secs_f64();
        assert!((total - 840.0 / 640.0).abs() < 0.001, "took {total}s");
        assert!(most_in_any_window(&times, Duration::from_secs(1)) <= 800);
        let unpaced = RateLimits::scaled(Plan::Free, 0.8, 0.0, clock.clone());
        for _ in 0..10_000 {
            assert!(unpaced.check(ApiFamily::General, Category::Medium).is_ok());
        }
        // A tiny scale still lets one request per window through.
        let slow = RateLimits::scaled(Plan::Free, 0.8, 0.001, clock);
        assert!(slow.check(ApiFamily::General, Category::Medium).is_ok());
    }

    #[test]
    fn burst_leaves_room_for_the_rest_of_the_window() {
        let business_light = rate_limit(Plan::Business, ApiFamily::General, Category::Light);
        let quota = quota_for(business_light, 0.8);
        assert_eq!(quota.burst_size().get(), 16);
        assert_eq!(quota.replenish_interval(), Duration::from_secs(1) / 64);
        let full_share = quota_for(business_light, 1.0);
        assert_eq!(full_share.burst_size().get(), 1);
        assert_eq!(full_share.replenish_interval(), Duration::from_secs(1) / 80);
    }

    #[test]
    fn daily_blocks_expire_and_heavy_shares_with_resource_intensive() {
        let limits = RateLimits::new(Plan::Pro, 0.8, FakeRelativeClock::default());
        let now = DateTime::parse_from_rfc3339("2026-02-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let midnight = now + chrono::Duration::hours(14);
        limits.block_daily(ApiFamily::General, Category::Heavy, midnight, now);
        assert_eq!(
            limits.daily_block(ApiFamily::General, Category::ResourceIntensive, now),
            Some(midnight)
        );
        assert_eq!(
            limits.daily_block(ApiFamily::General, Category::Light, now),
            None
        );
        assert_eq!(
            limits.daily_block(ApiFamily::Phone, Category::Heavy, now),
            None
        );
        assert_eq!(
            limits.daily_block(ApiFamily::General, Category::Heavy, midnight),
            None
        );
    }

    #[test]
    fn a_daily_block_lets_one_probe_through_per_interval_and_a_success_lifts_it() {
        let limits = RateLimits::new(Plan::Business, 0.8, FakeRelativeClock::default());
        let now = DateTime::parse_from_rfc3339("2026-02-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let midnight = now + chrono::Duration::hours(14);
        let light = (ApiFamily::General, Category::Light);
        limits.block_daily(light.0, light.1, midnight, now);
        limits.block_endpoint_daily("POST", "/users", midnight, now);
        let later = now + DAILY_PROBE_INTERVAL - chrono::Duration::seconds(1);
        assert_eq!(limits.daily_block(light.0, light.1, later), Some(midnight));
        // At the interval, one call passes (the probe); the next ones are blocked again.
        let probe_at = now + DAILY_PROBE_INTERVAL;
        assert_eq!(limits.daily_block(light.0, light.1, probe_at), None);
        assert_eq!(
            limits.daily_block(light.0, light.1, probe_at),
            Some(midnight)
        );
        // The probe met the daily 429 again: the next probe waits a full interval.
        limits.block_daily(light.0, light.1, midnight, probe_at);
        limits.block_endpoint_daily("POST", "/users", midnight, probe_at);
        let before_next = probe_at + DAILY_PROBE_INTERVAL - chrono::Duration::seconds(1);
        assert_eq!(
            limits.daily_block(light.0, light.1, before_next),
            Some(midnight)
        );
        // A Light call succeeds: the category's block is lifted, the endpoint's
        // (another call's quota) stays until its own success.
        limits.lift_daily(light.0, light.1, "GET", "/users/{userId}");
        assert_eq!(limits.daily_block(light.0, light.1, before_next), None);
        assert_eq!(
            limits.endpoint_daily_block("POST", "/users", before_next),
            Some(midnight)
        );
        limits.lift_daily(light.0, light.1, "POST", "/users");
        assert_eq!(
            limits.endpoint_daily_block("POST", "/users", before_next),
            None
        );
    }
}
