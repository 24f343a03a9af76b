//! Deterministic seed data: an account with an owner, admins, custom roles, about a dozen
//! groups and `users` users with a realistic mix of statuses, types, departments, titles,
//! locations, managers and memberships, all drawn from `seed`.
//!
//! Separate RNG streams (users, groups, phone, run time) keep each part stable when
//! another changes; [`phone_rng`] feeds the Zoom Phone data (sites, numbers, calling
//! plans, phone users) built by [`super::phone_seed`].

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::phone_seed::PhoneSeeder;
use super::settings::{SimCredentials, SimSettings};
use super::state::{
    ADMIN_ROLE, Account, MEMBER_ROLE, NewUser, OWNER_ROLE, PhoneEntry, Role, Text, User,
    UserStatus, World, random_id, random_pmi,
};

/// Stream offsets mixed into `seed`.
const USERS_STREAM: u64 = 0x5EED_0001;
const GROUPS_STREAM: u64 = 0x5EED_0002;
const PHONE_STREAM: u64 = 0x5EED_0003;
const RUNTIME_STREAM: u64 = 0x5EED_0004;

/// The e-mail domain of seeded users, also the account's managed domain.
pub const DOMAIN: &str = "example.com";

fn stream(seed: u64, offset: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ offset.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The RNG stream reserved for Zoom Phone seed data.
pub fn phone_rng(seed: u64) -> StdRng {
    stream(seed, PHONE_STREAM)
}

/// All seeded times are before this instant, so the data does not depend on the clock.
fn anchor() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Steven",
    "Emily",
    "Andrew",
    "Michelle",
    "Joshua",
    "Amanda",
    "Kevin",
    "Melissa",
    "Brian",
    "Stephanie",
    "George",
    "Rebecca",
    "Wei",
    "Mei",
    "Hiroshi",
    "Yuki",
    "Priya",
    "Arjun",
    "Fatima",
    "Omar",
    "Sofia",
    "Mateo",
    "Lucia",
    "Diego",
    "Chloe",
    "Lucas",
    "Emma",
    "Noah",
    "Olivia",
    "Liam",
    "Ava",
    "Ethan",
    "Isabella",
    "Mason",
    "Mia",
    "Logan",
    "Amelia",
    "Oliver",
    "Harper",
    "Elijah",
    "Aisha",
    "Kwame",
    "Ingrid",
    "Lars",
    "Anja",
    "Sven",
    "Chiara",
    "Marco",
    "Nadia",
    "Ivan",
    "Leila",
    "Samir",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Chen",
    "Wang",
    "Tanaka",
    "Sato",
    "Patel",
    "Sharma",
    "Khan",
    "Ali",
    "Okafor",
    "Mensah",
    "Muller",
    "Schmidt",
    "Rossi",
    "Bianchi",
    "Dubois",
    "Moreau",
    "Silva",
    "Santos",
    "Kowalski",
    "Novak",
    "Ivanova",
    "Larsen",
    "Johansson",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Cohen",
    "Levi",
    "Haddad",
    "Nakamura",
];

/// Departments, their group, and typical job titles.
const DEPARTMENTS: &[(&str, &str, &[&str])] = &[
    (
        "Engineering",
        "Engineering",
        &[
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "Engineering Manager",
            "QA Engineer",
            "Site Reliability Engineer",
        ],
    ),
    (
        "Sales",
        "Sales",
        &[
            "Account Executive",
            "Sales Development Representative",
            "Regional Sales Manager",
            "Sales Engineer",
        ],
    ),
    (
        "Marketing",
        "Marketing",
        &[
            "Marketing Manager",
            "Content Strategist",
            "Product Marketing Manager",
            "Demand Generation Specialist",
        ],
    ),
    (
        "Customer Support",
        "Customer Support",
        &[
            "Support Specialist",
            "Senior Support Engineer",
            "Support Team Lead",
            "Customer Success Manager",
        ],
    ),
    (
        "Finance",
        "Finance",
        &[
            "Financial Analyst",
            "Accountant",
            "Controller",
            "Payroll Specialist",
        ],
    ),
    (
        "Human Resources",
        "Human Resources",
        &[
            "HR Business Partner",
            "Recruiter",
            "People Operations Specialist",
        ],
    ),
    (
        "Legal",
        "Legal",
        &["Corporate Counsel", "Paralegal", "Compliance Officer"],
    ),
    (
        "Operations",
        "Operations",
        &[
            "Operations Manager",
            "Facilities Coordinator",
            "Procurement Specialist",
        ],
    ),
    (
        "Product",
        "Product Management",
        &["Product Manager", "Senior Product Manager", "Product Owner"],
    ),
    (
        "Design",
        "Design",
        &["Product Designer", "UX Researcher", "Visual Designer"],
    ),
    (
        "IT",
        "IT",
        &[
            "IT Administrator",
            "Systems Engineer",
            "Help Desk Technician",
            "Security Analyst",
        ],
    ),
    (
        "Executive",
        "Leadership",
        &[
            "Chief Executive Officer",
            "Chief Technology Officer",
            "Chief Financial Officer",
            "Vice President",
        ],
    ),
];

/// Locations with their time zone, language and phone country.
const LOCATIONS: &[(&str, &str, &str, &str, &str)] = &[
    ("San Jose, CA", "America/Los_Angeles", "en-US", "US", "+1"),
    ("New York, NY", "America/New_York", "en-US", "US", "+1"),
    ("Austin, TX", "America/Chicago", "en-US", "US", "+1"),
    ("Denver, CO", "America/Denver", "en-US", "US", "+1"),
    ("Toronto, ON", "America/Toronto", "en-US", "CA", "+1"),
    ("London", "Europe/London", "en-GB", "GB", "+44"),
    ("Berlin", "Europe/Berlin", "de-DE", "DE", "+49"),
    ("Paris", "Europe/Paris", "fr-FR", "FR", "+33"),
    ("Madrid", "Europe/Madrid", "es-ES", "ES", "+34"),
    ("Amsterdam", "Europe/Amsterdam", "en-US", "NL", "+31"),
    ("Tokyo", "Asia/Tokyo", "jp-JP", "JP", "+81"),
    ("Singapore", "Asia/Singapore", "en-US", "SG", "+65"),
    ("Bangalore", "Asia/Kolkata", "en-US", "IN", "+91"),
    ("Sydney", "Australia/Sydney", "en-US", "AU", "+61"),
    ("Sao Paulo", "America/Sao_Paulo", "pt-PT", "BR", "+55"),
];

const CLIENT_VERSIONS: &[&str] = &[
    "5.17.11.34827(mac)",
    "5.17.10.34404(win)",
    "6.0.2.37554(win)",
    "6.1.0.38190(mac)",
    "6.1.1.38473(android)",
    "6.1.5.39006(iphone)",
    "5.16.10.26186(linux)",
];

const COMPANIES: &[&str] = &["Example Corp", "Example Labs"];

/// Custom roles seeded beside Owner, Admin and Member.
const CUSTOM_ROLES: &[(&str, &str, &[&str])] = &[
    (
        "Help Desk",
        "Help desk staff can view users and reset their settings.",
        &["User:Read", "User:Edit", "Group:Read"],
    ),
    (
        "Billing Admin",
        "Manages billing, plans and invoices.",
        &[
            "BillingSubscription:Read",
            "BillingSubscription:Edit",
            "BillingInvoice:Read",
        ],
    ),
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn email_local(first: &str, last: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    format!("{}.{}", clean(first), clean(last))
}

fn base_roles(rng: &mut StdRng) -> Vec<Role> {
    let mut roles = vec![
        Role::new(
            OWNER_ROLE,
            "Owner",
            "Account owner has full privileges to access and manage a Zoom account.",
            vec![
                "Account:Read",
                "Account:Edit",
                "User:Read",
                "User:Edit",
                "Role:Edit",
            ],
        ),
        Role::new(
            ADMIN_ROLE,
            "Admin",
            "Admins have wide range privileges to access and manage a Zoom account.",
            vec![
                "User:Read",
                "User:Edit",
                "Group:Read",
                "Group:Edit",
                "Role:Read",
            ],
        ),
        Role::new(
            MEMBER_ROLE,
            "Member",
            "Members have access to basic Zoom video meeting functions but no account management privileges.",
            Vec::new(),
        ),
    ];
    for (name, description, privileges) in CUSTOM_ROLES {
        let id = random_id(rng);
        roles.push(Role::new(&id, name, description, privileges.to_vec()));
    }
    roles
}

/// Shared vocabulary strings.
struct Vocab {
    depts: Vec<Text>,
    titles: Vec<Vec<Text>>,
    locations: Vec<(Text, Text, Text)>,
    clients: Vec<Text>,
    companies: Vec<Text>,
    cost_centers: Vec<Text>,
}

impl Vocab {
    fn new() -> Self {
        Self {
            depts: DEPARTMENTS.iter().map(|d| Arc::from(d.0)).collect(),
            titles: DEPARTMENTS
                .iter()
                .map(|d| d.2.iter().map(|t| Arc::from(*t)).collect())
                .collect(),
            locations: LOCATIONS
                .iter()
                .map(|l| (Arc::from(l.0), Arc::from(l.1), Arc::from(l.2)))
                .collect(),
            clients: CLIENT_VERSIONS.iter().map(|c| Arc::from(*c)).collect(),
            companies: COMPANIES.iter().map(|c| Arc::from(*c)).collect(),
            cost_centers: (0..DEPARTMENTS.len())
                .map(|i| Arc::from(format!("CC-{}", 1000 + 100 * i)))
                .collect(),
        }
    }
}

/// Builds the seeded account for `settings.users` and `settings.seed`.
pub fn generate(settings: &SimSettings, credentials: &SimCredentials) -> World {
    let seed = settings.seed;
    let mut user_rng = stream(seed, USERS_STREAM);
    let mut group_rng = stream(seed, GROUPS_STREAM);

    let account = Account {
        id: credentials.account_id.clone(),
        account_number: group_rng.random_range(1_000_000_000..10_000_000_000),
        cluster: "us06".into(),
        domain: DOMAIN.into(),
        managed_domains: vec![DOMAIN.into()],
    };
    let roles = base_roles(&mut group_rng);
    let custom_role_ids: Vec<Text> = roles[3..].iter().map(|r| r.id.clone()).collect();
    let mut world = World::new(account, roles, stream(seed, RUNTIME_STREAM));
    let mut phone = PhoneSeeder::new(&mut world, settings, phone_rng(seed));

    let group_seqs: Vec<u64> = DEPARTMENTS
        .iter()
        .map(|d| {
            let id = random_id(&mut group_rng);
            world.insert_group(id, d.1.to_owned())
        })
        .collect();

    let vocab = Vocab::new();
    let n = settings.users;
    let admins = if n <= 1 {
        0
    } else {
        (n / 100).clamp(2, 50).min(n - 1)
    };
    let leads = (n / 20).max(1);
    let mut taken: HashMap<String, u32> = HashMap::with_capacity(n);
    let mut emails: Vec<String> = Vec::with_capacity(leads);
    let span_days = 5 * 365;
    let owner_role = world.role_text(OWNER_ROLE);
    let admin_role = world.role_text(ADMIN_ROLE);
    let member_role = world.role_text(MEMBER_ROLE);

    for i in 0..n {
        let first = (*pick(&mut user_rng, FIRST_NAMES)).to_owned();
        let last = (*pick(&mut user_rng, LAST_NAMES)).to_owned();
        let base = email_local(&first, &last);
        let count = taken.entry(base.clone()).or_insert(0);
        *count += 1;
        let email = if *count == 1 {
            format!("{base}@{DOMAIN}")
        } else {
            format!("{base}{count}@{DOMAIN}")
        };

        let (role, dept_index, status, user_type) = if i == 0 {
            (
                owner_role.clone(),
                DEPARTMENTS.len() - 1,
                UserStatus::Active,
                2,
            )
        } else if i <= admins {
            (admin_role.clone(), 10, UserStatus::Active, 2)
        } else {
            let r: f64 = user_rng.random();
            let role = if r < 0.02 {
                custom_role_ids.first().cloned()
            } else if r < 0.04 {
                custom_role_ids.get(1).cloned()
            } else {
                member_role.clone()
            };
            let s: f64 = user_rng.random();
            let status = if s < 0.85 {
                UserStatus::Active
            } else if s < 0.93 {
                UserStatus::Inactive
            } else {
                UserStatus::Pending
            };
            let t: f64 = user_rng.random();
            let user_type = if t < 0.60 {
                2
            } else if t < 0.92 {
                1
            } else {
                4
            };
            let role = if status == UserStatus::Pending {
                member_role.clone()
            } else {
                role
            };
            (
                role,
                user_rng.random_range(0..DEPARTMENTS.len()),
                status,
                user_type,
            )
        };
        let Some(role) = role else {
            continue;
        };

        // Creation times grow with the index, spread over five years before the anchor.
        let slot = span_days * 24 * 3600 * (n - i) as i64 / n.max(1) as i64;
        let jitter = user_rng.random_range(0..24 * 3600);
        let user_created_at = anchor() - Duration::seconds(slot + jitter);
        let created_at = (user_created_at
            + Duration::seconds(user_rng.random_range(0..30 * 24 * 3600)))
        .min(anchor());
        let sso = user_rng.random_bool(0.1);
        let login_type = if sso { 101 } else { 100 };
        let id = random_id(&mut user_rng);
        let pmi = random_pmi(&mut user_rng);
        let mut user = User::new(NewUser {
            id,
            email: email.clone(),
            status,
            role_id: role,
            first_name: first,
            last_name: last,
            display_name: String::new(),
            user_type,
            created_at,
            login_type,
            pmi,
        });
        user.user_created_at = user_created_at;
        user.dept = vocab.depts[dept_index].clone();
        user.cost_center = vocab.cost_centers[dept_index].clone();
        let titles = &vocab.titles[dept_index];
        user.job_title = if i == 0 {
            titles[0].clone()
        } else if i <= admins {
            vocab.titles[10][0].clone()
        } else {
            pick(&mut user_rng, titles).clone()
        };
        user.company = if user_rng.random_bool(0.9) {
            vocab.companies[0].clone()
        } else {
            vocab.companies[1].clone()
        };
        let loc_index = user_rng.random_range(0..LOCATIONS.len());
        let (location, timezone, language) = &vocab.locations[loc_index];
        user.location = location.clone();
        user.timezone = timezone.clone();
        user.language = language.clone();
        if i > 0 && !emails.is_empty() {
            user.manager = pick(&mut user_rng, &emails).clone();
        }
        if sso {
            user.employee_unique_id = random_id(&mut user_rng);
        }
        if status != UserStatus::Pending {
            let since = (anchor() - created_at).num_seconds().max(1);
            let quiet = if status == UserStatus::Inactive {
                since / 2
            } else {
                0
            };
            let back = user_rng.random_range(quiet..since.max(quiet + 1));
            user.last_login_time = Some(anchor() - Duration::seconds(back));
            user.last_client_version = pick(&mut user_rng, &vocab.clients).clone();
            if user_rng.random_bool(0.5) {
                let (_, _, _, country, code) = LOCATIONS[loc_index];
                user.phone_numbers.push(PhoneEntry {
                    code: code.to_owned(),
                    country: country.to_owned(),
                    label: "Mobile".to_owned(),
                    number: format!("{}", user_rng.random_range(2_000_000_000u64..9_999_999_999)),
                    verified: user_rng.random_bool(0.7),
                });
            }
        } else {
            user.verified = false;
        }
        // Phone stream: about a third of the users who are not pending are Zoom Phone
        // users (pending users cannot have a phone profile).
        let phone_user = phone.draw_phone_user();
        let seq = world.insert_user(user);
        if settings.phone_enabled && status != UserStatus::Pending && phone_user {
            phone.seed_user(&mut world, seq);
        }
        if emails.len() < leads && status == UserStatus::Active {
            emails.push(email);
        }

        // Memberships: most users in their department's group, some in a second one.
        let m: f64 = user_rng.random();
        let groups = if status == UserStatus::Pending {
            usize::from(m < 0.2)
        } else if m < 0.1 {
            0
        } else if m < 0.7 {
            1
        } else {
            2
        };
        if groups >= 1 {
            world.add_member(group_seqs[dept_index], seq);
        }
        if groups == 2 {
            let other = user_rng.random_range(0..group_seqs.len());
            world.add_member(group_seqs[other], seq);
        }
    }
    phone.finish(&mut world, settings);
    // From here on, changes are reported as webhook events; seeding is not.
    world.report_events();
    world
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(users: usize, seed: u64) -> SimSettings {
        SimSettings {
            users,
            seed,
            ..SimSettings::default()
        }
    }

    fn snapshot(w: &World) -> Vec<(String, String, &'static str, String)> {
        w.users_after(0)
            .map(|(_, u)| {
                (
                    u.id().to_owned(),
                    u.email().to_owned(),
                    u.status().as_str(),
                    u.role_id().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let creds = SimCredentials::default();
        let a = generate(&settings(300, 7), &creds);
        let b = generate(&settings(300, 7), &creds);
        let c = generate(&settings(300, 8), &creds);
        assert_eq!(snapshot(&a), snapshot(&b));
        assert_ne!(snapshot(&a), snapshot(&c));
    }

    #[test]
    fn realistic_mix() {
        let w = generate(&settings(2000, 42), &SimCredentials::default());
        assert_eq!(w.user_count(), 2000);
        let owner = w.owner().and_then(|s| w.user(s)).expect("owner");
        assert_eq!(owner.role_id(), OWNER_ROLE);
        assert_eq!(owner.status(), UserStatus::Active);
        let active = w.count_status(UserStatus::Active) as f64 / 2000.0;
        let inactive = w.count_status(UserStatus::Inactive) as f64 / 2000.0;
        let pending = w.count_status(UserStatus::Pending) as f64 / 2000.0;
        assert!((0.80..0.90).contains(&active), "active {active}");
        assert!((0.05..0.11).contains(&inactive), "inactive {inactive}");
        assert!((0.04..0.10).contains(&pending), "pending {pending}");
        assert!(w.role(ADMIN_ROLE).is_some_and(|r| r.total_members() >= 2));
        assert!(w.roles().len() >= 5);
        assert!(w.roles()[3..].iter().all(|r| r.total_members() > 0));
        assert_eq!(w.group_count(), 12);
        let emails: std::collections::HashSet<_> = w
            .users_after(0)
            .map(|(_, u)| u.email().to_owned())
            .collect();
        assert_eq!(emails.len(), 2000);
        assert!(w.users_after(0).all(|(_, u)| u.id().len() == 22));
        assert!(
            w.users_after(0)
                .all(|(_, u)| u.email().ends_with("@example.com"))
        );
        let in_groups = w
            .users_after(0)
            .filter(|(_, u)| !u.group_seqs().is_empty())
            .count() as f64
            / 2000.0;
        assert!(in_groups > 0.75, "in groups {in_groups}");
        let phone = w.users_after(0).filter(|(_, u)| u.zoom_phone()).count();
        assert!(phone > 200, "phone users {phone}");
        let with_manager = w
            .users_after(0)
            .filter(|(_, u)| !u.manager.is_empty())
            .count();
        assert!(with_manager > 1900);
        // Users are created in order.
        let times: Vec<_> = w.users_after(0).map(|(_, u)| u.user_created_at).collect();
        assert!(times.windows(2).all(|p| p[0] <= p[1] + Duration::days(1)));
    }

    #[test]
    fn phone_data_is_seeded_with_spare_pools() {
        let settings = SimSettings {
            phone_sites: 20,
            ..settings(2000, 42)
        };
        let w = generate(&settings, &SimCredentials::default());
        let book = w.phone();
        assert_eq!(book.site_count(), 20);
        let not_pending = 2000 - w.count_status(UserStatus::Pending);
        let phone = w.users_after(0).filter(|(_, u)| u.zoom_phone()).count();
        let share = phone as f64 / not_pending as f64;
        assert!((0.28..0.39).contains(&share), "phone share {share}");
        assert_eq!(book.profile_count(), phone);
        // Only non-pending users, each with a distinct extension starting with its
        // site's code.
        let mut extensions = std::collections::HashSet::new();
        for (seq, profile) in book.profiles_after(0) {
            let user = w.user(seq).expect("user");
            assert!(user.zoom_phone());
            assert_ne!(user.status(), UserStatus::Pending);
            let ext = book.extension_of(profile);
            let site = book.site(profile.site()).expect("site");
            assert!(ext.to_string().starts_with(&site.code.to_string()));
            assert!(extensions.insert(ext));
        }
        assert!(
            book.profiles_after(0)
                .filter(|(_, p)| p.site() != book.sites_after(0).next().expect("main").0)
                .count()
                > phone / 3,
            "users spread over sites"
        );
        assert_eq!(book.licences(), (phone + 20, phone));
        assert!(book.plans().iter().all(|p| p.available() == 10));
        let (total, assigned) = book.number_counts();
        assert_eq!(total - assigned, 50);
        assert!(assigned > phone / 2, "most phone users have a number");
        // Same seed, same phone data.
        let again = generate(&settings, &SimCredentials::default());
        let numbers = |w: &World| -> Vec<String> {
            w.phone()
                .numbers_after(0)
                .map(|(_, n)| n.number())
                .collect()
        };
        assert_eq!(numbers(&w), numbers(&again));
    }

    #[test]
    fn tiny_accounts_work() {
        let w = generate(&settings(1, 1), &SimCredentials::default());
        assert_eq!(w.user_count(), 1);
        assert!(w.owner().is_some());
        let w = generate(&settings(0, 1), &SimCredentials::default());
        assert_eq!(w.user_count(), 0);
    }
}
