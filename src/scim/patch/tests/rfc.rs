//! RFC 7644 section 3.5.2 semantics: add, replace and remove, `primary`, filters,
//! mutability, atomicity, typed values, and invariants over random operation sequences.

use super::*;

// ---- RFC semantics ----

#[test]
fn add_semantics() {
    // complex: merge
    let after = ok(patch_user(
        user(),
        ops(json!([{"op": "add", "path": "name", "value": {"givenName": "J"}}])),
    ));
    assert_eq!(
        after["name"],
        json!({"givenName": "J", "familyName": "Doe"})
    );
    // multi-valued: append, no duplicate of an equal value (case-insensitive email)
    let after = ok(patch_user(
        user(),
        ops(
            json!([{"op": "add", "path": "emails", "value": [{"value": "JANE@example.com", "type": "work"}, {"value": "j@home", "type": "home"}]}]),
        ),
    ));
    assert_eq!(
        after["emails"],
        json!([{"value": "JANE@example.com", "type": "work", "primary": true}, {"value": "j@home", "type": "home"}])
    );
    // add [] adds nothing
    let after = ok(patch_user(
        user(),
        ops(json!([{"op": "add", "path": "emails", "value": []}])),
    ));
    assert_eq!(after, user());
    // single object for a multi-valued attribute
    let after = ok(patch_user(
        user(),
        ops(
            json!([{"op": "add", "path": "phoneNumbers", "value": {"value": "+1 555", "type": "work"}}]),
        ),
    ));
    assert_eq!(
        after["phoneNumbers"],
        json!([{"value": "+1 555", "type": "work"}])
    );
}

#[test]
fn primary_true_moves_from_the_other_values() {
    let mut before = user();
    before["emails"] = json!([
        {"value": "a@x", "type": "work", "primary": true},
        {"value": "b@x", "type": "home"}
    ]);
    let after = ok(patch_user(
        before.clone(),
        ops(json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}])),
    ));
    assert_eq!(
        after["emails"],
        json!([{"value": "a@x", "type": "work", "primary": false}, {"value": "b@x", "type": "home", "primary": true}])
    );
    let after = ok(patch_user(
        before,
        ops(
            json!([{"op": "add", "path": "emails", "value": {"value": "c@x", "type": "other", "primary": "True"}}]),
        ),
    ));
    assert_eq!(
        after["emails"],
        json!([
            {"value": "a@x", "type": "work", "primary": false},
            {"value": "b@x", "type": "home"},
            {"value": "c@x", "type": "other", "primary": true}
        ])
    );
}

#[test]
fn filtered_replace_and_remove() {
    let mut before = user();
    before["emails"] = json!([
        {"value": "a@x", "type": "work", "primary": true},
        {"value": "b@x", "type": "home"}
    ]);
    // replace a whole matching value, keeping the filter's type
    let after = ok(patch_user(
        before.clone(),
        ops(
            json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "c@x"}}]),
        ),
    ));
    assert_eq!(after["emails"][1], json!({"type": "home", "value": "c@x"}));
    // remove a sub-attribute of matching values
    let after = ok(patch_user(
        before.clone(),
        ops(json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}])),
    ));
    assert_eq!(after["emails"][0], json!({"value": "a@x", "type": "work"}));
    // removing `value` of a value removes the value itself
    let after = ok(patch_user(
        before.clone(),
        ops(json!([{"op": "remove", "path": "emails[type eq \"home\"].value"}])),
    ));
    assert_eq!(
        after["emails"],
        json!([{"value": "a@x", "type": "work", "primary": true}])
    );
    // remove of a sub-attribute on every value
    let after = ok(patch_user(
        before.clone(),
        ops(json!([{"op": "remove", "path": "emails.type"}])),
    ));
    assert_eq!(
        after["emails"],
        json!([{"value": "a@x", "primary": true}, {"value": "b@x"}])
    );
    // remove with no match is a no-op
    let after = ok(patch_user(
        before.clone(),
        ops(json!([{"op": "remove", "path": "emails[type eq \"other\"]"}])),
    ));
    assert_eq!(after, before);
    // remove the whole attribute
    let after = ok(patch_user(
        before,
        ops(json!([{"op": "remove", "path": "emails"}])),
    ));
    assert!(after.get("emails").is_none());
}

#[test]
fn mutability_and_path_errors() {
    let cases = [
        (
            json!([{"op": "replace", "path": "id", "value": "other"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "remove", "path": "id"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "add", "path": "groups", "value": [{"value": "g9"}]}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "roles[value eq \"2\"].display", "value": "Admin"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "manager.displayName", "value": "X"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "meta.created", "value": "2026-01-01T00:00:00Z"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "add", "path": "favouriteColour", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "title[value eq \"x\"]", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "emails[foo eq \"x\"]", "value": {"value": "x"}}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "emails[type eq \"work\"].foo", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "remove", "path": "userName"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": ""}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "path": "title", "value": {"a": 1}}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "path": "title", "value": ["a", "b"]}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "path": "type", "value": "two"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "path": "createdAt", "value": "2026-01-01T00:00:00Z"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "lastLoginTime", "value": "yesterday"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "value": "not an object"}]),
            ScimType::InvalidValue,
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            err_type(patch_user(user(), ops(body.clone()))),
            Some(expected),
            "{body}"
        );
    }
    // Immutable members.value cannot change once set.
    assert_eq!(
        err_type(patch_group(
            group(),
            ops(
                json!([{"op": "replace", "path": "members[value eq \"u2\"].value", "value": "u3"}])
            )
        )),
        Some(ScimType::Mutability)
    );
    // Same readOnly values are accepted silently.
    assert_eq!(
        ok(patch_user(
            user(),
            ops(json!([{"op": "replace", "path": "id", "value": "u1"}]))
        )),
        user()
    );
    assert_eq!(
        err_type(patch_group(
            group(),
            ops(json!([{"op": "remove", "path": "displayName"}]))
        )),
        Some(ScimType::InvalidValue)
    );
}

#[test]
fn atomic_on_error() {
    let mut resource = user();
    let request = PatchRequest::parse(&ops(json!([
        {"op": "replace", "path": "title", "value": "first"},
        {"op": "replace", "path": "department", "value": "changed"},
        {"op": "replace", "path": "id", "value": "boom"}
    ])));
    let result = request.and_then(|r| r.apply(&mut resource, SchemaRegistry::global().user()));
    assert!(result.is_err());
    assert_eq!(resource, user());
}

#[test]
fn typed_coercion() {
    let after = ok(patch_user(
        json!({"schemas": [urn::USER], "id": "u1", "userName": "a@x"}),
        ops(json!([
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:type", "value": "2"},
            {"op": "add", "path": "zoomPhoneFeature", "value": "true"},
            {"op": "add", "path": "callingPlans", "value": [200, "300"]},
            {"op": "add", "path": "zoomPhoneNumbers", "value": "+14155550100"},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:zoom:1.0:User:zoomPhoneExtNumber", "value": "1001"}
        ])),
    ));
    assert_eq!(
        after,
        json!({
            "schemas": [urn::USER, urn::ZOOM_USER, urn::ZOOM_NATIVE_USER],
            "id": "u1",
            "userName": "a@x",
            urn::ZOOM_USER: {"type": 2, "zoomPhoneFeature": true, "callingPlans": [200, 300], "zoomPhoneNumbers": ["+14155550100"]},
            urn::ZOOM_NATIVE_USER: {"zoomPhoneExtNumber": "1001"}
        })
    );
    // Removing the last extension attribute drops the extension and its URN.
    let after = ok(patch_user(
        after,
        ops(
            json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:zoom:1.0:User:zoomPhoneExtNumber"}]),
        ),
    ));
    assert_eq!(after["schemas"], json!([urn::USER, urn::ZOOM_USER]));
    assert!(after.get(urn::ZOOM_NATIVE_USER).is_none());
}

#[test]
fn random_operation_sequences_keep_invariants() {
    let paths = [
        "title",
        "active",
        "emails",
        "emails[type eq \"work\"]",
        "emails[type eq \"home\"].value",
        "emails.primary",
        "emails[value co \"x\"].primary",
        "name",
        "name.givenName",
        "manager",
        "manager.value",
        "department",
        "roles",
        "roles[value eq \"2\"].primary",
        "userName",
        "id",
        "groups",
        "callingPlans",
        "urn:ietf:params:scim:schemas:extension:zoom:1.0:User:zoomPhoneSite",
        "nickName",
        "meta.version",
    ];
    let values = [
        json!("x"),
        json!(""),
        json!(null),
        json!(true),
        json!("False"),
        json!(3),
        json!([]),
        json!({"value": "a@x", "type": "home", "primary": true}),
        json!([{"value": "b@x", "type": "work", "primary": "true"}, {"value": "c@x", "primary": true}]),
        json!({"givenName": "G", "value": "v"}),
        json!(["200", 300]),
        json!([{"value": "m9"}]),
    ];
    let kinds = ["add", "replace", "remove", "Add", "Replace"];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let schema = SchemaRegistry::global().user();
    let mut resource = user();
    let mut applied = 0;
    for _ in 0..3_000 {
        let mut op = json!({"op": kinds[next(kinds.len())]});
        if next(6) > 0 {
            op["path"] = json!(paths[next(paths.len())]);
        }
        if next(5) > 0 {
            op["value"] = values[next(values.len())].clone();
        }
        let before = resource.clone();
        let result = PatchRequest::parse(&ops(json!([op.clone()])))
            .and_then(|p| p.apply(&mut resource, schema));
        match result {
            Err(e) => {
                assert_eq!(e.status, 400, "{op}: {e}");
                assert_eq!(resource, before, "{op}: failed PATCH changed the resource");
            }
            Ok(()) => {
                applied += 1;
                for attr in ["emails", "roles"] {
                    let primaries = resource[attr]
                        .as_array()
                        .map(|a| a.iter().filter(|e| e["primary"] == json!(true)).count())
                        .unwrap_or(0);
                    assert!(primaries <= 1, "{op}: {}", resource[attr]);
                    if let Some(items) = resource[attr].as_array() {
                        assert!(!items.is_empty(), "{op}: empty array kept");
                        assert!(
                            items.iter().all(|e| e.get("value").is_some()),
                            "{op}: {}",
                            resource[attr]
                        );
                    }
                }
                let expected: Vec<Value> = schema
                    .schema_urns_for(&resource)
                    .into_iter()
                    .map(Value::from)
                    .collect();
                assert_eq!(resource["schemas"], Value::Array(expected), "{op}");
                assert_eq!(resource["id"], "u1");
                assert!(resource["userName"].is_string(), "{op}");
            }
        }
    }
    assert!(applied > 500, "only {applied} operations succeeded");
}

#[test]
fn a_bare_extension_urn_path_targets_the_extension_attributes() {
    let added = ok(patch_user(
        user(),
        ops(json!([{"op": "add", "path": ENT, "value": {"costCenter": "42"}}])),
    ));
    assert_eq!(added[ENT]["costCenter"], "42");
    assert_eq!(added[ENT]["department"], "Sales", "add keeps the others");

    let replaced = ok(patch_user(
        user(),
        ops(json!([{"op": "replace", "path": ENT, "value": {"costCenter": "7"}}])),
    ));
    assert_eq!(replaced[ENT]["costCenter"], "7");
    assert!(
        replaced[ENT].get("department").is_none(),
        "replace clears the rest"
    );

    let removed = ok(patch_user(
        user(),
        ops(json!([{"op": "remove", "path": ENT}])),
    ));
    assert!(
        removed
            .get(ENT)
            .is_none_or(|e| e.get("department").is_none()),
        "{removed}"
    );
}
