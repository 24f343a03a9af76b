//! PATCH (RFC 7644 section 3.5.2) on any JSON: the request parser, the engine applied to
//! a user and a group as the service shows them, and what the service does next (the
//! Zoom user difference, the group member operations). Refusals are 400s; an applied
//! PATCH leaves a resource the schema accepts as it stands.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use zoom_scim::mapping::group::{GroupPatch, member_changes};
use zoom_scim::mapping::phone_write::{apply_native_aliases, phone_target};
use zoom_scim::mapping::user_write::diff;
use zoom_scim::scim::{PatchRequest, ResourceSchema, SchemaRegistry, normalize_input};
use zoom_scim_fuzz::{assert_client_error, scim_group, scim_user};

/// Applies `request` to `before`; on success the result must normalise as a PUT body
/// would, with nothing the schema does not publish.
fn apply(request: &PatchRequest, before: &Value, schema: &ResourceSchema) -> Option<Value> {
    let mut resource = before.clone();
    match request.apply(&mut resource, schema) {
        Err(e) => {
            assert_eq!(e.status, 400, "{e}\nrequest: {request:?}");
            assert_client_error(&e, "PATCH", request);
            assert_eq!(&resource, before, "a refused PATCH changed the resource");
            None
        }
        Ok(()) => {
            let normalized = normalize_input(&resource, schema).unwrap_or_else(|e| {
                panic!("the patched resource is not one the schema accepts: {e}\nresource: {resource}\nrequest: {request:?}")
            });
            assert!(
                normalized.ignored.is_empty(),
                "the patched resource holds unpublished attributes {:?}: {resource}",
                normalized.ignored
            );
            Some(resource)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let request = match PatchRequest::parse(&body) {
        Ok(request) => request,
        Err(e) => {
            assert_eq!(e.status, 400, "{e}");
            assert_client_error(&e, "PATCH body", &body);
            return;
        }
    };
    let registry = SchemaRegistry::global();

    let user = scim_user();
    if let Some(mut patched) = apply(&request, &user, registry.user()) {
        match apply_native_aliases(&mut patched) {
            Err(e) => assert_client_error(&e, "native aliases", &request),
            Ok(()) => {
                if let Err(e) = diff(&user, &patched) {
                    assert_client_error(&e, "user difference", &request);
                }
                if let Err(e) = phone_target(&user, &patched) {
                    assert_client_error(&e, "phone target", &request);
                }
            }
        }
    }

    let group = scim_group();
    apply(&request, &group, registry.group());
    match GroupPatch::from_request(&request, "grp1", "Sales", Some("ext-grp1")) {
        Err(e) => assert_client_error(&e, "group PATCH", &request),
        Ok(patch) => {
            let current = group["members"].as_array().cloned().unwrap_or_default();
            if let Err(e) = member_changes(&patch.member_ops, Some(&current)) {
                assert_client_error(&e, "member changes", &request);
            }
            if let Err(e) = member_changes(&patch.member_ops, None)
                && patch.member_ops.iter().all(|op| !op.needs_current())
            {
                panic!("member changes without the current members failed: {e}");
            }
        }
    }
});
