//! Facts about the whole account kept from a paged Zoom listing walked in the
//! background: the machinery the phone roster ([`super::phone_roster`]) and the user
//! roster ([`super::user_roster`]) share.
//!
//! A roster is trusted for a TTL. A request that asks it when the last walk is older
//! than that starts a new walk in the background and is answered from the old one; no
//! request waits for a walk unless it asks to ([`Roster::ready`]). What a request learns
//! of one key (a per-user read, a write) corrects the roster at once, and is replayed
//! over the result of a walk already under way, which may have read that key's page
//! before the change. A roster older than twice its TTL (walks keep failing) is not
//! trusted: callers then ask Zoom per key, as they do before the first walk ends and
//! when the roster is turned off (TTL 0).
//!
//! Hand-written rather than a moka cache: moka loads on a miss with the caller
//! waiting, and a stale-while-refreshing map with local corrections replayed over a
//! walk that was already under way is not something it offers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::sync::Notify;

use crate::zoom::error::ZoomError;

/// The longest a walk may take: Zoom's page tokens expire after 15 minutes (Zoom
/// "Pagination"), so a walk still under way then cannot be one consistent listing, and
/// a walk that never ends (an upstream that keeps answering) must not hold the roster.
const WALK_DEADLINE: Duration = Duration::from_secs(15 * 60);
/// What a walk builds.
pub trait Walked: Default + Send + 'static {
    /// What a request learnt of one key.
    type Correction: Clone + Send + 'static;
    /// Applies what a request learnt of `key`.
    fn apply(&mut self, key: &str, correction: Self::Correction);
    /// Entries, to tell what the next walk costs.
    fn len(&self) -> usize;
}

/// A set of ids (the phone roster's); a correction says whether `key` belongs.
impl Walked for HashSet<String> {
    type Correction = bool;

    fn apply(&mut self, key: &str, present: bool) {
        if present {
            self.insert(key.to_owned());
        } else {
            self.remove(key);
        }
    }

    fn len(&self) -> usize {
        HashSet::len(self)
    }
}

/// One walk of the listing, started when due.
pub type Walk<D> = BoxFuture<'static, Result<D, ZoomError>>;

struct State<D: Walked> {
    /// The last complete walk, corrected since.
    data: Option<D>,
    /// When the walk behind `data` started.
    walked_at: Option<Instant>,
    /// When the last walk started, successful or not (failures wait a TTL too).
    attempted_at: Option<Instant>,
    /// A walk is running.
    refreshing: bool,
    /// What requests learnt since the running walk started, replayed over its result.
    corrections: HashMap<String, D::Correction>,
}

/// A roster of `D`, refreshed in the background.
pub struct Roster<D: Walked> {
    /// For the log and the metrics: `phone_roster`, `user_roster`.
    name: &'static str,
    ttl: Option<Duration>,
    state: Mutex<State<D>>,
    /// Woken when a walk ends, for [`Roster::ready`].
    walk_ended: Notify,
}

impl<D: Walked> std::fmt::Debug for Roster<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Roster")
            .field("name", &self.name)
            .field("entries", &state.data.as_ref().map(Walked::len))
            .field("refreshing", &state.refreshing)
            .finish()
    }
}

impl<D: Walked> Roster<D> {
    /// A roster trusted for `ttl_s` seconds; 0 turns it off.
    pub fn new(name: &'static str, ttl_s: u64) -> Self {
        Self {
            name,
            ttl: (ttl_s > 0).then(|| Duration::from_secs(ttl_s)),
            state: Mutex::new(State {
                data: None,
                walked_at: None,
                attempted_at: None,
                refreshing: false,
                corrections: HashMap::new(),
            }),
            walk_ended: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<D>> {
        // A panic while holding this lock leaves plain data behind: keep using it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers `read` from the roster when it is fresh enough (`None`: it cannot tell),
    /// after starting `walk` in the background when one is due.
    pub fn read<R>(
        self: &Arc<Self>,
        walk: impl FnOnce() -> Walk<D>,
        read: impl FnOnce(&D) -> R,
    ) -> Option<R> {
        let ttl = self.ttl?;
        let mut state = self.lock();
        self.start_walk_if_due(&mut state, ttl, walk);
        Self::fresh(&state, ttl).map(read)
    }

    /// Answers `read` from the roster when it is fresh enough, never starting a walk.
    pub fn peek<R>(&self, read: impl FnOnce(&D) -> R) -> Option<R> {
        let ttl = self.ttl?;
        let state = self.lock();
        Self::fresh(&state, ttl).map(read)
    }

    /// Waits until the roster can answer, when `affordable` says the walk is worth
    /// waiting for (given the last walk's size): a fresh roster answers at once;
    /// otherwise a walk is started when due and awaited. `false`: turned off, not worth
    /// it (or its cost not known yet: no walk has ended), or the walk failed.
    pub async fn ready(
        self: &Arc<Self>,
        walk: impl Fn() -> Walk<D>,
        affordable: impl Fn(usize) -> bool,
    ) -> bool {
        let Some(ttl) = self.ttl else {
            return false;
        };
        {
            let mut state = self.lock();
            self.start_walk_if_due(&mut state, ttl, &walk);
            if Self::fresh(&state, ttl).is_some() {
                return true;
            }
            // The last walk's size, kept with its (stale) data, tells the next one's cost.
            if !state
                .data
                .as_ref()
                .map(Walked::len)
                .is_some_and(&affordable)
            {
                return false;
            }
        }
        loop {
            // Registered before the check, so a walk ending in between is not missed.
            let ended = self.walk_ended.notified();
            {
                let mut state = self.lock();
                self.start_walk_if_due(&mut state, ttl, &walk);
                if Self::fresh(&state, ttl).is_some() {
                    return true;
                }
                if !state.refreshing {
                    return false;
                }
            }
            ended.await;
        }
    }

    /// Records what a request learnt of `key`.
    pub fn correct(&self, key: &str, correction: D::Correction) {
        if self.ttl.is_none() {
            return;
        }
        let mut state = self.lock();
        if let Some(data) = state.data.as_mut() {
            data.apply(key, correction.clone());
        }
        if state.refreshing {
            state.corrections.insert(key.to_owned(), correction);
        }
    }

    /// The data when fresh enough: older than twice the TTL (walks keep failing) it is
    /// not trusted.
    fn fresh(state: &State<D>, ttl: Duration) -> Option<&D> {
        let recent = state
            .walked_at
            .is_some_and(|at| at.elapsed() < ttl.saturating_mul(2));
        state.data.as_ref().filter(|_| recent)
    }

    fn start_walk_if_due(
        self: &Arc<Self>,
        state: &mut State<D>,
        ttl: Duration,
        walk: impl FnOnce() -> Walk<D>,
    ) {
        let due = state.attempted_at.is_none_or(|at| at.elapsed() >= ttl);
        if !due || state.refreshing {
            return;
        }
        let started = Instant::now();
        state.refreshing = true;
        state.attempted_at = Some(started);
        state.corrections.clear();
        let roster = Arc::clone(self);
        let walk = walk();
        tokio::spawn(async move {
            let result = match tokio::time::timeout(WALK_DEADLINE, walk).await {
                Ok(result) => result,
                Err(_) => Err(ZoomError::new(
                    crate::zoom::error::ErrorKind::Unavailable,
                    "GET",
                    "-",
                    format!(
                        "the {} walk took longer than {} s",
                        roster.name,
                        WALK_DEADLINE.as_secs()
                    ),
                )),
            };
            roster.walk_done(started, result);
        });
    }

    fn walk_done(&self, started: Instant, result: Result<D, ZoomError>) {
        let mut state = self.lock();
        state.refreshing = false;
        match result {
            Ok(mut data) => {
                for (key, correction) in state.corrections.drain() {
                    data.apply(&key, correction);
                }
                tracing::debug!(roster = self.name, entries = data.len(), "roster refreshed");
                metrics::counter!("roster_walks_total", "roster" => self.name, "outcome" => "ok")
                    .increment(1);
                metrics::gauge!("roster_entries", "roster" => self.name).set(data.len() as f64);
                state.data = Some(data);
                state.walked_at = Some(started);
            }
            Err(e) => {
                state.corrections.clear();
                metrics::counter!("roster_walks_total", "roster" => self.name, "outcome" => "error")
                    .increment(1);
                tracing::warn!(roster = self.name, error = %e, "roster walk failed; asking Zoom per user");
            }
        }
        drop(state);
        self.walk_ended.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;
    use crate::zoom::error::ErrorKind;

    fn walk_of(keys: &'static [&'static str]) -> Walk<HashSet<String>> {
        async move { Ok(keys.iter().map(|k| (*k).to_owned()).collect()) }.boxed()
    }

    #[tokio::test]
    async fn answers_after_the_first_walk_and_replays_corrections_over_it() {
        let roster = Arc::new(Roster::<HashSet<String>>::new("test", 60));
        // The first ask starts the walk and cannot answer yet.
        assert_eq!(
            roster.read(|| walk_of(&["a", "b"]), |d| d.contains("a")),
            None
        );
        // Learnt while the walk runs: replayed over its result.
        roster.correct("a", false);
        roster.correct("c", true);
        // The walk is a task of this (single-threaded) runtime: let it run.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(roster.ready(|| walk_of(&[]), |_| true).await);
        assert_eq!(
            roster.peek(|d| {
                let mut keys: Vec<_> = d.iter().cloned().collect();
                keys.sort();
                keys
            }),
            Some(vec!["b".to_owned(), "c".to_owned()])
        );
    }

    #[tokio::test]
    async fn the_first_walk_is_not_waited_for_and_off_means_off() {
        let roster = Arc::new(Roster::<HashSet<String>>::new("test", 60));
        assert!(!roster.ready(|| walk_of(&["a"]), |_| true).await);
        let off = Arc::new(Roster::<HashSet<String>>::new("test", 0));
        assert_eq!(off.read(|| walk_of(&["a"]), |d| d.len()), None);
        assert!(!off.ready(|| walk_of(&["a"]), |_| true).await);
        off.correct("a", true);
        assert_eq!(off.peek(Walked::len), None);
    }

    #[tokio::test]
    async fn a_failed_walk_leaves_no_roster() {
        let roster = Arc::new(Roster::<HashSet<String>>::new("test", 60));
        let failing = || {
            async {
                Err(ZoomError::new(
                    ErrorKind::Unavailable,
                    "GET",
                    "/users",
                    "down",
                ))
            }
            .boxed()
        };
        assert_eq!(roster.read(failing, Walked::len), None);
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(!roster.lock().refreshing, "the walk has ended");
        assert_eq!(roster.peek(Walked::len), None);
    }
}
