//! Writing groups: create (with the duplicates policy), PATCH in every client dialect,
//! PUT and DELETE (RFC 7644 sections 3.3, 3.5, 3.6).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::members::{MemberPlan, UserFacts};
use crate::mapping::group::{
    GroupPatch, MemberChanges, MemberOp, difference, group_input, member_changes, member_json,
};
use crate::provider::failure::zoom_failure;
use crate::provider::policy::DuplicatePolicy;
use crate::provider::progress::Progress;
use crate::provider::{Precondition, Provider, ScimResource, WriteOutcome};
use crate::scim::error::ScimError;
use crate::scim::patch::PatchRequest;
use crate::scim::projection::AttributeSelection;
use crate::store::ResourceKind;
use crate::zoom::model::{Group, GroupCreate, Member};

/// The key under which writes to one group are serialised ([`crate::provider::ResourceLocks`]):
/// each write reads the members, computes a difference and applies it, so two writes
/// to one group must not interleave.
fn group_lock(id: &str) -> String {
    format!("group:{id}")
}

fn rename_label(name: &str) -> String {
    format!("rename to '{name}'")
}

/// The ids a group PATCH's operations remove by value.
fn requested_removals(ops: &[MemberOp]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for op in ops {
        if let MemberOp::Remove(removed) = op {
            ids.extend(
                removed
                    .iter()
                    .filter(|id| seen.insert(id.as_str()))
                    .cloned(),
            );
        }
    }
    ids
}

/// Whether an `If-Match` needs the current version (anything but `*`).
pub(super) fn needs_version(precondition: &Precondition) -> bool {
    precondition
        .if_match
        .as_deref()
        .is_some_and(|v| v.split(',').any(|t| t.trim() != "*"))
}

/// The result of a Group PATCH.
#[derive(Debug)]
pub struct GroupPatchOutcome {
    /// The resource after the change, when the request asked for it (`attributes`).
    pub resource: Option<ScimResource>,
    /// What Zoom did not apply (for `Warning` headers).
    pub warnings: Vec<String>,
}

impl Provider {
    /// Reads a group, its stored `externalId` and, when needed, its members; checks
    /// `If-Match`.
    async fn current_group(
        &self,
        id: &str,
        with_members: bool,
        precondition: &Precondition,
    ) -> Result<(Group, Option<String>, Option<Vec<Member>>), ScimError> {
        let group = self.read_group(id).await?;
        let external_id = self.group_external_id(id).await;
        let members = self
            .members_checked(
                id,
                &group,
                external_id.as_deref(),
                with_members,
                precondition,
            )
            .await?;
        Ok((group, external_id, members))
    }

    /// Keeps a group's `externalId` when the request changes it.
    async fn keep_group_external_id(
        &self,
        id: &str,
        current: Option<&str>,
        desired: Option<&str>,
        applied: &str,
    ) -> Result<(), ScimError> {
        if current == desired {
            return Ok(());
        }
        self.keep_external_id(ResourceKind::Group, id, desired, applied)
            .await?;
        self.touch(ResourceKind::Group, &[id]).await;
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // Writes
    // ---------------------------------------------------------------------------------

    /// `POST /Groups`: creates the group, then adds its members in batches of 30. A
    /// taken name follows `scim.duplicates`: `conflict` answers 409 `uniqueness` naming
    /// the existing group; `adopt` adds the requested members to it (never removing
    /// anyone) and answers 200.
    pub async fn create_group(
        &self,
        body: Value,
        selection: &AttributeSelection,
    ) -> Result<WriteOutcome, ScimError> {
        let input = group_input(&body)?;
        if !input.ignored.is_empty() {
            tracing::debug!(ignored = ?input.ignored, "POST /Groups: attributes Zoom does not store were ignored");
        }
        let name = input.display_name;
        let members = input.members.unwrap_or_default();
        let external_id = input.external_id;
        self.require_store(&format!("create group '{name}'"))
            .await?;
        let facts = self.user_facts(&members).await?;
        let created = match self.zoom.create_group(&name).await {
            Ok(GroupCreate::Created(group)) => group,
            Ok(GroupCreate::Exists(existing)) => {
                return self
                    .create_existing(
                        &name,
                        Some(existing),
                        (&members, external_id.as_deref()),
                        &facts,
                        selection,
                    )
                    .await;
            }
            // Taken between the look-up and the create.
            Err(e) if e.is_duplicate() => {
                return self
                    .create_existing(
                        &name,
                        None,
                        (&members, external_id.as_deref()),
                        &facts,
                        selection,
                    )
                    .await;
            }
            Err(e) => return Err(zoom_failure(&e, &format!("create group '{name}'"))),
        };
        self.lookups.forget_group_names().await;
        let Some(id) = created.id.clone().filter(|id| !id.is_empty()) else {
            return Err(ScimError::bad_gateway(format!(
                "create group '{name}': Zoom answered the create as done but gave no group id; check Zoom before retrying"
            )));
        };
        let changes = MemberChanges {
            add: members,
            remove: Vec::new(),
            exact: true,
        };
        let plan = MemberPlan::new(&id, &changes, &facts);
        let mut progress = Progress::new(format!("create group '{name}'"), plan.labels());
        progress.applied(&format!("create group (Zoom id {id})"));
        if let Some(external_id) = external_id.as_deref() {
            let applied = format!("group '{name}' was created (id {id})");
            self.keep_group_external_id(&id, None, Some(external_id), &applied)
                .await?;
        }
        let ran = self.run_member_plan(&id, &plan, &mut progress).await;
        self.touch_members(&id, &changes).await;
        if let Err(mut err) = ran {
            err.detail.push_str(&format!(
                " The group exists now (id {id}): PATCH /Groups/{id} adds the missing members; repeating the create answers per scim.duplicates."
            ));
            return Err(err);
        }
        let resource = self
            .read_group_resource(&id, selection, progress.into_warnings())
            .await?;
        Ok(WriteOutcome {
            resource,
            created: true,
        })
    }

    /// A create met a taken name (`found`, or looked up again when Zoom refused the
    /// name): the duplicates policy decides.
    async fn create_existing(
        &self,
        name: &str,
        found: Option<Group>,
        (members, external_id): (&[String], Option<&str>),
        facts: &HashMap<String, UserFacts>,
        selection: &AttributeSelection,
    ) -> Result<WriteOutcome, ScimError> {
        let existing = match found {
            Some(group) => Some(group),
            None => self
                .zoom
                .find_group_by_name(name)
                .await
                .map_err(|e| zoom_failure(&e, &format!("look up group '{name}'")))?,
        };
        let Some((existing, id)) = existing.and_then(|g| {
            let id = g.id.clone()?;
            Some((g, id))
        }) else {
            return Err(ScimError::uniqueness(format!(
                "a Zoom group named '{name}' already exists"
            )));
        };
        if self.settings.duplicates == DuplicatePolicy::Conflict {
            return Err(ScimError::uniqueness(format!(
                "a Zoom group named '{}' already exists with id {id}",
                existing.name
            )));
        }
        // Adopt: make the request true of the existing group (its name as written,
        // its members present), removing no one.
        let _guard = self.locks.lock(&group_lock(&id)).await;
        let changes = MemberChanges {
            add: members.to_vec(),
            remove: Vec::new(),
            exact: false,
        };
        let plan = MemberPlan::new(&id, &changes, facts);
        let rename = (existing.name != name).then(|| name.to_owned());
        let mut labels: Vec<String> = rename.iter().map(|n| rename_label(n)).collect();
        labels.extend(plan.labels());
        let mut progress = Progress::new(format!("adopt existing group {id} ('{name}')"), labels);
        if let Some(new_name) = &rename {
            progress
                .run(
                    &rename_label(new_name),
                    self.zoom.rename_group(&id, new_name),
                )
                .await?;
            self.lookups.forget_group_names().await;
        }
        let ran = self.run_member_plan(&id, &plan, &mut progress).await;
        self.touch_members(&id, &changes).await;
        ran?;
        if external_id.is_some() {
            let current = self.group_external_id(&id).await;
            let applied = format!("the existing group {id} was adopted");
            self.keep_group_external_id(&id, current.as_deref(), external_id, &applied)
                .await?;
        }
        let resource = self
            .read_group_resource(&id, selection, progress.into_warnings())
            .await?;
        Ok(WriteOutcome {
            resource,
            created: false,
        })
    }

    /// Applies a rename and member changes to an existing group, in a safe order.
    async fn apply_group_changes(
        &self,
        id: &str,
        rename: Option<&str>,
        changes: &MemberChanges,
    ) -> Result<Vec<String>, ScimError> {
        let facts = self.user_facts(&changes.add).await?;
        let plan = MemberPlan::new(id, changes, &facts);
        let mut labels: Vec<String> = rename.iter().map(|n| rename_label(n)).collect();
        labels.extend(plan.labels());
        let mut progress = Progress::new(format!("update group {id}"), labels);
        // The rename first: a taken name (409) then changes nothing at all.
        if let Some(name) = rename {
            progress
                .run(&rename_label(name), self.zoom.rename_group(id, name))
                .await?;
            self.lookups.forget_group_names().await;
        }
        if !plan.is_empty() {
            let ran = self.run_member_plan(id, &plan, &mut progress).await;
            self.touch_members(id, changes).await;
            ran?;
        } else if rename.is_some() {
            self.touch(ResourceKind::Group, &[id]).await;
        }
        Ok(progress.into_warnings())
    }

    /// Dates a membership change: the group's and each added or removed user's
    /// (their `groups` changed).
    async fn touch_members(&self, id: &str, changes: &MemberChanges) {
        self.touch(ResourceKind::Group, &[id]).await;
        let users: Vec<&str> = changes
            .add
            .iter()
            .chain(&changes.remove)
            .map(String::as_str)
            .collect();
        self.touch(ResourceKind::User, &users).await;
    }

    /// `PATCH /Groups/{id}` (RFC 7644 section 3.5.2): a rename and member changes by
    /// difference. With `selection` (the request named `attributes`) the outcome
    /// carries the resource (200); otherwise none (204).
    pub async fn patch_group(
        &self,
        id: &str,
        body: Value,
        selection: Option<&AttributeSelection>,
        precondition: &Precondition,
    ) -> Result<GroupPatchOutcome, ScimError> {
        let request = PatchRequest::parse(&body)?;
        let _guard = self.locks.lock(&group_lock(id)).await;
        self.require_store(&format!("update group {id}")).await?;
        // Member changes by path need no group record unless `If-Match` asks for the
        // version: the member calls' 404 code 4130 says when the group is gone. This
        // spares one Light call per membership change (Entra, Okta, midPoint shapes).
        let group_unread = GroupPatch::members_only(&request) && !needs_version(precondition);
        let group = if group_unread {
            Group {
                id: Some(id.to_owned()),
                name: String::new(),
                total_members: None,
            }
        } else {
            self.read_group(id).await?
        };
        let external_id = if group_unread {
            None
        } else {
            self.group_external_id(id).await
        };
        let patch = GroupPatch::from_request(&request, id, &group.name, external_id.as_deref())?;
        let members = self
            .members_checked(
                id,
                &group,
                external_id.as_deref(),
                patch.needs_current_members(),
                precondition,
            )
            .await?;
        let current: Option<Vec<Value>> = members.as_ref().map(|members| {
            members
                .iter()
                .filter_map(|m| member_json(m, &self.base_url))
                .collect()
        });
        let mut changes =
            crate::provider::cpu_bound(|| member_changes(&patch.member_ops, current.as_deref()))?;
        let requested = requested_removals(&patch.member_ops);
        self.check_removals(id, &mut changes, &requested, members.as_deref())
            .await?;
        // With no member call left, nothing would say whether the group exists.
        if group_unread && changes.is_empty() && patch.rename.is_none() {
            self.read_group(id).await?;
        }
        let warnings = self
            .apply_group_changes(id, patch.rename.as_deref(), &changes)
            .await?;
        if let Some(desired) = &patch.external_id {
            let applied = format!("group {id} was updated in Zoom");
            self.keep_group_external_id(id, external_id.as_deref(), desired.as_deref(), &applied)
                .await?;
        }
        let resource = match selection {
            Some(selection) => Some(
                self.read_group_resource(id, selection, warnings.clone())
                    .await?,
            ),
            None => None,
        };
        Ok(GroupPatchOutcome { resource, warnings })
    }

    /// `PUT /Groups/{id}` (RFC 7644 section 3.5.1): the name, and the members by
    /// difference when the body has `members` (`[]` or `null` remove everyone; a body
    /// without `members` leaves them as they are: RFC 7644 lets a service treat omitted
    /// attributes as not asserted).
    pub async fn replace_group(
        &self,
        id: &str,
        body: Value,
        selection: &AttributeSelection,
        precondition: &Precondition,
    ) -> Result<ScimResource, ScimError> {
        let input = group_input(&body)?;
        let _guard = self.locks.lock(&group_lock(id)).await;
        self.require_store(&format!("replace group {id}")).await?;
        let (group, external_id, members) = self
            .current_group(id, input.members.is_some(), precondition)
            .await?;
        let changes = match (&input.members, &members) {
            (Some(desired), Some(current)) => {
                let current: Vec<String> = current.iter().filter_map(|m| m.id.clone()).collect();
                difference(&current, desired)
            }
            _ => MemberChanges::default(),
        };
        let rename = (group.name != input.display_name).then_some(input.display_name.as_str());
        let warnings = self.apply_group_changes(id, rename, &changes).await?;
        // An omitted externalId keeps its value, as omitted members do.
        if input.external_id.is_some() {
            let applied = format!("group {id} was updated in Zoom");
            self.keep_group_external_id(
                id,
                external_id.as_deref(),
                input.external_id.as_deref(),
                &applied,
            )
            .await?;
        }
        self.read_group_resource(id, selection, warnings).await
    }

    /// `DELETE /Groups/{id}` (RFC 7644 section 3.6), unless `scim.group_deletion` is off
    /// (the Java connector's `entitlementDeletionEnabled`): then 403.
    pub async fn delete_group(
        &self,
        id: &str,
        precondition: &Precondition,
    ) -> Result<(), ScimError> {
        if !self.settings.group_deletion {
            return Err(ScimError::forbidden(
                "deleting groups is disabled on this service (scim.group_deletion = false); remove the members instead",
            ));
        }
        let _guard = self.locks.lock(&group_lock(id)).await;
        self.require_store(&format!("delete group {id}")).await?;
        if needs_version(precondition) {
            self.current_group(id, true, precondition).await?;
        }
        let result = self.zoom.delete_group(id).await;
        self.lookups.forget_group_names().await;
        match result {
            Ok(()) => {
                self.forget_resource(ResourceKind::Group, id).await;
                Ok(())
            }
            Err(e) if e.is_not_found() => {
                self.forget_resource(ResourceKind::Group, id).await;
                Err(ScimError::not_found(format!("group {id} not found")))
            }
            Err(e) => Err(zoom_failure(&e, &format!("delete group {id}"))),
        }
    }

    // ---------------------------------------------------------------------------------
    // The user side: one user's groups by difference
    // ---------------------------------------------------------------------------------
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_star_needs_no_version() {
        let p = |v: Option<&str>| Precondition {
            if_match: v.map(str::to_owned),
        };
        assert!(!needs_version(&p(None)));
        assert!(!needs_version(&p(Some("*"))));
        assert!(needs_version(&p(Some("W/\"abc\""))));
    }
}
