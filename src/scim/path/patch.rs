//! PATCH paths (RFC 7644 section 3.5.2): `attrPath / valuePath ["." subAttr]`.

use std::fmt;

use super::attr::{AttrPath, is_attr_name};
use crate::scim::error::{ScimError, ScimType, clip};
use crate::scim::filter::{Filter, MAX_FILTER_LEN, parse_filter};

/// A parsed PATCH path: `attr`, `attr.sub`, `urn:...:attr[.sub]`, `attr[filter]` or
/// `attr[filter].sub` (the last two possibly URN-qualified).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (with its sub-attribute when written `attr.sub`).
    pub attr: AttrPath,
    /// The value selection filter of a `valuePath`, over the attribute's sub-attributes.
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter (`emails[type eq "work"].value`).
    pub sub_attr: Option<String>,
}

impl PatchPath {
    /// The sub-attribute this path targets, whether written `attr.sub` or `attr[f].sub`.
    pub fn target_sub_attr(&self) -> Option<&str> {
        self.sub_attr.as_deref().or(self.attr.sub_attr.as_deref())
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// Parses a PATCH `path`; malformed paths are `invalidPath`.
pub fn parse_path(text: &str) -> Result<PatchPath, ScimError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ScimError::invalid_path("empty path"));
    }
    if text.len() > MAX_FILTER_LEN {
        return Err(ScimError::invalid_path(format!(
            "path longer than {MAX_FILTER_LEN} bytes"
        )));
    }
    let shown = clip(text);
    let invalid = || ScimError::invalid_path(format!("'{shown}' is not a valid path"));
    let Some(open) = text.find('[') else {
        let attr = AttrPath::parse(text).ok_or_else(invalid)?;
        return Ok(PatchPath {
            attr,
            filter: None,
            sub_attr: None,
        });
    };
    let attr = AttrPath::parse(&text[..open]).ok_or_else(invalid)?;
    if attr.sub_attr.is_some() {
        return Err(ScimError::invalid_path(format!(
            "'{shown}': a value filter applies to an attribute, not a sub-attribute"
        )));
    }
    // The first ']' outside a string literal closes the filter (filters inside
    // value paths cannot nest brackets).
    let bytes = text.as_bytes();
    let mut in_string = false;
    let mut close = None;
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b']' if !in_string => {
                close = Some(i);
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let close = close.ok_or_else(|| {
        ScimError::invalid_path(format!("'{shown}': missing ']' after the value filter"))
    })?;
    let filter = parse_filter(&text[open + 1..close])
        .map_err(|e| ScimError::invalid_path(format!("'{shown}': {}", e.detail)))?;
    if contains_value_path(&filter) {
        return Err(ScimError::invalid_path(format!(
            "'{shown}': value filters cannot be nested"
        )));
    }
    let rest = &text[close + 1..];
    let sub_attr = if rest.is_empty() {
        None
    } else {
        match rest.strip_prefix('.') {
            Some(sub) if is_attr_name(sub) => Some(sub.to_string()),
            _ => return Err(invalid()),
        }
    };
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        sub_attr,
    })
}

fn contains_value_path(filter: &Filter) -> bool {
    match filter {
        Filter::ValuePath { .. } => true,
        Filter::And(a, b) | Filter::Or(a, b) => contains_value_path(a) || contains_value_path(b),
        Filter::Not(inner) => contains_value_path(inner),
        Filter::Compare { .. } | Filter::Present(_) => false,
    }
}

/// Maps any error to `invalidPath`, keeping its detail.
pub fn as_invalid_path(err: ScimError) -> ScimError {
    err.with_scim_type(ScimType::InvalidPath)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{CompValue, CompareOp};
    use crate::scim::model::urn;

    #[test]
    fn paths_parse() {
        let cases: &[(&str, &str)] = &[
            ("userName", "userName"),
            ("name.givenName", "name.givenName"),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            ),
            (
                r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
                r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
            ),
            (
                r#"emails[type eq "work"].value"#,
                r#"emails[type eq "work"].value"#,
            ),
            (
                r#" emails[type EQ "work" and primary eq true].Value "#,
                r#"emails[type eq "work" and primary eq true].Value"#,
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[value eq "a]b"].type"#,
                r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[value eq "a]b"].type"#,
            ),
            (r#"members[value eq "a\"]"]"#, r#"members[value eq "a\"]"]"#),
        ];
        for (input, display) in cases {
            let path = parse_path(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(path.to_string(), *display, "{input}");
        }
        let p = parse_path(r#"emails[type eq "work"].value"#).ok();
        assert_eq!(
            p,
            Some(PatchPath {
                attr: AttrPath::new("emails"),
                filter: Some(Filter::Compare {
                    path: AttrPath::new("type"),
                    op: CompareOp::Eq,
                    value: CompValue::String("work".into()),
                }),
                sub_attr: Some("value".into()),
            })
        );
        let p =
            parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
        assert_eq!(
            p.ok()
                .map(|p| (p.attr.urn.clone(), p.target_sub_attr().map(str::to_string))),
            Some((
                Some(urn::ENTERPRISE_USER.to_string()),
                Some("value".to_string())
            ))
        );
    }

    #[test]
    fn bad_paths_are_invalid_path() {
        for input in [
            "",
            "  ",
            "1name",
            "name..givenName",
            "name.givenName.x",
            "emails[",
            "emails[type eq \"work\"",
            "emails[type eq]",
            "emails[type eq \"work\"]value",
            "emails[type eq \"work\"].",
            "emails[type eq \"work\"].1x",
            "emails[type eq \"work\"][x eq 1]",
            "name.givenName[x eq 1]",
            "emails[roles[x eq 1]]",
            "[type eq \"work\"]",
        ] {
            let err = parse_path(input).err();
            assert_eq!(
                err.as_ref().and_then(|e| e.scim_type),
                Some(ScimType::InvalidPath),
                "{input:?} -> {err:?}"
            );
        }
    }
}
