//! Logging: a human format by default, JSON when configured; every line of a request
//! carries its request id through the request span (see `http::middleware`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber. Safe to call once per process; a second call (tests
/// that start several services) is a no-op.
pub fn init(config: &LogConfig) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&config.level).map_err(|e| {
        anyhow::anyhow!("configuration: `log.level` (env ZOOM_SCIM_LOG__LEVEL): {e}")
    })?;
    // Colour only on a terminal: escape codes are noise in files and `docker logs`.
    let builder = tracing_subscriber::fmt()
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE);
    let result = match config.format {
        LogFormat::Human => builder.with_target(true).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    // Already initialised (tests, demo): keep the first subscriber.
    let _ = result;
    Ok(())
}

/// `value` with every control character (C0, DEL, C1) and the Unicode line and paragraph
/// separators written as escapes (`\r`, `\n`, `\t`, `\u{1b}`), so no value can start a
/// new log line or drive a terminal.
pub fn escape_controls(value: &str) -> std::borrow::Cow<'_, str> {
    let needs = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
    if !value.chars().any(needs) {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if needs(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}
