//! PATCH attribute paths (RFC 7644 section 3.5.2, `PATH = attrPath / valuePath
//! [subAttr]`) on any text: a refused path is 400 `invalidPath`; an accepted one prints
//! to a path that parses to the same path and resolves (or not) against the schemas.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zoom_scim::scim::filter::MAX_FILTER_LEN;
use zoom_scim::scim::{SchemaRegistry, ScimType, parse_path};
use zoom_scim_fuzz::assert_client_error;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = match parse_path(text) {
        Ok(path) => path,
        Err(e) => {
            assert_client_error(&e, "path", &text);
            assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{e}");
            return;
        }
    };
    let printed = path.to_string();
    match parse_path(&printed) {
        Ok(again) => assert_eq!(again, path, "{text:?} printed as {printed:?}"),
        // Printing may lengthen the filter inside (see the filter target) or nest it one
        // level deeper.
        Err(e) => assert!(
            printed.len() > MAX_FILTER_LEN || e.detail.contains("deeper than"),
            "{text:?} printed as {printed:?}, which does not parse: {e}"
        ),
    }
    let registry = SchemaRegistry::global();
    for schema in [registry.user(), registry.group()] {
        if let Some(resolved) = schema.resolve(&path.attr) {
            resolved.canonical_path();
            if let Some(filter) = &path.filter
                && let Err(e) = filter.validate_value_filter(resolved.target())
            {
                assert_client_error(&e, "value filter", &text);
            }
        }
    }
});
