//! Writing users: create, replace, patch, delete (RFC 7644 sections 3.3, 3.5, 3.6).
//!
//! Every write reads the user once, computes the difference with
//! [`crate::mapping::user_write::diff`], checks the references it can (roles, groups,
//! manager, sites, calling plans), applies it in a safe order (reactivate, a phone
//! user's phone profile, profile, e-mail, role, groups, phone on and its profile,
//! deactivate), checks each call and answers with what Zoom holds:
//! the record read before plus the changes Zoom stores as sent, or a second read when
//! Zoom decides the outcome (e-mail, status, phone, group joins). A create is `POST /users`
//! first (Zoom's 409 code 1005 is the duplicate check) and one read of the new user.
//! A failure part-way says what was applied ([`Progress`]); the same request sent
//! again converges because it is again a difference.

use futures::FutureExt;
use serde_json::Value;

use super::groups::name_ids;
use super::progress::Progress;
use super::users_read::UserState;
use super::{GroupMember, Precondition, Provider, ScimResource, WriteOutcome};
use crate::config::{CreateAction, DeletePolicy, DuplicatePolicy, PendingDeactivation};
use crate::mapping::error::to_scim;
use crate::mapping::phone_write::{
    PhoneCall, PhoneProfileState, PhoneTarget, apply_native_aliases, phone_calls, phone_target,
    plan_shortfall,
};
use crate::mapping::user::{PhoneView, user_location};
use crate::mapping::user_write::{RoleChange, UserChanges, apply_profile, create_request, diff};
use crate::scim::error::{ScimError, clip};
use crate::scim::patch::PatchRequest;
use crate::scim::projection::AttributeSelection;
use crate::scim::resource::{Normalized, merge_replace, normalize_input};
use crate::scim::schema::SchemaRegistry;
use crate::zoom::error::ZoomError;
use crate::zoom::model::{
    CreateUser, DeleteAction, DeleteUser, MEMBER_ROLE_ID, OWNER_ROLE_ID, PhoneNumberRef,
    StatusAction, UpdatePhoneUser, UpdateUser, UserFeature, ZoomUser,
};

/// The plan's label of the phone profile step until its calls are known.
const PHONE_PROFILE_STEP: &str = "Zoom Phone profile";

/// The default role of a Zoom account ("Member").
const MEMBER_ROLE_NAME: &str = "Member";

/// One Zoom call of a user write.
#[derive(Debug, Clone)]
enum Step {
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
    fn label(&self) -> String {
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
enum Origin {
    /// Right after `POST /users` (or adopting a duplicate): the user exists whatever
    /// happens, so what Zoom cannot take is reported as not applied.
    Create,
    /// PUT or PATCH: a pending user's unapplicable change refuses the request.
    Update,
}

impl Provider {
    fn is_protected(&self, user: &ZoomUser, id: &str) -> bool {
        user.role_id.as_deref() == Some(OWNER_ROLE_ID)
            || user
                .role_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case("Owner"))
            || self
                .config
                .scim
                .protected_users
                .iter()
                .any(|p| p == id || p.eq_ignore_ascii_case(&user.email))
    }

    fn protected_error(&self, user: &ZoomUser, what: &str) -> ScimError {
        let why = if user.role_id.as_deref() == Some(OWNER_ROLE_ID) {
            "it is the Zoom account owner"
        } else {
            "it is listed in scim.protected_users"
        };
        ScimError::forbidden(format!(
            "user {} cannot be {what} through zoom-scim: {why}",
            user.email
        ))
    }

    /// `POST /Users`.
    pub async fn create_user(
        &self,
        body: Value,
        selection: &AttributeSelection,
    ) -> Result<WriteOutcome, ScimError> {
        let schema = SchemaRegistry::global().user();
        let normalized = normalize_input(&body, schema)?;
        log_ignored(&normalized);
        let request = create_request(
            &normalized.resource,
            self.config.scim.create_action,
            i64::from(self.config.scim.default_user_type),
        )?;
        let email = request.user_info.email.clone();
        let _guard = self
            .locks
            .lock(&format!("user-email:{}", email.to_ascii_lowercase()))
            .await;

        let shown = clip(&email).into_owned();
        // Zoom's `create` action makes an invitation, and Zoom cannot deactivate an
        // invitation: a new user asked to be inactive would get an invitation e-mail it
        // could accept. Refused before anything is sent, unless the user exists already
        // (then the duplicates policy decides, as for any create).
        let inactive = normalized.resource.get("active") == Some(&Value::Bool(false));
        if inactive && self.config.scim.create_action == CreateAction::Create {
            return match self.find_by_email(&email).await? {
                Some(existing) => self.on_duplicate(existing, &normalized, selection).await,
                None => Err(ScimError::conflict(format!(
                    "create user {shown} with active=false: with scim.create_action = \"create\" a new Zoom user is an invitation until accepted, and Zoom cannot deactivate an invitation; nothing was created. Create the user once it is active, or use an action that creates active users (autoCreate, custCreate, ssoCreate), which are then deactivated"
                ))),
            };
        }
        self.preflight_create(&request, &normalized).await?;
        // No look-up first: Zoom's e-mail is its unique key and a taken one answers
        // 409 code 1005, so the look-up is paid only by the rare duplicate.
        let mut progress = Progress::new(format!("create user {shown}"), Vec::new());
        let created = match self.zoom.create_user(&request).await {
            Ok(created) => created,
            // 409 code 1005 (or 412, as some accounts answer): look it up again.
            Err(e) if e.kind == crate::zoom::error::ErrorKind::Duplicate => {
                return match self.find_by_email(&email).await? {
                    Some(existing) => self.on_duplicate(existing, &normalized, selection).await,
                    None => Err(to_scim(&e, &format!("create user {shown}"))),
                };
            }
            Err(e) => return Err(progress.failed("create in Zoom", &e)),
        };
        let id = match created.id {
            Some(id) => id,
            None => self.find_by_email(&email).await?.ok_or_else(|| {
                ScimError::bad_gateway(format!(
                    "Zoom answered the create of {shown} as done but gave no id, and no user with that e-mail can be read; check Zoom before retrying"
                ))
            })?,
        };
        progress.applied(&format!("create in Zoom (id {id})"));
        if self.config.scim.duplicates == DuplicatePolicy::Conflict {
            // The same POST again would meet the user it made (409 naming it).
            progress.set_replay_hint(format!(
                "The user exists in Zoom as id {id}: send what is missing with PATCH or PUT /Users/{id} (the same POST again answers 409 naming that id)"
            ));
        }
        self.lookups.remember_id(&email, &id).await;
        tracing::info!(user_id = %id, action = ?self.config.scim.create_action, "created Zoom user");
        // Every create action but `create` (an invitation) makes an active user.
        let created_active = self.config.scim.create_action != CreateAction::Create;
        let resource = self
            .converge(
                &id,
                &normalized,
                selection,
                None,
                created_active,
                &mut progress,
            )
            .await?
            .ok_or_else(|| {
                ScimError::bad_gateway(
                    "Zoom answered the create as done, but the new user cannot be read",
                )
            })?;
        Ok(WriteOutcome {
            resource,
            created: true,
        })
    }

    /// Plans a create against the record `POST /users` would make, before it is sent,
    /// so that what can be checked first (role, group, manager and site references,
    /// calling-plan seats, phone numbers, lengths) refuses the create with nothing
    /// made: RFC 7644 section 3.3, an error answer to a POST means no resource, and a
    /// user created anyway would meet the client's retry with 409. Zoom's own refusals
    /// of later steps still leave the user created, and the answer says so.
    async fn preflight_create(
        &self,
        request: &CreateUser,
        normalized: &Normalized,
    ) -> Result<(), ScimError> {
        /// Stands in for the id Zoom has not given yet (only rendered, never sent).
        const NOT_YET_CREATED: &str = "not-yet-created";
        let info = &request.user_info;
        // Planned as an active user even when Zoom will make an invitation: an unknown
        // reference is refused either way, though a pending user takes it only later.
        let record = ZoomUser {
            id: Some(NOT_YET_CREATED.to_owned()),
            email: info.email.clone(),
            first_name: info.first_name.clone(),
            last_name: info.last_name.clone(),
            display_name: info.display_name.clone(),
            user_type: Some(info.user_type),
            status: Some("active".to_owned()),
            role_id: Some(MEMBER_ROLE_ID.to_owned()),
            role_name: Some(MEMBER_ROLE_NAME.to_owned()),
            ..Default::default()
        };
        let (current, _) = self.render_state(&record, NOT_YET_CREATED, None).await?;
        let mut desired = merge_replace(&current, normalized);
        apply_native_aliases(&mut desired)?;
        let changes = diff(&current, &desired)?;
        let phone = phone_target(&current, &desired)?;
        if !changes.is_empty() {
            let mut scratch = Progress::new(String::new(), Vec::new());
            self.plan(
                NOT_YET_CREATED,
                &record,
                &changes,
                phone.as_ref(),
                Origin::Create,
                &mut scratch,
            )
            .await?;
        }
        Ok(())
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<String>, ScimError> {
        match self.zoom.get_user(email).await {
            Ok(user) => Ok(user.id),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(to_scim(&e, &format!("look up {}", clip(email)))),
        }
    }

    /// The `duplicates` policy: `conflict` answers 409 naming the existing id; `adopt`
    /// applies the request to the existing user (PUT semantics) and answers 200.
    async fn on_duplicate(
        &self,
        existing: String,
        normalized: &Normalized,
        selection: &AttributeSelection,
    ) -> Result<WriteOutcome, ScimError> {
        let email = normalized
            .resource
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match self.config.scim.duplicates {
            DuplicatePolicy::Conflict => Err(ScimError::uniqueness(format!(
                "userName {} already exists in Zoom as user id {existing}",
                clip(email)
            ))),
            DuplicatePolicy::Adopt => {
                tracing::info!(user_id = %existing, "adopting the existing Zoom user (duplicates = adopt)");
                let _guard = self.locks.lock(&format!("user:{existing}")).await;
                let mut progress = Progress::new(format!("adopt user {existing}"), Vec::new());
                let resource = self
                    .converge(&existing, normalized, selection, None, false, &mut progress)
                    .await?
                    .ok_or_else(|| ScimError::not_found(format!("user {existing} not found")))?;
                Ok(WriteOutcome {
                    resource,
                    created: false,
                })
            }
        }
    }

    /// After a create or an adoption: apply the request's attributes with PUT
    /// semantics (only what the body asserts), reporting what Zoom cannot take yet.
    async fn converge(
        &self,
        id: &str,
        normalized: &Normalized,
        selection: &AttributeSelection,
        precondition: Option<&Precondition>,
        expect_active: bool,
        progress: &mut Progress,
    ) -> Result<Option<ScimResource>, ScimError> {
        let state = self.read_user_state(id, expect_active).await?;
        if let Some(p) = precondition {
            p.check(&state.etag)?;
        }
        let mut desired = merge_replace(&state.json, normalized);
        apply_native_aliases(&mut desired)?;
        let origin = if precondition.is_some() {
            Origin::Update
        } else {
            Origin::Create
        };
        self.write(id, &state, &desired, origin, selection, progress)
            .await
    }

    /// `PUT /Users/{id}`: omitted attributes keep their values (RFC 7644 section 3.5.1
    /// allows either; clearing what a client does not manage would lose data).
    /// `Ok(None)`: the pending user's invitation was withdrawn (204).
    pub async fn replace_user(
        &self,
        id: &str,
        body: Value,
        selection: &AttributeSelection,
        precondition: &Precondition,
    ) -> Result<Option<ScimResource>, ScimError> {
        let schema = SchemaRegistry::global().user();
        let normalized = normalize_input(&body, schema)?;
        log_ignored(&normalized);
        let _guard = self.locks.lock(&format!("user:{id}")).await;
        let mut progress = Progress::new(format!("replace user {id}"), Vec::new());
        self.converge(
            id,
            &normalized,
            selection,
            Some(precondition),
            false,
            &mut progress,
        )
        .await
    }

    /// `PATCH /Users/{id}` (RFC 7644 section 3.5.2): the operations are applied to the
    /// current resource (atomically, in every client dialect), then the difference is
    /// written. `Ok(None)`: the pending user's invitation was withdrawn (204).
    pub async fn patch_user(
        &self,
        id: &str,
        body: Value,
        selection: &AttributeSelection,
        precondition: &Precondition,
    ) -> Result<Option<ScimResource>, ScimError> {
        let schema = SchemaRegistry::global().user();
        let patch = super::cpu_bound(|| PatchRequest::parse(&body))?;
        let _guard = self.locks.lock(&format!("user:{id}")).await;
        let state = self.read_user_state(id, false).await?;
        precondition.check(&state.etag)?;
        let mut desired = state.json.clone();
        let ignored = super::cpu_bound(|| patch.apply_reporting(&mut desired, schema))?;
        apply_native_aliases(&mut desired)?;
        if !ignored.is_empty() {
            tracing::info!(attributes = ?ignored, "PATCH named attributes zoom-scim does not publish; ignored");
        }
        let mut progress = Progress::new(format!("update user {id}"), Vec::new());
        self.write(
            id,
            &state,
            &desired,
            Origin::Update,
            selection,
            &mut progress,
        )
        .await
    }

    /// Plans, checks and applies the difference, then answers with Zoom's state: the
    /// record read before with the changes Zoom took as sent ([`predicted_record`]), or
    /// read again when Zoom decides the outcome.
    async fn write(
        &self,
        id: &str,
        state: &UserState,
        desired: &Value,
        origin: Origin,
        selection: &AttributeSelection,
        progress: &mut Progress,
    ) -> Result<Option<ScimResource>, ScimError> {
        let (user, current) = (&state.user, &state.json);
        let changes = diff(current, desired)?;
        let phone = phone_target(current, desired)?;
        for warning in &changes.not_applied {
            progress.not_applied(warning.clone());
        }
        if !changes.is_empty() {
            let steps = self
                .plan(id, user, &changes, phone.as_ref(), origin, progress)
                .await?;
            for step in &steps {
                match step {
                    Step::Groups { leave, join, .. } => {
                        for label in Provider::user_group_labels(leave, join) {
                            progress.plan(label);
                        }
                    }
                    step => progress.plan(step.label()),
                }
            }
            let withdraws = steps.iter().any(|s| matches!(s, Step::WithdrawInvitation));
            let predicted = predicted_record(user, &steps);
            for step in steps {
                if let Step::Groups {
                    leave,
                    join,
                    pending,
                } = &step
                {
                    // `leave` and `join` are disjoint: their difference is exactly the change.
                    let member = GroupMember {
                        id,
                        pending: *pending,
                    };
                    self.apply_user_groups(member, leave, join, progress)
                        .await?;
                    continue;
                }
                if let Step::PhoneProfile(target, site_id) = step {
                    self.apply_phone_profile(id, &target, site_id.as_deref(), progress)
                        .await?;
                    continue;
                }
                let label = step.label();
                progress.run(&label, self.execute(id, step)).await?;
            }
            if withdraws {
                self.lookups.forget_email(&user.email).await;
                return Ok(None);
            }
            if let Some(email) = &changes.email {
                self.lookups.forget_email(&user.email).await;
                self.lookups.remember_id(email, id).await;
            }
            if let Some(record) = predicted {
                let (json, etag) = self.render_state(&record, id, state.phone.as_ref()).await?;
                return Ok(Some(ScimResource {
                    body: selection.project(&json, SchemaRegistry::global().user()),
                    etag: Some(etag),
                    location: user_location(&self.base_url, id),
                    warnings: progress.warnings().to_vec(),
                }));
            }
        }
        let warnings = progress.warnings().to_vec();
        if changes.is_empty() {
            // Nothing sent to Zoom: the state read at the start is the answer.
            let etag = current
                .pointer("/meta/version")
                .and_then(Value::as_str)
                .map(str::to_owned);
            return Ok(Some(ScimResource {
                body: selection.project(current, SchemaRegistry::global().user()),
                etag,
                location: user_location(&self.base_url, id),
                warnings,
            }));
        }
        self.answer(id, desired, &changes, warnings, selection)
            .await
            .map(Some)
    }

    /// Reads the user again and answers with what Zoom holds; a change Zoom accepted
    /// but does not show is reported, never claimed.
    async fn answer(
        &self,
        id: &str,
        desired: &Value,
        changes: &UserChanges,
        mut warnings: Vec<String>,
        selection: &AttributeSelection,
    ) -> Result<ScimResource, ScimError> {
        let schema = SchemaRegistry::global().user();
        let UserState {
            json: after, etag, ..
        } = self.read_user_state(id, false).await?;
        if !changes.is_empty()
            && let Ok(left) = diff(&after, desired)
        {
            let mut missing: Vec<String> = left
                .profile_attributes
                .iter()
                .map(|s| s.to_string())
                .collect();
            if left.email.is_some() {
                missing.push("userName".into());
            }
            if left.active.is_some() {
                missing.push("active".into());
            }
            if left.role.is_some() {
                missing.push("roles".into());
            }
            if !left.groups_add.is_empty() || !left.groups_remove.is_empty() {
                missing.push("groupIds".into());
            }
            missing.retain(|m| !warnings.iter().any(|w| w.starts_with(m.as_str())));
            if !missing.is_empty() {
                tracing::warn!(user_id = %id, attributes = ?missing, "Zoom accepted changes it does not show");
                warnings.push(format!(
                    "{}: accepted by Zoom but not (yet) shown by it",
                    missing.join(", ")
                ));
            }
        }
        Ok(ScimResource {
            body: selection.project(&after, schema),
            etag: Some(etag),
            location: user_location(&self.base_url, id),
            warnings,
        })
    }

    /// Turns changes into ordered Zoom calls, refusing what must not be done.
    async fn plan(
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

    async fn execute(&self, id: &str, step: Step) -> Result<(), ZoomError> {
        match step {
            Step::Reactivate => self.zoom.set_user_status(id, StatusAction::Activate).await,
            Step::Profile(update, _) => self.zoom.update_user(id, &update).await,
            Step::Email(email) => self.zoom.update_user_email(id, &email).await,
            Step::Role { id: role, .. } => self.zoom.add_role_members(&role, &[id]).await.map(drop),
            Step::RoleToMember { from, .. } => self.zoom.remove_role_member(&from, id).await,
            // Run through `apply_user_groups`, call by call.
            Step::Groups { .. } => Ok(()),
            Step::PhoneOn | Step::PhoneOff => {
                let update = UpdateUser {
                    feature: Some(UserFeature {
                        zoom_phone: Some(matches!(step, Step::PhoneOn)),
                        zoom_one_type: None,
                    }),
                    ..Default::default()
                };
                self.zoom.update_user(id, &update).await
            }
            // Run through `apply_phone_profile`, call by call.
            Step::PhoneProfile(..) => Ok(()),
            Step::Deactivate => {
                self.zoom
                    .set_user_status(id, StatusAction::Deactivate)
                    .await
            }
            Step::SignOut => self.zoom.revoke_user_token(id).await,
            Step::WithdrawInvitation => {
                let delete = DeleteUser {
                    action: DeleteAction::Disassociate,
                    ..Default::default()
                };
                self.zoom.delete_user(id, &delete).await
            }
        }
    }

    /// Brings the phone profile to `target`: reads it as Zoom holds it now (after the
    /// feature was turned on, Zoom has given it a site and an extension), then makes
    /// only the calls the difference needs.
    async fn apply_phone_profile(
        &self,
        id: &str,
        target: &PhoneTarget,
        site_id: Option<&str>,
        progress: &mut Progress,
    ) -> Result<(), ScimError> {
        // A read changes nothing: it is named only when it fails.
        const READ: &str = "read the Zoom Phone profile";
        progress.expand(PHONE_PROFILE_STEP, vec![READ.to_owned()]);
        let profile = match self.zoom.get_phone_user(id).await {
            Ok(profile) => profile,
            Err(e) => return Err(progress.failed(READ, &e)),
        };
        // The same reading of the profile as a SCIM read (numbers in E.164, as the
        // target's are), without the site list: only the site id is compared.
        let state = PhoneProfileState::from(PhoneView::from_profile(&profile, None));
        let calls = phone_calls(&state, target, site_id);
        progress.expand(READ, calls.iter().map(PhoneCall::label).collect());
        for call in calls {
            let label = call.label();
            let result = match call {
                PhoneCall::Update { site_id, extension } => {
                    let update = UpdatePhoneUser {
                        extension_number: extension,
                        site_id,
                    };
                    self.zoom.update_phone_user(id, &update).await
                }
                PhoneCall::UnassignPlan(plan) => self.zoom.unassign_calling_plan(id, plan).await,
                PhoneCall::AssignPlans(plans) => self.zoom.assign_calling_plans(id, &plans).await,
                PhoneCall::UnassignNumber(number) => {
                    self.zoom.unassign_phone_number(id, &number).await
                }
                PhoneCall::AssignNumbers(numbers) => {
                    let refs: Vec<PhoneNumberRef> = numbers
                        .into_iter()
                        .map(|number| PhoneNumberRef {
                            id: None,
                            number: Some(number),
                        })
                        .collect();
                    self.zoom.assign_phone_numbers(id, &refs).await.map(drop)
                }
            };
            progress.run(&label, async { result }).await?;
        }
        Ok(())
    }

    /// A phone site id for a site given by id or by name (the whole paged site list,
    /// cached for `scim.site_cache_ttl_s`; a name not found is looked up once more in
    /// a fresh list).
    async fn resolve_site(&self, wanted: &str, by_id: bool) -> Result<String, ScimError> {
        let found = if by_id {
            self.lookups
                .sites()
                .await
                .map_err(|e| to_scim(&e, "list phone sites"))?
                .get(wanted)
                .and_then(|s| s.id.clone())
        } else {
            self.lookups
                .site_by_name(wanted)
                .await
                .map_err(|e| to_scim(&e, "list phone sites"))?
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
            .map_err(|e| to_scim(&e, "list the account's calling plans"))?;
        match plan_shortfall(wanted, &account) {
            None => Ok(()),
            Some(shortfall) => Err(shortfall.to_scim(&account)),
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
            Err(e) => Err(to_scim(&e, "look up the manager")),
        }
    }

    /// A role id and name for a role given by id or by name.
    async fn resolve_role(&self, role: &RoleChange) -> Result<(String, String), ScimError> {
        let roles = self
            .lookups
            .role_names()
            .await
            .map_err(|e| to_scim(&e, "list roles"))?;
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
            .map_err(|e| to_scim(&e, "list groups"))?;
        if ids.iter().all(|g| names.contains_key(g)) {
            return Ok(names);
        }
        self.lookups.forget_group_names().await;
        self.lookups
            .group_names()
            .await
            .map_err(|e| to_scim(&e, "list groups"))
    }

    /// `DELETE /Users/{id}`, following `scim.delete_policy`. A pending user's
    /// invitation is withdrawn (`disassociate`) whatever the policy (Zoom: "To delete
    /// pending user in the account, use disassociate").
    pub async fn delete_user(
        &self,
        id: &str,
        precondition: &Precondition,
    ) -> Result<(), ScimError> {
        let _guard = self.locks.lock(&format!("user:{id}")).await;
        if precondition.if_match.is_none() && self.delete_known(id).await? {
            return Ok(());
        }
        let user = if precondition.if_match.is_some() {
            let state = self.read_user_state(id, false).await?;
            precondition.check(&state.etag)?;
            state.user
        } else {
            self.user_record(id).await?
        };
        let policy = self.config.scim.delete_policy;
        if self.is_protected(&user, id) {
            let what = match policy {
                DeletePolicy::Deactivate => "deactivated",
                DeletePolicy::Disassociate => "disassociated",
                DeletePolicy::Delete => "deleted",
            };
            return Err(self.protected_error(&user, what));
        }
        let status = user.status.as_deref().unwrap_or("active");
        let mut progress = Progress::new(format!("delete user {id}"), Vec::new());
        if status == "pending" {
            progress
                .run(
                    "withdraw the invitation (disassociate)",
                    self.execute(id, Step::WithdrawInvitation),
                )
                .await?;
        } else {
            match policy {
                DeletePolicy::Deactivate => {
                    if status != "inactive" {
                        progress
                            .run("deactivate", self.execute(id, Step::Deactivate))
                            .await?;
                        if self.config.scim.logout_on_deactivate {
                            progress
                                .run("sign out everywhere", self.execute(id, Step::SignOut))
                                .await?;
                        }
                    }
                }
                DeletePolicy::Disassociate | DeletePolicy::Delete => {
                    let delete = self.delete_request(policy);
                    let label = if policy == DeletePolicy::Delete {
                        "delete"
                    } else {
                        "disassociate"
                    };
                    progress
                        .run(label, self.zoom.delete_user(id, &delete))
                        .await?;
                }
            }
        }
        tracing::info!(user_id = %id, policy = ?policy, status, "user removed from provisioning");
        if status == "pending" || policy != DeletePolicy::Deactivate {
            self.lookups.forget_email(&user.email).await;
            self.lookups.user_gone(id);
        } else {
            let deactivated = ZoomUser {
                status: Some("inactive".to_owned()),
                ..user
            };
            self.lookups.user_seen(id, &deactivated);
        }
        Ok(())
    }

    /// Deletes a user the user roster lists as confirmed and active, without reading it
    /// first: the read would only tell that the user is not pending (an invitation is
    /// withdrawn instead), which the roster already says, and a confirmed user never
    /// becomes pending again. `Ok(false)`: the roster cannot vouch for the user (not on
    /// it, listed inactive, the owner or an admin, or `scim.protected_users` set, as an
    /// e-mail may have changed since the walk), or Zoom refused the call, which then
    /// changed nothing: the caller reads the user and decides as without the roster.
    async fn delete_known(&self, id: &str) -> Result<bool, ScimError> {
        if !self.config.scim.protected_users.is_empty() {
            return Ok(false);
        }
        let Some(known) = self.lookups.user_known(id) else {
            return Ok(false);
        };
        if known.inactive || known.privileged {
            return Ok(false);
        }
        let policy = self.config.scim.delete_policy;
        let request = self.delete_request(policy);
        let (label, call) = match policy {
            DeletePolicy::Deactivate => ("deactivate", self.execute(id, Step::Deactivate).boxed()),
            DeletePolicy::Disassociate => {
                ("disassociate", self.zoom.delete_user(id, &request).boxed())
            }
            DeletePolicy::Delete => ("delete", self.zoom.delete_user(id, &request).boxed()),
        };
        let mut progress = Progress::new(format!("delete user {id}"), Vec::new());
        match call.await {
            Ok(()) => progress.applied(label),
            Err(e) if e.refused_unchanged() => {
                if e.is_not_found() {
                    self.lookups.user_gone(id);
                }
                tracing::info!(user_id = %id, error = %e, "Zoom refused a delete the user roster vouched for; reading the user");
                return Ok(false);
            }
            Err(e) => return Err(progress.failed(label, &e)),
        }
        if policy == DeletePolicy::Deactivate {
            if self.config.scim.logout_on_deactivate {
                progress
                    .run("sign out everywhere", self.execute(id, Step::SignOut))
                    .await?;
            }
            self.lookups.user_seen(
                id,
                &ZoomUser {
                    id: Some(id.to_owned()),
                    email: known.email.to_string(),
                    status: Some("inactive".to_owned()),
                    ..ZoomUser::default()
                },
            );
        } else {
            self.lookups.forget_email(&known.email).await;
            self.lookups.user_gone(id);
        }
        tracing::info!(user_id = %id, policy = ?policy, status = "active", "user removed from provisioning (user roster)");
        Ok(true)
    }

    fn delete_request(&self, policy: DeletePolicy) -> DeleteUser {
        if policy == DeletePolicy::Disassociate {
            return DeleteUser::default();
        }
        let t = &self.config.scim.delete_transfer;
        DeleteUser {
            action: DeleteAction::Delete,
            transfer_email: t.email.clone(),
            transfer_meeting: t.meeting,
            transfer_webinar: t.webinar,
            transfer_recording: t.recording,
            transfer_whiteboard: t.whiteboard,
            transfer_clipfiles: t.clipfiles,
            transfer_notes: t.notes,
            transfer_visitors: t.visitors,
            transfer_docs: t.docs,
        }
    }
}

/// The record Zoom holds once `steps` succeeded, when each step's effect is exactly what
/// was sent: Zoom answers them 204 and stores the values as given (contract section
/// 3.4; roles: `POST /roles/{roleId}/members`, and a withdrawn role leaves Member).
/// `None` when a step's outcome is Zoom's to decide, and then the answer reads the
/// user again: a new e-mail may await confirmation, the phone feature brings a site and
/// an extension, group joins are checked against Zoom's report, licence and
/// display-name fields are derived, and a status change moves licences ("Deactivating
/// a user removes all licenses associated with a user", contract 3.6).
fn predicted_record(user: &ZoomUser, steps: &[Step]) -> Option<ZoomUser> {
    let mut record = user.clone();
    for step in steps {
        match step {
            Step::SignOut => {}
            Step::Role { id, name } => {
                record.role_id = Some(id.clone());
                record.role_name = Some(name.clone());
            }
            Step::RoleToMember { name, .. } => {
                record.role_id = Some(MEMBER_ROLE_ID.to_owned());
                record.role_name = Some(name.clone());
            }
            Step::Profile(update, _) => {
                if !apply_profile(&mut record, update) {
                    return None;
                }
            }
            Step::Reactivate
            | Step::Deactivate
            | Step::Email(_)
            | Step::Groups { .. }
            | Step::PhoneOn
            | Step::PhoneProfile(..)
            | Step::PhoneOff
            | Step::WithdrawInvitation => return None,
        }
    }
    Some(record)
}

fn log_ignored(normalized: &Normalized) {
    if !normalized.ignored.is_empty() {
        tracing::info!(attributes = ?normalized.ignored, "request named attributes zoom-scim does not publish; ignored");
    }
}
