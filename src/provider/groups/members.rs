//! Membership changes by difference: member ids checked before anything changes,
//! removals first, additions in batches of 30, pending users through their own record,
//! each batch checked against what Zoom reports; and the user-side move of one user
//! between groups.

use std::collections::{HashMap, HashSet};

use futures::{StreamExt, TryStreamExt};

use super::write::needs_version;
use crate::mapping::group::{MemberChanges, difference, group_version};
use crate::provider::failure::zoom_failure;
use crate::provider::progress::{Progress, StepError};
use crate::provider::{Precondition, Provider};
use crate::scim::error::{ScimError, clip};
use crate::zoom::model::{Group, ListUsersQuery, Member, UpdateUser, UserStatus, ZoomUser};
use crate::zoom::paging::PageTokens;

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
pub(super) struct UserFacts {
    /// Invited, not confirmed: joins groups through `PATCH /users/{userId}`.
    pending: bool,
    /// The user's groups (`group_ids`).
    group_ids: Vec<String>,
}

impl UserFacts {
    fn from_user(user: &ZoomUser) -> Self {
        UserFacts {
            pending: user.is_pending(),
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
pub(super) struct MemberPlan {
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
    pub(super) fn new(
        group_id: &str,
        changes: &MemberChanges,
        facts: &HashMap<String, UserFacts>,
    ) -> Self {
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

    pub(super) fn labels(&self) -> Vec<String> {
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

    pub(super) fn is_empty(&self) -> bool {
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

/// `a, b, c and 12 more` (each id clipped: ids come from requests).
pub(in crate::provider) fn name_ids<S: AsRef<str>>(ids: &[S]) -> String {
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

/// A user whose group memberships change (see [`Provider::apply_user_groups`]).
#[derive(Debug, Clone, Copy)]
pub struct GroupMember<'a> {
    /// The Zoom user id.
    pub id: &'a str,
    /// Whether the user is pending (joins groups through a user update).
    pub pending: bool,
}

impl Provider {
    /// Looks up the users to add: their status and groups. Any id Zoom does not know is
    /// 400 `invalidValue` naming it, before anything changes.
    pub(super) async fn user_facts(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, UserFacts>, ScimError> {
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
                    Err(e) => Err(zoom_failure(&e, &format!("look up member {}", clip(&id)))),
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
    pub(super) async fn check_removals(
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
                page_size: Some(self.zoom.default_page_size()),
            };
            let page = self
                .zoom
                .list_users_page(&query, None)
                .await
                .map_err(|e| zoom_failure(&e, "list users to check member ids"))?;
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
                    .map_err(|e| zoom_failure(&e, "list users to check member ids"))?;
                if wanted.is_empty() {
                    return Ok(());
                }
                let page = self
                    .zoom
                    .list_users_page(&query, Some(&t))
                    .await
                    .map_err(|e| zoom_failure(&e, "list users to check member ids"))?;
                token = page.next_page_token.clone();
                absorb(page.items, wanted);
            }
        }
        Ok(())
    }

    /// Runs a member plan on group `group_id`, each Zoom call a step of `progress`.
    pub(super) async fn run_member_plan(
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
    pub(super) async fn members_checked(
        &self,
        id: &str,
        group: &Group,
        external_id: Option<&str>,
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
            external_id,
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

    /// Fails with 400 `invalidValue` naming the group ids Zoom does not know (to call
    /// before a user write changes anything).
    pub async fn check_groups_exist(&self, group_ids: &[String]) -> Result<(), ScimError> {
        let found: Vec<(String, bool)> =
            futures::stream::iter(group_ids.iter().cloned().map(|gid| async move {
                match self.zoom.get_group(&gid).await {
                    Ok(_) => Ok((gid, true)),
                    Err(e) if e.is_not_found() => Ok((gid, false)),
                    Err(e) => Err(zoom_failure(&e, &format!("read group {gid}"))),
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
    fn user_group_labels_list_leaves_then_joins() {
        assert_eq!(
            Provider::user_group_labels(&ids(&["g1", "g2"]), &ids(&["g2", "g3"])),
            vec!["leave group g1".to_owned(), "join group g3".into()]
        );
    }
}
