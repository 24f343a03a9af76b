//! SCIM filter -> the narrowest Zoom source that can answer it ("push-down").
//!
//! The whole filter is always evaluated again over the mapped resources, so a push-down
//! only has to be a superset of the answer: correctness never depends on it.

use crate::scim::model::urn;
use crate::scim::{AttrPath, CompValue, CompareOp, Filter};
use crate::zoom::model::UserStatus;

/// Where the users a filter can match come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSource {
    /// One `GET /users/{id}`.
    ById(String),
    /// One `GET /users/{email}`.
    ByEmail(String),
    /// The users the store knows by this `externalId`, each read with
    /// `GET /users/{id}`.
    ByExternalId(String),
    /// These users (named by the service's store), each read with `GET /users/{id}`.
    ByIds(Vec<String>),
    /// The users whose `meta.lastModified` compares with `at` as `op` says (`gt`, `ge`,
    /// `lt`, `le`), from the store, each read with `GET /users/{id}`: a delta import
    /// costs Zoom calls in proportion to the changes.
    ModifiedWhen {
        /// The comparison.
        op: CompareOp,
        /// The time compared with.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// The members of one group (`GET /groups/{id}/members`).
    GroupMembers(String),
    /// `GET /users?status=..` for these statuses (in this order), optionally `role_id`.
    Listing {
        /// Statuses to list.
        statuses: Vec<UserStatus>,
        /// `role_id` query parameter.
        role_id: Option<String>,
    },
    /// The filter cannot match anything (e.g. `active eq true and active eq false`).
    Empty,
}

/// Chooses the narrowest source for `filter`.
pub fn user_source(filter: Option<&Filter>) -> UserSource {
    let mut conjuncts = Vec::new();
    if let Some(f) = filter {
        flatten_and(f, &mut conjuncts);
    }
    let mut statuses: Vec<UserStatus> = UserStatus::ALL.to_vec();
    let mut role_id = None;
    let mut group = None;
    let mut email = None;
    let mut external_id = None;
    let mut modified = None;
    for term in &conjuncts {
        if let Some(when) = modified_term(term) {
            modified = modified.or(Some(when));
            continue;
        }
        match term_source(term) {
            Some(Term::Id(id)) => return UserSource::ById(id),
            Some(Term::ExternalId(e)) => external_id = external_id.or(Some(e)),
            Some(Term::Email(e)) => email = email.or(Some(e)),
            Some(Term::Group(g)) => group = group.or(Some(g)),
            Some(Term::Role(r)) => role_id = role_id.or(Some(r)),
            Some(Term::Statuses(allowed)) => statuses.retain(|s| allowed.contains(s)),
            None => {}
        }
    }
    if let Some(e) = external_id {
        return UserSource::ByExternalId(e);
    }
    if let Some(e) = email {
        return UserSource::ByEmail(e);
    }
    if let Some((op, at)) = modified {
        return UserSource::ModifiedWhen { op, at };
    }
    if statuses.is_empty() {
        return UserSource::Empty;
    }
    if let Some(g) = group {
        return UserSource::GroupMembers(g);
    }
    UserSource::Listing { statuses, role_id }
}

/// A `meta.lastModified gt|ge|lt|le "<dateTime>"` term: its comparison and time.
pub fn modified_term(term: &Filter) -> Option<(CompareOp, chrono::DateTime<chrono::Utc>)> {
    let Filter::Compare {
        path,
        op,
        value: CompValue::String(value),
    } = term
    else {
        return None;
    };
    let is_meta = path.attr.eq_ignore_ascii_case("meta")
        && path
            .sub_attr
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("lastModified"));
    if !is_meta
        || !matches!(
            op,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    {
        return None;
    }
    let at = chrono::DateTime::parse_from_rfc3339(value).ok()?;
    Some((*op, at.with_timezone(&chrono::Utc)))
}

fn flatten_and<'a>(filter: &'a Filter, out: &mut Vec<&'a Filter>) {
    match filter {
        Filter::And(a, b) => {
            flatten_and(a, out);
            flatten_and(b, out);
        }
        other => out.push(other),
    }
}

enum Term {
    Id(String),
    ExternalId(String),
    Email(String),
    Group(String),
    Role(String),
    Statuses(Vec<UserStatus>),
}

fn is_core(path: &AttrPath) -> bool {
    path.urn
        .as_deref()
        .is_none_or(|u| u.eq_ignore_ascii_case(urn::USER))
}

fn is_zoom_ext(path: &AttrPath) -> bool {
    path.urn
        .as_deref()
        .is_none_or(|u| u.eq_ignore_ascii_case(urn::ZOOM_USER))
}

fn named(path: &AttrPath, attr: &str, sub: Option<&str>) -> bool {
    path.attr.eq_ignore_ascii_case(attr)
        && match (path.sub_attr.as_deref(), sub) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
}

fn string_value(value: &CompValue) -> Option<String> {
    match value {
        CompValue::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn bool_value(value: &CompValue) -> Option<bool> {
    match value {
        CompValue::Bool(b) => Some(*b),
        CompValue::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        CompValue::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn term_source(term: &Filter) -> Option<Term> {
    match term {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } => compare_source(path, value),
        // `emails[type eq "work" and value eq "x"]`, `emails[value eq "x"]`,
        // `groups[value eq "g"]`: look for an equality on `value` inside.
        Filter::ValuePath { path, filter } => {
            let mut inner = Vec::new();
            flatten_and(filter, &mut inner);
            inner.iter().find_map(|f| match f {
                Filter::Compare {
                    path: sub,
                    op: CompareOp::Eq,
                    value,
                } if sub.urn.is_none() && named(sub, "value", None) => {
                    let combined = AttrPath {
                        urn: path.urn.clone(),
                        attr: path.attr.clone(),
                        sub_attr: Some("value".into()),
                    };
                    compare_source(&combined, value)
                }
                _ => None,
            })
        }
        _ => None,
    }
}

fn compare_source(path: &AttrPath, value: &CompValue) -> Option<Term> {
    if is_core(path) {
        if named(path, "id", None) {
            return string_value(value).map(Term::Id);
        }
        if named(path, "externalId", None) {
            return string_value(value).map(Term::ExternalId);
        }
        if named(path, "userName", None)
            || named(path, "emails", Some("value"))
            || named(path, "emails", None)
        {
            return string_value(value).map(Term::Email);
        }
        if named(path, "active", None) {
            return bool_value(value).map(|active| {
                Term::Statuses(if active {
                    vec![UserStatus::Active, UserStatus::Pending]
                } else {
                    vec![UserStatus::Inactive]
                })
            });
        }
        if named(path, "roles", Some("value")) || named(path, "roles", None) {
            return string_value(value).map(Term::Role);
        }
        if named(path, "groups", Some("value")) || named(path, "groups", None) {
            return string_value(value).map(Term::Group);
        }
    }
    if is_zoom_ext(path) {
        if named(path, "status", None) {
            let status = string_value(value).and_then(|s| UserStatus::parse(&s));
            // An unknown status matches nothing: an empty allowed set.
            return Some(Term::Statuses(status.into_iter().collect()));
        }
        if named(path, "groupIds", None) {
            return string_value(value).map(Term::Group);
        }
    }
    None
}

/// Conditions on Zoom Phone attributes that every match of a filter meets (its
/// top-level `and` terms), to search phone users first (`GET /phone/users`) instead of
/// every user. Like the rest of the push-down, a superset: the whole filter is
/// evaluated again over the joined data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhoneScope {
    /// `siteId eq`: `GET /phone/users?site_id=`.
    pub site_id: Option<String>,
    /// `siteName eq` (resolved to a site id through the site list).
    pub site_name: Option<String>,
    /// `siteCode eq` (resolved to a site id through the site list).
    pub site_code: Option<i64>,
    /// `extensionNumber eq`: `keyword=` ("partial string of user's name, extension
    /// number, or phone number", contract section 5).
    pub extension: Option<String>,
    /// `zoomPhoneNumbers eq`: `keyword=` with the number's digits.
    pub number: Option<String>,
    /// `callingPlans eq`: `calling_type=`.
    pub calling_plan: Option<i64>,
    /// Some term holds only for users with a phone profile, so only phone users can
    /// match.
    pub phone_users_only: bool,
}

fn int_value(value: &CompValue) -> Option<i64> {
    match value {
        CompValue::Number(n) => n.as_i64(),
        CompValue::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text_value(value: &CompValue) -> Option<String> {
    match value {
        CompValue::String(s) => Some(s.clone()),
        CompValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The phone terms of `filter` (see [`PhoneScope`]).
pub fn phone_scope(filter: Option<&Filter>) -> PhoneScope {
    let mut scope = PhoneScope::default();
    let mut conjuncts = Vec::new();
    if let Some(f) = filter {
        flatten_and(f, &mut conjuncts);
    }
    for term in conjuncts {
        let Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } = term
        else {
            continue;
        };
        if !is_zoom_ext(path) || path.sub_attr.is_some() {
            continue;
        }
        let attr = path.attr.to_ascii_lowercase();
        let pinned = match attr.as_str() {
            "zoomphonefeature" => bool_value(value) == Some(true),
            "zoomphonestatus" => text_value(value).is_some(),
            "siteid" => {
                let v = text_value(value);
                scope.site_id = scope.site_id.take().or(v.clone());
                v.is_some()
            }
            "sitename" => {
                let v = text_value(value);
                scope.site_name = scope.site_name.take().or(v.clone());
                v.is_some()
            }
            "sitecode" => {
                let v = int_value(value);
                scope.site_code = scope.site_code.or(v);
                v.is_some()
            }
            "extensionnumber" => {
                let v = text_value(value);
                scope.extension = scope.extension.take().or(v.clone());
                v.is_some()
            }
            "zoomphonenumbers" => {
                let v = text_value(value);
                scope.number = scope.number.take().or(v.clone());
                v.is_some()
            }
            "callingplans" => {
                let v = int_value(value);
                scope.calling_plan = scope.calling_plan.or(v);
                v.is_some()
            }
            _ => false,
        };
        scope.phone_users_only |= pinned;
    }
    scope
}

/// Lower-cased names of every attribute a filter mentions (URN prefixes dropped;
/// sub-attributes of value paths included as `attr.sub`).
pub fn referenced_attributes(filter: &Filter) -> Vec<String> {
    fn walk(f: &Filter, out: &mut Vec<String>) {
        match f {
            Filter::And(a, b) | Filter::Or(a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Filter::Not(inner) => walk(inner, out),
            Filter::Compare { path, .. } | Filter::Present(path) => out.push(path_name(path)),
            Filter::ValuePath { path, filter } => {
                out.push(path_name(path));
                walk(filter, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(filter, &mut out);
    out
}

fn path_name(path: &AttrPath) -> String {
    path.attr.to_ascii_lowercase()
}

/// True when the source chosen by [`user_source`] answers the filter exactly (only
/// status and role terms joined by `and`), so Zoom's `total_records` are exact and no
/// in-memory evaluation is needed.
pub fn exactly_pushed_down(filter: Option<&Filter>) -> bool {
    let Some(filter) = filter else { return true };
    let mut conjuncts = Vec::new();
    flatten_and(filter, &mut conjuncts);
    conjuncts
        .iter()
        .all(|t| matches!(term_source(t), Some(Term::Statuses(_) | Term::Role(_))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse_filter;

    fn source(filter: &str) -> UserSource {
        user_source(Some(&parse_filter(filter).unwrap()))
    }

    fn listing(statuses: &[UserStatus], role_id: Option<&str>) -> UserSource {
        UserSource::Listing {
            statuses: statuses.to_vec(),
            role_id: role_id.map(str::to_owned),
        }
    }

    #[test]
    fn phone_terms_pin_phone_users() {
        let scope = |f: &str| phone_scope(Some(&parse_filter(f).unwrap()));
        let s = scope(
            "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:extensionNumber eq \"10001\"",
        );
        assert_eq!(s.extension.as_deref(), Some("10001"));
        assert!(s.phone_users_only);
        let s = scope("siteName eq \"London\" and active eq true and callingPlans eq 200");
        assert_eq!(s.site_name.as_deref(), Some("London"));
        assert_eq!(s.calling_plan, Some(200));
        assert!(s.phone_users_only);
        let s =
            scope("siteId eq \"s1\" and siteCode eq 3 and zoomPhoneNumbers eq \"+14085550100\"");
        assert_eq!(s.site_id.as_deref(), Some("s1"));
        assert_eq!(s.site_code, Some(3));
        assert_eq!(s.number.as_deref(), Some("+14085550100"));
        assert!(scope("zoomPhoneFeature eq true").phone_users_only);
        // Terms that non-phone users can meet pin nothing.
        for f in [
            "zoomPhoneFeature eq false",
            "siteName eq \"London\" or title eq \"x\"",
            "not (siteId eq \"s1\")",
            "siteName pr",
            "title eq \"x\"",
        ] {
            assert!(!scope(f).phone_users_only, "{f}");
        }
        assert_eq!(phone_scope(None), PhoneScope::default());
    }

    #[test]
    fn pushes_down_what_zoom_can_answer() {
        use UserStatus::*;
        let cases = [
            ("id eq \"abc\"", UserSource::ById("abc".into())),
            (
                "externalId eq \"00ujl29u\" and active eq true",
                UserSource::ByExternalId("00ujl29u".into()),
            ),
            // The id still wins: one read, and the whole filter is evaluated after.
            (
                "externalid eq \"e\" and id eq \"abc\"",
                UserSource::ById("abc".into()),
            ),
            (
                "userName eq \"a@x.com\"",
                UserSource::ByEmail("a@x.com".into()),
            ),
            (
                "username EQ \"a@x.com\"",
                UserSource::ByEmail("a@x.com".into()),
            ),
            (
                "emails.value eq \"a@x.com\"",
                UserSource::ByEmail("a@x.com".into()),
            ),
            (
                "emails[type eq \"work\" and value eq \"a@x.com\"]",
                UserSource::ByEmail("a@x.com".into()),
            ),
            (
                "id eq \"abc\" and title eq \"Engineer\"",
                UserSource::ById("abc".into()),
            ),
            ("active eq true", listing(&[Active, Pending], None)),
            ("active eq false", listing(&[Inactive], None)),
            (
                "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:status eq \"pending\"",
                listing(&[Pending], None),
            ),
            (
                "active eq true and urn:ietf:params:scim:schemas:extension:zoom:2.0:User:status eq \"inactive\"",
                UserSource::Empty,
            ),
            (
                "roles.value eq \"1\"",
                listing(&[Active, Inactive, Pending], Some("1")),
            ),
            (
                "groups.value eq \"g1\"",
                UserSource::GroupMembers("g1".into()),
            ),
            (
                "title eq \"Engineer\"",
                listing(&[Active, Inactive, Pending], None),
            ),
            (
                "userName eq \"a@x.com\" or userName eq \"b@x.com\"",
                listing(&[Active, Inactive, Pending], None),
            ),
            (
                "not (active eq true)",
                listing(&[Active, Inactive, Pending], None),
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(source(filter), expected, "{filter}");
        }
        assert_eq!(
            user_source(None),
            listing(&[Active, Inactive, Pending], None)
        );
    }
}
