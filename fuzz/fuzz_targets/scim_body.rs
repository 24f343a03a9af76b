//! POST/PUT bodies (RFC 7644 sections 3.3 and 3.5.1) on any JSON: normalisation into
//! canonical User and Group resources, then what the service builds from them (Zoom's
//! create request, the PUT merge and the difference to write, the group input).
//! Refusals are 4xx; a normalised resource normalises to itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use zoom_scim::mapping::group::group_input;
use zoom_scim::mapping::phone_write::{apply_native_aliases, phone_target};
use zoom_scim::mapping::user_write::{create_request, diff};
use zoom_scim::scim::resource::merge_replace;
use zoom_scim::scim::{ResourceSchema, SchemaRegistry, normalize_input};
use zoom_scim::zoom::model::CreateAction;
use zoom_scim_fuzz::{assert_client_error, scim_user};

/// Normalises `body`; a normalised resource is a fixed point.
fn normalize(body: &Value, schema: &ResourceSchema) -> Option<zoom_scim::scim::Normalized> {
    match normalize_input(body, schema) {
        Err(e) => {
            assert_client_error(&e, "body", body);
            None
        }
        Ok(normalized) => {
            let again = normalize_input(&normalized.resource, schema).unwrap_or_else(|e| {
                panic!(
                    "a normalised resource is refused: {e}\n{}",
                    normalized.resource
                )
            });
            assert_eq!(
                again.resource, normalized.resource,
                "normalising twice changed it"
            );
            Some(normalized)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let registry = SchemaRegistry::global();
    if let Some(normalized) = normalize(&body, registry.user()) {
        if let Err(e) = create_request(&normalized.resource, CreateAction::Create, 1) {
            assert_client_error(&e, "create request", &body);
        }
        let current = scim_user();
        let mut desired = merge_replace(&current, &normalized);
        match apply_native_aliases(&mut desired) {
            Err(e) => assert_client_error(&e, "native aliases", &body),
            Ok(()) => {
                if let Err(e) = diff(&current, &desired) {
                    assert_client_error(&e, "user difference", &body);
                }
                if let Err(e) = phone_target(&current, &desired) {
                    assert_client_error(&e, "phone target", &body);
                }
            }
        }
    }
    normalize(&body, registry.group());
    if let Err(e) = group_input(&body) {
        assert_client_error(&e, "group body", &body);
    }
});
