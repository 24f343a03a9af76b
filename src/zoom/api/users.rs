//! The Users family: `/users` and its sub-resources (status, e-mail, token, settings).

use chrono::Utc;
use futures::stream::BoxStream;
use serde_json::{Value, json};

use super::MAX_PAGE_USERS;
use crate::zoom::ZoomClient;
use crate::zoom::client::{EffectCheck, Op, Request, config_error};
use crate::zoom::error::ZoomError;
use crate::zoom::limits::Category::{Light, Medium};
use crate::zoom::model::{
    CreateUser, CreatedUser, DeleteUser, ListUsersQuery, StatusAction, UpdateUser, UserSettings,
    ZoomUser,
};
use crate::zoom::paging::{Page, paginate};
use crate::zoom::path::seg;

const LIST_USERS: Op = Op::general("GET", "/users", Medium);
const CREATE_USER: Op = Op::general("POST", "/users", Light);
const GET_USER: Op = Op::general("GET", "/users/{userId}", Light);
const UPDATE_USER: Op = Op::general("PATCH", "/users/{userId}", Light);
const DELETE_USER: Op = Op::general("DELETE", "/users/{userId}", Light);
const USER_STATUS: Op = Op::general("PUT", "/users/{userId}/status", Light);
const USER_EMAIL: Op = Op::general("PUT", "/users/{userId}/email", Light);
const USER_TOKEN: Op = Op::general("DELETE", "/users/{userId}/token", Light);
const USER_SETTINGS: Op = Op::general("GET", "/users/{userId}/settings", Medium);
const UPDATE_USER_SETTINGS: Op = Op::general("PATCH", "/users/{userId}/settings", Medium);

/// How far Zoom's clock may trail this host's when a user's creation time is compared
/// with the time a create was sent. Too small a margin only turns a lost answer into a
/// 409 (the safe side); too large one would let a user created just before by someone
/// else pass for this call's.
const CREATE_CLOCK_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// Whether a user whose `user_created_at` is `created_at` was made by a create sent at
/// `sent_at`. Zoom gives whole seconds; a missing or unreadable time proves nothing.
/// (`created_at` is no use here: for a pending user it is the time of the read, contract
/// section 3.)
fn created_by_call_at(created_at: Option<&str>, sent_at: chrono::DateTime<Utc>) -> bool {
    created_at
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| t.with_timezone(&Utc) >= sent_at - CREATE_CLOCK_MARGIN)
}

impl ZoomClient {
    /// One page of `GET /users`.
    pub async fn list_users_page(
        &self,
        query: &ListUsersQuery,
        next_page_token: Option<&str>,
    ) -> Result<Page<ZoomUser>, ZoomError> {
        let mut q = vec![(
            "page_size",
            self.page_size(query.page_size, MAX_PAGE_USERS).to_string(),
        )];
        if let Some(status) = &query.status {
            q.push(("status", status.as_str().to_owned()));
        }
        if let Some(role_id) = &query.role_id {
            q.push(("role_id", role_id.clone()));
        }
        if let Some(token) = next_page_token {
            q.push(("next_page_token", token.to_owned()));
        }
        self.call_page(Request::new(LIST_USERS, "/users".into()).query(q), "users")
            .await
    }

    /// Every user matching `query`, page after page (de-duplicated by id, or by email for
    /// pending users, who have no id in listings).
    pub fn list_users(
        &self,
        query: ListUsersQuery,
    ) -> BoxStream<'static, Result<ZoomUser, ZoomError>> {
        let client = self.clone();
        paginate(
            move |token| {
                let client = client.clone();
                let query = query.clone();
                async move { client.list_users_page(&query, token.as_deref()).await }
            },
            |user: &ZoomUser| {
                Some(match &user.id {
                    Some(id) => format!("id:{id}"),
                    None => format!("email:{}", user.email.to_lowercase()),
                })
            },
        )
    }

    /// `GET /users/{userId}` by id or email.
    pub async fn get_user(&self, id_or_email: &str) -> Result<ZoomUser, ZoomError> {
        self.call_json(Request::new(
            GET_USER,
            format!("/users/{}", seg(id_or_email)),
        ))
        .await
    }

    /// `POST /users`. An email already in use gives [`ErrorKind::Duplicate`](crate::zoom::ErrorKind::Duplicate). If the
    /// answer is lost, the user is looked up by email before any replay, so a lost answer
    /// never creates a second invitation.
    ///
    /// A user found by that look-up counts as this call's only if Zoom created it after
    /// the call was sent ([`created_by_call_at`]): an account that already had the e-mail
    /// is never taken for a new one (the replay then meets Zoom's 409 code 1005).
    pub async fn create_user(&self, user: &CreateUser) -> Result<CreatedUser, ZoomError> {
        let body = serde_json::to_value(user)
            .map_err(|e| config_error(format!("cannot encode the user: {e}")))?;
        let email = user.user_info.email.clone();
        let check: EffectCheck<'_> = Box::new(move |sent_at| {
            let path = format!("/users/{}", seg(&email));
            Box::pin(async move {
                let Some(found) = self.find(GET_USER, path).await? else {
                    return Ok(None);
                };
                let created_at = serde_json::from_slice::<ZoomUser>(&found)
                    .ok()
                    .and_then(|u| u.user_created_at);
                if created_by_call_at(created_at.as_deref(), sent_at) {
                    return Ok(Some(found));
                }
                tracing::warn!(
                    user_created_at = created_at.as_deref().unwrap_or("absent"),
                    "a user with this e-mail exists, but not one this create made: treated as a duplicate"
                );
                Ok(None)
            })
        });
        self.call_json(
            Request::new(CREATE_USER, "/users".into())
                .json(body)
                .check(check),
        )
        .await
    }

    /// `PATCH /users/{userId}`.
    pub async fn update_user(&self, id: &str, update: &UpdateUser) -> Result<(), ZoomError> {
        let body = serde_json::to_value(update)
            .map_err(|e| config_error(format!("cannot encode the update: {e}")))?;
        self.call_unit(Request::new(UPDATE_USER, format!("/users/{}", seg(id))).json(body))
            .await
    }

    /// `PUT /users/{userId}/status` (any 2xx is success: Zoom documents 200, older docs 204).
    pub async fn set_user_status(&self, id: &str, action: StatusAction) -> Result<(), ZoomError> {
        self.call_unit(
            Request::new(USER_STATUS, format!("/users/{}/status", seg(id)))
                .json(json!({ "action": action })),
        )
        .await
    }

    /// `PUT /users/{userId}/email` (needs a managed domain; 3 changes per 24 h).
    pub async fn update_user_email(&self, id: &str, email: &str) -> Result<(), ZoomError> {
        self.call_unit(
            Request::new(USER_EMAIL, format!("/users/{}/email", seg(id)))
                .json(json!({ "email": email })),
        )
        .await
    }

    /// `DELETE /users/{userId}` with the action and transfers of `delete`.
    pub async fn delete_user(&self, id: &str, delete: &DeleteUser) -> Result<(), ZoomError> {
        self.call_unit(
            Request::new(DELETE_USER, format!("/users/{}", seg(id))).query(delete.to_query()),
        )
        .await
    }

    /// `DELETE /users/{userId}/token`: signs the user out everywhere.
    pub async fn revoke_user_token(&self, id: &str) -> Result<(), ZoomError> {
        self.call_unit(Request::new(
            USER_TOKEN,
            format!("/users/{}/token", seg(id)),
        ))
        .await
    }

    /// `GET /users/{userId}/settings`.
    pub async fn get_user_settings(&self, id: &str) -> Result<UserSettings, ZoomError> {
        self.call_json(Request::new(
            USER_SETTINGS,
            format!("/users/{}/settings", seg(id)),
        ))
        .await
    }

    /// `PATCH /users/{userId}/settings`.
    pub async fn update_user_settings(&self, id: &str, settings: &Value) -> Result<(), ZoomError> {
        self.call_unit(
            Request::new(UPDATE_USER_SETTINGS, format!("/users/{}/settings", seg(id)))
                .json(settings.clone()),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_user_created_after_the_call_was_sent_is_the_calls() {
        let sent = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00.700Z")
            .unwrap()
            .with_timezone(&Utc);
        // Zoom's whole seconds, and a clock a little behind ours.
        assert!(created_by_call_at(Some("2026-11-22T10:00:00Z"), sent));
        assert!(created_by_call_at(Some("2026-11-22T09:59:57Z"), sent));
        assert!(created_by_call_at(Some("2026-11-22T10:00:03Z"), sent));
        // An account that was there before.
        assert!(!created_by_call_at(Some("2026-11-22T09:59:50Z"), sent));
        assert!(!created_by_call_at(Some("2021-01-10T22:01:07Z"), sent));
        // Nothing to go by.
        assert!(!created_by_call_at(None, sent));
        assert!(!created_by_call_at(Some("yesterday"), sent));
    }
}
