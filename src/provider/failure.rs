//! A Zoom failure on its way to the SCIM client: Zoom's internal detail goes to the log,
//! once, and the client gets what [`scim_error`] makes of it.

use crate::mapping::error::scim_error;
use crate::scim::error::ScimError;
use crate::zoom::error::ZoomError;

/// The SCIM error for a Zoom failure met while doing `what` (e.g. "create user
/// a@x.com"), after logging Zoom's status, code, message, tracking id and kind.
pub(super) fn zoom_failure(err: &ZoomError, what: &str) -> ScimError {
    tracing::warn!(
        zoom_status = ?err.status,
        zoom_code = ?err.code,
        zoom_message = %err.message,
        not_a_zoom_error = err.unrecognised_body,
        tracking_id = ?err.tracking_id,
        kind = ?err.kind,
        "Zoom refused: {what}."
    );
    scim_error(err, what, chrono::Utc::now())
}
