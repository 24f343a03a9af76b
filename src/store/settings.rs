//! The `[store]` settings: where the store lives and how the service holds it.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::secret::REDACTED;
use crate::setting::{self, Invalid};

/// The store's address: `sqlite://PATH` (embedded; relative paths are relative to the
/// working directory) or `postgres://USER:PASSWORD@HOST/DB`.
///
/// A PostgreSQL address may carry a password, so `Debug` and `Display` print it with
/// the password replaced; the whole value is read with [`StoreUrl::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct StoreUrl(String);

impl StoreUrl {
    /// Wraps an address.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The address itself, password included. Callers must not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Which backend the address names.
    pub fn backend(&self) -> Option<Backend> {
        let scheme = self.0.split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }

    /// The address with any password replaced, for logs and messages.
    pub fn redacted(&self) -> String {
        match reqwest::Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some(REDACTED));
                url.to_string()
            }
            Ok(_) => self.0.clone(),
            // Not parseable: it may still hold a password; print only the scheme.
            Err(_) => match self.0.split_once(':') {
                Some((scheme, _)) => format!("{scheme}:{REDACTED}"),
                None => REDACTED.to_owned(),
            },
        }
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Serialized with the password redacted: the defaults layer and the documented keys
/// read the default (which has none); nothing serializes a loaded configuration back.
impl Serialize for StoreUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for StoreUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(StoreUrl)
    }
}

/// The two kinds of store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The default store: a SQLite file in the working directory.
pub const DEFAULT_URL: &str = "sqlite://zoom-scim.db";

/// Where the service keeps what Zoom cannot (external ids, ...).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    pub url: StoreUrl,
    /// A file holding the address (for a password kept out of the configuration);
    /// takes precedence over `url`.
    pub url_file: Option<PathBuf>,
    /// Connections the service holds at most.
    pub max_connections: u32,
    /// How long a request waits for a free connection (or for PostgreSQL to answer a
    /// connect) before the store counts as unreachable, seconds.
    pub acquire_timeout_s: u64,
    /// Days the journal keeps an entry.
    pub journal_days: u64,
    /// Seconds between walks of Zoom's user and group listings that date changes made
    /// outside the service (`meta.lastModified`); 0: no walks.
    pub watch_interval_s: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: StoreUrl::new(DEFAULT_URL),
            url_file: None,
            max_connections: 8,
            acquire_timeout_s: 5,
            journal_days: 90,
            watch_interval_s: 300,
        }
    }
}

impl StoreConfig {
    /// Checks the section.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.url.backend().is_none() {
            return Err(Invalid::new(
                "url",
                format!(
                    "`{}` names neither `sqlite://PATH` nor `postgres://...`",
                    self.url.redacted()
                ),
            ));
        }
        if self.url.backend() == Some(Backend::Sqlite) && sqlite_path(&self.url).is_empty() {
            return Err(Invalid::new("url", "`sqlite://` needs a file path"));
        }
        setting::at_least_one(&[
            ("max_connections", u64::from(self.max_connections)),
            ("acquire_timeout_s", self.acquire_timeout_s),
            ("journal_days", self.journal_days),
        ])
    }
}

/// The file path of a `sqlite://` address (without its query).
pub fn sqlite_path(url: &StoreUrl) -> &str {
    let rest = url
        .expose()
        .split_once(':')
        .map_or("", |(_, rest)| rest.trim_start_matches("//"));
    rest.split_once('?').map_or(rest, |(path, _)| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_prints() {
        let url = StoreUrl::new("postgres://scim:hunter2@db.internal:5432/zoom");
        for shown in [format!("{url}"), format!("{url:?}"), url.redacted()] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("db.internal"), "{shown}");
        }
        let odd = StoreUrl::new("postgres://scim:hunter2@[bad");
        assert!(!odd.redacted().contains("hunter2"));
        assert_eq!(
            url.expose(),
            "postgres://scim:hunter2@db.internal:5432/zoom"
        );
    }

    #[test]
    fn backends_by_scheme() {
        assert_eq!(StoreUrl::new(DEFAULT_URL).backend(), Some(Backend::Sqlite));
        assert_eq!(
            StoreUrl::new("postgresql://h/db").backend(),
            Some(Backend::Postgres)
        );
        assert_eq!(StoreUrl::new("mysql://h/db").backend(), None);
        assert_eq!(
            sqlite_path(&StoreUrl::new("sqlite://a/b.db?mode=rwc")),
            "a/b.db"
        );
        assert_eq!(sqlite_path(&StoreUrl::new("sqlite:x.db")), "x.db");
    }

    #[test]
    fn validation_names_the_key() {
        let mut config = StoreConfig::default();
        assert!(config.validate().is_ok());
        config.url = StoreUrl::new("mysql://h/db");
        assert_eq!(config.validate().unwrap_err().key, "url");
        config.url = StoreUrl::new("sqlite://");
        assert_eq!(config.validate().unwrap_err().key, "url");
        config = StoreConfig {
            max_connections: 0,
            ..StoreConfig::default()
        };
        assert_eq!(config.validate().unwrap_err().key, "max_connections");
    }
}
