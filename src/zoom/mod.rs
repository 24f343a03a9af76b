//! The Zoom REST API v2 client: the only code in zoom-scim that knows Zoom's URLs and
//! JSON. Everything goes through [`ZoomClient`]: rate pacing, OAuth tokens, retries,
//! paging and error classification live here.

mod auth;
mod client;
pub mod error;
pub mod health;
pub mod limits;
pub mod model;
pub mod paging;
mod ratelimit;
mod retry;

pub use client::{ZoomClient, same_group_name};
pub use error::{AuthFailure, ErrorKind, FieldError, PartialProgress, ZoomError, ZoomErrorDetail};
pub use limits::{ApiFamily, Category};
pub use paging::Page;
