//! Cursor walks over Zoom's user lists: SCIM offsets mapped onto Zoom page tokens, kept
//! between SCIM pages with a byte budget, and calls started ahead for the coming page.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{BoxFuture, Shared};
use futures::{FutureExt, StreamExt};
use serde_json::Value;
use tracing::Instrument;

use super::list::{Completed, fetch_detail};
use super::read::Needs;
use crate::provider::failure::zoom_failure;
use crate::provider::listing::{HELD_PAGE_MAX, ListSender, Listing, STREAM_CHUNK};
use crate::provider::phone_read::PhoneIndex;
use crate::provider::settings::ScimConfig;
use crate::provider::{Lookups, Provider};
use crate::scim::error::ScimError;
use crate::scim::model::ListResponse;
use crate::scim::projection::AttributeSelection;
use crate::scim::query::ListQuery;
use crate::zoom::ZoomClient;
use crate::zoom::model::{ListUsersQuery, UserStatus, ZoomUser};
use crate::zoom::paging::PageTokens;

/// One position in a walk over Zoom's user lists, kept between SCIM pages.
///
/// What resuming needs is small (the list, the Zoom page token and the offset) and is
/// kept for every walk; what only saves calls (the rest of the current Zoom page, calls
/// started ahead, the walk's phone listing) is [`Warm`], kept within a byte budget: a
/// walk whose warm part was dropped fetches its current page again and goes on.
#[derive(Debug)]
struct Cursor {
    statuses: Vec<UserStatus>,
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

/// A detail call started ahead; `None` when it failed: the page's own request then
/// repeats it and reports the error.
pub(super) type DetailAhead = Shared<BoxFuture<'static, Option<Completed>>>;

/// A Zoom list page fetched ahead: items and next token; `None` when it failed.
type PageAhead = Shared<BoxFuture<'static, Option<(Vec<ZoomUser>, Option<String>)>>>;

pub(super) fn email_key(user: &ZoomUser) -> String {
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

/// One page of a Zoom user list: items, the next token (if any) and `total_records`.
async fn fetch_list_page(
    zoom: &ZoomClient,
    page_size: u32,
    status: UserStatus,
    role_id: Option<&str>,
    token: Option<&str>,
) -> Result<(Vec<ZoomUser>, Option<String>, u64), ScimError> {
    let query = ListUsersQuery {
        status: Some(status.clone()),
        role_id: role_id.map(str::to_owned),
        page_size: Some(page_size),
    };
    let page = zoom
        .list_users_page(&query, token)
        .await
        .map_err(|e| zoom_failure(&e, &format!("list {} users", status.as_str())))?;
    let next = page.next_page_token.filter(|t| !t.is_empty());
    Ok((page.items, next, page.total_records.unwrap_or_default()))
}

/// Cursors kept for sequential SCIM paging, keyed by (query fingerprint, offset): the
/// resume points by count (`scim.cursor_cache_size`, each a few hundred bytes), their
/// warm parts by bytes (`scim.cursor_cache_mib`).
pub(in crate::provider) struct CursorCache {
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
    pub(in crate::provider) fn new(config: &ScimConfig) -> Self {
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

fn fingerprint(statuses: &[UserStatus], role_id: Option<&str>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    statuses.hash(&mut hasher);
    role_id.hash(&mut hasher);
    hasher.finish()
}

impl Provider {
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
                        self.zoom.default_page_size(),
                        cursor.statuses[cursor.status_index].clone(),
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
        let (mut tables, users) =
            futures::try_join!(self.tables(needs), self.complete_users(users, needs, ahead))?;
        tables.set_extras(self.page_extras(&users).await);
        let (phone, fresh) = if needs.phone {
            let (index, fresh) = self.phone_for_page(&users, known_phone).await?;
            (Some(index.clone()), fresh.then_some(index))
        } else {
            (None, None)
        };
        let mut rendered = Vec::with_capacity(users.len());
        for (id, user) in &users {
            let view = phone.as_ref().map(|p| p.of(id, user));
            let view = view.as_ref().map(Option::as_ref);
            let (json, version) = self.render(user, id, needs, &tables, view).await?;
            rendered.push((id.clone(), version, json));
        }
        self.note_full_reads(&mut rendered).await;
        let mut out = Vec::with_capacity(count);
        for (_, _, json) in &rendered {
            out.push(selection.project(json, Self::user_schema()));
        }
        Ok((out, fresh))
    }

    async fn fetch_page(
        &self,
        status: UserStatus,
        role_id: Option<&str>,
        token: Option<&str>,
    ) -> Result<(Vec<ZoomUser>, Option<String>, u64), ScimError> {
        fetch_list_page(
            &self.zoom,
            self.zoom.default_page_size(),
            status,
            role_id,
            token,
        )
        .await
    }

    async fn new_cursor(
        &self,
        statuses: Vec<UserStatus>,
        role_id: Option<String>,
    ) -> Result<Cursor, ScimError> {
        // The first page of every status at once: their totals make `totalResults`.
        let firsts = futures::future::try_join_all(
            statuses
                .iter()
                .map(|status| self.fetch_page(status.clone(), role_id.as_deref(), None)),
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
            let status = cursor.statuses[cursor.status_index].clone();
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

    /// Listing answered exactly by Zoom's status/role lists, walked with a cursor
    /// cache so that sequential SCIM paging costs about N/page_size list calls. A page
    /// is never shorter than `count` unless it is the last (users that vanished during
    /// the walk are made up from the next ones); a listing longer than
    /// [`HELD_PAGE_MAX`] is streamed.
    pub(super) async fn list_by_cursor(
        self: &Arc<Self>,
        statuses: Vec<UserStatus>,
        role_id: Option<String>,
        query: &ListQuery,
        needs: Needs,
    ) -> Result<Listing, ScimError> {
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
        let total = usize::try_from(cursor.totals.iter().sum::<u64>()).unwrap_or(usize::MAX);
        let wanted = query.page_len();
        if wanted > HELD_PAGE_MAX && total.saturating_sub(skip_to) > HELD_PAGE_MAX {
            let (tx, stream) = ListSender::channel(query.start_index, Some(total));
            let (provider, selection) = (Arc::clone(self), query.selection.clone());
            let keep_cursor = query.count.is_some();
            tokio::spawn(
                async move {
                    let sent = provider
                        .stream_walk(&mut cursor, skip_to, wanted, needs, &selection, &tx)
                        .await;
                    if let Ok(Some(sent)) = sent
                        && keep_cursor
                    {
                        provider.cursors.put((fp, skip_to + sent), cursor).await;
                    }
                    match sent {
                        Ok(Some(_)) => tx.finish(Ok(None)).await,
                        Ok(None) => {}
                        Err(e) => tx.finish(Err(e)).await,
                    }
                }
                .instrument(tracing::Span::current()),
            );
            return Ok(Listing::Streamed(stream));
        }
        let mut resources = Vec::new();
        while resources.len() < wanted {
            let users = self
                .advance(&mut cursor, skip_to, wanted - resources.len())
                .await?;
            if users.is_empty() {
                break;
            }
            let ahead = take_ahead(&cursor, &users);
            // Only a walk that came back for a next page looks ahead: a client that
            // reads one page (a console's first screen) pays for that page alone.
            if continuing && resources.is_empty() {
                self.start_lookahead(&mut cursor, wanted, needs.detail);
            }
            let (page, phone) = self
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
            resources.extend(page);
        }
        // Exhausted cursors are kept too: clients ask for one more (empty) page after
        // the last, and the cursor still knows the totals. The key is the SCIM offset
        // the next page starts at.
        if wanted > 0 {
            self.cursors
                .put((fp, skip_to + resources.len()), cursor)
                .await;
        }
        Ok(Listing::Page(ListResponse::new(
            total,
            query.start_index,
            resources,
        )))
    }

    /// Sends the walk's users a chunk at a time, each chunk's calls overlapping the
    /// next one's (started ahead) and the client's reading. `Ok(None)`: the client left.
    async fn stream_walk(
        &self,
        cursor: &mut Cursor,
        skip_to: usize,
        wanted: usize,
        needs: Needs,
        selection: &AttributeSelection,
        tx: &ListSender,
    ) -> Result<Option<usize>, ScimError> {
        let mut sent = 0;
        while sent < wanted {
            let users = self
                .advance(cursor, skip_to, (wanted - sent).min(STREAM_CHUNK))
                .await?;
            if users.is_empty() {
                break;
            }
            let ahead = take_ahead(cursor, &users);
            let next = (wanted - sent - users.len()).min(STREAM_CHUNK);
            if next > 0 {
                self.start_lookahead(cursor, next, needs.detail);
            }
            let (resources, phone) = self
                .render_page(users, needs, selection, ahead, cursor.warm.phone.clone())
                .await?;
            if phone.is_some() {
                cursor.warm.phone = phone;
            }
            sent += resources.len();
            if !tx.resources(resources).await {
                tracing::info!(sent, "The client left a streamed listing; it stops.");
                return Ok(None);
            }
        }
        Ok(Some(sent))
    }
}

/// The calls started ahead for `users`, by an earlier page, taken out of the walk.
fn take_ahead(cursor: &Cursor, users: &[ZoomUser]) -> HashMap<String, DetailAhead> {
    let mut map = cursor
        .warm
        .ahead
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    users
        .iter()
        .filter_map(|u| map.remove_entry(&email_key(u)))
        .collect()
}

impl Cursor {
    /// Refuses a next-page token this status's walk has already met (502).
    fn check_next_token(&mut self) -> Result<(), ScimError> {
        match &self.next_token {
            Some(next) => self
                .tokens_seen
                .meet(next)
                .map_err(|e| zoom_failure(&e, "list users")),
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
