//! Deterministic Zoom Phone seed data, drawn from [`super::seed::phone_rng`]: sites
//! (a main site and others in several countries, as many as `phone_sites`), calling
//! plan subscriptions, a pool of numbers, phone licences, and phone profiles for about
//! a third of the non-pending users, with extensions, a calling plan matching their
//! site's country and usually one or two numbers. Pools keep a configurable number of
//! spare licences, plan seats and unassigned numbers, so tests can run them out.

use rand::rngs::StdRng;
use rand::{Rng, RngCore};

use super::phone_book::{NumberEntry, NumberKey};
use super::settings::SimSettings;
use super::state::{World, random_id};

/// Site places: city, ISO country, country name, calling code, area code. India is
/// left out on purpose: its calling plans need billing accounts (contract section 5), not modelled.
const PLACES: &[(&str, &str, &str, &str, &str)] = &[
    ("San Jose", "US", "United States", "1", "408"),
    ("New York", "US", "United States", "1", "212"),
    ("London", "GB", "United Kingdom", "44", "20"),
    ("Austin", "US", "United States", "1", "512"),
    ("Toronto", "CA", "Canada", "1", "416"),
    ("Berlin", "DE", "Germany", "49", "30"),
    ("Sydney", "AU", "Australia", "61", "2"),
    ("Tokyo", "JP", "Japan", "81", "3"),
    ("Paris", "FR", "France", "33", "1"),
    ("Denver", "US", "United States", "1", "303"),
    ("Madrid", "ES", "Spain", "34", "91"),
    ("Amsterdam", "NL", "Netherlands", "31", "20"),
    ("Singapore", "SG", "Singapore", "65", "6"),
    ("Sao Paulo", "BR", "Brazil", "55", "11"),
];

/// Calling plans the account subscribes to (codes of contract section 5).
pub const PLANS: &[(i64, &str)] = &[
    (100, "US/CA Metered Calling Plan"),
    (200, "US/CA Unlimited Calling Plan"),
    (201, "Australia/New Zealand Unlimited Calling Plan"),
    (202, "UK/Ireland Unlimited Calling Plan"),
    (207, "Japan Unlimited Calling Plan"),
    (3000, "Zoom Phone Pro"),
];

/// Share of non-pending users who are phone users.
const PHONE_SHARE: f64 = 1.0 / 3.0;

/// Builds the phone side of a world while its users are seeded.
pub struct PhoneSeeder {
    rng: StdRng,
    /// Site sequence numbers with their place index.
    sites: Vec<(u64, usize)>,
    /// Numbers issued so far (keeps every number unique).
    issued: u64,
}

impl PhoneSeeder {
    /// Creates the sites and plan subscriptions (seats fixed by [`Self::finish`]).
    pub fn new(world: &mut World, settings: &SimSettings, mut rng: StdRng) -> Self {
        let book = world.phone_mut();
        let mut sites = Vec::with_capacity(settings.phone_sites);
        for i in 0..settings.phone_sites.max(1) {
            let place = i % PLACES.len();
            let (city, country, country_name, _, _) = PLACES[place];
            let round = i / PLACES.len();
            let name = match (i, round) {
                (0, _) => "Main Site".to_owned(),
                (_, 0) => city.to_owned(),
                _ => format!("{city} {}", round + 1),
            };
            let id = random_id(&mut rng);
            let receptionist = random_id(&mut rng);
            let code = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let seq = book.add_site(id, name, code, country, country_name, i == 0, receptionist);
            sites.push((seq, place));
        }
        for (plan_type, name) in PLANS {
            // Unbounded while seeding; `finish` leaves the configured spare seats.
            book.add_plan(*plan_type, name, u32::MAX / 2);
        }
        book.set_licences(usize::MAX);
        Self {
            rng,
            sites,
            issued: 0,
        }
    }

    /// One draw per seeded user (whether or not they can be a phone user), so the
    /// phone data of a user does not depend on other users' statuses.
    pub fn draw_phone_user(&mut self) -> bool {
        self.rng.random_bool(PHONE_SHARE)
    }

    /// A new unique number at `place`; returns its id. Numbers are the country
    /// calling code, the area code and a 7-digit serial: calling codes are prefix-free
    /// and areas of one country have one length, so every number is unique.
    fn new_number(&mut self, world: &mut World, place: usize, toll_free: bool) -> String {
        let (_, _, country_name, calling, area) = PLACES[place];
        let (calling, area) = if toll_free {
            ("1", "800")
        } else {
            (calling, area)
        };
        self.issued += 1;
        let digits = format!("{calling}{area}{:07}", 2_000_000 + self.issued)
            .parse::<u64>()
            .unwrap_or(self.issued);
        let mut id = [0u8; 16];
        self.rng.fill_bytes(&mut id);
        let location = if toll_free {
            "United States"
        } else {
            country_name
        };
        let seq = world
            .phone_mut()
            .add_number(id, digits, toll_free, location);
        world
            .phone()
            .number(seq)
            .map(NumberEntry::id)
            .unwrap_or_default()
    }

    /// Makes user `seq` a phone user: a site (the main one for a quarter, else any),
    /// the next extension there (the next site's when it is full), a plan for the
    /// site's country, and 0-2 numbers.
    pub fn seed_user(&mut self, world: &mut World, seq: u64) {
        if self.sites.is_empty() {
            return;
        }
        let first = if self.rng.random_bool(0.25) {
            0
        } else {
            self.rng.random_range(0..self.sites.len())
        };
        let count = self.sites.len();
        let Some((_, place)) = (0..count)
            .map(|k| self.sites[(first + k) % count])
            .find(|(site, _)| world.seed_phone_user(seq, *site).is_ok())
        else {
            // Every site is full: this user stays without Zoom Phone.
            return;
        };
        let (_, country, _, _, _) = PLACES[place];
        let plan = match country {
            "US" | "CA" if self.rng.random_bool(0.7) => 200,
            "US" | "CA" => 100,
            "GB" => 202,
            "AU" => 201,
            "JP" => 207,
            _ => 3000,
        };
        let _ = world.phone_mut().assign_plans(seq, &[plan]);
        let r: f64 = self.rng.random();
        let count = if r < 0.65 {
            1
        } else if r < 0.75 {
            2
        } else {
            0
        };
        let mut keys = Vec::with_capacity(count);
        for _ in 0..count {
            let id = self.new_number(world, place, false);
            keys.push(NumberKey {
                id: Some(id),
                number: None,
            });
        }
        let _ = world.phone_mut().assign_numbers(seq, &keys);
    }

    /// Adds the spare numbers (one in ten toll-free) and sets the licence and plan
    /// pools to what is assigned plus the spares.
    pub fn finish(mut self, world: &mut World, settings: &SimSettings) {
        for _ in 0..settings.phone_spare_numbers {
            let place = self.sites[self.rng.random_range(0..self.sites.len())].1;
            let toll_free = self.rng.random_bool(0.1);
            self.new_number(world, place, toll_free);
        }
        let book = world.phone_mut();
        book.top_up_plans(settings.phone_spare_plan_seats);
        let assigned = book.profile_count();
        book.set_licences(assigned.saturating_add(settings.phone_spare_licences));
    }
}
