//! Zoom's webhook deliveries already acted on, so that a repeated delivery (Zoom
//! delivers at least once) changes nothing.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, now_ms};

impl Store {
    /// Claims a delivery by its body's digest: `true` when it is new and the caller
    /// acts on it, `false` when it was claimed before (a repeat).
    pub async fn claim_delivery(&self, digest: &str, event: &str) -> Result<bool, StoreError> {
        sqlx::query(
            "INSERT INTO webhook_deliveries (digest, event, received_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (digest) DO NOTHING",
        )
        .bind(digest)
        .bind(event)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map(|done| done.rows_affected() == 1)
        .map_err(|e| self.failure(e))
    }

    /// Releases a claim whose handling failed, so that Zoom's retry is acted on.
    pub async fn release_delivery(&self, digest: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM webhook_deliveries WHERE digest = $1")
            .bind(digest)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(|e| self.failure(e))
    }

    /// Forgets deliveries received before `before`; returns how many.
    pub async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        sqlx::query("DELETE FROM webhook_deliveries WHERE received_ms < $1")
            .bind(before.timestamp_millis())
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(|e| self.failure(e))
    }
}
