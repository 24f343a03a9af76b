//! The `[scim]` settings: the SCIM surface (base path, paging), the provisioning
//! policies and the caches the use cases keep.

use serde::{Deserialize, Serialize};

use super::policy::{DeletePolicy, DuplicatePolicy, PendingChanges, PendingDeactivation};
use crate::setting::{self, Invalid};
use crate::zoom::model::CreateAction;

/// Zoom's `transfer_*` options for a permanent delete.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DeleteTransfer {
    /// Target user for transfers (required by Zoom when any transfer is on).
    pub email: Option<String>,
    /// Transfer future meetings.
    pub meeting: bool,
    /// Transfer future webinars.
    pub webinar: bool,
    /// Transfer cloud recordings.
    pub recording: bool,
    /// Transfer whiteboards.
    pub whiteboard: bool,
    /// Transfer clips.
    pub clipfiles: bool,
    /// Transfer notes.
    pub notes: bool,
    /// Transfer visitors.
    pub visitors: bool,
    /// Transfer docs.
    pub docs: bool,
}

/// SCIM behaviour and provisioning policies.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ScimConfig {
    /// Path prefix of the SCIM API.
    pub base_path: String,
    /// A cap on the resources one listing answers, unset by default: a request without
    /// `count` then gets this many and a larger `count` is clamped to it (published as
    /// `filter.maxResults`). Unset, every `count` is honoured and a listing without one
    /// answers every match, streamed.
    pub default_count: Option<usize>,
    /// Enrich filtered/paged searches with per-user detail calls when the requested
    /// attributes need detail fields (Java `results.deepGet`).
    pub deep_get: bool,
    /// Same for unfiltered full listings (Java `results.deepImport`).
    pub deep_import: bool,
    /// Zoom create action (see [`CreateAction`]).
    pub create_action: CreateAction,
    /// Zoom user `type` when a create carries none (1 Basic, 2 Licensed, 4 Unassigned,
    /// 99 None: `ssoCreate` only).
    pub default_user_type: u8,
    /// Duplicate policy for users and groups (Java `service.duplicateErrorReturnsId`).
    pub duplicates: DuplicatePolicy,
    /// Delete policy: `deactivate`, `disassociate` (unlink from the account), `delete`
    /// (permanent, with the transfers below) or `delicense` (keep the account: type
    /// Basic, Zoom Phone off) (Java `deactivateOnDelete` / `disassociateOnDelete`).
    pub delete_policy: DeletePolicy,
    /// Transfers sent with `delete_policy = "delete"`.
    pub delete_transfer: DeleteTransfer,
    /// Log the user out everywhere after deactivation (Java `immediateLogoutOnDeactivate`).
    pub logout_on_deactivate: bool,
    /// What `active=false` does to a pending user.
    pub pending_deactivation: PendingDeactivation,
    /// What a PUT or PATCH of a pending user does when Zoom would drop the change.
    pub pending_changes: PendingChanges,
    /// Ids or e-mails that can never be deactivated, removed or deleted (the account
    /// owner is always protected); a list, or one string with comma-separated entries.
    #[serde(deserialize_with = "setting::string_list")]
    pub protected_users: Vec<String>,
    /// Allow `DELETE /Groups/{id}` (Java `entitlementDeletionEnabled`).
    pub group_deletion: bool,
    /// Paging cursors kept for sequential SCIM paging (each a resume point of a few
    /// hundred bytes).
    pub cursor_cache_size: u64,
    /// MiB the cursors' buffered pages, calls started ahead and phone listings may
    /// hold together; a cursor whose buffers were dropped fetches its page again.
    pub cursor_cache_mib: u64,
    /// How long a paging cursor is kept, seconds (Zoom tokens expire after 15 minutes).
    pub cursor_ttl_s: u64,
    /// How long the phone site list is cached, seconds.
    pub site_cache_ttl_s: u64,
    /// Listing pages with at most this many users read phone profiles one by one
    /// (`GET /phone/users/{id}`); larger ones read the paged `GET /phone/users` once.
    pub phone_per_user_max: usize,
    /// How long the list of Zoom Phone users is trusted, seconds (0: off). Reading one
    /// user asks for a phone profile only for users on it; it is refreshed in the
    /// background.
    pub phone_roster_ttl_s: u64,
    /// How long the list of confirmed (active and inactive) users is trusted, seconds
    /// (0: off). Writes skip a user read when it lists the user; it is walked in the
    /// background once a write asks for it.
    pub user_roster_ttl_s: u64,
}

impl Default for ScimConfig {
    fn default() -> Self {
        Self {
            base_path: "/scim/v2".to_owned(),
            default_count: None,
            deep_get: true,
            deep_import: true,
            create_action: CreateAction::Create,
            default_user_type: 1,
            duplicates: DuplicatePolicy::Conflict,
            delete_policy: DeletePolicy::Deactivate,
            delete_transfer: DeleteTransfer::default(),
            logout_on_deactivate: false,
            pending_deactivation: PendingDeactivation::Refuse,
            pending_changes: PendingChanges::Defer,
            protected_users: Vec::new(),
            group_deletion: true,
            cursor_cache_size: 1024,
            cursor_cache_mib: 8,
            cursor_ttl_s: 600,
            site_cache_ttl_s: 300,
            phone_per_user_max: 10,
            phone_roster_ttl_s: 60,
            user_roster_ttl_s: 300,
        }
    }
}

impl ScimConfig {
    /// Refuses values the SCIM surface cannot work with.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.default_count == Some(0) {
            return Err(Invalid::new(
                "default_count",
                "must be at least 1 (leave it out for no cap)",
            ));
        }
        if ![1, 2, 4, 99].contains(&self.default_user_type) {
            return Err(Invalid::new("default_user_type", "must be 1, 2, 4 or 99"));
        }
        if !self.base_path.starts_with('/') || self.base_path.ends_with('/') {
            return Err(Invalid::new(
                "base_path",
                "must start with `/` and not end with `/`",
            ));
        }
        let transfer = &self.delete_transfer;
        let any_transfer = transfer.meeting
            || transfer.webinar
            || transfer.recording
            || transfer.whiteboard
            || transfer.clipfiles
            || transfer.notes
            || transfer.visitors
            || transfer.docs;
        if any_transfer && transfer.email.as_deref().is_none_or(str::is_empty) {
            return Err(Invalid::new(
                "delete_transfer.email",
                "is required when a transfer is enabled",
            ));
        }
        Ok(())
    }
}
