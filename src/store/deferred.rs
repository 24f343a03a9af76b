//! Changes to a pending user that Zoom would drop (it answers an invitee's update with
//! 204 and keeps nothing), kept until the user accepts the invitation.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::Row;

use super::{ResourceKind, Store, StoreError, now_ms};

impl Store {
    /// The deferred changes of those of `ids` that have some.
    pub async fn deferred(
        &self,
        kind: ResourceKind,
        ids: &[&str],
    ) -> Result<HashMap<String, Value>, StoreError> {
        let rows = self
            .select_for_ids(
                kind,
                ids,
                "SELECT id, deferred FROM resources WHERE kind = $1 AND deferred IS NOT NULL \
                 AND id IN ({ids})",
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get(0).map_err(|e| self.failure(e))?;
                let text: String = row.try_get(1).map_err(|e| self.failure(e))?;
                let value = serde_json::from_str(&text)
                    .map_err(|e| StoreError::Statement(format!("deferred changes of {id}: {e}")))?;
                Ok((id, value))
            })
            .collect()
    }

    /// Keeps (or, with `None`, clears) a resource's deferred changes.
    pub async fn set_deferred(
        &self,
        kind: ResourceKind,
        id: &str,
        deferred: Option<&Value>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO resources (kind, id, deferred, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kind, id) DO UPDATE SET deferred = excluded.deferred, \
             updated_at = excluded.updated_at",
        )
        .bind(kind.as_str())
        .bind(id)
        .bind(deferred.map(Value::to_string))
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(|e| self.failure(e))
    }

    /// The ids of the resources with deferred changes.
    pub async fn deferred_ids(&self, kind: ResourceKind) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM resources WHERE kind = $1 AND deferred IS NOT NULL ORDER BY id",
        )
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.failure(e))?;
        rows.iter()
            .map(|row| row.try_get(0).map_err(|e| self.failure(e)))
            .collect()
    }
}
