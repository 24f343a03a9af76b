//! Groups and memberships: a user's `group_ids` and a group's members are kept in step
//! here.

use std::collections::BTreeSet;

use super::{User, World};

/// A group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Id (22 characters).
    pub id: String,
    /// Name, unique in the account (case-insensitively).
    pub name: String,
    pub(super) members: BTreeSet<u64>,
}

impl Group {
    /// Member user sequence numbers, in user creation order.
    pub fn members(&self) -> &BTreeSet<u64> {
        &self.members
    }
}

impl World {
    /// Number of groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The group with sequence number `seq`.
    pub fn group(&self, seq: u64) -> Option<&Group> {
        self.groups.get(&seq)
    }

    /// The group with id `id`.
    pub fn resolve_group(&self, id: &str) -> Option<u64> {
        self.group_by_id.get(id).copied()
    }

    /// The group named `name` (case-insensitive).
    pub fn group_by_name(&self, name: &str) -> Option<u64> {
        let wanted = name.to_lowercase();
        self.groups
            .iter()
            .find(|(_, g)| g.name.to_lowercase() == wanted)
            .map(|(seq, _)| *seq)
    }

    /// Groups after sequence number `after`, in creation order.
    pub fn groups_after(&self, after: u64) -> impl Iterator<Item = (u64, &Group)> {
        self.groups
            .range(after.saturating_add(1)..)
            .map(|(seq, g)| (*seq, g))
    }

    /// Adds a group.
    pub fn insert_group(&mut self, id: String, name: String) -> u64 {
        let seq = self.bump_seq();
        self.group_by_id.insert(id.clone(), seq);
        self.groups.insert(
            seq,
            Group {
                id,
                name,
                members: BTreeSet::new(),
            },
        );
        seq
    }

    /// Renames a group.
    pub fn rename_group(&mut self, seq: u64, name: String) {
        if let Some(g) = self.groups.get_mut(&seq) {
            g.name = name;
        }
    }

    /// Deletes a group; its members lose it from their `group_ids`.
    pub fn remove_group(&mut self, seq: u64) -> Option<Group> {
        let group = self.groups.remove(&seq)?;
        self.group_by_id.remove(&group.id);
        for member in &group.members {
            if let Some(user) = self.users.get_mut(member) {
                user.groups.retain(|g| *g != seq);
            }
        }
        Some(group)
    }

    /// Adds a member; false if they already were one.
    pub fn add_member(&mut self, group: u64, user: u64) -> bool {
        let (Some(g), Some(u)) = (self.groups.get_mut(&group), self.users.get_mut(&user)) else {
            return false;
        };
        if !g.members.insert(user) {
            return false;
        }
        u.groups.push(group);
        true
    }

    /// Removes a member; false if they were not one.
    pub fn remove_member(&mut self, group: u64, user: u64) -> bool {
        let Some(g) = self.groups.get_mut(&group) else {
            return false;
        };
        if !g.members.remove(&user) {
            return false;
        }
        if let Some(u) = self.users.get_mut(&user) {
            u.groups.retain(|x| *x != group);
        }
        true
    }

    /// Makes `group` the user's primary group (first in `group_ids`).
    pub fn set_primary_group(&mut self, user: u64, group: u64) {
        if let Some(u) = self.users.get_mut(&user)
            && let Some(pos) = u.groups.iter().position(|g| *g == group)
        {
            let g = u.groups.remove(pos);
            u.groups.insert(0, g);
        }
    }

    /// The user's group ids in join order, borrowed.
    pub fn group_id_refs<'a>(&'a self, user: &User) -> Vec<&'a str> {
        user.groups
            .iter()
            .filter_map(|g| self.groups.get(g).map(|g| g.id.as_str()))
            .collect()
    }

    /// The user's group ids in join order.
    pub fn group_ids_of(&self, user: &User) -> Vec<String> {
        user.groups
            .iter()
            .filter_map(|g| self.groups.get(g).map(|g| g.id.clone()))
            .collect()
    }
}
