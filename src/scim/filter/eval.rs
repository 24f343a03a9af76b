//! In-memory matching of a filter against a canonical resource (RFC 7644 section
//! 3.4.2.2 semantics: `caseExact`, chronological dateTimes, multi-valued attributes).

use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::ast::{CompValue, CompareOp, Filter};
use crate::scim::path::attr::AttrPath;
use crate::scim::schema::{AttrType, Attribute, Resolved, ResourceSchema};
use crate::scim::value::{get_ci, is_present};

/// The definition compared by a path in a given context.
#[derive(Clone, Copy)]
pub(super) enum Scope<'a> {
    Resource(&'a ResourceSchema),
    Element(&'a Attribute),
}

impl Filter {
    /// Whether one value (element) of the complex attribute `parent` matches a filter
    /// used inside `parent[...]`.
    pub fn matches_value(&self, element: &Value, parent: &Attribute) -> bool {
        self.eval(element, Scope::Element(parent))
    }

    /// Whether a canonical resource matches. Strings honour `caseExact`; dateTimes
    /// compare chronologically, numbers numerically; a multi-valued attribute matches
    /// when any value matches; a complex attribute without sub-attribute compares its
    /// `value`; `pr` means present and not null/empty. `ne` is the negation of `eq`
    /// (an unassigned attribute is "not equal"). Unknown attributes never match.
    pub fn matches(&self, resource: &Value, schema: &ResourceSchema) -> bool {
        self.eval(resource, Scope::Resource(schema))
    }

    fn eval(&self, node: &Value, scope: Scope<'_>) -> bool {
        match self {
            Filter::And(a, b) => a.eval(node, scope) && b.eval(node, scope),
            Filter::Or(a, b) => a.eval(node, scope) || b.eval(node, scope),
            Filter::Not(inner) => !inner.eval(node, scope),
            Filter::Present(path) => match lookup(node, scope, path) {
                Some(found) => found.values.iter().any(|v| is_present(v)),
                None => false,
            },
            Filter::Compare { path, op, value } => {
                let Some(found) = lookup(node, scope, path) else {
                    return false;
                };
                let Some(def) = found.def else {
                    return false;
                };
                let present: Vec<&Value> = found
                    .values
                    .iter()
                    .copied()
                    .filter(|v| is_present(v))
                    .collect();
                match (op, value) {
                    (CompareOp::Eq, CompValue::Null) => present.is_empty(),
                    (CompareOp::Ne, CompValue::Null) => !present.is_empty(),
                    (_, CompValue::Null) => false,
                    (CompareOp::Ne, _) => !present
                        .iter()
                        .any(|v| compare_one(v, def, CompareOp::Eq, value)),
                    _ => present.iter().any(|v| compare_one(v, def, *op, value)),
                }
            }
            Filter::ValuePath { path, filter } => {
                let Scope::Resource(schema) = scope else {
                    return false;
                };
                let Some(resolved) = schema.resolve(path) else {
                    return false;
                };
                if resolved.sub_attribute.is_some() {
                    return false;
                }
                let Some(attr_value) = attribute_node(node, &resolved) else {
                    return false;
                };
                let elements: Vec<&Value> = match attr_value {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                elements
                    .into_iter()
                    .filter(|e| e.is_object())
                    .any(|e| filter.eval(e, Scope::Element(resolved.attribute)))
            }
        }
    }
}

/// An RFC 3339 dateTime (RFC 7643 section 2.3.5: xsd:dateTime with an offset).
pub(super) fn parse_date_time(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(text.trim()).ok()
}

struct Found<'v, 'a> {
    values: Vec<&'v Value>,
    def: Option<&'a Attribute>,
}

/// The JSON node of a resolved attribute in a canonical resource.
fn attribute_node<'v>(resource: &'v Value, resolved: &Resolved<'_>) -> Option<&'v Value> {
    let container = match resolved.extension {
        Some(urn) => get_ci(resource, urn)?,
        None => resource,
    };
    get_ci(container, resolved.name())
}

/// Collects the values a path denotes, flattening multi-valued attributes, and the
/// definition to compare them with.
fn lookup<'v, 'a>(node: &'v Value, scope: Scope<'a>, path: &AttrPath) -> Option<Found<'v, 'a>> {
    match scope {
        Scope::Element(parent) => {
            if path.urn.is_some() || path.sub_attr.is_some() {
                return None;
            }
            let def = parent.sub_attribute(&path.attr)?;
            let values = match get_ci(node, &def.name) {
                Some(Value::Array(items)) => items.iter().collect(),
                Some(v) => vec![v],
                None => vec![],
            };
            Some(Found {
                values,
                def: Some(def),
            })
        }
        Scope::Resource(schema) => {
            let resolved = schema.resolve(path)?;
            let items: Vec<&Value> = match attribute_node(node, &resolved) {
                Some(Value::Array(items)) => items.iter().collect(),
                Some(v) => vec![v],
                None => vec![],
            };
            let (values, def) = match resolved.sub_attribute {
                Some(sub) => (
                    items
                        .into_iter()
                        .filter_map(|item| get_ci(item, &sub.name))
                        .collect(),
                    Some(sub),
                ),
                None if resolved.attribute.is_complex() => {
                    match resolved.attribute.comparable() {
                        Some(value_def) => (
                            items
                                .iter()
                                .filter_map(|item| get_ci(item, &value_def.name))
                                .collect(),
                            Some(value_def),
                        ),
                        // `pr` on a complex attribute without `value`: the objects themselves.
                        None => (items, None),
                    }
                }
                None => (items, Some(resolved.attribute)),
            };
            Some(Found { values, def })
        }
    }
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn ordering_matches(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn compare_numbers(actual: &Value, expected: &CompValue) -> Option<Ordering> {
    let actual_num = match actual {
        Value::Number(n) => n.clone(),
        Value::String(s) => serde_json::from_str::<Number>(s.trim()).ok()?,
        _ => return None,
    };
    let expected_num = match expected {
        CompValue::Number(n) => n.clone(),
        CompValue::String(s) => serde_json::from_str::<Number>(s.trim()).ok()?,
        _ => return None,
    };
    if let (Some(a), Some(b)) = (actual_num.as_i64(), expected_num.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (actual_num.as_u64(), expected_num.as_u64()) {
        return Some(a.cmp(&b));
    }
    actual_num.as_f64()?.partial_cmp(&expected_num.as_f64()?)
}

fn compare_one(actual: &Value, def: &Attribute, op: CompareOp, expected: &CompValue) -> bool {
    match def.attr_type {
        AttrType::Complex => false,
        AttrType::Boolean => {
            let as_bool = |v: Option<String>| match v?.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            };
            let a = match actual {
                Value::Bool(b) => Some(*b),
                other => as_bool(text_of(other)),
            };
            let e = match expected {
                CompValue::Bool(b) => Some(*b),
                other => as_bool(Some(other.as_text())),
            };
            op == CompareOp::Eq && a.is_some() && a == e
        }
        AttrType::Integer | AttrType::Decimal => {
            compare_numbers(actual, expected).is_some_and(|ord| ordering_matches(op, ord))
        }
        AttrType::DateTime => {
            let (Some(a_text), e_text) = (text_of(actual), expected.as_text()) else {
                return false;
            };
            match (op, parse_date_time(&a_text), parse_date_time(&e_text)) {
                (CompareOp::Co | CompareOp::Sw | CompareOp::Ew, _, _) => {
                    compare_strings(&a_text, &e_text, op, false)
                }
                (_, Some(a), Some(e)) => ordering_matches(op, a.cmp(&e)),
                _ => compare_strings(&a_text, &e_text, op, true),
            }
        }
        AttrType::String | AttrType::Reference | AttrType::Binary => {
            let Some(a_text) = text_of(actual) else {
                return false;
            };
            compare_strings(&a_text, &expected.as_text(), op, def.case_exact)
        }
    }
}

fn compare_strings(actual: &str, expected: &str, op: CompareOp, case_exact: bool) -> bool {
    let (a, e) = if case_exact {
        (actual.to_string(), expected.to_string())
    } else {
        (actual.to_lowercase(), expected.to_lowercase())
    };
    match op {
        CompareOp::Co => a.contains(&e),
        CompareOp::Sw => a.starts_with(&e),
        CompareOp::Ew => a.ends_with(&e),
        other => ordering_matches(other, a.cmp(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_filter;
    use super::super::test_support::parse;
    use super::*;
    use crate::scim::model::urn;
    use crate::scim::schema::SchemaRegistry;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER, urn::ZOOM_USER],
            "id": "AbC123",
            "userName": "Jane.Doe@Example.com",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "displayName": "Jane Doe",
            "active": true,
            "title": "",
            "emails": [
                {"value": "jane@home.example", "type": "home"},
                {"value": "Jane.Doe@Example.com", "type": "work", "primary": true}
            ],
            "roles": [{"value": "2", "display": "Member", "primary": true}],
            urn::ENTERPRISE_USER: {"department": "R&D", "manager": {"value": "m1"}},
            urn::ZOOM_USER: {
                "type": 2, "pmi": 1234567890, "createdAt": "2026-03-01T10:00:00Z",
                "callingPlans": [200, 300], "loginTypes": [100]
            },
            "meta": {"created": "2026-05-01T12:00:00+02:00"}
        })
    }

    #[test]
    fn matching_semantics() {
        let schema = SchemaRegistry::global().user();
        let resource = user();
        let cases: &[(&str, bool)] = &[
            // caseExact false on userName, true on id.
            (r#"userName eq "jane.doe@example.com""#, true),
            (r#"USERNAME EQ "JANE.DOE@EXAMPLE.COM""#, true),
            (r#"id eq "abc123""#, false),
            (r#"id eq "AbC123""#, true),
            (r#"userName ne "jane.doe@example.com""#, false),
            (r#"userName sw "jane""#, true),
            (r#"userName ew "@example.COM""#, true),
            (r#"userName co "doe@""#, true),
            (r#"userName gt "a""#, true),
            (r#"userName lt "a""#, false),
            // complex and multi-valued
            (r#"name.familyName eq "doe""#, true),
            (r#"emails co "@home""#, true),
            (r#"emails.value eq "jane@home.example""#, true),
            (r#"emails.type eq "other""#, false),
            (r#"emails.type ne "other""#, true),
            (r#"emails[type eq "work" and value co "example.com"]"#, true),
            (r#"emails[type eq "home" and primary eq true]"#, false),
            (
                r#"emails[type eq "work"].value eq "JANE.DOE@example.com""#,
                true,
            ),
            (
                r#"emails[type eq "home"].value eq "Jane.Doe@Example.com""#,
                false,
            ),
            (r#"emails[not (type eq "work")]"#, true),
            (r#"roles[primary eq true]"#, true),
            // booleans
            ("active eq true", true),
            ("active eq false", false),
            ("active ne false", true),
            // presence: "" and missing are not present
            ("title pr", false),
            ("displayName pr", true),
            ("phoneNumbers pr", false),
            ("name pr", true),
            ("emails pr", true),
            ("title eq null", true),
            ("displayName eq null", false),
            (r#"locale ne "en-US""#, true),
            // extensions, qualified and not
            (r#"department eq "r&d""#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D""#,
                true,
            ),
            (r#"manager eq "m1""#, true),
            (r#"manager.value eq "m2""#, false),
            (r#"id eq "AbC123" and manager eq "m1""#, true),
            // numbers
            ("type eq 2", true),
            ("type ge 2", true),
            ("type gt 2", false),
            ("pmi gt 999999999", true),
            ("type eq \"2\"", true),
            ("callingPlans eq 300", true),
            ("callingPlans lt 200", false),
            ("loginTypes eq 101", false),
            // dateTime, chronological across offsets
            (r#"createdAt gt "2026-02-28T23:59:59Z""#, true),
            (r#"createdAt lt "2026-03-01T11:00:00+01:00""#, false),
            (r#"createdAt eq "2026-03-01T11:00:00+01:00""#, true),
            (r#"meta.created ge "2026-05-01T10:00:00Z""#, true),
            (r#"meta.created gt "2026-05-01T10:00:00Z""#, false),
            // logic
            (r#"userName eq "x" or active eq true"#, true),
            (r#"not (active eq true)"#, false),
            (
                r#"userName eq "x" or (department eq "R&D" and not (title pr))"#,
                true,
            ),
            // unknown attributes never match
            (r#"nickName eq "x""#, false),
            (r#"nickName ne "x""#, false),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse(input).matches(&resource, schema),
                *expected,
                "{input}"
            );
        }
    }

    #[test]
    fn group_member_filters_match() {
        let schema = SchemaRegistry::global().group();
        let group = json!({
            "id": "g1", "displayName": "Sales EMEA",
            "members": [{"value": "u1", "display": "a@x"}, {"value": "u2"}]
        });
        for (input, expected) in [
            (r#"displayName eq "sales emea""#, true),
            (r#"members[value eq "u2"]"#, true),
            (r#"members[value eq "U2"]"#, true),
            (r#"members.value eq "u3""#, false),
            (r#"members eq "u1""#, true),
        ] {
            assert_eq!(parse(input).matches(&group, schema), expected, "{input}");
        }
    }

    #[test]
    fn arbitrary_input_never_panics() {
        // Deterministic xorshift generator over an alphabet of grammar characters,
        // keywords and multi-byte UTF-8, so slicing and recursion bugs surface.
        let alphabet: &[&str] = &[
            " ", "(", ")", "[", "]", "\"", "\\", ".", ":", "urn:", "eq", "and", "or", "not", "pr",
            "gt", "emails", "type", "value", "userName", "1", "-", "e", "€", "é", r"\u00e9",
            "true", "null", "$ref",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let schema = SchemaRegistry::global().user();
        let resource = user();
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let input: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if let Ok(filter) = parse_filter(&input) {
                let _ = filter.validate(schema);
                let _ = filter.matches(&resource, schema);
                let _ = parse_filter(&filter.to_string());
            }
            let _ = crate::scim::path::parse_path(&input);
            let _ = AttrPath::parse(&input);
        }
    }
}
