//! List/search queries (RFC 7644 sections 3.4.2 and 3.4.3): filter, paging,
//! attribute selection and sorting parameters, from a query string or a SearchRequest.

use serde_json::Value;

use super::error::{ScimError, clip};
use super::filter::{Filter, canonical_path, parse_filter};
use super::model::urn;
use super::path::attr::AttrPath;
use super::projection::AttributeSelection;
use super::schema::ResourceSchema;
use super::value::get_ci;

/// The server's paging limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PagingLimits {
    /// The most resources one answer carries, when the operator sets one: a request
    /// without `count` gets this many and a larger `count` is clamped to it (RFC 7644
    /// section 3.4.2.4). `None`: every `count` is honoured and a request without one
    /// gets every matching resource.
    pub cap: Option<usize>,
}

/// A parsed, validated list query.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// The filter, validated against the resource type's schema and canonicalised
    /// ([`Filter::canonicalize`]).
    pub filter: Option<Filter>,
    /// 1-based index of the first result.
    pub start_index: usize,
    /// Page size: `None` asks for every matching resource (no `count` and no cap);
    /// `Some(0)` means "totals only" (RFC 7644 section 3.4.2.4).
    pub count: Option<usize>,
    /// `attributes` / `excludedAttributes`.
    pub selection: AttributeSelection,
    /// `sortBy`, parsed and canonicalised only (sorting is not supported; the caller
    /// answers accordingly).
    pub sort_by: Option<AttrPath>,
    /// `sortOrder=descending`.
    pub sort_descending: bool,
}

#[derive(Default)]
struct RawQuery<'a> {
    filter: Option<&'a str>,
    start_index: Option<RawInt<'a>>,
    count: Option<RawInt<'a>>,
    attributes: Vec<String>,
    excluded: Vec<String>,
    sort_by: Option<&'a str>,
    sort_order: Option<&'a str>,
}

#[derive(Clone, Copy)]
enum RawInt<'a> {
    Text(&'a str),
    Json(&'a Value),
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

impl ListQuery {
    /// The most resources this query's answer holds (`usize::MAX` without a count).
    pub fn page_len(&self) -> usize {
        self.count.unwrap_or(usize::MAX)
    }

    /// From query parameters. Names are case-insensitive, unknown parameters are ignored
    /// (Entra appends `aadOptscim062020`), and a repeated parameter takes its last value.
    pub fn from_params(
        params: &[(String, String)],
        schema: &ResourceSchema,
        limits: PagingLimits,
    ) -> Result<Self, ScimError> {
        let mut raw = RawQuery::default();
        for (name, value) in params {
            match name.to_ascii_lowercase().as_str() {
                "filter" => raw.filter = Some(value),
                "startindex" => raw.start_index = Some(RawInt::Text(value)),
                "count" => raw.count = Some(RawInt::Text(value)),
                "attributes" => raw.attributes = split_list(value),
                "excludedattributes" => raw.excluded = split_list(value),
                "sortby" => raw.sort_by = Some(value),
                "sortorder" => raw.sort_order = Some(value),
                _ => {}
            }
        }
        Self::build(raw, schema, limits)
    }

    /// From a SearchRequest body (RFC 7644 section 3.4.3). `schemas`, when present, must
    /// contain the SearchRequest URN; `attributes`/`excludedAttributes` are arrays (a
    /// comma-separated string is tolerated); unknown members are ignored.
    pub fn from_search_request(
        body: &Value,
        schema: &ResourceSchema,
        limits: PagingLimits,
    ) -> Result<Self, ScimError> {
        if !body.is_object() {
            return Err(ScimError::invalid_syntax(
                "SearchRequest body must be a JSON object",
            ));
        }
        if let Some(schemas) = get_ci(body, "schemas") {
            let ok = schemas.as_array().is_some_and(|items| {
                items.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(urn::SEARCH_REQUEST))
                })
            });
            if !ok {
                return Err(ScimError::invalid_syntax(format!(
                    "'schemas' must contain \"{}\"",
                    urn::SEARCH_REQUEST
                )));
            }
        }
        let text = |name: &str| -> Result<Option<&str>, ScimError> {
            match get_ci(body, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(ScimError::invalid_syntax(format!(
                    "'{name}' must be a string"
                ))),
            }
        };
        let list = |name: &str| -> Result<Vec<String>, ScimError> {
            match get_ci(body, name) {
                None | Some(Value::Null) => Ok(vec![]),
                Some(Value::String(s)) => Ok(split_list(s)),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_string).ok_or_else(|| {
                            ScimError::invalid_syntax(format!("'{name}' must contain strings"))
                        })
                    })
                    .collect(),
                Some(_) => Err(ScimError::invalid_syntax(format!(
                    "'{name}' must be an array of strings"
                ))),
            }
        };
        let raw = RawQuery {
            filter: text("filter")?,
            start_index: get_ci(body, "startIndex")
                .filter(|v| !v.is_null())
                .map(RawInt::Json),
            count: get_ci(body, "count")
                .filter(|v| !v.is_null())
                .map(RawInt::Json),
            attributes: list("attributes")?,
            excluded: list("excludedAttributes")?,
            sort_by: text("sortBy")?,
            sort_order: text("sortOrder")?,
        };
        Self::build(raw, schema, limits)
    }

    fn build(
        raw: RawQuery<'_>,
        schema: &ResourceSchema,
        limits: PagingLimits,
    ) -> Result<Self, ScimError> {
        let filter = match raw.filter.map(str::trim).filter(|f| !f.is_empty()) {
            Some(text) => {
                let filter = parse_filter(text)?;
                filter.validate(schema)?;
                Some(filter.canonicalize(schema))
            }
            None => None,
        };
        // RFC 7644 section 3.4.2.4: "A value less than 1 SHALL be interpreted as 1."
        let start_index = match raw.start_index {
            Some(v) => {
                let n = parse_int("startIndex", v)?;
                usize::try_from(n.max(1)).unwrap_or(usize::MAX)
            }
            None => 1,
        };
        // "A negative value SHALL be interpreted as 0"; above the operator's cap it is
        // clamped to the cap.
        let count = match raw.count {
            Some(v) => {
                let n = parse_int("count", v)?;
                let n = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
                Some(limits.cap.map_or(n, |cap| n.min(cap)))
            }
            None => limits.cap,
        };
        let selection = AttributeSelection::from_lists(&raw.attributes, &raw.excluded, schema)?;
        let sort_by = match raw.sort_by.map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) => Some(
                AttrPath::parse(text)
                    .map(|p| canonical_path(schema, &p))
                    .ok_or_else(|| {
                        ScimError::invalid_value(format!(
                            "sortBy '{}' is not an attribute path",
                            clip(text)
                        ))
                    })?,
            ),
            None => None,
        };
        let sort_descending = match raw.sort_order.map(str::trim) {
            None | Some("") => false,
            Some(o) if o.eq_ignore_ascii_case("ascending") => false,
            Some(o) if o.eq_ignore_ascii_case("descending") => true,
            Some(o) => {
                return Err(ScimError::invalid_value(format!(
                    "sortOrder must be 'ascending' or 'descending', not '{}'",
                    clip(o)
                )));
            }
        };
        Ok(ListQuery {
            filter,
            start_index,
            count,
            selection,
            sort_by,
            sort_descending,
        })
    }
}

/// A paging integer: any value outside the signed 64-bit range is rejected with a clear
/// message rather than wrapped or saturated silently.
fn parse_int(name: &str, raw: RawInt<'_>) -> Result<i64, ScimError> {
    let out_of_range = || {
        ScimError::invalid_value(format!(
            "{name} is out of range (must be between {} and {})",
            i64::MIN,
            i64::MAX
        ))
    };
    let not_integer = |shown: &str| {
        ScimError::invalid_value(format!("{name} must be an integer, got '{}'", clip(shown)))
    };
    match raw {
        RawInt::Text(text) => {
            let t = text.trim();
            t.parse::<i64>().map_err(|_| {
                let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    out_of_range()
                } else {
                    not_integer(&t.chars().take(40).collect::<String>())
                }
            })
        }
        RawInt::Json(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n.is_u64() {
                Err(out_of_range())
            } else {
                match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Ok(f as i64),
                    Some(f) if f.fract() == 0.0 => Err(out_of_range()),
                    _ => Err(not_integer(&n.to_string())),
                }
            }
        }
        RawInt::Json(Value::String(s)) => parse_int(name, RawInt::Text(s)),
        RawInt::Json(other) => Err(not_integer(&other.to_string())),
    }
}

/// The page of `items` starting at the 1-based `start_index` with at most `count`
/// items; empty past the end. Never overflows.
pub fn page<T>(items: &[T], start_index: usize, count: usize) -> &[T] {
    let start = start_index.saturating_sub(1).min(items.len());
    let end = start.saturating_add(count).min(items.len());
    &items[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::schema::SchemaRegistry;
    use serde_json::json;

    const LIMITS: PagingLimits = PagingLimits { cap: None };

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn query(pairs: &[(&str, &str)]) -> Result<ListQuery, ScimError> {
        ListQuery::from_params(&params(pairs), SchemaRegistry::global().user(), LIMITS)
    }

    #[test]
    fn paging_rules_of_rfc_7644_3_4_2_4() {
        type Case<'a> = (&'a [(&'a str, &'a str)], usize, Option<usize>);
        let cases: &[Case] = &[
            (&[], 1, None),
            (&[("startIndex", "1"), ("count", "100")], 1, Some(100)),
            (&[("startIndex", "0")], 1, None),
            (&[("startIndex", "-5")], 1, None),
            (&[("STARTINDEX", "11"), ("Count", "5")], 11, Some(5)),
            (&[("count", "-1")], 1, Some(0)),
            (&[("count", "0")], 1, Some(0)),
            (&[("count", "5000")], 1, Some(5000)),
            (&[("count", " 25 ")], 1, Some(25)),
            (
                &[("count", "9223372036854775807")],
                1,
                Some(9223372036854775807),
            ),
            (
                &[("startIndex", "9223372036854775807")],
                9223372036854775807,
                None,
            ),
            (
                &[("aadOptscim062020", ""), ("count", "2"), ("count", "3")],
                1,
                Some(3),
            ),
        ];
        for (input, start, count) in cases {
            let q = query(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!((q.start_index, q.count), (*start, *count), "{input:?}");
        }
    }

    #[test]
    fn an_operators_cap_is_the_default_and_the_maximum() {
        let capped = PagingLimits { cap: Some(100) };
        let schema = SchemaRegistry::global().user();
        let count = |pairs: &[(&str, &str)]| {
            ListQuery::from_params(&params(pairs), schema, capped)
                .map(|q| q.count)
                .unwrap_or_else(|e| panic!("{pairs:?}: {e}"))
        };
        assert_eq!(count(&[]), Some(100));
        assert_eq!(count(&[("count", "5000")]), Some(100));
        assert_eq!(count(&[("count", "7")]), Some(7));
        assert_eq!(count(&[("count", "0")]), Some(0));
    }

    #[test]
    fn bad_integers_are_400_invalid_value() {
        for (name, value) in [
            ("count", "ten"),
            ("count", "1.5"),
            ("count", ""),
            ("startIndex", "1e3"),
            ("startIndex", "1000000000000000000000000000000"),
            ("count", "-1000000000000000000000000000000"),
        ] {
            let err = query(&[(name, value)]).err();
            assert_eq!(
                err.as_ref().map(|e| (e.status, e.scim_type)),
                Some((400, Some(ScimType::InvalidValue))),
                "{name}={value}"
            );
            assert!(err.is_some_and(|e| e.detail.contains(name)));
        }
        let detail = query(&[("startIndex", "1000000000000000000000000000000")])
            .err()
            .map(|e| e.detail)
            .unwrap_or_default();
        assert!(detail.contains("out of range"), "{detail}");
    }

    #[test]
    fn filter_selection_and_sorting() {
        let q = query(&[
            ("filter", "userName eq \"a@x\""),
            ("attributes", "userName,emails"),
            ("sortBy", "NAME.familyname"),
            ("sortOrder", "Descending"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            q.filter.map(|f| f.to_string()),
            Some(r#"userName eq "a@x""#.to_string())
        );
        let lower = query(&[("FILTER", "username eq \"b@x\"")])
            .ok()
            .and_then(|q| q.filter);
        assert_eq!(
            lower.map(|f| f.to_string()),
            Some(r#"userName eq "b@x""#.to_string())
        );
        assert!(q.selection.wants("emails") && !q.selection.wants("groups"));
        assert_eq!(q.sort_by, AttrPath::parse("name.familyName"));
        assert!(q.sort_descending);
        assert_eq!(
            query(&[("filter", "  ")]).ok().map(|q| q.filter),
            Some(None)
        );
        let kinds = |pairs: &[(&str, &str)]| query(pairs).err().and_then(|e| e.scim_type);
        assert_eq!(
            kinds(&[("filter", "userName eq")]),
            Some(ScimType::InvalidFilter)
        );
        assert_eq!(
            kinds(&[("filter", "nickName eq \"x\"")]),
            Some(ScimType::InvalidFilter)
        );
        assert_eq!(kinds(&[("sortOrder", "up")]), Some(ScimType::InvalidValue));
        assert_eq!(kinds(&[("sortBy", "a b")]), Some(ScimType::InvalidValue));
        assert_eq!(
            kinds(&[("attributes", "userName"), ("excludedAttributes", "emails")]),
            Some(ScimType::InvalidSyntax)
        );
    }

    #[test]
    fn search_request_body() {
        let schema = SchemaRegistry::global().user();
        let q = ListQuery::from_search_request(
            &json!({
                "schemas": [urn::SEARCH_REQUEST],
                "attributes": ["displayName", "userName"],
                "filter": "displayName sw \"smith\"",
                "startIndex": 1,
                "count": 10,
                "sortOrder": "ascending"
            }),
            schema,
            LIMITS,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((q.start_index, q.count), (1, Some(10)));
        assert!(q.selection.wants("displayName") && !q.selection.wants("emails"));
        assert!(!q.sort_descending);
        let ok = |body: Value| ListQuery::from_search_request(&body, schema, LIMITS);
        assert_eq!(
            ok(json!({"count": 2.0})).ok().and_then(|q| q.count),
            Some(2)
        );
        assert_eq!(
            ok(json!({"count": "3"})).ok().and_then(|q| q.count),
            Some(3)
        );
        assert_eq!(
            ok(json!({"excludedAttributes": "emails"}))
                .ok()
                .map(|q| q.selection.wants("emails")),
            Some(false)
        );
        let kind = |body: Value| ok(body).err().and_then(|e| e.scim_type);
        assert_eq!(kind(json!([])), Some(ScimType::InvalidSyntax));
        assert_eq!(
            kind(json!({"schemas": [urn::PATCH_OP]})),
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(kind(json!({"count": 1e30})), Some(ScimType::InvalidValue));
        assert_eq!(
            kind(json!({"count": 18446744073709551615u64})),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(json!({"startIndex": 1.5})),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(json!({"startIndex": true})),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(kind(json!({"filter": 5})), Some(ScimType::InvalidSyntax));
        assert_eq!(
            kind(json!({"attributes": [1]})),
            Some(ScimType::InvalidSyntax)
        );
    }

    #[test]
    fn page_slices_without_overflow() {
        let items: Vec<u32> = (1..=12).collect();
        assert_eq!(page(&items, 1, 5), &[1, 2, 3, 4, 5]);
        assert_eq!(page(&items, 11, 5), &[11, 12]);
        assert_eq!(page(&items, 13, 5), &[] as &[u32]);
        assert_eq!(page(&items, 6, 0), &[] as &[u32]);
        assert_eq!(page(&items, usize::MAX, usize::MAX), &[] as &[u32]);
        assert_eq!(page(&items, 1, usize::MAX).len(), 12);
        assert_eq!(page(&items, 0, 2), &[1, 2]);
    }
}
