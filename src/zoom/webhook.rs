//! Zoom's webhooks (event subscriptions), as the service receives them: the signature
//! check, the endpoint-validation challenge, and the events that tell the service what
//! changed in the account (docs/zoom-contract.md section 6.2).
//!
//! A delivery carries `x-zm-request-timestamp` (epoch seconds) and `x-zm-signature`,
//! `v0=` followed by the hex HMAC-SHA256, keyed with the app's secret token, of
//! `v0:{timestamp}:{raw body}`. [`WebhookVerifier::verify`] compares it in constant time
//! and refuses a timestamp further than `max_age` from now, so a recorded delivery
//! cannot be replayed later.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery was refused before its body was read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A header is missing or not what Zoom sends.
    #[error("{0}")]
    Malformed(String),
    /// The signature does not match the body and timestamp.
    #[error("the signature does not match")]
    BadSignature,
    /// The timestamp is too far from now.
    #[error("the request timestamp is {age_s} s away from now (at most {max_s} s accepted)")]
    Stale {
        /// Seconds between the timestamp and now.
        age_s: u64,
        /// The largest distance accepted.
        max_s: u64,
    },
}

/// Checks deliveries against the app's secret token.
#[derive(Debug, Clone)]
pub struct WebhookVerifier {
    secret: Secret,
    max_age: Duration,
    account_id: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl WebhookVerifier {
    /// A verifier for the deliveries of account `account_id` signed with `secret`,
    /// accepting timestamps at most `max_age` from now.
    pub fn new(secret: Secret, max_age: Duration, account_id: impl Into<String>) -> Self {
        Self {
            secret,
            max_age,
            account_id: account_id.into(),
        }
    }

    /// Whether a delivery names another account than the service's (an app whose
    /// subscription covers several accounts): such events are acknowledged, not acted
    /// on.
    pub fn is_foreign(&self, delivery: &Delivery) -> bool {
        delivery
            .account_id
            .as_deref()
            .is_some_and(|a| !self.account_id.is_empty() && a != self.account_id)
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length.
        HmacSha256::new_from_slice(self.secret.expose().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"))
    }

    /// Checks a delivery: its `x-zm-request-timestamp` and `x-zm-signature` headers
    /// against `body` as received, at `now_s` (epoch seconds).
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now_s: u64,
    ) -> Result<(), Refusal> {
        let timestamp = timestamp
            .ok_or_else(|| Refusal::Malformed("x-zm-request-timestamp is missing".into()))?;
        let signature =
            signature.ok_or_else(|| Refusal::Malformed("x-zm-signature is missing".into()))?;
        let seconds: u64 = timestamp.trim().parse().map_err(|_| {
            Refusal::Malformed("x-zm-request-timestamp is not a number of seconds".into())
        })?;
        let digest = signature
            .trim()
            .strip_prefix("v0=")
            .and_then(unhex)
            .ok_or_else(|| Refusal::Malformed("x-zm-signature is not `v0=` and hex".into()))?;
        let mut mac = self.mac();
        mac.update(b"v0:");
        mac.update(timestamp.trim().as_bytes());
        mac.update(b":");
        mac.update(body);
        // Constant-time comparison.
        mac.verify_slice(&digest)
            .map_err(|_| Refusal::BadSignature)?;
        let age_s = now_s.abs_diff(seconds);
        if age_s > self.max_age.as_secs() {
            return Err(Refusal::Stale {
                age_s,
                max_s: self.max_age.as_secs(),
            });
        }
        Ok(())
    }

    /// The answer to `endpoint.url_validation`: the plain token and its hex
    /// HMAC-SHA256 under the secret token.
    pub fn validation_answer(&self, plain_token: &str) -> Value {
        let mut mac = self.mac();
        mac.update(plain_token.as_bytes());
        serde_json::json!({
            "plainToken": plain_token,
            "encryptedToken": hex(&mac.finalize().into_bytes()),
        })
    }
}

/// What happened to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChange {
    /// `user.created`
    Created,
    /// `user.updated`
    Updated,
    /// `user.activated`
    Activated,
    /// `user.deactivated`
    Deactivated,
    /// `user.deleted`
    Deleted,
    /// `user.disassociated`
    Disassociated,
    /// `user.invitation_accepted`
    InvitationAccepted,
}

/// What happened to a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupChange {
    /// `group.created`
    Created,
    /// `group.updated`
    Updated,
    /// `group.deleted`
    Deleted,
    /// `group.member_added`
    MembersAdded,
    /// `group.member_deleted`
    MembersRemoved,
}

/// A delivery, as the service acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoomEvent {
    /// `endpoint.url_validation`: Zoom checks the endpoint answers for the secret.
    UrlValidation {
        /// The token to hash and return.
        plain_token: String,
    },
    /// A user event.
    User {
        /// What happened.
        change: UserChange,
        /// The user's id.
        id: String,
        /// The e-mail now, when the event carries it.
        email: Option<String>,
        /// The e-mail before a `user.updated` that changed it.
        old_email: Option<String>,
        /// The fields a `user.updated` reports changed (`payload.object`'s keys but
        /// `id`).
        fields: Vec<String>,
    },
    /// A group event.
    Group {
        /// What happened.
        change: GroupChange,
        /// The group's id.
        id: String,
        /// The members added or removed.
        member_ids: Vec<String>,
    },
    /// An event the service does not act on (meetings, phone, ...).
    Other,
}

/// A delivery's body, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The event's name, e.g. `user.updated`.
    pub name: String,
    /// The account it is about (absent in `endpoint.url_validation`).
    pub account_id: Option<String>,
    /// What the service acts on.
    pub event: ZoomEvent,
}

#[derive(Deserialize)]
struct Body {
    event: String,
    #[serde(default)]
    payload: Payload,
}

#[derive(Deserialize, Default)]
struct Payload {
    #[serde(default, rename = "plainToken")]
    plain_token: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    object: Option<Value>,
    #[serde(default)]
    old_object: Option<Value>,
}

fn text(object: Option<&Value>, key: &str) -> Option<String> {
    object?
        .get(key)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn user_change(name: &str) -> Option<UserChange> {
    Some(match name {
        "user.created" => UserChange::Created,
        "user.updated" => UserChange::Updated,
        "user.activated" => UserChange::Activated,
        "user.deactivated" => UserChange::Deactivated,
        "user.deleted" => UserChange::Deleted,
        "user.disassociated" => UserChange::Disassociated,
        "user.invitation_accepted" => UserChange::InvitationAccepted,
        _ => return None,
    })
}

fn group_change(name: &str) -> Option<GroupChange> {
    Some(match name {
        "group.created" => GroupChange::Created,
        "group.updated" => GroupChange::Updated,
        "group.deleted" => GroupChange::Deleted,
        "group.member_added" => GroupChange::MembersAdded,
        "group.member_deleted" => GroupChange::MembersRemoved,
        _ => return None,
    })
}

/// Parses a verified delivery's body. `Err`: not JSON, or an event the service acts
/// on without the id it needs.
pub fn parse_delivery(body: &[u8]) -> Result<Delivery, String> {
    let body: Body =
        serde_json::from_slice(body).map_err(|e| format!("the body is not a Zoom event: {e}"))?;
    let payload = body.payload;
    let object = payload.object.as_ref();
    let event = if body.event == "endpoint.url_validation" {
        let plain_token = payload
            .plain_token
            .filter(|t| !t.is_empty())
            .ok_or("endpoint.url_validation without payload.plainToken")?;
        ZoomEvent::UrlValidation { plain_token }
    } else if let Some(change) = user_change(&body.event) {
        let id = text(object, "id").ok_or_else(|| format!("{} without object.id", body.event))?;
        let email = text(object, "email");
        let old_email = text(payload.old_object.as_ref(), "email").filter(|old| {
            email
                .as_deref()
                .is_none_or(|new| !new.eq_ignore_ascii_case(old))
        });
        let fields = match (change, object.and_then(Value::as_object)) {
            (UserChange::Updated, Some(o)) => o.keys().filter(|k| *k != "id").cloned().collect(),
            _ => Vec::new(),
        };
        ZoomEvent::User {
            change,
            id,
            email,
            old_email,
            fields,
        }
    } else if let Some(change) = group_change(&body.event) {
        let id = text(object, "id").ok_or_else(|| format!("{} without object.id", body.event))?;
        let member_ids = object
            .and_then(|o| o.get("members"))
            .and_then(Value::as_array)
            .map(|members| members.iter().filter_map(|m| text(Some(m), "id")).collect())
            .unwrap_or_default();
        ZoomEvent::Group {
            change,
            id,
            member_ids,
        }
    } else {
        ZoomEvent::Other
    };
    Ok(Delivery {
        name: body.event,
        account_id: payload.account_id,
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec-test";

    fn verifier() -> WebhookVerifier {
        WebhookVerifier::new(Secret::new(SECRET), Duration::from_secs(300), "acc")
    }

    fn sign(timestamp: &str, body: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("v0:{timestamp}:").as_bytes());
        mac.update(body);
        format!("v0={}", hex(&mac.finalize().into_bytes()))
    }

    #[test]
    fn a_delivery_signed_with_the_secret_token_passes_and_any_change_fails() {
        let body = br#"{"event":"user.updated","payload":{"object":{"id":"u1"}}}"#;
        let signature = sign("1700000000", body);
        let v = verifier();
        assert_eq!(
            v.verify(Some("1700000000"), Some(&signature), body, 1_700_000_010),
            Ok(())
        );
        let tampered = br#"{"event":"user.updated","payload":{"object":{"id":"u2"}}}"#;
        assert_eq!(
            v.verify(
                Some("1700000000"),
                Some(&signature),
                tampered,
                1_700_000_010
            ),
            Err(Refusal::BadSignature)
        );
        // The timestamp is part of what is signed.
        assert_eq!(
            v.verify(Some("1700000001"), Some(&signature), body, 1_700_000_010),
            Err(Refusal::BadSignature)
        );
        let other = WebhookVerifier::new(Secret::new("other"), Duration::from_secs(300), "acc");
        assert_eq!(
            other.verify(Some("1700000000"), Some(&signature), body, 1_700_000_010),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn old_and_future_timestamps_are_refused_even_when_signed() {
        let body = b"{}";
        let v = verifier();
        let signature = sign("1700000000", body);
        assert_eq!(
            v.verify(Some("1700000000"), Some(&signature), body, 1_700_000_301),
            Err(Refusal::Stale {
                age_s: 301,
                max_s: 300
            })
        );
        assert!(matches!(
            v.verify(Some("1700000000"), Some(&signature), body, 1_699_999_000),
            Err(Refusal::Stale { age_s: 1000, .. })
        ));
        assert_eq!(
            v.verify(Some("1700000000"), Some(&signature), body, 1_700_000_300),
            Ok(())
        );
    }

    #[test]
    fn missing_or_malformed_headers_are_named() {
        let v = verifier();
        for (timestamp, signature, says) in [
            (None, Some("v0=00"), "x-zm-request-timestamp is missing"),
            (Some("1"), None, "x-zm-signature is missing"),
            (Some("soon"), Some("v0=00"), "not a number"),
            (Some("1"), Some("v1=00"), "not `v0=` and hex"),
            (Some("1"), Some("v0=zz"), "not `v0=` and hex"),
            (Some("1"), Some("v0=abc"), "not `v0=` and hex"),
            (Some("1"), Some("v0=é1"), "not `v0=` and hex"),
        ] {
            let refusal = v.verify(timestamp, signature, b"{}", 1).unwrap_err();
            assert!(
                matches!(&refusal, Refusal::Malformed(m) if m.contains(says)),
                "{refusal:?}"
            );
        }
    }

    #[test]
    fn the_validation_answer_is_the_hmac_of_the_plain_token() {
        let answer = verifier().validation_answer("qgg8vlvZRS6UYooatFL8Aw");
        let mut mac = HmacSha256::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(b"qgg8vlvZRS6UYooatFL8Aw");
        assert_eq!(answer["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
        assert_eq!(answer["encryptedToken"], hex(&mac.finalize().into_bytes()));
        assert_eq!(answer["encryptedToken"].as_str().unwrap().len(), 64);
    }

    #[test]
    fn events_are_read_as_zoom_sends_them() {
        let updated = parse_delivery(
            br#"{"event":"user.updated","event_ts":1626465316000,"payload":{"account_id":"acc",
                "operator":"admin@example.com","object":{"id":"u1","email":"New@example.com"},
                "old_object":{"id":"u1","email":"old@example.com"},"time_stamp":1626465316000}}"#,
        )
        .unwrap();
        assert_eq!(updated.name, "user.updated");
        assert!(!verifier().is_foreign(&updated));
        let foreign = Delivery {
            account_id: Some("another".into()),
            ..updated.clone()
        };
        assert!(verifier().is_foreign(&foreign));
        assert_eq!(
            updated.event,
            ZoomEvent::User {
                change: UserChange::Updated,
                id: "u1".into(),
                email: Some("New@example.com".into()),
                old_email: Some("old@example.com".into()),
                fields: vec!["email".into()],
            }
        );
        let renamed_only = parse_delivery(
            br#"{"event":"user.updated","payload":{"object":{"id":"u1","first_name":"A"},
                "old_object":{"id":"u1","first_name":"B"}}}"#,
        )
        .unwrap();
        assert!(matches!(
            &renamed_only.event,
            ZoomEvent::User { old_email: None, email: None, fields, .. } if fields == &["first_name"]
        ));
        let members = parse_delivery(
            br#"{"event":"group.member_added","payload":{"object":{"id":"g1","name":"Sales",
                "members":[{"id":"u1","email":"a@example.com"},{"id":"u2"},{"email":"x"}]}}}"#,
        )
        .unwrap();
        assert_eq!(
            members.event,
            ZoomEvent::Group {
                change: GroupChange::MembersAdded,
                id: "g1".into(),
                member_ids: vec!["u1".into(), "u2".into()],
            }
        );
        let validation = parse_delivery(
            br#"{"event":"endpoint.url_validation","payload":{"plainToken":"abc"},"event_ts":1}"#,
        )
        .unwrap();
        assert_eq!(
            validation.event,
            ZoomEvent::UrlValidation {
                plain_token: "abc".into()
            }
        );
        let meeting =
            parse_delivery(br#"{"event":"meeting.started","payload":{"object":{"id":123}}}"#)
                .unwrap();
        assert_eq!(meeting.event, ZoomEvent::Other);
    }

    #[test]
    fn events_without_what_they_need_are_refused() {
        for body in [
            &br#"not json"#[..],
            br#"{"payload":{}}"#,
            br#"{"event":"user.deleted","payload":{"object":{"email":"a@example.com"}}}"#,
            br#"{"event":"group.deleted","payload":{}}"#,
            br#"{"event":"endpoint.url_validation","payload":{}}"#,
        ] {
            assert!(
                parse_delivery(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
