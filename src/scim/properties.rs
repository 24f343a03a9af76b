//! Property tests of the protocol core (bounded case counts, so they run in every
//! `cargo test`): filters in the RFC 7644 section 3.4.2.2 grammar parse and print back
//! to the same tree; any PATCH applied to a user is a 400 or leaves a resource the
//! schema accepts; pages at any `startIndex`/`count` cover a list exactly once.

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};

use super::filter::parse_filter;
use super::model::urn;
use super::patch::PatchRequest;
use super::query::page;
use super::resource::normalize_input;
use super::schema::SchemaRegistry;

fn config(cases: u32) -> Config {
    Config {
        cases,
        // Failures are reported with their shrunk input; nothing is written beside
        // the sources.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------
// Filters

/// `text` with each ASCII letter's case chosen by `mask` (names and keywords are
/// case-insensitive, RFC 7643 section 2.1 and RFC 7644 section 3.4.2.2).
fn recase(text: &str, mask: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn cased(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    (prop::sample::select(words), any::<u64>()).prop_map(|(w, mask)| recase(w, mask))
}

/// Whitespace between tokens: one or more of space, tab, CR, LF.
fn gap() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(&[" ", " ", " ", "\t", "\n", "\r\n"]),
        1..3,
    )
    .prop_map(|parts| parts.concat())
}

/// An attribute name: ones the schemas publish, and any `ATTRNAME` (RFC 7644 section
/// 3.10), including the keywords used as names.
fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(&[
            "userName", "displayName", "title", "active", "emails", "roles", "name",
            "members", "meta", "id", "groups", "pmi", "type", "value", "primary",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        1 => cased(&["not", "and", "or", "pr", "eq", "true", "null"]),
    ]
}

/// `attrPath`: a name, `name.sub`, or URN-qualified (RFC 7644 section 3.10).
fn attr_path() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => attr_name(),
        2 => (attr_name(), attr_name()).prop_map(|(a, s)| format!("{a}.{s}")),
        1 => (
            prop::sample::select(&[urn::USER, urn::ENTERPRISE_USER, urn::ZOOM_USER, "urn:x:y"]),
            attr_name(),
            proptest::option::of(attr_name()),
        )
            .prop_map(|(u, a, s)| match s {
                Some(s) => format!("{u}:{a}.{s}"),
                None => format!("{u}:{a}"),
            }),
    ]
}

/// `compValue`: JSON strings (any text, escaped as JSON escapes it, or with `\u`
/// escapes), numbers, `true`/`false`/`null` in any case, and the bare words clients send.
fn comp_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>().prop_map(|s| Value::from(s).to_string()),
        1 => "[ -~]{0,6}".prop_map(|s| {
            let escaped: String = s.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
            format!("\"{escaped}\"")
        }),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_flat_map(|f| prop::sample::select(vec![
                format!("{f}"),
                format!("{f:e}"),
                format!("{f:E}"),
                format!("{f:.3}"),
            ])),
        1 => cased(&["true", "false", "null"]),
        1 => "[a-zA-Z0-9@_-][a-zA-Z0-9@._-]{0,10}",
    ]
}

fn comparison() -> impl Strategy<Value = String> {
    let op = cased(&["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]);
    prop_oneof![
        4 => (attr_path(), gap(), op, gap(), comp_value())
            .prop_map(|(p, g1, o, g2, v)| format!("{p}{g1}{o}{g2}{v}")),
        1 => (attr_path(), gap(), cased(&["pr"])).prop_map(|(p, g, pr)| format!("{p}{g}{pr}")),
    ]
}

/// A filter without value paths (what `attr[...]` may hold).
fn inner_filter() -> impl Strategy<Value = String> {
    comparison().prop_recursive(3, 12, 2, |e| {
        let and = cased(&["and"]);
        let or = cased(&["or"]);
        prop_oneof![
            (e.clone(), gap(), and, gap(), e.clone())
                .prop_map(|(a, g1, k, g2, b)| format!("{a}{g1}{k}{g2}{b}")),
            (e.clone(), gap(), or, gap(), e.clone())
                .prop_map(|(a, g1, k, g2, b)| format!("{a}{g1}{k}{g2}{b}")),
            (cased(&["not"]), prop::sample::select(&["", " "]), e.clone())
                .prop_map(|(n, g, a)| format!("{n}{g}({a})")),
            e.prop_map(|a| format!("({a})")),
        ]
    })
}

/// A filter in the RFC 7644 section 3.4.2.2 grammar, with value paths (and Entra's
/// `attr[filter].sub op value` form).
fn filter_text() -> impl Strategy<Value = String> {
    let value_path = prop_oneof![
        (attr_name(), inner_filter()).prop_map(|(a, f)| format!("{a}[{f}]")),
        (attr_name(), inner_filter(), attr_name(), comp_value())
            .prop_map(|(a, f, s, v)| format!("{a}[{f}].{s} eq {v}")),
    ];
    prop_oneof![3 => comparison(), 1 => value_path].prop_recursive(3, 16, 2, |e| {
        let and = cased(&["and"]);
        let or = cased(&["or"]);
        prop_oneof![
            (e.clone(), gap(), and, gap(), e.clone())
                .prop_map(|(a, g1, k, g2, b)| format!("{a}{g1}{k}{g2}{b}")),
            (e.clone(), gap(), or, gap(), e.clone())
                .prop_map(|(a, g1, k, g2, b)| format!("{a}{g1}{k}{g2}{b}")),
            (cased(&["not"]), e.clone()).prop_map(|(n, a)| format!("{n} ({a})")),
            e.prop_map(|a| format!("({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(config(512))]

    /// Any filter in the grammar parses, and prints to a filter that parses to the
    /// same tree (the printed form is what logs and cursors show).
    #[test]
    fn filters_print_back_to_the_same_tree(text in filter_text()) {
        let filter = parse_filter(&text)
            .map_err(|e| TestCaseError::fail(format!("{text:?} does not parse: {e}")))?;
        let printed = filter.to_string();
        let again = parse_filter(&printed)
            .map_err(|e| TestCaseError::fail(format!("{text:?} printed as {printed:?}: {e}")))?;
        prop_assert_eq!(&again, &filter, "{:?} printed as {:?}", text, printed);
        // Printing is a fixed point after one round.
        prop_assert_eq!(again.to_string(), printed);
    }
}

// ---------------------------------------------------------------------------------
// PATCH

/// A user as the service shows it: core, enterprise and Zoom extension attributes,
/// read-only ones included (`id`, `groups`, `meta`, Zoom's `status`).
fn user() -> Value {
    json!({
        "schemas": [urn::USER, urn::ENTERPRISE_USER, urn::ZOOM_USER],
        "id": "u1",
        "userName": "jane@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "displayName": "Jane Doe",
        "title": "Engineer",
        "active": true,
        "timezone": "Europe/Berlin",
        "emails": [{"value": "jane@example.com", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "+1 800 555 0100", "type": "mobile"}],
        "userType": "Licensed",
        "roles": [{"value": "2", "display": "Member", "primary": true}],
        "groups": [{"value": "g1", "display": "Sales", "$ref": "https://h/scim/v2/Groups/g1"}],
        urn::ENTERPRISE_USER: {
            "department": "Sales",
            "manager": {"value": "m1", "$ref": "https://h/scim/v2/Users/m1", "displayName": "Boss"}
        },
        urn::ZOOM_USER: {"status": "active", "type": 2, "pmi": 4440405982i64, "location": "Berlin",
                         "groupIds": ["g1"], "zoomPhoneFeature": false},
        "meta": {"resourceType": "User", "created": "2026-01-01T00:00:00Z",
                 "location": "https://h/scim/v2/Users/u1"}
    })
}

/// PATCH targets: every attribute and sub-attribute the User schema publishes (plain,
/// qualified and as value paths), read-only and write-only ones, unknown ones and
/// other resources' attributes.
fn patch_path() -> impl Strategy<Value = Option<String>> {
    let schema = SchemaRegistry::global().user();
    let mut known: Vec<String> = schema.walk().into_iter().map(|(path, _)| path).collect();
    known.extend(
        [
            "emails[type eq \"work\"]",
            "emails[type eq \"work\"].value",
            "emails[primary eq true].type",
            "phoneNumbers[type eq \"mobile\"].value",
            "roles[value eq \"2\"]",
            "roles[primary eq true].display",
            "emails[value co \"@\" and not (type eq \"home\")]",
            "groups[value eq \"g1\"]",
            "members",
            "externalId",
            "nickName",
            "name.middleName",
            "emails.display",
            "favouriteColour",
            "meta.created",
            "urn:ietf:params:scim:schemas:extension:zoom:1.0:User:zoomPhoneExtNumber",
            urn::ENTERPRISE_USER,
            urn::ZOOM_USER,
        ]
        .map(str::to_owned),
    );
    proptest::option::weighted(
        0.93,
        (prop::sample::select(known), any::<u64>(), any::<bool>())
            .prop_map(|(path, mask, recased)| if recased { recase(&path, mask) } else { path }),
    )
}

/// Values of every JSON type, shaped like the attributes' values often enough that
/// PATCHes get past type checks: strings (including booleans and numbers as strings),
/// numbers, booleans, `null`, multi-valued elements and complex objects.
fn patch_value() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        "[a-z]{1,6}@example\\.com".prop_map(Value::from),
        "[ -~]{0,8}".prop_map(Value::from),
        prop::sample::select(&["True", "false", "2", "200", "+14085550100", "work", ""])
            .prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        (-3i64..300).prop_map(Value::from),
        Just(Value::Null),
    ];
    let element = (
        proptest::option::of(scalar.clone()),
        proptest::option::of(prop::sample::select(&["work", "home", "mobile", "other"])),
        proptest::option::of(prop_oneof![
            any::<bool>().prop_map(Value::from),
            Just(Value::from("True"))
        ]),
        proptest::option::of(prop::sample::select(&["display", "givenName", "$ref", "x"])),
    )
        .prop_map(|(value, kind, primary, extra)| {
            let mut m = Map::new();
            if let Some(v) = value {
                m.insert("value".into(), v);
            }
            if let Some(k) = kind {
                m.insert("type".into(), k.into());
            }
            if let Some(p) = primary {
                m.insert("primary".into(), p);
            }
            if let Some(x) = extra {
                m.insert(x.into(), "x".into());
            }
            Value::Object(m)
        });
    let leaf = prop_oneof![
        4 => scalar,
        2 => element.clone(),
        2 => prop::collection::vec(element, 0..4).prop_map(Value::Array),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(&[
                        "userName",
                        "name",
                        "givenName",
                        "displayName",
                        "emails",
                        "active",
                        "department",
                        "manager",
                        "value",
                        "type",
                        "zoomPhoneFeature",
                        "id",
                        urn::ENTERPRISE_USER,
                        urn::ZOOM_USER,
                        "name.familyName",
                        "x",
                    ]),
                    inner,
                ),
                0..4,
            )
            .prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn patch_body() -> impl Strategy<Value = Value> {
    let operation = (
        cased(&["add", "replace", "remove"]),
        patch_path(),
        proptest::option::weighted(0.97, patch_value()),
    )
        .prop_map(|(op, path, value)| {
            let mut m = Map::new();
            m.insert("op".into(), op.into());
            if let Some(p) = path {
                m.insert("path".into(), p.into());
            }
            if let Some(v) = value {
                m.insert("value".into(), v);
            }
            Value::Object(m)
        });
    prop::collection::vec(operation, 1..3)
        .prop_map(|ops| json!({"schemas": [urn::PATCH_OP], "Operations": ops}))
}

proptest! {
    #![proptest_config(config(768))]

    /// RFC 7644 section 3.5.2: a PATCH either fails as a whole with a 400 (nothing
    /// applied) or leaves a resource that the schema accepts as a full resource
    /// (types, required attributes, one primary) holding only published attributes.
    #[test]
    fn a_patch_is_a_400_or_a_resource_the_schema_accepts(body in patch_body()) {
        let schema = SchemaRegistry::global().user();
        let before = user();
        let mut resource = before.clone();
        let outcome = PatchRequest::parse(&body).and_then(|p| p.apply(&mut resource, schema));
        match outcome {
            Err(e) => {
                prop_assert_eq!(e.status, 400, "{} for {}", e, body);
                prop_assert!(e.scim_type.is_some(), "a 400 without scimType: {}", e);
                prop_assert_eq!(&resource, &before, "a refused PATCH changed the resource");
            }
            Ok(()) => {
                let normalized = normalize_input(&resource, schema).map_err(|e| {
                    TestCaseError::fail(format!("{e}\nresource: {resource}\nPATCH: {body}"))
                })?;
                prop_assert!(
                    normalized.ignored.is_empty(),
                    "unpublished attributes {:?} in {}\nPATCH: {}",
                    normalized.ignored, resource, body
                );
                let schemas = resource["schemas"].as_array().cloned().unwrap_or_default();
                prop_assert_eq!(
                    schemas, schema.schema_urns_for(&resource).into_iter().map(Value::from).collect::<Vec<_>>(),
                    "`schemas` does not name the resource's schemas: {}", resource
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Paging

proptest! {
    #![proptest_config(config(256))]

    /// RFC 7644 section 3.4.2.4: walking a list from any `startIndex` with page sizes
    /// that change on the way yields every item from there exactly once, in order, and
    /// any single page is the matching slice.
    #[test]
    fn pages_cover_the_list_exactly_once(
        len in 0usize..60,
        start in 0usize..70,
        counts in prop::collection::vec(1usize..25, 1..8),
    ) {
        let items: Vec<usize> = (0..len).collect();
        let mut seen = Vec::new();
        let mut index = start.max(1);
        for step in 0.. {
            let got = page(&items, index, counts[step % counts.len()]);
            if got.is_empty() {
                break;
            }
            seen.extend_from_slice(got);
            index += got.len();
        }
        let from = start.max(1) - 1;
        prop_assert_eq!(seen, items.get(from..).unwrap_or_default().to_vec());
        prop_assert!(page(&items, start, 0).is_empty());
        prop_assert!(page(&items, usize::MAX, usize::MAX).is_empty());
    }
}
