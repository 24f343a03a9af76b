//! Zoom's Users endpoints (docs/zoom-contract.md sections 3.1-3.10), with Zoom's rules
//! for pending and deactivated users, the owner and admins.
//!
//! - [`view`]: the user JSON (`GET /users` items, `GET /users/{userId}`, the state view);
//! - [`read`]: `GET /users`, `GET /users/{userId}`;
//! - [`create`]: `POST /users`;
//! - [`update`]: `PATCH /users/{userId}`;
//! - [`delete`](mod@delete): `DELETE /users/{userId}`;
//! - [`status`]: `PUT /users/{userId}/status`, `DELETE /users/{userId}/token`;
//! - [`email`]: `GET /users/email`, `PUT /users/{userId}/email`;
//! - [`settings`]: `GET/PATCH /users/{userId}/settings` and the settings object.

mod create;
mod delete;
mod email;
mod read;
mod settings;
mod status;
mod update;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, put};
use chrono::{DateTime, SecondsFormat, Utc};

use super::error::SimError;
use super::phone_book::PhoneRefusal;
use super::state::{Sim, World};

pub(crate) use self::update::admin_edit;
pub use self::view::state_view;

use self::create::create_user;
use self::delete::delete_user;
use self::email::{email_exists, update_email};
use self::read::{get_user, list_users};
use self::settings::{get_settings, update_settings};
use self::status::{logout, update_status};
use self::update::update_user;

/// The user routes.
pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/v2/users", get(list_users).post(create_user))
        .route("/v2/users/email", get(email_exists))
        .route(
            "/v2/users/{userId}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route("/v2/users/{userId}/status", put(update_status))
        .route("/v2/users/{userId}/email", put(update_email))
        .route("/v2/users/{userId}/token", delete(logout))
        .route(
            "/v2/users/{userId}/settings",
            get(get_settings).patch(update_settings),
        )
}

/// Zoom's timestamp form, `yyyy-MM-ddTHH:mm:ssZ` (contract section 1).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Zoom's user types (`99` only with `ssoCreate`; contract section 3.8).
const USER_TYPES: [u64; 4] = [1, 2, 4, 99];

/// `plan_united_type` values (contract section 3.8).
const PLAN_UNITED_TYPES: [&str; 18] = [
    "1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "1024", "2048", "4096", "8192",
    "16384", "32768", "65536", "131072",
];

/// The user a path `{userId}` names (id, e-mail or `me`), else Zoom's not-found answer.
fn get_user_seq(world: &World, key: &str) -> Result<u64, SimError> {
    world
        .resolve_user(key)
        .ok_or_else(|| SimError::user_not_found(key))
}

/// Zoom's answer when `feature.zoom_phone` cannot be turned on because the account has
/// no Zoom Phone: the same as no licence left.
fn phone_licence_error() -> SimError {
    PhoneRefusal::NoLicence.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_zoom_shaped() {
        let t = DateTime::parse_from_rfc3339("2021-10-27T00:00:49.123Z")
            .expect("parse")
            .with_timezone(&Utc);
        assert_eq!(timestamp(t), "2021-10-27T00:00:49Z");
    }
}
