//! The journal: what every SCIM write did. An entry is begun before the write reaches
//! Zoom (no Zoom write without its entry) and finished with the result and each Zoom
//! call's outcome; one the service could not finish (it stopped) is settled later as
//! "outcome unknown", with what Zoom showed then. Tokens and secrets never enter it:
//! a client is named by its token's configured name or its JWT's subject.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{ResourceKind, Store, StoreError, now_ms};

/// Longest `detail` kept, in characters.
const MAX_DETAIL_CHARS: usize = 2000;

/// How an entry ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Begun; the write is under way (or the service stopped during it).
    Started,
    /// Answered with a 2xx.
    Done,
    /// Answered with an error (what was applied, if anything, is in `detail`).
    Failed,
    /// The service stopped before recording the answer; `detail` says what Zoom showed.
    Unknown,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "done" => Self::Done,
            "failed" => Self::Failed,
            "started" => Self::Started,
            _ => Self::Unknown,
        }
    }
}

/// One Zoom call a write made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoomCall {
    /// Method and concrete path, e.g. `PATCH /users/KDcuGIm1QgePTO8WbOqwIQ`.
    pub call: String,
    /// Zoom's HTTP status, when it answered.
    pub status: Option<u16>,
    /// `ok`, or the failure as classified (kind, Zoom's code and message).
    pub outcome: String,
}

/// A write about to run.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// The SCIM client.
    pub client: String,
    /// The request id (`X-Request-Id`).
    pub request_id: String,
    /// Users or Groups.
    pub resource_type: ResourceKind,
    /// e.g. `PATCH /Users/{id}`.
    pub operation: String,
    /// The SCIM id, when the request names one.
    pub resource_id: Option<String>,
    /// A create's `userName` or `displayName`.
    pub resource_key: Option<String>,
}

/// How a write ended.
#[derive(Debug, Clone)]
pub struct Finish {
    /// Done or failed.
    pub outcome: Outcome,
    /// The HTTP status answered.
    pub status: u16,
    /// The error's detail (what was applied), or the warnings.
    pub detail: Option<String>,
    /// The SCIM id, when the answer named one (a create's `Location`).
    pub resource_id: Option<String>,
    /// The Zoom calls made.
    pub calls: Vec<ZoomCall>,
}

/// One journal entry as read back.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry {
    /// Sortable id.
    pub id: String,
    /// When the write began.
    pub at: DateTime<Utc>,
    /// The service instance that ran it.
    pub instance: String,
    /// The SCIM client.
    pub client: String,
    /// The request id.
    pub request_id: String,
    /// `User` or `Group`.
    pub resource_type: String,
    /// e.g. `PATCH /Users/{id}`.
    pub operation: String,
    /// The SCIM id.
    pub resource_id: Option<String>,
    /// A create's `userName` or `displayName`.
    pub resource_key: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The HTTP status answered.
    pub status: Option<u16>,
    /// What the answer or the settlement said.
    pub detail: Option<String>,
    /// The Zoom calls made.
    pub calls: Vec<ZoomCall>,
    /// When it ended (or was settled).
    pub finished_at: Option<DateTime<Utc>>,
}

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct JournalQuery {
    /// Only entries begun at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only entries about this SCIM id.
    pub resource_id: Option<String>,
    /// At most this many (the newest); 0: all.
    pub limit: usize,
}

const COLUMNS: &str = "id, at_ms, instance, client, request_id, resource_type, operation, \
                       resource_id, resource_key, outcome, status, detail, calls, finished_ms";

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A new sortable id: milliseconds (zero-padded), the instance, then a counter, so
/// one instance's entries sort in the order they began even within a millisecond.
fn new_id(at_ms: i64, instance: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{at_ms:015}-{instance}-{n:012}")
}

impl Store {
    /// Begins an entry; its id finishes it. Fails when the store is out of reach, and
    /// then the write must not run.
    pub async fn journal_begin(&self, entry: &NewEntry) -> Result<String, StoreError> {
        let at = now_ms();
        let id = new_id(at, &self.instance);
        sqlx::query(
            "INSERT INTO journal (id, at_ms, instance, client, request_id, resource_type, \
             operation, resource_id, resource_key, outcome, calls) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(at)
        .bind(self.instance.as_ref())
        .bind(clip(&entry.client, 200))
        .bind(clip(&entry.request_id, 200))
        .bind(entry.resource_type.as_str())
        .bind(&entry.operation)
        .bind(entry.resource_id.clone())
        .bind(entry.resource_key.as_deref().map(|k| clip(k, 300)))
        .bind(Outcome::Started.as_str())
        .bind("[]")
        .execute(&self.pool)
        .await
        .map_err(|e| self.failure(e))?;
        Ok(id)
    }

    /// Finishes an entry with the answer and the Zoom calls made.
    pub async fn journal_finish(&self, id: &str, finish: &Finish) -> Result<(), StoreError> {
        let calls = serde_json::to_string(&finish.calls)
            .map_err(|e| StoreError::Statement(format!("encode the Zoom calls: {e}")))?;
        sqlx::query(
            "UPDATE journal SET outcome = $1, status = $2, detail = $3, \
             resource_id = COALESCE($4, resource_id), calls = $5, finished_ms = $6 \
             WHERE id = $7",
        )
        .bind(finish.outcome.as_str())
        .bind(i64::from(finish.status))
        .bind(finish.detail.as_deref().map(|d| clip(d, MAX_DETAIL_CHARS)))
        .bind(finish.resource_id.clone())
        .bind(calls)
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(|e| self.failure(e))
    }

    /// Entries matching `query`, oldest first.
    pub async fn journal_entries(&self, query: &JournalQuery) -> Result<Vec<Entry>, StoreError> {
        let since = query.since.map_or(i64::MIN, |t| t.timestamp_millis());
        let rows =
            match &query.resource_id {
                Some(resource) => {
                    sqlx::query(&format!(
                        "SELECT {COLUMNS} FROM journal WHERE at_ms >= $1 AND resource_id = $2 \
                     ORDER BY at_ms DESC, id DESC"
                    ))
                    .bind(since)
                    .bind(resource.clone())
                    .fetch_all(&self.pool)
                    .await
                }
                None => sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM journal WHERE at_ms >= $1 ORDER BY at_ms DESC, id DESC"
                ))
                .bind(since)
                .fetch_all(&self.pool)
                .await,
            }
            .map_err(|e| self.failure(e))?;
        let mut entries = rows
            .iter()
            .map(|row| self.entry(row))
            .collect::<Result<Vec<_>, _>>()?;
        if query.limit > 0 {
            entries.truncate(query.limit);
        }
        entries.reverse();
        Ok(entries)
    }

    /// Entries still `started` that began before `before` (older than any write under
    /// way can be), oldest first.
    pub async fn journal_unfinished(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<Entry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM journal WHERE outcome = $1 AND at_ms < $2 ORDER BY at_ms, id"
        ))
        .bind(Outcome::Started.as_str())
        .bind(before.timestamp_millis())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.failure(e))?;
        rows.iter().map(|row| self.entry(row)).collect()
    }

    /// Marks an unfinished entry "outcome unknown" with what Zoom shows now. An entry
    /// finished meanwhile is left as it is.
    pub async fn journal_settle(&self, id: &str, detail: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE journal SET outcome = $1, detail = $2, finished_ms = $3 \
             WHERE id = $4 AND outcome = $5",
        )
        .bind(Outcome::Unknown.as_str())
        .bind(clip(detail, MAX_DETAIL_CHARS))
        .bind(now_ms())
        .bind(id)
        .bind(Outcome::Started.as_str())
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(|e| self.failure(e))
    }

    /// Removes the entries begun before `before`; returns how many.
    pub async fn journal_prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        sqlx::query("DELETE FROM journal WHERE at_ms < $1")
            .bind(before.timestamp_millis())
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(|e| self.failure(e))
    }

    fn entry(&self, row: &AnyRow) -> Result<Entry, StoreError> {
        let text = |i: usize| row.try_get::<String, _>(i).map_err(|e| self.failure(e));
        let optional = |i: usize| {
            row.try_get::<Option<String>, _>(i)
                .map_err(|e| self.failure(e))
        };
        let number = |i: usize| {
            row.try_get::<Option<i64>, _>(i)
                .map_err(|e| self.failure(e))
        };
        let calls: Vec<ZoomCall> = serde_json::from_str(&text(12)?).unwrap_or_default();
        Ok(Entry {
            id: text(0)?,
            at: time(number(1)?.unwrap_or_default()),
            instance: text(2)?,
            client: text(3)?,
            request_id: text(4)?,
            resource_type: text(5)?,
            operation: text(6)?,
            resource_id: optional(7)?,
            resource_key: optional(8)?,
            outcome: Outcome::parse(&text(9)?),
            status: number(10)?.and_then(|s| u16::try_from(s).ok()),
            detail: optional(11)?,
            calls,
            finished_at: number(13)?.map(time),
        })
    }
}

/// Writes `entries` for a reader: one line each (time, outcome, status, operation,
/// resource, client, request id, detail) with its Zoom calls indented below, or one
/// JSON array.
pub fn print(entries: &[Entry], json: bool, out: &mut impl std::io::Write) -> std::io::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, entries)?;
        return writeln!(out);
    }
    for entry in entries {
        let status = entry
            .status
            .map_or_else(|| "-".to_owned(), |s| s.to_string());
        let resource = entry
            .resource_id
            .as_deref()
            .or(entry.resource_key.as_deref())
            .unwrap_or("-");
        writeln!(
            out,
            "{}  {:<7}  {:>3}  {}  {} {}  client={}  request={}",
            entry.at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            entry.outcome.as_str(),
            status,
            entry.operation,
            entry.resource_type,
            resource,
            entry.client,
            entry.request_id,
        )?;
        if let Some(detail) = &entry.detail {
            writeln!(out, "    {}", crate::telemetry::escape_controls(detail))?;
        }
        for call in &entry.calls {
            let status = call
                .status
                .map_or_else(|| "-".to_owned(), |s| s.to_string());
            writeln!(out, "    -> {}  {}  {}", call.call, status, call.outcome)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time() {
        let (a, b) = (
            new_id(1_700_000_000_000, "i"),
            new_id(1_700_000_000_001, "i"),
        );
        assert!(a < b, "{a} {b}");
        let (c, d) = (new_id(5, "i"), new_id(5, "i"));
        assert!(c < d, "{c} {d}: the same millisecond keeps the order");
    }

    #[test]
    fn long_text_is_clipped_on_a_character() {
        assert_eq!(clip("héllo", 2), "hé...");
        assert_eq!(clip("ok", 2), "ok");
    }
}
