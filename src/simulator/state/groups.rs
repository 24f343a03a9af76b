//! Groups and memberships: a user's `group_ids` and a group's members are kept in step
//! here.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{User, World};
use crate::simulator::webhooks::SimEvent;

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
        if let Some(g) = self.groups.get(&seq) {
            let object = json!({"id": g.id, "name": g.name});
            self.emit(SimEvent::new("group.created", object));
        }
        seq
    }

    /// Renames a group.
    pub fn rename_group(&mut self, seq: u64, name: String) {
        let Some(g) = self.groups.get_mut(&seq) else {
            return;
        };
        if g.name == name {
            return;
        }
        let old = json!({"id": g.id, "name": g.name});
        g.name = name;
        let object = json!({"id": g.id, "name": g.name});
        self.emit(SimEvent::new("group.updated", object).with_old(old));
    }

    /// Reports a membership change, one event per group and kind for the members of
    /// one call (as Zoom lists them in `payload.object.members`).
    fn emit_member(&mut self, event: &'static str, group: u64, user: u64) {
        let (Some(g), Some(u)) = (self.groups.get(&group), self.users.get(&user)) else {
            return;
        };
        let member = json!({"id": u.id(), "email": u.email(), "first_name": u.first_name,
                            "last_name": u.last_name});
        let group_id = g.id.clone();
        let object = json!({"id": g.id, "name": g.name, "members": [member.clone()]});
        if let Some(outbox) = &mut self.outbox
            && let Some(last) = outbox.last_mut()
            && last.event == event
            && last.object.get("id").and_then(Value::as_str) == Some(group_id.as_str())
            && let Some(members) = last.object.get_mut("members").and_then(Value::as_array_mut)
        {
            members.push(member);
            return;
        }
        self.emit(SimEvent::new(event, object));
    }

    /// Deletes a group; its members lose it from their `group_ids`.
    pub fn remove_group(&mut self, seq: u64) -> Option<Group> {
        let group = self.groups.remove(&seq)?;
        self.group_by_id.remove(&group.id);
        let object = json!({"id": group.id, "name": group.name});
        self.emit(SimEvent::new("group.deleted", object));
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
        self.emit_member("group.member_added", group, user);
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
        self.emit_member("group.member_deleted", group, user);
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
