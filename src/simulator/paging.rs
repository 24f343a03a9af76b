//! Zoom's paging: `page_size` parsing and clamping, and opaque `next_page_token`s that
//! expire and are tied to the query that produced them.
//!
//! contract section 2, `GET /users`: "The expiration period for this token is 15 minutes"; an
//! invalid or expired token answers 400 code 300 "The next page token is invalid or
//! expired." A cursor remembers the last item's sequence number, so walking a list by
//! token costs O(page) per page, not O(n).

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;
use rand::distr::Alphanumeric;
use tokio::time::Instant;

use super::error::SimError;

/// Zoom's default `page_size`.
pub const DEFAULT_PAGE_SIZE: u32 = 30;

/// Cursors kept before expired ones are swept.
const SWEEP_THRESHOLD: usize = 4096;

/// Where a token resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The query the token belongs to (endpoint and filters).
    pub scope: String,
    /// The sequence number of the last item already returned.
    pub after: u64,
    /// The page number the token leads to.
    pub page_number: u32,
    issued: Instant,
}

/// Issued page tokens.
#[derive(Debug, Default)]
pub struct PageCursors {
    cursors: HashMap<String, Cursor>,
}

impl PageCursors {
    /// Issues a token resuming after `after` for `scope`.
    pub fn issue(
        &mut self,
        scope: String,
        after: u64,
        page_number: u32,
        now: Instant,
        ttl: Duration,
        rng: &mut impl Rng,
    ) -> String {
        if self.cursors.len() >= SWEEP_THRESHOLD {
            self.cursors
                .retain(|_, c| now.saturating_duration_since(c.issued) <= ttl);
        }
        // Zoom's tokens look like `8V8HigQkzm2O5r9RUn31D9ZyJHgrmFfbLa2` (35 characters).
        let token: String = (0..35)
            .map(|_| char::from(rng.sample(Alphanumeric)))
            .collect();
        self.cursors.insert(
            token.clone(),
            Cursor {
                scope,
                after,
                page_number,
                issued: now,
            },
        );
        token
    }

    /// Resolves `token` for `scope`. A token may be reused until it expires (clients
    /// retry lost pages), but never with another query.
    pub fn resolve(
        &self,
        token: &str,
        scope: &str,
        now: Instant,
        ttl: Duration,
    ) -> Result<Cursor, SimError> {
        match self.cursors.get(token) {
            Some(c) if c.scope == scope && now.saturating_duration_since(c.issued) <= ttl => {
                Ok(c.clone())
            }
            _ => Err(SimError::invalid(
                "The next page token is invalid or expired.",
            )),
        }
    }
}

/// Parses `page_size`: absent means the default; values above `max` are clamped to it,
/// values below 1 to 1; a non-number is a code 300 error.
pub fn page_size(raw: Option<&String>, max: u32) -> Result<usize, SimError> {
    let value = match raw.map(|s| s.trim()) {
        None | Some("") => DEFAULT_PAGE_SIZE,
        Some(s) => match s.parse::<i64>() {
            Ok(n) => n.clamp(1, i64::from(u32::MAX)) as u32,
            Err(_) => return Err(SimError::invalid("Invalid parameter: page_size.")),
        },
    };
    Ok(value.clamp(1, max.max(1)) as usize)
}

/// Parses the deprecated `page_number` (default 1).
pub fn page_number(raw: Option<&String>) -> Result<u32, SimError> {
    match raw.map(|s| s.trim()) {
        None | Some("") => Ok(1),
        Some(s) => match s.parse::<i64>() {
            Ok(n) => Ok(n.clamp(1, i64::from(u32::MAX)) as u32),
            Err(_) => Err(SimError::invalid("Invalid parameter: page_number.")),
        },
    }
}

/// Number of pages for `total` items (Zoom answers 0 for an empty list).
pub fn page_count(total: usize, page_size: usize) -> usize {
    total.div_ceil(page_size.max(1))
}

/// One page cut out of an ordered sequence of `(seq, item)`.
#[derive(Debug)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The last item's sequence number when more items follow.
    pub more_after: Option<u64>,
}

/// Takes `page_size` items after skipping `skip`, noting whether more follow.
pub fn cut<T>(iter: impl Iterator<Item = (u64, T)>, skip: usize, page_size: usize) -> Page<T> {
    let mut items = Vec::with_capacity(page_size.min(1024));
    let mut last_seq = 0;
    let mut more = false;
    for (seq, item) in iter.skip(skip) {
        if items.len() == page_size {
            more = true;
            break;
        }
        last_seq = seq;
        items.push(item);
    }
    Page {
        items,
        more_after: more.then_some(last_seq),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn tokens_expire_and_are_tied_to_their_query() {
        let mut cursors = PageCursors::default();
        let mut rng = StdRng::seed_from_u64(1);
        let ttl = Duration::from_secs(900);
        let now = Instant::now();
        let token = cursors.issue("users|active|".into(), 42, 2, now, ttl, &mut rng);
        assert_eq!(token.len(), 35);
        let c = cursors
            .resolve(&token, "users|active|", now, ttl)
            .expect("valid");
        assert_eq!((c.after, c.page_number), (42, 2));
        // Reusable (a retried page).
        assert!(cursors.resolve(&token, "users|active|", now, ttl).is_ok());
        // Another query.
        let e = cursors
            .resolve(&token, "users|inactive|", now, ttl)
            .expect_err("other query");
        assert_eq!(e.code, 300);
        assert_eq!(e.message, "The next page token is invalid or expired.");
        // Expired.
        let later = now + ttl + Duration::from_secs(1);
        assert!(
            cursors
                .resolve(&token, "users|active|", later, ttl)
                .is_err()
        );
        assert!(cursors.resolve("nope", "users|active|", now, ttl).is_err());
    }

    #[test]
    fn page_size_defaults_and_clamps() {
        assert_eq!(page_size(None, 300).expect("ok"), 30);
        assert_eq!(page_size(Some(&"5000".to_owned()), 300).expect("ok"), 300);
        assert_eq!(page_size(Some(&"0".to_owned()), 300).expect("ok"), 1);
        assert!(page_size(Some(&"ten".to_owned()), 300).is_err());
        assert_eq!(page_count(0, 30), 0);
        assert_eq!(page_count(31, 30), 2);
    }

    #[test]
    fn cut_reports_more() {
        let data = (1..=5u64).map(|s| (s, s * 10));
        let page = cut(data, 0, 2);
        assert_eq!(page.items, vec![10, 20]);
        assert_eq!(page.more_after, Some(2));
        let page = cut((1..=5u64).map(|s| (s, s)), 4, 2);
        assert_eq!(page.items, vec![5]);
        assert_eq!(page.more_after, None);
    }
}
