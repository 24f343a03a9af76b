//! Attribute paths (RFC 7644 section 3.10) and the attribute-name rules they follow.
//! Depends on nothing else in the protocol core: schemas resolve these paths, and
//! filters and PATCH paths are built from them.

use std::fmt;

/// An attribute path (RFC 7644 section 3.10): `[URN ":"] attr ["." subAttr]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// Schema URN qualifier, as written.
    pub urn: Option<String>,
    /// Attribute name, as written.
    pub attr: String,
    /// Sub-attribute name, as written.
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// An unqualified path without sub-attribute.
    pub fn new(attr: impl Into<String>) -> Self {
        AttrPath {
            urn: None,
            attr: attr.into(),
            sub_attr: None,
        }
    }

    /// Parses `attr`, `attr.sub`, `urn:...:attr` or `urn:...:attr.sub`; `None` when the
    /// text is not an attribute path. URNs start with `urn:` (any case) and end at the
    /// last colon (RFC 7644 section 3.10).
    pub fn parse(text: &str) -> Option<AttrPath> {
        let (urn, rest) = if text.len() > 4 && has_urn_prefix(text) {
            let idx = text.rfind(':')?;
            let urn = &text[..idx];
            if urn.len() <= 4 {
                return None;
            }
            (Some(urn.to_string()), &text[idx + 1..])
        } else {
            (None, text)
        };
        let (attr, sub_attr) = match rest.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (rest, None),
        };
        if !is_attr_name(attr) || !sub_attr.is_none_or(is_attr_name) {
            return None;
        }
        Some(AttrPath {
            urn,
            attr: attr.to_string(),
            sub_attr: sub_attr.map(str::to_string),
        })
    }
}

/// Whether `text` starts with `urn:` in any case (safe on any UTF-8 input).
pub(crate) fn has_urn_prefix(text: &str) -> bool {
    text.get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("urn:"))
}

/// `ATTRNAME = ALPHA *(nameChar)` (RFC 7644 section 3.10), plus `$ref` (RFC 7643).
pub(crate) fn is_attr_name(s: &str) -> bool {
    if s.eq_ignore_ascii_case("$ref") {
        return true;
    }
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::model::urn;

    #[test]
    fn attr_paths_parse() {
        type Parts<'a> = (Option<&'a str>, &'a str, Option<&'a str>);
        let cases: &[(&str, Option<Parts>)] = &[
            ("userName", Some((None, "userName", None))),
            ("name.givenName", Some((None, "name", Some("givenName")))),
            ("members.$ref", Some((None, "members", Some("$ref")))),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                Some((Some(urn::ENTERPRISE_USER), "manager", Some("value"))),
            ),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName",
                Some((Some(urn::USER), "userName", None)),
            ),
            ("x-custom_1", Some((None, "x-custom_1", None))),
            ("", None),
            ("1abc", None),
            ("a.b.c", None),
            ("name.", None),
            ("urn:", None),
            ("urn:x:", None),
            ("user name", None),
        ];
        for (input, expected) in cases {
            let got = AttrPath::parse(input);
            let got = got
                .as_ref()
                .map(|p| (p.urn.as_deref(), p.attr.as_str(), p.sub_attr.as_deref()));
            assert_eq!(got, *expected, "{input}");
        }
    }
}
