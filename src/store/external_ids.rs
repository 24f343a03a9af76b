//! `externalId` (RFC 7643 section 3.1): the client's identifier of a resource, which
//! Zoom has no field for. Case-exact; one value per resource; kept while the resource
//! exists.

use std::collections::HashMap;

use sqlx::Row;

use super::{ResourceKind, Store, StoreError, now_ms};

impl Store {
    /// The `externalId` of one resource.
    pub async fn external_id(
        &self,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT external_id FROM resources WHERE kind = $1 AND id = $2")
            .bind(kind.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.failure(e))?;
        match row {
            Some(row) => row
                .try_get::<Option<String>, _>(0)
                .map_err(|e| self.failure(e)),
            None => Ok(None),
        }
    }

    /// The `externalId`s of `ids` that have one.
    pub async fn external_ids(
        &self,
        kind: ResourceKind,
        ids: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        let rows = self
            .select_for_ids(
                kind,
                ids,
                "SELECT id, external_id FROM resources WHERE kind = $1 \
                 AND external_id IS NOT NULL AND id IN ({ids})",
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get(0).map_err(|e| self.failure(e))?;
                let external_id: String = row.try_get(1).map_err(|e| self.failure(e))?;
                Ok((id, external_id))
            })
            .collect()
    }

    /// The ids of the resources whose `externalId` is exactly `external_id`.
    pub async fn ids_by_external_id(
        &self,
        kind: ResourceKind,
        external_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM resources WHERE kind = $1 AND external_id = $2 ORDER BY id",
        )
        .bind(kind.as_str())
        .bind(external_id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.failure(e))?;
        rows.iter()
            .map(|row| row.try_get(0).map_err(|e| self.failure(e)))
            .collect()
    }

    /// Every stored `externalId` of `kind`, by resource id.
    pub async fn all_external_ids(
        &self,
        kind: ResourceKind,
    ) -> Result<HashMap<String, String>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, external_id FROM resources WHERE kind = $1 AND external_id IS NOT NULL",
        )
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.failure(e))?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get(0).map_err(|e| self.failure(e))?;
                let external_id: String = row.try_get(1).map_err(|e| self.failure(e))?;
                Ok((id, external_id))
            })
            .collect()
    }

    /// Sets (or, with `None`, clears) a resource's `externalId`.
    pub async fn set_external_id(
        &self,
        kind: ResourceKind,
        id: &str,
        external_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO resources (kind, id, external_id, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kind, id) DO UPDATE SET external_id = excluded.external_id, \
             updated_at = excluded.updated_at",
        )
        .bind(kind.as_str())
        .bind(id)
        .bind(external_id.map(str::to_owned))
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(|e| self.failure(e))
    }

    /// Forgets a resource that no longer exists (deleted, or gone from Zoom).
    pub async fn forget(&self, kind: ResourceKind, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM resources WHERE kind = $1 AND id = $2")
            .bind(kind.as_str())
            .bind(id)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(|e| self.failure(e))
    }
}
