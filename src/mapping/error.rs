//! Zoom failures -> SCIM errors. This is the only place that knows both sides: it gives
//! the SCIM client a status, a `scimType` and a detail without Zoom internals or
//! secrets. Pure: the caller logs Zoom's internal detail (`provider::failure`) and
//! passes the time.

use chrono::{DateTime, Utc};

use crate::scim::error::ScimError;
use crate::zoom::error::{DailyScope, ErrorKind, ZoomError};

/// Converts a Zoom failure met while doing `what` (e.g. "create user a@x.com"); `now`
/// turns the reset instant of a daily limit into `Retry-After` seconds.
pub fn scim_error(err: &ZoomError, what: &str, now: DateTime<Utc>) -> ScimError {
    // A body that is not Zoom's JSON error (a proxy's page) is logged, never quoted.
    let zoom_says = if err.message.is_empty() || err.unrecognised_body {
        String::new()
    } else {
        format!(": {}", err.message)
    };
    match &err.kind {
        ErrorKind::NotFound => ScimError::not_found(format!("{what}: not found in Zoom")),
        ErrorKind::Duplicate => {
            ScimError::uniqueness(format!("{what}: already exists in Zoom{zoom_says}"))
        }
        ErrorKind::AlreadyActiveElsewhere => ScimError::uniqueness(format!(
            "{what}: the e-mail address already holds an active account in another Zoom account{zoom_says}"
        )),
        ErrorKind::Validation | ErrorKind::BadRequest => {
            let fields: Vec<String> = err
                .errors
                .iter()
                .map(|f| format!("{}: {}", scim_attribute_of(&f.field), f.message))
                .collect();
            let fields = if fields.is_empty() {
                String::new()
            } else {
                format!(" ({})", fields.join("; "))
            };
            ScimError::invalid_value(format!(
                "{what}: Zoom rejected the value{zoom_says}{fields}"
            ))
        }
        ErrorKind::Permission => ScimError::forbidden(format!(
            "{what}: Zoom refused for lack of privilege or plan{zoom_says}"
        )),
        ErrorKind::MissingScope => ScimError::internal(format!(
            "{what}: the Zoom app is missing OAuth scopes{zoom_says}"
        )),
        ErrorKind::Auth(_) => ScimError::unavailable(
            format!(
                "{what}: zoom-scim cannot authenticate to Zoom{zoom_says}; check zoom.account_id, zoom.client_id and zoom.client_secret"
            ),
            Some(60),
        ),
        ErrorKind::PendingUser => ScimError::conflict(format!(
            "{what}: the user is pending (invited, not yet confirmed) and Zoom does not allow this until they accept{zoom_says}"
        )),
        ErrorKind::InactiveUser => ScimError::conflict(format!(
            "{what}: the user is deactivated; set active=true in the same request to change it{zoom_says}"
        )),
        ErrorKind::RateLimited { daily: true } => {
            let retry_after = err
                .retry_at
                .map(|at| (at - now).num_seconds().max(1) as u64)
                .unwrap_or(3600);
            match err.daily_scope() {
                // One user's limit (e.g. three e-mail changes a day): this request waits,
                // the service does not.
                Some(DailyScope::User) => ScimError::too_many_requests(
                    format!(
                        "{what}: Zoom's daily limit of this change for this user is reached; retry after the reset{zoom_says}"
                    ),
                    Some(retry_after),
                ),
                Some(DailyScope::Endpoint) => ScimError::unavailable(
                    format!(
                        "{what}: Zoom's daily limit of this kind of call for this account is reached; retry after the reset (other requests are served){zoom_says}"
                    ),
                    Some(retry_after),
                ),
                _ => ScimError::unavailable(
                    format!(
                        "{what}: Zoom's daily rate limit for this account is spent; retry after the reset"
                    ),
                    Some(retry_after),
                ),
            }
        }
        ErrorKind::RateLimited { daily: false } => ScimError::too_many_requests(
            format!("{what}: Zoom's per-second rate limit kept refusing after retries"),
            Some(1),
        ),
        ErrorKind::Unavailable => ScimError::unavailable(
            format!("{what}: Zoom is unavailable (errors or timeouts after retries)"),
            Some(5),
        ),
        ErrorKind::Conflict => {
            ScimError::conflict(format!("{what}: Zoom reported a conflict{zoom_says}"))
        }
        // RFC 9110 section 15.6.3: 502 "while acting as a gateway or proxy, received an
        // invalid response from an inbound server it accessed while attempting to fulfill
        // the request". Neither the request's values nor the resource are in question.
        ErrorKind::Decode => match err.status {
            Some(status) if !(200..300).contains(&status) => ScimError::bad_gateway(format!(
                "{what}: Zoom, or a proxy in front of it, answered HTTP {status} with something that is not a Zoom API error, which says nothing about the request's values (zoom-scim's log has the answer)"
            )),
            _ => ScimError::bad_gateway(format!(
                "{what}: Zoom's answer could not be read (zoom-scim's log has the details)"
            )),
        },
        ErrorKind::Config => ScimError::internal(format!(
            "{what}: zoom-scim's Zoom settings are unusable{zoom_says}"
        )),
    }
}

/// The SCIM attribute a field of Zoom's user body maps to, for the field errors of a
/// refusal: the client knows `title`, not Zoom's `job_title`. Other names are shown as
/// Zoom gives them.
fn scim_attribute_of(zoom_field: &str) -> &str {
    let field = zoom_field.strip_prefix("user_info.").unwrap_or(zoom_field);
    match field {
        "email" => "userName",
        "first_name" => "name.givenName",
        "last_name" => "name.familyName",
        "display_name" => "displayName",
        "job_title" => "title",
        "dept" => "department",
        "company" => "organization",
        "cost_center" => "costCenter",
        "manager" => "manager",
        "language" => "preferredLanguage",
        "timezone" => "timezone",
        "phone_numbers" | "phone_number" => "phoneNumbers",
        "type" => "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:type",
        "location" => "urn:ietf:params:scim:schemas:extension:zoom:2.0:User:location",
        _ => zoom_field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    /// 2026-02-07T10:00:00Z.
    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_770_458_400, 0).unwrap()
    }

    fn answer(status: u16, body: &str) -> ZoomError {
        ZoomError::from_response(
            "GET",
            "/users/{userId}",
            status,
            &HeaderMap::new(),
            body.as_bytes(),
            now(),
        )
    }

    #[test]
    fn a_daily_limit_is_retried_after_the_reset_counted_from_the_callers_time() {
        // No Retry-After: Zoom's daily quotas reset at 00:00 UTC, 14 hours after `now`.
        let err = answer(
            429,
            r#"{"code":429,"message":"You have reached the maximum daily rate limit for this API."}"#,
        );
        assert_eq!(err.kind, ErrorKind::RateLimited { daily: true });
        let at = |hours| {
            scim_error(
                &err,
                "read user abc",
                now() + chrono::Duration::hours(hours),
            )
        };
        assert_eq!(at(0).retry_after_s, Some(14 * 3600));
        assert_eq!(at(4).retry_after_s, Some(10 * 3600));
        // Past the reset, still at least one second.
        assert_eq!(at(15).retry_after_s, Some(1));
    }

    #[test]
    fn zoom_field_errors_name_the_scim_attributes() {
        let err = answer(
            400,
            r#"{"code":300,"message":"Validation Failed.","errors":[{"field":"job_title","message":"The length of this field must be at most 128 characters."},{"field":"user_info.type","message":"User type 99 can only be set with ssoCreate."},{"field":"something_else","message":"x"}]}"#,
        );
        let detail = scim_error(&err, "update user abc", now()).detail;
        assert!(
            detail.contains("(title: The length of this field must be at most 128 characters.; urn:ietf:params:scim:schemas:extension:zoom:2.0:User:type: User type 99 can only be set with ssoCreate.; something_else: x)"),
            "{detail}"
        );
        assert!(!detail.contains("job_title"), "{detail}");
    }

    #[test]
    fn a_proxy_page_is_502_and_its_text_stays_out_of_the_detail() {
        let page = "<html><title>400 Request Header Or Cookie Too Large</title><hr>nginx/1.18.0 at zoom-edge-07.internal.zoom.us</html>";
        for status in [400, 403, 404] {
            let scim = scim_error(&answer(status, page), "read user abc", now());
            assert_eq!(scim.status, 502, "{status}");
            assert_eq!(scim.scim_type, None, "{status}");
            assert!(
                scim.detail.starts_with("read user abc: "),
                "{}",
                scim.detail
            );
            assert!(
                scim.detail.contains(&format!("HTTP {status}")),
                "{}",
                scim.detail
            );
            assert!(!scim.detail.contains("nginx"), "{}", scim.detail);
            assert!(!scim.detail.contains("Cookie"), "{}", scim.detail);
        }
        // Behind a 401 too (the token was renewed and refused again).
        let scim = scim_error(&answer(401, page), "read user abc", now());
        assert!(!scim.detail.contains("nginx"), "{}", scim.detail);
    }

    #[test]
    fn zoom_validation_errors_stay_invalid_value() {
        let err = answer(
            400,
            r#"{"code":300,"message":"Validation Failed.","errors":[{"field":"email","message":"Invalid field."}]}"#,
        );
        let scim = scim_error(&err, "create user a@example.com", now());
        assert_eq!(scim.status, 400);
        assert_eq!(
            scim.scim_type,
            Some(crate::scim::error::ScimType::InvalidValue)
        );
        assert!(
            scim.detail.contains("userName: Invalid field."),
            "{}",
            scim.detail
        );
    }
}
