//! The ids of the account's Zoom Phone users, so that reading one user asks Zoom for a
//! phone profile only when there is one, and asks for it at the same time as the user's
//! record when the roster lists the user.
//!
//! Zoom's user record does not say whether the user has Zoom Phone (Java connector doc
//! 5.3: `GET /users/{id}` has no `feature.zoom_phone`), so without a roster every
//! `GET /Users/{id}` costs a `GET /phone/users/{id}` too: a Light call of the phone API,
//! whose budget is half the user API's (contract section 7.1), answered 404 for every
//! user without Zoom Phone.
//!
//! The roster is every page of `GET /phone/users` (Medium, 100 a page), walked in the
//! background when older than `scim.phone_roster_ttl_s`; no request waits for it. Until
//! the first walk completes, after a failed one, and for writes (which read the profile
//! whatever the roster says), the phone profile is asked per user as before. Each
//! per-user answer corrects the roster at once, so a write that changes the phone
//! feature is seen by the next read. Phone Zoom assigned outside zoom-scim shows
//! within the TTL, like group and role names.
//!
//! Hand-written rather than a moka cache: moka loads on a miss with the caller
//! waiting, and a stale-while-refreshing set with local corrections replayed over a
//! walk that was already under way is not something it offers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;

use crate::zoom::ZoomClient;
use crate::zoom::model::ListPhoneUsersQuery;

/// Set of phone users, refreshed in the background.
#[derive(Debug)]
pub struct PhoneRoster {
    ttl: Option<Duration>,
    state: Mutex<RosterState>,
}

#[derive(Debug, Default)]
struct RosterState {
    /// The last complete walk, corrected since.
    ids: Option<HashSet<String>>,
    /// When the walk behind `ids` started.
    walked_at: Option<Instant>,
    /// When the last walk started, successful or not (failures wait a TTL too).
    attempted_at: Option<Instant>,
    /// A walk is running.
    refreshing: bool,
    /// Per-user answers since the running walk started, replayed over its result (the
    /// walk may have read that user's page before the change).
    corrections: HashMap<String, bool>,
}

impl PhoneRoster {
    /// A roster trusted for `ttl_s` seconds; 0 turns it off (every read asks per user).
    pub fn new(ttl_s: u64) -> Self {
        Self {
            ttl: (ttl_s > 0).then(|| Duration::from_secs(ttl_s)),
            state: Mutex::new(RosterState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RosterState> {
        // A panic while holding this lock leaves plain data behind: keep using it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether user `id` has Zoom Phone: `Some` from the roster, `None` when it cannot
    /// tell (no roster yet, or turned off). Starts a background walk when the roster is
    /// missing or older than the TTL.
    pub fn has_phone(self: &Arc<Self>, id: &str, zoom: &ZoomClient) -> Option<bool> {
        let ttl = self.ttl?;
        let mut state = self.lock();
        let due = state.attempted_at.is_none_or(|at| at.elapsed() >= ttl);
        if due && !state.refreshing {
            state.refreshing = true;
            state.attempted_at = Some(Instant::now());
            state.corrections.clear();
            let roster = Arc::clone(self);
            let zoom = zoom.clone();
            tokio::spawn(async move { roster.walk(zoom).await });
        }
        let fresh_enough = state
            .walked_at
            .is_some_and(|at| at.elapsed() < ttl.saturating_mul(2));
        if !fresh_enough {
            // Older than twice the TTL (walks keep failing): ask per user.
            return None;
        }
        state.ids.as_ref().map(|ids| ids.contains(id))
    }

    /// Records what a per-user read found.
    pub fn correct(&self, id: &str, has_phone: bool) {
        if self.ttl.is_none() {
            return;
        }
        let mut state = self.lock();
        if let Some(ids) = state.ids.as_mut() {
            if has_phone {
                ids.insert(id.to_owned());
            } else {
                ids.remove(id);
            }
        }
        if state.refreshing {
            state.corrections.insert(id.to_owned(), has_phone);
        }
    }

    async fn walk(&self, zoom: ZoomClient) {
        let started = Instant::now();
        let walked: Result<HashSet<String>, _> = zoom
            .list_phone_users(ListPhoneUsersQuery::default())
            .try_filter_map(|user| async move { Ok(user.id) })
            .try_collect()
            .await;
        let mut state = self.lock();
        state.refreshing = false;
        match walked {
            Ok(mut ids) => {
                for (id, has_phone) in state.corrections.drain() {
                    if has_phone {
                        ids.insert(id);
                    } else {
                        ids.remove(&id);
                    }
                }
                tracing::debug!(phone_users = ids.len(), "phone roster refreshed");
                state.ids = Some(ids);
                state.walked_at = Some(started);
            }
            Err(e) => {
                state.corrections.clear();
                // An account without Zoom Phone answers 403: the site directory says
                // so and no per-user call is made then anyway.
                tracing::warn!(error = %e, "phone roster walk failed; reading phone profiles per user");
            }
        }
    }
}
