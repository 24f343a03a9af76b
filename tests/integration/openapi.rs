//! The committed OpenAPI document must equal the one the code generates and serves.
//! Regenerate after an intended change with `UPDATE_OPENAPI=1 cargo test --test integration openapi`.

use zoom_scim::config::Config;
use zoom_scim::http::openapi::document_json;
use zoom_scim::simulator::SimSettings;

use crate::support::start_stack;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/zoom-scim.json");

/// Every `$ref` value in `node`.
fn collect_refs(node: &serde_json::Value, out: &mut Vec<String>) {
    match node {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(value, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn committed_document_matches_the_code() {
    let generated = document_json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).expect("write openapi/zoom-scim.json");
    }
    let committed = std::fs::read_to_string(COMMITTED).expect("openapi/zoom-scim.json exists");
    assert!(
        committed == generated,
        "openapi/zoom-scim.json is stale: run UPDATE_OPENAPI=1 cargo test --test integration openapi"
    );
    // The resource bodies come from scim-schema/: a published attribute is documented.
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    let user = &doc["components"]["schemas"]["User"]["properties"];
    assert!(user["userName"].is_object());
    let zoom = &user["urn:ietf:params:scim:schemas:extension:zoom:2.0:User"]["properties"];
    assert!(zoom["extensionNumber"].is_object() && zoom["callingPlans"].is_object());
    // The answers every operation can give are documented: 401 everywhere, 429 and 503
    // wherever Zoom is called, 413 wherever a body is sent.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("401"), "{method} {path}");
            let discovery = operation["tags"][0] == "discovery";
            for status in ["429", "502", "503"] {
                assert_eq!(
                    responses.contains_key(status),
                    !discovery,
                    "{status} on {method} {path}"
                );
            }
            if ["post", "put", "patch"].contains(&method.as_str()) {
                assert!(responses.contains_key("413"), "{method} {path}");
            }
            // A bad `attributes` on any read of Users or Groups is 400.
            if method == "get" && !discovery {
                assert!(responses.contains_key("400"), "{method} {path}");
            }
        }
    }
    // Every `$ref` names a component the document defines (a dangling one made the
    // shared error answers unreadable to OpenAPI tools).
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let target = reference
            .strip_prefix("#/")
            .map(|p| p.split('/').fold(&doc, |node, key| &node[key]));
        assert!(
            target.is_some_and(|t| t.is_object()),
            "dangling $ref {reference}"
        );
    }
    // `meta` documents what is returned: modification times from the store, no
    // creation time for groups (Zoom keeps none).
    assert!(user["meta"]["properties"]["created"].is_object());
    assert!(user["meta"]["properties"]["lastModified"].is_object());
    let group = &doc["components"]["schemas"]["Group"]["properties"];
    assert!(group["meta"]["properties"]["version"].is_object());
    assert!(group["meta"]["properties"].get("created").is_none());
    assert!(group["meta"]["properties"]["lastModified"].is_object());
}

#[tokio::test]
async fn served_document_is_the_committed_one() {
    let stack = start_stack(
        SimSettings {
            users: 1,
            ..SimSettings::default()
        },
        Config::default(),
    )
    .await;
    let root = stack
        .service
        .scim_base_url
        .trim_end_matches("/scim/v2")
        .to_owned();
    let served = stack
        .http
        .get(format!("{root}/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.text().await.unwrap(),
        std::fs::read_to_string(COMMITTED).unwrap()
    );
}
