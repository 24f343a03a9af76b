//! Reading users: `GET /Users/{id}`, and listing with filter push-down, SCIM offsets
//! mapped onto Zoom cursors, pending-user id resolution, deep enrichment and the Zoom
//! Phone join ([`super::phone_read`]).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{BoxFuture, Shared};
use futures::{FutureExt, StreamExt, TryStreamExt};
use serde_json::Value;

use super::phone_read::{PhoneIndex, may_have_phone};
use super::{Lookups, Provider, ScimResource};
use crate::config::ScimConfig;
use crate::mapping::error::to_scim;
use crate::mapping::filter::{
    PhoneScope, UserSource, ZoomStatus, exactly_pushed_down, phone_scope, referenced_attributes,
    user_source,
};
use crate::mapping::user::{
    DETAIL_ONLY_PATHS, PHONE_PATHS, PhoneView, UserContext, attribute_name,
    to_scim as user_to_scim, user_location,
};
use crate::scim::error::ScimError;
use crate::scim::filter::Filter;
use crate::scim::model::{ListResponse, weak_etag};
use crate::scim::projection::AttributeSelection;
use crate::scim::query::ListQuery;
use crate::scim::schema::SchemaRegistry;
use crate::zoom::ZoomClient;
use crate::zoom::model::{ListPhoneUsersQuery, ListUsersQuery, ZoomUser};
use crate::zoom::paging::PageTokens;

/// A phone-first search (a filter pinning phone attributes) reads the matching users'
/// records one by one (`GET /users/{id}`, Light) when at most this many phone users
/// match, else lists every user (`GET /users`, Medium, 300 a page) and keeps the phone
/// users: one by one wins for the usual `extensionNumber eq` or `zoomPhoneNumbers eq`
/// (one user), listing wins for a whole site of a small account.
const PHONE_FIRST_PER_USER_MAX: usize = 50;

/// Which Zoom look-ups a request needs beyond the user records.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Needs {
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
    pub(super) fn for_request(
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
    pub(super) fn all() -> Self {
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
struct Tables {
    groups: Option<Arc<HashMap<String, String>>>,
    roles: Option<Arc<HashMap<String, String>>>,
}

/// A user as a write reads it.
pub(super) struct UserState {
    /// Zoom's record.
    pub user: ZoomUser,
    /// The Zoom Phone view (`None`: no phone profile).
    pub phone: Option<PhoneView>,
    /// The whole SCIM resource, unprojected.
    pub json: Value,
    /// Its version (`meta.version`, the ETag).
    pub etag: String,
}

/// One position in a walk over Zoom's user lists, kept between SCIM pages.
///
/// What resuming needs is small (the list, the Zoom page token and the offset) and is
/// kept for every walk; what only saves calls (the rest of the current Zoom page, calls
/// started ahead, the walk's phone listing) is [`Warm`], kept within a byte budget: a
/// walk whose warm part was dropped fetches its current page again and goes on.
#[derive(Debug)]
struct Cursor {
    statuses: Vec<ZoomStatus>,
    role_id: Option<String>,
    /// `total_records` per status (from its first page).
    totals: Vec<u64>,
    /// Index into `statuses` of the list being walked.
    status_index: usize,
    /// Token of the next Zoom page of the current status (None: none left).
    next_token: Option<String>,
    /// The current status's first page is still to fetch.
    fetch_first: bool,
    /// The token that fetched the current Zoom page (None: the status's first page) and
    /// how many of its items were handed out or skipped: where a walk resumes when its
    /// warm part is gone.
    page_token: Option<String>,
    page_taken: usize,
    /// The current page must be fetched again (its warm part was dropped).
    refetch: bool,
    /// The page tokens of the current status met so far.
    tokens_seen: PageTokens,
    /// 0-based index of the next item in the whole sequence.
    offset: usize,
    /// 0-based index of the first item of the current status.
    status_start: usize,
    warm: Warm,
}

/// The part of a walk that only saves calls.
#[derive(Debug, Default)]
struct Warm {
    /// Items of the current Zoom page not handed out yet.
    buffer: VecDeque<ZoomUser>,
    /// First pages of the later statuses, fetched for the totals, not walked yet.
    first_pages: Vec<Option<(Vec<ZoomUser>, Option<String>)>>,
    /// The phone-user listing read for this walk (joined into every later page).
    phone: Option<Arc<PhoneIndex>>,
    /// Detail calls started ahead for the coming users, by lower-cased e-mail; shared
    /// with the tasks that drive them (which add the users of a list page fetched ahead).
    ahead: Arc<Mutex<HashMap<String, DetailAhead>>>,
    /// The next Zoom list page, fetched ahead: the token it answers and the fetch.
    next_page: Option<(String, PageAhead)>,
    /// Tasks driving the calls started ahead.
    drivers: Vec<tokio::task::JoinHandle<()>>,
}

/// Bytes a listed user takes in memory, about (the record, its strings and the
/// allocator's share). Calibrated: 1,024 walks of a 20,000-user account resumed at
/// random offsets held about twice the record and 256 bytes a buffered user.
const LISTED_USER_BYTES: usize = 2 * (std::mem::size_of::<ZoomUser>() + 256);

/// Bytes a detail call started ahead takes once answered, about.
const DETAIL_AHEAD_BYTES: usize = 2 * LISTED_USER_BYTES;

impl Warm {
    /// About how many bytes this holds (the cache's weight; at least 1).
    fn weight(&self) -> u32 {
        let ahead = self.ahead.lock().map(|m| m.len()).unwrap_or_default();
        let phone = self.phone.as_ref().map_or(0, |p| p.approx_bytes());
        let next_page = if self.next_page.is_some() {
            300 * LISTED_USER_BYTES
        } else {
            0
        };
        let firsts: usize = self
            .first_pages
            .iter()
            .flatten()
            .map(|(items, _)| items.len())
            .sum();
        let bytes = (self.buffer.len() + firsts) * LISTED_USER_BYTES
            + ahead * DETAIL_AHEAD_BYTES
            + phone
            + next_page;
        u32::try_from(bytes.max(1)).unwrap_or(u32::MAX)
    }
}

impl Drop for Warm {
    /// An abandoned walk (evicted or expired cursor) stops its calls started ahead.
    fn drop(&mut self) {
        for driver in &self.drivers {
            driver.abort();
        }
    }
}

/// A user read in full, `(id, detail)`, or `None` when the user vanished (404).
type Completed = Option<(String, ZoomUser)>;

/// A detail call started ahead; `None` when it failed: the page's own request then
/// repeats it and reports the error.
type DetailAhead = Shared<BoxFuture<'static, Option<Completed>>>;

/// A Zoom list page fetched ahead: items and next token; `None` when it failed.
type PageAhead = Shared<BoxFuture<'static, Option<(Vec<ZoomUser>, Option<String>)>>>;

fn email_key(user: &ZoomUser) -> String {
    user.email.to_ascii_lowercase()
}

/// Starts (lazily) the detail call of `user` for a lookahead.
fn detail_ahead(zoom: &ZoomClient, lookups: &Lookups, user: ZoomUser) -> DetailAhead {
    // Owned handles (cheap clones): the future must be 'static.
    let (zoom, lookups) = (zoom.clone(), lookups.clone());
    async move { fetch_detail(&zoom, &lookups, &user).await.ok() }
        .boxed()
        .shared()
}

/// Reads one user in full (by id, or by e-mail for invitees listed without one):
/// `Ok(None)` when the user vanished meanwhile.
async fn fetch_detail(
    zoom: &ZoomClient,
    lookups: &Lookups,
    user: &ZoomUser,
) -> Result<Completed, ScimError> {
    // Pending users are looked up by e-mail: the answer carries the id and the detail
    // at once.
    let key = user.id.clone().unwrap_or_else(|| user.email.clone());
    match zoom.get_user(&key).await {
        Ok(detail) => match detail.id.clone() {
            Some(id) => {
                lookups.remember_id(&detail.email, &id).await;
                Ok(Some((id, detail)))
            }
            None => Ok(None),
        },
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(to_scim(&e, &format!("read user {key}"))),
    }
}

/// One page of a Zoom user list: items, the next token (if any) and `total_records`.
async fn fetch_list_page(
    zoom: &ZoomClient,
    page_size: u32,
    status: ZoomStatus,
    role_id: Option<&str>,
    token: Option<&str>,
) -> Result<(Vec<ZoomUser>, Option<String>, u64), ScimError> {
    let query = ListUsersQuery {
        status: Some(status.into()),
        role_id: role_id.map(str::to_owned),
        page_size: Some(page_size),
    };
    let page = zoom
        .list_users_page(&query, token)
        .await
        .map_err(|e| to_scim(&e, &format!("list {} users", status.as_str())))?;
    let next = page.next_page_token.filter(|t| !t.is_empty());
    Ok((page.items, next, page.total_records.unwrap_or_default()))
}

/// Cursors kept for sequential SCIM paging, keyed by (query fingerprint, offset): the
/// resume points by count (`scim.cursor_cache_size`, each a few hundred bytes), their
/// warm parts by bytes (`scim.cursor_cache_mib`).
pub(super) struct CursorCache {
    points: moka::future::Cache<(u64, usize), Arc<Mutex<Option<Cursor>>>>,
    warm: moka::future::Cache<(u64, usize), Arc<Mutex<Option<Warm>>>>,
}

impl std::fmt::Debug for CursorCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorCache")
            .field("entries", &self.points.entry_count())
            .field("warm_bytes", &self.warm.weighted_size())
            .finish()
    }
}

impl CursorCache {
    pub(super) fn new(config: &ScimConfig) -> Self {
        let ttl = Duration::from_secs(config.cursor_ttl_s);
        Self {
            points: moka::future::Cache::builder()
                .max_capacity(config.cursor_cache_size)
                .time_to_live(ttl)
                .build(),
            warm: moka::future::Cache::builder()
                .max_capacity(config.cursor_cache_mib.saturating_mul(1 << 20))
                .weigher(|_, warm: &Arc<Mutex<Option<Warm>>>| {
                    warm.lock()
                        .ok()
                        .and_then(|w| w.as_ref().map(Warm::weight))
                        .unwrap_or(1)
                })
                .time_to_live(ttl)
                .build(),
        }
    }

    async fn take(&self, key: (u64, usize)) -> Option<Cursor> {
        let slot = self.points.remove(&key).await?;
        let mut cursor = slot.lock().ok()?.take()?;
        let warm = match self.warm.remove(&key).await {
            Some(slot) => slot.lock().ok().and_then(|mut w| w.take()),
            None => None,
        };
        // Without its warm part, a walk left mid-page (`refetch`, as stored) fetches
        // that page again and skips what it had handed out.
        if let Some(warm) = warm {
            cursor.warm = warm;
            cursor.refetch = false;
        }
        Some(cursor)
    }

    async fn put(&self, key: (u64, usize), mut cursor: Cursor) {
        let warm = std::mem::take(&mut cursor.warm);
        cursor.refetch = !warm.buffer.is_empty();
        self.warm
            .insert(key, Arc::new(Mutex::new(Some(warm))))
            .await;
        self.points
            .insert(key, Arc::new(Mutex::new(Some(cursor))))
            .await;
    }
}

fn fingerprint(statuses: &[ZoomStatus], role_id: Option<&str>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    statuses.hash(&mut hasher);
    role_id.hash(&mut hasher);
    hasher.finish()
}

impl Provider {
    fn user_schema() -> &'static crate::scim::schema::ResourceSchema {
        SchemaRegistry::global().user()
    }

    /// Detail calls of one page in flight at once. The client's pacer, not this bound,
    /// sets the pace; the bound only has to exceed rate x latency or the page becomes
    /// latency-bound: 64/s x 0.3 s = 19 at Business limits and 300 ms, 640/s x 0.08 s =
    /// 51 on an account with ten times the limits (benchmark scenario 1 at
    /// `--rate-scale 10` ran at 2.3x the floor with 32). The client's own
    /// `zoom.max_concurrency` permits cap it anyway.
    pub(super) fn deep_concurrency(&self) -> usize {
        self.config.zoom.max_concurrency.max(1)
    }

    /// The look-up tables `needs` asks for, fetched at the same time.
    async fn tables(&self, needs: Needs) -> Result<Tables, ScimError> {
        let groups = async {
            if !needs.group_names {
                return Ok(None);
            }
            let names = self.lookups.group_names().await;
            names.map(Some).map_err(|e| to_scim(&e, "list groups"))
        };
        let roles = async {
            if !needs.role_names {
                return Ok(None);
            }
            let names = self.lookups.role_names().await;
            names.map(Some).map_err(|e| to_scim(&e, "list roles"))
        };
        let (groups, roles) = futures::try_join!(groups, roles)?;
        Ok(Tables { groups, roles })
    }

    /// Renders one Zoom user as SCIM JSON (unprojected) and its version when complete.
    /// `phone` is `Some` when the phone state was read (`Some(None)`: no profile).
    async fn render(
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
                .map_err(|e| to_scim(&e, "resolve the manager's e-mail"))?;
        }
        let ctx = UserContext {
            base_url: &self.base_url,
            group_names: tables.groups.as_deref(),
            role_names: tables.roles.as_deref(),
            manager_id,
            phone,
        };
        let mut json = user_to_scim(user, id, &ctx);
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
    pub(super) async fn user_record(&self, id: &str) -> Result<ZoomUser, ScimError> {
        let user = self
            .zoom
            .get_user(id)
            .await
            .map_err(|e| to_scim(&e, &format!("read user {id}")))?;
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
        let tables = self.tables(needs).await?;
        let (json, version) = self
            .render(
                &user,
                id,
                needs,
                &tables,
                phone.as_ref().map(Option::as_ref),
            )
            .await?;
        Ok((user, json, version))
    }

    /// Reads the current full state of a user (detail, look-ups and phone profile), for
    /// writes (their `If-Match` check, their difference and their answer);
    /// `expect_active`: see [`Provider::record_and_phone`].
    pub(super) async fn read_user_state(
        &self,
        id: &str,
        expect_active: bool,
    ) -> Result<UserState, ScimError> {
        let (user, phone) = self.record_and_phone(id, false, expect_active).await?;
        self.lookups.user_seen(id, &user);
        let (json, etag) = self.render_state(&user, id, phone.as_ref()).await?;
        Ok(UserState {
            user,
            phone,
            json,
            etag,
        })
    }

    /// Renders a whole resource from a Zoom record and its phone view: what a full read
    /// of that record answers, version included.
    pub(super) async fn render_state(
        &self,
        user: &ZoomUser,
        id: &str,
        phone: Option<&PhoneView>,
    ) -> Result<(Value, String), ScimError> {
        let needs = Needs::all();
        let tables = self.tables(needs).await?;
        let (json, version) = self.render(user, id, needs, &tables, Some(phone)).await?;
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
        let (_, json, version) = self.read_user(id, Needs::all()).await?;
        Ok(ScimResource {
            body: selection.project(&json, Self::user_schema()),
            etag: version,
            location: user_location(&self.base_url, id),
            warnings: Vec::new(),
        })
    }

    /// `GET /Users` and `POST /Users/.search`.
    pub async fn list_users(&self, query: &ListQuery) -> Result<ListResponse, ScimError> {
        let schema = Self::user_schema();
        if let Some(filter) = &query.filter {
            filter.validate(schema)?;
        }
        let filter = query.filter.as_ref();
        let source = user_source(filter);
        let deep_allowed = if filter.is_none() {
            self.config.scim.deep_import
        } else {
            self.config.scim.deep_get
        };
        let needs = Needs::for_request(&query.selection, filter, deep_allowed);
        let phone = phone_scope(filter);
        match source {
            UserSource::Empty => Ok(ListResponse::new(0, query.start_index, Vec::new())),
            UserSource::Listing { statuses, role_id } if exactly_pushed_down(filter) => {
                self.list_by_cursor(statuses, role_id, query, needs).await
            }
            UserSource::Listing { statuses, role_id } if phone.phone_users_only => {
                self.list_phone_first(statuses, role_id, &phone, query, needs)
                    .await
            }
            other => self.list_materialized(other, query, needs).await,
        }
    }

    /// Resolves ids of pending users (listed without one) and fetches details where
    /// needed, with bounded concurrency, preserving order; calls a lookahead started are
    /// awaited, not repeated. Users that vanished in the meantime are skipped.
    async fn complete_users(
        &self,
        users: Vec<ZoomUser>,
        needs: Needs,
        mut ahead: HashMap<String, DetailAhead>,
    ) -> Result<Vec<(String, ZoomUser)>, ScimError> {
        let prepared: Vec<_> = users
            .into_iter()
            .map(|user| {
                let started = match (&user.id, needs.detail) {
                    (Some(_), false) => None,
                    _ => ahead.remove(&email_key(&user)),
                };
                (user, started)
            })
            .collect();
        // Collected first: a mapping closure kept inside this future trips rustc's
        // higher-ranked `Send` check on the shared futures' trait objects.
        let calls: Vec<_> = prepared
            .into_iter()
            .map(|(user, started)| self.complete_user(user, started, needs))
            .collect();
        let results: Vec<Result<Completed, ScimError>> = futures::stream::iter(calls)
            .buffered(self.deep_concurrency())
            .collect()
            .await;
        results.into_iter().filter_map(Result::transpose).collect()
    }

    /// One user of [`Self::complete_users`].
    async fn complete_user(
        &self,
        user: ZoomUser,
        started: Option<DetailAhead>,
        needs: Needs,
    ) -> Result<Completed, ScimError> {
        if let (Some(id), false) = (&user.id, needs.detail) {
            return Ok(Some((id.clone(), user)));
        }
        if let Some(started) = started {
            match started.await {
                Some(outcome) => return Ok(outcome),
                None => tracing::debug!(
                    email = %user.email,
                    "a detail call started ahead failed; repeating it"
                ),
            }
        } else {
            tracing::trace!(email = %user.email, "detail call not started ahead");
        }
        fetch_detail(&self.zoom, &self.lookups, &user).await
    }

    /// Starts the calls the next `count` users of the walk need (the rest of the
    /// buffer, then the next Zoom list page, fetched ahead too) in the background, so
    /// that they overlap the current page's calls and the client's turnaround: the
    /// pacer never idles between SCIM pages. Without `detail`, only invitees listed
    /// without an id need one. An abandoned walk wastes at most one page of calls.
    fn start_lookahead(&self, cursor: &mut Cursor, count: usize, detail: bool) {
        cursor.warm.drivers.retain(|d| !d.is_finished());
        let needs_call = move |user: &ZoomUser| detail || user.id.is_none();
        let mut map = cursor
            .warm
            .ahead
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut started: Vec<DetailAhead> = Vec::new();
        for user in cursor
            .warm
            .buffer
            .iter()
            .take(count)
            .filter(|u| needs_call(u))
        {
            if let Entry::Vacant(slot) = map.entry(email_key(user)) {
                let call = detail_ahead(&self.zoom, &self.lookups, user.clone());
                started.push(slot.insert(call).clone());
            }
        }
        drop(map);
        let remaining = count.saturating_sub(cursor.warm.buffer.len());
        let mut page = None;
        if remaining > 0
            && let Some(token) = cursor.next_token.clone()
        {
            let fetch = match &cursor.warm.next_page {
                Some((fetched_for, fetch)) if *fetched_for == token => fetch.clone(),
                _ => {
                    let (zoom, lookups, ahead) = (
                        self.zoom.clone(),
                        self.lookups.clone(),
                        cursor.warm.ahead.clone(),
                    );
                    let (page_size, status) = (
                        self.config.zoom.page_size,
                        cursor.statuses[cursor.status_index],
                    );
                    let (role_id, for_token) = (cursor.role_id.clone(), token.clone());
                    // The page's users are registered before the page is handed out:
                    // the request that consumes the page then finds their calls
                    // started, whichever task sees the page first.
                    let fetch: PageAhead = async move {
                        let (items, next, _) = fetch_list_page(
                            &zoom,
                            page_size,
                            status,
                            role_id.as_deref(),
                            Some(&for_token),
                        )
                        .await
                        .ok()?;
                        let mut map = ahead
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                        for user in items.iter().take(remaining).filter(|u| needs_call(u)) {
                            if let Entry::Vacant(slot) = map.entry(email_key(user)) {
                                slot.insert(detail_ahead(&zoom, &lookups, user.clone()));
                            }
                        }
                        drop(map);
                        Some((items, next))
                    }
                    .boxed()
                    .shared();
                    cursor.warm.next_page = Some((token, fetch.clone()));
                    fetch
                }
            };
            page = Some(fetch);
        }
        if started.is_empty() && page.is_none() {
            return;
        }
        let ahead = cursor.warm.ahead.clone();
        let concurrency = self.deep_concurrency();
        cursor.warm.drivers.push(tokio::spawn(async move {
            if let Some(page) = page
                && let Some((items, _)) = page.await
            {
                // Calls the page registered and no request has taken yet.
                let map = ahead
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                for user in items.iter().take(remaining).filter(|u| needs_call(u)) {
                    if let Some(call) = map.get(&email_key(user)) {
                        started.push(call.clone());
                    }
                }
            }
            futures::stream::iter(started)
                .buffer_unordered(concurrency)
                .for_each(|_| async {})
                .await;
        }));
    }

    /// Renders a page of a cursor walk. Returns the phone-user listing when it was read
    /// for this page, for the cursor to keep.
    async fn render_page(
        &self,
        users: Vec<ZoomUser>,
        needs: Needs,
        selection: &AttributeSelection,
        ahead: HashMap<String, DetailAhead>,
        known_phone: Option<Arc<PhoneIndex>>,
    ) -> Result<(Vec<Value>, Option<Arc<PhoneIndex>>), ScimError> {
        let count = users.len();
        let (tables, users) =
            futures::try_join!(self.tables(needs), self.complete_users(users, needs, ahead))?;
        let (phone, fresh) = if needs.phone {
            let (index, fresh) = self.phone_for_page(&users, known_phone).await?;
            (Some(index.clone()), fresh.then_some(index))
        } else {
            (None, None)
        };
        let mut out = Vec::with_capacity(count);
        for (id, user) in &users {
            let view = phone.as_ref().map(|p| p.of(id, user));
            let view = view.as_ref().map(Option::as_ref);
            let (json, _) = self.render(user, id, needs, &tables, view).await?;
            out.push(selection.project(&json, Self::user_schema()));
        }
        Ok((out, fresh))
    }

    async fn fetch_page(
        &self,
        status: ZoomStatus,
        role_id: Option<&str>,
        token: Option<&str>,
    ) -> Result<(Vec<ZoomUser>, Option<String>, u64), ScimError> {
        fetch_list_page(
            &self.zoom,
            self.config.zoom.page_size,
            status,
            role_id,
            token,
        )
        .await
    }

    async fn new_cursor(
        &self,
        statuses: Vec<ZoomStatus>,
        role_id: Option<String>,
    ) -> Result<Cursor, ScimError> {
        // The first page of every status at once: their totals make `totalResults`.
        let firsts = futures::future::try_join_all(
            statuses
                .iter()
                .map(|status| self.fetch_page(*status, role_id.as_deref(), None)),
        )
        .await?;
        let mut totals = Vec::new();
        let mut first_pages = Vec::new();
        for (items, next, total) in firsts {
            totals.push(total);
            first_pages.push(Some((items, next)));
        }
        // Walked now; the later statuses' first pages are kept with the warm part (a
        // walk that lost it fetches them again when it reaches them).
        let (items, next) = first_pages
            .first_mut()
            .and_then(Option::take)
            .unwrap_or_default();
        Ok(Cursor {
            statuses,
            role_id,
            totals,
            status_index: 0,
            next_token: next,
            fetch_first: false,
            page_token: None,
            page_taken: 0,
            refetch: false,
            tokens_seen: PageTokens::default(),
            offset: 0,
            status_start: 0,
            warm: {
                let mut warm = Warm::default();
                warm.buffer = items.into();
                warm.first_pages = first_pages;
                warm
            },
        })
    }

    /// Hands out the next `count` users of the walk, fetching Zoom pages as needed.
    async fn advance(
        &self,
        cursor: &mut Cursor,
        skip_to: usize,
        count: usize,
    ) -> Result<Vec<ZoomUser>, ScimError> {
        let mut out = Vec::new();
        while cursor.status_index < cursor.statuses.len() && out.len() < count {
            // Skip whole statuses whose totals lie before the target.
            let status_end = cursor.status_start + cursor.totals[cursor.status_index] as usize;
            if cursor.offset == cursor.status_start && skip_to >= status_end {
                cursor.next_status(status_end);
                continue;
            }
            let status = cursor.statuses[cursor.status_index];
            if cursor.refetch || cursor.fetch_first {
                let token = if cursor.fetch_first {
                    None
                } else {
                    cursor.page_token.clone()
                };
                let (items, next, _) = self
                    .fetch_page(status, cursor.role_id.as_deref(), token.as_deref())
                    .await?;
                let skip = if cursor.fetch_first {
                    0
                } else {
                    cursor.page_taken
                };
                cursor.fetch_first = false;
                cursor.refetch = false;
                cursor.page_token = token;
                cursor.page_taken = skip.min(items.len());
                cursor.warm.buffer = items.into_iter().skip(skip).collect();
                // The page fetched again may carry the next token already met.
                let known = next.is_some() && next == cursor.next_token;
                cursor.next_token = next;
                if !known {
                    cursor.check_next_token()?;
                }
                if cursor.warm.buffer.is_empty() && cursor.next_token.is_none() {
                    cursor.next_status(cursor.offset);
                }
                continue;
            }
            if let Some(user) = cursor.warm.buffer.pop_front() {
                if cursor.offset >= skip_to {
                    out.push(user);
                }
                cursor.offset += 1;
                cursor.page_taken += 1;
                continue;
            }
            match cursor.next_token.take() {
                Some(token) => {
                    let ahead = match cursor.warm.next_page.take() {
                        Some((fetched_for, fetch)) if fetched_for == token => fetch.await,
                        _ => None,
                    };
                    let (items, next) = match ahead {
                        Some(page) => page,
                        None => {
                            let (items, next, _) = self
                                .fetch_page(status, cursor.role_id.as_deref(), Some(&token))
                                .await?;
                            (items, next)
                        }
                    };
                    if items.is_empty() {
                        cursor.next_status(cursor.offset);
                    } else {
                        cursor.warm.buffer.extend(items);
                        cursor.next_token = next;
                        cursor.page_token = Some(token);
                        cursor.page_taken = 0;
                        cursor.check_next_token()?;
                    }
                }
                None => cursor.next_status(cursor.offset),
            }
        }
        Ok(out)
    }

    /// Listing answered exactly by Zoom's status/role lists: streamed page by page with
    /// a cursor cache, so sequential SCIM paging costs about N/page_size list calls.
    async fn list_by_cursor(
        &self,
        statuses: Vec<ZoomStatus>,
        role_id: Option<String>,
        query: &ListQuery,
        needs: Needs,
    ) -> Result<ListResponse, ScimError> {
        let fp = fingerprint(&statuses, role_id.as_deref());
        let skip_to = query.start_index.saturating_sub(1);
        // A cursor may save calls, never change an answer: a walk from the start
        // (`startIndex=1`) always asks Zoom, so an earlier empty answer is not served.
        let kept = if skip_to == 0 {
            None
        } else {
            self.cursors.take((fp, skip_to)).await
        };
        let (mut cursor, continuing) = match kept {
            Some(cursor) => (cursor, true),
            None => (self.new_cursor(statuses, role_id).await?, false),
        };
        let total: u64 = cursor.totals.iter().sum();
        let users = if query.count == 0 {
            Vec::new()
        } else {
            self.advance(&mut cursor, skip_to, query.count).await?
        };
        // The calls started ahead for this page, by an earlier one.
        let ahead: HashMap<String, DetailAhead> = {
            let mut map = cursor
                .warm
                .ahead
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            users
                .iter()
                .filter_map(|u| map.remove_entry(&email_key(u)))
                .collect()
        };
        // Only a walk that came back for a next page looks ahead: a client that reads
        // one page (a console's first screen) pays for that page alone.
        if continuing && query.count > 0 {
            self.start_lookahead(&mut cursor, query.count, needs.detail);
        }
        let (resources, phone) = self
            .render_page(
                users,
                needs,
                &query.selection,
                ahead,
                cursor.warm.phone.clone(),
            )
            .await?;
        if phone.is_some() {
            cursor.warm.phone = phone;
        }
        // Exhausted cursors are kept too: clients ask for one more (empty) page after
        // the last, and the cursor still knows the totals.
        if query.count > 0 {
            self.cursors.put((fp, cursor.offset), cursor).await;
        }
        Ok(ListResponse::new(
            total as usize,
            query.start_index,
            resources,
        ))
    }

    /// Listing that needs in-memory evaluation: every candidate is read, rendered and
    /// tested; the matching resources are the result (exact `totalResults`).
    async fn list_materialized(
        &self,
        source: UserSource,
        query: &ListQuery,
        needs: Needs,
    ) -> Result<ListResponse, ScimError> {
        let candidates = self.candidates(&source).await?;
        // Group members carry no status: they always need the detail record.
        let needs = if matches!(source, UserSource::GroupMembers(_)) {
            Needs {
                detail: true,
                ..needs
            }
        } else {
            needs
        };
        self.evaluate(candidates, query, needs, None).await
    }

    /// A search pinned to phone users (see [`PhoneScope`]): the matching phone users
    /// come from `GET /phone/users` with the filter's site, plan and extension or
    /// number pushed down; their user records are then read one by one, or, for many,
    /// taken from the user listing. The whole filter is evaluated over the result.
    async fn list_phone_first(
        &self,
        statuses: Vec<ZoomStatus>,
        role_id: Option<String>,
        scope: &PhoneScope,
        query: &ListQuery,
        needs: Needs,
    ) -> Result<ListResponse, ScimError> {
        let empty = || Ok(ListResponse::new(0, query.start_index, Vec::new()));
        let sites = self.phone_sites().await?;
        if !sites.phone_enabled() {
            return empty();
        }
        // Every site term must name the same, existing site.
        let mut site_ids = Vec::new();
        if let Some(id) = &scope.site_id {
            site_ids.push(sites.get(id).and_then(|s| s.id.clone()));
        }
        if let Some(name) = &scope.site_name {
            let site = self
                .lookups
                .site_by_name(name)
                .await
                .map_err(|e| to_scim(&e, "list phone sites"))?;
            site_ids.push(site.and_then(|s| s.id));
        }
        if let Some(code) = scope.site_code {
            site_ids.push(sites.by_code(code).and_then(|s| s.id.clone()));
        }
        let site_id = match site_ids.split_first() {
            None => None,
            Some((Some(first), rest)) if rest.iter().all(|s| s.as_ref() == Some(first)) => {
                Some(first.clone())
            }
            Some(_) => return empty(),
        };
        let keyword = scope.extension.clone().or_else(|| {
            scope.number.as_deref().map(|n| {
                let digits: String = n.chars().filter(char::is_ascii_digit).collect();
                if digits.is_empty() {
                    n.to_owned()
                } else {
                    digits
                }
            })
        });
        let listing = ListPhoneUsersQuery {
            site_id,
            calling_type: scope.calling_plan,
            keyword,
            page_size: None,
        };
        let index = Arc::new(self.phone_listing(listing, &sites).await?);
        let (candidates, needs) = if index.len() <= PHONE_FIRST_PER_USER_MAX {
            let users = index
                .ids()
                .map(|id| ZoomUser {
                    id: Some(id.to_owned()),
                    ..ZoomUser::default()
                })
                .collect();
            // Only ids are known: every record is read.
            let needs = Needs {
                detail: true,
                ..needs
            };
            (users, needs)
        } else {
            let all = self
                .candidates(&UserSource::Listing { statuses, role_id })
                .await?;
            let users = all
                .into_iter()
                .filter(|u| u.id.as_deref().is_some_and(|id| index.has(id, u)))
                .collect();
            (users, needs)
        };
        self.evaluate(candidates, query, needs, Some(index)).await
    }

    /// The users a source yields, as Zoom lists them.
    async fn candidates(&self, source: &UserSource) -> Result<Vec<ZoomUser>, ScimError> {
        let candidates: Vec<ZoomUser> = match source {
            UserSource::ById(id) => match self.zoom.get_user(id).await {
                Ok(user) if user.id.as_deref() == Some(id.as_str()) => vec![user],
                Ok(_) => Vec::new(),
                Err(e) if e.is_not_found() => Vec::new(),
                Err(e) => return Err(to_scim(&e, &format!("read user {id}"))),
            },
            UserSource::ByEmail(email) => match self.zoom.get_user(email).await {
                Ok(user) if user.email.eq_ignore_ascii_case(email) => vec![user],
                Ok(_) => Vec::new(),
                Err(e) if e.is_not_found() => Vec::new(),
                // An e-mail Zoom cannot parse is simply not a user.
                Err(e) if e.status == Some(400) => Vec::new(),
                Err(e) => return Err(to_scim(&e, "look a user up by e-mail")),
            },
            UserSource::GroupMembers(group_id) => {
                let members: Vec<_> =
                    match self.zoom.list_group_members(group_id).try_collect().await {
                        Ok(m) => m,
                        Err(e) if e.is_not_found() => Vec::new(),
                        Err(e) => {
                            return Err(to_scim(&e, &format!("list members of group {group_id}")));
                        }
                    };
                members
                    .into_iter()
                    .map(|m| ZoomUser {
                        id: m.id,
                        email: m.email,
                        ..ZoomUser::default()
                    })
                    .collect()
            }
            UserSource::Listing { statuses, role_id } => {
                let mut all = Vec::new();
                for status in statuses {
                    let listing = ListUsersQuery {
                        status: Some((*status).into()),
                        role_id: role_id.clone(),
                        page_size: Some(self.config.zoom.page_size),
                    };
                    let users: Vec<ZoomUser> = self
                        .zoom
                        .list_users(listing)
                        .try_collect()
                        .await
                        .map_err(|e| to_scim(&e, &format!("list {} users", status.as_str())))?;
                    all.extend(users);
                }
                all
            }
            UserSource::Empty => Vec::new(),
        };
        Ok(candidates)
    }

    /// Completes, renders and tests `candidates` against the query's filter; the
    /// matching resources are the result (exact `totalResults`). Phone attributes come
    /// from `phone` when given, else from [`Self::phone_for_page`].
    async fn evaluate(
        &self,
        candidates: Vec<ZoomUser>,
        query: &ListQuery,
        needs: Needs,
        phone: Option<Arc<PhoneIndex>>,
    ) -> Result<ListResponse, ScimError> {
        let schema = Self::user_schema();
        let tables = self.tables(needs).await?;
        let users = self
            .complete_users(candidates, needs, HashMap::new())
            .await?;
        let phone = if needs.phone {
            Some(self.phone_for_page(&users, phone).await?.0)
        } else {
            None
        };
        let mut matching = Vec::new();
        for (id, user) in &users {
            let view = phone.as_ref().map(|p| p.of(id, user));
            let view = view.as_ref().map(Option::as_ref);
            let (json, _) = self.render(user, id, needs, &tables, view).await?;
            if query
                .filter
                .as_ref()
                .is_none_or(|f| f.matches(&json, schema))
            {
                matching.push(json);
            }
        }
        let total = matching.len();
        let start = query.start_index.saturating_sub(1);
        let page: Vec<Value> = matching
            .into_iter()
            .skip(start)
            .take(query.count)
            .map(|json| query.selection.project(&json, schema))
            .collect();
        Ok(ListResponse::new(total, query.start_index, page))
    }
}

impl Cursor {
    /// Refuses a next-page token this status's walk has already met (502).
    fn check_next_token(&mut self) -> Result<(), ScimError> {
        match &self.next_token {
            Some(next) => self
                .tokens_seen
                .meet(next)
                .map_err(|e| to_scim(&e, "list users")),
            None => Ok(()),
        }
    }

    /// Moves to the next status; `offset` is where it starts in the whole sequence.
    fn next_status(&mut self, offset: usize) {
        self.tokens_seen.clear();
        self.status_index += 1;
        self.offset = offset;
        self.status_start = offset;
        self.refetch = false;
        self.page_token = None;
        self.page_taken = 0;
        let first = self
            .warm
            .first_pages
            .get_mut(self.status_index)
            .and_then(Option::take);
        match first {
            Some((items, next)) => {
                self.warm.buffer = items.into();
                self.next_token = next;
                self.fetch_first = false;
            }
            None => {
                self.warm.buffer.clear();
                self.next_token = None;
                self.fetch_first = true;
            }
        }
    }
}
