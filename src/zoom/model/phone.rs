//! The Zoom Phone family: `/phone/users`, sites, numbers and calling plans.

use serde::{Deserialize, Serialize};

use super::lenient;

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
