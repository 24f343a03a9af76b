//! The simulated account's data (users, groups, roles) and the shared runtime state
//! behind the server (settings, tokens, limiter, faults, stats), each behind its own
//! std mutex: no lock is ever held across an await.
//!
//! Users live in a `BTreeMap` keyed by a creation sequence number, so listings walk in
//! creation order and a page token only needs the last sequence number. Indexes (id,
//! e-mail), per-status and per-role counts and group memberships are kept consistent by
//! the methods here: handlers never touch them directly.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, RngCore};
use serde_json::{Map, Value};
use tokio::sync::watch;
use tokio::time::Instant;

use super::faults::FaultQueue;
use super::oauth::TokenStore;
use super::paging::PageCursors;
use super::phone_book::{PhoneBook, PhoneRefusal};
use super::ratelimit::{DailyCounter, RateLimiter};
use super::settings::{SimCredentials, SimSettings};
use super::stats::Stats;

/// Shared, cheaply cloned text for values drawn from small vocabularies (departments,
/// time zones, ...), so 100,000 users do not carry 100,000 copies of "Engineering".
pub type Text = Arc<str>;

/// Locks `m`, recovering the data if a panicking thread poisoned it (the simulator's
/// state stays usable; a test failure elsewhere must not cascade).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The id of the Owner role.
pub const OWNER_ROLE: &str = "0";
/// The id of the Admin role.
pub const ADMIN_ROLE: &str = "1";
/// The id of the Member role.
pub const MEMBER_ROLE: &str = "2";

/// A user's status (`GET /users` `status`, contract section 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    /// Active.
    Active,
    /// Deactivated.
    Inactive,
    /// Invited, not confirmed yet.
    Pending,
}

impl UserStatus {
    /// Zoom's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Pending => "pending",
        }
    }

    /// Parses Zoom's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "inactive" => Some(Self::Inactive),
            "pending" => Some(Self::Pending),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Active => 0,
            Self::Inactive => 1,
            Self::Pending => 2,
        }
    }
}

/// One `phone_numbers[]` entry of a user.
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneEntry {
    /// Country calling code, e.g. `+1`.
    pub code: String,
    /// Country, e.g. `US`.
    pub country: String,
    /// `Mobile`, `Office`, `Home` or `Fax`.
    pub label: String,
    /// The number.
    pub number: String,
    /// Whether it is verified.
    pub verified: bool,
}

/// One `custom_attributes[]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomAttribute {
    /// Attribute id.
    pub key: String,
    /// Attribute name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// Profile fields few users have, kept out of line so 100,000 users stay small.
#[derive(Debug, Clone, Default)]
pub struct UserExtras {
    /// Custom attributes (max 5).
    pub custom_attributes: Vec<CustomAttribute>,
    /// Host key.
    pub host_key: String,
    /// CMS user id.
    pub cms_user_id: String,
    /// Personal link name.
    pub vanity_name: String,
    /// Pronouns.
    pub pronouns: String,
    /// About me.
    pub about_me: String,
    /// LinkedIn profile.
    pub linkedin_url: String,
    /// Zoom Workplace plan option.
    pub zoom_one_type: Option<u64>,
    /// Zoom United plan option.
    pub plan_united_type: Option<String>,
    /// `PATCH /users/{id}/settings` values, overlaid on the settings template.
    pub settings: Map<String, Value>,
    /// Times of e-mail changes in the last 24 hours (Zoom allows three).
    pub recent_email_changes: Vec<DateTime<Utc>>,
}

/// Shared empty extras for users without any.
static NO_EXTRAS: std::sync::LazyLock<UserExtras> = std::sync::LazyLock::new(UserExtras::default);

/// A user of the account.
#[derive(Debug, Clone)]
pub struct User {
    id: String,
    email: String,
    status: UserStatus,
    role_id: Text,
    groups: Vec<u64>,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Display name.
    pub display_name: String,
    /// 1 Basic, 2 Licensed, 4 Unassigned without Meetings Basic, 99 None.
    pub user_type: u8,
    /// Personal meeting id (10 digits).
    pub pmi: u64,
    /// Use the PMI for instant meetings.
    pub use_pmi: bool,
    /// IANA time zone.
    pub timezone: Text,
    /// Department.
    pub dept: Text,
    /// Job title.
    pub job_title: Text,
    /// Company.
    pub company: Text,
    /// Cost center.
    pub cost_center: Text,
    /// Location.
    pub location: Text,
    /// Language, e.g. `en-US`.
    pub language: Text,
    /// Manager's e-mail.
    pub manager: String,
    /// E-mail verified.
    pub verified: bool,
    /// When the latest login type was created (`created_at`, deprecated by Zoom).
    pub created_at: DateTime<Utc>,
    /// When the user was created.
    pub user_created_at: DateTime<Utc>,
    /// Last login.
    pub last_login_time: Option<DateTime<Utc>>,
    /// Last client version.
    pub last_client_version: Text,
    /// Login type: 100 work e-mail, 101 SSO, 99 API user.
    pub login_type: u16,
    /// Phone numbers (max 3).
    pub phone_numbers: Vec<PhoneEntry>,
    /// Employee unique id (SSO users).
    pub employee_unique_id: String,
    /// 1 ask, 2 always, 3 never.
    pub pronouns_option: u8,
    /// `feature.zoom_phone`. Change it only through [`World::set_zoom_phone`].
    zoom_phone: bool,
    /// All e-mail changes.
    pub email_change_count: u32,
    /// `DELETE /users/{id}/token` calls.
    pub logged_out_count: u32,
    extras: Option<Box<UserExtras>>,
}

/// Everything needed to create a user; the rest starts empty.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Id (22 characters).
    pub id: String,
    /// E-mail.
    pub email: String,
    /// Status.
    pub status: UserStatus,
    /// Role id.
    pub role_id: Text,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Display name (derived from the names when empty).
    pub display_name: String,
    /// User type.
    pub user_type: u8,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Login type.
    pub login_type: u16,
    /// PMI.
    pub pmi: u64,
}

impl User {
    /// Builds a user from `new` with empty profile fields.
    pub fn new(new: NewUser) -> Self {
        let empty: Text = Arc::from("");
        let display_name = if new.display_name.is_empty() {
            derive_display_name(&new.first_name, &new.last_name)
        } else {
            new.display_name
        };
        Self {
            id: new.id,
            email: new.email,
            status: new.status,
            role_id: new.role_id,
            groups: Vec::new(),
            first_name: new.first_name,
            last_name: new.last_name,
            display_name,
            user_type: new.user_type,
            pmi: new.pmi,
            use_pmi: false,
            timezone: empty.clone(),
            dept: empty.clone(),
            job_title: empty.clone(),
            company: empty.clone(),
            cost_center: empty.clone(),
            location: empty.clone(),
            language: Arc::from("en-US"),
            manager: String::new(),
            verified: new.status != UserStatus::Pending,
            created_at: new.created_at,
            user_created_at: new.created_at,
            last_login_time: None,
            last_client_version: empty,
            login_type: new.login_type,
            phone_numbers: Vec::new(),
            employee_unique_id: String::new(),
            pronouns_option: 3,
            zoom_phone: false,
            email_change_count: 0,
            logged_out_count: 0,
            extras: None,
        }
    }

    /// The rarely-set profile fields.
    pub fn extras(&self) -> &UserExtras {
        self.extras.as_deref().unwrap_or(&NO_EXTRAS)
    }

    /// The rarely-set profile fields, for writing.
    pub fn extras_mut(&mut self) -> &mut UserExtras {
        self.extras.get_or_insert_with(Default::default)
    }

    /// The user id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The e-mail.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// The status.
    pub fn status(&self) -> UserStatus {
        self.status
    }

    /// The role id.
    pub fn role_id(&self) -> &str {
        &self.role_id
    }

    /// Group sequence numbers in join order (the first is the primary group).
    pub fn group_seqs(&self) -> &[u64] {
        &self.groups
    }

    /// `feature.zoom_phone`.
    pub fn zoom_phone(&self) -> bool {
        self.zoom_phone
    }
}

/// "If display_name is empty, the API endpoint derives the display_name from the
/// first_name and last_name values." (contract section 3.4)
pub fn derive_display_name(first: &str, last: &str) -> String {
    match (first.is_empty(), last.is_empty()) {
        (false, false) => format!("{first} {last}"),
        (false, true) => first.to_owned(),
        (true, false) => last.to_owned(),
        (true, true) => String::new(),
    }
}

/// A group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Id (22 characters).
    pub id: String,
    /// Name, unique in the account (case-insensitively).
    pub name: String,
    members: BTreeSet<u64>,
}

impl Group {
    /// Member user sequence numbers, in user creation order.
    pub fn members(&self) -> &BTreeSet<u64> {
        &self.members
    }
}

/// A role.
#[derive(Debug, Clone)]
pub struct Role {
    /// Id (`0` Owner, `1` Admin, `2` Member, random for custom roles).
    pub id: Text,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Privileges.
    pub privileges: Vec<&'static str>,
    members: usize,
}

impl Role {
    /// A role without members.
    pub fn new(id: &str, name: &str, description: &str, privileges: Vec<&'static str>) -> Self {
        Self {
            id: Arc::from(id),
            name: name.to_owned(),
            description: description.to_owned(),
            privileges,
            members: 0,
        }
    }

    /// Number of users holding the role.
    pub fn total_members(&self) -> usize {
        self.members
    }
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
        }
    }

    fn bump_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// A fresh 22-character URL-safe id (like `KDcuGIm1QgePTO8WbOqwIQ`).
    pub fn new_id(&mut self) -> String {
        random_id(&mut self.rng)
    }

    // ----- users -------------------------------------------------------------------

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The user with sequence number `seq`.
    pub fn user(&self, seq: u64) -> Option<&User> {
        self.users.get(&seq).map(|u| &**u)
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
    }

    /// Changes a user's e-mail (the caller checked uniqueness).
    pub fn set_email(&mut self, seq: u64, email: String) {
        if let Some(user) = self.users.get_mut(&seq) {
            self.user_by_email.remove(&user.email.to_lowercase());
            self.user_by_email.insert(email.to_lowercase(), seq);
            user.email = email;
        }
    }

    /// Gives a user another role: a user holds exactly one.
    pub fn set_role(&mut self, seq: u64, role_id: &str) {
        let Some(new_role) = self.roles.iter().position(|r| &*r.id == role_id) else {
            return;
        };
        let Some(user) = self.users.get_mut(&seq) else {
            return;
        };
        if &*user.role_id == role_id {
            return;
        }
        if let Some(old) = self.roles.iter_mut().find(|r| r.id == user.role_id) {
            old.members = old.members.saturating_sub(1);
        }
        let role = &mut self.roles[new_role];
        role.members += 1;
        user.role_id = role.id.clone();
    }

    /// Turns `feature.zoom_phone` on or off.
    ///
    /// The single place where a user becomes or stops being a phone user. On: a
    /// profile at the main site with the lowest free extension, taking a licence
    /// (refused when none is left). Off: "If the value is set to false, will remove
    /// user from Zoom Phone. All numbers and phones assigned to the users will become
    /// unassigned." (contract section 3.9): numbers and plans go back to their
    /// pools, the extension and the licence are freed. Pending users only record the
    /// wish: they get the profile when they confirm ([`Self::set_status`]).
    pub fn set_zoom_phone(&mut self, seq: u64, enabled: bool) -> Result<(), PhoneRefusal> {
        let Some(user) = self.users.get(&seq) else {
            return Ok(());
        };
        let pending = user.status == UserStatus::Pending;
        if enabled && !pending {
            self.phone.enable(seq)?;
        }
        if !enabled {
            self.phone.disable(seq);
        }
        if let Some(user) = self.users.get_mut(&seq) {
            user.zoom_phone = enabled;
        }
        Ok(())
    }

    /// Seeding: makes user `seq` a phone user at `site` (no licence check; the seeder
    /// sizes the licence pool afterwards).
    pub fn seed_phone_user(&mut self, seq: u64, site: u64) -> Result<(), PhoneRefusal> {
        if !self.users.contains_key(&seq) {
            return Ok(());
        }
        self.phone.enable_at(seq, site)?;
        if let Some(user) = self.users.get_mut(&seq) {
            user.zoom_phone = true;
        }
        Ok(())
    }

    /// The Zoom Phone side of the account.
    pub fn phone(&self) -> &PhoneBook {
        &self.phone
    }

    /// The Zoom Phone side, for plan, number, site and extension changes. Profiles are
    /// created and removed only through [`Self::set_zoom_phone`] (and seeding).
    pub fn phone_mut(&mut self) -> &mut PhoneBook {
        &mut self.phone
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

    // ----- groups ------------------------------------------------------------------

    /// Number of groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The group with sequence number `seq`.
    pub fn group(&self, seq: u64) -> Option<&Group> {
        self.groups.get(&seq)
    }

    /// The group with id `id`.
    pub fn resolve_group(&self, id: &str) -> Option<u64> {
        self.group_by_id.get(id).copied()
    }

    /// The group named `name` (case-insensitive).
    pub fn group_by_name(&self, name: &str) -> Option<u64> {
        let wanted = name.to_lowercase();
        self.groups
            .iter()
            .find(|(_, g)| g.name.to_lowercase() == wanted)
            .map(|(seq, _)| *seq)
    }

    /// Groups after sequence number `after`, in creation order.
    pub fn groups_after(&self, after: u64) -> impl Iterator<Item = (u64, &Group)> {
        self.groups
            .range(after.saturating_add(1)..)
            .map(|(seq, g)| (*seq, g))
    }

    /// Adds a group.
    pub fn insert_group(&mut self, id: String, name: String) -> u64 {
        let seq = self.bump_seq();
        self.group_by_id.insert(id.clone(), seq);
        self.groups.insert(
            seq,
            Group {
                id,
                name,
                members: BTreeSet::new(),
            },
        );
        seq
    }

    /// Renames a group.
    pub fn rename_group(&mut self, seq: u64, name: String) {
        if let Some(g) = self.groups.get_mut(&seq) {
            g.name = name;
        }
    }

    /// Deletes a group; its members lose it from their `group_ids`.
    pub fn remove_group(&mut self, seq: u64) -> Option<Group> {
        let group = self.groups.remove(&seq)?;
        self.group_by_id.remove(&group.id);
        for member in &group.members {
            if let Some(user) = self.users.get_mut(member) {
                user.groups.retain(|g| *g != seq);
            }
        }
        Some(group)
    }

    /// Adds a member; false if they already were one.
    pub fn add_member(&mut self, group: u64, user: u64) -> bool {
        let (Some(g), Some(u)) = (self.groups.get_mut(&group), self.users.get_mut(&user)) else {
            return false;
        };
        if !g.members.insert(user) {
            return false;
        }
        u.groups.push(group);
        true
    }

    /// Removes a member; false if they were not one.
    pub fn remove_member(&mut self, group: u64, user: u64) -> bool {
        let Some(g) = self.groups.get_mut(&group) else {
            return false;
        };
        if !g.members.remove(&user) {
            return false;
        }
        if let Some(u) = self.users.get_mut(&user) {
            u.groups.retain(|x| *x != group);
        }
        true
    }

    /// Makes `group` the user's primary group (first in `group_ids`).
    pub fn set_primary_group(&mut self, user: u64, group: u64) {
        if let Some(u) = self.users.get_mut(&user)
            && let Some(pos) = u.groups.iter().position(|g| *g == group)
        {
            let g = u.groups.remove(pos);
            u.groups.insert(0, g);
        }
    }

    /// The user's group ids in join order, borrowed.
    pub fn group_id_refs<'a>(&'a self, user: &User) -> Vec<&'a str> {
        user.groups
            .iter()
            .filter_map(|g| self.groups.get(g).map(|g| g.id.as_str()))
            .collect()
    }

    /// The user's group ids in join order.
    pub fn group_ids_of(&self, user: &User) -> Vec<String> {
        user.groups
            .iter()
            .filter_map(|g| self.groups.get(g).map(|g| g.id.clone()))
            .collect()
    }

    // ----- roles -------------------------------------------------------------------

    /// All roles.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The role with id `id`.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| &*r.id == id)
    }

    /// Whether the role with `id` exists.
    pub fn role_text(&self, id: &str) -> Option<Text> {
        self.role(id).map(|r| r.id.clone())
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

/// The runtime state shared by every handler.
#[derive(Debug)]
pub struct Sim {
    /// `http://addr` (the token response's `api_url`).
    pub base_url: String,
    /// Accepted OAuth credentials.
    pub credentials: SimCredentials,
    settings: RwLock<SimSettings>,
    world: Mutex<World>,
    tokens: Mutex<TokenStore>,
    limiter: Mutex<RateLimiter>,
    faults: Mutex<FaultQueue>,
    stats: Mutex<Stats>,
    /// Becomes true when the server shuts down (hanging requests give up).
    pub shutdown: watch::Receiver<bool>,
}

impl Sim {
    /// Assembles the runtime state.
    pub fn new(
        base_url: String,
        credentials: SimCredentials,
        settings: SimSettings,
        world: World,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            base_url,
            credentials,
            settings: RwLock::new(settings),
            world: Mutex::new(world),
            tokens: Mutex::new(TokenStore::default()),
            limiter: Mutex::new(RateLimiter::default()),
            faults: Mutex::new(FaultQueue::default()),
            stats: Mutex::new(Stats::default()),
            shutdown,
        }
    }

    /// A copy of the current settings.
    pub fn settings(&self) -> SimSettings {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the settings.
    pub fn set_settings(&self, settings: SimSettings) {
        *self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = settings;
    }

    /// The account data. Invitations due for confirmation (`activate_pending_after_s`)
    /// are confirmed first, so every reader sees invitees who "accepted" meanwhile.
    pub fn world(&self) -> MutexGuard<'_, World> {
        let after = self
            .settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .activate_pending_after_s;
        let mut world = lock(&self.world);
        world.confirm_due_invitations(Instant::now(), after.map(Duration::from_secs));
        world
    }

    /// Issued access tokens.
    pub fn tokens(&self) -> MutexGuard<'_, TokenStore> {
        lock(&self.tokens)
    }

    /// The rate limiter.
    pub fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        lock(&self.limiter)
    }

    /// Scripted faults.
    pub fn faults(&self) -> MutexGuard<'_, FaultQueue> {
        lock(&self.faults)
    }

    /// Counters.
    pub fn stats(&self) -> MutexGuard<'_, Stats> {
        lock(&self.stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn world() -> World {
        let account = Account {
            id: "acct".into(),
            account_number: 1,
            cluster: "us06".into(),
            domain: "example.com".into(),
            managed_domains: vec!["example.com".into()],
        };
        let roles = vec![
            Role::new(OWNER_ROLE, "Owner", "", vec![]),
            Role::new(ADMIN_ROLE, "Admin", "", vec![]),
            Role::new(MEMBER_ROLE, "Member", "", vec![]),
        ];
        World::new(account, roles, StdRng::seed_from_u64(7))
    }

    fn new_user(w: &mut World, email: &str, role: &str, status: UserStatus) -> u64 {
        let id = w.new_id();
        let role = w.role_text(role).expect("role");
        w.insert_user(User::new(NewUser {
            id,
            email: email.into(),
            status,
            role_id: role,
            first_name: "A".into(),
            last_name: "B".into(),
            display_name: String::new(),
            user_type: 2,
            created_at: Utc::now(),
            login_type: 100,
            pmi: 1234567890,
        }))
    }

    #[test]
    fn ids_look_like_zoom_ids() {
        let mut w = world();
        let id = w.new_id();
        assert_eq!(id.len(), 22);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn indexes_counts_and_memberships_stay_consistent() {
        let mut w = world();
        let owner = new_user(&mut w, "Owner@Example.com", OWNER_ROLE, UserStatus::Active);
        let u = new_user(&mut w, "u@example.com", MEMBER_ROLE, UserStatus::Pending);
        assert_eq!(w.owner(), Some(owner));
        assert_eq!(w.resolve_user("me"), Some(owner));
        assert_eq!(w.resolve_user("OWNER@example.COM"), Some(owner));
        assert_eq!(w.user(u).map(|x| x.display_name.as_str()), Some("A B"));
        assert_eq!(w.count_status(UserStatus::Pending), 1);
        w.set_status(u, UserStatus::Active);
        assert_eq!(w.count_status(UserStatus::Pending), 0);
        assert_eq!(w.count_status(UserStatus::Active), 2);

        let g1 = w.insert_group("g1".into(), "Engineering".into());
        let g2 = w.insert_group("g2".into(), "Sales".into());
        assert!(w.add_member(g1, u));
        assert!(!w.add_member(g1, u));
        assert!(w.add_member(g2, u));
        let user = w.user(u).expect("user").clone();
        assert_eq!(w.group_ids_of(&user), vec!["g1", "g2"]);
        w.set_primary_group(u, g2);
        let user = w.user(u).expect("user").clone();
        assert_eq!(w.group_ids_of(&user), vec!["g2", "g1"]);
        w.remove_group(g2);
        let user = w.user(u).expect("user").clone();
        assert_eq!(w.group_ids_of(&user), vec!["g1"]);

        w.set_role(u, ADMIN_ROLE);
        assert_eq!(w.role(ADMIN_ROLE).map(Role::total_members), Some(1));
        assert_eq!(w.role(MEMBER_ROLE).map(Role::total_members), Some(0));

        w.set_email(u, "New@example.com".into());
        assert_eq!(w.find_by_email("new@EXAMPLE.com"), Some(u));
        assert_eq!(w.find_by_email("u@example.com"), None);

        w.remove_user(u);
        assert!(w.group(g1).expect("group").members().is_empty());
        assert_eq!(w.role(ADMIN_ROLE).map(Role::total_members), Some(0));
        assert_eq!(w.resolve_user("New@example.com"), None);
    }

    #[test]
    fn invitations_are_confirmed_after_the_delay() {
        let mut w = world();
        let u = new_user(&mut w, "p@example.com", MEMBER_ROLE, UserStatus::Pending);
        let t0 = Instant::now();
        w.queue_invitation(u, t0);
        w.confirm_due_invitations(t0 + Duration::from_secs(4), Some(Duration::from_secs(5)));
        assert_eq!(w.user(u).map(User::status), Some(UserStatus::Pending));
        w.confirm_due_invitations(t0 + Duration::from_secs(4), None);
        assert_eq!(w.user(u).map(User::status), Some(UserStatus::Pending));
        w.confirm_due_invitations(t0 + Duration::from_secs(5), Some(Duration::from_secs(5)));
        assert_eq!(w.user(u).map(User::status), Some(UserStatus::Active));
    }
}
