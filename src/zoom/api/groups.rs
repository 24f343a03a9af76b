//! The Groups family: `/groups` and their members.

use bytes::Bytes;
use futures::stream::{BoxStream, TryStreamExt};
use serde_json::json;

use super::{MAX_PAGE_GROUP_MEMBERS, MAX_PAGE_GROUPS, member_key};
use crate::zoom::ZoomClient;
use crate::zoom::client::{EffectCheck, Op, Request};
use crate::zoom::error::ZoomError;
use crate::zoom::limits::Category::{Light, Medium};
use crate::zoom::model::{AddedMembers, Group, GroupCreate, Member};
use crate::zoom::paging::{Page, paginate};
use crate::zoom::path::seg;

const LIST_GROUPS: Op = Op::general("GET", "/groups", Medium);
const CREATE_GROUP: Op = Op::general("POST", "/groups", Light);
const GET_GROUP: Op = Op::general("GET", "/groups/{groupId}", Light);
const UPDATE_GROUP: Op = Op::general("PATCH", "/groups/{groupId}", Light);
const DELETE_GROUP: Op = Op::general("DELETE", "/groups/{groupId}", Light);
const LIST_GROUP_MEMBERS: Op = Op::general("GET", "/groups/{groupId}/members", Medium);
const ADD_GROUP_MEMBERS: Op = Op::general("POST", "/groups/{groupId}/members", Medium);
const REMOVE_GROUP_MEMBER: Op =
    Op::general("DELETE", "/groups/{groupId}/members/{memberId}", Light);

impl ZoomClient {
    /// One page of `GET /groups`.
    pub async fn list_groups_page(
        &self,
        page_size: Option<u32>,
        next_page_token: Option<&str>,
    ) -> Result<Page<Group>, ZoomError> {
        let mut q = vec![(
            "page_size",
            self.page_size(page_size, MAX_PAGE_GROUPS).to_string(),
        )];
        if let Some(token) = next_page_token {
            q.push(("next_page_token", token.to_owned()));
        }
        self.call_page(
            Request::new(LIST_GROUPS, "/groups".into()).query(q),
            "groups",
        )
        .await
    }

    /// Every group.
    pub fn list_groups(&self) -> BoxStream<'static, Result<Group, ZoomError>> {
        let client = self.clone();
        paginate(
            move |token| {
                let client = client.clone();
                async move { client.list_groups_page(None, token.as_deref()).await }
            },
            |group: &Group| group.id.clone(),
        )
    }

    /// `GET /groups/{groupId}`.
    pub async fn get_group(&self, id: &str) -> Result<Group, ZoomError> {
        self.call_json(Request::new(GET_GROUP, format!("/groups/{}", seg(id))))
            .await
    }

    /// The group named `name`, if any (Zoom has no lookup by name: lists). Names are
    /// compared as Zoom enforces their uniqueness: trimmed and case-insensitively (a
    /// create of "sales" next to "Sales" answers 409 code 4132).
    pub async fn find_group_by_name(&self, name: &str) -> Result<Option<Group>, ZoomError> {
        let mut groups = self.list_groups();
        while let Some(group) = groups.try_next().await? {
            if same_group_name(&group.name, name) {
                return Ok(Some(group));
            }
        }
        Ok(None)
    }

    /// `POST /groups`, unless a group has the name already ([`GroupCreate::Exists`]). A
    /// name taken in between gives [`ErrorKind::Duplicate`](crate::zoom::ErrorKind::Duplicate); a lost answer is checked by
    /// listing groups before any replay.
    ///
    /// Zoom's groups carry no creation time, so the name is looked up first (the group
    /// list, Medium; Zoom allows 100 group creates a day): only then does a group found
    /// after a lost answer prove that this call made it, and a group that already had
    /// the name is never taken for a new one.
    pub async fn create_group(&self, name: &str) -> Result<GroupCreate, ZoomError> {
        if let Some(existing) = self.find_group_by_name(name).await? {
            return Ok(GroupCreate::Exists(existing));
        }
        let check: EffectCheck<'_> = Box::new(move |_sent_at| {
            Box::pin(async move {
                Ok(self
                    .find_group_by_name(name)
                    .await?
                    .and_then(|g| serde_json::to_vec(&g).ok())
                    .map(Bytes::from))
            })
        });
        self.call_json(
            Request::new(CREATE_GROUP, "/groups".into())
                .json(json!({ "name": name }))
                .check(check),
        )
        .await
        .map(GroupCreate::Created)
    }

    /// `PATCH /groups/{groupId}` with a new name.
    pub async fn rename_group(&self, id: &str, name: &str) -> Result<(), ZoomError> {
        self.call_unit(
            Request::new(UPDATE_GROUP, format!("/groups/{}", seg(id)))
                .json(json!({ "name": name })),
        )
        .await
    }

    /// `DELETE /groups/{groupId}`.
    pub async fn delete_group(&self, id: &str) -> Result<(), ZoomError> {
        self.call_unit(Request::new(DELETE_GROUP, format!("/groups/{}", seg(id))))
            .await
    }

    /// One page of `GET /groups/{groupId}/members`.
    pub async fn list_group_members_page(
        &self,
        group_id: &str,
        page_size: Option<u32>,
        next_page_token: Option<&str>,
    ) -> Result<Page<Member>, ZoomError> {
        let mut q = vec![(
            "page_size",
            self.page_size(page_size, MAX_PAGE_GROUP_MEMBERS)
                .to_string(),
        )];
        if let Some(token) = next_page_token {
            q.push(("next_page_token", token.to_owned()));
        }
        self.call_page(
            Request::new(
                LIST_GROUP_MEMBERS,
                format!("/groups/{}/members", seg(group_id)),
            )
            .query(q),
            "members",
        )
        .await
    }

    /// Every member of a group, in pages of the largest size Zoom allows (2000): a
    /// member walk always reads the whole list, so bigger pages only save calls.
    pub fn list_group_members(
        &self,
        group_id: &str,
    ) -> BoxStream<'static, Result<Member, ZoomError>> {
        let client = self.clone();
        let group_id = group_id.to_owned();
        paginate(
            move |token| {
                let client = client.clone();
                let group_id = group_id.clone();
                async move {
                    client
                        .list_group_members_page(
                            &group_id,
                            Some(MAX_PAGE_GROUP_MEMBERS),
                            token.as_deref(),
                        )
                        .await
                }
            },
            member_key,
        )
    }

    /// `POST /groups/{groupId}/members`, 30 users per call. If a batch fails, the error's
    /// `partial` says which ids got in, which failed and which were not sent.
    pub async fn add_group_members<S: AsRef<str>>(
        &self,
        group_id: &str,
        user_ids: &[S],
    ) -> Result<AddedMembers, ZoomError> {
        self.add_members_batched(
            ADD_GROUP_MEMBERS,
            format!("/groups/{}/members", seg(group_id)),
            user_ids,
        )
        .await
    }

    /// `DELETE /groups/{groupId}/members/{memberId}` (member id or email).
    pub async fn remove_group_member(
        &self,
        group_id: &str,
        member_id: &str,
    ) -> Result<(), ZoomError> {
        self.call_unit(Request::new(
            REMOVE_GROUP_MEMBER,
            format!("/groups/{}/members/{}", seg(group_id), seg(member_id)),
        ))
        .await
    }
}

/// Whether two group names are the same name for Zoom (trimmed, case-insensitive).
pub fn same_group_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}
