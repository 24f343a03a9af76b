//! The Groups family: `/groups` and what a create found or made.

use serde::{Deserialize, Serialize};

use super::lenient;

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
