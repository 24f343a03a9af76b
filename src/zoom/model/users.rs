//! The Users family: `/users` and its sub-resources (status, e-mail, token, settings).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::lenient;
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
    /// `active`, `inactive` or `pending` (another value is kept as [`UserStatus::Other`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
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
        self.status == Some(UserStatus::Pending)
    }

    /// True for users whose status is `active` (not for an absent or undocumented one).
    pub fn is_active(&self) -> bool {
        self.status == Some(UserStatus::Active)
    }

    /// The status, `active` when the record has none (a group's member list, a user
    /// record built before Zoom created it).
    pub fn status_or_active(&self) -> &UserStatus {
        self.status.as_ref().unwrap_or(&UserStatus::Active)
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

/// What `POST /Users` sends to Zoom as `action`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum CreateAction {
    /// Zoom e-mails an invitation; the user stays pending until they accept.
    #[default]
    #[serde(rename = "create")]
    Create,
    /// Managed-domain accounts: active at once.
    #[serde(rename = "autoCreate")]
    AutoCreate,
    /// ISV accounts: active, cannot log in to the web portal.
    #[serde(rename = "custCreate")]
    CustCreate,
    /// Pre-provisioned SSO users: active.
    #[serde(rename = "ssoCreate")]
    SsoCreate,
}

impl CreateAction {
    /// The value Zoom expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::AutoCreate => "autoCreate",
            Self::CustCreate => "custCreate",
            Self::SsoCreate => "ssoCreate",
        }
    }
}

/// A user's status: the `status` of a Zoom user record and the `GET /users?status=`
/// filter. Ordered as listed (active, inactive, pending).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UserStatus {
    /// Active users (Zoom's default).
    Active,
    /// Deactivated users.
    Inactive,
    /// Invited users who have not accepted.
    Pending,
    /// A value Zoom does not document (names are matched exactly, so `Pending` is one),
    /// kept as sent: a listing holding one still reads, the SCIM view shows it, and
    /// zoom-scim treats the user as active (only [`ZoomUser::is_active`] says no).
    Other(String),
}

impl UserStatus {
    /// Every documented status, in listing order.
    pub const ALL: [UserStatus; 3] = [Self::Active, Self::Inactive, Self::Pending];

    /// Zoom's name (the query value).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Pending => "pending",
            Self::Other(other) => other,
        }
    }

    /// A documented status by name, case-insensitive (as a SCIM filter names it).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s))
    }
}

/// A record's status as Zoom writes it: the documented names exactly, anything else
/// as [`UserStatus::Other`].
impl From<String> for UserStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "active" => Self::Active,
            "inactive" => Self::Inactive,
            "pending" => Self::Pending,
            _ => Self::Other(s),
        }
    }
}

impl From<&str> for UserStatus {
    fn from(s: &str) -> Self {
        s.to_owned().into()
    }
}

impl Serialize for UserStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for UserStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
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
    fn an_undocumented_status_is_kept_and_does_not_fail_the_page() {
        let body = br#"{"users": [
            {"id": "u1", "email": "a@x.org", "status": "active"},
            {"id": "u2", "email": "b@x.org", "status": "suspended"},
            {"id": "u3", "email": "c@x.org", "status": "Pending"},
            {"id": "u4", "email": "d@x.org", "status": null},
            {"id": "u5", "email": "e@x.org"}
        ]}"#;
        let page = crate::zoom::Page::<ZoomUser>::from_body(body, "users", "GET", "/users")
            .expect("one odd status does not fail the page");
        let statuses: Vec<_> = page.items.iter().map(|u| u.status.clone()).collect();
        assert_eq!(
            statuses,
            [
                Some(UserStatus::Active),
                Some(UserStatus::Other("suspended".into())),
                Some(UserStatus::Other("Pending".into())),
                None,
                None,
            ]
        );
        let odd = &page.items[1];
        assert!(!odd.is_pending() && !odd.is_active());
        assert_eq!(odd.status_or_active().as_str(), "suspended");
        assert_eq!(*page.items[4].status_or_active(), UserStatus::Active);
        // Written back as read.
        let written = serde_json::to_value(&page.items[2]).unwrap();
        assert_eq!(written["status"], "Pending");
        assert_eq!(
            serde_json::from_value::<ZoomUser>(written).unwrap(),
            page.items[2]
        );
        // A filter names only the documented statuses, in any case.
        assert_eq!(UserStatus::parse("PENDING"), Some(UserStatus::Pending));
        assert_eq!(UserStatus::parse("suspended"), None);
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
}
