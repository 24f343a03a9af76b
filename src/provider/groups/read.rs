//! Reading groups: `GET /Groups/{id}`, and listing and searching with filter push-down;
//! member lists are read only when the answer or the filter needs them.

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use crate::mapping::group::{
    GroupExtras, GroupSource, filter_uses_members, group_location, group_resource, group_source,
};
use crate::provider::failure::zoom_failure;
use crate::provider::{Provider, ScimResource};
use crate::scim::error::ScimError;
use crate::scim::model::ListResponse;
use crate::scim::projection::AttributeSelection;
use crate::scim::query::ListQuery;
use crate::scim::schema::{ResourceSchema, SchemaRegistry};
use crate::store::ResourceKind;
use crate::zoom::model::{Group, Member};
use crate::zoom::same_group_name;

/// A `meta.lastModified` search reads the changed groups one by one
/// (`GET /groups/{id}`) up to this many; more are taken from the group list.
const MODIFIED_PER_GROUP_MAX: usize = 100;

/// What the store keeps of a group, for rendering it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Kept<'a> {
    pub external_id: Option<&'a str>,
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
}

impl Provider {
    pub(super) fn group_schema() -> &'static ResourceSchema {
        SchemaRegistry::global().group()
    }

    pub(super) fn group_concurrency(&self) -> usize {
        self.zoom.max_concurrency().clamp(1, 32)
    }

    /// `GET /groups/{groupId}`; 404 when Zoom does not know it.
    pub(super) async fn read_group(&self, id: &str) -> Result<Group, ScimError> {
        match self.zoom.get_group(id).await {
            Ok(group) => Ok(group),
            Err(e) if e.is_not_found() => {
                // Deleted in Zoom's portal, perhaps: what the store keeps of it goes.
                self.forget_resource(ResourceKind::Group, id).await;
                Err(ScimError::not_found(format!("group {id} not found")))
            }
            Err(e) => Err(zoom_failure(&e, &format!("read group {id}"))),
        }
    }

    /// Every member of a group (pages of 2000).
    pub(super) async fn read_members(&self, id: &str) -> Result<Vec<Member>, ScimError> {
        match self.zoom.list_group_members(id).try_collect().await {
            Ok(members) => Ok(members),
            Err(e) if e.is_not_found() => {
                Err(ScimError::not_found(format!("group {id} not found")))
            }
            Err(e) => Err(zoom_failure(&e, &format!("list members of group {id}"))),
        }
    }

    pub(super) fn group_json(
        &self,
        group: &Group,
        id: &str,
        members: Option<&[Member]>,
        kept: Kept<'_>,
    ) -> Value {
        let extras = GroupExtras {
            members,
            external_id: kept.external_id,
            last_modified: kept.last_modified,
        };
        group_resource(group, id, extras, &self.base_url)
    }

    /// The stored `externalId` of one group (none when the store is out of reach).
    pub(super) async fn group_external_id(&self, id: &str) -> Option<String> {
        self.external_ids_for(ResourceKind::Group, &[id])
            .await
            .remove(id)
    }

    pub(super) fn group_resource(
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
    pub(super) async fn read_group_resource(
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
        let external_id = self.group_external_id(id).await;
        let last_modified = self
            .modification_times(ResourceKind::Group, &[id])
            .await
            .remove(id);
        let kept = Kept {
            external_id: external_id.as_deref(),
            last_modified,
        };
        let json = self.group_json(&group, id, members.as_deref(), kept);
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
            .map_err(|e| zoom_failure(&e, "list groups"))?;
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
                Err(e) => return Err(zoom_failure(&e, &format!("read group {id}"))),
            }
        }
        self.lookups.forget_group_names().await;
        let list = self
            .lookups
            .group_list()
            .await
            .map_err(|e| zoom_failure(&e, "list groups"))?;
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
                Err(e) => Err(zoom_failure(&e, &format!("read group {id}"))),
            },
            // From the store, then one Zoom read per id; ids Zoom no longer has are
            // dropped from the store.
            GroupSource::ByExternalId(_) | GroupSource::ByIds(_) => {
                let ids = match source {
                    GroupSource::ByExternalId(external_id) => {
                        self.ids_by_external_id(ResourceKind::Group, &external_id)
                            .await?
                    }
                    GroupSource::ByIds(ids) => ids,
                    _ => Vec::new(),
                };
                let mut groups = Vec::new();
                for id in ids {
                    match self.zoom.get_group(&id).await {
                        Ok(mut group) => {
                            group.id = Some(id);
                            groups.push(group);
                        }
                        Err(e) if e.is_not_found() => {
                            self.forget_resource(ResourceKind::Group, &id).await;
                        }
                        Err(e) => return Err(zoom_failure(&e, &format!("read group {id}"))),
                    }
                }
                Ok(groups)
            }
            GroupSource::ByName(name) => self.groups_named(&name).await,
            GroupSource::ByMember(user_id) => {
                let user = match self.zoom.get_user(&user_id).await {
                    Ok(user) if user.id.as_deref() == Some(user_id.as_str()) => user,
                    Ok(_) => return Ok(Vec::new()),
                    Err(e) if e.is_not_found() => return Ok(Vec::new()),
                    Err(e) => return Err(zoom_failure(&e, &format!("read user {user_id}"))),
                };
                let mut groups = Vec::new();
                for group_id in &user.group_ids {
                    match self.zoom.get_group(group_id).await {
                        Ok(mut group) => {
                            group.id = Some(group_id.clone());
                            groups.push(group);
                        }
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(zoom_failure(&e, &format!("read group {group_id}"))),
                    }
                }
                Ok(groups)
            }
            // `list_groups` turns it into ids or the whole list first.
            GroupSource::ModifiedWhen { .. } => Err(ScimError::internal(
                "a meta.lastModified search reached the candidates unresolved",
            )),
            GroupSource::All => Ok(self
                .lookups
                .group_list()
                .await
                .map_err(|e| zoom_failure(&e, "list groups"))?
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
        let source = match group_source(filter) {
            GroupSource::ModifiedWhen { op, at } => {
                let ids = self.modified_ids(ResourceKind::Group, op, at).await?;
                if ids.len() > MODIFIED_PER_GROUP_MAX {
                    GroupSource::All
                } else {
                    GroupSource::ByIds(ids)
                }
            }
            other => other,
        };
        let candidates = self.group_candidates(source).await?;
        let ids: Vec<&str> = candidates.iter().filter_map(|g| g.id.as_deref()).collect();
        let external_ids = self.external_ids_for(ResourceKind::Group, &ids).await;
        let times = self.modification_times(ResourceKind::Group, &ids).await;
        let external_id = |id: &str| Kept {
            external_id: external_ids.get(id).map(String::as_str),
            last_modified: times.get(id).copied(),
        };
        // Groups that match, with their members when the filter needed them.
        let mut matching: Vec<(Group, Option<Vec<Member>>)> = Vec::new();
        if filter_needs_members {
            let members = self.members_of(&candidates).await?;
            for (group, members) in candidates.into_iter().zip(members) {
                let id = group.id.clone().unwrap_or_default();
                let json = self.group_json(&group, &id, Some(&members), external_id(&id));
                if filter.is_none_or(|f| f.matches(&json, schema)) {
                    matching.push((group, Some(members)));
                }
            }
        } else {
            for group in candidates {
                let id = group.id.clone().unwrap_or_default();
                let json = self.group_json(&group, &id, None, external_id(&id));
                if filter.is_none_or(|f| f.matches(&json, schema)) {
                    matching.push((group, None));
                }
            }
        }
        let total = matching.len();
        let start = query.start_index.saturating_sub(1);
        let mut page: Vec<(Group, Option<Vec<Member>>)> = matching
            .into_iter()
            .skip(start)
            .take(query.page_len())
            .collect();
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
                let json = self.group_json(group, &id, members.as_deref(), external_id(&id));
                query.selection.project(&json, schema)
            })
            .collect();
        Ok(ListResponse::new(total, query.start_index, resources))
    }

    // ---------------------------------------------------------------------------------
    // Membership plumbing
    // ---------------------------------------------------------------------------------
}
