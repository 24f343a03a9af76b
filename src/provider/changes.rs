//! Change detection: the walk that dates what changed in Zoom without the service (an
//! admin's edit in Zoom's portal, a user's own profile change). Every
//! `store.watch_interval_s` it lists every user (`GET /users`, each status, Medium, 300
//! a page) and every group (`GET /groups`), digests each listed record as SCIM renders
//! it, and lets the store date the ones whose digest changed ([`Store::record_sightings`]).
//! Fields the listing does not carry (a manager, phone settings, a group's members
//! beyond their count) are seen changing through the service's own writes only.

use futures::TryStreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::mapping::user::{UserContext, user_resource};
use crate::provider::Provider;
use crate::provider::failure::zoom_failure;
use crate::scim::error::ScimError;
use crate::store::changes::Sightings;
use crate::store::{ResourceKind, Store};
use crate::zoom::model::{Group, ListUsersQuery, UserStatus, ZoomUser};

/// What one walk found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    /// Users seen first or changed.
    pub users: Sightings,
    /// Groups seen first or changed.
    pub groups: Sightings,
}

fn digest(value: &Value) -> String {
    let digest = Sha256::digest(value.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A listed user's digest: the SCIM resource its listing record renders, `meta` aside.
pub fn user_fingerprint(user: &ZoomUser, id: &str) -> String {
    let mut resource = user_resource(user, id, &UserContext::default());
    if let Some(object) = resource.as_object_mut() {
        object.remove("meta");
    }
    digest(&resource)
}

/// A listed group's digest: its name and member count.
pub fn group_fingerprint(group: &Group) -> String {
    digest(&serde_json::json!({"name": group.name, "members": group.total_members}))
}

impl Provider {
    /// One walk of the account's users and groups, recorded in `store`.
    pub async fn watch_changes(&self, store: &Store) -> Result<Watched, ScimError> {
        let started = chrono::Utc::now();
        let mut seen = Vec::new();
        for status in UserStatus::ALL {
            let query = ListUsersQuery {
                status: Some(status.clone()),
                role_id: None,
                page_size: Some(self.zoom.default_page_size()),
            };
            // Digested page by page: the walk keeps ids and digests, not records.
            // Invitees listed without an id cannot be keyed; their changes come from
            // the service's writes.
            seen = self
                .zoom
                .list_users(query)
                .try_fold(seen, |mut seen, u: ZoomUser| async move {
                    if let Some(id) = u.id.as_deref().filter(|id| !id.is_empty()) {
                        seen.push((id.to_owned(), user_fingerprint(&u, id)));
                    }
                    Ok(seen)
                })
                .await
                .map_err(|e| zoom_failure(&e, &format!("list {} users", status.as_str())))?;
        }
        let groups: Vec<Group> = self
            .zoom
            .list_groups()
            .try_collect()
            .await
            .map_err(|e| zoom_failure(&e, "list groups"))?;
        let seen_groups: Vec<(String, String)> = groups
            .iter()
            .filter_map(|g| Some((g.id.clone()?, group_fingerprint(g))))
            .collect();
        let failed =
            |e: crate::store::StoreError| crate::provider::store_failure(&e, "record a walk");
        // Dated at the walk's start: the listing shows what held then or later.
        let users = store
            .record_sightings(ResourceKind::User, &seen, started)
            .await
            .map_err(failed)?;
        let groups = store
            .record_sightings(ResourceKind::Group, &seen_groups, started)
            .await
            .map_err(failed)?;
        Ok(Watched { users, groups })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_follows_what_scim_shows_only() {
        let user = ZoomUser {
            id: Some("u1".into()),
            email: "a@example.com".into(),
            first_name: Some("Ann".into()),
            status: Some(UserStatus::Active),
            ..ZoomUser::default()
        };
        let same = user_fingerprint(&user, "u1");
        assert_eq!(same, user_fingerprint(&user.clone(), "u1"));
        let renamed = ZoomUser {
            first_name: Some("Anne".into()),
            ..user.clone()
        };
        assert_ne!(same, user_fingerprint(&renamed, "u1"));
        let group = Group {
            id: Some("g1".into()),
            name: "Sales".into(),
            total_members: Some(3),
        };
        let grown = Group {
            total_members: Some(4),
            ..group.clone()
        };
        assert_ne!(group_fingerprint(&group), group_fingerprint(&grown));
    }
}
