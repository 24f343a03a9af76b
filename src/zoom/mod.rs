//! The Zoom REST API v2 client: the only code in zoom-scim that knows Zoom's URLs and
//! JSON. Everything goes through [`ZoomClient`]: rate pacing, OAuth tokens, retries,
//! paging and error classification live here.
//!
//! `client.rs` is the call pipeline; `api/` the endpoint methods, one file per API
//! family; `model/` the wire types, likewise; `error/` the error type and the
//! classification of Zoom's answers.

mod api;
mod auth;
mod client;
pub mod error;
pub mod health;
pub mod limits;
pub mod model;
pub mod observe;
pub mod paging;
mod path;
mod ratelimit;
mod retry;
mod settings;
pub mod webhook;

pub use api::same_group_name;
pub use client::ZoomClient;
pub use error::{AuthFailure, ErrorKind, FieldError, ZoomError};
pub use limits::{ApiFamily, Category, Plan};
pub use paging::Page;
pub use settings::ZoomConfig;
