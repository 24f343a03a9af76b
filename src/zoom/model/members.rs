//! Members of a group or a role, and what an add-members call answers (both families
//! share the shapes).

use serde::{Deserialize, Serialize};

use super::lenient;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_add_answer_accepts_zoom_spelling() {
        let r: AddMembersResponse =
            serde_json::from_str(r#"{"add_at":"2019-06-01T07:58:03Z","ids":"a,b"}"#).unwrap();
        assert_eq!(r.added_at.as_deref(), Some("2019-06-01T07:58:03Z"));
        assert_eq!(r.ids.as_deref(), Some("a,b"));
    }
}
