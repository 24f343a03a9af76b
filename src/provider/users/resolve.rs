//! Resolving what a user write refers to before it is planned (RFC 7644 section 3.5.2:
//! a PATCH is atomic, so every reference is checked before anything is sent): the
//! manager's e-mail, the role, the groups to join, the phone site, calling-plan seats.

use super::plan::{Origin, Plan, PlanInput, Protection, References, Resolved, SiteRef};
use crate::mapping::phone_write::PhoneTarget;
use crate::mapping::phone_write::plan_shortfall;
use crate::mapping::user_write::{RoleChange, UserChanges};
use crate::provider::Provider;
use crate::provider::failure::zoom_failure;
use crate::provider::groups::name_ids;
use crate::scim::error::{ScimError, clip};
use crate::zoom::model::{MEMBER_ROLE_ID, ZoomUser};

/// The default role of a Zoom account ("Member").
pub(super) const MEMBER_ROLE_NAME: &str = "Member";

impl Provider {
    /// Why `user` (Zoom id `id`) must not be deactivated or deleted, if it must not.
    pub(super) fn protection(&self, user: &ZoomUser, id: &str) -> Option<Protection> {
        Protection::of(user, id, &self.settings.protected_users)
    }

    /// What a plan of `changes` to `user` (Zoom id `id`) is made from.
    pub(super) fn plan_input<'a>(
        &self,
        id: &str,
        user: &'a ZoomUser,
        changes: &'a UserChanges,
        phone: Option<&'a PhoneTarget>,
        origin: Origin,
    ) -> PlanInput<'a> {
        PlanInput {
            user,
            protection: self.protection(user, id),
            changes,
            phone,
            origin,
            pending_deactivation: self.settings.pending_deactivation,
            logout_on_deactivate: self.settings.logout_on_deactivate,
        }
    }

    /// Plans a write: what [`PlanInput::admit`] refuses is refused before any look-up,
    /// then the references are resolved and the admitted write planned.
    pub(super) async fn plan(&self, input: &PlanInput<'_>) -> Result<Plan, ScimError> {
        let not_applied = input.admit()?;
        let resolved = self.resolve(&input.references()).await?;
        input.plan(&resolved, not_applied)
    }

    /// Resolves and checks `refs` against Zoom, in the order a client reads its
    /// mistakes: manager, role, groups, site, calling plans.
    async fn resolve(&self, refs: &References<'_>) -> Result<Resolved, ScimError> {
        let mut resolved = Resolved::default();
        if let Some(manager_id) = refs.manager {
            resolved.manager_email = Some(self.manager_email(manager_id).await?);
        }
        if let Some(role) = refs.role {
            resolved.role = Some(self.resolve_role(role).await?);
        }
        if let Some(join) = refs.groups {
            let names = self.group_names_including(join).await?;
            let unknown: Vec<&str> = join
                .iter()
                .filter(|g| !names.contains_key(*g))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                return Err(ScimError::invalid_value(format!(
                    "groupIds: no Zoom group has the id {}; nothing was changed",
                    name_ids(&unknown)
                )));
            }
        }
        resolved.site_id = match refs.site {
            Some(SiteRef::Id(id)) => Some(self.resolve_site(id, true).await?),
            Some(SiteRef::Name(name)) => Some(self.resolve_site(name, false).await?),
            None => None,
        };
        if !refs.new_plans.is_empty() {
            self.check_calling_plans(refs.new_plans).await?;
        }
        Ok(resolved)
    }

    /// A phone site id for a site given by id or by name (the whole paged site list,
    /// cached for `scim.site_cache_ttl_s`; a name not found is looked up once more in
    /// a fresh list).
    async fn resolve_site(&self, wanted: &str, by_id: bool) -> Result<String, ScimError> {
        let found = if by_id {
            self.lookups
                .sites()
                .await
                .map_err(|e| zoom_failure(&e, "list phone sites"))?
                .get(wanted)
                .and_then(|s| s.id.clone())
        } else {
            self.lookups
                .site_by_name(wanted)
                .await
                .map_err(|e| zoom_failure(&e, "list phone sites"))?
                .and_then(|s| s.id)
        };
        found.ok_or_else(|| {
            ScimError::invalid_value(format!(
                "no Zoom Phone site has the {} '{}'; nothing was changed",
                if by_id { "id" } else { "name" },
                clip(wanted)
            ))
        })
    }

    /// Refuses a calling plan the account cannot give (not subscribed, or no seat
    /// free) before anything is sent, since removed plans go before new ones are
    /// assigned and a site move before both (RFC 7644 section 3.5.2: "A PATCH request,
    /// regardless of the number of operations, SHALL be treated as atomic"). The seats
    /// are read now, not from a cache: the service's own assignments take them too.
    async fn check_calling_plans(&self, wanted: &[i64]) -> Result<(), ScimError> {
        let account = self
            .lookups
            .calling_plans()
            .await
            .map_err(|e| zoom_failure(&e, "list the account's calling plans"))?;
        match plan_shortfall(wanted, &account) {
            None => Ok(()),
            Some(shortfall) => Err(shortfall.refusal(&account)),
        }
    }

    /// The manager's Zoom e-mail (Zoom's `manager` takes an e-mail).
    async fn manager_email(&self, manager_id: &str) -> Result<String, ScimError> {
        match self.zoom.get_user(manager_id).await {
            Ok(manager) if manager.id.as_deref() == Some(manager_id) => {
                // The answer shows the manager by id again: spare it the look-up back.
                self.lookups.remember_id(&manager.email, manager_id).await;
                Ok(manager.email)
            }
            Ok(_) => Err(ScimError::invalid_value(format!(
                "manager.value {} is not a Zoom user id",
                clip(manager_id)
            ))),
            Err(e) if e.is_not_found() => Err(ScimError::invalid_value(format!(
                "manager.value {} is not a Zoom user; nothing was changed",
                clip(manager_id)
            ))),
            Err(e) => Err(zoom_failure(&e, "look up the manager")),
        }
    }

    /// A role id and name for a role given by id or by name.
    async fn resolve_role(&self, role: &RoleChange) -> Result<(String, String), ScimError> {
        let roles = self
            .lookups
            .role_names()
            .await
            .map_err(|e| zoom_failure(&e, "list roles"))?;
        let wanted = match role {
            RoleChange::To(v) => v.as_str(),
            RoleChange::Default => MEMBER_ROLE_NAME,
        };
        if let Some(name) = roles.get(wanted) {
            return Ok((wanted.to_owned(), name.clone()));
        }
        if let Some((id, name)) = roles.iter().find(|(_, n)| n.eq_ignore_ascii_case(wanted)) {
            return Ok((id.clone(), name.clone()));
        }
        if matches!(role, RoleChange::Default) {
            return Ok((MEMBER_ROLE_ID.to_owned(), MEMBER_ROLE_NAME.to_owned()));
        }
        Err(ScimError::invalid_value(format!(
            "roles: no Zoom role has the id or name '{}'; nothing was changed",
            clip(wanted)
        )))
    }

    /// Group names, fetched again when an id is missing (a group created seconds ago).
    async fn group_names_including(
        &self,
        ids: &[String],
    ) -> Result<std::sync::Arc<std::collections::HashMap<String, String>>, ScimError> {
        let names = self
            .lookups
            .group_names()
            .await
            .map_err(|e| zoom_failure(&e, "list groups"))?;
        if ids.iter().all(|g| names.contains_key(g)) {
            return Ok(names);
        }
        self.lookups.forget_group_names().await;
        self.lookups
            .group_names()
            .await
            .map_err(|e| zoom_failure(&e, "list groups"))
    }
}
