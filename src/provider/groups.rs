//! SCIM Groups over Zoom groups (RFC 7644 sections 3.3-3.6 for `/Groups`): read, list
//! and search with filter push-down, create with the duplicates policy, PATCH in every
//! client dialect, PUT and DELETE, all membership changes made by difference; and the
//! user-side helper that moves one user between groups by difference.
//!
//! Choices worth knowing:
//! - Member lists are read only when a response or a filter needs them
//!   (`excludedAttributes=members` and `attributes=displayName` make no member call), or
//!   when a write needs the current list (replace, remove all, remove by a general
//!   filter, PUT with `members`, or an `If-Match` to check).
//! - `meta.version` is a weak ETag over the id, the name and the set of member ids
//!   ([`crate::mapping::group::group_version`]); it is only sent when the member list
//!   was read.
//! - Member ids to add are checked before anything changes: an id Zoom does not know is
//!   400 naming it, and nothing is applied. Removing a user who is not a member is not
//!   an error (RFC 7644 section 3.5.2.2: there is no matching value to remove).
//! - Writes run removals first, then additions (a failure part-way leaves fewer grants,
//!   never more); additions go in batches of 30 (`POST /groups/{groupId}/members`);
//!   pending users join through `PATCH /users/{userId}` with `group_id`, the one way
//!   Zoom documents for them (it silently ignores pending users in member adds), and
//!   are read back to confirm.
//! - Writes to one group run one at a time (`group:{id}` in [`super::ResourceLocks`]).
//! - Listings use the account's group list cached for a minute ([`super::Lookups`]);
//!   writes through this service refresh it at once, and a `displayName eq` look-up
//!   that misses (or finds a stale entry) reads the list again before answering.

use std::collections::{HashMap, HashSet};

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::progress::{Progress, StepError};
use super::{Precondition, Provider, ScimResource, WriteOutcome};
use crate::config::DuplicatePolicy;
use crate::mapping::error::to_scim;
use crate::mapping::group::{
    GroupPatch, GroupSource, MemberChanges, MemberOp, difference, filter_uses_members, group_input,
    group_location, group_source, group_version, member_changes, member_json,
    to_scim as group_to_scim,
};
use crate::scim::error::{ScimError, clip};
use crate::scim::model::ListResponse;
use crate::scim::patch::PatchRequest;
use crate::scim::projection::AttributeSelection;
use crate::scim::query::ListQuery;
use crate::scim::schema::{ResourceSchema, SchemaRegistry};
use crate::zoom::model::{
    Group, GroupCreate, ListUsersQuery, Member, UpdateUser, UserStatus, ZoomUser,
};
use crate::zoom::paging::PageTokens;
use crate::zoom::same_group_name;

/// "Add members ... up to 30" per `POST /groups/{groupId}/members` (Zoom Users API,
/// `members` `maximum: 30`).
const MEMBERS_PER_ADD: usize = 30;

/// Up to this many member ids are checked with one `GET /users/{userId}` each; more
/// may be checked by walking the user lists instead, when that costs fewer calls.
const DIRECT_LOOKUPS_MAX: usize = 50;

/// Unknown ids named in an error detail at most (the rest are counted).
const NAMED_IDS_MAX: usize = 20;

/// What a membership change needs to know about a user.
#[derive(Debug, Clone, Default)]
struct UserFacts {
    /// Invited, not confirmed: joins groups through `PATCH /users/{userId}`.
    pending: bool,
    /// The user's groups (`group_ids`).
    group_ids: Vec<String>,
}

impl UserFacts {
    fn from_user(user: &ZoomUser) -> Self {
        UserFacts {
            pending: user.status.as_deref() == Some("pending"),
            group_ids: user.group_ids.clone(),
        }
    }
}

/// A refused member add's users, read.
#[derive(Debug, Default)]
struct RecheckedBatch {
    unknown: Vec<String>,
    to_add: Vec<String>,
}

/// The Zoom calls that carry out member changes, in the order they run.
#[derive(Debug, Default)]
struct MemberPlan {
    /// `DELETE /groups/{groupId}/members/{memberId}`, one per user.
    remove: Vec<String>,
    /// `POST /groups/{groupId}/members`, at most 30 users each.
    batches: Vec<Vec<String>>,
    /// Pending users: `PATCH /users/{userId}` with `group_id`.
    pending: Vec<String>,
}

impl MemberPlan {
    /// Plans `changes` for group `group_id`: additions of users who already are members
    /// (per their `group_ids`) are dropped.
    fn new(group_id: &str, changes: &MemberChanges, facts: &HashMap<String, UserFacts>) -> Self {
        let mut direct = Vec::new();
        let mut pending = Vec::new();
        for id in &changes.add {
            let fact = facts.get(id).cloned().unwrap_or_default();
            if fact.group_ids.iter().any(|g| g == group_id) {
                continue;
            }
            if fact.pending {
                pending.push(id.clone());
            } else {
                direct.push(id.clone());
            }
        }
        MemberPlan {
            remove: changes.remove.clone(),
            batches: direct
                .chunks(MEMBERS_PER_ADD)
                .map(<[String]>::to_vec)
                .collect(),
            pending,
        }
    }

    fn labels(&self) -> Vec<String> {
        let n = self.batches.len();
        self.remove
            .iter()
            .map(|id| remove_label(id))
            .chain(
                self.batches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| batch_label(i, n, b.len())),
            )
            .chain(self.pending.iter().map(|id| pending_label(id)))
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.batches.is_empty() && self.pending.is_empty()
    }
}

fn remove_label(user_id: &str) -> String {
    format!("remove member {user_id}")
}

fn batch_label(index: usize, of: usize, size: usize) -> String {
    format!("add members, batch {}/{of} ({size} users)", index + 1)
}

fn pending_label(user_id: &str) -> String {
    format!("add pending user {user_id} (user update with group_id)")
}

/// Member calls of one group write in flight at once: at Zoom's usual latency (60 to
/// 80 ms) eight keep the account's Light and Medium budgets busy (64 and 48 calls/s at a
/// 0.8 share), and the client's pacer keeps them within it.
const MEMBER_CALLS_AT_ONCE: usize = 8;

/// The key under which writes to one group are serialised ([`super::ResourceLocks`]):
/// each write reads the members, computes a difference and applies it, so two writes
/// to one group must not interleave.
fn group_lock(id: &str) -> String {
    format!("group:{id}")
}

fn rename_label(name: &str) -> String {
    format!("rename to '{name}'")
}

/// `a, b, c and 12 more` (each id clipped: ids come from requests).
pub(super) fn name_ids<S: AsRef<str>>(ids: &[S]) -> String {
    let shown: Vec<_> = ids
        .iter()
        .take(NAMED_IDS_MAX)
        .map(|id| clip(id.as_ref()))
        .collect();
    let mut text = shown.join(", ");
    if ids.len() > NAMED_IDS_MAX {
        text.push_str(&format!(" and {} more", ids.len() - NAMED_IDS_MAX));
    }
    text
}

/// The 400 for member ids that name no Zoom user; nothing was changed.
fn unknown_members(unknown: &[String]) -> ScimError {
    ScimError::invalid_value(format!(
        "members: Zoom has no user with id {}; nothing was changed",
        name_ids(unknown)
    ))
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
fn needs_version(precondition: &Precondition) -> bool {
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

/// A user whose group memberships change (see [`Provider::apply_user_groups`]).
#[derive(Debug, Clone, Copy)]
pub struct GroupMember<'a> {
    /// The Zoom user id.
    pub id: &'a str,
    /// Whether the user is pending (joins groups through a user update).
    pub pending: bool,
}

impl Provider {
    fn group_schema() -> &'static ResourceSchema {
        SchemaRegistry::global().group()
    }

    fn group_concurrency(&self) -> usize {
        self.config.zoom.max_concurrency.clamp(1, 32)
    }

    /// `GET /groups/{groupId}`; 404 when Zoom does not know it.
    async fn read_group(&self, id: &str) -> Result<Group, ScimError> {
        match self.zoom.get_group(id).await {
            Ok(group) => Ok(group),
            Err(e) if e.is_not_found() => {
                Err(ScimError::not_found(format!("group {id} not found")))
            }
            Err(e) => Err(to_scim(&e, &format!("read group {id}"))),
        }
    }

    /// Every member of a group (pages of 2000).
    async fn read_members(&self, id: &str) -> Result<Vec<Member>, ScimError> {
        match self.zoom.list_group_members(id).try_collect().await {
            Ok(members) => Ok(members),
            Err(e) if e.is_not_found() => {
                Err(ScimError::not_found(format!("group {id} not found")))
            }
            Err(e) => Err(to_scim(&e, &format!("list members of group {id}"))),
        }
    }

    fn group_json(&self, group: &Group, id: &str, members: Option<&[Member]>) -> Value {
        group_to_scim(group, id, members, &self.base_url)
    }

    fn group_resource(
        &self,
        json: &Value,
        id: &str,
        selection: &AttributeSelection,
        warnings: Vec<String>,
    ) -> ScimResource {
        ScimResource {
            body: selection.project(json, Self::group_schema()),
            etag: json
                .pointer("/meta/version")
                .and_then(Value::as_str)
                .map(str::to_owned),
            location: group_location(&self.base_url, id),
            warnings,
        }
    }

    /// Reads a group as `selection` needs it (members only when wanted).
    async fn read_group_resource(
        &self,
        id: &str,
        selection: &AttributeSelection,
        warnings: Vec<String>,
    ) -> Result<ScimResource, ScimError> {
        let group = self.read_group(id).await?;
        let members = if selection.wants("members") {
            Some(self.read_members(id).await?)
        } else {
            None
        };
        let json = self.group_json(&group, id, members.as_deref());
        Ok(self.group_resource(&json, id, selection, warnings))
    }

    /// `GET /Groups/{id}`.
    pub async fn get_group(
        &self,
        id: &str,
        selection: &AttributeSelection,
    ) -> Result<ScimResource, ScimError> {
        self.read_group_resource(id, selection, Vec::new()).await
    }

    /// The groups named `name` (Zoom names are unique, compared case-insensitively):
    /// from the cached list, confirmed with `GET /groups/{groupId}`; a miss or a stale
    /// entry reads the list again.
    async fn groups_named(&self, name: &str) -> Result<Vec<Group>, ScimError> {
        let find = |list: &[Group]| {
            list.iter()
                .find(|g| same_group_name(&g.name, name))
                .cloned()
        };
        let list = self
            .lookups
            .group_list()
            .await
            .map_err(|e| to_scim(&e, "list groups"))?;
        if let Some(cached) = find(&list)
            && let Some(id) = cached.id.as_deref()
        {
            match self.zoom.get_group(id).await {
                Ok(mut fresh) if same_group_name(&fresh.name, name) => {
                    fresh.id = Some(id.to_owned());
                    return Ok(vec![fresh]);
                }
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(to_scim(&e, &format!("read group {id}"))),
            }
        }
        self.lookups.forget_group_names().await;
        let list = self
            .lookups
            .group_list()
            .await
            .map_err(|e| to_scim(&e, "list groups"))?;
        Ok(find(&list).into_iter().collect())
    }

    /// The candidate groups for a filter (a superset of the matches).
    async fn group_candidates(&self, source: GroupSource) -> Result<Vec<Group>, ScimError> {
        match source {
            GroupSource::ById(id) => match self.zoom.get_group(&id).await {
                Ok(mut group) => {
                    group.id = Some(id);
                    Ok(vec![group])
                }
                Err(e) if e.is_not_found() => Ok(Vec::new()),
                Err(e) => Err(to_scim(&e, &format!("read group {id}"))),
            },
            GroupSource::ByName(name) => self.groups_named(&name).await,
            GroupSource::ByMember(user_id) => {
                let user = match self.zoom.get_user(&user_id).await {
                    Ok(user) if user.id.as_deref() == Some(user_id.as_str()) => user,
                    Ok(_) => return Ok(Vec::new()),
                    Err(e) if e.is_not_found() => return Ok(Vec::new()),
                    Err(e) => return Err(to_scim(&e, &format!("read user {user_id}"))),
                };
                let mut groups = Vec::new();
                for group_id in &user.group_ids {
                    match self.zoom.get_group(group_id).await {
                        Ok(mut group) => {
                            group.id = Some(group_id.clone());
                            groups.push(group);
                        }
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(to_scim(&e, &format!("read group {group_id}"))),
                    }
                }
                Ok(groups)
            }
            GroupSource::All => Ok(self
                .lookups
                .group_list()
                .await
                .map_err(|e| to_scim(&e, "list groups"))?
                .to_vec()),
        }
    }

    /// Reads the members of several groups with bounded concurrency, in order.
    async fn members_of(&self, groups: &[Group]) -> Result<Vec<Vec<Member>>, ScimError> {
        let ids: Vec<Option<String>> = groups.iter().map(|g| g.id.clone()).collect();
        futures::stream::iter(ids.into_iter().map(|id| async move {
            match id {
                Some(id) => self.read_members(&id).await,
                None => Ok(Vec::new()),
            }
        }))
        .buffered(self.group_concurrency())
        .try_collect()
        .await
    }

    /// `GET /Groups`, `POST /Groups/.search` (and the Group half of `POST /.search`).
    pub async fn list_groups(&self, query: &ListQuery) -> Result<ListResponse, ScimError> {
        let schema = Self::group_schema();
        if let Some(filter) = &query.filter {
            filter.validate(schema)?;
        }
        let filter = query.filter.as_ref();
        let filter_needs_members = filter.is_some_and(filter_uses_members);
        let candidates = self.group_candidates(group_source(filter)).await?;
        // Groups that match, with their members when the filter needed them.
        let mut matching: Vec<(Group, Option<Vec<Member>>)> = Vec::new();
        if filter_needs_members {
            let members = self.members_of(&candidates).await?;
            for (group, members) in candidates.into_iter().zip(members) {
                let id = group.id.clone().unwrap_or_default();
                let json = self.group_json(&group, &id, Some(&members));
                if filter.is_none_or(|f| f.matches(&json, schema)) {
                    matching.push((group, Some(members)));
                }
            }
        } else {
            for group in candidates {
                let id = group.id.clone().unwrap_or_default();
                let json = self.group_json(&group, &id, None);
                if filter.is_none_or(|f| f.matches(&json, schema)) {
                    matching.push((group, None));
                }
            }
        }
        let total = matching.len();
        let start = query.start_index.saturating_sub(1);
        let mut page: Vec<(Group, Option<Vec<Member>>)> =
            matching.into_iter().skip(start).take(query.count).collect();
        if query.selection.wants("members") {
            let missing: Vec<Group> = page
                .iter()
                .filter(|(_, m)| m.is_none())
                .map(|(g, _)| g.clone())
                .collect();
            let mut loaded = self.members_of(&missing).await?.into_iter();
            for (_, members) in page.iter_mut().filter(|(_, m)| m.is_none()) {
                *members = loaded.next();
            }
        }
        let resources = page
            .iter()
            .map(|(group, members)| {
                let id = group.id.clone().unwrap_or_default();
                let json = self.group_json(group, &id, members.as_deref());
                query.selection.project(&json, schema)
            })
            .collect();
        Ok(ListResponse::new(total, query.start_index, resources))
    }

    // ---------------------------------------------------------------------------------
    // Membership plumbing
    // ---------------------------------------------------------------------------------

    /// Looks up the users to add: their status and groups. Any id Zoom does not know is
    /// 400 `invalidValue` naming it, before anything changes.
    async fn user_facts(&self, ids: &[String]) -> Result<HashMap<String, UserFacts>, ScimError> {
        let mut facts = HashMap::new();
        let mut wanted: HashSet<String> = ids.iter().cloned().collect();
        if wanted.len() > DIRECT_LOOKUPS_MAX {
            // Waited for when its walk costs no more than checking these users one by one.
            self.lookups.user_roster_ready(wanted.len()).await;
        }
        // The user roster vouches for confirmed users: they exist and join by a member
        // add. Their groups are not taken from it (a stale list could skip an add); an
        // add of a member is harmless, Zoom names it among the added.
        wanted.retain(|id| {
            if self.lookups.user_known(id).is_some() {
                facts.insert(id.clone(), UserFacts::default());
                false
            } else {
                true
            }
        });
        if wanted.len() > DIRECT_LOOKUPS_MAX {
            self.facts_from_listings(&mut wanted, &mut facts, false)
                .await?;
        }
        let rest: Vec<String> = ids
            .iter()
            .filter(|id| wanted.contains(*id))
            .cloned()
            .collect();
        facts.extend(self.read_user_facts(rest).await?);
        Ok(facts)
    }

    /// Reads each of `ids` (`GET /users/{userId}`, never the roster): their status and
    /// groups as Zoom holds them now. Any id Zoom does not know as a user id (an
    /// e-mail, Zoom's `me` alias, a made-up value) is 400 `invalidValue` naming it.
    async fn read_user_facts(
        &self,
        ids: Vec<String>,
    ) -> Result<HashMap<String, UserFacts>, ScimError> {
        let looked_up: Vec<(String, Option<UserFacts>)> =
            futures::stream::iter(ids.into_iter().map(|id| async move {
                match self.zoom.get_user(&id).await {
                    // Zoom also answers for an e-mail or `me`; member values are user ids.
                    Ok(user) if user.id.as_deref() == Some(id.as_str()) => {
                        let fact = UserFacts::from_user(&user);
                        Ok((id, Some(fact)))
                    }
                    Ok(_) => Ok((id, None)),
                    Err(e) if e.is_not_found() => Ok((id, None)),
                    Err(e) => Err(to_scim(&e, &format!("look up member {}", clip(&id)))),
                }
            }))
            .buffered(self.group_concurrency())
            .try_collect()
            .await?;
        let mut facts = HashMap::new();
        let mut unknown = Vec::new();
        for (id, fact) in looked_up {
            match fact {
                Some(fact) => {
                    facts.insert(id, fact);
                }
                None => unknown.push(id),
            }
        }
        if !unknown.is_empty() {
            return Err(unknown_members(&unknown));
        }
        Ok(facts)
    }

    /// Narrows `changes.remove` to members of group `group_id`, before any call: each
    /// id must name a Zoom user (else 400 naming it, as for additions), and removing a
    /// user who is not a member is a no-op without a Zoom call. `requested` are the ids
    /// the request asked to remove; `members`, the group's members when already read.
    ///
    /// Up to [`DIRECT_LOOKUPS_MAX`] ids are checked with one `GET /users/{userId}` each
    /// (their `group_ids`); more, by reading the member list (pages of 2000).
    async fn check_removals(
        &self,
        group_id: &str,
        changes: &mut MemberChanges,
        requested: &[String],
        members: Option<&[Member]>,
    ) -> Result<(), ScimError> {
        if requested.is_empty() {
            return Ok(());
        }
        let read;
        let members = match members {
            Some(members) => Some(members),
            None if requested.len() > DIRECT_LOOKUPS_MAX => {
                read = self.read_members(group_id).await?;
                Some(read.as_slice())
            }
            None => None,
        };
        let Some(members) = members else {
            let facts = self.read_user_facts(requested.to_vec()).await?;
            changes.remove.retain(|id| {
                facts
                    .get(id)
                    .is_some_and(|f| f.group_ids.iter().any(|g| g == group_id))
            });
            return Ok(());
        };
        let member_ids: HashSet<&str> = members.iter().filter_map(|m| m.id.as_deref()).collect();
        changes.remove.retain(|id| member_ids.contains(id.as_str()));
        let outsiders: Vec<String> = requested
            .iter()
            .filter(|id| !member_ids.contains(id.as_str()))
            .cloned()
            .collect();
        self.check_outsiders(outsiders).await
    }

    /// Removals of users who are not members are no-ops, once each id is known to name
    /// a user: from the user roster, one read each for a few, the user lists for many.
    /// Ids the lists do not hold are refused without reading them one by one, so a
    /// request of thousands of made-up ids costs a walk of the lists, not a call each.
    async fn check_outsiders(&self, outsiders: Vec<String>) -> Result<(), ScimError> {
        let mut wanted: HashSet<String> = outsiders
            .into_iter()
            .filter(|id| self.lookups.user_known(id).is_none())
            .collect();
        if wanted.len() <= DIRECT_LOOKUPS_MAX {
            self.read_user_facts(wanted.into_iter().collect()).await?;
            return Ok(());
        }
        let mut facts = HashMap::new();
        self.facts_from_listings(&mut wanted, &mut facts, true)
            .await?;
        if !wanted.is_empty() {
            let mut unknown: Vec<String> = wanted.into_iter().collect();
            unknown.sort();
            return Err(ScimError::invalid_value(format!(
                "members: Zoom has no active or inactive user with id {}; nothing was changed",
                name_ids(&unknown)
            )));
        }
        Ok(())
    }

    /// Resolves `wanted` ids from the active and inactive user lists when walking them
    /// costs fewer calls than one `GET /users/{userId}` per id (the first page of each
    /// list tells the totals), or `whatever_the_cost`. Found ids leave `wanted`; pending
    /// users (listed without id) and unknown ids stay.
    async fn facts_from_listings(
        &self,
        wanted: &mut HashSet<String>,
        facts: &mut HashMap<String, UserFacts>,
        whatever_the_cost: bool,
    ) -> Result<(), ScimError> {
        let mut absorb = |users: Vec<ZoomUser>, wanted: &mut HashSet<String>| {
            for user in users {
                if let Some(id) = user.id.as_deref()
                    && wanted.remove(id)
                {
                    facts.insert(id.to_owned(), UserFacts::from_user(&user));
                }
            }
        };
        let mut cursors = Vec::new();
        let mut pages_left = 0usize;
        for status in [UserStatus::Active, UserStatus::Inactive] {
            let query = ListUsersQuery {
                status: Some(status),
                role_id: None,
                page_size: Some(self.config.zoom.page_size),
            };
            let page = self
                .zoom
                .list_users_page(&query, None)
                .await
                .map_err(|e| to_scim(&e, "list users to check member ids"))?;
            let per_page = page.items.len().max(1);
            let total = page.total_records.unwrap_or_default() as usize;
            if let Some(token) = page.next_page_token.clone() {
                pages_left += total.saturating_sub(per_page).div_ceil(per_page);
                cursors.push((query, token));
            }
            absorb(page.items, wanted);
        }
        if pages_left >= wanted.len() && !whatever_the_cost {
            return Ok(());
        }
        for (query, token) in cursors {
            let mut tokens = PageTokens::default();
            let mut token = Some(token);
            while let Some(t) = token.take() {
                tokens
                    .meet(&t)
                    .map_err(|e| to_scim(&e, "list users to check member ids"))?;
                if wanted.is_empty() {
                    return Ok(());
                }
                let page = self
                    .zoom
                    .list_users_page(&query, Some(&t))
                    .await
                    .map_err(|e| to_scim(&e, "list users to check member ids"))?;
                token = page.next_page_token.clone();
                absorb(page.items, wanted);
            }
        }
        Ok(())
    }

    /// Runs a member plan on group `group_id`, each Zoom call a step of `progress`.
    async fn run_member_plan(
        &self,
        group_id: &str,
        plan: &MemberPlan,
        progress: &mut Progress,
    ) -> Result<(), ScimError> {
        // The steps are collected first: a closure inside the future's type would trip
        // rustc's `Send` check of the axum handlers (higher-ranked lifetimes).
        let removals: Vec<_> = plan
            .remove
            .iter()
            .map(|user_id| {
                let call = async move {
                    match self.zoom.remove_group_member(group_id, user_id).await {
                        // 4131 "Group member does not exist.": already not a member.
                        Err(e) if e.code != Some(4131) => Err(StepError::Zoom(e)),
                        _ => Ok(None),
                    }
                };
                (remove_label(user_id), call)
            })
            .collect();
        progress
            .run_concurrently(removals, MEMBER_CALLS_AT_ONCE)
            .await?;
        let n = plan.batches.len();
        let additions: Vec<_> = plan
            .batches
            .iter()
            .enumerate()
            .map(|(index, batch)| {
                let call = async move {
                    let mut batch = batch.clone();
                    let added = match self.zoom.add_group_members(group_id, &batch).await {
                        Ok(added) => added,
                        // Refused, changing nothing, and not for the group (4130): the
                        // batch's users are read, as they are when the user roster does
                        // not list them. A user who left the account since the walk is
                        // named as an unknown member; users already members (their
                        // groups are not on the roster) are dropped, and the rest sent
                        // once more.
                        Err(e) if e.refused_unchanged() && e.code != Some(4130) => {
                            let checked = self.recheck_batch(group_id, &batch).await;
                            if !checked.unknown.is_empty() {
                                return Err(StepError::Refused(ScimError::invalid_value(format!(
                                    "members: Zoom has no user with id {}",
                                    name_ids(&checked.unknown)
                                ))));
                            }
                            if checked.to_add.is_empty() {
                                return Ok(None);
                            }
                            if checked.to_add.len() == batch.len() {
                                return Err(StepError::Zoom(e));
                            }
                            batch = checked.to_add;
                            self.zoom.add_group_members(group_id, &batch).await?
                        }
                        Err(e) => return Err(StepError::Zoom(e)),
                    };
                    // Zoom names the users it added; one it left out was not added (unless
                    // it had become a member meanwhile), and that must never pass as done.
                    let unreported: Vec<String> = batch
                        .iter()
                        .filter(|id| !added.ids.contains(id))
                        .cloned()
                        .collect();
                    let missing = self.not_members(group_id, unreported).await;
                    if missing.is_empty() {
                        return Ok(None);
                    }
                    Err(StepError::Refused(ScimError::conflict(format!(
                        "Zoom did not add user(s) {} to group {group_id}",
                        name_ids(&missing)
                    ))))
                };
                (batch_label(index, n, batch.len()), call)
            })
            .collect();
        progress
            .run_concurrently(additions, MEMBER_CALLS_AT_ONCE)
            .await?;
        let joins: Vec<_> = plan
            .pending
            .iter()
            .map(|user_id| {
                let call = async move {
                    let update = UpdateUser {
                        group_id: Some(group_id.to_owned()),
                        ..UpdateUser::default()
                    };
                    self.zoom.update_user(user_id, &update).await?;
                    // Zoom accepts updates to pending users and may drop them: read back.
                    match self.zoom.get_user(user_id).await {
                        Ok(user) if user.group_ids.iter().any(|g| g == group_id) => Ok(None),
                        Ok(_) => Ok(Some(format!(
                            "pending user {user_id} was not added to group {group_id}: Zoom ignored it; it can be added once the user accepts the invitation"
                        ))),
                        // The update went through; whether it took, the failed read
                        // cannot say.
                        Err(mut e) => {
                            e.detail_mut().outcome_unknown = true;
                            Err(StepError::Zoom(e))
                        }
                    }
                };
                (pending_label(user_id), call)
            })
            .collect();
        progress
            .run_concurrently(joins, MEMBER_CALLS_AT_ONCE)
            .await?;
        Ok(())
    }

    /// The members of an already read group when `with_members` or an `If-Match` needs
    /// them, with the `If-Match` check (RFC 7644 section 3.14: a stale version is 412
    /// and nothing changes).
    async fn members_checked(
        &self,
        id: &str,
        group: &Group,
        with_members: bool,
        precondition: &Precondition,
    ) -> Result<Option<Vec<Member>>, ScimError> {
        if !with_members && !needs_version(precondition) {
            return Ok(None);
        }
        let members = self.read_members(id).await?;
        let version = group_version(
            id,
            &group.name,
            members.iter().filter_map(|m| m.id.as_deref()),
        );
        precondition.check(&version)?;
        Ok(Some(members))
    }

    /// Of `user_ids`, those who are not members of `group_id` per their `group_ids`
    /// (a user that cannot be read counts as not a member).
    async fn not_members(&self, group_id: &str, user_ids: Vec<String>) -> Vec<String> {
        let mut missing = Vec::new();
        for id in user_ids {
            match self.zoom.get_user(&id).await {
                Ok(user) if user.group_ids.iter().any(|g| g == group_id) => {}
                _ => missing.push(id),
            }
        }
        missing
    }

    /// Reads the users of a refused member add: those Zoom does not know (forgotten
    /// in the user roster), and those still to add (not members of `group_id` per
    /// their `group_ids`; a user that cannot be read is kept).
    async fn recheck_batch(&self, group_id: &str, user_ids: &[String]) -> RecheckedBatch {
        let mut checked = RecheckedBatch::default();
        for id in user_ids {
            match self.zoom.get_user(id).await {
                Err(e) if e.is_not_found() => {
                    self.lookups.user_gone(id);
                    checked.unknown.push(id.clone());
                }
                Ok(user) if user.group_ids.iter().any(|g| g == group_id) => {}
                _ => checked.to_add.push(id.clone()),
            }
        }
        checked
    }

    /// Reads a group and, when needed, its members; checks `If-Match`.
    async fn current_group(
        &self,
        id: &str,
        with_members: bool,
        precondition: &Precondition,
    ) -> Result<(Group, Option<Vec<Member>>), ScimError> {
        let group = self.read_group(id).await?;
        let members = self
            .members_checked(id, &group, with_members, precondition)
            .await?;
        Ok((group, members))
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
        let facts = self.user_facts(&members).await?;
        let created = match self.zoom.create_group(&name).await {
            Ok(GroupCreate::Created(group)) => group,
            Ok(GroupCreate::Exists(existing)) => {
                return self
                    .create_existing(&name, Some(existing), &members, &facts, selection)
                    .await;
            }
            // Taken between the look-up and the create.
            Err(e) if e.is_duplicate() => {
                return self
                    .create_existing(&name, None, &members, &facts, selection)
                    .await;
            }
            Err(e) => return Err(to_scim(&e, &format!("create group '{name}'"))),
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
        if let Err(mut err) = self.run_member_plan(&id, &plan, &mut progress).await {
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
        members: &[String],
        facts: &HashMap<String, UserFacts>,
        selection: &AttributeSelection,
    ) -> Result<WriteOutcome, ScimError> {
        let existing = match found {
            Some(group) => Some(group),
            None => self
                .zoom
                .find_group_by_name(name)
                .await
                .map_err(|e| to_scim(&e, &format!("look up group '{name}'")))?,
        };
        let Some((existing, id)) = existing.and_then(|g| {
            let id = g.id.clone()?;
            Some((g, id))
        }) else {
            return Err(ScimError::uniqueness(format!(
                "a Zoom group named '{name}' already exists"
            )));
        };
        if self.config.scim.duplicates == DuplicatePolicy::Conflict {
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
        self.run_member_plan(&id, &plan, &mut progress).await?;
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
            self.run_member_plan(id, &plan, &mut progress).await?;
        }
        Ok(progress.into_warnings())
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
        let patch = GroupPatch::from_request(&request, id, &group.name)?;
        if !patch.ignored.is_empty() {
            tracing::debug!(ignored = ?patch.ignored, "PATCH /Groups: operations on attributes Zoom does not store were ignored");
        }
        let members = self
            .members_checked(id, &group, patch.needs_current_members(), precondition)
            .await?;
        let current: Option<Vec<Value>> = members.as_ref().map(|members| {
            members
                .iter()
                .filter_map(|m| member_json(m, &self.base_url))
                .collect()
        });
        let mut changes =
            super::cpu_bound(|| member_changes(&patch.member_ops, current.as_deref()))?;
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
        let (group, members) = self
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
        self.read_group_resource(id, selection, warnings).await
    }

    /// `DELETE /Groups/{id}` (RFC 7644 section 3.6), unless `scim.group_deletion` is off
    /// (the Java connector's `entitlementDeletionEnabled`): then 403.
    pub async fn delete_group(
        &self,
        id: &str,
        precondition: &Precondition,
    ) -> Result<(), ScimError> {
        if !self.config.scim.group_deletion {
            return Err(ScimError::forbidden(
                "deleting groups is disabled on this service (scim.group_deletion = false); remove the members instead",
            ));
        }
        let _guard = self.locks.lock(&group_lock(id)).await;
        if needs_version(precondition) {
            self.current_group(id, true, precondition).await?;
        }
        let result = self.zoom.delete_group(id).await;
        self.lookups.forget_group_names().await;
        match result {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => {
                Err(ScimError::not_found(format!("group {id} not found")))
            }
            Err(e) => Err(to_scim(&e, &format!("delete group {id}"))),
        }
    }

    // ---------------------------------------------------------------------------------
    // The user side: one user's groups by difference
    // ---------------------------------------------------------------------------------

    /// Fails with 400 `invalidValue` naming the group ids Zoom does not know (to call
    /// before a user write changes anything).
    pub async fn check_groups_exist(&self, group_ids: &[String]) -> Result<(), ScimError> {
        let found: Vec<(String, bool)> =
            futures::stream::iter(group_ids.iter().cloned().map(|gid| async move {
                match self.zoom.get_group(&gid).await {
                    Ok(_) => Ok((gid, true)),
                    Err(e) if e.is_not_found() => Ok((gid, false)),
                    Err(e) => Err(to_scim(&e, &format!("read group {gid}"))),
                }
            }))
            .buffered(self.group_concurrency())
            .try_collect()
            .await?;
        let unknown: Vec<String> = found
            .into_iter()
            .filter(|(_, exists)| !exists)
            .map(|(gid, _)| gid)
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(ScimError::invalid_value(format!(
                "groups: Zoom has no group with id {}",
                name_ids(&unknown)
            )))
        }
    }

    /// The step labels [`Provider::apply_user_groups`] will use for this change, for
    /// planning a [`Progress`] up front.
    pub fn user_group_labels(current: &[String], desired: &[String]) -> Vec<String> {
        let changes = difference(current, desired);
        changes
            .remove
            .iter()
            .map(|g| format!("leave group {g}"))
            .chain(changes.add.iter().map(|g| format!("join group {g}")))
            .collect()
    }

    /// Moves a user from the `current` groups to the `desired` ones by difference:
    /// leaves first (`DELETE /groups/{groupId}/members/{userId}`; "not a member" counts
    /// as done), then joins (`POST /groups/{groupId}/members`, or for a pending user
    /// `PATCH /users/{userId}` with `group_id`, read back to confirm; a refusal is
    /// recorded as not applied). Each call is a step of `progress`; check the group ids
    /// first with [`Provider::check_groups_exist`].
    pub async fn apply_user_groups(
        &self,
        user: GroupMember<'_>,
        current: &[String],
        desired: &[String],
        progress: &mut Progress,
    ) -> Result<(), ScimError> {
        let changes = difference(current, desired);
        for gid in &changes.remove {
            let label = format!("leave group {gid}");
            match self.zoom.remove_group_member(gid, user.id).await {
                Ok(()) => progress.applied(&label),
                Err(e) if e.code == Some(4131) => progress.applied(&label),
                Err(e) => return Err(progress.failed(&label, &e)),
            }
        }
        for gid in &changes.add {
            let label = format!("join group {gid}");
            if user.pending {
                let update = UpdateUser {
                    group_id: Some(gid.clone()),
                    ..UpdateUser::default()
                };
                progress
                    .run(&label, self.zoom.update_user(user.id, &update))
                    .await?;
                match self.zoom.get_user(user.id).await {
                    Ok(u) if u.group_ids.iter().any(|g| g == gid) => {}
                    Ok(_) => progress.not_applied(format!(
                        "group {gid}: Zoom did not add the pending user; it can be added once the user accepts the invitation"
                    )),
                    Err(e) => return Err(progress.failed(&label, &e)),
                }
            } else {
                match self.zoom.add_group_members(gid, &[user.id]).await {
                    Ok(added) if added.ids.iter().any(|id| id == user.id) => {
                        progress.applied(&label)
                    }
                    Ok(_) => {
                        return Err(progress.failed_with(
                            &label,
                            ScimError::conflict(format!(
                                "Zoom did not add user {} to group {gid}",
                                user.id
                            )),
                        ));
                    }
                    Err(e) => return Err(progress.failed(&label, &e)),
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn plans_batch_by_thirty_skip_members_and_route_pending_users() {
        let add: Vec<String> = (0..65).map(|i| format!("u{i}")).collect();
        let mut facts: HashMap<String, UserFacts> = add
            .iter()
            .map(|id| (id.clone(), UserFacts::default()))
            .collect();
        facts.insert(
            "u0".into(),
            UserFacts {
                pending: false,
                group_ids: ids(&["g1"]),
            },
        );
        facts.insert(
            "u1".into(),
            UserFacts {
                pending: true,
                group_ids: Vec::new(),
            },
        );
        let changes = MemberChanges {
            add,
            remove: ids(&["x"]),
            exact: false,
        };
        let plan = MemberPlan::new("g1", &changes, &facts);
        assert_eq!(plan.remove, ids(&["x"]));
        assert_eq!(
            plan.batches.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![30, 30, 3]
        );
        assert!(!plan.batches.concat().contains(&"u0".to_owned()));
        assert_eq!(plan.pending, ids(&["u1"]));
        assert_eq!(
            plan.labels(),
            vec![
                "remove member x".to_owned(),
                "add members, batch 1/3 (30 users)".into(),
                "add members, batch 2/3 (30 users)".into(),
                "add members, batch 3/3 (3 users)".into(),
                "add pending user u1 (user update with group_id)".into(),
            ]
        );
    }

    #[test]
    fn error_details_name_a_bounded_number_of_ids() {
        let many: Vec<String> = (0..25).map(|i| format!("u{i}")).collect();
        let text = name_ids(&many);
        assert!(text.starts_with("u0, u1"));
        assert!(text.ends_with("u19 and 5 more"), "{text}");
        assert_eq!(name_ids(&ids(&["a"])), "a");
    }

    #[test]
    fn if_match_star_needs_no_version() {
        let p = |v: Option<&str>| Precondition {
            if_match: v.map(str::to_owned),
        };
        assert!(!needs_version(&p(None)));
        assert!(!needs_version(&p(Some("*"))));
        assert!(needs_version(&p(Some("W/\"abc\""))));
    }

    #[test]
    fn user_group_labels_list_leaves_then_joins() {
        assert_eq!(
            Provider::user_group_labels(&ids(&["g1", "g2"]), &ids(&["g2", "g3"])),
            vec!["leave group g1".to_owned(), "join group g3".into()]
        );
    }
}
