//! PATCH (RFC 7644 section 3.5.2): `request` reads the body in every client dialect,
//! `engine` applies the operations to a canonical resource atomically, `compute` gives
//! one attribute's new value.

mod compute;
mod engine;
mod request;
#[cfg(test)]
mod tests;

pub use request::{MAX_OPERATIONS, MAX_VALUES, PatchOpKind, PatchOperation, PatchRequest};
