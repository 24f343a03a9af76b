//! Writing users: create, replace, patch (RFC 7644 sections 3.3, 3.5).
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

use serde_json::Value;

use super::plan::{Origin, PHONE_PROFILE_STEP, Plan, Step};
use super::read::UserState;
use super::resolve::MEMBER_ROLE_NAME;
use crate::mapping::phone_write::{
    PhoneCall, PhoneProfileState, PhoneTarget, apply_native_aliases, phone_calls, phone_target,
};
use crate::mapping::user::{PhoneView, user_location};
use crate::mapping::user_write::{UserChanges, apply_profile, create_request, diff};
use crate::provider::failure::zoom_failure;
use crate::provider::policy::{DuplicatePolicy, PendingChanges};
use crate::provider::progress::Progress;
use crate::provider::{GroupMember, Precondition, Provider, ScimResource, WriteOutcome};
use crate::scim::error::{ScimError, clip};
use crate::scim::patch::PatchRequest;
use crate::scim::projection::AttributeSelection;
use crate::scim::resource::{Normalized, external_id, merge_replace, normalize_input};
use crate::scim::schema::SchemaRegistry;
use crate::store::ResourceKind;
use crate::zoom::error::ZoomError;
use crate::zoom::model::CreateAction;
use crate::zoom::model::{
    CreateUser, DeleteAction, DeleteUser, MEMBER_ROLE_ID, PhoneNumberRef, StatusAction,
    UpdatePhoneUser, UpdateUser, UserFeature, UserStatus, ZoomUser,
};

impl Provider {
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
            self.settings.create_action,
            i64::from(self.settings.default_user_type),
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
        if inactive && self.settings.create_action == CreateAction::Create {
            return match self.find_by_email(&email).await? {
                Some(existing) => self.on_duplicate(existing, &normalized, selection).await,
                None => Err(ScimError::conflict(format!(
                    "create user {shown} with active=false: with scim.create_action = \"create\" a new Zoom user is an invitation until accepted, and Zoom cannot deactivate an invitation; nothing was created. Create the user once it is active, or use an action that creates active users (autoCreate, custCreate, ssoCreate), which are then deactivated"
                ))),
            };
        }
        self.preflight_create(&request, &normalized).await?;
        self.require_store(&format!("create user {shown}")).await?;
        // No look-up first: Zoom's e-mail is its unique key and a taken one answers
        // 409 code 1005, so the look-up is paid only by the rare duplicate.
        let mut progress = Progress::new(format!("create user {shown}"), Vec::new());
        let created = match self.zoom.create_user(&request).await {
            Ok(created) => created,
            // 409 code 1005 (or 412, as some accounts answer): look it up again.
            Err(e) if e.kind == crate::zoom::error::ErrorKind::Duplicate => {
                return match self.find_by_email(&email).await? {
                    Some(existing) => self.on_duplicate(existing, &normalized, selection).await,
                    None => Err(zoom_failure(&e, &format!("create user {shown}"))),
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
        if self.settings.duplicates == DuplicatePolicy::Conflict {
            // The same POST again would meet the user it made (409 naming it).
            progress.set_replay_hint(format!(
                "The user exists in Zoom as id {id}: send what is missing with PATCH or PUT /Users/{id} (the same POST again answers 409 naming that id)"
            ));
        }
        self.lookups.remember_id(&email, &id).await;
        self.touch(ResourceKind::User, &[id.as_str()]).await;
        tracing::info!(user_id = %id, action = ?self.settings.create_action, "created Zoom user");
        // Every create action but `create` (an invitation) makes an active user.
        let created_active = self.settings.create_action != CreateAction::Create;
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
            status: Some(UserStatus::Active),
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
            let input = self.plan_input(
                NOT_YET_CREATED,
                &record,
                &changes,
                phone.as_ref(),
                Origin::Create,
            );
            self.plan(&input).await?;
        }
        Ok(())
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<String>, ScimError> {
        match self.zoom.get_user(email).await {
            Ok(user) => Ok(user.id),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(zoom_failure(&e, &format!("look up {}", clip(email)))),
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
        match self.settings.duplicates {
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
        self.require_store(&format!("replace user {id}")).await?;
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
        let mut body = body;
        crate::mapping::user_groups::user_groups_as_group_ids(&mut body);
        let patch = crate::provider::cpu_bound(|| PatchRequest::parse(&body))?;
        let _guard = self.locks.lock(&format!("user:{id}")).await;
        self.require_store(&format!("update user {id}")).await?;
        let state = self.read_user_state(id, false).await?;
        precondition.check(&state.etag)?;
        let mut desired = state.json.clone();
        let ignored = crate::provider::cpu_bound(|| patch.apply_reporting(&mut desired, schema))?;
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
    pub(super) async fn write(
        &self,
        id: &str,
        state: &UserState,
        desired: &Value,
        origin: Origin,
        selection: &AttributeSelection,
        progress: &mut Progress,
    ) -> Result<Option<ScimResource>, ScimError> {
        // The difference starts from what Zoom holds: deferred changes are part of it.
        let (user, current) = (&state.user, &state.raw);
        let changes = diff(current, desired)?;
        let phone = phone_target(current, desired)?;
        // Kept by the store once Zoom has what the request changes there.
        let desired_external_id = external_id(desired)?;
        let external_id_changed =
            desired_external_id.as_deref() != current.get("externalId").and_then(Value::as_str);
        for warning in &changes.not_applied {
            progress.not_applied(warning.clone());
        }
        let pending = *user.status_or_active() == UserStatus::Pending;
        if pending
            && self.settings.pending_changes == PendingChanges::Defer
            && !changes.dropped_for_pending().is_empty()
        {
            return self
                .defer(
                    id,
                    state,
                    desired,
                    (&changes, phone.as_ref(), origin),
                    selection,
                    progress,
                )
                .await
                .map(Some);
        }
        let had_deferred = state.raw != state.json;
        if !changes.is_empty() {
            let input = self.plan_input(id, user, &changes, phone.as_ref(), origin);
            let Plan { steps, not_applied } = self.plan(&input).await?;
            for warning in not_applied {
                progress.not_applied(warning);
            }
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
            let mut groups_changed: Vec<String> = Vec::new();
            let ran: Result<(), ScimError> = async {
                for step in steps {
                    if let Step::Groups {
                        leave,
                        join,
                        pending,
                    } = &step
                    {
                        groups_changed.extend(leave.iter().chain(join).cloned());
                        // `leave` and `join` are disjoint: their difference is exactly
                        // the change.
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
                Ok(())
            }
            .await;
            // Dated after Zoom's answers, also when a step failed part-way.
            self.touch(ResourceKind::User, &[id]).await;
            let groups: Vec<&str> = groups_changed.iter().map(String::as_str).collect();
            self.touch(ResourceKind::Group, &groups).await;
            ran?;
            if withdraws {
                self.lookups.forget_email(&user.email).await;
                self.forget_resource(ResourceKind::User, id).await;
                return Ok(None);
            }
            if had_deferred {
                // Applied with this write: no longer deferred.
                self.keep_deferred(
                    id,
                    None,
                    &format!("the changes to user {id} were made in Zoom"),
                )
                .await?;
            }
            if external_id_changed {
                let applied = format!("the changes to user {id} were made in Zoom");
                self.keep_external_id(
                    ResourceKind::User,
                    id,
                    desired_external_id.as_deref(),
                    &applied,
                )
                .await?;
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
        if changes.is_empty() && (external_id_changed || had_deferred) {
            // Nothing for Zoom: the store takes the new value (or drops deferred changes
            // the request takes back), and the answer is the state read at the start
            // with it.
            let applied = "nothing was changed in Zoom";
            self.touch(ResourceKind::User, &[id]).await;
            if external_id_changed {
                self.keep_external_id(
                    ResourceKind::User,
                    id,
                    desired_external_id.as_deref(),
                    applied,
                )
                .await?;
            }
            if had_deferred {
                self.keep_deferred(id, None, applied).await?;
            }
            let (json, etag) = self.render_state(user, id, state.phone.as_ref()).await?;
            return Ok(Some(ScimResource {
                body: selection.project(&json, SchemaRegistry::global().user()),
                etag: Some(etag),
                location: user_location(&self.base_url, id),
                warnings,
            }));
        }
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

    /// Keeps a pending user's change for when they accept the invitation: checked first
    /// as for an active user (a bad value or reference is refused, nothing kept), then
    /// stored and answered with the resource as it will be and a `Warning`.
    async fn defer(
        &self,
        id: &str,
        state: &UserState,
        desired: &Value,
        (changes, phone, origin): (&UserChanges, Option<&PhoneTarget>, Origin),
        selection: &AttributeSelection,
        progress: &mut Progress,
    ) -> Result<ScimResource, ScimError> {
        let as_active = ZoomUser {
            status: Some(UserStatus::Active),
            ..state.user.clone()
        };
        let input = self.plan_input(id, &as_active, changes, phone, origin);
        self.plan(&input).await?;
        let delta = super::deferred::delta(&state.raw, desired);
        let nothing = "nothing was changed in Zoom (the user is pending)";
        self.keep_deferred(id, Some(&delta), nothing).await?;
        let desired_external_id = external_id(desired)?;
        if desired_external_id.as_deref() != state.raw.get("externalId").and_then(Value::as_str) {
            self.keep_external_id(
                ResourceKind::User,
                id,
                desired_external_id.as_deref(),
                nothing,
            )
            .await?;
        }
        tracing::info!(user_id = %id, attributes = ?super::deferred::names(&delta), "changes to a pending user deferred until the invitation is accepted");
        // The resource shown changed.
        self.touch(ResourceKind::User, &[id]).await;
        progress.not_applied(super::deferred::deferred_warning(&delta));
        let (json, etag) = self
            .render_state(&state.user, id, state.phone.as_ref())
            .await?;
        Ok(ScimResource {
            body: selection.project(&json, SchemaRegistry::global().user()),
            etag: Some(etag),
            location: user_location(&self.base_url, id),
            warnings: progress.warnings().to_vec(),
        })
    }

    /// Keeps (or clears) a user's deferred changes; `applied` says what was done in
    /// Zoom should the store fail.
    async fn keep_deferred(
        &self,
        id: &str,
        delta: Option<&Value>,
        applied: &str,
    ) -> Result<(), ScimError> {
        let delta = delta.filter(|d| !super::deferred::is_empty(d));
        self.store
            .set_deferred(ResourceKind::User, id, delta)
            .await
            .map_err(|e| {
                let mut err =
                    crate::provider::store_failure(&e, &format!("keep the deferred changes of {id}"));
                err.detail = format!(
                    "{applied}, but the deferred changes could not be kept: the service's store failed. Send the same request again once the store is back"
                );
                err
            })
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

    pub(super) async fn execute(&self, id: &str, step: Step) -> Result<(), ZoomError> {
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
