//! Roles: the built-in ids, the account's roles with their member counts, and role
//! changes (a user holds exactly one role).

use std::sync::Arc;

use super::{Text, World};

/// The id of the Owner role.
pub const OWNER_ROLE: &str = "0";
/// The id of the Admin role.
pub const ADMIN_ROLE: &str = "1";
/// The id of the Member role.
pub const MEMBER_ROLE: &str = "2";

/// A role.
#[derive(Debug, Clone)]
pub struct Role {
    /// Id (`0` Owner, `1` Admin, `2` Member, random for custom roles).
    pub id: Text,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Privileges.
    pub privileges: Vec<&'static str>,
    pub(super) members: usize,
}

impl Role {
    /// A role without members.
    pub fn new(id: &str, name: &str, description: &str, privileges: Vec<&'static str>) -> Self {
        Self {
            id: Arc::from(id),
            name: name.to_owned(),
            description: description.to_owned(),
            privileges,
            members: 0,
        }
    }

    /// Number of users holding the role.
    pub fn total_members(&self) -> usize {
        self.members
    }
}

impl World {
    /// All roles.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The role with id `id`.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| &*r.id == id)
    }

    /// Whether the role with `id` exists.
    pub fn role_text(&self, id: &str) -> Option<Text> {
        self.role(id).map(|r| r.id.clone())
    }

    /// Gives a user another role: a user holds exactly one.
    pub fn set_role(&mut self, seq: u64, role_id: &str) {
        let Some(new_role) = self.roles.iter().position(|r| &*r.id == role_id) else {
            return;
        };
        let Some(user) = self.users.get_mut(&seq) else {
            return;
        };
        if &*user.role_id == role_id {
            return;
        }
        if let Some(old) = self.roles.iter_mut().find(|r| r.id == user.role_id) {
            old.members = old.members.saturating_sub(1);
        }
        let role = &mut self.roles[new_role];
        role.members += 1;
        user.role_id = role.id.clone();
    }
}
