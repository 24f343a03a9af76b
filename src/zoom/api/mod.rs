//! The typed endpoint methods of [`ZoomClient`], one file per API family (`impl
//! ZoomClient` blocks): each builds a `Request` from an operation (method, path
//! template, rate-limit category), its path segments, query and body, and runs it
//! through the client's pipeline (`client.rs`).

use serde_json::json;

use crate::zoom::ZoomClient;
use crate::zoom::client::{Op, Request};
use crate::zoom::error::{PartialProgress, ZoomError};
use crate::zoom::model::{AddMembersResponse, AddedMembers, Member};

mod groups;
mod phone;
mod roles;
mod users;

pub use groups::same_group_name;

/// Largest page sizes per endpoint. Zoom "Pagination": "Up to 300 items per page"; the
/// newest Users spec allows 2000 on `GET /users` (used only when configured higher);
/// `GET /phone/users` and `GET /phone/numbers` allow 100.
const MAX_PAGE_USERS: u32 = 2000;
const MAX_PAGE_GROUPS: u32 = 300;
/// `GET /groups/{groupId}/members` `page_size` "maximum: 2000" (Zoom Users API).
const MAX_PAGE_GROUP_MEMBERS: u32 = 2000;
/// `GET /roles/{roleId}/members` `page_size` "maximum: 300" (Zoom Accounts API).
const MAX_PAGE_ROLE_MEMBERS: u32 = 300;
const MAX_PAGE_PHONE_USERS: u32 = 100;
const MAX_PAGE_SITES: u32 = 300;
const MAX_PAGE_PHONE_NUMBERS: u32 = 100;
/// "Add members ... up to 30" (groups and roles).
const MEMBERS_PER_ADD: usize = 30;

impl ZoomClient {
    /// Adds `ids` in batches of 30; on failure reports what got in.
    async fn add_members_batched<S: AsRef<str>>(
        &self,
        op: Op,
        path: String,
        ids: &[S],
    ) -> Result<AddedMembers, ZoomError> {
        let ids: Vec<String> = ids.iter().map(|s| s.as_ref().to_owned()).collect();
        let mut added = AddedMembers::default();
        let mut succeeded: Vec<String> = Vec::new();
        let batches: Vec<&[String]> = ids.chunks(MEMBERS_PER_ADD).collect();
        for (index, batch) in batches.iter().enumerate() {
            let body = json!({
                "members": batch.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>()
            });
            // Re-adding a member is idempotent in Zoom, so a lost answer is replayed.
            match self
                .call_json::<AddMembersResponse>(Request::new(op, path.clone()).json(body))
                .await
            {
                Ok(answer) => {
                    if answer.added_at.is_some() {
                        added.added_at = answer.added_at;
                    }
                    let reported: Vec<String> = answer
                        .ids
                        .as_deref()
                        .unwrap_or("")
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if reported.is_empty() {
                        added.ids.extend(batch.iter().cloned());
                    } else {
                        added.ids.extend(reported);
                    }
                    succeeded.extend(batch.iter().cloned());
                }
                Err(mut err) => {
                    err.detail_mut().partial = Some(PartialProgress {
                        succeeded,
                        failed: batch.to_vec(),
                        not_attempted: batches[index + 1..].concat(),
                    });
                    return Err(err);
                }
            }
        }
        Ok(added)
    }
}

/// De-duplication key of a group or role member.
fn member_key(member: &Member) -> Option<String> {
    member
        .id
        .clone()
        .or_else(|| Some(member.email.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoom::ZoomConfig;
    use crate::zoom::model::{
        CreateUser, DeleteUser, ListPhoneUsersQuery, ListUsersQuery, PhoneNumberFilter, UpdateUser,
    };

    /// Every endpoint future can run on a multi-threaded runtime (axum handlers).
    #[allow(dead_code)]
    fn endpoint_futures_are_send(client: &ZoomClient, user: &CreateUser) {
        fn send<T: Send>(_: T) {}
        send(client.create_user(user));
        send(client.get_user("x"));
        send(client.list_users(ListUsersQuery::default()));
        send(client.update_user("x", &UpdateUser::default()));
        send(client.delete_user("x", &DeleteUser::default()));
        send(client.create_group("x"));
        send(client.add_group_members("g", &["a"]));
        send(client.add_role_members("r", &["a"]));
        send(client.assign_calling_plans("x", &[200]));
        send(client.assign_phone_numbers("x", &[]));
        send(client.list_phone_users(ListPhoneUsersQuery::default()));
        send(client.list_sites());
        send(client.list_phone_numbers(PhoneNumberFilter::Unassigned));
        send(client.check_token());
    }

    #[test]
    fn page_sizes_clamp_per_endpoint() {
        let config = ZoomConfig {
            client_secret: Some("s".into()),
            page_size: 1000,
            ..ZoomConfig::default()
        };
        let client = ZoomClient::new(&config).unwrap();
        assert_eq!(client.page_size(None, MAX_PAGE_USERS), 1000);
        assert_eq!(client.page_size(None, MAX_PAGE_PHONE_USERS), 100);
        assert_eq!(client.page_size(Some(0), MAX_PAGE_GROUPS), 1);
        assert_eq!(client.page_size(Some(5000), MAX_PAGE_USERS), 2000);
    }
}
