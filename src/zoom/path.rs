//! Request paths: every id is one percent-encoded path segment ([`seg`]), and a path
//! that could name another resource than its operation's is never sent
//! ([`unusable_path`]).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// RFC 3986 unreserved characters stay; everything else in a path segment is
/// percent-encoded (Zoom ids may contain `&`, emails contain `@` and `+`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One path segment, percent-encoded.
pub(super) fn seg(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// Why a built path cannot name the resource its operation names, if it cannot; such a
/// call is answered as Zoom answers an unknown id (404), without being sent.
///
/// Every segment must be one that URL parsing leaves alone and that can only name a
/// resource: an empty segment (an empty id) would reach the collection above it, and
/// `.` or `..` are removed by URL normalisation (RFC 3986 section 5.2.4), walking up
/// the path (`/groups/g/members/..` is `DELETE /groups/g/`, the group itself). Zoom's
/// ids are 22 characters and its e-mail addresses at most 128: a segment longer than
/// [`MAX_SEGMENT_BYTES`] names nothing either, and a URL of kilobytes would only earn
/// a gateway's 414. `ZoomClient::send_once` checks again that the parsed URL kept
/// the path as built.
pub(super) fn unusable_path(path: &str) -> Option<&'static str> {
    let mut segments = path.strip_prefix('/')?.split('/');
    segments
        .try_for_each(|s| match s {
            "" => Err("an empty id names no Zoom resource"),
            "." | ".." => Err("a dot segment names no Zoom resource"),
            s if s.len() > MAX_SEGMENT_BYTES => Err("no Zoom resource has an id this long"),
            _ => Ok(()),
        })
        .err()
}

/// The longest path segment (percent-encoded) sent to Zoom; see [`unusable_path`].
const MAX_SEGMENT_BYTES: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_name_another_resource_are_not_sent() {
        for id in ["", ".", ".."] {
            for path in [
                format!("/groups/{}", seg(id)),
                format!("/groups/grp1/members/{}", seg(id)),
                format!("/users/{}/status", seg(id)),
                format!("/phone/users/{}/calling_plans/1", seg(id)),
            ] {
                assert!(unusable_path(&path).is_some(), "{path:?} was allowed");
            }
        }
        assert!(unusable_path(&format!("/users/{}", "a".repeat(MAX_SEGMENT_BYTES + 1))).is_some());
        // Dots inside an id, encoded slashes and e-mails stay one segment.
        for id in ["...", ".a", "a.b@example.com", "../x", "%2e%2e", "me"] {
            let path = format!("/groups/grp1/members/{}", seg(id));
            assert_eq!(unusable_path(&path), None, "{path:?}");
        }
        assert_eq!(unusable_path("/users"), None);
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(seg("a+b@example.com"), "a%2Bb%40example.com");
        assert_eq!(seg("id&x=1/y"), "id%26x%3D1%2Fy");
        assert_eq!(seg("KDcuGIm1QgePTO8WbOqwIQ"), "KDcuGIm1QgePTO8WbOqwIQ");
        assert_eq!(seg("a-b_c.d~e"), "a-b_c.d~e");
    }
}
