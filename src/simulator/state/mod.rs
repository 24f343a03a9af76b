//! The simulated account's data (users, groups, roles, Zoom Phone) and the shared
//! runtime state behind the server (settings, tokens, limiter, faults, stats), each
//! behind its own std mutex: no lock is ever held across an await.
//!
//! Users live in a `BTreeMap` keyed by a creation sequence number, so listings walk in
//! creation order and a page token only needs the last sequence number. Indexes (id,
//! e-mail), per-status and per-role counts and group memberships are kept consistent by
//! [`World`]'s methods: handlers never touch them directly.
//!
//! # Parts
//!
//! - here: [`World`] and its fields, [`Account`], random ids;
//! - [`user`]: the user record ([`User`], [`UserStatus`], profile entries);
//! - [`user_store`]: `World`'s users: indexes, lookups, status and e-mail changes,
//!   invitations;
//! - [`groups`]: [`Group`] and group memberships;
//! - [`roles`]: [`Role`], the built-in role ids, role changes;
//! - [`phone`]: the `feature.zoom_phone` switch between a user and the [`PhoneBook`];
//! - [`sim`]: [`Sim`], the runtime state every handler shares.

mod groups;
mod phone;
mod roles;
mod sim;
#[cfg(test)]
mod tests;
mod user;
mod user_store;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::rngs::StdRng;
use rand::{Rng, RngCore};
use tokio::time::Instant;

use super::paging::PageCursors;
use super::phone_book::PhoneBook;
use super::ratelimit::DailyCounter;
use super::webhooks::SimEvent;

pub use self::groups::Group;
pub use self::roles::{ADMIN_ROLE, MEMBER_ROLE, OWNER_ROLE, Role};
pub use self::sim::Sim;
pub use self::user::{CustomAttribute, NewUser, PhoneEntry, User, UserStatus, derive_display_name};

/// Shared, cheaply cloned text for values drawn from small vocabularies (departments,
/// time zones, ...), so 100,000 users do not carry 100,000 copies of "Engineering".
pub type Text = Arc<str>;

/// Locks `m`, recovering the data if a panicking thread poisoned it (the simulator's
/// state stays usable; a test failure elsewhere must not cascade).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Account-level facts.
#[derive(Debug, Clone)]
pub struct Account {
    /// Account id (the OAuth `account_id`).
    pub id: String,
    /// Account number.
    pub account_number: u64,
    /// Zoom cluster, e.g. `us06`.
    pub cluster: String,
    /// The account's e-mail domain.
    pub domain: String,
    /// Managed (associated) domains: e-mail changes must stay inside them.
    pub managed_domains: Vec<String>,
}

/// The account's users, groups and roles, with their indexes.
#[derive(Debug)]
pub struct World {
    /// Account facts.
    pub account: Account,
    users: BTreeMap<u64, Box<User>>,
    user_by_id: HashMap<String, u64>,
    user_by_email: HashMap<String, u64>,
    status_counts: [usize; 3],
    groups: BTreeMap<u64, Group>,
    group_by_id: HashMap<String, u64>,
    roles: Vec<Role>,
    next_seq: u64,
    owner: Option<u64>,
    /// Issued page tokens.
    pub cursors: PageCursors,
    /// Users invited through the API, in invitation order, for auto-confirmation.
    invitations: VecDeque<(Instant, u64)>,
    /// Generator of ids and values created at run time (seeded, for reproducible runs).
    pub rng: StdRng,
    /// Groups created today (Zoom allows 100 per day).
    pub group_creates: DailyCounter,
    /// Zoom Phone: sites, numbers, plans, licences and profiles.
    phone: PhoneBook,
    /// Changes to report as webhook events, handed to the sender when the handler
    /// lets go of the account; `None` while seeding.
    outbox: Option<Vec<SimEvent>>,
}

impl World {
    /// An empty account with `roles`.
    pub fn new(account: Account, roles: Vec<Role>, rng: StdRng) -> Self {
        Self {
            account,
            users: BTreeMap::new(),
            user_by_id: HashMap::new(),
            user_by_email: HashMap::new(),
            status_counts: [0; 3],
            groups: BTreeMap::new(),
            group_by_id: HashMap::new(),
            roles,
            next_seq: 0,
            owner: None,
            cursors: PageCursors::default(),
            invitations: VecDeque::new(),
            rng,
            group_creates: DailyCounter::default(),
            phone: PhoneBook::default(),
            outbox: None,
        }
    }

    /// Starts reporting changes as webhook events (after seeding).
    pub fn report_events(&mut self) {
        self.outbox.get_or_insert_with(Vec::new);
    }

    /// Reports a change (nothing while seeding).
    pub fn emit(&mut self, event: SimEvent) {
        if let Some(outbox) = &mut self.outbox {
            outbox.push(event);
        }
    }

    /// The changes reported since the last call.
    pub fn take_events(&mut self) -> Vec<SimEvent> {
        self.outbox.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn bump_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// A fresh 22-character URL-safe id (like `KDcuGIm1QgePTO8WbOqwIQ`).
    pub fn new_id(&mut self) -> String {
        random_id(&mut self.rng)
    }
}

/// A 22-character URL-safe base64 id from 16 random bytes.
pub fn random_id(rng: &mut impl RngCore) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A random 10-digit personal meeting id.
pub fn random_pmi(rng: &mut impl Rng) -> u64 {
    rng.random_range(1_000_000_000..10_000_000_000)
}
