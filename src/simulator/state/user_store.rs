//! [`World`]'s users: insertion and removal with their indexes and counts, lookups by
//! id, e-mail or `me`, status and e-mail changes, and the invitations that confirm on
//! their own.

use std::time::Duration;

use tokio::time::Instant;

use serde_json::{Value, json};

use super::roles::OWNER_ROLE;
use super::{User, UserStatus, World};
use crate::simulator::webhooks::SimEvent;

impl World {
    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The user with sequence number `seq`.
    pub fn user(&self, seq: u64) -> Option<&User> {
        self.users.get(&seq).map(|u| &**u)
    }

    /// A user as Zoom's user events show one.
    pub fn event_object(&self, seq: u64) -> Value {
        self.user(seq).map_or(Value::Null, |u| {
            json!({"id": u.id(), "first_name": u.first_name, "last_name": u.last_name,
                   "email": u.email(), "type": u.user_type})
        })
    }

    /// Mutable access to profile fields (indexed fields have their own setters).
    pub fn user_mut(&mut self, seq: u64) -> Option<&mut User> {
        self.users.get_mut(&seq).map(|u| &mut **u)
    }

    /// The account owner's sequence number.
    pub fn owner(&self) -> Option<u64> {
        self.owner
    }

    /// Resolves a path `{userId}`: a user id, an e-mail (case-insensitive) or `me`
    /// (the token is the owner's, contract section 6).
    pub fn resolve_user(&self, key: &str) -> Option<u64> {
        if key == "me" {
            return self.owner;
        }
        if key.contains('@') {
            return self.find_by_email(key);
        }
        self.user_by_id.get(key).copied()
    }

    /// The user with `email`, case-insensitively.
    pub fn find_by_email(&self, email: &str) -> Option<u64> {
        self.user_by_email.get(&email.to_lowercase()).copied()
    }

    /// Adds a user; the first user with role Owner becomes the account owner.
    pub fn insert_user(&mut self, user: User) -> u64 {
        let seq = self.bump_seq();
        self.user_by_id.insert(user.id.clone(), seq);
        self.user_by_email.insert(user.email.to_lowercase(), seq);
        self.status_counts[user.status.index()] += 1;
        if &*user.role_id == OWNER_ROLE && self.owner.is_none() {
            self.owner = Some(seq);
        }
        if let Some(role) = self.roles.iter_mut().find(|r| r.id == user.role_id) {
            role.members += 1;
        }
        self.users.insert(seq, Box::new(user));
        seq
    }

    /// Removes a user, with their group memberships and phone profile.
    pub fn remove_user(&mut self, seq: u64) -> Option<Box<User>> {
        let user = self.users.remove(&seq)?;
        self.phone.disable(seq);
        self.user_by_id.remove(&user.id);
        self.user_by_email.remove(&user.email.to_lowercase());
        let count = &mut self.status_counts[user.status.index()];
        *count = count.saturating_sub(1);
        if let Some(role) = self.roles.iter_mut().find(|r| r.id == user.role_id) {
            role.members = role.members.saturating_sub(1);
        }
        for g in &user.groups {
            if let Some(group) = self.groups.get_mut(g) {
                group.members.remove(&seq);
            }
        }
        if self.owner == Some(seq) {
            self.owner = None;
        }
        Some(user)
    }

    /// Changes a user's status. An invitee who asked for Zoom Phone at creation
    /// (`user_info.feature.zoom_phone`) gets their profile on confirming, if a licence
    /// is left (else the flag drops, *choice*); deactivated users keep theirs (the
    /// phone API shows them as `deactivate`).
    pub fn set_status(&mut self, seq: u64, status: UserStatus) {
        let Some(user) = self.users.get_mut(&seq) else {
            return;
        };
        if user.status == status {
            return;
        }
        let was_pending = user.status == UserStatus::Pending;
        let old = &mut self.status_counts[user.status.index()];
        *old = old.saturating_sub(1);
        self.status_counts[status.index()] += 1;
        user.status = status;
        if status == UserStatus::Active {
            user.verified = true;
        }
        if was_pending && user.zoom_phone && self.phone.enable(seq).is_err() {
            user.zoom_phone = false;
        }
        let event = match status {
            UserStatus::Active if was_pending => "user.invitation_accepted",
            UserStatus::Active => "user.activated",
            UserStatus::Inactive => "user.deactivated",
            UserStatus::Pending => return,
        };
        let object = self.event_object(seq);
        self.emit(SimEvent::new(event, object));
    }

    /// Changes a user's e-mail (the caller checked uniqueness).
    pub fn set_email(&mut self, seq: u64, email: String) {
        if let Some(user) = self.users.get_mut(&seq) {
            self.user_by_email.remove(&user.email.to_lowercase());
            self.user_by_email.insert(email.to_lowercase(), seq);
            let old = json!({"id": user.id(), "email": user.email});
            user.email = email;
            let object = json!({"id": user.id(), "email": user.email});
            self.emit(SimEvent::new("user.updated", object).with_old(old));
        }
    }

    /// The sequence number of the user with id `id` (not an e-mail).
    pub fn seq_of(&self, id: &str) -> Option<u64> {
        self.user_by_id.get(id).copied()
    }

    /// Number of users with `status`.
    pub fn count_status(&self, status: UserStatus) -> usize {
        self.status_counts[status.index()]
    }

    /// Users after sequence number `after`, in creation order.
    pub fn users_after(&self, after: u64) -> impl Iterator<Item = (u64, &User)> {
        self.users
            .range(after.saturating_add(1)..)
            .map(|(seq, u)| (*seq, &**u))
    }

    /// Remembers a user invited through the API, for `activate_pending_after_s`.
    pub fn queue_invitation(&mut self, seq: u64, now: Instant) {
        self.invitations.push_back((now, seq));
    }

    /// Confirms invitations older than `after` (invitees accepting the e-mail).
    pub fn confirm_due_invitations(&mut self, now: Instant, after: Option<Duration>) {
        let Some(after) = after else {
            return;
        };
        while let Some(&(invited, seq)) = self.invitations.front() {
            if now.saturating_duration_since(invited) < after {
                break;
            }
            self.invitations.pop_front();
            if self
                .users
                .get(&seq)
                .is_some_and(|u| u.status == UserStatus::Pending)
            {
                self.set_status(seq, UserStatus::Active);
            }
        }
    }
}
