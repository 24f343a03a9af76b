//! Fixtures and checks shared by the fuzz targets: the resources a PATCH or a filter
//! meets in the service (a Zoom user and group mapped to SCIM as the service reads
//! them), and the rule every parser of client input keeps: a bad input is a 4xx
//! RFC 7644 section 3.12 error, never a panic or a 5xx.

use std::collections::HashMap;

use serde_json::{Value, json};
use zoom_scim::mapping::{group, user};
use zoom_scim::scim::ScimError;
use zoom_scim::scim::error::MAX_DETAIL_CHARS;
use zoom_scim::zoom::model::{Group, Member, ZoomUser};

/// The SCIM base URL the fixtures are mapped under.
pub const BASE_URL: &str = "https://scim.example/scim/v2";

/// A Zoom user as `GET /users/{userId}` answers (the shape of a recorded user, with a
/// manager, phone numbers and groups, so every mapped attribute is present).
pub fn zoom_user() -> ZoomUser {
    serde_json::from_value(json!({
        "id": "H9Yx0-O8QUCXVIseYAsjaA", "first_name": "Jane", "last_name": "Doe",
        "display_name": "Jane Doe", "email": "jane@example.com", "type": 2,
        "role_name": "Member", "role_id": "2", "pmi": 4440405982i64,
        "timezone": "America/New_York", "verified": 1, "dept": "Sales",
        "created_at": "2021-10-27T00:00:49Z", "last_login_time": "2023-02-09T16:15:45Z",
        "group_ids": ["grp1", "grp2"], "language": "en-US", "status": "active",
        "job_title": "Engineer", "location": "Berlin", "login_types": [100],
        "cost_center": "CC1", "company": "Example", "manager": "boss@example.com",
        "phone_numbers": [{"country": "US", "code": "+1", "number": "8005550100", "label": "Mobile"}],
        "user_created_at": "2021-10-27T00:00:49Z"
    }))
    .expect("the fixture is a Zoom user")
}

/// [`zoom_user`] as the service shows it over SCIM.
pub fn scim_user() -> Value {
    let groups = HashMap::from([
        ("grp1".to_owned(), "Sales".to_owned()),
        ("grp2".to_owned(), "Berlin".to_owned()),
    ]);
    let ctx = user::UserContext {
        base_url: BASE_URL,
        group_names: Some(&groups),
        manager_id: Some("m1".to_owned()),
        ..Default::default()
    };
    user::user_resource(&zoom_user(), "H9Yx0-O8QUCXVIseYAsjaA", &ctx)
}

/// A Zoom group with two members, as the service shows it over SCIM.
pub fn scim_group() -> Value {
    let zoom = Group {
        id: Some("grp1".into()),
        name: "Sales".into(),
        total_members: Some(2),
    };
    let members = [
        Member {
            id: Some("u1".into()),
            email: "a@example.com".into(),
            ..Default::default()
        },
        Member {
            id: Some("u2".into()),
            email: "b@example.com".into(),
            ..Default::default()
        },
    ];
    let extras = group::GroupExtras {
        members: Some(&members),
        external_id: Some("ext-grp1"),
        last_modified: None,
    };
    group::group_resource(&zoom, "grp1", extras, BASE_URL)
}

/// Client input was refused: it must be a 4xx with an RFC 7644 error body, not a 5xx
/// (a 5xx tells the client to retry what can never succeed).
pub fn assert_client_error(error: &ScimError, what: &str, input: &impl std::fmt::Debug) {
    assert!(
        (400..500).contains(&error.status),
        "{what}: a client input answered {}: {error}\ninput: {input:?}",
        error.status
    );
    // The body a client gets: its detail stays within the published bound.
    let body = error.to_body();
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.chars().count() <= MAX_DETAIL_CHARS,
        "{what}: a detail of {} characters",
        detail.chars().count()
    );
}
