//! `POST {zoom.webhook_path}`: Zoom's webhooks. No bearer token: each delivery is
//! signed with the app's secret token and checked before its body is parsed
//! (docs/zoom-contract.md section 6.2). Zoom wants a 2xx within three seconds, so the
//! handler does only what the store and the caches take; an invitee's deferred changes
//! are applied in the background.
//!
//! Answers: 200 with the challenge's answer for `endpoint.url_validation`; 204 for an
//! event acted on, repeated, ignored (not one the service acts on) or about another
//! account; 401 for a missing, wrong or stale signature; 400 for a signed body that is
//! not a Zoom event; 503 (with `Retry-After`) when the store is out of reach, so that
//! Zoom retries.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::extract::{BodyLimit, read_body};
use crate::scim::error::ScimError;
use crate::zoom::webhook::{WebhookVerifier, ZoomEvent, parse_delivery};

/// The largest delivery read (Zoom's events are a few kilobytes).
const MAX_DELIVERY_BYTES: usize = 256 * 1024;

/// Where and how the service receives Zoom's webhooks.
#[derive(Debug)]
pub struct WebhookEndpoint {
    /// The route (`zoom.webhook_path`).
    pub path: String,
    /// The check of each delivery.
    pub verifier: WebhookVerifier,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn count(event: &str, outcome: &'static str) {
    // Event names come from Zoom's closed vocabulary; anything else is one label.
    let event = if event.starts_with("user.")
        || event.starts_with("group.")
        || event == "endpoint.url_validation"
    {
        event.to_owned()
    } else {
        "other".to_owned()
    };
    metrics::counter!("zoom_webhook_deliveries_total", "event" => event, "outcome" => outcome)
        .increment(1);
}

/// Handles one delivery.
pub async fn receive(State(state): State<AppState>, request: Request) -> Response {
    let Some(endpoint) = state.webhook.clone() else {
        return ScimError::not_found("no such endpoint").into_response();
    };
    let verifier = &endpoint.verifier;
    let limit = request
        .extensions()
        .get::<BodyLimit>()
        .map_or(MAX_DELIVERY_BYTES, |l| l.0.min(MAX_DELIVERY_BYTES));
    let (parts, body) = request.into_parts();
    let body = match read_body(body, limit).await {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let now_s = chrono::Utc::now().timestamp().max(0).unsigned_abs();
    if let Err(refusal) = verifier.verify(
        header(&parts.headers, "x-zm-request-timestamp"),
        header(&parts.headers, "x-zm-signature"),
        &body,
        now_s,
    ) {
        tracing::warn!(reason = %refusal, "webhook delivery refused");
        count("unverified", "refused");
        return ScimError::new(401, None, format!("webhook delivery refused: {refusal}"))
            .into_response();
    }
    let delivery = match parse_delivery(&body) {
        Ok(delivery) => delivery,
        Err(e) => {
            tracing::warn!(error = %e.escape_debug(), "signed webhook delivery not understood");
            count("unparsed", "refused");
            return ScimError::invalid_syntax(e).into_response();
        }
    };
    if let ZoomEvent::UrlValidation { plain_token } = &delivery.event {
        count(&delivery.name, "answered");
        tracing::info!("Zoom validated the webhook endpoint");
        return (
            StatusCode::OK,
            axum::Json(verifier.validation_answer(plain_token)),
        )
            .into_response();
    }
    if verifier.is_foreign(&delivery) {
        tracing::warn!(event = %delivery.name.escape_debug(), "webhook event about another account ignored");
        count(&delivery.name, "foreign");
        return StatusCode::NO_CONTENT.into_response();
    }
    let digest: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    match state
        .provider
        .zoom_event(&delivery.name, &delivery.event, &digest)
        .await
    {
        Ok(outcome) => {
            tracing::info!(event = %delivery.name.escape_debug(), outcome = outcome.as_str(), "webhook event");
            count(&delivery.name, outcome.as_str());
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            count(&delivery.name, "failed");
            e.into_response()
        }
    }
}
