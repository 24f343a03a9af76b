//! The SCIM use cases over Zoom: get, list/search, create, replace, patch, delete.
//! Protocol rules live here; Zoom calls go through [`ZoomClient`]; translation is in
//! [`crate::mapping`].

pub mod changes;
mod external_ids;
mod failure;
mod groups;
pub mod journal;
mod listing;
mod locks;
mod lookups;
mod phone_read;
mod phone_roster;
pub mod policy;
pub mod progress;
mod roster;
mod settings;
mod user_roster;
mod users;
pub mod zoom_events;

use std::sync::Arc;

use serde_json::Value;

use crate::scim::error::ScimError;
use crate::store::Store;
use crate::zoom::ZoomClient;

pub(crate) use external_ids::store_failure;
pub use groups::{GroupMember, GroupPatchOutcome};
pub use listing::{ListChunk, ListStream, Listing};
pub use locks::ResourceLocks;
pub use lookups::{Lookups, SiteDirectory};
pub use policy::{DeletePolicy, DuplicatePolicy, PendingChanges, PendingDeactivation};
pub use settings::{DeleteTransfer, ScimConfig};
pub use zoom_events::EventOutcome;

/// A rendered resource.
#[derive(Debug, Clone)]
pub struct ScimResource {
    /// The (projected) JSON body.
    pub body: Value,
    /// Weak ETag of the full resource, when the full resource was read.
    pub etag: Option<String>,
    /// Absolute `meta.location`.
    pub location: String,
    /// What Zoom silently did not apply (pending users), for `Warning` headers.
    pub warnings: Vec<String>,
}

/// The result of a create.
#[derive(Debug)]
pub struct WriteOutcome {
    /// The resource as Zoom holds it afterwards.
    pub resource: ScimResource,
    /// `true`: created (201); `false`: an existing resource was adopted (200).
    pub created: bool,
}

/// Conditions of a write (RFC 7644 section 3.14).
#[derive(Debug, Default, Clone)]
pub struct Precondition {
    /// `If-Match` header value.
    pub if_match: Option<String>,
}

impl Precondition {
    /// Fails with 412 when `If-Match` is present and matches neither `*` nor `etag`.
    pub fn check(&self, etag: &str) -> Result<(), ScimError> {
        match &self.if_match {
            None => Ok(()),
            Some(expected)
                if expected
                    .split(',')
                    .any(|t| t.trim() == "*" || t.trim() == etag) =>
            {
                Ok(())
            }
            Some(_) => Err(ScimError::precondition_failed(format!(
                "If-Match does not match the current version {etag}; read the resource again"
            ))),
        }
    }
}

/// The provider: every SCIM use case.
#[derive(Debug)]
pub struct Provider {
    zoom: ZoomClient,
    settings: Arc<ScimConfig>,
    base_url: String,
    lookups: Lookups,
    cursors: users::CursorCache,
    /// One write at a time per user or group.
    locks: ResourceLocks,
    /// What Zoom cannot keep.
    store: Store,
}

impl Provider {
    /// Builds the provider over a Zoom client and a store; `base_url` is the absolute
    /// SCIM base.
    pub fn new(
        zoom: ZoomClient,
        settings: Arc<ScimConfig>,
        base_url: String,
        store: Store,
    ) -> Self {
        let lookups = Lookups::new(zoom.clone(), &settings);
        let cursors = users::CursorCache::new(&settings);
        Self {
            zoom,
            settings,
            base_url,
            lookups,
            cursors,
            locks: ResourceLocks::default(),
            store,
        }
    }
}

/// Runs CPU-bound work (applying a PATCH of thousands of values) so that the runtime's
/// other tasks, the health probes among them, move to another worker meanwhile. On a
/// single-threaded runtime (tests) it simply runs.
pub(crate) fn cpu_bound<R>(work: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}
