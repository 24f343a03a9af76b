//! A user write's plan, as a value: for a user as Zoom holds it and the changes a request
//! makes, the ordered Zoom calls to make, what is refused before anything is sent, and
//! what Zoom cannot take (reported, not sent). Pure: the references a plan needs (a
//! manager's e-mail, a role id, a site id) are resolved first by
//! [`super::resolve`] and handed in.

use crate::mapping::phone_write::PhoneTarget;
use crate::mapping::user_write::{RoleChange, UserChanges};
use crate::provider::policy::PendingDeactivation;
use crate::scim::error::{ScimError, clip};
use crate::zoom::model::{MEMBER_ROLE_ID, OWNER_ROLE_ID, UpdateUser, UserStatus, ZoomUser};

/// The plan's label of the phone profile step until its calls are known.
pub(super) const PHONE_PROFILE_STEP: &str = "Zoom Phone profile";

/// One Zoom call of a user write.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// Right after `POST /users` (or adopting a duplicate): the user exists whatever
    /// happens, so what Zoom cannot take is reported as not applied.
    Create,
    /// PUT or PATCH: a pending user's unapplicable change refuses the request.
    Update,
}

/// Why a user must not be deactivated or deleted through the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protection {
    /// The Zoom account owner.
    Owner,
    /// Listed in `scim.protected_users`.
    Listed,
}

impl Protection {
    /// The protection of `user` (Zoom id `id`), given the configured protected users
    /// (ids or e-mails).
    pub(super) fn of(user: &ZoomUser, id: &str, listed: &[String]) -> Option<Self> {
        let owner = user.role_id.as_deref() == Some(OWNER_ROLE_ID)
            || user
                .role_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case("Owner"));
        if owner {
            Some(Self::Owner)
        } else if listed
            .iter()
            .any(|p| p == id || p.eq_ignore_ascii_case(&user.email))
        {
            Some(Self::Listed)
        } else {
            None
        }
    }

    /// The 403 refusing to have `user` `what` ("deactivated", "deleted").
    pub(super) fn refusal(self, user: &ZoomUser, what: &str) -> ScimError {
        let why = match self {
            Self::Owner => "it is the Zoom account owner",
            Self::Listed => "it is listed in scim.protected_users",
        };
        ScimError::forbidden(format!(
            "user {} cannot be {what} through zoom-scim: {why}",
            user.email
        ))
    }
}

/// What a plan is made from.
#[derive(Debug, Clone, Copy)]
pub(super) struct PlanInput<'a> {
    /// The user as Zoom holds it (for a create: the record about to be created).
    pub user: &'a ZoomUser,
    pub protection: Option<Protection>,
    /// The difference between the current and the desired resource.
    pub changes: &'a UserChanges,
    /// The wanted Zoom Phone state, when the request changes it.
    pub phone: Option<&'a PhoneTarget>,
    pub origin: Origin,
    /// `scim.pending_deactivation`.
    pub pending_deactivation: PendingDeactivation,
    /// `scim.logout_on_deactivate`.
    pub logout_on_deactivate: bool,
}

/// A phone site, as the request names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SiteRef<'a> {
    Id(&'a str),
    Name(&'a str),
}

/// The references a plan needs resolved (and checked) against Zoom first.
#[derive(Debug, Default, PartialEq)]
pub(super) struct References<'a> {
    /// The new manager's user id (to turn into Zoom's manager e-mail).
    pub manager: Option<&'a str>,
    /// The new role, by id or name.
    pub role: Option<&'a RoleChange>,
    /// The groups to join, when memberships change (each must exist).
    pub groups: Option<&'a [String]>,
    /// The phone site to move to.
    pub site: Option<SiteRef<'a>>,
    /// Calling plans to assign (each needs the subscription and a free seat).
    pub new_plans: &'a [i64],
}

/// The resolved references.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Resolved {
    /// The new manager's Zoom e-mail.
    pub manager_email: Option<String>,
    /// The new role's id and name.
    pub role: Option<(String, String)>,
    /// The phone site's id.
    pub site_id: Option<String>,
}

/// The ordered Zoom calls of a write, and what Zoom will not apply (answered as
/// warnings).
#[derive(Debug, Default)]
pub(super) struct Plan {
    pub steps: Vec<Step>,
    pub not_applied: Vec<String>,
}

/// Why Zoom drops a pending user's change (docs/behaviour.md, contract 3.10).
const PENDING_REASON: &str = "the user is pending (invited, has not accepted yet) and Zoom ignores this change until they do";

impl PlanInput<'_> {
    fn pending(&self) -> bool {
        *self.user.status_or_active() == UserStatus::Pending
    }

    fn inactive(&self) -> bool {
        *self.user.status_or_active() == UserStatus::Inactive
    }

    /// Refuses what must not be done whatever Zoom answers to look-ups: deactivating a
    /// protected user, changing the owner's role, an update Zoom would drop for a
    /// pending user, changing a deactivated user without reactivating them. `Ok` holds
    /// what will not be applied.
    pub(super) fn admit(&self) -> Result<Vec<String>, ScimError> {
        let (user, changes) = (self.user, self.changes);
        if changes.active == Some(false)
            && let Some(protection) = self.protection
        {
            return Err(protection.refusal(user, "deactivated"));
        }
        if changes.role.is_some() && user.role_id.as_deref() == Some(OWNER_ROLE_ID) {
            return Err(ScimError::forbidden(format!(
                "the role of {} cannot be changed through zoom-scim: it is the Zoom account owner",
                user.email
            )));
        }
        let mut not_applied = Vec::new();
        // Pending users (docs/behaviour.md): Zoom accepts changes to a pending user
        // and silently drops them (contract 3.10), so they are never sent as if done.
        if self.pending() {
            let dropped = changes.dropped_for_pending();
            if !dropped.is_empty() {
                if self.origin == Origin::Update {
                    return Err(ScimError::conflict(format!(
                        "{}: {PENDING_REASON}; nothing was changed. Send the request again after the user accepts the invitation",
                        dropped.join(", ")
                    )));
                }
                for name in dropped {
                    not_applied.push(format!("{name} not applied: {PENDING_REASON}"));
                }
            }
        }
        if self.inactive() && changes.active != Some(true) && !changes.is_empty() {
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
        Ok(not_applied)
    }

    /// The phone target, when the plan sends phone calls (never for a pending user).
    fn phone_work(&self) -> Option<&PhoneTarget> {
        self.phone.filter(|_| !self.pending())
    }

    /// What must be resolved against Zoom before the plan is made: only what the plan
    /// will send (a pending user's profile, role and phone are not sent).
    pub(super) fn references(&self) -> References<'_> {
        let changes = self.changes;
        let sent = !self.pending();
        let memberships = !changes.groups_add.is_empty() || !changes.groups_remove.is_empty();
        let phone = self.phone_work().filter(|t| t.feature != Some(false));
        References {
            manager: changes
                .manager
                .as_ref()
                .and_then(Option::as_deref)
                .filter(|_| sent),
            role: changes.role.as_ref().filter(|_| sent),
            groups: memberships.then_some(changes.groups_add.as_slice()),
            site: phone.and_then(|t| match (&t.site_id, &t.site_name) {
                (Some(id), _) => Some(SiteRef::Id(id)),
                (None, Some(name)) => Some(SiteRef::Name(name)),
                (None, None) => None,
            }),
            new_plans: phone.map_or(&[], |t| t.new_plans.as_slice()),
        }
    }

    /// The plan of an admitted write (`not_applied`: what [`Self::admit`] answered): the
    /// Zoom calls in a safe order (reactivate, a phone user's phone profile, profile,
    /// e-mail, role, groups, phone on and its profile, phone off, deactivate, sign out).
    pub(super) fn plan(
        &self,
        resolved: &Resolved,
        mut not_applied: Vec<String>,
    ) -> Result<Plan, ScimError> {
        let (user, changes) = (self.user, self.changes);
        let (pending, inactive) = (self.pending(), self.inactive());
        let mut steps = Vec::new();
        if changes.active == Some(true) && !pending {
            steps.push(Step::Reactivate);
        }
        if !pending {
            let mut profile = changes.profile.clone();
            let mut attrs: Vec<&str> = changes.profile_attributes.clone();
            if let Some(manager) = &changes.manager {
                profile.manager = Some(match manager {
                    Some(_) => resolved
                        .manager_email
                        .clone()
                        .ok_or_else(|| unresolved("the manager's e-mail"))?,
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
            if changes.role.is_some() {
                let (role_id, name) = resolved
                    .role
                    .clone()
                    .ok_or_else(|| unresolved("the role"))?;
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
            // Pending users only join (leaving is refused for updates and reported as
            // not applied on create, by `admit`).
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
        if let Some(target) = self.phone_work() {
            if target.feature == Some(false) {
                steps.push(Step::PhoneOff);
            } else {
                if target.feature == Some(true) {
                    steps.push(Step::PhoneOn);
                }
                let named_site = target.site_id.is_some() || target.site_name.is_some();
                let site_id = match named_site {
                    true => Some(
                        resolved
                            .site_id
                            .clone()
                            .ok_or_else(|| unresolved("the phone site"))?,
                    ),
                    false => None,
                };
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
                match self.pending_deactivation {
                    PendingDeactivation::Disassociate => steps.push(Step::WithdrawInvitation),
                    PendingDeactivation::Refuse if self.origin == Origin::Update => {
                        return Err(ScimError::conflict(format!(
                            "user {} is pending (invited, has not accepted yet) and Zoom cannot deactivate a pending user; nothing was changed. Set scim.pending_deactivation = \"disassociate\" to withdraw invitations instead, or DELETE the user",
                            user.email
                        )));
                    }
                    PendingDeactivation::Refuse => not_applied.push(
                        "active=false not applied: Zoom cannot deactivate a pending user (scim.pending_deactivation = \"refuse\")".into(),
                    ),
                }
            } else {
                steps.push(Step::Deactivate);
                if self.logout_on_deactivate {
                    steps.push(Step::SignOut);
                }
            }
        }
        Ok(Plan { steps, not_applied })
    }
}

/// A reference the plan needs was not resolved: a fault of the caller, not the client.
fn unresolved(what: &str) -> ScimError {
    ScimError::internal(format!("{what} was not resolved before planning"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(status: &str, role_id: &str) -> ZoomUser {
        ZoomUser {
            id: Some("u1".into()),
            email: "ann@example.com".into(),
            status: Some(status.into()),
            role_id: Some(role_id.into()),
            ..Default::default()
        }
    }

    fn input<'a>(
        user: &'a ZoomUser,
        changes: &'a UserChanges,
        phone: Option<&'a PhoneTarget>,
        origin: Origin,
    ) -> PlanInput<'a> {
        PlanInput {
            user,
            protection: Protection::of(user, "u1", &[]),
            changes,
            phone,
            origin,
            pending_deactivation: PendingDeactivation::Refuse,
            logout_on_deactivate: false,
        }
    }

    fn title(value: &str) -> UserChanges {
        UserChanges {
            profile: UpdateUser {
                job_title: Some(value.into()),
                ..Default::default()
            },
            profile_attributes: vec!["title"],
            ..Default::default()
        }
    }

    impl PlanInput<'_> {
        /// Admits and plans, as `Provider::plan` does around its look-ups.
        fn planned(&self, resolved: &Resolved) -> Result<Plan, ScimError> {
            let not_applied = self.admit()?;
            self.plan(resolved, not_applied)
        }
    }

    fn labels(plan: &Plan) -> Vec<String> {
        plan.steps.iter().map(Step::label).collect()
    }

    const ADMIN_ROLE_ID: &str = "1";

    #[test]
    fn a_reactivation_goes_first_and_the_rest_in_the_safe_order() {
        let user = user("inactive", MEMBER_ROLE_ID);
        let changes = UserChanges {
            active: Some(true),
            email: Some("ann.new@example.com".into()),
            manager: Some(Some("m1".into())),
            role: Some(RoleChange::To("Admin".into())),
            groups_add: vec!["g1".into()],
            ..title("Engineer")
        };
        let phone = PhoneTarget {
            feature: Some(true),
            site_name: Some("Main".into()),
            ..Default::default()
        };
        let input = input(&user, &changes, Some(&phone), Origin::Update);
        let resolved = Resolved {
            manager_email: Some("boss@example.com".into()),
            role: Some((ADMIN_ROLE_ID.into(), "Admin".into())),
            site_id: Some("s1".into()),
        };
        let plan = input.planned(&resolved).unwrap();
        assert_eq!(
            labels(&plan),
            [
                "reactivate",
                "profile (title, manager)",
                "userName -> ann.new@example.com",
                "role -> Admin",
                "group memberships",
                "turn Zoom Phone on",
                PHONE_PROFILE_STEP,
            ]
        );
        let Step::Profile(profile, _) = &plan.steps[1] else {
            panic!("profile step expected");
        };
        assert_eq!(profile.manager.as_deref(), Some("boss@example.com"));
        assert_eq!(profile.job_title.as_deref(), Some("Engineer"));
        assert_eq!(
            plan.steps[6],
            Step::PhoneProfile(Box::new(phone.clone()), Some("s1".into()))
        );
        assert!(plan.not_applied.is_empty());
    }

    #[test]
    fn a_phone_users_phone_calls_go_before_the_profile_so_a_refusal_changes_nothing() {
        let user = user("active", MEMBER_ROLE_ID);
        let changes = title("Engineer");
        let phone = PhoneTarget {
            extension: Some("1001".into()),
            ..Default::default()
        };
        let plan = input(&user, &changes, Some(&phone), Origin::Update)
            .planned(&Resolved::default())
            .unwrap();
        assert_eq!(labels(&plan), [PHONE_PROFILE_STEP, "profile (title)"]);
    }

    #[test]
    fn deactivation_is_last_and_signs_out_when_configured() {
        let user = user("active", MEMBER_ROLE_ID);
        let changes = UserChanges {
            active: Some(false),
            ..title("Leaver")
        };
        let phone = PhoneTarget {
            feature: Some(false),
            ..Default::default()
        };
        let mut input = input(&user, &changes, Some(&phone), Origin::Update);
        input.logout_on_deactivate = true;
        assert_eq!(input.references(), References::default());
        let plan = input.planned(&Resolved::default()).unwrap();
        assert_eq!(
            labels(&plan),
            [
                "profile (title)",
                "turn Zoom Phone off",
                "deactivate",
                "sign out everywhere"
            ]
        );
    }

    #[test]
    fn a_pending_users_update_is_refused_naming_what_zoom_would_drop() {
        let user = user("pending", MEMBER_ROLE_ID);
        let changes = title("Engineer");
        let err = input(&user, &changes, None, Origin::Update)
            .admit()
            .unwrap_err();
        assert_eq!(err.status, 409);
        assert!(
            err.detail.starts_with("title: the user is pending"),
            "{err:?}"
        );
        assert!(err.detail.contains("nothing was changed"));
    }

    #[test]
    fn a_created_pending_user_only_joins_groups_and_hears_what_was_not_applied() {
        let user = user("pending", MEMBER_ROLE_ID);
        let changes = UserChanges {
            manager: Some(Some("m1".into())),
            role: Some(RoleChange::To("Admin".into())),
            groups_add: vec!["g1".into()],
            groups_remove: vec!["g2".into()],
            ..title("Engineer")
        };
        let phone = PhoneTarget {
            site_id: Some("s1".into()),
            ..Default::default()
        };
        let input = input(&user, &changes, Some(&phone), Origin::Create);
        // Nothing that is not sent is looked up; the groups to join are still checked.
        let join = ["g1".to_owned()];
        assert_eq!(
            input.references(),
            References {
                groups: Some(&join),
                ..Default::default()
            }
        );
        let plan = input.planned(&Resolved::default()).unwrap();
        assert_eq!(
            plan.steps,
            [Step::Groups {
                leave: Vec::new(),
                join: vec!["g1".into()],
                pending: true,
            }]
        );
        let dropped: Vec<&str> = plan
            .not_applied
            .iter()
            .map(|n| n.split(' ').next().unwrap_or_default())
            .collect();
        assert_eq!(dropped, ["title", "manager", "roles", "groupIds"]);
    }

    #[test]
    fn a_pending_deactivation_follows_the_policy() {
        let user = user("pending", MEMBER_ROLE_ID);
        let changes = UserChanges {
            active: Some(false),
            ..Default::default()
        };
        let refuse = input(&user, &changes, None, Origin::Update);
        let err = refuse.planned(&Resolved::default()).unwrap_err();
        assert_eq!(err.status, 409);
        assert!(err.detail.contains("scim.pending_deactivation"));

        let on_create = input(&user, &changes, None, Origin::Create);
        let plan = on_create.planned(&Resolved::default()).unwrap();
        assert!(plan.steps.is_empty());
        assert_eq!(plan.not_applied.len(), 1);

        let mut disassociate = input(&user, &changes, None, Origin::Update);
        disassociate.pending_deactivation = PendingDeactivation::Disassociate;
        let plan = disassociate.planned(&Resolved::default()).unwrap();
        assert_eq!(plan.steps, [Step::WithdrawInvitation]);
    }

    #[test]
    fn protected_users_are_not_deactivated_and_the_owner_keeps_its_role() {
        let owner = user("active", OWNER_ROLE_ID);
        let deactivate = UserChanges {
            active: Some(false),
            ..Default::default()
        };
        let err = input(&owner, &deactivate, None, Origin::Update)
            .admit()
            .unwrap_err();
        assert_eq!(err.status, 403);
        assert!(err.detail.contains("account owner"));

        let member = user("active", MEMBER_ROLE_ID);
        let mut listed = input(&member, &deactivate, None, Origin::Update);
        listed.protection = Protection::of(&member, "u1", &["ANN@example.com".into()]);
        let err = listed.admit().unwrap_err();
        assert_eq!(err.status, 403);
        assert!(err.detail.contains("scim.protected_users"));

        let new_role = UserChanges {
            role: Some(RoleChange::To("Admin".into())),
            ..Default::default()
        };
        let err = input(&owner, &new_role, None, Origin::Update)
            .admit()
            .unwrap_err();
        assert_eq!(err.status, 403);
    }

    #[test]
    fn an_undocumented_status_is_planned_as_active() {
        let deactivate = UserChanges {
            active: Some(false),
            ..title("Engineer")
        };
        let active = user("active", MEMBER_ROLE_ID);
        for status in ["suspended", "Inactive", "Pending"] {
            let odd = user(status, MEMBER_ROLE_ID);
            for changes in [title("Engineer"), deactivate.clone()] {
                let planned = |user| {
                    input(user, &changes, None, Origin::Update)
                        .planned(&Resolved::default())
                        .map(|plan| labels(&plan))
                };
                assert_eq!(planned(&odd), planned(&active), "{status}");
                assert!(planned(&odd).is_ok());
            }
        }
    }

    #[test]
    fn a_deactivated_user_takes_changes_only_with_a_reactivation() {
        let user = user("inactive", MEMBER_ROLE_ID);
        let changes = title("Engineer");
        let err = input(&user, &changes, None, Origin::Update)
            .admit()
            .unwrap_err();
        assert_eq!(err.status, 409);
        let again = UserChanges {
            active: Some(false),
            ..Default::default()
        };
        let plan = input(&user, &again, None, Origin::Update)
            .planned(&Resolved::default())
            .unwrap();
        assert!(plan.steps.is_empty(), "already deactivated: {plan:?}");
    }

    #[test]
    fn roles_move_by_the_call_zoom_takes_for_them() {
        let admin = user("active", ADMIN_ROLE_ID);
        let to_member = UserChanges {
            role: Some(RoleChange::Default),
            ..Default::default()
        };
        let member = Resolved {
            role: Some((MEMBER_ROLE_ID.into(), "Member".into())),
            ..Default::default()
        };
        let plan = input(&admin, &to_member, None, Origin::Update)
            .planned(&member)
            .unwrap();
        assert_eq!(
            plan.steps,
            [Step::RoleToMember {
                from: ADMIN_ROLE_ID.into(),
                name: "Member".into()
            }]
        );
        let same = input(
            &user("active", MEMBER_ROLE_ID),
            &to_member,
            None,
            Origin::Update,
        )
        .planned(&member)
        .unwrap();
        assert!(same.steps.is_empty());
        let mut roleless = user("active", MEMBER_ROLE_ID);
        roleless.role_id = None;
        let err = input(&roleless, &to_member, None, Origin::Update)
            .planned(&member)
            .unwrap_err();
        assert_eq!(err.status, 502);
    }

    #[test]
    fn references_name_what_the_plan_sends() {
        let user = user("active", MEMBER_ROLE_ID);
        let changes = UserChanges {
            manager: Some(None),
            ..Default::default()
        };
        let phone = PhoneTarget {
            site_name: Some("Main".into()),
            new_plans: vec![200],
            plans: Some(vec![200]),
            ..Default::default()
        };
        let input = input(&user, &changes, Some(&phone), Origin::Update);
        assert_eq!(
            input.references(),
            References {
                site: Some(SiteRef::Name("Main")),
                new_plans: &[200],
                ..Default::default()
            }
        );
        // Clearing the manager needs no look-up: Zoom takes an empty e-mail.
        let plan = input
            .planned(&Resolved {
                site_id: Some("s1".into()),
                ..Default::default()
            })
            .unwrap();
        let Step::Profile(profile, attrs) = &plan.steps[1] else {
            panic!("profile step expected: {plan:?}");
        };
        assert_eq!(
            (profile.manager.as_deref(), attrs.as_str()),
            (Some(""), "manager")
        );
    }
}
