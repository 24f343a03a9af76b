//! The SCIM 2.0 protocol core (RFC 7643 / RFC 7644): schema registry, resource model,
//! filters, PATCH, projection and query parsing. Pure: no HTTP framework, no Zoom.
//!
//! Resources are handled as canonical JSON ([`serde_json::Value`] objects whose keys are
//! the canonical attribute names of the published schemas, extension attributes under
//! their schema URN key).

pub mod error;
pub mod filter;
pub mod list_stream;
pub mod model;
pub mod patch;
pub mod path;
pub mod projection;
#[cfg(test)]
mod properties;
pub mod query;
pub mod resource;
pub mod schema;
mod value;

pub use error::{ScimError, ScimType};
pub use filter::{CompValue, CompareOp, Filter, parse_filter};
pub use patch::{PatchOpKind, PatchRequest};
pub use path::{AttrPath, parse_path};
pub use resource::{Normalized, normalize_input};
pub use schema::{ResourceSchema, SchemaRegistry};
pub(crate) use value::get_ci;
