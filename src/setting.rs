//! What every settings section is made of. Each layer owns its section's type
//! (`zoom::ZoomConfig`, `http::ServerConfig`, `provider::ScimConfig`, ...) and checks it
//! with a `validate` that returns [`Invalid`]; `config` assembles the sections, prefixes
//! the section's name and names the environment variable.

use serde::{Deserialize, Deserializer};

use crate::secret::Secret;

/// A setting its section refuses: the key within the section (`request_timeout_s`,
/// `jwt.audience`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct Invalid {
    /// The key, relative to its section.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Invalid {
    /// A refusal of `key`.
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

/// Refuses the first of `values` that is zero.
pub fn at_least_one(values: &[(&'static str, u64)]) -> Result<(), Invalid> {
    match values.iter().find(|(_, value)| *value == 0) {
        Some((key, _)) => Err(Invalid::new(key, "must be at least 1")),
        None => Ok(()),
    }
}

/// Parses an absolute `http(s)` URL with a host and no query or fragment.
pub fn http_url(key: &'static str, value: &str) -> Result<reqwest::Url, Invalid> {
    let url = reqwest::Url::parse(value)
        .map_err(|e| Invalid::new(key, format!("`{value}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(Invalid::new(
            key,
            format!("`{value}` is not an absolute http(s) URL with a host"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Invalid::new(
            key,
            format!("`{value}` must not carry a query or a fragment"),
        ));
    }
    Ok(url)
}

/// The entries of a comma- or line-separated list, trimmed, empty ones dropped.
pub fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// A list written as `["a","b"]` or as one string `"a,b"` (environment variables carry
/// one string).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => split_list(&s).map(str::to_owned).collect(),
            Self::Many(v) => v,
        }
    }
}

/// Deserializes a list of secrets from a list or a comma-separated string.
pub fn secret_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Secret>, D::Error> {
    Ok(OneOrMany::deserialize(d)?
        .into_vec()
        .into_iter()
        .map(Secret::from)
        .collect())
}

/// Deserializes a list of strings from a list or a comma-separated string.
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(OneOrMany::deserialize(d)?.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http_without_query() {
        assert!(http_url("u", "https://api.zoom.us/v2").is_ok());
        assert_eq!(http_url("u", "zoom.us/oauth").unwrap_err().key, "u");
        assert!(http_url("u", "ftp://zoom.us").is_err());
        assert!(http_url("u", "https://zoom.us/?a=1").is_err());
        assert!(http_url("u", "https://zoom.us/#x").is_err());
    }

    #[test]
    fn the_first_zero_is_named() {
        assert_eq!(
            at_least_one(&[("a", 1), ("b", 0), ("c", 0)])
                .unwrap_err()
                .key,
            "b"
        );
        assert!(at_least_one(&[("a", 1)]).is_ok());
    }

    #[test]
    fn lists_split_on_commas_and_lines() {
        let items: Vec<_> = split_list(" a, b\n,c ,").collect();
        assert_eq!(items, ["a", "b", "c"]);
    }
}
