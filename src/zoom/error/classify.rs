//! Classification: how a Zoom answer (status, `{code, message, errors}` body, rate-limit
//! and `Retry-After` headers) or a transport failure becomes a [`ZoomError`]. Zoom's
//! behaviour behind each code is in docs/zoom-contract.md (sections 1, 3 to 5 and 7).

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::{AuthFailure, DailyScope, ErrorKind, FieldError, ZoomError};
use crate::zoom::limits::Category;
use crate::zoom::retry::{RetryAfter, parse_retry_after};

/// Zoom's tracking-id response header (Zoom's SDK reads it: `TRACKING_ID_HEADER`).
pub const TRACKING_ID_HEADER: &str = "x-zm-trackingid";
/// The category of the endpoint that answered (contract section 7.3).
pub const RATE_CATEGORY_HEADER: &str = "x-ratelimit-category";
/// `QPS` or `Daily-limit` on a 429 (contract section 7.3).
pub const RATE_TYPE_HEADER: &str = "x-ratelimit-type";

impl DailyScope {
    /// Read from Zoom's message of a daily 429 (contract section 7): the account's quota
    /// of a whole category ("You have reached the maximum daily rate limit for this API"),
    /// the account's quota of one kind of call ("...daily rate limit (10000) of Create
    /// User API requests permitted for this account"), or one user's ("...(3) of Update
    /// User Email API requests permitted for this particular user").
    fn of_message(message: &str) -> Self {
        let message = message.to_ascii_lowercase();
        if message.contains("particular user") {
            DailyScope::User
        } else if message.contains("api requests permitted for this account") {
            DailyScope::Endpoint
        } else {
            DailyScope::Category
        }
    }
}

impl ZoomError {
    /// Classifies a non-2xx answer of the REST API.
    ///
    /// Zoom's error body is `{"code": int, "message": str, "errors": [{field, message}]}`
    /// (Zoom "Error Codes" page). Other bodies (an HTML page from a proxy) are classified
    /// from the status alone, a 4xx as [`ErrorKind::Decode`] (see [`classify`]), with a
    /// sanitised prefix as the message, flagged
    /// [`unrecognised_body`](super::ZoomErrorDetail::unrecognised_body).
    pub fn from_response(
        method: &'static str,
        path: &'static str,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Self {
        let parsed = serde_json::from_slice::<ZoomErrorBody>(body).ok();
        let (zoom_shaped, code, message, errors) = match parsed {
            Some(b) if b.code.is_some() || b.message.is_some() => (
                true,
                b.code,
                b.message.unwrap_or_default(),
                b.errors.unwrap_or_default(),
            ),
            _ => (false, None, sanitize_body(body), Vec::new()),
        };
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let rate_type = header(RATE_TYPE_HEADER);
        let kind = if zoom_shaped {
            classify(status, code, &message, !errors.is_empty(), rate_type)
        } else {
            classify_unrecognised(status, rate_type)
        };
        let retry_at = header("retry-after")
            .and_then(parse_retry_after)
            .and_then(|r| match r {
                RetryAfter::At(at) => Some(at),
                // A delay past chrono's last date is no usable time (and `+` would panic).
                RetryAfter::Delay(d) => now.checked_add_signed(
                    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero()),
                ),
            })
            .or_else(|| {
                // A daily 429 without a usable Retry-After: Zoom's daily quotas reset at
                // 00:00 UTC ("You may resume these requests at GMT 00:00:00").
                matches!(kind, ErrorKind::RateLimited { daily: true })
                    .then(|| next_utc_midnight(now))
            });
        let mut error = Self::new(kind, method, path, message);
        let d = error.detail_mut();
        d.status = Some(status);
        d.code = code;
        d.unrecognised_body = !zoom_shaped;
        if d.kind == (ErrorKind::RateLimited { daily: true }) {
            d.daily_scope = Some(DailyScope::of_message(&d.message));
        }
        d.errors = errors;
        d.tracking_id = header(TRACKING_ID_HEADER).map(str::to_owned);
        d.category = header(RATE_CATEGORY_HEADER).and_then(Category::from_label);
        d.retry_at = retry_at;
        // A 5xx was answered by something after the request left: it may have been applied.
        d.outcome_unknown = status >= 500;
        error
    }

    /// A transport failure (connect error, timeout, dropped connection). The outcome is
    /// unknown unless the connection could not even be made. The URL is stripped from
    /// the message (it carries user emails); the cause chain is kept.
    pub fn from_transport(err: reqwest::Error, method: &'static str, path: &'static str) -> Self {
        let not_sent = err.is_connect();
        let what = if err.is_timeout() {
            "timed out"
        } else if err.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        let err = err.without_url();
        let mut message = format!("{what}: {err}");
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        let mut error = Self::new(ErrorKind::Unavailable, method, path, message);
        error.detail_mut().outcome_unknown = !not_sent;
        error
    }
}

/// Zoom's error body. Every field optional: bodies vary.
#[derive(Debug, Deserialize)]
struct ZoomErrorBody {
    code: Option<i64>,
    message: Option<String>,
    errors: Option<Vec<FieldError>>,
}

/// Maps status, Zoom code and headers to a kind. Codes win over statuses (Zoom puts most
/// errors under 400 and distinguishes them by code).
pub(crate) fn classify(
    status: u16,
    code: Option<i64>,
    message: &str,
    has_field_errors: bool,
    rate_type: Option<&str>,
) -> ErrorKind {
    if status == 429 {
        // Contract 7.3: `X-RateLimit-Type: QPS|Daily-limit`; the daily message says
        // "maximum daily rate limit".
        let daily = match rate_type {
            Some(t) => t.to_ascii_lowercase().contains("daily"),
            None => message.to_ascii_lowercase().contains("daily"),
        };
        return ErrorKind::RateLimited { daily };
    }
    if status == 401 {
        // An expired, invalidated or unknown token: 401 `{"code":124}` (contract 1).
        return ErrorKind::Auth(if code == Some(124) || code.is_none() {
            AuthFailure::TokenRejected
        } else {
            AuthFailure::Other
        });
    }
    if status >= 500 || status == 408 {
        return ErrorKind::Unavailable;
    }
    let lower = message.to_ascii_lowercase();
    match code {
        Some(4711 | 4700) => return ErrorKind::MissingScope,
        Some(1001 | 4130 | 4131 | 1034) => return ErrorKind::NotFound,
        Some(1005 | 4132 | 1224) => return ErrorKind::Duplicate,
        Some(1009) => return ErrorKind::AlreadyActiveElsewhere,
        Some(1120) => return ErrorKind::PendingUser,
        // "You can not access settings of users that are still in pending state."
        Some(1000) if lower.contains("pending") => return ErrorKind::PendingUser,
        Some(1053) => return ErrorKind::InactiveUser,
        // No licence left to enable Zoom Phone (404 code 1102, contract section 3.9): the
        // account's pools are spent, nothing is missing.
        Some(1102) => return ErrorKind::Conflict,
        // Phone API: "Phone number already in use." is 400 code 409 (contract section 5.1).
        Some(409) if status == 400 => return ErrorKind::Conflict,
        Some(200) => return ErrorKind::Permission,
        Some(300) => return ErrorKind::Validation,
        Some(124) => return ErrorKind::Auth(AuthFailure::TokenRejected),
        _ => {}
    }
    match status {
        404 => ErrorKind::NotFound,
        412 => ErrorKind::Duplicate,
        409 => ErrorKind::Conflict,
        403 => ErrorKind::Permission,
        400 if has_field_errors => ErrorKind::Validation,
        _ => ErrorKind::BadRequest,
    }
}

/// Classifies an answer whose body is not Zoom's JSON error. What the status says
/// about transport stays (429 and 5xx are retried, a 401 renews the token); any other
/// 4xx came from something that is not Zoom's API logic (a gateway refusing the request's
/// headers, a misrouted path) and says nothing about the values sent or about whether a
/// resource exists, so it is [`ErrorKind::Decode`], never a validation or not-found.
pub(crate) fn classify_unrecognised(status: u16, rate_type: Option<&str>) -> ErrorKind {
    match status {
        401 | 408 | 429 | 500.. => classify(status, None, "", false, rate_type),
        _ => ErrorKind::Decode,
    }
}

/// A short, printable prefix of a non-JSON body: tags removed, whitespace collapsed,
/// control characters dropped, at most 120 characters.
pub(crate) fn sanitize_body(body: &[u8]) -> String {
    const MAX: usize = 120;
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let mut out = String::new();
    let mut in_tag = false;
    let mut last_space = true;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() || c.is_control() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
        if out.chars().count() >= MAX {
            out.push('…');
            break;
        }
    }
    let out = out.trim().to_owned();
    if out.is_empty() {
        "(empty body)".to_owned()
    } else {
        out
    }
}

/// The next 00:00:00 UTC after `now`.
pub(crate) fn next_utc_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = now.date_naive() + chrono::Days::new(1);
    tomorrow
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-02-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn answer(status: u16, headers: &[(&'static str, &str)], body: &str) -> ZoomError {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        ZoomError::from_response(
            "GET",
            "/users/{userId}",
            status,
            &map,
            body.as_bytes(),
            now(),
        )
    }

    #[test]
    fn classifies_zoom_codes_before_statuses() {
        let cases = [
            (
                404,
                r#"{"code":1001,"message":"User does not exist: x."}"#,
                ErrorKind::NotFound,
            ),
            (
                404,
                r#"{"code":4130,"message":"A group with this x does not exist."}"#,
                ErrorKind::NotFound,
            ),
            (
                404,
                r#"{"code":4131,"message":"Group member does not exist."}"#,
                ErrorKind::NotFound,
            ),
            (
                409,
                r#"{"code":1005,"message":"Email \"a@b.c\" has already been used."}"#,
                ErrorKind::Duplicate,
            ),
            (
                409,
                r#"{"code":4132,"message":"The group name \"x\" is already in use."}"#,
                ErrorKind::Duplicate,
            ),
            (
                412,
                r#"{"code":9999,"message":"Precondition failed"}"#,
                ErrorKind::Duplicate,
            ),
            (
                400,
                r#"{"code":1009,"message":"The user a@b.c already holds an active account"}"#,
                ErrorKind::AlreadyActiveElsewhere,
            ),
            (
                400,
                r#"{"code":300,"message":"Validation Failed."}"#,
                ErrorKind::Validation,
            ),
            (
                404,
                r#"{"code":1102,"message":"You cannot enable the Zoom Phone feature because you do not have any available licenses."}"#,
                ErrorKind::Conflict,
            ),
            (
                400,
                r#"{"code":409,"message":"Phone number already in use."}"#,
                ErrorKind::Conflict,
            ),
            (
                403,
                r#"{"code":2031,"message":"Zoom Phone has not been enabled for this account."}"#,
                ErrorKind::Permission,
            ),
            (
                400,
                r#"{"code":200,"message":"No privilege."}"#,
                ErrorKind::Permission,
            ),
            (
                400,
                r#"{"code":4711,"message":"Invalid access token, does not contain scopes:[user:read:admin]."}"#,
                ErrorKind::MissingScope,
            ),
            (
                400,
                r#"{"code":1120,"message":"A valid invitation to join the Zoom account was not found"}"#,
                ErrorKind::PendingUser,
            ),
            (
                400,
                r#"{"code":1000,"message":"You can not access settings of users that are still in pending state."}"#,
                ErrorKind::PendingUser,
            ),
            (
                400,
                r#"{"code":1000,"message":"Admin can not change other admins email"}"#,
                ErrorKind::BadRequest,
            ),
            (
                400,
                r#"{"code":1053,"message":"User is disabled"}"#,
                ErrorKind::InactiveUser,
            ),
            (
                401,
                r#"{"code":124,"message":"Invalid access token."}"#,
                ErrorKind::Auth(AuthFailure::TokenRejected),
            ),
            (
                409,
                r#"{"code":1234,"message":"Something else"}"#,
                ErrorKind::Conflict,
            ),
            (
                403,
                r#"{"code":403,"message":"Zoom Phone has not been enabled for this account"}"#,
                ErrorKind::Permission,
            ),
            (
                503,
                r#"{"code":503,"message":"Service unavailable"}"#,
                ErrorKind::Unavailable,
            ),
            (
                418,
                r#"{"code":7,"message":"teapot"}"#,
                ErrorKind::BadRequest,
            ),
        ];
        for (status, body, kind) in cases {
            assert_eq!(answer(status, &[], body).kind, kind, "{status} {body}");
        }
    }

    #[test]
    fn validation_keeps_field_errors_and_tracking_id() {
        let err = answer(
            400,
            &[(TRACKING_ID_HEADER, "v=2.0;clid=us06;rid=WEB_1")],
            r#"{"message":"Validation Failed.","errors":[{"field":"user_info.email","message":"Invalid field."}]}"#,
        );
        assert_eq!(err.kind, ErrorKind::Validation);
        assert_eq!(err.errors[0].field, "user_info.email");
        assert_eq!(
            err.tracking_id.as_deref(),
            Some("v=2.0;clid=us06;rid=WEB_1")
        );
        let text = err.to_string();
        assert!(text.contains("user_info.email: Invalid field."), "{text}");
        assert!(text.contains("WEB_1"), "{text}");
    }

    #[test]
    fn html_502_becomes_unavailable_with_a_short_clean_message() {
        let body = format!(
            "<html><head><title>502 Bad Gateway</title></head><body>\n<center><h1>502 Bad Gateway</h1></center>{}</body></html>",
            "x".repeat(500)
        );
        let err = answer(502, &[("content-type", "text/html")], &body);
        assert_eq!(err.kind, ErrorKind::Unavailable);
        assert!(
            err.message.starts_with("502 Bad Gateway 502 Bad Gateway"),
            "{}",
            err.message
        );
        assert!(err.message.chars().count() <= 121);
        assert!(!err.message.contains('<'));
        assert!(err.outcome_unknown);
    }

    #[test]
    fn a_daily_429_says_whose_quota_is_spent() {
        let daily = |message: &str| {
            answer(
                429,
                &[(RATE_TYPE_HEADER, "Daily-limit")],
                &serde_json::json!({"code": 429, "message": message}).to_string(),
            )
            .daily_scope()
        };
        assert_eq!(
            daily(
                "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request."
            ),
            Some(DailyScope::Category)
        );
        assert_eq!(
            daily(
                "You have exceeded the daily rate limit (10000) of Create User API requests permitted for this account. You may resume these requests at GMT 00:00:00."
            ),
            Some(DailyScope::Endpoint)
        );
        assert_eq!(
            daily(
                "You have exceeded the daily rate limit (3) of Update User Email API requests permitted for this particular user. You may resume these requests after 24 hours."
            ),
            Some(DailyScope::User)
        );
        let qps = answer(
            429,
            &[(RATE_TYPE_HEADER, "QPS")],
            r#"{"code":429,"message":"x"}"#,
        );
        assert_eq!(qps.daily_scope(), None);
    }

    #[test]
    fn a_4xx_that_is_not_a_zoom_error_is_unreadable_not_the_requests_fault() {
        let page = "<html><head><title>400 Request Header Or Cookie Too Large</title></head><body>nginx/1.18.0</body></html>";
        for status in [400, 403, 404, 409, 412, 413, 418] {
            let err = answer(status, &[("content-type", "text/html")], page);
            assert_eq!(err.kind, ErrorKind::Decode, "{status}");
            assert!(err.unrecognised_body, "{status}");
            assert!(!err.outcome_unknown, "{status}");
        }
        // JSON that is not Zoom's error shape is not Zoom speaking either.
        assert_eq!(answer(400, &[], r#"{"error":"x"}"#).kind, ErrorKind::Decode);
        assert_eq!(answer(404, &[], "").kind, ErrorKind::Decode);
        // What the status says about transport stays: retry, renew the token.
        assert_eq!(answer(502, &[], page).kind, ErrorKind::Unavailable);
        assert_eq!(answer(408, &[], page).kind, ErrorKind::Unavailable);
        assert_eq!(
            answer(429, &[], page).kind,
            ErrorKind::RateLimited { daily: false }
        );
        assert_eq!(
            answer(401, &[], page).kind,
            ErrorKind::Auth(AuthFailure::TokenRejected)
        );
        // Zoom's own error keeps its words.
        let zoom = answer(400, &[], r#"{"code":300,"message":"Validation Failed."}"#);
        assert!(!zoom.unrecognised_body);
        assert_eq!(zoom.message, "Validation Failed.");
    }

    #[test]
    fn rate_limit_type_and_reset_time() {
        let daily = answer(
            429,
            &[
                (RATE_TYPE_HEADER, "Daily-limit"),
                (RATE_CATEGORY_HEADER, "Heavy"),
                ("retry-after", "2026-02-08T00:00:00Z"),
            ],
            r#"{"code":429,"message":"You have reached the maximum daily rate limit for this API."}"#,
        );
        assert_eq!(daily.kind, ErrorKind::RateLimited { daily: true });
        assert_eq!(daily.category, Some(Category::Heavy));
        assert_eq!(
            daily.retry_at.unwrap().to_rfc3339(),
            "2026-02-08T00:00:00+00:00"
        );

        let qps = answer(
            429,
            &[(RATE_TYPE_HEADER, "QPS"), ("retry-after", "1")],
            "{}",
        );
        assert_eq!(qps.kind, ErrorKind::RateLimited { daily: false });
        assert_eq!(qps.retry_at, Some(now() + chrono::Duration::seconds(1)));

        // Found by fuzzing (fuzz/ target `zoom_error`): delays too large for a Duration
        // or for a date panicked; they are no usable time, as if absent.
        for absurd in ["1e30", "9000000000000000"] {
            let qps = answer(429, &[("retry-after", absurd)], "{}");
            assert_eq!(qps.retry_at, None, "{absurd}");
            let daily = answer(
                429,
                &[(RATE_TYPE_HEADER, "Daily-limit"), ("retry-after", absurd)],
                "{}",
            );
            assert_eq!(
                daily.retry_at.map(|at| at.to_rfc3339()).as_deref(),
                Some("2026-02-08T00:00:00+00:00"),
                "{absurd}"
            );
        }

        // No headers at all: the message decides, and the daily reset defaults to midnight UTC.
        let bare = answer(
            429,
            &[],
            r#"{"code":429,"message":"You have reached the maximum daily rate limit for this API."}"#,
        );
        assert!(bare.is_daily_limit());
        assert_eq!(
            bare.retry_at.unwrap().to_rfc3339(),
            "2026-02-08T00:00:00+00:00"
        );
    }

    #[test]
    fn page_token_expiry_is_recognised_on_users_and_phone() {
        let users = answer(
            400,
            &[],
            r#"{"code":300,"message":"The next page token is invalid or expired."}"#,
        );
        assert!(users.is_page_token_expired());
        let phone = answer(
            400,
            &[],
            r#"{"code":400,"message":"The next page token is invalid or expired."}"#,
        );
        assert!(phone.is_page_token_expired());
        let other = answer(400, &[], r#"{"code":300,"message":"Validation Failed."}"#);
        assert!(!other.is_page_token_expired());
    }

    #[test]
    fn display_names_the_call_or_the_client() {
        let err = answer(
            404,
            &[],
            r#"{"code":1001,"message":"User does not exist: x."}"#,
        );
        assert_eq!(
            err.to_string(),
            "Zoom GET /users/{userId}: not found (HTTP 404, code 1001): User does not exist: x."
        );
        let config = ZoomError::new(ErrorKind::Config, "-", "-", "zoom.client_secret is not set");
        assert_eq!(
            config.to_string(),
            "Zoom client: client misconfigured: zoom.client_secret is not set"
        );
    }
}
