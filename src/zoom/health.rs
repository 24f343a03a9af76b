//! What the last Zoom exchange said about the service's access to Zoom, for `/readyz`:
//! every call's outcome is recorded (one lock, no allocation), so readiness follows the
//! answers real traffic gets rather than a token alone.

use std::sync::Mutex;
use std::time::Instant;

use super::error::{AuthFailure, ErrorKind, ZoomError};

/// The service's access to Zoom as one answer showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoomAccess {
    /// Zoom answered with the credentials accepted (any answer but an authentication
    /// refusal: a 404 or a 429 is Zoom working).
    Working,
    /// The token endpoint refused the account id, client id or secret, or the app is
    /// disabled.
    CredentialsRefused,
    /// The API refused the access token, also after a fresh one.
    TokenRefused,
    /// No answer: connection refused, reset or timed out.
    Unreachable,
}

impl ZoomAccess {
    /// What `result` shows; `None` when it shows nothing about access (a client-side
    /// configuration error).
    pub fn of<T>(result: &Result<T, ZoomError>) -> Option<Self> {
        let Err(err) = result else {
            return Some(Self::Working);
        };
        Some(match err.kind {
            ErrorKind::Auth(AuthFailure::TokenRejected) => Self::TokenRefused,
            ErrorKind::Auth(_) => Self::CredentialsRefused,
            ErrorKind::Unavailable if err.status.is_none() => Self::Unreachable,
            ErrorKind::Config => return None,
            _ => Self::Working,
        })
    }
}

/// The last [`ZoomAccess`] seen, and when.
#[derive(Debug, Default)]
pub struct ZoomHealth {
    last: Mutex<Option<(Instant, ZoomAccess)>>,
}

impl ZoomHealth {
    /// Records what `result` shows.
    pub fn observe<T>(&self, result: &Result<T, ZoomError>) {
        if let Some(access) = ZoomAccess::of(result) {
            *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), access));
        }
    }

    /// The last access seen and when, if any.
    pub fn last(&self) -> Option<(Instant, ZoomAccess)> {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}
