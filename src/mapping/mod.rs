//! Pure translation between SCIM resources and Zoom objects: no I/O, table-tested.

pub mod error;
pub mod filter;
pub mod group;
pub mod phone_write;
pub mod user;
pub mod user_groups;
pub mod user_write;
