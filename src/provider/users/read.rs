//! Reading one user: `GET /Users/{id}`, and the full state a write starts from (record,
//! phone profile, look-ups, version).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::mapping::filter::referenced_attributes;
use crate::mapping::user::{
    DETAIL_ONLY_PATHS, PHONE_PATHS, PhoneView, UserContext, attribute_name, user_location,
    user_resource,
};
use crate::provider::failure::zoom_failure;
use crate::provider::phone_read::may_have_phone;
use crate::provider::policy::PendingChanges;
use crate::provider::{Provider, ScimResource};
use crate::scim::error::ScimError;
use crate::scim::filter::Filter;
use crate::scim::model::weak_etag;
use crate::scim::projection::AttributeSelection;
use crate::scim::schema::SchemaRegistry;
use crate::store::ResourceKind;
use crate::zoom::model::{UserStatus, ZoomUser};

/// Which Zoom look-ups a request needs beyond the user records.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::provider) struct Needs {
    /// Per-user detail (`GET /users/{id}`).
    pub detail: bool,
    /// Group names for `groups.display`.
    pub group_names: bool,
    /// Role names for `roles.display` (list records carry only `role_id`).
    pub role_names: bool,
    /// The manager's id (from Zoom's manager e-mail).
    pub manager: bool,
    /// Zoom Phone attributes (the phone profile, and site names from the site list).
    pub phone: bool,
}

impl Needs {
    pub(in crate::provider) fn for_request(
        selection: &AttributeSelection,
        filter: Option<&Filter>,
        deep_allowed: bool,
    ) -> Self {
        let referenced = filter.map(referenced_attributes).unwrap_or_default();
        let refers = |name: &str| {
            referenced
                .iter()
                .any(|r| r == name || r.starts_with(&format!("{name}.")))
        };
        let detail = deep_allowed
            && (DETAIL_ONLY_PATHS.iter().any(|p| selection.wants(p))
                || DETAIL_ONLY_PATHS.iter().any(|p| refers(&attribute_name(p))));
        let manager = detail
            && (selection
                .wants("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
                || refers("manager"));
        let phone = PHONE_PATHS.iter().any(|p| selection.wants(p))
            || PHONE_PATHS.iter().any(|p| refers(&attribute_name(p)));
        Self {
            detail,
            group_names: selection.wants("groups") || refers("groups"),
            role_names: selection.wants("roles") || refers("roles"),
            manager,
            phone,
        }
    }

    /// Everything (single reads and writes).
    pub(in crate::provider) fn all() -> Self {
        Self {
            detail: true,
            group_names: true,
            role_names: true,
            manager: true,
            phone: true,
        }
    }
}

/// Lookup tables fetched once per request.
#[derive(Default)]
pub(super) struct Tables {
    groups: Option<Arc<HashMap<String, String>>>,
    roles: Option<Arc<HashMap<String, String>>>,
    /// User id -> `externalId`, for the users being rendered.
    external_ids: HashMap<String, String>,
    /// User id -> changes deferred until the invitation is accepted.
    deferred: HashMap<String, Value>,
    /// User id -> `meta.lastModified`.
    modified: HashMap<String, chrono::DateTime<chrono::Utc>>,
}

impl Tables {
    /// Adds what the store keeps of the users about to be rendered.
    pub(super) fn set_extras(&mut self, extras: Extras) {
        self.external_ids = extras.external_ids;
        self.deferred = extras.deferred;
        self.modified = extras.modified;
    }
}

/// What the store keeps of some users, for rendering them.
#[derive(Default)]
pub(super) struct Extras {
    external_ids: HashMap<String, String>,
    deferred: HashMap<String, Value>,
    modified: HashMap<String, chrono::DateTime<chrono::Utc>>,
}

/// A user as a write reads it.
pub(in crate::provider) struct UserState {
    /// Zoom's record.
    pub user: ZoomUser,
    /// The Zoom Phone view (`None`: no phone profile).
    pub phone: Option<PhoneView>,
    /// The whole SCIM resource, unprojected, with any deferred changes shown.
    pub json: Value,
    /// The resource as Zoom holds it (without deferred changes): what a write's
    /// difference starts from.
    pub raw: Value,
    /// Its version (`meta.version`, the ETag).
    pub etag: String,
}

impl Provider {
    pub(super) fn user_schema() -> &'static crate::scim::schema::ResourceSchema {
        SchemaRegistry::global().user()
    }

    /// Detail calls of one page in flight at once. The client's pacer, not this bound,
    /// sets the pace; the bound only has to exceed rate x latency or the page becomes
    /// latency-bound: 64/s x 0.3 s = 19 at Business limits and 300 ms, 640/s x 0.08 s =
    /// 51 on an account with ten times the limits (benchmark scenario 1 at
    /// `--rate-scale 10` ran at 2.3x the floor with 32). The client's own
    /// `zoom.max_concurrency` permits cap it anyway.
    pub(in crate::provider) fn deep_concurrency(&self) -> usize {
        self.zoom.max_concurrency().max(1)
    }

    /// The look-up tables `needs` asks for, fetched at the same time.
    pub(super) async fn tables(&self, needs: Needs) -> Result<Tables, ScimError> {
        let groups = async {
            if !needs.group_names {
                return Ok(None);
            }
            let names = self.lookups.group_names().await;
            names.map(Some).map_err(|e| zoom_failure(&e, "list groups"))
        };
        let roles = async {
            if !needs.role_names {
                return Ok(None);
            }
            let names = self.lookups.role_names().await;
            names.map(Some).map_err(|e| zoom_failure(&e, "list roles"))
        };
        let (groups, roles) = futures::try_join!(groups, roles)?;
        Ok(Tables {
            groups,
            roles,
            ..Tables::default()
        })
    }

    /// What the store keeps of a page of users: `externalId`s and deferred changes.
    pub(super) async fn page_extras(&self, users: &[(String, ZoomUser)]) -> Extras {
        let ids: Vec<&str> = users.iter().map(|(id, _)| id.as_str()).collect();
        self.user_extras(&ids).await
    }

    /// What the store keeps of `ids`; a store out of reach gives nothing (the read
    /// goes on with what Zoom holds).
    pub(super) async fn user_extras(&self, ids: &[&str]) -> Extras {
        let external_ids = self.external_ids_for(ResourceKind::User, ids).await;
        let deferred = if ids.is_empty() {
            HashMap::new()
        } else {
            self.store
                .deferred(ResourceKind::User, ids)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "store unreachable: users are shown without their deferred changes");
                    HashMap::new()
                })
        };
        let modified = self.modification_times(ResourceKind::User, ids).await;
        Extras {
            external_ids,
            deferred,
            modified,
        }
    }

    /// Compares a full read's version with the last one's: a change is dated now and
    /// shown in `json` (a read sees what the listing walk cannot: a manager, Zoom Phone,
    /// groups).
    async fn note_full_read(&self, id: &str, version: &str, json: &mut Value) {
        let (dated, at) = self
            .dated_by_full_reads(ResourceKind::User, &[(id, version)])
            .await;
        if !dated.is_empty() {
            show_last_modified(json, at);
        }
    }

    /// Records the full reads of a page (`(id, version, json)` of each user rendered
    /// whole) and shows the new time of those found changed.
    pub(super) async fn note_full_reads(&self, rendered: &mut [(String, Option<String>, Value)]) {
        let seen: Vec<(&str, &str)> = rendered
            .iter()
            .filter_map(|(id, version, _)| Some((id.as_str(), version.as_deref()?)))
            .collect();
        if seen.is_empty() {
            return;
        }
        let (dated, at) = self.dated_by_full_reads(ResourceKind::User, &seen).await;
        if dated.is_empty() {
            return;
        }
        let dated: std::collections::HashSet<String> = dated.into_iter().collect();
        for (id, _, json) in rendered.iter_mut() {
            if dated.contains(id.as_str()) {
                show_last_modified(json, at);
            }
        }
    }

    /// Renders one Zoom user as SCIM JSON (unprojected) and its version when complete.
    /// `phone` is `Some` when the phone state was read (`Some(None)`: no profile).
    pub(super) async fn render(
        &self,
        user: &ZoomUser,
        id: &str,
        needs: Needs,
        tables: &Tables,
        phone: Option<Option<&PhoneView>>,
    ) -> Result<(Value, Option<String>), ScimError> {
        let mut manager_id = None;
        if needs.manager
            && let Some(email) = user.manager.as_deref().filter(|m| m.contains('@'))
        {
            manager_id = self
                .lookups
                .id_for_email(email)
                .await
                .map_err(|e| zoom_failure(&e, "resolve the manager's e-mail"))?;
        }
        let ctx = UserContext {
            base_url: &self.base_url,
            group_names: tables.groups.as_deref(),
            role_names: tables.roles.as_deref(),
            manager_id,
            phone,
            external_id: tables.external_ids.get(id).map(String::as_str),
            last_modified: tables.modified.get(id).copied(),
        };
        let mut json = user_resource(user, id, &ctx);
        if let Some(deferred) = tables.deferred.get(id) {
            super::deferred::overlay(&mut json, deferred);
        }
        let complete = needs.detail && needs.group_names && needs.manager && phone.is_some();
        let version = complete.then(|| {
            let etag = weak_etag(&json);
            if let Some(meta) = json.get_mut("meta").and_then(Value::as_object_mut) {
                meta.insert("version".into(), Value::String(etag.clone()));
            }
            etag
        });
        Ok((json, version))
    }

    /// Zoom's record of user `id` (`GET /users/{id}`); 404 for anything else.
    pub(in crate::provider) async fn user_record(&self, id: &str) -> Result<ZoomUser, ScimError> {
        let user = match self.zoom.get_user(id).await {
            Ok(user) => user,
            Err(e) if e.is_not_found() => {
                // Deleted in Zoom's portal, perhaps: what the store keeps of it goes.
                self.forget_resource(ResourceKind::User, id).await;
                return Err(zoom_failure(&e, &format!("read user {id}")));
            }
            Err(e) => return Err(zoom_failure(&e, &format!("read user {id}"))),
        };
        // Zoom also accepts an e-mail in place of an id; SCIM ids are Zoom ids only.
        if user.id.as_deref() != Some(id) {
            return Err(ScimError::not_found(format!("user {id} not found")));
        }
        Ok(user)
    }

    /// A user's record and phone view. When the phone roster lists the user, or
    /// `expect_active` says it is not pending (a user just created active), the two Zoom
    /// calls are made at once, so the read waits for one round trip, not two; otherwise
    /// the record comes first, as it says whether the profile is worth asking for (a
    /// pending user has none and is never on the roster). A wrong guess costs one
    /// unneeded call, never a wrong answer.
    async fn record_and_phone(
        &self,
        id: &str,
        use_roster: bool,
        expect_active: bool,
    ) -> Result<(ZoomUser, Option<PhoneView>), ScimError> {
        if !expect_active && self.lookups.phone_known(id) != Some(true) {
            let user = self.user_record(id).await?;
            let sites = self.phone_sites().await?;
            let phone = self.phone_of(&user, id, &sites, use_roster).await?;
            return Ok((user, phone));
        }
        let phone = async { self.phone_profile(id, &*self.phone_sites().await?).await };
        let (user, phone) = tokio::join!(self.user_record(id), phone);
        let user = user?;
        if !may_have_phone(&user) {
            return Ok((user, None));
        }
        Ok((user, phone?))
    }

    /// Reads a user with what `needs` asks for; the version is there when the whole
    /// resource was read.
    async fn read_user(
        &self,
        id: &str,
        needs: Needs,
    ) -> Result<(ZoomUser, Value, Option<String>), ScimError> {
        let (user, phone) = if needs.phone {
            let (user, phone) = self.record_and_phone(id, true, false).await?;
            (user, Some(phone))
        } else {
            (self.user_record(id).await?, None)
        };
        let mut tables = self.tables(needs).await?;
        tables.set_extras(self.user_extras(&[id]).await);
        let (mut json, version) = self
            .render(
                &user,
                id,
                needs,
                &tables,
                phone.as_ref().map(Option::as_ref),
            )
            .await?;
        if let Some(version) = &version {
            self.note_full_read(id, version, &mut json).await;
        }
        Ok((user, json, version))
    }

    /// Reads the current full state of a user (detail, look-ups and phone profile), for
    /// writes (their `If-Match` check, their difference and their answer);
    /// `expect_active`: see [`Provider::record_and_phone`].
    pub(in crate::provider) async fn read_user_state(
        &self,
        id: &str,
        expect_active: bool,
    ) -> Result<UserState, ScimError> {
        let (user, phone) = self.record_and_phone(id, false, expect_active).await?;
        self.lookups.user_seen(id, &user);
        let needs = Needs::all();
        let mut tables = self.tables(needs).await?;
        tables.set_extras(self.user_extras(&[id]).await);
        let (mut json, version) = self
            .render(&user, id, needs, &tables, Some(phone.as_ref()))
            .await?;
        if let Some(version) = &version {
            self.note_full_read(id, version, &mut json).await;
        }
        let raw = if tables.deferred.remove(id).is_some() {
            self.render(&user, id, needs, &tables, Some(phone.as_ref()))
                .await?
                .0
        } else {
            json.clone()
        };
        Ok(UserState {
            user,
            phone,
            json,
            raw,
            etag: version.unwrap_or_default(),
        })
    }

    /// Renders a whole resource from a Zoom record and its phone view: what a full read
    /// of that record answers, version included.
    pub(in crate::provider) async fn render_state(
        &self,
        user: &ZoomUser,
        id: &str,
        phone: Option<&PhoneView>,
    ) -> Result<(Value, String), ScimError> {
        let needs = Needs::all();
        let mut tables = self.tables(needs).await?;
        tables.set_extras(self.user_extras(&[id]).await);
        let (mut json, version) = self.render(user, id, needs, &tables, Some(phone)).await?;
        if let Some(version) = &version {
            self.note_full_read(id, version, &mut json).await;
        }
        Ok((json, version.unwrap_or_default()))
    }

    /// `GET /Users/{id}`, read in full whatever `attributes` selects: RFC 7644 section
    /// 3.14, a service provider that versions resources "MUST include the ETag header"
    /// in a GET's response, and the version covers the phone profile (asked at the same
    /// time as the record for users on the phone roster).
    pub async fn get_user(
        &self,
        id: &str,
        selection: &AttributeSelection,
    ) -> Result<ScimResource, ScimError> {
        let (user, mut json, mut version) = self.read_user(id, Needs::all()).await?;
        // A user with deferred changes seen active: they are applied now, and the
        // answer shows Zoom's state after them.
        if *user.status_or_active() == UserStatus::Active
            && self.settings.pending_changes == PendingChanges::Defer
            && !self.user_extras(&[id]).await.deferred.is_empty()
        {
            match self.apply_deferred(id).await {
                Ok(true) => (_, json, version) = self.read_user(id, Needs::all()).await?,
                Ok(false) => {}
                // The read still answers; the periodic check tries again.
                Err(e) => {
                    tracing::warn!(user_id = %id, detail = %e.detail, "deferred changes not applied yet");
                }
            }
        }
        Ok(ScimResource {
            body: selection.project(&json, Self::user_schema()),
            etag: version,
            location: user_location(&self.base_url, id),
            warnings: Vec::new(),
        })
    }
}

/// Sets a rendered resource's `meta.lastModified`.
pub(super) fn show_last_modified(json: &mut Value, at: chrono::DateTime<chrono::Utc>) {
    if let Some(meta) = json.get_mut("meta").and_then(Value::as_object_mut) {
        meta.insert(
            "lastModified".into(),
            Value::String(crate::mapping::user::meta_time(at)),
        );
    }
}
