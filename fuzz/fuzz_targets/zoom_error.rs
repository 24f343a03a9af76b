//! Zoom's error answers on any bytes: classification of a non-2xx answer (Zoom's
//! `{code, message, errors}` body or anything a proxy sends, with its rate-limit and
//! `Retry-After` headers), then the SCIM error it becomes.
//!
//! Input: the status as a decimal line, header lines `name: value`, an empty line, the
//! body. Inputs not in that shape are read as a 502 whose body is the whole input.

#![no_main]

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use zoom_scim::mapping::error::scim_error;
use zoom_scim::zoom::ZoomError;
use zoom_scim_fuzz::assert_client_error;

/// Status, headers and body from the input.
fn answer(data: &[u8]) -> (u16, HeaderMap, &[u8]) {
    let mut headers = HeaderMap::new();
    let Some(end) = data.windows(2).position(|w| w == b"\n\n") else {
        return (502, headers, data);
    };
    let head = String::from_utf8_lossy(&data[..end]);
    let body = &data[end + 2..];
    let mut lines = head.lines();
    let status = match lines.next().and_then(|l| l.trim().parse::<u16>().ok()) {
        Some(status) if (300..600).contains(&status) => status,
        _ => return (502, headers, data),
    };
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(value.trim()),
            )
        {
            headers.append(name, value);
        }
    }
    (status, headers, body)
}

fuzz_target!(|data: &[u8]| {
    let (status, headers, body) = answer(data);
    let now: DateTime<Utc> = DateTime::from_timestamp(1_770_458_400, 0).expect("a fixed time");
    let error = ZoomError::from_response("GET", "/users/{userId}", status, &headers, body, now);
    assert_eq!(error.status, Some(status));
    if error.unrecognised_body {
        // A proxy's page is kept as a short printable prefix, never as sent.
        assert!(error.message.chars().count() <= 121, "{:?}", error.message);
        assert!(
            !error.message.chars().any(char::is_control),
            "{:?}",
            error.message
        );
    }
    let _ = error.to_string();
    let scim = scim_error(&error, "read user u1", now);
    assert!((400..600).contains(&scim.status), "{scim}");
    if scim.status < 500 {
        assert_client_error(&scim, "mapped Zoom error", &error);
    }
    let _ = scim.to_body();
});
