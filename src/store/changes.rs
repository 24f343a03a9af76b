//! Modification times: `meta.lastModified` is the latest time the service knows a
//! resource changed. Its own writes date a change at once ([`Store::touch`]); the
//! periodic walk of Zoom's listings compares each listed record's fingerprint with the
//! stored one and dates a difference at the walk ([`Store::record_sightings`]): later
//! than the real change, never earlier. A resource never seen changing carries the time
//! the store first saw it.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::Row;

use super::{ResourceKind, Store, StoreError};

/// Rows written per statement.
const ROWS_PER_STATEMENT: usize = 200;

/// An upsert's new `modified_ms`: the later of the stored and the new time, so that a
/// walk dated at its start never moves back a time a write or an event set meanwhile
/// (portable SQL: SQLite's `MAX(a, b)` is PostgreSQL's `GREATEST`).
const LATER_MODIFIED: &str = "CASE WHEN resources.modified_ms IS NULL \
     OR resources.modified_ms < excluded.modified_ms THEN excluded.modified_ms \
     ELSE resources.modified_ms END";

/// A comparison of `meta.lastModified` with a time (RFC 7644 section 3.4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeComparison {
    /// `gt`
    After,
    /// `ge`
    AtOrAfter,
    /// `lt`
    Before,
    /// `le`
    AtOrBefore,
}

impl TimeComparison {
    fn sql(self) -> &'static str {
        match self {
            Self::After => ">",
            Self::AtOrAfter => ">=",
            Self::Before => "<",
            Self::AtOrBefore => "<=",
        }
    }
}

/// What one walk changed in the store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sightings {
    /// Resources seen for the first time.
    pub new: usize,
    /// Resources whose fingerprint changed.
    pub changed: usize,
}

fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl Store {
    /// Dates a change of `ids` made by the service at `at`.
    pub async fn touch(
        &self,
        kind: ResourceKind,
        ids: &[&str],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = at.timestamp_millis();
        let rows: Vec<(String, Option<String>)> =
            ids.iter().map(|id| ((*id).to_owned(), None)).collect();
        self.upsert_times(kind, &rows, at, false).await
    }

    /// Records a walk: `seen` are the listed resources with their fingerprints; new
    /// ones and changed ones are dated `at`.
    pub async fn record_sightings(
        &self,
        kind: ResourceKind,
        seen: &[(String, String)],
        at: DateTime<Utc>,
    ) -> Result<Sightings, StoreError> {
        let known = self.fingerprints(kind).await?;
        let mut sightings = Sightings::default();
        let mut rows = Vec::new();
        for (id, fingerprint) in seen {
            match known.get(id) {
                Some(Some(old)) if old == fingerprint => continue,
                Some(Some(_)) => sightings.changed += 1,
                Some(None) | None => sightings.new += 1,
            }
            rows.push((id.clone(), Some(fingerprint.clone())));
        }
        self.upsert_times(kind, &rows, at.timestamp_millis(), true)
            .await?;
        Ok(sightings)
    }

    /// Every stored fingerprint of `kind` (`None`: a row no walk has seen yet).
    async fn fingerprints(
        &self,
        kind: ResourceKind,
    ) -> Result<HashMap<String, Option<String>>, StoreError> {
        let rows = sqlx::query("SELECT id, fingerprint FROM resources WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.failure(e))?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get(0).map_err(|e| self.failure(e))?;
                let fingerprint: Option<String> = row.try_get(1).map_err(|e| self.failure(e))?;
                Ok((id, fingerprint))
            })
            .collect()
    }

    /// Upserts `(id, fingerprint)` rows with `modified_ms = at` (and `first_seen_ms`
    /// when unset), in one transaction, many rows a statement. Without
    /// `with_fingerprint` the stored fingerprint is kept.
    async fn upsert_times(
        &self,
        kind: ResourceKind,
        rows: &[(String, Option<String>)],
        at: i64,
        with_fingerprint: bool,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let fingerprint = if with_fingerprint {
            ", fingerprint = excluded.fingerprint"
        } else {
            ""
        };
        let mut tx = self.pool.begin().await.map_err(|e| self.failure(e))?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = i * 2;
                    format!("($1, ${}, ${}, $2, $2, $2)", p + 3, p + 4)
                })
                .collect();
            let sql = format!(
                "INSERT INTO resources (kind, id, fingerprint, updated_at, first_seen_ms, \
                 modified_ms) VALUES {} ON CONFLICT (kind, id) DO UPDATE SET \
                 modified_ms = {LATER}, updated_at = excluded.updated_at, \
                 first_seen_ms = COALESCE(resources.first_seen_ms, excluded.first_seen_ms){fingerprint}",
                values.join(", "),
                LATER = LATER_MODIFIED
            );
            let mut query = sqlx::query(&sql).bind(kind.as_str()).bind(at);
            for (id, fp) in chunk {
                query = query.bind(id.clone()).bind(fp.clone());
            }
            query.execute(&mut *tx).await.map_err(|e| self.failure(e))?;
        }
        tx.commit().await.map_err(|e| self.failure(e))
    }

    /// Records full reads: `seen` are `(id, version)` as the service just rendered
    /// them. A version that differs from the last full read's dates the resource `at`;
    /// a resource the store never saw is first seen `at`; a first full read of a known
    /// resource only keeps its version. Returns the resources whose time became `at`.
    pub async fn record_full_reads(
        &self,
        kind: ResourceKind,
        seen: &[(&str, &str)],
        at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        if seen.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = seen.iter().map(|(id, _)| *id).collect();
        let rows = self
            .select_for_ids(
                kind,
                &ids,
                "SELECT id, full_read_version FROM resources WHERE kind = $1 AND id IN ({ids})",
            )
            .await?;
        let mut known: HashMap<String, Option<String>> = HashMap::new();
        for row in &rows {
            let id: String = row.try_get(0).map_err(|e| self.failure(e))?;
            let version: Option<String> = row.try_get(1).map_err(|e| self.failure(e))?;
            known.insert(id, version);
        }
        let at_ms = at.timestamp_millis();
        let mut dated = Vec::new();
        let mut writes = Vec::new();
        for (id, version) in seen {
            let statement = match known.get(*id) {
                Some(Some(old)) if old == version => continue,
                Some(Some(_)) => {
                    dated.push((*id).to_owned());
                    "UPDATE resources SET full_read_version = $3, updated_at = $4, \
                     modified_ms = CASE WHEN modified_ms IS NULL OR modified_ms < $4 THEN $4 \
                     ELSE modified_ms END WHERE kind = $1 AND id = $2"
                }
                Some(None) => {
                    "UPDATE resources SET full_read_version = $3, updated_at = $4, \
                     first_seen_ms = COALESCE(first_seen_ms, $4) WHERE kind = $1 AND id = $2"
                }
                None => {
                    dated.push((*id).to_owned());
                    "INSERT INTO resources (kind, id, full_read_version, updated_at, first_seen_ms) \
                     VALUES ($1, $2, $3, $4, $4) ON CONFLICT (kind, id) DO UPDATE SET \
                     full_read_version = excluded.full_read_version"
                }
            };
            writes.push((statement, *id, *version));
        }
        if writes.is_empty() {
            return Ok(dated);
        }
        let mut tx = self.pool.begin().await.map_err(|e| self.failure(e))?;
        for (statement, id, version) in writes {
            sqlx::query(statement)
                .bind(kind.as_str())
                .bind(id)
                .bind(version)
                .bind(at_ms)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.failure(e))?;
        }
        tx.commit().await.map_err(|e| self.failure(e))?;
        Ok(dated)
    }

    /// The ids of `kind` whose modification time compares with `at` as asked.
    pub async fn modified_ids(
        &self,
        kind: ResourceKind,
        comparison: TimeComparison,
        at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT id FROM resources WHERE kind = $1 AND COALESCE(modified_ms, first_seen_ms) {} $2 \
             ORDER BY id",
            comparison.sql()
        );
        let rows = sqlx::query(&sql)
            .bind(kind.as_str())
            .bind(at.timestamp_millis())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.failure(e))?;
        rows.iter()
            .map(|row| row.try_get(0).map_err(|e| self.failure(e)))
            .collect()
    }

    /// The modification times of those of `ids` the store has seen.
    pub async fn modification_times(
        &self,
        kind: ResourceKind,
        ids: &[&str],
    ) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
        let rows = self
            .select_for_ids(
                kind,
                ids,
                "SELECT id, COALESCE(modified_ms, first_seen_ms) FROM resources WHERE kind = $1 \
                 AND COALESCE(modified_ms, first_seen_ms) IS NOT NULL AND id IN ({ids})",
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get(0).map_err(|e| self.failure(e))?;
                let ms: i64 = row.try_get(1).map_err(|e| self.failure(e))?;
                Ok((id, time(ms)))
            })
            .collect()
    }
}
