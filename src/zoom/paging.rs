//! Token paging over Zoom list endpoints: single pages for callers that keep their own
//! cursor, and streams that walk every page, restart transparently when Zoom's
//! `next_page_token` expires, and never yield an item twice.
//!
//! Zoom "Pagination": `next_page_token` "expires in 15 minutes"; the last page has
//! `next_page_token: ""`; an expired token gives 400 "The next page token is invalid or
//! expired" (code 300 on users and groups, code 400 on phone).

use std::collections::HashSet;
use std::future::Future;

use futures::stream::BoxStream;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{ErrorKind, ZoomError};

/// One page of a Zoom list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The token for the next page; `None` on the last page (Zoom sends `""`).
    pub next_page_token: Option<String>,
    /// Zoom's `total_records`, when sent.
    pub total_records: Option<u64>,
}

impl<T: DeserializeOwned> Page<T> {
    /// Reads a Zoom list envelope whose items are under `items_key`.
    pub fn from_body(
        body: &[u8],
        items_key: &str,
        method: &'static str,
        path: &'static str,
    ) -> Result<Self, ZoomError> {
        let decode_error = |what: String| {
            ZoomError::new(
                ErrorKind::Decode,
                method,
                path,
                format!("unexpected list body: {what}"),
            )
        };
        let mut envelope: Value =
            serde_json::from_slice(body).map_err(|e| decode_error(e.to_string()))?;
        // A list answer without its list is not Zoom's (an empty list is `[]`, as the
        // recorded answers show): reading it as empty would tell a reconciliation that
        // every user is gone.
        if !envelope.is_object() {
            return Err(decode_error("not a JSON object".into()));
        }
        let items = match envelope.get_mut(items_key).map(Value::take) {
            None => return Err(decode_error(format!("no `{items_key}` list"))),
            Some(Value::Null) => Vec::new(),
            Some(items @ Value::Array(_)) => serde_json::from_value(items)
                .map_err(|e| decode_error(format!("`{items_key}`: {e}")))?,
            Some(_) => return Err(decode_error(format!("`{items_key}` is not a list"))),
        };
        let next_page_token = envelope
            .get("next_page_token")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let total_records = envelope.get("total_records").and_then(|v| match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
        Ok(Self {
            items,
            next_page_token,
            total_records,
        })
    }
}

/// How many times one listing may restart after an expired page token without having
/// yielded anything new in between (more would loop forever).
const MAX_FRUITLESS_RESTARTS: u32 = 1;

/// Walks every page fetched by `fetch(next_page_token)`. When Zoom says the page token
/// expired, the walk restarts from the first page and skips the items already yielded
/// (`key` identifies an item: the user id, or the email of a pending user who has none),
/// so nothing is lost or repeated.
pub(crate) fn paginate<T, F, Fut, K>(fetch: F, key: K) -> BoxStream<'static, Result<T, ZoomError>>
where
    T: Send + 'static,
    F: Fn(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, ZoomError>> + Send,
    K: Fn(&T) -> Option<String> + Send + 'static,
{
    Box::pin(async_stream::try_stream! {
        let mut seen: HashSet<String> = HashSet::new();
        // Tokens of this walk since its last restart.
        let mut tokens = PageTokens::default();
        let mut token: Option<String> = None;
        let mut yielded_since_restart = 0u64;
        let mut fruitless_restarts = 0u32;
        loop {
            let page = match fetch(token.clone()).await {
                Ok(page) => page,
                Err(err) => {
                    let expired = token.is_some() && err.is_page_token_expired();
                    if expired {
                        if yielded_since_restart == 0 {
                            fruitless_restarts += 1;
                        } else {
                            fruitless_restarts = 0;
                        }
                    }
                    if !expired || fruitless_restarts > MAX_FRUITLESS_RESTARTS {
                        Err(err)?;
                    }
                    tracing::warn!(
                        already_seen = seen.len(),
                        "Zoom page token expired mid-listing; restarting from the first page"
                    );
                    metrics::counter!("zoom_paging_restarts_total").increment(1);
                    token = None;
                    tokens.clear();
                    yielded_since_restart = 0;
                    continue;
                }
            };
            for item in page.items {
                if let Some(k) = key(&item)
                    && !seen.insert(k)
                {
                    continue;
                }
                yielded_since_restart += 1;
                yield item;
            }
            match page.next_page_token {
                Some(next) => {
                    tokens.meet(&next)?;
                    token = Some(next);
                }
                None => break,
            }
        }
    })
}

/// The next-page tokens one walk has met (8 bytes each): a token met twice is a loop an
/// upstream answer made, never Zoom's paging, and would walk forever. Every walk over
/// Zoom's pages keeps one: [`paginate`], the SCIM paging cursors, the member-id checks.
#[derive(Debug, Clone, Default)]
pub struct PageTokens(HashSet<u64>);

impl PageTokens {
    /// Records `token`; an upstream error (502 for the SCIM client) when it was met
    /// before in this walk.
    pub fn meet(&mut self, token: &str) -> Result<(), ZoomError> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(token, &mut hasher);
        if self.0.insert(std::hash::Hasher::finish(&hasher)) {
            return Ok(());
        }
        Err(ZoomError::new(
            ErrorKind::Decode,
            "GET",
            "-",
            "a list answer repeated an earlier page token; the listing would never end",
        ))
    }

    /// Forgets every token (a walk that starts over).
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;
    use std::sync::{Arc, Mutex};

    fn expired() -> ZoomError {
        let body = br#"{"code":300,"message":"The next page token is invalid or expired."}"#;
        ZoomError::from_response(
            "GET",
            "/users",
            400,
            &reqwest::header::HeaderMap::new(),
            body,
            chrono::Utc::now(),
        )
    }

    #[test]
    fn reads_envelopes_with_empty_and_missing_tokens() {
        let page: Page<Value> = Page::from_body(
            br#"{"page_size":2,"total_records":3,"next_page_token":"abc","users":[{"id":"1"},{"id":"2"}]}"#,
            "users",
            "GET",
            "/users",
        )
        .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next_page_token.as_deref(), Some("abc"));
        assert_eq!(page.total_records, Some(3));
        let last: Page<Value> = Page::from_body(
            br#"{"next_page_token":"","users":[]}"#,
            "users",
            "GET",
            "/users",
        )
        .unwrap();
        assert_eq!(last.next_page_token, None);
        let null: Page<Value> =
            Page::from_body(br#"{"users":null}"#, "users", "GET", "/users").unwrap();
        assert!(null.items.is_empty());
        // What a proxy or a changed API answers is never an empty list.
        for body in [
            &br#"{"total_records":0}"#[..],
            br#"{"unexpected":true}"#,
            br#"{"users":{}}"#,
            b"[]",
            b"<html><body>OK</body></html>",
            b"",
        ] {
            let bad = Page::<Value>::from_body(body, "users", "GET", "/users").unwrap_err();
            assert_eq!(
                bad.kind,
                ErrorKind::Decode,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[tokio::test]
    async fn restart_after_token_expiry_neither_loses_nor_repeats() {
        // 7 ids in pages of 3; the token for page 3 has expired the first time it is used.
        let ids: Vec<String> = (1..=7).map(|i| format!("u{i}")).collect();
        let expired_once = Arc::new(Mutex::new(false));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let fetch = {
            let ids = ids.clone();
            let expired_once = expired_once.clone();
            let calls = calls.clone();
            move |token: Option<String>| {
                let ids = ids.clone();
                let expired_once = expired_once.clone();
                calls.lock().unwrap().push(token.clone());
                async move {
                    let start: usize = token.as_deref().map_or(0, |t| t.parse().unwrap());
                    if start == 6 && !std::mem::replace(&mut *expired_once.lock().unwrap(), true) {
                        return Err(expired());
                    }
                    let end = (start + 3).min(ids.len());
                    Ok(Page {
                        items: ids[start..end].to_vec(),
                        next_page_token: (end < ids.len()).then(|| end.to_string()),
                        total_records: Some(ids.len() as u64),
                    })
                }
            }
        };
        let got: Vec<String> = paginate(fetch, |s: &String| Some(s.clone()))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got, ids);
        assert_eq!(
            *calls.lock().unwrap(),
            vec![
                None,
                Some("3".into()),
                Some("6".into()),
                None,
                Some("3".into()),
                Some("6".into())
            ]
        );
    }

    #[tokio::test]
    async fn gives_up_when_restarts_make_no_progress() {
        let fetch = |token: Option<String>| async move {
            match token {
                None => Ok(Page {
                    items: vec!["a".to_owned()],
                    next_page_token: Some("t".into()),
                    total_records: None,
                }),
                Some(_) => Err(expired()),
            }
        };
        let result: Result<Vec<String>, _> = paginate(fetch, |s: &String| Some(s.clone()))
            .try_collect()
            .await;
        assert!(result.unwrap_err().is_page_token_expired());
    }

    #[tokio::test]
    async fn other_errors_end_the_stream() {
        let fetch = |_token: Option<String>| async move {
            Err::<Page<String>, _>(ZoomError::new(
                ErrorKind::Permission,
                "GET",
                "/groups",
                "no",
            ))
        };
        let result: Result<Vec<String>, _> = paginate(fetch, |s: &String| Some(s.clone()))
            .try_collect()
            .await;
        assert_eq!(result.unwrap_err().kind, ErrorKind::Permission);
    }

    #[tokio::test]
    async fn a_repeating_page_token_ends_the_walk_as_an_upstream_error() {
        let calls = Arc::new(Mutex::new(0u32));
        let fetch = {
            let calls = calls.clone();
            move |token: Option<String>| {
                *calls.lock().unwrap() += 1;
                async move {
                    // "a" -> "b" -> "a" -> ...: each page new items, the tokens a cycle.
                    let next = if token.as_deref() == Some("a") {
                        "b"
                    } else {
                        "a"
                    };
                    Ok(Page {
                        items: vec![format!("{}-{next}", token.unwrap_or_default())],
                        next_page_token: Some(next.into()),
                        total_records: None,
                    })
                }
            }
        };
        let result: Result<Vec<String>, _> = paginate(fetch, |s: &String| Some(s.clone()))
            .try_collect()
            .await;
        assert_eq!(result.unwrap_err().kind, ErrorKind::Decode);
        assert_eq!(*calls.lock().unwrap(), 3);
    }
}
