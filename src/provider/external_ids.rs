//! `externalId` for Users and Groups (RFC 7643 section 3.1), kept in the store because
//! Zoom has no field for it, and what the use cases do when the store is out of reach:
//! a read goes on without the values (and says so in the log), a write is refused with
//! 503 before any Zoom call, a search that needs the store is 503.

use std::collections::HashMap;

use crate::provider::Provider;
use crate::scim::error::ScimError;
use crate::store::{RETRY_AFTER_S, ResourceKind, StoreError};

/// A store failure as the SCIM client sees it: 503 with `Retry-After` when the store
/// is out of reach, 500 otherwise. The driver's detail goes to the log, once.
pub(crate) fn store_failure(error: &StoreError, what: &str) -> ScimError {
    tracing::error!(error = %error, "{what}: store failure");
    if error.is_unavailable() {
        ScimError::unavailable(
            format!("{what}: the service's store is unreachable; nothing was changed, retry later"),
            Some(RETRY_AFTER_S),
        )
    } else {
        ScimError::internal(format!("{what}: the service's store failed"))
    }
}

impl Provider {
    /// Refuses a write while the store is out of reach, before anything is sent to Zoom:
    /// what the write must keep (an `externalId`) could not be kept.
    pub(in crate::provider) async fn require_store(&self, what: &str) -> Result<(), ScimError> {
        self.store.ping().await.map_err(|e| store_failure(&e, what))
    }

    /// The `externalId`s of `ids`, for rendering. A store out of reach gives none: the
    /// read goes on with what Zoom holds.
    pub(in crate::provider) async fn external_ids_for(
        &self,
        kind: ResourceKind,
        ids: &[&str],
    ) -> HashMap<String, String> {
        if ids.is_empty() {
            return HashMap::new();
        }
        match self.store.external_ids(kind, ids).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "store unreachable: resources are shown without externalId");
                HashMap::new()
            }
        }
    }

    /// The ids the store knows by `external_id` (a filter `externalId eq`); 503 when
    /// the store is out of reach, as the answer would be wrong without it.
    pub(in crate::provider) async fn ids_by_external_id(
        &self,
        kind: ResourceKind,
        external_id: &str,
    ) -> Result<Vec<String>, ScimError> {
        self.store
            .ids_by_external_id(kind, external_id)
            .await
            .map_err(|e| store_failure(&e, "search by externalId"))
    }

    /// Keeps a resource's new `externalId` (`None`: cleared) after its Zoom changes
    /// were applied. The write already changed Zoom, so a failure says so.
    pub(in crate::provider) async fn keep_external_id(
        &self,
        kind: ResourceKind,
        id: &str,
        external_id: Option<&str>,
        applied: &str,
    ) -> Result<(), ScimError> {
        self.store
            .set_external_id(kind, id, external_id)
            .await
            .map_err(|e| {
                let mut err = store_failure(&e, &format!("keep the externalId of {id}"));
                err.detail = format!(
                    "{applied}, but its externalId could not be kept: the service's store failed. Send the same request again once the store is back"
                );
                err
            })
    }

    /// The modification times of `ids`, for rendering (none when the store is out of
    /// reach).
    pub(in crate::provider) async fn modification_times(
        &self,
        kind: ResourceKind,
        ids: &[&str],
    ) -> HashMap<String, chrono::DateTime<chrono::Utc>> {
        if ids.is_empty() {
            return HashMap::new();
        }
        self.store
            .modification_times(kind, ids)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "store unreachable: resources are shown without meta.lastModified");
                HashMap::new()
            })
    }

    /// Records what full reads showed (`(id, version)`) and returns the ids a read
    /// found changed since the last one (or saw first), with the time they now carry;
    /// their rendered `meta.lastModified` is stale. A store failure is logged at debug
    /// level (a read goes on; the next read compares again).
    pub(in crate::provider) async fn dated_by_full_reads(
        &self,
        kind: ResourceKind,
        seen: &[(&str, &str)],
    ) -> (Vec<String>, chrono::DateTime<chrono::Utc>) {
        let now = chrono::Utc::now();
        match self.store.record_full_reads(kind, seen, now).await {
            Ok(dated) => (dated, now),
            Err(e) => {
                tracing::debug!(error = %e, "cannot compare full reads in the store");
                (Vec::new(), now)
            }
        }
    }

    /// Dates the service's own change of `ids` now. A failure is logged: the write is
    /// done, and the next walk dates what Zoom's listing shows changed.
    pub(in crate::provider) async fn touch(&self, kind: ResourceKind, ids: &[&str]) {
        if ids.is_empty() {
            return;
        }
        if let Err(e) = self.store.touch(kind, ids, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "cannot date a change in the store");
        }
    }

    /// The ids whose `meta.lastModified` compares with `at` as `op` says; 503 when the
    /// store is out of reach.
    pub(in crate::provider) async fn modified_ids(
        &self,
        kind: ResourceKind,
        op: crate::scim::CompareOp,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, ScimError> {
        use crate::scim::CompareOp;
        use crate::store::changes::TimeComparison;
        let comparison = match op {
            CompareOp::Gt => TimeComparison::After,
            CompareOp::Ge => TimeComparison::AtOrAfter,
            CompareOp::Lt => TimeComparison::Before,
            _ => TimeComparison::AtOrBefore,
        };
        self.store
            .modified_ids(kind, comparison, at)
            .await
            .map_err(|e| store_failure(&e, "search by meta.lastModified"))
    }

    /// Forgets what the store keeps of a resource that is gone (deleted through the
    /// service, or found missing in Zoom). A failure is logged: the next sighting
    /// retries it, and a stale row only names an id Zoom no longer has.
    pub(in crate::provider) async fn forget_resource(&self, kind: ResourceKind, id: &str) {
        if let Err(e) = self.store.forget(kind, id).await {
            tracing::warn!(error = %e, resource_id = %id, "cannot forget a removed resource in the store");
        }
    }
}
