//! `POST /oauth/token`: Zoom's Server-to-Server OAuth `account_credentials` grant, and
//! the store of issued access tokens.
//!
//! contract section 6: HTTP Basic client credentials; `grant_type=account_credentials` and
//! `account_id` in a form body or the query string; "You can generate and use multiple
//! access tokens"; no refresh token. Error bodies are OAuth-style
//! (`{"reason", "error"}`), not Zoom's `{code, message}` (docs/zoom-contract.md section 6).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio::time::Instant;

use super::error::json_response;
use super::gate::add_tracking_id;
use super::state::Sim;

/// Tokens kept before expired ones are swept.
const SWEEP_THRESHOLD: usize = 1024;

/// The scopes a token carries: the granular scopes the bridge needs (contract section 6).
pub const SCOPES: &str = "user:read:list_users:admin user:read:user:admin user:write:user:admin \
user:update:user:admin user:delete:user:admin user:update:status:admin user:update:email:admin \
user:read:settings:admin user:update:settings:admin group:read:list_groups:admin \
group:read:group:admin group:write:group:admin group:update:group:admin group:delete:group:admin \
group:read:list_members:admin group:write:member:admin group:delete:member:admin \
role:read:list_roles:admin role:read:role:admin role:read:list_members:admin \
role:write:member:admin role:delete:member:admin phone:read:list_users:admin \
phone:read:user:admin phone:update:user:admin phone:write:calling_plan:admin \
phone:delete:users_calling_plan:admin phone:write:user_number:admin \
phone:delete:user_number:admin phone:read:list_sites:admin";

/// Issued access tokens and their expiry.
#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: HashMap<String, Instant>,
}

impl TokenStore {
    /// Issues an opaque random token valid for `ttl`.
    pub fn issue(&mut self, now: Instant, ttl: Duration) -> String {
        if self.tokens.len() >= SWEEP_THRESHOLD {
            self.tokens.retain(|_, expiry| *expiry > now);
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        // An absurd lifetime saturates to "a year from now" instead of overflowing.
        let expiry = now
            .checked_add(ttl)
            .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
            .unwrap_or(now);
        self.tokens.insert(token.clone(), expiry);
        token
    }

    /// Whether `token` was issued and has not expired or been revoked.
    pub fn is_valid(&self, token: &str, now: Instant) -> bool {
        self.tokens.get(token).is_some_and(|expiry| *expiry > now)
    }

    /// Revokes every token.
    pub fn revoke_all(&mut self) -> usize {
        let n = self.tokens.len();
        self.tokens.clear();
        n
    }
}

fn oauth_error(status: StatusCode, reason: &str, error: &str) -> Response {
    json_response(status, &json!({ "reason": reason, "error": error }))
}

/// Decodes `Authorization: Basic base64(id:secret)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Parses `application/x-www-form-urlencoded` text. Written here (a few lines over the
/// `percent-encoding` crate) because the form crates are not direct dependencies and
/// the token endpoint must read the body and the query string alike.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

fn secure_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// `POST /oauth/token`.
pub async fn token(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    sim.stats().token_requests += 1;
    let mut response = issue_token(&sim, &headers, query.as_deref(), &body);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    add_tracking_id(headers);
    response
}

fn issue_token(sim: &Sim, headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Response {
    let Some((client_id, client_secret)) = basic_credentials(headers) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "Invalid client_id or client_secret",
            "invalid_client",
        );
    };
    let expected = &sim.credentials;
    let id_ok = secure_eq(&client_id, &expected.client_id);
    let secret_ok = secure_eq(&client_secret, &expected.client_secret);
    if !(id_ok && secret_ok) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "Invalid client_id or client_secret",
            "invalid_client",
        );
    }
    // Body parameters win over query parameters (Zoom's SDK sends a form body).
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in parse_form(query.unwrap_or_default()) {
        params.insert(k, v);
    }
    for (k, v) in parse_form(&String::from_utf8_lossy(body)) {
        params.insert(k, v);
    }
    match params.get("grant_type").map(String::as_str) {
        None | Some("") => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "Missing grant type",
                "invalid_request",
            );
        }
        Some("account_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported grant type",
                "unsupported_grant_type",
            );
        }
    }
    let account_ok = params
        .get("account_id")
        .is_some_and(|a| secure_eq(a, &expected.account_id));
    if !account_ok {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "Account does not exist",
            "invalid_request",
        );
    }
    let ttl = sim.settings().token_ttl_s;
    let access_token = sim.tokens().issue(Instant::now(), Duration::from_secs(ttl));
    sim.stats().tokens_issued += 1;
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": ttl,
            "scope": SCOPES,
            "api_url": sim.base_url,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        let p = parse_form("grant_type=account_credentials&account_id=a%2Bb+c&flag");
        assert_eq!(
            p,
            vec![
                ("grant_type".into(), "account_credentials".into()),
                ("account_id".into(), "a+b c".into()),
                ("flag".into(), String::new()),
            ]
        );
    }

    #[test]
    fn decodes_basic_credentials() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic aWQ6c2VjOnJldA=="),
        );
        assert_eq!(basic_credentials(&h), Some(("id".into(), "sec:ret".into())));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&h), None);
    }

    #[test]
    fn tokens_expire_and_revoke() {
        let mut store = TokenStore::default();
        let now = Instant::now();
        let a = store.issue(now, Duration::from_secs(10));
        let b = store.issue(now, Duration::from_secs(10));
        assert_ne!(a, b);
        assert!(store.is_valid(&a, now) && store.is_valid(&b, now));
        assert!(!store.is_valid(&a, now + Duration::from_secs(10)));
        assert!(!store.is_valid("forged", now));
        assert_eq!(store.revoke_all(), 2);
        assert!(!store.is_valid(&b, now));
        // An absurd lifetime does not overflow.
        let c = store.issue(now, Duration::from_secs(u64::MAX));
        assert!(store.is_valid(&c, now));
    }
}
