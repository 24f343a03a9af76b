//! The provisioning policies an administrator picks: what a duplicate create, a
//! `DELETE`, the deactivation of a pending user and a change to one do in Zoom.

use serde::{Deserialize, Serialize};

/// What a create does when the user (or group) already exists.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum DuplicatePolicy {
    /// 409 `uniqueness`, naming the existing id.
    #[default]
    Conflict,
    /// Apply the request to the existing resource and return it (200).
    Adopt,
}

/// What `DELETE /Users/{id}` does in Zoom.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum DeletePolicy {
    /// Deactivate; the user stays in Zoom (and in listings) as inactive.
    #[default]
    Deactivate,
    /// Unlink from the account (the user keeps a free basic account).
    Disassociate,
    /// Delete permanently, with the configured transfers.
    Delete,
    /// Keep the account and its data; take its paid licence and Zoom Phone away (type
    /// Basic, `feature.zoom_phone` off), leaving its status as it was.
    Delicense,
}

/// What `active=false` does to a pending (invited, not yet confirmed) user.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum PendingDeactivation {
    /// Refuse with 409 and a detail: Zoom cannot deactivate a pending user.
    #[default]
    Refuse,
    /// Withdraw the invitation (`DELETE /users/{id}?action=disassociate`).
    Disassociate,
}

/// What a PUT or PATCH does to a pending user when Zoom would drop the change (Zoom
/// answers 204 to an invitee's update and keeps nothing: contract section 3.10).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum PendingChanges {
    /// Keep the change in the store, show it, and apply it as one write once the
    /// user accepts the invitation (200 with a `Warning: 299`).
    #[default]
    Defer,
    /// Refuse with 409: nothing is kept.
    Refuse,
}
