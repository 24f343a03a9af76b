//! Attribute paths and PATCH paths (RFC 7644 sections 3.10 and 3.5.2), in two files
//! because filters sit between them: `attr` is below filters (a filter compares
//! attribute paths), `patch` above them (a PATCH path may carry a value filter).

pub(super) mod attr;
pub(super) mod patch;

pub use attr::AttrPath;
pub use patch::{PatchPath, parse_path};
