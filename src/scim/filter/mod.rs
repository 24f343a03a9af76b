//! SCIM filters (RFC 7644 section 3.4.2.2): the tree (`ast`), the lexer (`lex`), a
//! recursive-descent parser with depth and length limits that also validates a filter
//! against the schema (`parse`), and in-memory matching (`eval`). The attribute paths
//! filters compare are [`crate::scim::path::AttrPath`].
//!
//! Written by hand rather than with a parser crate: the grammar is small, the error
//! messages must name the offending token for `invalidFilter`, and the client quirks
//! (bare-word values, Entra's `emails[type eq "work"].value eq "x"`) need custom rules.

mod ast;
mod eval;
mod lex;
mod parse;

pub use ast::{CompValue, CompareOp, Filter};
pub use parse::{MAX_FILTER_DEPTH, MAX_FILTER_LEN, canonical_path, parse_filter};

/// Builders shared by the unit tests of the filter files.
#[cfg(test)]
mod test_support {
    use super::{CompValue, CompareOp, Filter, parse_filter};
    use crate::scim::path::AttrPath;

    pub(super) fn parse(s: &str) -> Filter {
        parse_filter(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    pub(super) fn cmp(path: &str, op: CompareOp, value: CompValue) -> Filter {
        Filter::Compare {
            path: AttrPath::parse(path).unwrap_or_else(|| panic!("{path}")),
            op,
            value,
        }
    }

    pub(super) fn s(v: &str) -> CompValue {
        CompValue::String(v.into())
    }
}
