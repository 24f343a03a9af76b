//! The Roles family: `/roles`, and Zoom's fixed role ids (a role's members: `members.rs`).

use serde::{Deserialize, Serialize};

use super::lenient;

/// Zoom's fixed role ids (Zoom "Roles": Owner `0`, Admin `1`, Member `2`): the owner's,
/// and Member, the default role a user falls back to when its role is withdrawn.
pub const OWNER_ROLE_ID: &str = "0";
/// See [`OWNER_ROLE_ID`].
pub const MEMBER_ROLE_ID: &str = "2";
/// See [`OWNER_ROLE_ID`]. Zoom refuses to change an admin's status ("Zoom Room and
/// Admin users' status cannot be activated or deactivated", contract section 3.6).
pub const ADMIN_ROLE_ID: &str = "1";

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
