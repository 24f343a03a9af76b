//! The account's confirmed users (active and inactive, never pending), so that a write
//! can skip a `GET /users/{userId}` whose only purpose was to learn that fact.
//!
//! Zoom's Light budget (contract section 7.1: 80/s on Business+, shared by every
//! user create, read, update and status change) is what bounds a provisioning burst,
//! while the user listing is Medium, a budget of its own. Three kinds of write read a
//! user only to learn what the listing already says:
//! - `DELETE /Users/{id}` reads the user to learn whether it is pending (an invitation
//!   is withdrawn, never deactivated, contract 3.5);
//! - a group member add reads each new member to learn that it exists and is not
//!   pending (pending users join through a user update, contract 3.10);
//! - an answer showing `manager` resolves the manager's e-mail to an id.
//!
//! The roster is every page of `GET /users?status=active` and `?status=inactive`
//! (Medium, 300 a page: 32 calls for 10,000 users, 9,277 of them confirmed), walked in
//! the background when a write asks for it and it is older than
//! `scim.user_roster_ttl_s`; no request waits for it, but a large member add when the
//! walk costs fewer calls than checking its users one by one ([`UserRoster::ready`]).
//! What it says is safe to act on while stale: a confirmed user never becomes pending
//! again (an invitation becomes a confirmed user, not the reverse), so "not pending"
//! holds until the user leaves the account, and a user who left answers 404 to the
//! write itself. Where a stale fact could do harm, writes still read first: a user the
//! roster lists as inactive (it may have been reactivated since), the account owner and
//! admins, any user when `scim.protected_users` is set (an e-mail may have changed),
//! and any request with `If-Match`. The service's own writes correct it at once, and a
//! write Zoom refuses is retried the reading way.
//!
//! The walking, trust and corrections are [`super::roster`]'s. Memory: measured at about
//! 260 bytes a confirmed user (id, e-mail, two maps; 17.4 MiB at 50,000 users), built
//! only once a write has asked for it, so a read-only deployment (an import) pays
//! nothing.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{FutureExt, TryStreamExt};

use super::roster::{Roster, Walk, Walked};
use crate::zoom::ZoomClient;
use crate::zoom::model::{ADMIN_ROLE_ID, ListUsersQuery, OWNER_ROLE_ID, UserStatus, ZoomUser};

/// What the roster knows of a confirmed user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownUser {
    /// Lower-cased e-mail.
    pub email: Box<str>,
    /// Listed as `inactive` (deactivated) rather than `active`.
    pub inactive: bool,
    /// Holds the account owner's or an admin's role (Zoom will not change their status;
    /// the owner is never removed through zoom-scim).
    pub privileged: bool,
}

impl KnownUser {
    /// The roster entry of a record, `None` for a pending user (not on the roster).
    fn of(user: &ZoomUser) -> Option<(String, KnownUser)> {
        let id = user.id.clone()?;
        let inactive = match user.status_or_active() {
            UserStatus::Pending => return None,
            UserStatus::Inactive => true,
            UserStatus::Active | UserStatus::Other(_) => false,
        };
        Some((
            id,
            KnownUser {
                email: user.email.to_ascii_lowercase().into_boxed_str(),
                inactive,
                privileged: matches!(user.role_id.as_deref(), Some(OWNER_ROLE_ID | ADMIN_ROLE_ID)),
            },
        ))
    }
}

/// Confirmed users by id, and ids by lower-cased e-mail.
#[derive(Debug, Default)]
struct Directory {
    by_id: HashMap<Box<str>, KnownUser>,
    by_email: HashMap<Box<str>, Box<str>>,
}

impl Directory {
    fn upsert(&mut self, id: &str, known: KnownUser) {
        let email = known.email.clone();
        if let Some(old) = self.by_id.insert(id.into(), known)
            && old.email != email
            && self.by_email.get(&old.email).is_some_and(|i| &**i == id)
        {
            self.by_email.remove(&old.email);
        }
        self.by_email.insert(email, id.into());
    }

    fn remove(&mut self, id: &str) {
        if let Some(old) = self.by_id.remove(id)
            && self.by_email.get(&old.email).is_some_and(|i| &**i == id)
        {
            self.by_email.remove(&old.email);
        }
    }
}

impl Walked for Directory {
    /// `None`: the user left the account (or is pending).
    type Correction = Option<KnownUser>;

    fn apply(&mut self, id: &str, correction: Option<KnownUser>) {
        match correction {
            Some(known) => self.upsert(id, known),
            None => self.remove(id),
        }
    }

    fn len(&self) -> usize {
        self.by_id.len()
    }
}

/// The confirmed users of the account, refreshed in the background (clones share it).
#[derive(Debug, Clone)]
pub struct UserRoster {
    roster: Arc<Roster<Directory>>,
    /// Users per list page the walk asks for (`zoom.page_size`).
    page_size: usize,
}

impl UserRoster {
    /// A roster trusted for `ttl_s` seconds, walked `page_size` users a page; 0 turns
    /// it off (writes read every user).
    pub fn new(ttl_s: u64, page_size: u32) -> Self {
        Self {
            roster: Arc::new(Roster::new("user_roster", ttl_s)),
            page_size: page_size.max(1) as usize,
        }
    }

    /// What the roster knows of user `id`: `None` when the user is not on it (pending,
    /// unknown, created since the walk) or when the roster cannot tell (not walked yet,
    /// walks failing, turned off). Starts a background walk when one is due.
    pub fn known(&self, id: &str, zoom: &ZoomClient) -> Option<KnownUser> {
        self.roster
            .read(|| walk(zoom.clone()), |d| d.by_id.get(id).cloned())
            .flatten()
    }

    /// Waits until the roster can answer, when that costs at most `lookups` list pages:
    /// a fresh roster answers at once; otherwise a walk is started when due and awaited
    /// if the last walk's size says it takes no more pages than `lookups` (one call per
    /// user to check). For a write about to check many users (a large member add).
    /// `false`: turned off, the walk would cost more (or its cost is not known yet: no
    /// walk has ended), or it failed.
    pub async fn ready(&self, zoom: &ZoomClient, lookups: usize) -> bool {
        let page_size = self.page_size;
        self.roster
            .ready(
                || walk(zoom.clone()),
                |size| size.div_ceil(page_size) <= lookups,
            )
            .await
    }

    /// The id of the confirmed user with this e-mail, when the roster has been walked
    /// (never starts a walk: reads alone do not pay for one).
    pub fn id_for_email(&self, email: &str) -> Option<String> {
        let key = email.to_ascii_lowercase();
        self.roster
            .peek(|d| d.by_email.get(key.as_str()).map(|id| id.to_string()))
            .flatten()
    }

    /// Records what a write read or made of `user` (a pending user leaves the roster).
    pub fn seen(&self, id: &str, user: &ZoomUser) {
        let entry = KnownUser::of(user)
            .filter(|(found, _)| found == id)
            .map(|(_, known)| known);
        self.roster.correct(id, entry);
    }

    /// Records that user `id` left the account (deleted, disassociated, withdrawn, or
    /// answered 404).
    pub fn gone(&self, id: &str) {
        self.roster.correct(id, None);
    }
}

/// The active and inactive lists, at once: the walk takes the longer one's time.
fn walk(zoom: ZoomClient) -> Walk<Directory> {
    async move {
        let list = |status| {
            zoom.list_users(ListUsersQuery {
                status: Some(status),
                ..ListUsersQuery::default()
            })
            .try_fold(Vec::new(), |mut found, user| async move {
                found.extend(KnownUser::of(&user));
                Ok(found)
            })
        };
        let (active, inactive) =
            futures::try_join!(list(UserStatus::Active), list(UserStatus::Inactive))?;
        let mut directory = Directory::default();
        for (id, known) in active.into_iter().chain(inactive) {
            directory.upsert(&id, known);
        }
        Ok(directory)
    }
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: Option<&str>, email: &str, status: &str, role: &str) -> ZoomUser {
        ZoomUser {
            id: id.map(str::to_owned),
            email: email.to_owned(),
            status: Some(status.into()),
            role_id: Some(role.to_owned()),
            ..ZoomUser::default()
        }
    }

    #[test]
    fn pending_users_and_users_without_id_are_never_on_the_roster() {
        assert!(KnownUser::of(&user(Some("u1"), "a@x", "pending", "2")).is_none());
        // A status Zoom does not document is listed as active.
        let (_, known) = KnownUser::of(&user(Some("u1"), "a@x", "Pending", "2")).unwrap();
        assert!(!known.inactive);
        assert!(KnownUser::of(&user(None, "a@x", "active", "2")).is_none());
        let (id, known) = KnownUser::of(&user(Some("u1"), "A@X.org", "inactive", "0")).unwrap();
        assert_eq!(id, "u1");
        assert_eq!(&*known.email, "a@x.org");
        assert!(known.inactive && known.privileged);
    }

    #[test]
    fn an_email_change_moves_the_email_index() {
        let mut d = Directory::default();
        let (id, known) = KnownUser::of(&user(Some("u1"), "old@x", "active", "2")).unwrap();
        d.upsert(&id, known);
        let (_, known) = KnownUser::of(&user(Some("u1"), "new@x", "active", "2")).unwrap();
        d.upsert("u1", known);
        assert!(!d.by_email.contains_key("old@x"));
        assert_eq!(d.by_email.get("new@x").map(|i| &**i), Some("u1"));
        d.remove("u1");
        assert!(d.by_id.is_empty() && d.by_email.is_empty());
    }

    #[test]
    fn a_removed_user_does_not_take_another_users_email_entry_with_it() {
        let mut d = Directory::default();
        d.upsert(
            "u1",
            KnownUser::of(&user(Some("u1"), "a@x", "active", "2"))
                .unwrap()
                .1,
        );
        // u2 took the address (u1 changed it outside zoom-scim).
        d.upsert(
            "u2",
            KnownUser::of(&user(Some("u2"), "a@x", "active", "2"))
                .unwrap()
                .1,
        );
        d.remove("u1");
        assert_eq!(d.by_email.get("a@x").map(|i| &**i), Some("u2"));
    }

    #[tokio::test]
    async fn turned_off_it_knows_nothing() {
        let roster = UserRoster::new(0, 300);
        roster.seen("u1", &user(Some("u1"), "a@x", "active", "2"));
        assert_eq!(roster.id_for_email("a@x"), None);
    }
}
