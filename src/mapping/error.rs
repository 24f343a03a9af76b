//! Zoom failures -> SCIM errors. This is the only place that knows both sides; it
//! logs Zoom's internal detail (code, message, tracking id) once, and gives the SCIM
//! client a status, a `scimType` and a detail without Zoom internals or secrets.

use crate::scim::error::ScimError;
use crate::zoom::error::{DailyScope, ErrorKind, ZoomError};

/// Converts a Zoom failure met while doing `what` (e.g. "create user a@x.com").
pub fn to_scim(err: &ZoomError, what: &str) -> ScimError {
    tracing::warn!(
        zoom_status = ?err.status,
        zoom_code = ?err.code,
        zoom_message = %err.message,
        tracking_id = ?err.tracking_id,
        kind = ?err.kind,
        "Zoom refused: {what}."
    );
    let zoom_says = if err.message.is_empty() {
        String::new()
    } else {
        format!(": {}", err.message)
    };
    match &err.kind {
        ErrorKind::NotFound => ScimError::not_found(format!("{what}: not found in Zoom")),
        ErrorKind::Duplicate => {
            ScimError::uniqueness(format!("{what}: already exists in Zoom{zoom_says}"))
        }
        ErrorKind::AlreadyActiveElsewhere => ScimError::uniqueness(format!(
            "{what}: the e-mail address already holds an active account in another Zoom account{zoom_says}"
        )),
        ErrorKind::Validation | ErrorKind::BadRequest => {
            let fields: Vec<String> = err
                .errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            let fields = if fields.is_empty() {
                String::new()
            } else {
                format!(" ({})", fields.join("; "))
            };
            ScimError::invalid_value(format!(
                "{what}: Zoom rejected the value{zoom_says}{fields}"
            ))
        }
        ErrorKind::Permission => ScimError::forbidden(format!(
            "{what}: Zoom refused for lack of privilege or plan (code 200){zoom_says}"
        )),
        ErrorKind::MissingScope => ScimError::internal(format!(
            "{what}: the Zoom app is missing OAuth scopes{zoom_says}"
        )),
        ErrorKind::Auth(_) => ScimError::unavailable(
            format!(
                "{what}: zoom-scim cannot authenticate to Zoom{zoom_says}; check zoom.account_id, zoom.client_id and zoom.client_secret"
            ),
            Some(60),
        ),
        ErrorKind::PendingUser => ScimError::conflict(format!(
            "{what}: the user is pending (invited, not yet confirmed) and Zoom does not allow this until they accept{zoom_says}"
        )),
        ErrorKind::InactiveUser => ScimError::conflict(format!(
            "{what}: the user is deactivated; set active=true in the same request to change it{zoom_says}"
        )),
        ErrorKind::RateLimited { daily: true } => {
            let retry_after = err
                .retry_at
                .map(|at| (at - chrono::Utc::now()).num_seconds().max(1) as u64)
                .unwrap_or(3600);
            match err.daily_scope() {
                // One user's limit (e.g. three e-mail changes a day): this request waits,
                // the service does not.
                Some(DailyScope::User) => ScimError::too_many_requests(
                    format!(
                        "{what}: Zoom's daily limit of this change for this user is reached; retry after the reset{zoom_says}"
                    ),
                    Some(retry_after),
                ),
                Some(DailyScope::Endpoint) => ScimError::unavailable(
                    format!(
                        "{what}: Zoom's daily limit of this kind of call for this account is reached; retry after the reset (other requests are served){zoom_says}"
                    ),
                    Some(retry_after),
                ),
                _ => ScimError::unavailable(
                    format!(
                        "{what}: Zoom's daily rate limit for this account is spent; retry after the reset"
                    ),
                    Some(retry_after),
                ),
            }
        }
        ErrorKind::RateLimited { daily: false } => ScimError::too_many_requests(
            format!("{what}: Zoom's per-second rate limit kept refusing after retries"),
            Some(1),
        ),
        ErrorKind::Unavailable => ScimError::unavailable(
            format!("{what}: Zoom is unavailable (errors or timeouts after retries)"),
            Some(5),
        ),
        ErrorKind::Conflict => {
            ScimError::conflict(format!("{what}: Zoom reported a conflict{zoom_says}"))
        }
        ErrorKind::Decode => ScimError::internal(format!("{what}: unexpected answer from Zoom")),
        ErrorKind::Config => ScimError::internal(format!(
            "{what}: zoom-scim's Zoom settings are unusable{zoom_says}"
        )),
    }
}
