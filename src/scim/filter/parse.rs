//! The recursive-descent filter parser, with depth and length limits, and validation
//! and canonicalisation of a parsed filter against a resource type's schema.

use serde_json::Number;

use super::ast::{CompValue, CompareOp, Filter};
use super::eval::{Scope, parse_date_time};
use super::lex::{Tok, parse_bare_value, tokenize};
use crate::scim::error::{ScimError, clip};
use crate::scim::path::attr::{AttrPath, is_attr_name};
use crate::scim::schema::{AttrType, Attribute, Mutability, Resolved, ResourceSchema, Returned};

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 8 * 1024;
/// Deepest nesting of parentheses, `not` and value paths accepted.
pub const MAX_FILTER_DEPTH: usize = 32;

/// A path as quoted in error details.
fn shown(path: &AttrPath) -> String {
    clip(&path.to_string()).into_owned()
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
    in_value_path: bool,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let tok = self.toks.get(self.pos).cloned();
        self.pos += 1;
        tok
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn enter(&mut self) -> Result<(), ScimError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(ScimError::invalid_filter(format!(
                "filter nesting deeper than {MAX_FILTER_DEPTH} levels"
            )));
        }
        Ok(())
    }

    fn expect(&mut self, want: Tok) -> Result<(), ScimError> {
        match self.next() {
            Some(t) if t == want => Ok(()),
            Some(t) => Err(ScimError::invalid_filter(format!(
                "expected '{want}' but found '{t}'"
            ))),
            None => Err(ScimError::invalid_filter(format!(
                "expected '{want}' but the filter ended"
            ))),
        }
    }

    // Precedence (RFC 7644 section 3.4.2.2): not > and > or.
    fn parse_or(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.parse_and()?;
        while self.peek_keyword("or") {
            self.pos += 1;
            let right = self.parse_and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.parse_unary()?;
        while self.peek_keyword("and") {
            self.pos += 1;
            let right = self.parse_unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_unary(&mut self) -> Result<Filter, ScimError> {
        match self.next() {
            Some(Tok::Word(w))
                if w.eq_ignore_ascii_case("not") && self.peek() == Some(&Tok::LParen) =>
            {
                self.enter()?;
                self.pos += 1;
                let inner = self.parse_or()?;
                self.expect(Tok::RParen)?;
                self.depth -= 1;
                Ok(Filter::Not(Box::new(inner)))
            }
            Some(Tok::LParen) => {
                self.enter()?;
                let inner = self.parse_or()?;
                self.expect(Tok::RParen)?;
                self.depth -= 1;
                Ok(inner)
            }
            Some(Tok::Word(w)) => self.parse_attr_expr(&w),
            Some(t) => Err(ScimError::invalid_filter(format!(
                "expected an attribute path, '(' or 'not' but found '{t}'"
            ))),
            None => Err(ScimError::invalid_filter(
                "expected an expression but the filter ended",
            )),
        }
    }

    fn parse_attr_expr(&mut self, word: &str) -> Result<Filter, ScimError> {
        let path = AttrPath::parse(word).ok_or_else(|| {
            ScimError::invalid_filter(format!("'{}' is not a valid attribute path", clip(word)))
        })?;
        if self.peek() != Some(&Tok::LBracket) {
            return self.parse_comparison(path);
        }
        if self.in_value_path {
            return Err(ScimError::invalid_filter(
                "value filters cannot be nested inside '[...]'",
            ));
        }
        if path.sub_attr.is_some() {
            return Err(ScimError::invalid_filter(format!(
                "'{}[...]': a value filter applies to an attribute, not a sub-attribute",
                clip(word)
            )));
        }
        self.pos += 1;
        self.enter()?;
        self.in_value_path = true;
        let inner = self.parse_or()?;
        self.expect(Tok::RBracket)?;
        self.in_value_path = false;
        self.depth -= 1;
        // Entra: `emails[type eq "work"].value eq "x"` = some email with type work has value x.
        let filter = match self.peek() {
            Some(Tok::Word(w)) if w.starts_with('.') => {
                let sub = w[1..].to_string();
                if !is_attr_name(&sub) {
                    return Err(ScimError::invalid_filter(format!(
                        "'{}' is not a valid sub-attribute",
                        clip(w)
                    )));
                }
                self.pos += 1;
                let tail = self.parse_comparison(AttrPath::new(sub))?;
                Filter::And(Box::new(inner), Box::new(tail))
            }
            _ => inner,
        };
        Ok(Filter::ValuePath {
            path,
            filter: Box::new(filter),
        })
    }

    fn parse_comparison(&mut self, path: AttrPath) -> Result<Filter, ScimError> {
        let op_word = match self.next() {
            Some(Tok::Word(w)) => w,
            Some(t) => {
                return Err(ScimError::invalid_filter(format!(
                    "expected an operator after '{}' but found '{t}'",
                    shown(&path)
                )));
            }
            None => {
                return Err(ScimError::invalid_filter(format!(
                    "expected an operator after '{}'",
                    shown(&path)
                )));
            }
        };
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let op = CompareOp::parse(&op_word).ok_or_else(|| {
            ScimError::invalid_filter(format!(
                "unknown operator '{}' after '{}'",
                clip(&op_word),
                shown(&path)
            ))
        })?;
        let value = match self.next() {
            Some(Tok::Str(s)) => CompValue::String(s),
            Some(Tok::Word(w)) => parse_bare_value(&w),
            Some(t) => {
                return Err(ScimError::invalid_filter(format!(
                    "expected a value after '{} {op_word}' but found '{t}'",
                    shown(&path)
                )));
            }
            None => {
                return Err(ScimError::invalid_filter(format!(
                    "expected a value after '{} {op_word}'",
                    shown(&path)
                )));
            }
        };
        Ok(Filter::Compare { path, op, value })
    }
}

/// Parses a filter (RFC 7644 section 3.4.2.2). Operators and `and`/`or`/`not` are
/// case-insensitive; inputs longer than [`MAX_FILTER_LEN`] or nested deeper than
/// [`MAX_FILTER_DEPTH`] are rejected with `invalidFilter`.
pub fn parse_filter(input: &str) -> Result<Filter, ScimError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(ScimError::invalid_filter(format!(
            "filter longer than {MAX_FILTER_LEN} bytes"
        )));
    }
    if input.trim().is_empty() {
        return Err(ScimError::invalid_filter("empty filter"));
    }
    let toks = tokenize(input)?;
    let mut parser = Parser {
        toks,
        pos: 0,
        depth: 0,
        in_value_path: false,
    };
    let filter = parser.parse_or()?;
    if let Some(t) = parser.peek() {
        return Err(ScimError::invalid_filter(format!(
            "unexpected '{t}' after a complete expression"
        )));
    }
    Ok(filter)
}

impl Filter {
    /// Checks the filter against a resource type's schema: every attribute must exist
    /// (`invalidFilter` naming it), complex attributes without a `value` sub-attribute
    /// cannot be compared, writeOnly and never-returned attributes cannot be filtered,
    /// and each value must fit its attribute's type (see `check_operand`).
    pub fn validate(&self, schema: &ResourceSchema) -> Result<(), ScimError> {
        self.validate_in(Scope::Resource(schema))
    }

    /// The same filter with every path in canonical form: canonical attribute and
    /// sub-attribute names, core attributes unqualified, extension attributes qualified
    /// with their canonical URN (`department` becomes
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`). The
    /// mapping layer can then pattern-match on exact names. Unknown paths are kept as
    /// written (call [`Filter::validate`] first to reject them).
    pub fn canonicalize(&self, schema: &ResourceSchema) -> Filter {
        self.canonical_in(Scope::Resource(schema))
    }

    fn canonical_in(&self, scope: Scope<'_>) -> Filter {
        let path_in = |path: &AttrPath| -> AttrPath {
            match scope {
                Scope::Resource(schema) => canonical_path(schema, path),
                Scope::Element(parent) => match parent.sub_attribute(&path.attr) {
                    Some(sub) if path.urn.is_none() && path.sub_attr.is_none() => {
                        AttrPath::new(sub.name.clone())
                    }
                    _ => path.clone(),
                },
            }
        };
        match self {
            Filter::And(a, b) => Filter::And(
                Box::new(a.canonical_in(scope)),
                Box::new(b.canonical_in(scope)),
            ),
            Filter::Or(a, b) => Filter::Or(
                Box::new(a.canonical_in(scope)),
                Box::new(b.canonical_in(scope)),
            ),
            Filter::Not(inner) => Filter::Not(Box::new(inner.canonical_in(scope))),
            Filter::Present(path) => Filter::Present(path_in(path)),
            Filter::Compare { path, op, value } => Filter::Compare {
                path: path_in(path),
                op: *op,
                value: value.clone(),
            },
            Filter::ValuePath { path, filter } => {
                let (canonical, inner_scope) = match scope {
                    Scope::Resource(schema) => match schema.resolve(path) {
                        Some(r) if r.sub_attribute.is_none() => {
                            (canonical_path(schema, path), Scope::Element(r.attribute))
                        }
                        _ => (path.clone(), scope),
                    },
                    Scope::Element(_) => (path.clone(), scope),
                };
                Filter::ValuePath {
                    path: canonical,
                    filter: Box::new(filter.canonical_in(inner_scope)),
                }
            }
        }
    }

    /// Validates a filter used inside `parent[...]` (paths are sub-attribute names).
    pub fn validate_value_filter(&self, parent: &Attribute) -> Result<(), ScimError> {
        self.validate_in(Scope::Element(parent))
    }

    fn validate_in(&self, scope: Scope<'_>) -> Result<(), ScimError> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.validate_in(scope)?;
                b.validate_in(scope)
            }
            Filter::Not(inner) => inner.validate_in(scope),
            Filter::Present(path) => resolve_in(scope, path).map(|_| ()),
            Filter::Compare { path, op, value } => {
                let attr = resolve_in(scope, path)?;
                let target = attr.comparable().ok_or_else(|| {
                    ScimError::invalid_filter(format!(
                        "'{}' is complex; compare one of its sub-attributes",
                        shown(path)
                    ))
                })?;
                check_operand(path, *op, value, target)
            }
            Filter::ValuePath { path, filter } => {
                let Scope::Resource(schema) = scope else {
                    return Err(ScimError::invalid_filter("value filters cannot be nested"));
                };
                let resolved = resolve_path(schema, path)?;
                if resolved.sub_attribute.is_some() || !resolved.attribute.is_complex() {
                    return Err(ScimError::invalid_filter(format!(
                        "'{}' has no sub-attributes to filter on",
                        shown(path)
                    )));
                }
                filter.validate_in(Scope::Element(resolved.attribute))
            }
        }
    }
}

/// Checks that `path op value` can mean something for an attribute of `target`'s type,
/// so that a mistyped filter is `invalidFilter` instead of a silent empty result.
///
/// RFC 7644 section 3.4.2.2, `gt` (and `ge`, `lt`, `le`): "For string attribute types,
/// this is a lexicographical comparison, and for DateTime types, it is a chronological
/// comparison. For integer attributes, it is a comparison by numeric value. Boolean and
/// Binary attributes SHALL cause a failed response (HTTP status code 400) with
/// "scimType" of "invalidFilter"." Section 3.12, `invalidFilter`: "The specified filter
/// syntax was invalid (does not comply with Figure 1), or the specified attribute and
/// filter comparison combination is not supported."
///
/// Lenient where clients are: booleans written as strings (`"True"`, as Entra writes
/// them), numbers written as strings (`type eq "2"`).
fn check_operand(
    path: &AttrPath,
    op: CompareOp,
    value: &CompValue,
    target: &Attribute,
) -> Result<(), ScimError> {
    let shown = || format!("'{path} {} {}'", op.as_str(), clip(&value.to_string()));
    let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    let kind = match target.attr_type {
        AttrType::Boolean => "boolean",
        AttrType::Binary => "binary",
        AttrType::Integer => "integer",
        AttrType::Decimal => "decimal",
        AttrType::DateTime => "dateTime",
        AttrType::String | AttrType::Reference | AttrType::Complex => "string",
    };
    if matches!(target.attr_type, AttrType::Boolean | AttrType::Binary) && op.is_ordering() {
        return Err(ScimError::invalid_filter(format!(
            "operator '{}' is not allowed on {kind} attribute '{path}'",
            op.as_str()
        )));
    }
    if *value == CompValue::Null {
        // `eq null` / `ne null` ask whether the attribute is unassigned; nothing is
        // greater than or contains null.
        return match op {
            CompareOp::Eq | CompareOp::Ne => Ok(()),
            _ => Err(ScimError::invalid_filter(format!(
                "{}: null can only be compared with eq or ne",
                shown()
            ))),
        };
    }
    if substring
        && matches!(
            target.attr_type,
            AttrType::Boolean | AttrType::Integer | AttrType::Decimal
        )
    {
        return Err(ScimError::invalid_filter(format!(
            "{}: operator '{}' compares text, and '{path}' is of type {kind}",
            shown(),
            op.as_str()
        )));
    }
    let fits = match (target.attr_type, value) {
        (AttrType::Boolean, CompValue::Bool(_)) => true,
        (AttrType::Boolean, CompValue::String(s)) => {
            s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")
        }
        (AttrType::Integer | AttrType::Decimal, CompValue::Number(_)) => true,
        (AttrType::Integer | AttrType::Decimal, CompValue::String(s)) => {
            serde_json::from_str::<Number>(s.trim()).is_ok()
        }
        (AttrType::DateTime, CompValue::String(s)) => substring || parse_date_time(s).is_some(),
        (
            AttrType::String | AttrType::Reference | AttrType::Binary | AttrType::Complex,
            CompValue::String(_),
        ) => true,
        // An unquoted number against text (`extensionNumber eq 1001`, as admins type it)
        // is compared as its digits, as bare words are tolerated for Entra.
        (AttrType::String | AttrType::Reference, CompValue::Number(_)) => true,
        _ => false,
    };
    if fits {
        return Ok(());
    }
    let expected = match target.attr_type {
        AttrType::Boolean => "true or false",
        AttrType::Integer | AttrType::Decimal => "a number",
        AttrType::DateTime => {
            "an RFC 3339 dateTime in quotes, e.g. \"2026-01-31T00:00:00Z\" (dateTimes compare chronologically)"
        }
        _ => "a quoted string",
    };
    Err(ScimError::invalid_filter(format!(
        "{}: '{path}' is of type {kind}; compare it with {expected}",
        shown()
    )))
}

/// The canonical form of a path (see [`Filter::canonicalize`]); unknown paths unchanged.
pub fn canonical_path(schema: &ResourceSchema, path: &AttrPath) -> AttrPath {
    match schema.resolve(path) {
        Some(r) => AttrPath {
            urn: r.extension.map(str::to_string),
            attr: r.name().to_string(),
            sub_attr: r.sub_name().map(str::to_string),
        },
        None => path.clone(),
    }
}

fn resolve_path<'a>(
    schema: &'a ResourceSchema,
    path: &AttrPath,
) -> Result<Resolved<'a>, ScimError> {
    schema.resolve(path).ok_or_else(|| {
        ScimError::invalid_filter(format!("unknown attribute '{}' in filter", shown(path)))
    })
}

/// Resolves a filter path in its scope and checks it may be filtered on.
fn resolve_in<'a>(scope: Scope<'a>, path: &AttrPath) -> Result<&'a Attribute, ScimError> {
    let attr = match scope {
        Scope::Resource(schema) => resolve_path(schema, path)?.target(),
        Scope::Element(parent) => {
            if path.urn.is_some() || path.sub_attr.is_some() {
                return Err(ScimError::invalid_filter(format!(
                    "'{}' inside '{}[...]' must be a plain sub-attribute name",
                    shown(path),
                    parent.name
                )));
            }
            parent.sub_attribute(&path.attr).ok_or_else(|| {
                ScimError::invalid_filter(format!(
                    "unknown attribute '{}.{}' in filter",
                    parent.name,
                    clip(&path.attr)
                ))
            })?
        }
    };
    if attr.mutability == Mutability::WriteOnly {
        return Err(ScimError::invalid_filter(format!(
            "attribute '{path}' is write-only and cannot be filtered on"
        )));
    }
    if attr.returned == Returned::Never {
        let owner = match scope {
            Scope::Resource(schema) => format!("{} resources", schema.resource_type.name),
            Scope::Element(parent) => format!("'{}' values", parent.name),
        };
        return Err(ScimError::invalid_filter(format!(
            "attribute '{path}' cannot be filtered on: this service provider keeps no such value for {owner} and never returns it, so the filter could match nothing"
        )));
    }
    Ok(attr)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{cmp, parse, s};
    use super::*;
    use crate::scim::model::urn;
    use crate::scim::schema::SchemaRegistry;

    #[test]
    fn every_operator_parses_case_insensitively() {
        for (word, op) in [
            ("eq", CompareOp::Eq),
            ("NE", CompareOp::Ne),
            ("Co", CompareOp::Co),
            ("sw", CompareOp::Sw),
            ("EW", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("LT", CompareOp::Lt),
            ("le", CompareOp::Le),
        ] {
            assert_eq!(
                parse(&format!("title {word} \"x\"")),
                cmp("title", op, s("x")),
                "{word}"
            );
        }
        assert_eq!(parse("title PR"), Filter::Present(AttrPath::new("title")));
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let a = || Box::new(cmp("title", CompareOp::Eq, s("a")));
        let b = || Box::new(cmp("locale", CompareOp::Eq, s("b")));
        let c = || Box::new(cmp("timezone", CompareOp::Eq, s("c")));
        assert_eq!(
            parse(r#"title eq "a" or locale eq "b" and timezone eq "c""#),
            Filter::Or(a(), Box::new(Filter::And(b(), c())))
        );
        assert_eq!(
            parse(r#"title eq "a" and locale eq "b" or timezone eq "c""#),
            Filter::Or(Box::new(Filter::And(a(), b())), c())
        );
        assert_eq!(
            parse(r#"(title eq "a" or locale eq "b") and timezone eq "c""#),
            Filter::And(Box::new(Filter::Or(a(), b())), c())
        );
        assert_eq!(
            parse(r#"not (title eq "a") and locale eq "b""#),
            Filter::And(Box::new(Filter::Not(a())), b())
        );
        assert_eq!(
            parse(r#"title eq "a" AND NOT(locale eq "b" Or timezone eq "c")"#),
            Filter::And(a(), Box::new(Filter::Not(Box::new(Filter::Or(b(), c())))))
        );
        // Left-associative chains.
        assert_eq!(
            parse(r#"title eq "a" and locale eq "b" and timezone eq "c""#),
            Filter::And(Box::new(Filter::And(a(), b())), c())
        );
    }

    #[test]
    fn value_paths_parse_including_the_entra_suffix_form() {
        assert_eq!(
            parse(r#"emails[type eq "work" and value co "@example.com"]"#),
            Filter::ValuePath {
                path: AttrPath::new("emails"),
                filter: Box::new(Filter::And(
                    Box::new(cmp("type", CompareOp::Eq, s("work"))),
                    Box::new(cmp("value", CompareOp::Co, s("@example.com"))),
                )),
            }
        );
        assert_eq!(
            parse(r#"emails[type eq "work"].value eq "a@x.com""#),
            Filter::ValuePath {
                path: AttrPath::new("emails"),
                filter: Box::new(Filter::And(
                    Box::new(cmp("type", CompareOp::Eq, s("work"))),
                    Box::new(cmp("value", CompareOp::Eq, s("a@x.com"))),
                )),
            }
        );
        let f = parse(r#"userName eq "a" or emails[not (type eq "home")]"#);
        assert_eq!(
            f.to_string(),
            r#"userName eq "a" or emails[not (type eq "home")]"#
        );
    }

    #[test]
    fn client_filters_from_the_field_parse() {
        for input in [
            r#"userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee""#,
            "userName eq \"test.user@okta.local\"",
            "username eq \"jdoe\"",
            r#"displayName eq "Group1DisplayName""#,
            r#"emails[type eq "work"].value eq "a@b.c""#,
            r#"id eq "u1" and manager eq "m1""#,
            r#"userName eq "x" AND active eq true"#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D""#,
            r#"meta.created gt "2026-01-01T00:00:00Z""#,
        ] {
            let f = parse(input);
            assert!(
                f.validate(SchemaRegistry::global().user()).is_ok()
                    || input.starts_with("displayName"),
                "{input}"
            );
        }
        assert!(
            parse(r#"displayName eq "Group1DisplayName""#)
                .validate(SchemaRegistry::global().group())
                .is_ok()
        );
        // externalId is published (the store keeps it): Okta's unquoted form validates.
        assert!(
            parse("externalId eq jyoung")
                .validate(SchemaRegistry::global().user())
                .is_ok()
        );
        // An attribute nobody publishes is still named, for a 400 invalidFilter.
        let err = parse("nickName eq jyoung")
            .validate(SchemaRegistry::global().user())
            .err()
            .map(|e| e.detail)
            .unwrap_or_default();
        assert!(err.contains("nickName"), "{err}");
    }

    #[test]
    fn garbage_is_invalid_filter_never_a_panic() {
        for input in [
            "",
            "   ",
            "userName",
            "userName eq",
            "userName xx \"a\"",
            "userName eq \"a",
            "userName eq \"a\" and",
            "(userName eq \"a\"",
            "userName eq \"a\")",
            "emails[type eq \"work\"",
            "emails[type eq \"work\"]]",
            "emails[type eq \"work\"].",
            "emails[type eq \"work\"].value",
            "emails[types[x eq 1]]",
            "name.givenName[x eq 1]",
            "not userName eq \"a\"",
            "and",
            "\"userName\" eq \"a\"",
            "userName eq \"\\x\"",
            "1abc eq \"a\"",
            "userName eq (",
            ")",
            "[",
        ] {
            let err = parse_filter(input).err();
            assert!(
                err.as_ref().is_some_and(|e| e.status == 400
                    && e.scim_type == Some(crate::scim::ScimType::InvalidFilter)),
                "{input:?} -> {err:?}"
            );
        }
    }

    #[test]
    fn nesting_and_length_limits_reject_instead_of_overflowing() {
        let deep = format!("{}title eq \"a\"{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(deep.len() > MAX_FILTER_LEN);
        assert!(parse_filter(&deep).is_err());
        let within = format!("{}title eq \"a\"{}", "(".repeat(32), ")".repeat(32));
        assert!(parse_filter(&within).is_ok());
        let too_deep = format!("{}title eq \"a\"{}", "(".repeat(33), ")".repeat(33));
        let err = parse_filter(&too_deep)
            .err()
            .map(|e| e.detail)
            .unwrap_or_default();
        assert!(err.contains("nesting"), "{err}");
        let nots = format!("{}title eq \"a\"{}", "not (".repeat(40), ")".repeat(40));
        assert!(parse_filter(&nots).is_err());
        let long_chain = vec!["title eq \"a\""; 500].join(" or ");
        assert!(long_chain.len() < MAX_FILTER_LEN);
        assert!(parse_filter(&long_chain).is_ok());
    }

    #[test]
    fn validation_names_unknown_attributes_and_rejects_bad_ordering() {
        let user = SchemaRegistry::global().user();
        let err = |f: &str| {
            parse(f)
                .validate(user)
                .err()
                .map(|e| (e.scim_type, e.detail))
        };
        let (kind, detail) = err("nickName eq \"x\"").unwrap_or_default();
        assert_eq!(kind, Some(crate::scim::ScimType::InvalidFilter));
        assert!(detail.contains("nickName"), "{detail}");
        assert!(err("emails[foo eq \"x\"]").is_some_and(|(_, d)| d.contains("emails.foo")));
        assert!(err("active gt true").is_some_and(|(_, d)| d.contains("boolean")));
        assert!(err("emails.primary le false").is_some());
        assert!(err("name eq \"x\"").is_some());
        assert!(err("userName[value eq \"x\"]").is_some());
        assert!(err("zoomPhoneExtNumber eq \"1\"").is_some());
        assert!(err("emails[type eq \"work\" and emails.value eq \"x\"]").is_some());
        assert!(err("userName gt \"a\"").is_none());
        assert!(err("emails co \"x\"").is_none());
        assert!(err("manager eq \"m1\"").is_none());
        assert!(err("meta.created lt \"2027-01-01T00:00:00Z\"").is_none());
        assert!(err("roles[primary eq true]").is_none());
    }

    /// The `invalidFilter` detail of `filter` on `schema`, or `None` when it validates.
    fn rejection(filter: &str, schema: &ResourceSchema) -> Option<String> {
        match parse(filter).validate(schema) {
            Ok(()) => None,
            Err(e) => {
                assert_eq!(e.status, 400, "{filter}");
                assert_eq!(
                    e.scim_type,
                    Some(crate::scim::ScimType::InvalidFilter),
                    "{filter}"
                );
                Some(e.detail)
            }
        }
    }

    #[test]
    fn meta_values_the_service_never_returns_cannot_be_filtered_on() {
        let registry = SchemaRegistry::global();
        let (user, group) = (registry.user(), registry.group());
        // Groups keep no creation time: a filter on it hears so, not an empty list.
        for filter in [
            r#"meta.created gt "2026-01-01T00:00:00Z""#,
            "meta.created pr",
        ] {
            let detail = rejection(filter, group).unwrap_or_else(|| panic!("{filter}"));
            assert!(detail.contains("Group resources"), "{detail}");
        }
        // lastModified comes from the store: filterable on both.
        for filter in [
            r#"meta.lastModified gt "2026-01-01T00:00:00Z""#,
            r#"META.LASTMODIFIED ge "2026-01-01T00:00:00Z""#,
            "meta.lastModified pr",
        ] {
            assert_eq!(rejection(filter, user), None, "{filter}");
            assert_eq!(rejection(filter, group), None, "{filter}");
        }
        // What is returned stays filterable.
        for filter in [
            r#"meta.created gt "2026-01-01T00:00:00Z""#,
            "meta.created pr",
            r#"meta.resourceType eq "User""#,
            r#"meta.version eq "W/\"x\"""#,
        ] {
            assert_eq!(rejection(filter, user), None, "{filter}");
        }
        assert_eq!(rejection("meta.location pr", group), None);
    }

    #[test]
    fn date_time_comparisons_need_an_rfc_3339_value() {
        let user = SchemaRegistry::global().user();
        for filter in [
            r#"meta.created gt "not-a-date""#,
            r#"meta.created eq "2026-01-01""#,
            r#"meta.created lt "yesterday""#,
            r#"createdAt ge "2026-13-01T00:00:00Z""#,
            r#"lastLoginTime ne "1700000000""#,
            "meta.created gt 1700000000",
            "meta.created gt true",
            "meta.created gt null",
        ] {
            let detail = rejection(filter, user).unwrap_or_else(|| panic!("{filter}"));
            let attr = filter.split(' ').next().unwrap_or_default();
            assert!(detail.contains(attr), "{detail}");
        }
        let detail = rejection(r#"meta.created gt "not-a-date""#, user).unwrap_or_default();
        assert!(detail.contains("RFC 3339"), "{detail}");
        for filter in [
            r#"meta.created gt "2026-01-01T00:00:00Z""#,
            r#"meta.created le "2026-01-01T10:00:00.123+02:00""#,
            r#"createdAt eq "2026-03-01T11:00:00+01:00""#,
            "meta.created eq null",
            // Substring operators compare the text.
            r#"createdAt sw "2026-03""#,
        ] {
            assert_eq!(rejection(filter, user), None, "{filter}");
        }
    }

    #[test]
    fn values_of_the_wrong_type_are_invalid_filters() {
        let user = SchemaRegistry::global().user();
        for filter in [
            // Booleans take true or false.
            r#"active eq "yes""#,
            "active eq 1",
            "active ne 0",
            r#"active co "t""#,
            "emails[primary eq 1]",
            // Strings take strings.
            "userName gt true",
            "userName eq false",
            r#"emails[type eq "work" and value eq true]"#,
            // Numbers take numbers.
            "type eq true",
            r#"type eq "two""#,
            r#"callingPlans co "2""#,
            // Null only answers "unassigned?".
            "title co null",
            "type gt null",
        ] {
            assert!(rejection(filter, user).is_some(), "{filter}");
        }
        let detail = rejection("userName gt true", user).unwrap_or_default();
        assert!(detail.contains("'userName gt true'"), "{detail}");
        assert!(detail.contains("quoted string"), "{detail}");
        let detail = rejection(r#"active eq "yes""#, user).unwrap_or_default();
        assert!(detail.contains("true or false"), "{detail}");
        // What clients send keeps working: Entra's string booleans, numbers in quotes,
        // bare words and numbers against text, null checks.
        for filter in [
            "active eq true",
            r#"active eq "False""#,
            r#"active ne "TRUE""#,
            r#"roles[primary eq "True"]"#,
            "emails[primary eq true]",
            r#"type eq "2""#,
            "type ge 1",
            "callingPlans eq 200",
            "userName eq jdoe",
            "title eq 42",
            r#"userName eq "true""#,
            "title eq null",
            "title ne null",
            r#"emails[type eq "work"].value eq "a@b.c""#,
        ] {
            assert_eq!(rejection(filter, user), None, "{filter}");
        }
    }

    #[test]
    fn long_values_are_clipped_in_details() {
        let user = SchemaRegistry::global().user();
        let filter = format!("active eq \"{}\"", "y".repeat(5_000));
        let detail = rejection(&filter, user).unwrap_or_default();
        assert!(detail.len() < 600, "{}", detail.len());
        assert!(detail.contains("... (5002 characters)"), "{detail}");
    }

    #[test]
    fn long_words_and_literals_are_clipped_in_details() {
        let user = SchemaRegistry::global().user();
        let unknown = format!("{} eq \"x\"", "a".repeat(5_000));
        let detail = parse(&unknown)
            .validate(user)
            .err()
            .map(|e| e.detail)
            .unwrap_or_default();
        assert!(detail.len() < 300, "{}", detail.len());
        assert!(detail.contains("... (5000 characters)"), "{detail}");
        let dangling = format!("userName eq \"a\" \"{}\"", "b".repeat(5_000));
        let detail = parse_filter(&dangling)
            .err()
            .map(|e| e.detail)
            .unwrap_or_default();
        assert!(detail.len() < 300, "{}", detail.len());
        assert!(detail.contains("... (5002 characters)"), "{detail}");
    }

    #[test]
    fn canonicalize_rewrites_paths_for_pattern_matching() {
        let user = SchemaRegistry::global().user();
        let f = parse(
            r#"username eq "a" and DEPARTMENT eq "x" and EMAILS[TYPE eq "work"].VALUE eq "e" and urn:ietf:params:scim:schemas:core:2.0:User:Name.GivenName pr"#,
        );
        assert_eq!(
            f.canonicalize(user).to_string(),
            format!(
                r#"userName eq "a" and {}:department eq "x" and emails[type eq "work" and value eq "e"] and name.givenName pr"#,
                urn::ENTERPRISE_USER
            )
        );
        let unknown = parse("nickName eq 1");
        assert_eq!(unknown.canonicalize(user), unknown);
    }
}
