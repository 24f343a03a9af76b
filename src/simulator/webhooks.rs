//! Webhooks as Zoom sends them: every change made through the API or the admin API
//! becomes an event, posted to `webhook_url`, signed with `webhook_secret` the way
//! Zoom signs (`x-zm-signature: v0=` hex HMAC-SHA256 of `v0:{timestamp}:{body}`,
//! `x-zm-request-timestamp` in epoch seconds), and retried as Zoom retries: an
//! attempt that gets no 2xx within three seconds is repeated after each of
//! `webhook_retry_delays_ms` (Zoom: 5, 20 and 60 minutes), re-signed each time.
//! `webhook_duplicate_rate` delivers a fraction of events twice, as an at-least-once
//! sender may. An independent implementation: it shares no code with the service.
//!
//! Events are collected in [`World`](super::state::World)'s outbox while a handler
//! holds the account and handed to the sender when it lets go, so a delivery never
//! waits on the account's lock and always follows the change it reports.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::Rng;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

use super::state::{Sim, lock};

/// How long Zoom waits for the receiver's answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);

/// Deliveries kept for `GET /_sim/webhooks`.
const LOG_CAPACITY: usize = 10_000;

/// A change to report.
#[derive(Debug, Clone, PartialEq)]
pub struct SimEvent {
    /// Zoom's event name, e.g. `user.updated`.
    pub event: &'static str,
    /// `payload.object`.
    pub object: Value,
    /// `payload.old_object`, for updates.
    pub old_object: Option<Value>,
    /// Extra payload fields (`creation_type` of `user.created`).
    pub extra: Map<String, Value>,
}

impl SimEvent {
    /// An event about `object`.
    pub fn new(event: &'static str, object: Value) -> Self {
        Self {
            event,
            object,
            old_object: None,
            extra: Map::new(),
        }
    }

    /// The same event with `payload.old_object`.
    pub fn with_old(mut self, old: Value) -> Self {
        self.old_object = Some(old);
        self
    }

    /// The same event with an extra payload field.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }
}

/// The fields that differ between two renderings of a record: `(object, old_object)`,
/// each with `id`; `None` when nothing differs.
pub fn changed_fields(before: &Value, after: &Value) -> Option<(Value, Value)> {
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
        return None;
    };
    let mut new = Map::new();
    let mut old = Map::new();
    for (key, value) in after {
        if before.get(key) != Some(value) {
            new.insert(key.clone(), value.clone());
            old.insert(key.clone(), before.get(key).cloned().unwrap_or(Value::Null));
        }
    }
    if new.is_empty() {
        return None;
    }
    if let Some(id) = after.get("id") {
        new.insert("id".into(), id.clone());
        old.insert("id".into(), id.clone());
    }
    Some((Value::Object(new), Value::Object(old)))
}

/// One attempt's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attempt {
    /// When it ended (RFC 3339, milliseconds).
    pub at: String,
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why no status (connection refused, no answer within three seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A delivery and its attempts, for `GET /_sim/webhooks`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeliveryRecord {
    /// Sequence number, in the order events happened.
    pub seq: u64,
    /// Event name.
    pub event: String,
    /// `payload.object.id`.
    pub object_id: Option<String>,
    /// Attempts so far.
    pub attempts: Vec<Attempt>,
    /// Whether an attempt got a 2xx.
    pub delivered: bool,
    /// The body (the same for every attempt).
    pub body: Value,
}

/// The sender: a queue the account's lock feeds and a task that posts.
#[derive(Debug)]
pub struct Webhooks {
    queue: mpsc::UnboundedSender<SimEvent>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<SimEvent>>>,
    log: Mutex<Vec<DeliveryRecord>>,
    next_seq: Mutex<u64>,
}

impl Default for Webhooks {
    fn default() -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        Self {
            queue,
            receiver: Mutex::new(Some(receiver)),
            log: Mutex::new(Vec::new()),
            next_seq: Mutex::new(0),
        }
    }
}

impl Webhooks {
    /// Queues events (called when a handler lets go of the account).
    pub fn queue(&self, events: Vec<SimEvent>) {
        for event in events {
            // The sender task lives as long as the server; after it, nobody listens.
            let _ = self.queue.send(event);
        }
    }

    /// Every delivery so far, oldest first.
    pub fn log(&self) -> Vec<DeliveryRecord> {
        lock(&self.log).clone()
    }

    /// Forgets the delivery log.
    pub fn clear_log(&self) {
        lock(&self.log).clear();
    }

    fn record(&self, record: DeliveryRecord) {
        let mut log = lock(&self.log);
        if log.len() >= LOG_CAPACITY {
            log.remove(0);
        }
        log.push(record);
    }

    fn update(&self, seq: u64, attempt: Attempt) {
        let mut log = lock(&self.log);
        if let Some(record) = log.iter_mut().rev().find(|r| r.seq == seq) {
            record.delivered |= attempt.status.is_some_and(|s| (200..300).contains(&s));
            record.attempts.push(attempt);
        }
    }
}

fn hmac_hex(key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    format!("v0={}", hmac_hex(secret, &format!("v0:{timestamp}:{body}")))
}

async fn attempt(http: &reqwest::Client, url: &str, secret: &str, body: &str) -> Attempt {
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let sent = http
        .post(url)
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", &timestamp)
        .header("x-zm-signature", signature(secret, &timestamp, body))
        .header("user-agent", "Zoom Marketplace/1.0a")
        .body(body.to_owned())
        .timeout(ANSWER_WITHIN)
        .send()
        .await;
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match sent {
        Ok(answer) => Attempt {
            at,
            status: Some(answer.status().as_u16()),
            error: None,
        },
        Err(e) => Attempt {
            at,
            status: None,
            error: Some(if e.is_timeout() {
                "no answer within 3 seconds".to_owned()
            } else {
                e.to_string()
            }),
        },
    }
}

fn delivered(attempt: &Attempt) -> bool {
    attempt.status.is_some_and(|s| (200..300).contains(&s))
}

/// Posts every queued event while the server runs. Settings are read per event, so
/// `PUT /_sim/config` can point the sender elsewhere or turn it off (no `webhook_url`:
/// events are dropped).
pub async fn run(sim: Arc<Sim>) {
    let Some(mut events) = lock(&sim.webhooks.receiver).take() else {
        return;
    };
    let http = reqwest::Client::new();
    let mut shutdown = sim.shutdown.clone();
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => return,
            },
            _ = shutdown.wait_for(|stopped| *stopped) => return,
        };
        let settings = sim.settings();
        let (Some(url), Some(secret)) = (settings.webhook_url, settings.webhook_secret) else {
            continue;
        };
        let seq = {
            let mut next = lock(&sim.webhooks.next_seq);
            *next += 1;
            *next
        };
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut payload = Map::new();
        payload.insert("account_id".into(), json!(sim.credentials.account_id));
        payload.insert("operator".into(), json!("admin@sim.example.com"));
        payload.insert("operator_id".into(), json!("sim-operator"));
        payload.extend(event.extra.clone());
        payload.insert("object".into(), event.object.clone());
        if let Some(old) = &event.old_object {
            payload.insert("old_object".into(), old.clone());
        }
        payload.insert("time_stamp".into(), json!(now_ms));
        let body = json!({"event": event.event, "event_ts": now_ms, "payload": payload});
        let text = body.to_string();
        sim.webhooks.record(DeliveryRecord {
            seq,
            event: event.event.to_owned(),
            object_id: event
                .object
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            attempts: Vec::new(),
            delivered: false,
            body,
        });
        let first = attempt(&http, &url, &secret, &text).await;
        let done = delivered(&first);
        sim.webhooks.update(seq, first);
        let twice = settings.webhook_duplicate_rate > 0.0
            && rand::rng().random_bool(settings.webhook_duplicate_rate.min(1.0));
        if twice {
            // A repeat comes a little later, as from a sender that missed the answer.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let again = attempt(&http, &url, &secret, &text).await;
            sim.webhooks.update(seq, again);
        }
        if !done {
            let sim = sim.clone();
            let http = http.clone();
            let delays = settings.webhook_retry_delays_ms.clone();
            tokio::spawn(async move {
                let mut shutdown = sim.shutdown.clone();
                for delay in delays {
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(delay)) => {}
                        _ = shutdown.wait_for(|stopped| *stopped) => return,
                    }
                    let retry = attempt(&http, &url, &secret, &text).await;
                    let done = delivered(&retry);
                    sim.webhooks.update(seq, retry);
                    if done {
                        return;
                    }
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_fields_are_reported_with_the_id() {
        let before = json!({"id": "u1", "first_name": "Ann", "dept": "Sales", "type": 1});
        let after = json!({"id": "u1", "first_name": "Anne", "dept": "Sales", "type": 1});
        let (new, old) = changed_fields(&before, &after).expect("a change");
        assert_eq!(new, json!({"id": "u1", "first_name": "Anne"}));
        assert_eq!(old, json!({"id": "u1", "first_name": "Ann"}));
        assert_eq!(changed_fields(&before, &before), None);
    }

    #[test]
    fn the_signature_is_zooms() {
        // The published HMAC-SHA256 test vector (key "key").
        assert_eq!(
            hmac_hex("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert_eq!(
            signature("key", "1700000000", "{}"),
            format!("v0={}", hmac_hex("key", "v0:1700000000:{}"))
        );
    }
}
