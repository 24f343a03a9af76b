//! Typed DTOs for every Zoom endpoint zoom-scim uses. Tolerant by design: unknown fields
//! are ignored, missing fields default, and numbers Zoom sometimes sends as strings (or
//! strings as numbers) are accepted either way. Request bodies skip unset fields.
//!
//! Field names follow Zoom's OpenAPI documents (Users, Accounts, Phone) and recorded
//! answers, as docs/zoom-contract.md lists them (sections 3 to 5 and 10, Sources).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::CreateAction;

/// Deserializers that accept a value in either of the shapes Zoom has been seen to use.
mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// An integer given as a number, a numeric string, or null/empty.
    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            Value::Bool(b) => Some(i64::from(b)),
            _ => None,
        })
    }

    /// A string given as a string or a number, or null.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    }

    /// A list of strings, tolerating null.
    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
    }

    /// A list of integers (Zoom `login_types`), tolerating null and numeric strings.
    pub fn ints<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|v| match v {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
    }

    /// A list of objects, tolerating null (Zoom sends `null` for some empty arrays).
    pub fn vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
    }
}

// ---------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------

/// A Zoom user, as listed by `GET /users` or returned by `GET /users/{userId}` (the
/// detail has more fields; the list omits `id` for pending users).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ZoomUser {
    /// Zoom's user id. `GET /users?status=pending`: "The API does not return this value
    /// for users with the `pending` status."
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// Login email.
    pub email: String,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// 1 Basic, 2 Licensed, 4 Unassigned without Meetings Basic, 99 None.
    #[serde(
        rename = "type",
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_type: Option<i64>,
    /// `active`, `inactive` or `pending`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Personal meeting id.
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub pmi: Option<i64>,
    /// IANA time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dept: Option<String>,
    /// 1 when the email is verified.
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub verified: Option<i64>,
    /// Role id (`"0"` owner, `"1"` admin, `"2"` member, or a custom role id).
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub role_id: Option<String>,
    /// Role name (detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// Ids of the groups the user belongs to.
    #[serde(
        deserialize_with = "lenient::strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub group_ids: Vec<String>,
    /// Deprecated: creation time of the latest login type (for pending users: the time of
    /// the call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When the user was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_created_at: Option<String>,
    /// Last login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login_time: Option<String>,
    /// Language, e.g. `en-US`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Cost center.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// Location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The manager's email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// Phone numbers (detail only).
    #[serde(
        deserialize_with = "lenient::vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub phone_numbers: Vec<UserPhoneNumber>,
    /// Login types (e.g. 100 work email, 101 SSO).
    #[serde(
        deserialize_with = "lenient::ints",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub login_types: Vec<i64>,
    /// Zoom Workplace (Zoom One) plan code; 0 or absent when none.
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub zoom_one_type: Option<i64>,
    /// Zoom United plan code.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub plan_united_type: Option<String>,
    /// SSO employee unique id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_unique_id: Option<String>,
    /// The account the user belongs to (detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

impl ZoomUser {
    /// True for users who have not accepted their invitation.
    pub fn is_pending(&self) -> bool {
        self.status.as_deref() == Some("pending")
    }

    /// True for active users.
    pub fn is_active(&self) -> bool {
        self.status.as_deref() == Some("active")
    }
}

/// A phone number on a user profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserPhoneNumber {
    /// Country calling code, e.g. `+1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// ISO country, e.g. `US`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// `Mobile`, `Office`, `Home` or `Fax`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The number.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub number: Option<String>,
    /// Verified flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// `status` filter of `GET /users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Active users (Zoom's default).
    Active,
    /// Deactivated users.
    Inactive,
    /// Invited users who have not accepted.
    Pending,
}

impl UserStatus {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Pending => "pending",
        }
    }
}

/// Query of `GET /users`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListUsersQuery {
    /// Status filter; Zoom lists active users when absent.
    pub status: Option<UserStatus>,
    /// Only users with this role.
    pub role_id: Option<String>,
    /// Page size; defaults to the configured one, clamped to the endpoint's maximum.
    pub page_size: Option<u32>,
}

/// Zoom's `feature` object in create and update bodies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserFeature {
    /// "Whether the user has the Zoom Phone feature enabled"; `false` removes the user
    /// from Zoom Phone and unassigns their numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoom_phone: Option<bool>,
    /// Zoom Workplace plan (create only; update uses top-level `zoom_one_type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoom_one_type: Option<i64>,
}

/// A password for `autoCreate`. Serializes as itself but never prints.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::secret::REDACTED)
    }
}

/// `user_info` of `POST /users`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreateUserInfo {
    /// Login email (required).
    pub email: String,
    /// User type (required): 1, 2, 4 or 99.
    #[serde(rename = "type")]
    pub user_type: i64,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Password ("Only used for the autoCreate function").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Password>,
    /// Phone and Zoom Workplace features.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<UserFeature>,
    /// Zoom United plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_united_type: Option<String>,
}

/// Body of `POST /users`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateUser {
    /// `create` (invitation), `autoCreate`, `custCreate` or `ssoCreate`.
    pub action: CreateAction,
    /// The new user.
    pub user_info: CreateUserInfo,
}

/// `201` body of `POST /users` (also decodable from a `GET /users/{email}` detail).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreatedUser {
    /// The new user's id.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// Email.
    pub email: String,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// User type.
    #[serde(rename = "type", deserialize_with = "lenient::opt_i64")]
    pub user_type: Option<i64>,
}

/// Body of `PATCH /users/{userId}`: every field optional, unset fields are not sent.
/// `Some(String::new())` clears a text field.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateUser {
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Display name ("If display_name is empty, the API endpoint derives the
    /// display_name from the first_name and last_name values").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// User type. Zoom refuses `type`, `plan_united_type` and `zoom_one_type` together.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<i64>,
    /// Zoom Workplace plan; 0 turns it off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoom_one_type: Option<i64>,
    /// Zoom United plan; `"none"` turns it off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_united_type: Option<String>,
    /// Phone feature on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<UserFeature>,
    /// Group for a pending user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dept: Option<String>,
    /// Company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Cost center.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// Location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Manager email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// Phone numbers (at most 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_numbers: Option<Vec<UserPhoneNumber>>,
    /// Personal meeting id (10 digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pmi: Option<i64>,
}

impl UpdateUser {
    /// True when nothing would be sent.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `action` of `PUT /users/{userId}/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusAction {
    /// Reactivate a deactivated user.
    Activate,
    /// Deactivate: licences removed, login refused.
    Deactivate,
}

/// `action` of `DELETE /users/{userId}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeleteAction {
    /// Unlink from the account (Zoom's default; also how pending users are removed).
    #[default]
    Disassociate,
    /// Permanently delete the user and their data.
    Delete,
}

/// Query of `DELETE /users/{userId}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteUser {
    /// Disassociate or delete.
    pub action: DeleteAction,
    /// Receiver of transferred data.
    pub transfer_email: Option<String>,
    /// Transfer meetings.
    pub transfer_meeting: bool,
    /// Transfer webinars.
    pub transfer_webinar: bool,
    /// Transfer recordings.
    pub transfer_recording: bool,
    /// Transfer whiteboards.
    pub transfer_whiteboard: bool,
    /// Transfer clips.
    pub transfer_clipfiles: bool,
    /// Transfer notes.
    pub transfer_notes: bool,
    /// Transfer visitors.
    pub transfer_visitors: bool,
    /// Transfer docs.
    pub transfer_docs: bool,
}

impl DeleteUser {
    /// The query pairs Zoom expects (false transfers are left out).
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![(
            "action",
            match self.action {
                DeleteAction::Disassociate => "disassociate",
                DeleteAction::Delete => "delete",
            }
            .to_owned(),
        )];
        if let Some(email) = &self.transfer_email {
            query.push(("transfer_email", email.clone()));
        }
        for (name, on) in [
            ("transfer_meeting", self.transfer_meeting),
            ("transfer_webinar", self.transfer_webinar),
            ("transfer_recording", self.transfer_recording),
            ("transfer_whiteboard", self.transfer_whiteboard),
            ("transfer_clipfiles", self.transfer_clipfiles),
            ("transfer_notes", self.transfer_notes),
            ("transfer_visitors", self.transfer_visitors),
            ("transfer_docs", self.transfer_docs),
        ] {
            if on {
                query.push((name, "true".to_owned()));
            }
        }
        query
    }
}

/// `GET /users/{userId}/settings`: kept whole, with typed accessors for what zoom-scim
/// reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserSettings(pub Value);

impl UserSettings {
    /// `feature.zoom_phone`: whether the user has Zoom Phone.
    pub fn zoom_phone(&self) -> Option<bool> {
        self.0
            .pointer("/feature/zoom_phone")
            .and_then(Value::as_bool)
    }
}

// ---------------------------------------------------------------------------------
// Groups and roles
// ---------------------------------------------------------------------------------

/// Zoom's fixed role ids (Zoom "Roles": Owner `0`, Admin `1`, Member `2`): the owner's,
/// and Member, the default role a user falls back to when its role is withdrawn.
pub const OWNER_ROLE_ID: &str = "0";
/// See [`OWNER_ROLE_ID`].
pub const MEMBER_ROLE_ID: &str = "2";
/// See [`OWNER_ROLE_ID`]. Zoom refuses to change an admin's status ("Zoom Room and
/// Admin users' status cannot be activated or deactivated", contract section 3.6).
pub const ADMIN_ROLE_ID: &str = "1";

/// What [`crate::zoom::ZoomClient::create_group`] found or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupCreate {
    /// Zoom created the group.
    Created(Group),
    /// A group already had the name (Zoom's names are unique, case-insensitively);
    /// nothing was sent.
    Exists(Group),
}

/// A group (`GET /groups`, `GET /groups/{groupId}`, `POST /groups` 201).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Group {
    /// Group id.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// Name, unique in the account.
    pub name: String,
    /// Member count.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub total_members: Option<i64>,
}

/// A member of a group or role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Member {
    /// User id.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// Email.
    pub email: String,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// User type.
    #[serde(rename = "type", deserialize_with = "lenient::opt_i64")]
    pub user_type: Option<i64>,
    /// Department (role members).
    pub department: Option<String>,
}

/// What Zoom answers to an add-members call (`{added_at, ids}`; roles spell it
/// `add_at`), merged over all batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddedMembers {
    /// When the last batch was added.
    pub added_at: Option<String>,
    /// The ids Zoom reported as added (its comma-separated `ids`), over all batches.
    pub ids: Vec<String>,
}

/// The raw add-members answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AddMembersResponse {
    #[serde(alias = "add_at")]
    pub added_at: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub ids: Option<String>,
}

/// A role (`GET /roles`, `GET /roles/{roleId}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Role {
    /// Role id (`"0"`, `"1"`, `"2"` for the built-in ones).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Role type, e.g. `common`.
    #[serde(rename = "type")]
    pub role_type: Option<String>,
    /// Member count.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub total_members: Option<i64>,
}

// ---------------------------------------------------------------------------------
// Zoom Phone
// ---------------------------------------------------------------------------------

/// A calling plan on a phone user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallingPlan {
    /// Plan name (returned live though absent from the spec of the profile).
    pub name: Option<String>,
    /// Plan code, e.g. 200 UNLIMITED_PLAN_US_CA, 3000 ZP_PRO.
    #[serde(rename = "type", deserialize_with = "lenient::opt_i64")]
    pub plan_type: Option<i64>,
    /// Billing account (India).
    pub billing_account_id: Option<String>,
    /// Billing account name.
    pub billing_account_name: Option<String>,
}

/// An `{id, name}` reference to a site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteRef {
    /// Site id.
    pub id: Option<String>,
    /// Site name.
    pub name: Option<String>,
}

/// A phone number reference: by id, by number, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhoneNumberRef {
    /// Number id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// E.164 number.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub number: Option<String>,
}

/// An item of `GET /phone/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhoneUser {
    /// Zoom user id.
    pub id: Option<String>,
    /// Phone user id.
    pub phone_user_id: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Extension id.
    pub extension_id: Option<String>,
    /// Extension number.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub extension_number: Option<i64>,
    /// `activate` or `deactivate`.
    pub status: Option<String>,
    /// Calling plans.
    #[serde(deserialize_with = "lenient::vec")]
    pub calling_plans: Vec<CallingPlan>,
    /// Site.
    pub site: Option<SiteRef>,
    /// Assigned numbers.
    #[serde(deserialize_with = "lenient::vec")]
    pub phone_numbers: Vec<PhoneNumberRef>,
    /// Department.
    pub department: Option<String>,
    /// Cost center.
    pub cost_center: Option<String>,
}

/// `GET /phone/users/{userId}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhoneUserProfile {
    /// Zoom user id.
    pub id: Option<String>,
    /// Phone user id.
    pub phone_user_id: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Extension id.
    pub extension_id: Option<String>,
    /// Extension number.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub extension_number: Option<i64>,
    /// `activate` or `deactivate`.
    pub status: Option<String>,
    /// Site id.
    pub site_id: Option<String>,
    /// Calling plans.
    #[serde(deserialize_with = "lenient::vec")]
    pub calling_plans: Vec<CallingPlan>,
    /// Assigned numbers.
    #[serde(deserialize_with = "lenient::vec")]
    pub phone_numbers: Vec<PhoneNumberRef>,
    /// Department.
    pub department: Option<String>,
    /// Cost center.
    pub cost_center: Option<String>,
}

/// Body of `PATCH /phone/users/{userId}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdatePhoneUser {
    /// Full extension ("must be complete (i.e. site number + short extension)").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_number: Option<String>,
    /// Move the user to this site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
}

/// A country reference on a site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Country {
    /// ISO code.
    pub code: Option<String>,
    /// Name.
    pub name: Option<String>,
}

/// An item of `GET /phone/sites`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhoneSite {
    /// Site id.
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Site code.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub site_code: Option<i64>,
    /// `main` for the main site (seen live, not in the spec).
    pub level: Option<String>,
    /// Country.
    pub country: Option<Country>,
}

/// Who a number is assigned to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NumberAssignee {
    /// Assignee id.
    pub id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Extension.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub extension_number: Option<i64>,
    /// `user`, `callQueue`, ...
    #[serde(rename = "type")]
    pub assignee_type: Option<String>,
}

/// An item of `GET /phone/numbers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhoneNumber {
    /// Number id.
    pub id: Option<String>,
    /// E.164 number.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub number: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Assignee, if assigned.
    pub assignee: Option<NumberAssignee>,
    /// Site.
    pub site: Option<SiteRef>,
    /// `available`, `pending`, ...
    pub status: Option<String>,
    /// `toll` or `tollfree`.
    pub number_type: Option<String>,
    /// `internal` or `external` (BYOC).
    pub source: Option<String>,
    /// Location text.
    pub location: Option<String>,
    /// `incoming`, `outgoing`.
    #[serde(deserialize_with = "lenient::strings")]
    pub capability: Vec<String>,
}

/// `type` filter of `GET /phone/numbers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhoneNumberFilter {
    /// Numbers assigned to someone.
    Assigned,
    /// Free numbers.
    Unassigned,
    /// Bring-your-own-carrier numbers.
    Byoc,
    /// Every number.
    #[default]
    All,
}

impl PhoneNumberFilter {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::Unassigned => "unassigned",
            Self::Byoc => "byoc",
            Self::All => "all",
        }
    }
}

/// An item of `GET /phone/calling_plans` (the account's subscriptions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountCallingPlan {
    /// Plan code.
    #[serde(rename = "type", deserialize_with = "lenient::opt_i64")]
    pub plan_type: Option<i64>,
    /// Plan name.
    pub name: Option<String>,
    /// Seats subscribed.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub subscribed: Option<i64>,
    /// Seats assigned.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub assigned: Option<i64>,
    /// Seats available.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub available: Option<i64>,
    /// Billing account.
    pub billing_account_id: Option<String>,
    /// Billing account name.
    pub billing_account_name: Option<String>,
}

/// Query of `GET /phone/users` (`listPhoneUsers` parameters, contract section 5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPhoneUsersQuery {
    /// Only users of this site.
    pub site_id: Option<String>,
    /// Only users holding this calling plan (`calling_type`).
    pub calling_type: Option<i64>,
    /// "The partial string of user's name, extension number, or phone number."
    pub keyword: Option<String>,
    /// Page size (at most 100).
    pub page_size: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded `GET /users/me` (JupiterOne/graph-zoom, 2023-07-12; see
    /// `users.me.json` in contract section 3.3 and Sources).
    const RECORDED_ME: &str = r#"{
  "id": "H9Yx0-O8QUCXVIseYAsjaA",
  "first_name": "JupiterOne",
  "last_name": "Development",
  "display_name": "JupiterOne Development",
  "email": "development@jupiterone.dev",
  "type": 2,
  "role_name": "Owner",
  "pmi": 4440405982,
  "use_pmi": false,
  "personal_meeting_url": "https://us06web.zoom.us/j/4440405982?pwd=[REDACTED]",
  "timezone": "America/New_York",
  "verified": 1,
  "dept": "",
  "created_at": "2021-10-27T00:00:49Z",
  "last_login_time": "2023-02-09T16:15:45Z",
  "cms_user_id": "",
  "jid": "h9yx0-o8qucxviseyasjaa@xmpp.zoom.us",
  "group_ids": [
    "ppUAdwEBRFCdRE0mfLttog"
  ],
  "im_group_ids": [],
  "account_id": "N0oChUdLTrCZLfk9JXp3Hw",
  "language": "en-US",
  "phone_country": "",
  "phone_number": "",
  "status": "active",
  "job_title": "",
  "location": "",
  "login_types": [
    100
  ],
  "role_id": "0",
  "account_number": 7011249145,
  "cluster": "us06",
  "user_created_at": "2021-10-27T00:00:49Z"
}"#;

    /// Recorded `GET /users?page_size=100&page_number=1` (same source, `users.page1.json`).
    const RECORDED_PAGE: &str = r#"{
  "page_count": 1,
  "page_number": 1,
  "page_size": 100,
  "total_records": 2,
  "users": [
    {
      "id": "a18JbG_DQketjPo0Y8wYqg",
      "first_name": "J1",
      "last_name": "Test",
      "display_name": "J1 Test",
      "email": "tj2488801@gmail.com",
      "type": 1,
      "pmi": 0,
      "timezone": "",
      "verified": 1,
      "dept": "Test",
      "created_at": "2021-10-28T03:49:40Z",
      "last_login_time": "2021-10-28T03:52:40Z",
      "pic_url": "https://lh3.googleusercontent.com/a/AATXAJy4ZWS6WyBZvx4Ujm476PKw65aih3KL0KVnJBTS=s96-c",
      "group_ids": [
        "ppUAdwEBRFCdRE0mfLttog"
      ],
      "language": "en-US",
      "phone_number": "",
      "status": "active",
      "role_id": "2",
      "user_created_at": "2021-10-24T06:16:56Z"
    },
    {
      "id": "H9Yx0-O8QUCXVIseYAsjaA",
      "first_name": "JupiterOne",
      "last_name": "Development",
      "display_name": "JupiterOne Development",
      "email": "development@jupiterone.dev",
      "type": 2,
      "pmi": 4440405982,
      "timezone": "America/New_York",
      "verified": 1,
      "created_at": "2021-10-27T00:00:49Z",
      "last_login_time": "2023-02-09T16:15:45Z",
      "group_ids": [
        "ppUAdwEBRFCdRE0mfLttog"
      ],
      "language": "en-US",
      "phone_number": "",
      "status": "active",
      "role_id": "0",
      "user_created_at": "2021-10-27T00:00:49Z"
    }
  ]
}"#;

    #[test]
    fn reads_recorded_user_detail_and_list() {
        let user: ZoomUser = serde_json::from_str(RECORDED_ME).unwrap();
        assert_eq!(user.id.as_deref(), Some("H9Yx0-O8QUCXVIseYAsjaA"));
        assert_eq!(user.user_type, Some(2));
        assert_eq!(user.role_id.as_deref(), Some("0"));
        assert_eq!(user.role_name.as_deref(), Some("Owner"));
        assert_eq!(user.login_types, vec![100]);
        assert_eq!(user.pmi, Some(4_440_405_982));
        assert_eq!(user.account_id.as_deref(), Some("N0oChUdLTrCZLfk9JXp3Hw"));
        assert!(user.is_active());
        let page: Value = serde_json::from_str(RECORDED_PAGE).unwrap();
        let users: Vec<ZoomUser> = serde_json::from_value(page["users"].clone()).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].group_ids, vec!["ppUAdwEBRFCdRE0mfLttog"]);
        assert_eq!(users[0].dept.as_deref(), Some("Test"));
    }

    #[test]
    fn tolerates_missing_ids_nulls_and_numbers_as_strings() {
        let pending: ZoomUser = serde_json::from_str(
            r#"{"email":"p@example.com","type":"1","status":"pending","pmi":null,"group_ids":null,"extra":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(pending.id, None);
        assert_eq!(pending.user_type, Some(1));
        assert!(pending.is_pending());
        let phone: PhoneUser = serde_json::from_str(
            r#"{"id":"u1","extension_number":"1001","calling_plans":null,"phone_numbers":[{"id":"n1","number":"+15550100"}]}"#,
        )
        .unwrap();
        assert_eq!(phone.extension_number, Some(1001));
        assert!(phone.calling_plans.is_empty());
        assert_eq!(phone.phone_numbers[0].number.as_deref(), Some("+15550100"));
    }

    #[test]
    fn request_bodies_skip_unset_fields_and_hide_passwords() {
        let update = UpdateUser {
            dept: Some(String::new()),
            feature: Some(UserFeature {
                zoom_phone: Some(true),
                zoom_one_type: None,
            }),
            ..UpdateUser::default()
        };
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            serde_json::json!({"dept": "", "feature": {"zoom_phone": true}})
        );
        assert!(UpdateUser::default().is_empty());
        let create = CreateUser {
            action: CreateAction::AutoCreate,
            user_info: CreateUserInfo {
                email: "a@example.com".into(),
                user_type: 1,
                password: Some(Password("Secr3t-pass".into())),
                ..CreateUserInfo::default()
            },
        };
        let json = serde_json::to_value(&create).unwrap();
        assert_eq!(json["action"], "autoCreate");
        assert_eq!(json["user_info"]["type"], 1);
        assert_eq!(json["user_info"]["password"], "Secr3t-pass");
        assert!(json["user_info"].get("first_name").is_none());
        assert!(!format!("{create:?}").contains("Secr3t-pass"));
    }

    #[test]
    fn delete_query_lists_only_requested_transfers() {
        let delete = DeleteUser {
            action: DeleteAction::Delete,
            transfer_email: Some("boss@example.com".into()),
            transfer_recording: true,
            ..DeleteUser::default()
        };
        assert_eq!(
            delete.to_query(),
            vec![
                ("action", "delete".to_owned()),
                ("transfer_email", "boss@example.com".to_owned()),
                ("transfer_recording", "true".to_owned()),
            ]
        );
    }

    #[test]
    fn settings_expose_the_phone_feature() {
        let settings: UserSettings =
            serde_json::from_str(r#"{"feature":{"zoom_phone":true,"meeting_capacity":100}}"#)
                .unwrap();
        assert_eq!(settings.zoom_phone(), Some(true));
        assert_eq!(UserSettings::default().zoom_phone(), None);
    }

    #[test]
    fn role_add_answer_accepts_zoom_spelling() {
        let r: AddMembersResponse =
            serde_json::from_str(r#"{"add_at":"2019-06-01T07:58:03Z","ids":"a,b"}"#).unwrap();
        assert_eq!(r.added_at.as_deref(), Some("2019-06-01T07:58:03Z"));
        assert_eq!(r.ids.as_deref(), Some("a,b"));
    }
}
