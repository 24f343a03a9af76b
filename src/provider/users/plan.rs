//! A user write's plan: the ordered Zoom calls a difference needs, and what is refused.

use crate::config::PendingDeactivation;
use crate::mapping::phone_write::PhoneTarget;
use crate::mapping::user_write::UserChanges;
use crate::provider::Provider;
use crate::provider::groups::name_ids;
use crate::provider::progress::Progress;
use crate::scim::error::{ScimError, clip};
use crate::zoom::model::{MEMBER_ROLE_ID, OWNER_ROLE_ID, UpdateUser, ZoomUser};

/// The plan's label of the phone profile step until its calls are known.
pub(super) const PHONE_PROFILE_STEP: &str = "Zoom Phone profile";

/// One Zoom call of a user write.
#[derive(Debug, Clone)]
pub(super) enum Step {
    Reactivate,
    Profile(Box<UpdateUser>, String),
    Email(String),
    /// `POST /roles/{id}/members`: into a role other than Member.
    Role {
        id: String,
        name: String,
    },
    /// `DELETE /roles/{from}/members/{userId}`: back to Member, named `name`.
    RoleToMember {
        from: String,
        name: String,
    },
    /// Leave `leave`, join `join` (several calls, each reported), through the shared
    /// [`Provider::apply_user_groups`] (pending users join through `group_id`).
    Groups {
        leave: Vec<String>,
        join: Vec<String>,
        pending: bool,
    },
    /// `PATCH /users/{id}` `feature.zoom_phone = true`, before anything phone-related.
    PhoneOn,
    /// Site, extension, plans and numbers by difference against the phone profile
    /// read at that point (several calls, each reported).
    PhoneProfile(Box<PhoneTarget>, Option<String>),
    /// `feature.zoom_phone = false` ("All numbers and phones assigned to the users will
    /// become unassigned"), the last phone step.
    PhoneOff,
    Deactivate,
    SignOut,
    WithdrawInvitation,
}

impl Step {
    pub(super) fn label(&self) -> String {
        match self {
            Step::Reactivate => "reactivate".into(),
            Step::Profile(_, attrs) => format!("profile ({attrs})"),
            Step::Email(email) => format!("userName -> {}", clip(email)),
            Step::Role { name, .. } | Step::RoleToMember { name, .. } => {
                format!("role -> {name}")
            }
            Step::Groups { .. } => "group memberships".into(),
            Step::PhoneOn => "turn Zoom Phone on".into(),
            Step::PhoneProfile(..) => PHONE_PROFILE_STEP.into(),
            Step::PhoneOff => "turn Zoom Phone off".into(),
            Step::Deactivate => "deactivate".into(),
            Step::SignOut => "sign out everywhere".into(),
            Step::WithdrawInvitation => "withdraw the invitation (disassociate)".into(),
        }
    }
}

/// Where a set of changes comes from, for the rules that differ.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// Right after `POST /users` (or adopting a duplicate): the user exists whatever
    /// happens, so what Zoom cannot take is reported as not applied.
    Create,
    /// PUT or PATCH: a pending user's unapplicable change refuses the request.
    Update,
}

impl Provider {
    /// Turns changes into ordered Zoom calls, refusing what must not be done.
    pub(super) async fn plan(
        &self,
        id: &str,
        user: &ZoomUser,
        changes: &UserChanges,
        phone: Option<&PhoneTarget>,
        origin: Origin,
        progress: &mut Progress,
    ) -> Result<Vec<Step>, ScimError> {
        let status = user.status.as_deref().unwrap_or("active");
        let pending = status == "pending";
        let inactive = status == "inactive";
        if changes.active == Some(false) && self.is_protected(user, id) {
            return Err(self.protected_error(user, "deactivated"));
        }
        if changes.role.is_some() && user.role_id.as_deref() == Some(OWNER_ROLE_ID) {
            return Err(ScimError::forbidden(format!(
                "the role of {} cannot be changed through zoom-scim: it is the Zoom account owner",
                user.email
            )));
        }
        // Pending users (docs/behaviour.md): Zoom accepts changes to a pending user
        // and silently drops them (contract 3.10), so they are never sent as if done.
        if pending {
            let dropped = changes.dropped_for_pending();
            if !dropped.is_empty() {
                let reason = "the user is pending (invited, has not accepted yet) and Zoom ignores this change until they do";
                if origin == Origin::Update {
                    return Err(ScimError::conflict(format!(
                        "{}: {reason}; nothing was changed. Send the request again after the user accepts the invitation",
                        dropped.join(", ")
                    )));
                }
                for name in dropped {
                    progress.not_applied(format!("{name} not applied: {reason}"));
                }
            }
        }
        if inactive && changes.active != Some(true) && !changes.is_empty() {
            let only_deactivate = changes.active == Some(false) && {
                let mut rest = changes.clone();
                rest.active = None;
                rest.is_empty()
            };
            if !only_deactivate {
                return Err(ScimError::conflict(format!(
                    "user {} is deactivated; Zoom refuses changes to deactivated users. Set active=true in the same request to reactivate and update it",
                    user.email
                )));
            }
        }

        let mut steps = Vec::new();
        if changes.active == Some(true) && !pending {
            steps.push(Step::Reactivate);
        }
        if !pending {
            let mut profile = changes.profile.clone();
            let mut attrs: Vec<&str> = changes.profile_attributes.clone();
            if let Some(manager) = &changes.manager {
                profile.manager = Some(match manager {
                    Some(manager_id) => self.manager_email(manager_id).await?,
                    None => String::new(),
                });
                attrs.push("manager");
            }
            if !profile.is_empty() {
                steps.push(Step::Profile(Box::new(profile), attrs.join(", ")));
            }
            if let Some(email) = &changes.email {
                steps.push(Step::Email(email.clone()));
            }
            if let Some(role) = &changes.role {
                let (role_id, name) = self.resolve_role(role).await?;
                match user.role_id.as_deref() {
                    Some(held) if held == role_id => {}
                    // `AddRoleMembers` 400 (contract section 10): "Can't delete or add members for
                    // Normal/Owner roles."; `roleMemberDelete` 204: "Role withdrawn from
                    // user." A user without their role holds Member, the default.
                    Some(held) if role_id == MEMBER_ROLE_ID => steps.push(Step::RoleToMember {
                        from: held.to_owned(),
                        name,
                    }),
                    // Zoom's record lacks what it always carries: an upstream fault.
                    None if role_id == MEMBER_ROLE_ID => {
                        return Err(ScimError::bad_gateway(format!(
                            "Zoom does not show the role of {}, so it cannot be withdrawn",
                            user.email
                        )));
                    }
                    _ => steps.push(Step::Role { id: role_id, name }),
                }
            }
        }
        if !changes.groups_add.is_empty() || !changes.groups_remove.is_empty() {
            let names = self.group_names_including(&changes.groups_add).await?;
            let unknown: Vec<&str> = changes
                .groups_add
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
            // Pending users only join (leaving is refused above for updates and
            // reported as not applied on create).
            steps.push(Step::Groups {
                leave: if pending {
                    Vec::new()
                } else {
                    changes.groups_remove.clone()
                },
                join: changes.groups_add.clone(),
                pending,
            });
        }
        if let Some(target) = phone.filter(|_| !pending) {
            if target.feature == Some(false) {
                steps.push(Step::PhoneOff);
            } else {
                if target.feature == Some(true) {
                    steps.push(Step::PhoneOn);
                }
                let site_id = match (&target.site_id, &target.site_name) {
                    (Some(id), _) => Some(self.resolve_site(id, true).await?),
                    (None, Some(name)) => Some(self.resolve_site(name, false).await?),
                    (None, None) => None,
                };
                if !target.new_plans.is_empty() {
                    self.check_calling_plans(&target.new_plans).await?;
                }
                let profile_work = site_id.is_some()
                    || target.extension.is_some()
                    || target.plans.is_some()
                    || target.numbers.is_some();
                if profile_work {
                    let step = Step::PhoneProfile(Box::new(target.clone()), site_id);
                    if target.feature == Some(true) {
                        steps.push(step);
                    } else {
                        // A phone user's phone calls, which Zoom may refuse for the
                        // values sent (a number not the account's or taken, an
                        // extension in use), go first (after a reactivation): such a
                        // refusal then leaves the whole request unapplied.
                        let first = usize::from(matches!(steps.first(), Some(Step::Reactivate)));
                        steps.insert(first, step);
                    }
                }
            }
        }
        if changes.active == Some(false) && !inactive {
            if pending {
                match self.config.scim.pending_deactivation {
                    PendingDeactivation::Disassociate => steps.push(Step::WithdrawInvitation),
                    PendingDeactivation::Refuse if origin == Origin::Update => {
                        return Err(ScimError::conflict(format!(
                            "user {} is pending (invited, has not accepted yet) and Zoom cannot deactivate a pending user; nothing was changed. Set scim.pending_deactivation = \"disassociate\" to withdraw invitations instead, or DELETE the user",
                            user.email
                        )));
                    }
                    PendingDeactivation::Refuse => progress.not_applied(
                        "active=false not applied: Zoom cannot deactivate a pending user (scim.pending_deactivation = \"refuse\")",
                    ),
                }
            } else {
                steps.push(Step::Deactivate);
                if self.config.scim.logout_on_deactivate {
                    steps.push(Step::SignOut);
                }
            }
        }
        Ok(steps)
    }
}
