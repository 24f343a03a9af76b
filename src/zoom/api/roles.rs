//! The Roles family: `/roles` and their members.

use bytes::Bytes;
use futures::stream::BoxStream;

use super::{MAX_PAGE_ROLE_MEMBERS, member_key};
use crate::zoom::ZoomClient;
use crate::zoom::client::{EffectCheck, Op, Request};
use crate::zoom::error::ZoomError;
use crate::zoom::limits::Category::{Light, Medium};
use crate::zoom::model::{AddedMembers, MEMBER_ROLE_ID, Member, Role};
use crate::zoom::paging::{Page, paginate};
use crate::zoom::path::seg;

const LIST_ROLES: Op = Op::general("GET", "/roles", Medium);
const GET_ROLE: Op = Op::general("GET", "/roles/{roleId}", Light);
const LIST_ROLE_MEMBERS: Op = Op::general("GET", "/roles/{roleId}/members", Medium);
const ADD_ROLE_MEMBERS: Op = Op::general("POST", "/roles/{roleId}/members", Medium);
const REMOVE_ROLE_MEMBER: Op = Op::general("DELETE", "/roles/{roleId}/members/{memberId}", Light);

impl ZoomClient {
    /// `GET /roles` (not paged).
    pub async fn list_roles(&self) -> Result<Vec<Role>, ZoomError> {
        let page: Page<Role> = self
            .call_page(Request::new(LIST_ROLES, "/roles".into()), "roles")
            .await?;
        Ok(page.items)
    }

    /// `GET /roles/{roleId}`.
    pub async fn get_role(&self, id: &str) -> Result<Role, ZoomError> {
        self.call_json(Request::new(GET_ROLE, format!("/roles/{}", seg(id))))
            .await
    }

    /// One page of `GET /roles/{roleId}/members`.
    pub async fn list_role_members_page(
        &self,
        role_id: &str,
        page_size: Option<u32>,
        next_page_token: Option<&str>,
    ) -> Result<Page<Member>, ZoomError> {
        let mut q = vec![(
            "page_size",
            self.page_size(page_size, MAX_PAGE_ROLE_MEMBERS).to_string(),
        )];
        if let Some(token) = next_page_token {
            q.push(("next_page_token", token.to_owned()));
        }
        self.call_page(
            Request::new(
                LIST_ROLE_MEMBERS,
                format!("/roles/{}/members", seg(role_id)),
            )
            .query(q),
            "members",
        )
        .await
    }

    /// Every member of a role.
    pub fn list_role_members(
        &self,
        role_id: &str,
    ) -> BoxStream<'static, Result<Member, ZoomError>> {
        let client = self.clone();
        let role_id = role_id.to_owned();
        paginate(
            move |token| {
                let client = client.clone();
                let role_id = role_id.clone();
                async move {
                    client
                        .list_role_members_page(&role_id, None, token.as_deref())
                        .await
                }
            },
            member_key,
        )
    }

    /// `POST /roles/{roleId}/members`, 30 users per call (see
    /// [`ZoomClient::add_group_members`] for partial failures).
    pub async fn add_role_members<S: AsRef<str>>(
        &self,
        role_id: &str,
        user_ids: &[S],
    ) -> Result<AddedMembers, ZoomError> {
        self.add_members_batched(
            ADD_ROLE_MEMBERS,
            format!("/roles/{}/members", seg(role_id)),
            user_ids,
        )
        .await
    }

    /// `DELETE /roles/{roleId}/members/{memberId}`: the member falls back to Member.
    /// Not replayed blindly: once withdrawn, the role is no longer the member's and a
    /// second call is refused, so after a lost answer the member's role is read first.
    pub async fn remove_role_member(
        &self,
        role_id: &str,
        member_id: &str,
    ) -> Result<(), ZoomError> {
        let check: EffectCheck<'_> = Box::new(move |_sent_at| {
            Box::pin(async move {
                // Withdrawn: the user holds Member, Zoom's default role.
                let user = self.get_user(member_id).await?;
                Ok((user.role_id.as_deref() == Some(MEMBER_ROLE_ID)).then(Bytes::new))
            })
        });
        self.call_unit(
            Request::new(
                REMOVE_ROLE_MEMBER,
                format!("/roles/{}/members/{}", seg(role_id), seg(member_id)),
            )
            .check(check),
        )
        .await
    }
}
