//! The request envelope and what Entra ID (both dialects), Okta and ConnId/midPoint send.

use super::*;

// ---- parsing ----

#[test]
fn parse_accepts_client_envelopes() {
    for body in [
        json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "x"}]}),
        json!({"Operations": [{"op": "Add", "path": "title", "value": "x"}]}),
        json!({"operations": [{"OP": "ADD", "Path": "title", "Value": "x"}]}),
        json!({"schemas": [urn::PATCH_OP], "id": "u1", "Operations": [{"op": "Replace", "value": {"title": "x"}}]}),
        json!({"Operations": [{"op": "remove", "path": "title"}]}),
        json!({"Operations": [{"op": "Remove", "path": "members", "value": [{"value": "u1"}]}]}),
    ] {
        assert!(PatchRequest::parse(&body).is_ok(), "{body}");
    }
    let parsed = PatchRequest::parse(
        &json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}),
    );
    assert_eq!(
        parsed.ok().map(|p| p.operations[0].op),
        Some(PatchOpKind::Replace)
    );
}

#[test]
fn large_multi_valued_changes_are_linear_and_bounded() {
    // 10,000 e-mails added to a user holding 10,000: a comparison of every pair
    // would be 10^8 and take seconds; filed by value it is instant.
    let held: Vec<Value> = (0..10_000)
        .map(|i| json!({"value": format!("held{i}@example.com"), "type": "work"}))
        .collect();
    let mut before = user();
    before["emails"] = Value::Array(held);
    let added: Vec<Value> = (0..9_990)
        .map(|i| json!({"value": format!("NEW{i}@example.com"), "type": "other"}))
        .chain((0..10).map(|i| json!({"value": format!("HELD{i}@EXAMPLE.COM")})))
        .collect();
    let started = std::time::Instant::now();
    let after = ok(patch_user(
        before.clone(),
        ops(json!([{"op": "add", "path": "emails", "value": added}])),
    ));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // The ten held addresses (other case) matched; the rest were added once.
    assert_eq!(after["emails"].as_array().unwrap().len(), 19_990);
    let removed: Vec<Value> = (0..5_000)
        .map(|i| json!({"value": format!("held{i}@example.com")}))
        .collect();
    let after = ok(patch_user(
        after,
        ops(json!([{"op": "remove", "path": "emails", "value": removed}])),
    ));
    assert_eq!(after["emails"].as_array().unwrap().len(), 14_990);

    // Beyond the bounds: 400 tooMany naming the limit.
    let too_many: Vec<Value> = (0..=MAX_VALUES)
        .map(|i| json!({"value": format!("x{i}@example.com")}))
        .collect();
    let err = PatchRequest::parse(&ops(
        json!([{"op": "add", "path": "emails", "value": too_many}]),
    ))
    .unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::TooMany));
    assert!(err.detail.contains("10000"), "{}", err.detail);
    let nested = json!([{"op": "add", "value": {"emails": (0..=MAX_VALUES).map(|i| json!({"value": i})).collect::<Vec<_>>()}}]);
    assert!(PatchRequest::parse(&ops(nested)).is_err());
    let many_ops: Vec<Value> = (0..=MAX_OPERATIONS)
        .map(|_| json!({"op": "replace", "path": "title", "value": "x"}))
        .collect();
    let err = PatchRequest::parse(&ops(Value::Array(many_ops))).unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::TooMany));
}

#[test]
fn parse_rejects_malformed_requests() {
    let cases = [
        (json!([]), ScimType::InvalidSyntax),
        (json!({}), ScimType::InvalidSyntax),
        (json!({"Operations": []}), ScimType::InvalidSyntax),
        (json!({"Operations": {}}), ScimType::InvalidSyntax),
        (json!({"Operations": [1]}), ScimType::InvalidSyntax),
        (
            json!({"Operations": [{"op": "move", "path": "title"}]}),
            ScimType::InvalidSyntax,
        ),
        (
            json!({"Operations": [{"path": "title", "value": 1}]}),
            ScimType::InvalidSyntax,
        ),
        (
            json!({"schemas": ["urn:other"], "Operations": [{"op": "add", "path": "title", "value": "x"}]}),
            ScimType::InvalidSyntax,
        ),
        (
            json!({"schemas": urn::PATCH_OP, "Operations": [{"op": "add", "path": "title", "value": "x"}]}),
            ScimType::InvalidSyntax,
        ),
        (
            json!({"Operations": [{"op": "add", "path": "title"}]}),
            ScimType::InvalidSyntax,
        ),
        (
            json!({"Operations": [{"op": "replace"}]}),
            ScimType::InvalidSyntax,
        ),
        (
            json!({"Operations": [{"op": "remove"}]}),
            ScimType::NoTarget,
        ),
        (
            json!({"Operations": [{"op": "add", "path": "emails[type eq", "value": 1}]}),
            ScimType::InvalidPath,
        ),
        (
            json!({"Operations": [{"op": "add", "path": 5, "value": 1}]}),
            ScimType::InvalidPath,
        ),
    ];
    for (body, expected) in cases {
        let got = PatchRequest::parse(&body).err().and_then(|e| e.scim_type);
        assert_eq!(got, Some(expected), "{body}");
    }
}

// ---- Entra ID, legacy dialect (no aadOptscim062020) ----

#[test]
fn entra_legacy_disable_with_string_boolean() {
    let after = ok(patch_user(
        user(),
        ops(json!([{"op": "Replace", "path": "active", "value": "False"}])),
    ));
    let mut expected = user();
    expected["active"] = json!(false);
    assert_eq!(after, expected);
    let after = ok(patch_user(
        after,
        ops(json!([{"op": "Replace", "path": "active", "value": "TRUE"}])),
    ));
    assert_eq!(after, user());
}

#[test]
fn connid_operational_attributes_are_active_and_password() {
    let after = ok(patch_user(
        user(),
        ops(json!([{"op": "replace", "path": "__ENABLE__", "value": "false"}])),
    ));
    let mut expected = user();
    expected["active"] = json!(false);
    assert_eq!(after, expected);
    let after = ok(patch_user(
        after,
        ops(json!([{"op": "replace", "value": {"__ENABLE__": true}}])),
    ));
    assert_eq!(after, user());
    // The password is ignored, as `password` is.
    let request = PatchRequest::parse(&ops(
        json!([{"op": "replace", "path": "__PASSWORD__", "value": "s3cret"}]),
    ))
    .unwrap();
    assert_eq!(
        request.operations[0]
            .path
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("password")
    );
}

#[test]
fn entra_legacy_one_replace_per_attribute() {
    let after = ok(patch_user(
        user(),
        ops(json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "jd@example.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Smith"},
            {"op": "Replace", "path": "userName", "value": "jd@example.com"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
            {"op": "Add", "path": "title", "value": "Engineer"}
        ])),
    ));
    assert_eq!(
        after,
        json!({
            "schemas": [urn::USER, ENT],
            "id": "u1",
            "userName": "jd@example.com",
            "name": {"givenName": "Jane", "familyName": "Smith"},
            "displayName": "Jane Doe",
            "active": true,
            "emails": [{"value": "jd@example.com", "type": "work", "primary": true}],
            "roles": [{"value": "2", "display": "Member", "primary": true}],
            ENT: {"department": "R&D", "manager": {"value": "m1", "$ref": "https://h/scim/v2/Users/m1", "displayName": "Boss"}},
            "title": "Engineer"
        })
    );
}

#[test]
fn entra_legacy_member_remove_with_value_array() {
    let after = ok(patch_group(
        group(),
        ops(json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "u1"}]}])),
    ));
    assert_eq!(
        after,
        json!({"schemas": [urn::GROUP], "id": "g1", "displayName": "Sales", "members": [{"value": "u2"}]})
    );
    // Removing someone not in the group changes nothing and is not an error.
    let again = ok(patch_group(
        after.clone(),
        ops(json!([{"op": "Remove", "path": "members", "value": [{"value": "u9"}]}])),
    ));
    assert_eq!(again, after);
}

#[test]
fn entra_member_add_with_null_ref_and_multiple_members() {
    let after = ok(patch_group(
        group(),
        ops(json!([{"op": "Add", "path": "members", "value": [
            {"$ref": null, "value": "u3"}, {"$ref": null, "value": "u2"}, {"value": "u4"}
        ]}])),
    ));
    assert_eq!(
        after["members"],
        json!([{"value": "u1", "display": "a@x"}, {"value": "u2"}, {"value": "u3"}, {"value": "u4"}])
    );
}

#[test]
fn entra_manager_forms() {
    // E1 Example 5: path without URN, value an array with $ref and value.
    let after = ok(patch_user(
        user(),
        ops(
            json!([{"op": "Add", "path": "manager", "value": [{"$ref": "https://h/scim/v2/Users/m2", "value": "m2"}]}]),
        ),
    ));
    assert_eq!(
        after[ENT],
        json!({"department": "Sales", "manager": {"$ref": "https://h/scim/v2/Users/m2", "value": "m2"}})
    );
    // Validator form: URN path, object value. Changing value drops the old $ref/displayName.
    let after = ok(patch_user(
        user(),
        ops(
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "m3"}}]),
        ),
    ));
    assert_eq!(after[ENT]["manager"], json!({"value": "m3"}));
    // A bare string id.
    let after = ok(patch_user(
        user(),
        ops(json!([{"op": "Replace", "path": "manager", "value": "m4"}])),
    ));
    assert_eq!(after[ENT]["manager"], json!({"value": "m4"}));
    // Remove, and "replace with empty".
    for body in [
        json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]),
        json!([{"op": "Replace", "path": "manager", "value": ""}]),
        json!([{"op": "Replace", "path": "manager", "value": {"value": ""}}]),
        json!([{"op": "Replace", "path": "manager", "value": null}]),
    ] {
        let after = ok(patch_user(user(), ops(body.clone())));
        assert_eq!(after[ENT], json!({"department": "Sales"}), "{body}");
    }
    // Same manager again keeps the derived sub-attributes.
    let after = ok(patch_user(
        user(),
        ops(json!([{"op": "Add", "path": "manager.value", "value": "m1"}])),
    ));
    assert_eq!(after, user());
}

#[test]
fn entra_filtered_add_creates_a_missing_work_email() {
    let mut before = user();
    before["emails"] = json!([{"value": "j@home.example", "type": "home"}]);
    for op in ["Add", "Replace"] {
        let after = ok(patch_user(
            before.clone(),
            ops(
                json!([{"op": op, "path": "emails[type eq \"work\"].value", "value": "jane@work.example"}]),
            ),
        ));
        assert_eq!(
            after["emails"],
            json!([{"value": "j@home.example", "type": "home"}, {"type": "work", "value": "jane@work.example"}]),
            "{op}"
        );
    }
    // Without a simple equality there is nothing to create from: noTarget.
    assert_eq!(
        err_type(patch_user(
            before,
            ops(json!([{"op": "replace", "path": "emails[type co \"wo\"].value", "value": "x@y"}]))
        )),
        Some(ScimType::NoTarget)
    );
}

#[test]
fn entra_null_update_clears_optional_attributes() {
    let mut before = user();
    before["title"] = json!("Boss");
    for value in [json!(""), json!(null)] {
        let after = ok(patch_user(
            before.clone(),
            ops(json!([
                {"op": "Replace", "path": "title", "value": value},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": value},
                {"op": "Replace", "path": "department", "value": value}
            ])),
        ));
        assert!(after.get("title").is_none(), "{after}");
        assert!(after.get("emails").is_none(), "{after}");
        assert_eq!(
            after[ENT],
            json!({"manager": {"value": "m1", "$ref": "https://h/scim/v2/Users/m1", "displayName": "Boss"}})
        );
    }
}

// ---- Entra ID, compliant dialect (aadOptscim062020) ----

#[test]
fn entra_compliant_no_path_replace_with_dotted_and_urn_keys() {
    let after = ok(patch_user(
        user(),
        ops(json!([{"op": "replace", "value": {
            "displayName": "Jane Smith",
            "name.givenName": "Janet",
            "name.familyName": "Smith",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Ops",
            "active": false
        }}])),
    ));
    let mut expected = user();
    expected["displayName"] = json!("Jane Smith");
    expected["name"] = json!({"givenName": "Janet", "familyName": "Smith"});
    expected[ENT]["department"] = json!("Ops");
    expected["active"] = json!(false);
    assert_eq!(after, expected);
}

#[test]
fn entra_compliant_member_remove_by_filter() {
    let after = ok(patch_group(
        group(),
        ops(json!([{"op": "remove", "path": "members[value eq \"u2\"]"}])),
    ));
    assert_eq!(after["members"], json!([{"value": "u1", "display": "a@x"}]));
    // Last member removed: the attribute becomes unassigned.
    let after = ok(patch_group(
        after,
        ops(json!([{"op": "remove", "path": "members[value eq \"U1\"]"}])),
    ));
    assert_eq!(
        after,
        json!({"schemas": [urn::GROUP], "id": "g1", "displayName": "Sales"})
    );
}

#[test]
fn unpublished_rfc_sub_attributes_of_published_attributes_are_ignored() {
    // Entra keeps `name.formatted` in step with the given name, in the same PATCH.
    let mut resource = user();
    let ignored = PatchRequest::parse(&ops(json!([
        {"op": "Replace", "path": "name.givenName", "value": "Karen"},
        {"op": "Replace", "path": "name.formatted", "value": "Karen Clark"},
        {"op": "Add", "path": "name.middleName", "value": "J"},
        {"op": "Remove", "path": "name.honorificPrefix"},
        {"op": "Replace", "path": "emails[type eq \"work\"].display", "value": "Work"}
    ])))
    .and_then(|p| p.apply_reporting(&mut resource, SchemaRegistry::global().user()))
    .expect("applied");
    assert_eq!(
        ignored,
        vec![
            "name.formatted",
            "name.middleName",
            "name.honorificPrefix",
            "emails.display"
        ]
    );
    assert_eq!(resource["name"]["givenName"], "Karen");
    // A sub-attribute RFC 7643 does not define stays an error.
    let err = PatchRequest::parse(&ops(json!([
        {"op": "Replace", "path": "name.nickname", "value": "K"}
    ])))
    .and_then(|p| p.apply_reporting(&mut user(), SchemaRegistry::global().user()))
    .unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidPath));
}

#[test]
fn entra_group_rename_and_user_name_update() {
    let after = ok(patch_group(
        group(),
        ops(json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}])),
    ));
    assert_eq!(after["displayName"], "Sales EMEA");
    let after = ok(patch_user(
        user(),
        ops(json!([{"op": "replace", "value": {"userName": "new@example.com"}}])),
    ));
    assert_eq!(after["userName"], "new@example.com");
}

#[test]
fn entra_paths_to_rfc_attributes_zoom_cannot_hold_are_ignored_and_reported() {
    // Entra's default mappings: externalId <- mailNickname (kept: the store holds it),
    // work address, and docs/clients.md section 1.3, "Add nickName"; the title in the
    // same PATCH still applies.
    let mut resource = user();
    let ignored = PatchRequest::parse(&ops(json!([
        {"op": "Replace", "path": "externalId", "value": "jdoe"},
        {"op": "Replace", "path": "addresses[type eq \"work\"].formatted", "value": "1 Main St"},
        {"op": "Add", "path": "nickName", "value": "Babs"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "42"},
        {"op": "Replace", "path": "title", "value": "Engineer"}
    ])))
    .and_then(|p| p.apply_reporting(&mut resource, SchemaRegistry::global().user()))
    .expect("applied");
    assert_eq!(
        ignored,
        vec![
            "addresses",
            "nickName",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
        ]
    );
    let mut expected = user();
    expected["title"] = json!("Engineer");
    expected["externalId"] = json!("jdoe");
    assert_eq!(resource, expected);
    // A name RFC 7643 does not define, or a sub-attribute missing under a published
    // attribute, is still the client's mistake.
    for path in [
        "favouriteColour",
        "name.middleNam",
        "urn:example:User:x",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nickName",
    ] {
        assert_eq!(
            err_type(patch_user(
                user(),
                ops(json!([{"op": "add", "path": path, "value": "x"}]))
            )),
            Some(ScimType::InvalidPath),
            "{path}"
        );
    }
    // Groups: Entra's validator patches externalId by path too.
    let after = ok(patch_group(
        group(),
        ops(json!([{"op": "replace", "path": "externalId", "value": "e1"}])),
    ));
    let mut expected = group();
    expected["externalId"] = json!("e1");
    assert_eq!(after, expected);
}

// ---- Okta ----

#[test]
fn okta_deactivate_without_path() {
    let after = ok(patch_user(
        user(),
        json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]}),
    ));
    let mut expected = user();
    expected["active"] = json!(false);
    assert_eq!(after, expected);
}

#[test]
fn okta_group_rename_carries_the_read_only_id() {
    let after = ok(patch_group(
        group(),
        ops(json!([{"op": "replace", "value": {"id": "g1", "displayName": "Renamed"}}])),
    ));
    let mut expected = group();
    expected["displayName"] = json!("Renamed");
    assert_eq!(after, expected);
    // A different id is a real attempt to change a readOnly attribute.
    assert_eq!(
        err_type(patch_group(
            group(),
            ops(json!([{"op": "replace", "value": {"id": "g2", "displayName": "R"}}]))
        )),
        Some(ScimType::Mutability)
    );
}

#[test]
fn okta_membership_delta_and_full_push() {
    let after = ok(patch_group(
        group(),
        ops(json!([
            {"op": "remove", "path": "members[value eq \"u1\"]"},
            {"op": "add", "path": "members", "value": [{"value": "u3", "display": "c@x"}]}
        ])),
    ));
    assert_eq!(after["members"], json!([{"value": "u2"}, {"value": "u3"}]));
    let after = ok(patch_group(
        group(),
        ops(
            json!([{"op": "replace", "path": "members", "value": [{"value": "u7"}, {"value": "u8"}]}]),
        ),
    ));
    assert_eq!(after["members"], json!([{"value": "u7"}, {"value": "u8"}]));
    let after = ok(patch_group(
        group(),
        ops(json!([{"op": "replace", "path": "members", "value": []}])),
    ));
    assert!(after.get("members").is_none());
}

// ---- ConnId / midPoint ----

#[test]
fn connid_lower_case_names_and_replace_all_emails() {
    let after = ok(patch_user(
        user(),
        ops(json!([
            {"op": "replace", "path": "username", "value": "jane.doe@example.com"},
            {"op": "replace", "path": "name.givenname", "value": "Janie"},
            {"op": "replace", "path": "emails", "value": [{"value": "jd@example.com", "type": "work"}]},
            {"op": "replace", "path": "active", "value": false}
        ])),
    ));
    assert_eq!(after["userName"], "jane.doe@example.com");
    assert_eq!(
        after["name"],
        json!({"givenName": "Janie", "familyName": "Doe"})
    );
    assert_eq!(
        after["emails"],
        json!([{"value": "jd@example.com", "type": "work"}])
    );
    assert_eq!(after["active"], false);
    assert!(after.get("username").is_none());
}

#[test]
fn connid_member_ops_and_whole_group_replace() {
    let after = ok(patch_group(
        group(),
        ops(json!([{"op": "add", "path": "members", "value": [{"value": "u5"}]}])),
    ));
    assert_eq!(after["members"].as_array().map(Vec::len), Some(3));
    let after = ok(patch_group(
        after,
        ops(
            json!([{"op": "remove", "path": "members", "value": [{"value": "u5"}, {"value": "u2"}]}]),
        ),
    ));
    assert_eq!(after["members"], json!([{"value": "u1", "display": "a@x"}]));
    // Group update in PATCH mode: the whole group, with schemas and meta, no path.
    let after = ok(patch_group(
        group(),
        ops(json!([{"op": "replace", "value": {
            "schemas": [urn::GROUP], "id": "g1", "displayName": "Sales",
            "meta": {"resourceType": "Group"},
            "members": [{"value": "u1"}, {"value": "u9"}]
        }}])),
    ));
    assert_eq!(after["members"], json!([{"value": "u1"}, {"value": "u9"}]));
}

#[test]
fn lower_case_extension_key_in_no_path_value() {
    let after = ok(patch_user(
        user(),
        ops(json!([{"op": "add", "value": {
            "urn:ietf:params:scim:schemas:extension:zoom:2.0:user": {"extensionNumber": 1234, "callingPlans": ["200"]},
            "urn:example:unknown:1.0:User": {"x": 1},
            "nickName": "JJ"
        }}])),
    ));
    assert_eq!(
        after[urn::ZOOM_USER],
        json!({"extensionNumber": "1234", "callingPlans": [200]})
    );
    assert_eq!(after["schemas"], json!([urn::USER, ENT, urn::ZOOM_USER]));
    assert!(after.get("nickName").is_none());
    let mut resource = user();
    let ignored = PatchRequest::parse(&ops(
        json!([{"op": "add", "value": {"nickName": "JJ", "name": {"formatted": "J"}}}]),
    ))
    .and_then(|p| p.apply_reporting(&mut resource, SchemaRegistry::global().user()))
    .unwrap_or_default();
    assert_eq!(
        ignored,
        vec!["nickName".to_string(), "name.formatted".to_string()]
    );
}
