//! Conformance of the simulator with Zoom's own documents: every response body checked
//! here validates against the response schema of its operation in Zoom's OpenAPI files
//! (`zoom-users-api.endpoints.json`, `zoom-accounts-api.endpoints.json`), every field
//! it emits is named in that schema or in a recorded live response
//! (`zoom-fixtures/`), and the recorded responses' core fields are all present.
//! If the simulator drifts from Zoom's JSON, these tests fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Map, Value, json};
use zoom_scim::simulator::{SimCredentials, SimHandle, SimSettings};

use crate::support::start_simulator;

/// The shared reference folder: `../shared` beside the repository (CI, main checkout);
/// worktrees under `wt/` find it one level higher.
fn shared_dir() -> PathBuf {
    let primary = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared"));
    let worktree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    for candidate in [primary, worktree] {
        if candidate.join("zoom-api").is_dir() {
            return candidate;
        }
    }
    panic!(
        "Zoom's API documents are missing: expected ../shared/zoom-api beside {}",
        env!("CARGO_MANIFEST_DIR")
    );
}

pub(crate) fn read_json(relative: &str) -> Value {
    let path = shared_dir().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn users_spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| read_json("zoom-api/zoom-users-api.endpoints.json"))
}

fn accounts_spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| read_json("zoom-api/zoom-accounts-api.endpoints.json"))
}

fn fixture(name: &str) -> Value {
    read_json(&format!("zoom-fixtures/{name}"))
}

/// The JSON response schema of `method path` answering `status`.
pub(crate) fn response_schema(spec: &Value, method: &str, path: &str, status: &str) -> Value {
    let schema =
        &spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "no {status} JSON schema for {method} {path} in the spec"
    );
    schema.clone()
}

/// OpenAPI 3.0 schema objects -> JSON Schema draft 4: OpenAPI-only keywords are dropped,
/// and `oneOf` becomes `anyOf` because Zoom's alternatives (e.g. the settings variants)
/// are not mutually exclusive (none sets `additionalProperties: false`), so a valid
/// answer can match several of them.
fn to_json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "example"
                    | "examples"
                    | "deprecated"
                    | "nullable"
                    | "x-enum-descriptions"
                    | "readOnly"
                    | "writeOnly"
                    | "xml"
                    | "externalDocs" => {}
                    "oneOf" => {
                        out.insert("anyOf".into(), to_json_schema(value));
                    }
                    // Property names are data, not keywords: keep them all.
                    "properties" => {
                        let props = value
                            .as_object()
                            .map(|p| {
                                p.iter()
                                    .map(|(k, v)| (k.clone(), to_json_schema(v)))
                                    .collect::<Map<_, _>>()
                            })
                            .unwrap_or_default();
                        out.insert(key.clone(), Value::Object(props));
                    }
                    _ => {
                        out.insert(key.clone(), to_json_schema(value));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

/// Validates `instance` against the OpenAPI `schema`, listing every violation.
pub(crate) fn assert_valid(what: &str, schema: &Value, instance: &Value) {
    let schema = to_json_schema(schema);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{what}: the spec schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match Zoom's schema:\n{}\nbody: {instance}",
        errors.join("\n")
    );
}

/// Property paths a schema names (`users[].id`, `feature.zoom_phone`), through
/// `allOf`/`oneOf`/`anyOf` and array items.
fn schema_paths(schema: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    for combinator in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema[combinator].as_array() {
            for part in parts {
                schema_paths(part, prefix, out);
            }
        }
    }
    if let Some(items) = schema.get("items") {
        schema_paths(items, &format!("{prefix}[]"), out);
    }
    if let Some(props) = schema["properties"].as_object() {
        for (key, sub) in props {
            let path = join(prefix, key);
            out.insert(path.clone());
            schema_paths(sub, &path, out);
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Property paths present in a JSON value.
fn value_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, sub) in map {
                let path = join(prefix, key);
                out.insert(path.clone());
                value_paths(sub, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                value_paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn paths_of(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    value_paths(value, "", &mut out);
    out
}

/// Every field the simulator emits is named by the spec schema or a recorded response.
pub(crate) fn assert_fields_known(
    what: &str,
    instance: &Value,
    schema: &Value,
    fixtures: &[Value],
) {
    let mut known = BTreeSet::new();
    schema_paths(schema, "", &mut known);
    for f in fixtures {
        known.extend(paths_of(f));
    }
    let unknown: Vec<String> = paths_of(instance)
        .into_iter()
        .filter(|p| !known.contains(p))
        .collect();
    assert!(
        unknown.is_empty(),
        "{what} emits fields neither Zoom's spec nor its recorded responses know: {unknown:?}"
    );
}

/// The keys of `fixture` (an object), minus `optional`, are all keys of `instance`.
fn assert_core_fields(what: &str, instance: &Value, fixture: &Value, optional: &[&str]) {
    let have: BTreeSet<&String> = instance
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let missing: Vec<&String> = fixture
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| !optional.contains(&k.as_str()) && !have.contains(k))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        missing.is_empty(),
        "{what} lacks fields a live Zoom response has: {missing:?}"
    );
}

struct Api {
    sim: SimHandle,
    http: Client,
    token: String,
}

impl Api {
    async fn start() -> Self {
        let sim = start_simulator(SimSettings {
            users: 120,
            ..SimSettings::default()
        })
        .await;
        let http = Client::builder().no_proxy().build().expect("client");
        let token = crate::support::zoom_token(&http, &sim).await;
        Self { sim, http, token }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.api_base_url()))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("call");
        let status = r.status();
        let text = r.text().await.expect("text");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }
}

#[tokio::test]
async fn token_response_matches_the_recording() {
    let sim = start_simulator(SimSettings {
        users: 3,
        ..SimSettings::default()
    })
    .await;
    let creds = SimCredentials::default();
    let body: Value = Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .post(sim.token_url())
        .basic_auth(&creds.client_id, Some(&creds.client_secret))
        .query(&[
            ("grant_type", "account_credentials"),
            ("account_id", creds.account_id.as_str()),
        ])
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let recorded = fixture("jupiterone-graph-zoom/oauth.token.account_credentials.json");
    assert_core_fields("token response", &body, &recorded, &[]);
    // `api_url` is in Zoom's documented example (contract section 6) but not in the 2023 recording.
    let documented = json!({"api_url": "https://api.zoom.us"});
    assert_fields_known("token response", &body, &json!({}), &[recorded, documented]);
    assert_eq!(body["token_type"], "bearer");
}

#[tokio::test]
async fn user_list_matches_spec_and_recordings() {
    let api = Api::start().await;
    let spec = users_spec();
    let schema = response_schema(spec, "get", "/users", "200");
    let recordings = [
        fixture("jupiterone-graph-zoom/users.page1.json"),
        fixture("creativice-graph-zoom-2021/users.page1.json"),
        fixture("psoxy/users.list.original.json"),
    ];

    let first = api.get("/users?page_size=50").await;
    assert_valid("GET /users (first page)", &schema, &first);
    assert_fields_known("GET /users", &first, &schema, &recordings);
    // Envelope and item fields of the live recording.
    assert_core_fields("GET /users envelope", &first, &recordings[0], &[]);
    // Optional by nature: a picture, the client version and IM groups only exist for
    // some users; employee_unique_id only for SSO users.
    let optional = [
        "pic_url",
        "last_client_version",
        "im_group_ids",
        "employee_unique_id",
    ];
    for recorded in recordings[0]["users"].as_array().expect("users") {
        for item in first["users"].as_array().expect("users") {
            assert_core_fields("GET /users item", item, recorded, &optional);
        }
    }

    let token = first["next_page_token"].as_str().expect("token");
    let next = api
        .get(&format!("/users?page_size=50&next_page_token={token}"))
        .await;
    assert_valid("GET /users (token page)", &schema, &next);
    assert_fields_known("GET /users (token page)", &next, &schema, &recordings);

    for status in ["inactive", "pending"] {
        let page = api
            .get(&format!("/users?status={status}&page_size=300"))
            .await;
        assert!(!page["users"].as_array().expect("users").is_empty());
        assert_valid(&format!("GET /users?status={status}"), &schema, &page);
        assert_fields_known("GET /users", &page, &schema, &recordings);
    }
    let with_attrs = api
        .get("/users?include_fields=custom_attributes&page_size=5")
        .await;
    assert_valid("GET /users?include_fields", &schema, &with_attrs);
}

#[tokio::test]
async fn user_detail_create_and_settings_match_spec_and_recordings() {
    let api = Api::start().await;
    let spec = users_spec();
    let recorded_me = fixture("jupiterone-graph-zoom/users.me.json");

    // POST /users.
    let create_schema = response_schema(spec, "post", "/users", "201");
    let (status, created) = api
        .call(
            Method::POST,
            "/users",
            Some(
                json!({"action": "create", "user_info": {"email": "conf@example.com", "type": 2,
                        "first_name": "Con", "last_name": "Formance"}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_valid("POST /users", &create_schema, &created);
    assert_fields_known("POST /users", &created, &create_schema, &[]);

    // GET /users/{userId}: active (owner, admins, members) and pending.
    let schema = response_schema(spec, "get", "/users/{userId}", "200");
    let me = api.get("/users/me").await;
    assert_valid("GET /users/me", &schema, &me);
    assert_fields_known(
        "GET /users/{userId}",
        &me,
        &schema,
        std::slice::from_ref(&recorded_me),
    );
    assert_core_fields("GET /users/{userId}", &me, &recorded_me, &[]);
    let list = api.get("/users?page_size=40").await;
    for item in list["users"].as_array().expect("users") {
        let id = item["id"].as_str().expect("id");
        let user = api.get(&format!("/users/{id}")).await;
        assert_valid("GET /users/{userId}", &schema, &user);
        assert_fields_known(
            "GET /users/{userId}",
            &user,
            &schema,
            std::slice::from_ref(&recorded_me),
        );
    }
    let pending = api.get("/users/conf@example.com").await;
    assert_eq!(pending["status"], "pending");
    assert_valid("GET /users/{userId} (pending)", &schema, &pending);
    assert_fields_known(
        "GET /users/{userId}",
        &pending,
        &schema,
        std::slice::from_ref(&recorded_me),
    );
    // After a full update, every optional field is rendered.
    let id = me["id"].as_str().expect("id");
    let (status, _) = api
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({"company": "Example Corp", "cost_center": "CC-1", "manager": "boss@example.com",
                        "pronouns": "they/them", "pronouns_option": 1, "vanity_name": "owner",
                        "zoom_one_type": 16,
                        "phone_numbers": [{"code": "+1", "country": "US", "label": "Mobile", "number": "8005550100"}],
                        "custom_attributes": [{"key": "cbf_1", "name": "A1", "value": "x"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let full = api.get("/users/me").await;
    assert_valid("GET /users/me (full)", &schema, &full);
    assert_fields_known("GET /users/{userId}", &full, &schema, &[recorded_me]);

    // Settings and their option variants.
    let settings_schema = response_schema(spec, "get", "/users/{userId}/settings", "200");
    let recorded = fixture("jupiterone-graph-zoom/users.H9Yx0-O8QUCXVIseYAsjaA.settings.json");
    let settings = api.get(&format!("/users/{id}/settings")).await;
    assert_valid("GET /users/{userId}/settings", &settings_schema, &settings);
    assert_fields_known(
        "GET /users/{userId}/settings",
        &settings,
        &settings_schema,
        std::slice::from_ref(&recorded),
    );
    assert_core_fields("GET /users/{userId}/settings", &settings, &recorded, &[]);
    assert!(settings["feature"]["zoom_phone"].is_boolean());
    for option in [
        "meeting_authentication",
        "recording_authentication",
        "meeting_security",
    ] {
        let recorded = fixture(&format!(
            "jupiterone-graph-zoom/users.H9Yx0-O8QUCXVIseYAsjaA.settings.{option}.json"
        ));
        let body = api
            .get(&format!("/users/{id}/settings?option={option}"))
            .await;
        let what = format!("GET /users/{{userId}}/settings?option={option}");
        assert_valid(&what, &settings_schema, &body);
        assert_fields_known(
            &what,
            &body,
            &settings_schema,
            std::slice::from_ref(&recorded),
        );
        assert_core_fields(&what, &body, &recorded, &[]);
    }
}

#[tokio::test]
async fn groups_match_spec_and_recordings() {
    let api = Api::start().await;
    let spec = users_spec();

    let schema = response_schema(spec, "get", "/groups", "200");
    let recorded = fixture("jupiterone-graph-zoom/groups.json");
    let groups = api.get("/groups?page_size=5").await;
    assert_valid("GET /groups", &schema, &groups);
    assert_fields_known(
        "GET /groups",
        &groups,
        &schema,
        std::slice::from_ref(&recorded),
    );
    assert_core_fields("GET /groups", &groups, &recorded, &[]);
    assert_core_fields(
        "GET /groups item",
        &groups["groups"][0],
        &recorded["groups"][0],
        &[],
    );
    let gid = groups["groups"][0]["id"].as_str().expect("gid").to_owned();

    let (status, created) = api
        .call(
            Method::POST,
            "/groups",
            Some(json!({"name": "Conformance"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let create_schema = response_schema(spec, "post", "/groups", "201");
    assert_valid("POST /groups", &create_schema, &created);
    assert_fields_known("POST /groups", &created, &create_schema, &[]);

    let group_schema = response_schema(spec, "get", "/groups/{groupId}", "200");
    let group = api.get(&format!("/groups/{gid}")).await;
    assert_valid("GET /groups/{groupId}", &group_schema, &group);
    assert_fields_known("GET /groups/{groupId}", &group, &group_schema, &[]);

    let members_schema = response_schema(spec, "get", "/groups/{groupId}/members", "200");
    let recorded_members = [
        fixture("jupiterone-graph-zoom/groups.ppUAdwEBRFCdRE0mfLttog.members.page1.json"),
        fixture("jupiterone-graph-zoom/groups.dSHPJbpfQo6uS1a0_iznyg.members.page1.json"),
    ];
    let members = api.get(&format!("/groups/{gid}/members?page_size=5")).await;
    assert_valid("GET /groups/{groupId}/members", &members_schema, &members);
    assert_fields_known(
        "GET /groups/{groupId}/members",
        &members,
        &members_schema,
        &recorded_members,
    );
    assert_core_fields(
        "GET /groups/{groupId}/members",
        &members,
        &recorded_members[0],
        &[],
    );
    for item in members["members"].as_array().expect("members") {
        assert_core_fields(
            "GET /groups/{groupId}/members item",
            item,
            &recorded_members[0]["members"][0],
            &[],
        );
    }
    let token = members["next_page_token"].as_str().expect("token");
    let next = api
        .get(&format!(
            "/groups/{gid}/members?page_size=5&next_page_token={token}"
        ))
        .await;
    assert_valid(
        "GET /groups/{groupId}/members (token page)",
        &members_schema,
        &next,
    );
    let empty = api
        .get(&format!(
            "/groups/{}/members",
            created["id"].as_str().expect("id")
        ))
        .await;
    assert_valid(
        "GET /groups/{groupId}/members (empty)",
        &members_schema,
        &empty,
    );
    assert_core_fields("empty member page", &empty, &recorded_members[1], &[]);
    assert_eq!(empty["page_count"], 0);

    let add_schema = response_schema(spec, "post", "/groups/{groupId}/members", "201");
    let user = api.get("/users?page_size=1").await["users"][0]["id"].clone();
    let (status, added) = api
        .call(
            Method::POST,
            &format!("/groups/{}/members", created["id"].as_str().expect("id")),
            Some(json!({"members": [{"id": user}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_valid("POST /groups/{groupId}/members", &add_schema, &added);
    assert_fields_known("POST /groups/{groupId}/members", &added, &add_schema, &[]);
}

#[tokio::test]
async fn roles_match_spec_and_recordings() {
    let api = Api::start().await;
    let spec = accounts_spec();

    let schema = response_schema(spec, "get", "/roles", "200");
    let recorded = fixture("jupiterone-graph-zoom/roles.json");
    let roles = api.get("/roles").await;
    assert_valid("GET /roles", &schema, &roles);
    assert_fields_known(
        "GET /roles",
        &roles,
        &schema,
        std::slice::from_ref(&recorded),
    );
    assert_core_fields("GET /roles", &roles, &recorded, &[]);
    for (ours, theirs) in roles["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .zip(recorded["roles"].as_array().expect("roles"))
    {
        assert_core_fields("GET /roles item", ours, theirs, &[]);
        // The three built-in roles are named and described as on a live account.
        assert_eq!(ours["id"], theirs["id"]);
        assert_eq!(ours["name"], theirs["name"]);
        assert_eq!(ours["description"], theirs["description"]);
    }

    let role_schema = response_schema(spec, "get", "/roles/{roleId}", "200");
    for role in roles["roles"].as_array().expect("roles") {
        let id = role["id"].as_str().expect("id");
        let body = api.get(&format!("/roles/{id}")).await;
        assert_valid("GET /roles/{roleId}", &role_schema, &body);
        assert_fields_known("GET /roles/{roleId}", &body, &role_schema, &[]);
    }

    let members_schema = response_schema(spec, "get", "/roles/{roleId}/members", "200");
    let recorded_members = [
        fixture("jupiterone-graph-zoom/roles.0.members.page1.json"),
        fixture("jupiterone-graph-zoom/roles.1.members.page1.json"),
        fixture("jupiterone-graph-zoom/roles.2.members.page1.json"),
    ];
    for role in ["0", "1", "2"] {
        let body = api
            .get(&format!("/roles/{role}/members?page_size=10"))
            .await;
        let what = format!("GET /roles/{role}/members");
        assert_valid(&what, &members_schema, &body);
        assert_fields_known(&what, &body, &members_schema, &recorded_members);
        assert_core_fields(&what, &body, &recorded_members[0], &[]);
        for item in body["members"].as_array().expect("members") {
            assert_core_fields(&what, item, &recorded_members[2]["members"][0], &[]);
        }
    }
    let page = api.get("/roles/2/members?page_size=10").await;
    let token = page["next_page_token"].as_str().expect("token");
    let next = api
        .get(&format!(
            "/roles/2/members?page_size=10&next_page_token={token}"
        ))
        .await;
    assert_valid("GET /roles/2/members (token page)", &members_schema, &next);

    let add_schema = response_schema(spec, "post", "/roles/{roleId}/members", "201");
    let custom = roles["roles"][3]["id"].as_str().expect("custom");
    let user = page["members"][0]["id"].clone();
    let (status, added) = api
        .call(
            Method::POST,
            &format!("/roles/{custom}/members"),
            Some(json!({"members": [{"id": user}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_valid("POST /roles/{roleId}/members", &add_schema, &added);
    assert_fields_known("POST /roles/{roleId}/members", &added, &add_schema, &[]);
}

#[test]
fn the_checks_catch_drift() {
    // A wrong type, an unknown field and a missing recorded field are all reported.
    let schema = json!({"type": "object", "properties": {
        "id": {"type": "string", "example": "x"},
        "users": {"type": "array", "items": {"oneOf": [
            {"type": "object", "properties": {"email": {"type": "string"}}},
            {"type": "object", "properties": {"email": {"type": "string"}, "type": {"type": "integer"}}}
        ]}}
    }});
    let good = json!({"id": "a", "users": [{"email": "e", "type": 1}]});
    assert_valid("good", &schema, &good);
    assert_fields_known("good", &good, &schema, &[]);
    let wrong_type = json!({"id": 5});
    assert!(std::panic::catch_unwind(|| assert_valid("bad", &schema, &wrong_type)).is_err());
    let unknown = json!({"id": "a", "users": [{"mail": "e"}]});
    assert!(
        std::panic::catch_unwind(|| assert_fields_known("bad", &unknown, &schema, &[])).is_err()
    );
    let recorded = json!({"id": "a", "name": "b"});
    assert!(std::panic::catch_unwind(|| assert_core_fields("bad", &good, &recorded, &[])).is_err());
}
