//! The ids of the account's Zoom Phone users, so that reading one user asks Zoom for a
//! phone profile only when there is one, and asks for it at the same time as the user's
//! record when the roster lists the user.
//!
//! Zoom's user record does not say whether the user has Zoom Phone (docs/java-connector.md
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
//! The walking, trust and corrections are [`super::roster`]'s.

use std::collections::HashSet;
use std::sync::Arc;

use futures::{FutureExt, TryStreamExt};

use super::roster::{Roster, Walk};
use crate::zoom::ZoomClient;
use crate::zoom::model::ListPhoneUsersQuery;

/// Set of phone users, refreshed in the background (clones share it).
#[derive(Debug, Clone)]
pub struct PhoneRoster(Arc<Roster<HashSet<String>>>);

impl PhoneRoster {
    /// A roster trusted for `ttl_s` seconds; 0 turns it off (every read asks per user).
    pub fn new(ttl_s: u64) -> Self {
        Self(Arc::new(Roster::new("phone_roster", ttl_s)))
    }

    /// Whether user `id` has Zoom Phone: `Some` from the roster, `None` when it cannot
    /// tell (no roster yet, or turned off). Starts a background walk when the roster is
    /// missing or older than the TTL.
    pub fn has_phone(&self, id: &str, zoom: &ZoomClient) -> Option<bool> {
        self.0.read(|| walk(zoom.clone()), |ids| ids.contains(id))
    }

    /// Records what a per-user read found.
    pub fn correct(&self, id: &str, has_phone: bool) {
        self.0.correct(id, has_phone);
    }
}

/// Every page of `GET /phone/users`.
fn walk(zoom: ZoomClient) -> Walk<HashSet<String>> {
    async move {
        zoom.list_phone_users(ListPhoneUsersQuery::default())
            .try_filter_map(|user| async move { Ok(user.id) })
            .try_collect()
            .await
    }
    .boxed()
}
