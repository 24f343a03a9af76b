//! The account's Zoom Phone data: sites, the phone-number pool, calling-plan
//! subscriptions, phone licences and the users' phone profiles, with the indexes that
//! keep extensions and numbers unique. [`World`](super::state::World) owns one; the
//! profile life cycle (feature on/off, activation, deletion) goes through `World`.
//!
//! # Model (choices where Zoom's documents are silent are marked *choice*)
//!
//! - A full extension is the site code followed by a 4-digit short extension (contract section 5,
//!   `PATCH /phone/users/{userId}` `extension_number`: "The number must be complete
//!   (i.e. site number + short extension)"), e.g. site code 1, short 0001 -> `10001`.
//!   Short `0000` belongs to the site's main auto receptionist (*choice*).
//! - Enabling the feature takes a phone licence and places the user at the main site
//!   with the lowest free short extension (*choice*, as Zoom's "0 = auto-assign").
//! - A number has a site only while it is assigned (the assignee's site) (*choice*).
//! - Plan and number assignments are all-or-nothing per request (*choice*).
//! - Sizes are small on purpose: a profile is a site, a short extension and two small
//!   vectors; ids shown by the API (`phone_user_id`, `extension_id`) are derived from
//!   the user id instead of being stored, so 100,000 users stay cheap.

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::error::SimError;

/// `10^4`: the span of the 4-digit short extensions of one site.
const SHORT_SPAN: u64 = 10_000;
/// The largest short extension.
const MAX_SHORT: u16 = 9_999;
/// `POST /phone/users/{userId}/phone_numbers` takes at most 10 (contract section 5); the
/// profile's `phone_numbers` has the same bound, so a user holds at most 10 (*choice*).
pub const MAX_NUMBERS_PER_USER: usize = 10;

/// A phone site (`GET /phone/sites` item, contract section 5).
#[derive(Debug, Clone)]
pub struct Site {
    /// Site id (22 characters).
    pub id: String,
    /// Display name, unique in the account (case-insensitively).
    pub name: String,
    /// Site code, the prefix of its users' extensions.
    pub code: u32,
    /// ISO country code, e.g. `US`.
    pub country_code: &'static str,
    /// Country name.
    pub country_name: &'static str,
    /// Whether this is the account's main site (`level: "main"`, contract section 8).
    pub main: bool,
    /// Id of the site's main auto receptionist.
    pub receptionist_id: String,
    /// Lowest short extension that may be free (allocation hint).
    next_free: u16,
}

impl Site {
    /// The full extension of `short` at this site.
    pub fn extension(&self, short: u16) -> u64 {
        u64::from(self.code) * SHORT_SPAN + u64::from(short)
    }
}

/// One number of the account's pool (`GET /phone/numbers` item, contract section 5). Stored inline
/// (16 id bytes, the digits as an integer): a pool of tens of thousands of numbers
/// costs no heap allocation per number.
#[derive(Debug, Clone)]
pub struct NumberEntry {
    id: [u8; 16],
    digits: u64,
    /// `tollfree` rather than `toll`.
    pub toll_free: bool,
    /// Country name shown as `location`.
    pub location: &'static str,
    assignee: Option<u64>,
}

impl NumberEntry {
    /// Number id (22 URL-safe characters, like every Zoom id).
    pub fn id(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.id)
    }

    /// E.164, e.g. `+14085550123`.
    pub fn number(&self) -> String {
        format!("+{}", self.digits)
    }

    /// The user sequence number holding it.
    pub fn assignee(&self) -> Option<u64> {
        self.assignee
    }
}

/// The 16 bytes of a 22-character id, if `text` is one.
fn id_bytes(text: &str) -> Option<[u8; 16]> {
    URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()
}

/// A calling-plan subscription of the account (`GET /phone/calling_plans`, contract section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanPool {
    /// Plan code (contract section 5).
    pub plan_type: i64,
    /// Plan name.
    pub name: &'static str,
    /// Seats bought.
    pub subscribed: u32,
    /// Seats in use.
    pub assigned: u32,
}

impl PlanPool {
    /// Seats left.
    pub fn available(&self) -> u32 {
        self.subscribed.saturating_sub(self.assigned)
    }
}

/// A user's phone profile.
#[derive(Debug, Clone)]
pub struct Profile {
    site: u64,
    short: u16,
    plans: Vec<i64>,
    numbers: Vec<u64>,
}

impl Profile {
    /// Site sequence number.
    pub fn site(&self) -> u64 {
        self.site
    }

    /// Calling-plan codes in assignment order.
    pub fn plans(&self) -> &[i64] {
        &self.plans
    }

    /// Number sequence numbers in assignment order.
    pub fn numbers(&self) -> &[u64] {
        &self.numbers
    }
}

/// An id derived from a user id and a purpose: stable, 22 URL-safe characters.
pub fn derived_id(purpose: &str, user_id: &str) -> String {
    let digest = Sha256::digest(format!("{purpose}:{user_id}"));
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Why a phone change is refused. Each maps to Zoom's answer in [`From`] below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneRefusal {
    /// No phone licence left.
    NoLicence,
    /// Every short extension of the site is taken.
    SiteFull(String),
    /// No such site.
    UnknownSite,
    /// An extension that is not the site code plus 4 digits.
    ExtensionOutOfRange(String),
    /// An extension another user holds.
    ExtensionTaken(u64),
    /// A plan the account has no subscription for.
    UnknownPlan(i64),
    /// A plan the user already holds.
    PlanHeld(i64),
    /// A plan whose seats are all assigned.
    NoPlanSeats(i64, &'static str),
    /// A plan the user does not hold.
    PlanNotHeld,
    /// A number not in the account's pool.
    UnknownNumber,
    /// A number assigned already.
    NumberTaken,
    /// More than [`MAX_NUMBERS_PER_USER`] numbers.
    TooManyNumbers,
    /// A number the user does not hold.
    NumberNotHeld,
}

impl From<PhoneRefusal> for SimError {
    fn from(refusal: PhoneRefusal) -> Self {
        use PhoneRefusal::*;
        match refusal {
            // No phone licence left: 404 code 1102 (`POST /users`, contract section 3.9).
            NoLicence => SimError::new(
                StatusCode::NOT_FOUND,
                1102,
                "You cannot enable the Zoom Phone feature because you do not have any available licenses.",
            ),
            // *choice*: Zoom documents no answer for a full site.
            SiteFull(name) => SimError::bad_request(
                300,
                format!("No extension number is available at site {name}."),
            ),
            // contract section 5.1: 404 code 404 "Site does not exist.".
            UnknownSite => SimError::new(StatusCode::NOT_FOUND, 404, "Site does not exist."),
            // contract section 5.1: 400 code 300 "{extensionNumber} is out of range".
            ExtensionOutOfRange(ext) => {
                SimError::bad_request(300, format!("{ext} is out of range"))
            }
            // contract section 5.1: 400 code 400.
            ExtensionTaken(ext) => {
                SimError::bad_request(400, format!("Extension number {ext} is already used."))
            }
            // contract section 5.1: 400 code 404 "Unknown or invalid calling plan: {type}.".
            UnknownPlan(t) => {
                SimError::bad_request(404, format!("Unknown or invalid calling plan: {t}."))
            }
            // *choice*: Zoom documents no answer for a plan held twice.
            PlanHeld(t) => {
                SimError::bad_request(300, format!("The user already has the calling plan {t}."))
            }
            // *choice*: Zoom documents no answer for exhausted plan seats.
            NoPlanSeats(t, name) => SimError::bad_request(
                300,
                format!("There are not enough licenses for the calling plan {name} ({t})."),
            ),
            // contract section 5.1: 400 code 400.
            PlanNotHeld => SimError::bad_request(400, "Invalid field."),
            // contract section 5.1: 400 code 404 "Phone number
            // does not exist.", code 409 "Phone number already in use.".
            UnknownNumber => SimError::bad_request(404, "Phone number does not exist."),
            NumberTaken => SimError::bad_request(409, "Phone number already in use."),
            TooManyNumbers => SimError::bad_request(
                300,
                format!("A user can have at most {MAX_NUMBERS_PER_USER} phone numbers."),
            ),
            // contract section 5.1: 404 code 400.
            NumberNotHeld => SimError::new(
                StatusCode::NOT_FOUND,
                400,
                "Invalid query parameter \"phone_number\".",
            ),
        }
    }
}

/// How a request names a number: by id, by number, or both (id wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberKey {
    /// Number id.
    pub id: Option<String>,
    /// E.164 number (with or without `+`).
    pub number: Option<String>,
}

/// The digits of a phone number as an integer (E.164 has at most 15 digits), or
/// `None` when `text` is not shaped like one.
fn number_digits(text: &str) -> Option<u64> {
    let shaped = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if !shaped || digits.is_empty() || digits.len() > 15 {
        return None;
    }
    digits.parse().ok()
}

/// The Zoom Phone side of the account.
#[derive(Debug, Default)]
pub struct PhoneBook {
    sites: BTreeMap<u64, Site>,
    site_by_id: HashMap<String, u64>,
    main_site: Option<u64>,
    numbers: BTreeMap<u64, NumberEntry>,
    number_by_id: HashMap<[u8; 16], u64>,
    number_by_digits: HashMap<u64, u64>,
    assigned_numbers: usize,
    plans: Vec<PlanPool>,
    licences: usize,
    profiles: BTreeMap<u64, Profile>,
    /// Full extension -> user sequence number.
    extensions: HashMap<u64, u64>,
    next_seq: u64,
}

impl PhoneBook {
    fn bump(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    // ----- sites -------------------------------------------------------------------

    /// Adds a site; the first site marked `main` becomes the main site.
    #[allow(clippy::too_many_arguments)]
    pub fn add_site(
        &mut self,
        id: String,
        name: String,
        code: u32,
        country_code: &'static str,
        country_name: &'static str,
        main: bool,
        receptionist_id: String,
    ) -> u64 {
        let seq = self.bump();
        self.site_by_id.insert(id.clone(), seq);
        let main = main && self.main_site.is_none();
        if main {
            self.main_site = Some(seq);
        }
        self.sites.insert(
            seq,
            Site {
                id,
                name,
                code,
                country_code,
                country_name,
                main,
                receptionist_id,
                next_free: 1,
            },
        );
        seq
    }

    /// The site with sequence number `seq`.
    pub fn site(&self, seq: u64) -> Option<&Site> {
        self.sites.get(&seq)
    }

    /// The site with id `id`.
    pub fn resolve_site(&self, id: &str) -> Option<u64> {
        self.site_by_id.get(id).copied()
    }

    /// Sites after sequence number `after`, in creation order.
    pub fn sites_after(&self, after: u64) -> impl Iterator<Item = (u64, &Site)> {
        self.sites
            .range(after.saturating_add(1)..)
            .map(|(seq, s)| (*seq, s))
    }

    /// Number of sites.
    pub fn site_count(&self) -> usize {
        self.sites.len()
    }

    // ----- numbers -----------------------------------------------------------------

    /// Adds an unassigned number (`digits` of its E.164 form) to the pool; the caller
    /// keeps ids and numbers unique.
    pub fn add_number(
        &mut self,
        id: [u8; 16],
        digits: u64,
        toll_free: bool,
        location: &'static str,
    ) -> u64 {
        let seq = self.bump();
        self.number_by_id.insert(id, seq);
        self.number_by_digits.insert(digits, seq);
        self.numbers.insert(
            seq,
            NumberEntry {
                id,
                digits,
                toll_free,
                location,
                assignee: None,
            },
        );
        seq
    }

    /// The number with sequence number `seq`.
    pub fn number(&self, seq: u64) -> Option<&NumberEntry> {
        self.numbers.get(&seq)
    }

    /// Numbers after sequence number `after`, in creation order.
    pub fn numbers_after(&self, after: u64) -> impl Iterator<Item = (u64, &NumberEntry)> {
        self.numbers
            .range(after.saturating_add(1)..)
            .map(|(seq, n)| (*seq, n))
    }

    /// Size of the pool and how many are assigned.
    pub fn number_counts(&self) -> (usize, usize) {
        (self.numbers.len(), self.assigned_numbers)
    }

    /// A number by id, or by number with or without `+` and separators.
    pub fn resolve_number(&self, key: &str) -> Option<u64> {
        if let Some(seq) = id_bytes(key).and_then(|id| self.number_by_id.get(&id)) {
            return Some(*seq);
        }
        number_digits(key).and_then(|d| self.number_by_digits.get(&d).copied())
    }

    fn resolve_number_key(&self, key: &NumberKey) -> Option<u64> {
        match (&key.id, &key.number) {
            (Some(id), _) => id_bytes(id).and_then(|id| self.number_by_id.get(&id).copied()),
            (None, Some(number)) => {
                number_digits(number).and_then(|d| self.number_by_digits.get(&d).copied())
            }
            (None, None) => None,
        }
    }

    // ----- plans and licences ------------------------------------------------------

    /// Adds a subscription (or raises its seats).
    pub fn add_plan(&mut self, plan_type: i64, name: &'static str, subscribed: u32) {
        match self.plans.iter_mut().find(|p| p.plan_type == plan_type) {
            Some(p) => p.subscribed = p.subscribed.saturating_add(subscribed),
            None => self.plans.push(PlanPool {
                plan_type,
                name,
                subscribed,
                assigned: 0,
            }),
        }
    }

    /// Sets a plan's seats to `assigned + spare` (seeding).
    pub fn top_up_plans(&mut self, spare: u32) {
        for p in &mut self.plans {
            p.subscribed = p.assigned.saturating_add(spare);
        }
    }

    /// The account's subscriptions.
    pub fn plans(&self) -> &[PlanPool] {
        &self.plans
    }

    /// The subscription of `plan_type`.
    pub fn plan(&self, plan_type: i64) -> Option<&PlanPool> {
        self.plans.iter().find(|p| p.plan_type == plan_type)
    }

    /// Sets the phone licences bought.
    pub fn set_licences(&mut self, licences: usize) {
        self.licences = licences;
    }

    /// Phone licences bought and in use (one per profile).
    pub fn licences(&self) -> (usize, usize) {
        (self.licences, self.profiles.len())
    }

    // ----- profiles ----------------------------------------------------------------

    /// The profile of user `user`.
    pub fn profile(&self, user: u64) -> Option<&Profile> {
        self.profiles.get(&user)
    }

    /// Profiles of users after sequence number `after`, in user creation order.
    pub fn profiles_after(&self, after: u64) -> impl Iterator<Item = (u64, &Profile)> {
        self.profiles
            .range(after.saturating_add(1)..)
            .map(|(seq, p)| (*seq, p))
    }

    /// Number of phone users.
    pub fn profile_count(&self) -> usize {
        self.profiles.len()
    }

    /// The full extension of a profile.
    pub fn extension_of(&self, profile: &Profile) -> u64 {
        self.sites
            .get(&profile.site)
            .map_or(u64::from(profile.short), |s| s.extension(profile.short))
    }

    /// The lowest free short extension at `site`, from its hint on.
    fn free_short(&self, site: u64) -> Result<u16, PhoneRefusal> {
        let s = self.sites.get(&site).ok_or(PhoneRefusal::UnknownSite)?;
        (s.next_free.max(1)..=MAX_SHORT)
            .find(|short| !self.extensions.contains_key(&s.extension(*short)))
            .ok_or_else(|| PhoneRefusal::SiteFull(s.name.clone()))
    }

    /// Whether one more user could get a profile at the main site now.
    pub fn check_can_enable(&self) -> Result<(), PhoneRefusal> {
        if self.profiles.len() >= self.licences {
            return Err(PhoneRefusal::NoLicence);
        }
        let main = self.main_site.ok_or(PhoneRefusal::UnknownSite)?;
        self.free_short(main).map(|_| ())
    }

    fn take_extension(&mut self, user: u64, site: u64, short: u16) {
        let Some(s) = self.sites.get_mut(&site) else {
            return;
        };
        self.extensions.insert(s.extension(short), user);
        // Keep the hint on the lowest possibly free short, so sequential allocation
        // (seeding 100,000 users) stays O(1) per user.
        while s.next_free <= MAX_SHORT && self.extensions.contains_key(&s.extension(s.next_free)) {
            s.next_free += 1;
        }
    }

    fn free_extension(&mut self, site: u64, short: u16) {
        if let Some(s) = self.sites.get_mut(&site) {
            self.extensions.remove(&s.extension(short));
            s.next_free = s.next_free.min(short);
        }
    }

    /// Gives `user` a profile at the main site with the lowest free extension (no-op if
    /// they have one).
    pub fn enable(&mut self, user: u64) -> Result<(), PhoneRefusal> {
        if self.profiles.contains_key(&user) {
            return Ok(());
        }
        self.check_can_enable()?;
        let site = self.main_site.ok_or(PhoneRefusal::UnknownSite)?;
        let short = self.free_short(site)?;
        self.insert_profile(user, site, short);
        Ok(())
    }

    /// Gives `user` a profile at `site` with the lowest free extension, ignoring the
    /// licence count (seeding sets it afterwards).
    pub fn enable_at(&mut self, user: u64, site: u64) -> Result<(), PhoneRefusal> {
        if self.profiles.contains_key(&user) {
            return Ok(());
        }
        let short = self.free_short(site)?;
        self.insert_profile(user, site, short);
        Ok(())
    }

    fn insert_profile(&mut self, user: u64, site: u64, short: u16) {
        self.take_extension(user, site, short);
        self.profiles.insert(
            user,
            Profile {
                site,
                short,
                plans: Vec::new(),
                numbers: Vec::new(),
            },
        );
    }

    /// Removes `user`'s profile: "All numbers and phones assigned to the users will
    /// become unassigned" (contract section 3.9); plans go
    /// back to their pools, the extension and the licence are freed.
    pub fn disable(&mut self, user: u64) {
        let Some(profile) = self.profiles.remove(&user) else {
            return;
        };
        self.free_extension(profile.site, profile.short);
        for t in &profile.plans {
            if let Some(p) = self.plans.iter_mut().find(|p| p.plan_type == *t) {
                p.assigned = p.assigned.saturating_sub(1);
            }
        }
        for n in &profile.numbers {
            if let Some(entry) = self.numbers.get_mut(n) {
                entry.assignee = None;
                self.assigned_numbers = self.assigned_numbers.saturating_sub(1);
            }
        }
    }

    /// Parses a full extension for `site`: the site code then 4 digits, short not 0.
    fn parse_extension(&self, site: u64, text: &str) -> Result<u16, PhoneRefusal> {
        let s = self.sites.get(&site).ok_or(PhoneRefusal::UnknownSite)?;
        let out_of_range = || PhoneRefusal::ExtensionOutOfRange(text.to_owned());
        let code = s.code.to_string();
        let short = text
            .strip_prefix(code.as_str())
            .filter(|rest| rest.len() == 4 && rest.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(out_of_range)?;
        match short.parse::<u16>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(out_of_range()),
        }
    }

    /// `PATCH /phone/users/{userId}`: move to `site` and/or take `extension` (complete:
    /// site code + short). A move without an extension keeps the short extension when
    /// it is free at the new site, else takes the lowest free one (*choice*).
    pub fn update(
        &mut self,
        user: u64,
        site: Option<u64>,
        extension: Option<&str>,
    ) -> Result<(), PhoneRefusal> {
        let profile = self
            .profiles
            .get(&user)
            .ok_or(PhoneRefusal::UnknownSite)?
            .clone();
        let target = site.unwrap_or(profile.site);
        if !self.sites.contains_key(&target) {
            return Err(PhoneRefusal::UnknownSite);
        }
        let short = match extension {
            Some(text) => {
                let short = self.parse_extension(target, text)?;
                let full = self.sites[&target].extension(short);
                match self.extensions.get(&full) {
                    Some(holder) if *holder != user => {
                        return Err(PhoneRefusal::ExtensionTaken(full));
                    }
                    _ => short,
                }
            }
            None if target == profile.site => profile.short,
            None => {
                let keep = self.sites[&target].extension(profile.short);
                if self.extensions.contains_key(&keep) {
                    self.free_short(target)?
                } else {
                    profile.short
                }
            }
        };
        if target == profile.site && short == profile.short {
            return Ok(());
        }
        self.free_extension(profile.site, profile.short);
        self.take_extension(user, target, short);
        if let Some(p) = self.profiles.get_mut(&user) {
            p.site = target;
            p.short = short;
        }
        Ok(())
    }

    /// Assigns calling plans (duplicates in `types` count once); all or nothing.
    pub fn assign_plans(&mut self, user: u64, types: &[i64]) -> Result<(), PhoneRefusal> {
        let held = self
            .profiles
            .get(&user)
            .map(|p| p.plans.clone())
            .unwrap_or_default();
        let mut wanted: Vec<i64> = Vec::with_capacity(types.len());
        for t in types {
            if !wanted.contains(t) {
                wanted.push(*t);
            }
        }
        for t in &wanted {
            let pool = self.plan(*t).ok_or(PhoneRefusal::UnknownPlan(*t))?;
            if held.contains(t) {
                return Err(PhoneRefusal::PlanHeld(*t));
            }
            if pool.available() == 0 {
                return Err(PhoneRefusal::NoPlanSeats(*t, pool.name));
            }
        }
        for t in &wanted {
            if let Some(p) = self.plans.iter_mut().find(|p| p.plan_type == *t) {
                p.assigned += 1;
            }
        }
        if let Some(p) = self.profiles.get_mut(&user) {
            p.plans.extend(wanted);
        }
        Ok(())
    }

    /// Unassigns one calling plan.
    pub fn unassign_plan(&mut self, user: u64, plan_type: i64) -> Result<(), PhoneRefusal> {
        let profile = self
            .profiles
            .get_mut(&user)
            .ok_or(PhoneRefusal::PlanNotHeld)?;
        let pos = profile
            .plans
            .iter()
            .position(|t| *t == plan_type)
            .ok_or(PhoneRefusal::PlanNotHeld)?;
        profile.plans.remove(pos);
        if let Some(p) = self.plans.iter_mut().find(|p| p.plan_type == plan_type) {
            p.assigned = p.assigned.saturating_sub(1);
        }
        Ok(())
    }

    /// Assigns numbers from the pool; all or nothing. Returns their sequence numbers.
    pub fn assign_numbers(
        &mut self,
        user: u64,
        keys: &[NumberKey],
    ) -> Result<Vec<u64>, PhoneRefusal> {
        let held = self
            .profiles
            .get(&user)
            .map(|p| p.numbers.len())
            .unwrap_or_default();
        let mut seqs: Vec<u64> = Vec::with_capacity(keys.len());
        for key in keys {
            let seq = self
                .resolve_number_key(key)
                .ok_or(PhoneRefusal::UnknownNumber)?;
            let entry = &self.numbers[&seq];
            if entry.assignee.is_some() || seqs.contains(&seq) {
                return Err(PhoneRefusal::NumberTaken);
            }
            seqs.push(seq);
        }
        if held + seqs.len() > MAX_NUMBERS_PER_USER {
            return Err(PhoneRefusal::TooManyNumbers);
        }
        for seq in &seqs {
            if let Some(entry) = self.numbers.get_mut(seq) {
                entry.assignee = Some(user);
                self.assigned_numbers += 1;
            }
        }
        if let Some(p) = self.profiles.get_mut(&user) {
            p.numbers.extend(seqs.iter().copied());
        }
        Ok(seqs)
    }

    /// Unassigns one number, named by id or number.
    pub fn unassign_number(&mut self, user: u64, key: &str) -> Result<(), PhoneRefusal> {
        let seq = self
            .resolve_number(key)
            .ok_or(PhoneRefusal::NumberNotHeld)?;
        let profile = self
            .profiles
            .get_mut(&user)
            .ok_or(PhoneRefusal::NumberNotHeld)?;
        let pos = profile
            .numbers
            .iter()
            .position(|n| *n == seq)
            .ok_or(PhoneRefusal::NumberNotHeld)?;
        profile.numbers.remove(pos);
        if let Some(entry) = self.numbers.get_mut(&seq) {
            entry.assignee = None;
            self.assigned_numbers = self.assigned_numbers.saturating_sub(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id of the test number made of `n` bytes.
    fn nid(n: u8) -> String {
        URL_SAFE_NO_PAD.encode([n; 16])
    }

    fn book() -> (PhoneBook, u64, u64) {
        let mut b = PhoneBook::default();
        let main = b.add_site(
            "main".into(),
            "Main Site".into(),
            1,
            "US",
            "United States",
            true,
            "ar1".into(),
        );
        let london = b.add_site(
            "lon".into(),
            "London".into(),
            2,
            "GB",
            "United Kingdom",
            false,
            "ar2".into(),
        );
        b.add_plan(200, "US/CA Unlimited Calling Plan", 2);
        b.add_plan(3000, "Zoom Phone Pro", 1);
        b.add_number([1; 16], 14085550001, false, "United States");
        b.add_number([2; 16], 14085550002, false, "United States");
        b.set_licences(2);
        (b, main, london)
    }

    #[test]
    fn enabling_takes_a_licence_and_the_lowest_free_extension() {
        let (mut b, main, _) = book();
        b.enable(10).expect("first");
        b.enable(11).expect("second");
        b.enable(10).expect("idempotent");
        assert_eq!(b.licences(), (2, 2));
        assert_eq!(b.check_can_enable(), Err(PhoneRefusal::NoLicence));
        assert_eq!(b.enable(12), Err(PhoneRefusal::NoLicence));
        let p10 = b.profile(10).expect("profile").clone();
        assert_eq!(p10.site(), main);
        assert_eq!(b.extension_of(&p10), 10001);
        assert_eq!(b.extension_of(b.profile(11).expect("p")), 10002);
        // Freeing an extension makes it the next one handed out.
        b.disable(10);
        b.set_licences(3);
        b.enable(12).expect("third");
        assert_eq!(b.extension_of(b.profile(12).expect("p")), 10001);
    }

    #[test]
    fn extensions_are_site_code_plus_four_digits_and_unique() {
        let (mut b, _, london) = book();
        b.enable(10).expect("a");
        b.enable(11).expect("b");
        assert_eq!(
            b.update(11, None, Some("10001")),
            Err(PhoneRefusal::ExtensionTaken(10001))
        );
        for bad in ["1001", "100001", "20005", "10000", "1abcd", ""] {
            assert_eq!(
                b.update(11, None, Some(bad)),
                Err(PhoneRefusal::ExtensionOutOfRange(bad.into())),
                "{bad}"
            );
        }
        b.update(11, None, Some("10500")).expect("own site");
        assert_eq!(b.extension_of(b.profile(11).expect("p")), 10500);
        // Same extension again: a no-op.
        b.update(11, None, Some("10500")).expect("same");
        // Move with an extension of the new site.
        b.update(11, Some(london), Some("20500")).expect("move");
        assert_eq!(b.extension_of(b.profile(11).expect("p")), 20500);
        // Move without an extension keeps the short one when free.
        b.update(10, Some(london), None).expect("move");
        assert_eq!(b.extension_of(b.profile(10).expect("p")), 20001);
        assert_eq!(b.update(10, Some(99), None), Err(PhoneRefusal::UnknownSite));
        // The old extension is free again.
        b.update(11, None, Some("20001")).expect_err("taken by 10");
        b.set_licences(3);
        b.enable(12).expect("c");
        assert_eq!(b.extension_of(b.profile(12).expect("p")), 10001);
    }

    #[test]
    fn plans_are_finite_and_all_or_nothing() {
        let (mut b, _, _) = book();
        b.enable(10).expect("a");
        b.enable(11).expect("b");
        b.assign_plans(10, &[200, 3000, 200]).expect("two plans");
        assert_eq!(b.profile(10).expect("p").plans(), &[200, 3000]);
        assert_eq!(b.plan(3000).map(PlanPool::available), Some(0));
        assert_eq!(b.assign_plans(10, &[200]), Err(PhoneRefusal::PlanHeld(200)));
        assert_eq!(
            b.assign_plans(11, &[200, 3000]),
            Err(PhoneRefusal::NoPlanSeats(3000, "Zoom Phone Pro"))
        );
        // Nothing of the refused request was applied.
        assert!(b.profile(11).expect("p").plans().is_empty());
        assert_eq!(b.plan(200).map(|p| p.assigned), Some(1));
        assert_eq!(b.assign_plans(11, &[1]), Err(PhoneRefusal::UnknownPlan(1)));
        assert_eq!(b.unassign_plan(11, 200), Err(PhoneRefusal::PlanNotHeld));
        b.unassign_plan(10, 3000).expect("unassign");
        b.assign_plans(11, &[3000]).expect("seat is back");
        // Disabling returns every seat.
        b.disable(10);
        b.disable(11);
        assert!(b.plans().iter().all(|p| p.assigned == 0));
    }

    #[test]
    fn numbers_are_unique_and_released() {
        let (mut b, _, _) = book();
        b.enable(10).expect("a");
        b.enable(11).expect("b");
        let by_number = NumberKey {
            id: None,
            number: Some("14085550001".into()),
        };
        let seqs = b
            .assign_numbers(10, std::slice::from_ref(&by_number))
            .expect("assign");
        let n1 = b.number(seqs[0]).expect("n1");
        assert_eq!((n1.id(), n1.number()), (nid(1), "+14085550001".to_owned()));
        assert_eq!(b.number_counts(), (2, 1));
        assert_eq!(
            b.assign_numbers(11, &[by_number]),
            Err(PhoneRefusal::NumberTaken)
        );
        let unknown = NumberKey {
            id: Some(nid(9)),
            number: None,
        };
        let free = NumberKey {
            id: Some(nid(2)),
            number: None,
        };
        assert_eq!(
            b.assign_numbers(11, &[free.clone(), unknown]),
            Err(PhoneRefusal::UnknownNumber)
        );
        assert_eq!(b.number_counts(), (2, 1), "all or nothing");
        assert_eq!(
            b.unassign_number(11, "+14085550001"),
            Err(PhoneRefusal::NumberNotHeld)
        );
        b.unassign_number(10, "+1 408 555 0001").expect("by number");
        assert_eq!(b.number_counts(), (2, 0));
        b.assign_numbers(11, &[free]).expect("n2");
        b.disable(11);
        assert_eq!(b.number_counts(), (2, 0));
        assert!(b.number(seqs[0]).is_some_and(|n| n.assignee().is_none()));
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = derived_id("phone_user", "KDcuGIm1QgePTO8WbOqwIQ");
        assert_eq!(a.len(), 22);
        assert_eq!(a, derived_id("phone_user", "KDcuGIm1QgePTO8WbOqwIQ"));
        assert_ne!(a, derived_id("extension", "KDcuGIm1QgePTO8WbOqwIQ"));
    }
}
