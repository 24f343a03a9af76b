//! The SCIM filter parser (RFC 7644 section 3.4.2.2) on any text, then what the service
//! does with an accepted filter: validation against the User and Group schemas,
//! canonical form, matching and the Zoom push-down decisions. A refused filter is 400
//! `invalidFilter`; an accepted one prints to a filter that parses to the same tree.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zoom_scim::mapping::{filter as user_filter, group};
use zoom_scim::scim::filter::{MAX_FILTER_DEPTH, MAX_FILTER_LEN};
use zoom_scim::scim::{SchemaRegistry, ScimType, parse_filter};
use zoom_scim_fuzz::{assert_client_error, scim_group, scim_user};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let filter = match parse_filter(text) {
        Ok(filter) => filter,
        Err(e) => {
            assert_client_error(&e, "filter", &text);
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{e}");
            return;
        }
    };
    // Printed and parsed again: the same tree. Printing may lengthen a filter (bare
    // words gain quotes, control characters become escapes) or add one level of
    // parentheses (Entra's `attr[a or b].sub eq v`), so a filter at the limits may
    // print to one over them; anything else must parse back.
    let printed = filter.to_string();
    match parse_filter(&printed) {
        Ok(again) => assert_eq!(again, filter, "{text:?} printed as {printed:?}"),
        Err(e) => assert!(
            printed.len() > MAX_FILTER_LEN
                || e.detail
                    .contains(&format!("deeper than {MAX_FILTER_DEPTH}")),
            "{text:?} printed as {printed:?}, which does not parse: {e}"
        ),
    }
    let registry = SchemaRegistry::global();
    let user = registry.user();
    match filter.validate(user) {
        Err(e) => assert_client_error(&e, "user filter", &text),
        Ok(()) => {
            let canonical = filter.canonicalize(user);
            canonical.matches(&scim_user(), user);
            let canonical = Some(&canonical);
            user_filter::user_source(canonical);
            user_filter::phone_scope(canonical);
            user_filter::exactly_pushed_down(canonical);
            if let Some(f) = canonical {
                user_filter::referenced_attributes(f);
            }
        }
    }
    let groups = registry.group();
    match filter.validate(groups) {
        Err(e) => assert_client_error(&e, "group filter", &text),
        Ok(()) => {
            let canonical = filter.canonicalize(groups);
            canonical.matches(&scim_group(), groups);
            group::group_source(Some(&canonical));
            group::filter_uses_members(&canonical);
        }
    }
});
