//! A user's record: the fields Zoom shows, the indexed ones behind getters (the
//! [`World`](super::World) keeps its indexes on them), and the rarely-set ones out of line.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::Text;

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

    pub(super) fn index(self) -> usize {
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
    pub(super) id: String,
    pub(super) email: String,
    pub(super) status: UserStatus,
    pub(super) role_id: Text,
    pub(super) groups: Vec<u64>,
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
    /// `feature.zoom_phone`. Change it only through
    /// [`World::set_zoom_phone`](super::World::set_zoom_phone).
    pub(super) zoom_phone: bool,
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
