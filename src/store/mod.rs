//! What the service keeps of its own: what Zoom has no field for (a resource's
//! `externalId`) and the journal of every write. One [`Store`] over two backends chosen by `store.url`: an
//! embedded SQLite file (the default) or PostgreSQL (several replicas share one). Both
//! speak the same portable SQL through sqlx's `Any` driver; the schema is migrated at
//! start-up from the migrations embedded in the binary ([`migrate`]).

pub mod changes;
mod deferred;
mod external_ids;
pub mod journal;
mod migrate;
mod settings;
mod webhooks;

use std::sync::Once;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

pub use settings::{Backend, DEFAULT_URL, StoreConfig, StoreUrl};

/// How long a client is told to wait when the store cannot be reached.
pub const RETRY_AFTER_S: u64 = 5;

/// The kind of SCIM resource a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// A Zoom user.
    User,
    /// A Zoom group.
    Group,
}

impl ResourceKind {
    /// The name stored in the `kind` column (the SCIM resource type).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or did not answer in time.
    #[error("the store at {url} cannot be reached: {reason}")]
    Unavailable {
        /// The store's address, password redacted.
        url: String,
        /// What the driver said.
        reason: String,
    },
    /// The store's schema was written by a newer zoom-scim.
    #[error(
        "the store at {url} holds schema version {found}, written by a newer zoom-scim; this \
         one knows versions up to {known}. Run the newer version, or point `store.url` at \
         another store"
    )]
    NewerSchema {
        /// The store's address, password redacted.
        url: String,
        /// The newest version applied to the store.
        found: i64,
        /// The newest version this binary embeds.
        known: i64,
    },
    /// Migrating the schema failed.
    #[error("cannot migrate the store at {url}: {reason}")]
    Migration {
        /// The store's address, password redacted.
        url: String,
        /// What sqlx said.
        reason: String,
    },
    /// A statement failed for another reason.
    #[error("store statement failed: {0}")]
    Statement(String),
}

impl StoreError {
    /// True when the store is (for now) out of reach: the request may be retried.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// The service's store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// This process among the replicas sharing the store (random per start).
    instance: std::sync::Arc<str>,
    /// The address with its password redacted (for messages).
    shown_url: String,
}

/// sqlx's `Any` driver needs its backends registered once per process.
fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

impl Store {
    /// Connects to the store `config` names, creating an SQLite file when missing,
    /// and migrates its schema; refuses a store written by a newer version.
    pub async fn open(config: &StoreConfig) -> Result<Self, StoreError> {
        install_drivers();
        let backend = config
            .url
            .backend()
            .ok_or_else(|| StoreError::Unavailable {
                url: config.url.redacted(),
                reason: "neither sqlite:// nor postgres://".to_owned(),
            })?;
        let shown_url = config.url.redacted();
        let connect_url = match backend {
            Backend::Sqlite => sqlite_connect_url(config.url.expose()),
            Backend::Postgres => config.url.expose().to_owned(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(Duration::from_secs(config.acquire_timeout_s))
            .connect(&connect_url)
            .await
            .map_err(|e| StoreError::Unavailable {
                url: shown_url.clone(),
                reason: e.to_string(),
            })?;
        let store = Self {
            pool,
            backend,
            instance: format!("{:016x}", rand::random::<u64>()).into(),
            shown_url,
        };
        if backend == Backend::Sqlite {
            // Write-ahead logging: readers never wait for the writer, and a crash loses
            // no committed transaction. The mode is kept in the file.
            store.execute("PRAGMA journal_mode = WAL").await?;
        }
        migrate::run(&store).await?;
        Ok(store)
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// This process's name in the journal (random per start).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The store's address, password redacted.
    pub fn shown_url(&self) -> &str {
        &self.shown_url
    }

    /// Closes every connection (tests that stop a store mid-run, shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// True when a trivial statement succeeds.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.execute("SELECT 1").await
    }

    async fn execute(&self, sql: &str) -> Result<(), StoreError> {
        sqlx::query(sql)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(|e| self.failure(e))
    }

    /// Classifies a driver error: connection trouble is [`StoreError::Unavailable`].
    fn failure(&self, error: sqlx::Error) -> StoreError {
        let unreachable = match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(db) => db
                .code()
                .as_deref()
                .is_some_and(|code| out_of_reach_code(self.backend, code)),
            _ => false,
        };
        if unreachable {
            StoreError::Unavailable {
                url: self.shown_url.clone(),
                reason: error.to_string(),
            }
        } else {
            StoreError::Statement(error.to_string())
        }
    }
}

/// Database error codes that mean "not now" rather than "this statement is wrong":
/// SQLite's busy and locked (primary codes 5 and 6 of its extended codes, after the
/// busy timeout); PostgreSQL's connection exceptions (SQLSTATE class 08), insufficient
/// resources (53), operator intervention (57P: shutdown, restart) and a database not
/// accepting connections (55000).
fn out_of_reach_code(backend: Backend, code: &str) -> bool {
    match backend {
        Backend::Sqlite => code
            .parse::<u32>()
            .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6)),
        Backend::Postgres => {
            code == "55000"
                || code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
        }
    }
}

impl Store {
    /// The rows of `select` (a statement whose `$1` is the kind and whose `{ids}`
    /// stands for the placeholders of an id list) for every id of `ids`, a few hundred
    /// ids a statement (SQLite allows 32,766 parameters, PostgreSQL 65,535).
    async fn select_for_ids(
        &self,
        kind: ResourceKind,
        ids: &[&str],
        select: &str,
    ) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        const IDS_PER_STATEMENT: usize = 500;
        let mut rows = Vec::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = select.replace("{ids}", &placeholders.join(", "));
            let mut query = sqlx::query(&sql).bind(kind.as_str());
            for id in chunk {
                query = query.bind(*id);
            }
            rows.extend(
                query
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| self.failure(e))?,
            );
        }
        Ok(rows)
    }
}

/// The SQLite address with `mode=rwc` (create when missing) unless a mode is given.
fn sqlite_connect_url(url: &str) -> String {
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Milliseconds since the Unix epoch, as the store keeps times.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_reach_codes_by_backend() {
        assert!(out_of_reach_code(Backend::Sqlite, "5"));
        assert!(
            out_of_reach_code(Backend::Sqlite, "517"),
            "SQLITE_BUSY_SNAPSHOT"
        );
        assert!(
            out_of_reach_code(Backend::Sqlite, "262"),
            "SQLITE_LOCKED_SHAREDCACHE"
        );
        assert!(
            !out_of_reach_code(Backend::Sqlite, "2067"),
            "a unique constraint"
        );
        assert!(
            out_of_reach_code(Backend::Postgres, "57P01"),
            "admin shutdown"
        );
        assert!(out_of_reach_code(Backend::Postgres, "08006"));
        assert!(
            out_of_reach_code(Backend::Postgres, "53300"),
            "too many connections"
        );
        assert!(
            !out_of_reach_code(Backend::Postgres, "23505"),
            "a unique violation"
        );
        assert!(
            !out_of_reach_code(Backend::Postgres, "42P01"),
            "no such table"
        );
    }

    #[test]
    fn sqlite_files_are_created_unless_told_otherwise() {
        assert_eq!(
            sqlite_connect_url("sqlite://a.db"),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            sqlite_connect_url("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            sqlite_connect_url("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }
}
