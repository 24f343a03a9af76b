//! The store's schema: versioned migrations embedded in the binary
//! (`src/store/migrations`), applied at start-up. A store whose newest applied version
//! is one this binary does not know was written by a newer zoom-scim and is refused
//! before anything touches it.

use sqlx::migrate::{Migrate, Migrator};

use super::{Store, StoreError};

/// Every migration, in version order.
static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations");

/// The newest schema version this binary knows.
pub fn known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Applies the migrations `store` lacks, refusing a newer store.
pub async fn run(store: &Store) -> Result<(), StoreError> {
    let migration_error = |e: sqlx::migrate::MigrateError| StoreError::Migration {
        url: store.shown_url.clone(),
        reason: e.to_string(),
    };
    let mut conn = store.pool.acquire().await.map_err(|e| store.failure(e))?;
    conn.ensure_migrations_table()
        .await
        .map_err(migration_error)?;
    let applied = conn
        .list_applied_migrations()
        .await
        .map_err(migration_error)?;
    drop(conn);
    let found = applied.iter().map(|m| m.version).max().unwrap_or(0);
    let known = known_version();
    if found > known {
        return Err(StoreError::NewerSchema {
            url: store.shown_url.clone(),
            found,
            known,
        });
    }
    MIGRATOR.run(&store.pool).await.map_err(migration_error)
}
