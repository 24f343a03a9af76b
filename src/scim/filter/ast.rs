//! The filter tree (RFC 7644 section 3.4.2.2): operators, literals and expressions,
//! printed so that they parse back to the same tree.

use std::fmt;

use serde_json::{Number, Value};

use crate::scim::path::attr::AttrPath;

/// Comparison operators (RFC 7644 section 3.4.2.2, Table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// equal
    Eq,
    /// not equal
    Ne,
    /// contains
    Co,
    /// starts with
    Sw,
    /// ends with
    Ew,
    /// greater than
    Gt,
    /// greater than or equal to
    Ge,
    /// less than
    Lt,
    /// less than or equal to
    Le,
}

impl CompareOp {
    pub(super) fn parse(word: &str) -> Option<CompareOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }

    /// The operator keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Whether this is an ordering operator (`gt`, `ge`, `lt`, `le`).
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }
}

/// A comparison value: `false / null / true / number / string` (RFC 7644 section 3.4.2.2).
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A JSON number.
    Number(Number),
    /// A JSON string (or a tolerated unquoted bare word).
    String(String),
}

impl CompValue {
    /// The value as text, for string comparisons.
    pub fn as_text(&self) -> String {
        match self {
            CompValue::Null => "null".into(),
            CompValue::Bool(b) => b.to_string(),
            CompValue::Number(n) => n.to_string(),
            CompValue::String(s) => s.clone(),
        }
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::String(s) => write!(f, "{}", Value::from(s.as_str())),
            other => f.write_str(&other.as_text()),
        }
    }
}

/// A parsed filter (RFC 7644 section 3.4.2.2). Inside a [`Filter::ValuePath`], paths are
/// sub-attribute names of the value path's attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Both must match.
    And(Box<Filter>, Box<Filter>),
    /// Either must match.
    Or(Box<Filter>, Box<Filter>),
    /// Must not match.
    Not(Box<Filter>),
    /// `attrPath op value`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The literal.
        value: CompValue,
    },
    /// `attrPath pr`.
    Present(AttrPath),
    /// `attrPath[valFilter]`: some value of a (multi-valued) complex attribute matches
    /// the inner filter. Entra's `emails[type eq "work"].value eq "x"` parses to
    /// `emails[type eq "work" and value eq "x"]`.
    ValuePath {
        /// The complex attribute.
        path: AttrPath,
        /// Filter over its sub-attributes.
        filter: Box<Filter>,
    },
}

/// Prints a filter that parses back to the same tree: `or` under `and` in parentheses
/// (precedence), and a right operand of the same operator too (`and`/`or` chains parse
/// left-associative, so `a and (b and c)` is another tree than `a and b and c`).
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn child(f: &mut fmt::Formatter<'_>, filter: &Filter, parens: bool) -> fmt::Result {
            if parens {
                write!(f, "({filter})")
            } else {
                write!(f, "{filter}")
            }
        }
        match self {
            Filter::And(a, b) => {
                child(f, a, matches!(**a, Filter::Or(..)))?;
                f.write_str(" and ")?;
                child(f, b, matches!(**b, Filter::Or(..) | Filter::And(..)))
            }
            Filter::Or(a, b) => {
                write!(f, "{a} or ")?;
                child(f, b, matches!(**b, Filter::Or(..)))
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::Compare { path, op, value } => write!(f, "{path} {} {value}", op.as_str()),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::parse;

    #[test]
    fn right_nested_chains_print_with_their_parentheses() {
        // Found by the round-trip check (fuzz/corpus/filter/ keeps the input): printed
        // without them, `a and (b and c)` read back as `(a and b) and c`, another tree.
        for input in [
            "title pr and (locale pr and timezone pr)",
            "title pr or (locale pr or timezone pr)",
            "title pr and (locale pr or timezone pr)",
            "(title pr or locale pr) and timezone pr",
        ] {
            let f = parse(input);
            assert_eq!(f.to_string(), input);
            assert_eq!(parse(&f.to_string()), f, "{input}");
        }
        assert_eq!(
            parse("(title pr and locale pr) and timezone pr").to_string(),
            "title pr and locale pr and timezone pr"
        );
    }

    #[test]
    fn display_round_trips() {
        for input in [
            r#"userName eq "a" and (title pr or locale eq "x")"#,
            r#"not (active eq true)"#,
            r#"emails[type eq "work" and value ew ".com"]"#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m""#,
            "pmi gt 5",
        ] {
            let f = parse(input);
            assert_eq!(parse(&f.to_string()), f, "{input}");
        }
    }
}
