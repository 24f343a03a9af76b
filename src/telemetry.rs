//! Logging: a human format by default, JSON when configured; every line of a request
//! carries its request id through the request span (see `http::middleware`).

use std::io::IsTerminal;

use serde::{Deserialize, Serialize};
use tracing::field::{Field, Visit};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::{FmtSpan, Writer};

use crate::setting::Invalid;

/// Logging.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `human` (default) or `json`.
    pub format: LogFormat,
    /// A tracing filter directive, e.g. `info` or `zoom_scim=debug,info`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Human,
            level: "info".to_owned(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

impl LogConfig {
    /// Refuses a filter directive tracing cannot parse.
    pub fn validate(&self) -> Result<(), Invalid> {
        EnvFilter::try_new(&self.level)
            .map(drop)
            .map_err(|e| Invalid::new("level", e.to_string()))
    }
}

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
        LogFormat::Human => builder
            .with_target(true)
            .fmt_fields(EscapingFields)
            .try_init(),
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

/// The human format's fields, as tracing-subscriber's default writes them (`message`
/// first, then `name=value`), with control characters escaped in every value and
/// message: a value taken from a request (an id with CR/LF, a filter, a header) cannot
/// write a forged line. (The JSON format escapes them as JSON does.)
#[derive(Debug, Clone, Copy, Default)]
pub struct EscapingFields;

impl<'writer> FormatFields<'writer> for EscapingFields {
    fn format_fields<R: RecordFields>(
        &self,
        writer: Writer<'writer>,
        fields: R,
    ) -> std::fmt::Result {
        let mut visitor = EscapingVisitor {
            writer,
            empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct EscapingVisitor<'writer> {
    writer: Writer<'writer>,
    empty: bool,
    result: std::fmt::Result,
}

impl EscapingVisitor<'_> {
    fn write(&mut self, field: &Field, value: &str) {
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        let value = escape_controls(value);
        let separator = if self.empty { "" } else { " " };
        self.empty = false;
        let name = field.name().trim_start_matches("r#");
        self.result = if field.name() == "message" {
            write!(self.writer, "{separator}{value}")
        } else {
            write!(self.writer, "{separator}{name}={value}")
        };
    }
}

impl Visit for EscapingVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.write(field, value);
        } else {
            // Quoted, as the default format writes string values.
            self.write(field, &format!("{value:?}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.write(field, &format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn request_values_cannot_forge_a_log_line() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .fmt_fields(EscapingFields)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let forged = "abc\r\n2026-01-01T00:00:00Z  INFO zoom_scim: forged";
            let span = tracing::info_span!("request", route = %forged, method = "GET\u{1b}[2J");
            let _entered = span.enter();
            tracing::info!(id = %forged, filter = forged, "Served {}.", forged);
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.matches('\n').count(), 1, "one line: {text}");
        assert!(!text.contains('\r') && !text.contains('\u{1b}'), "{text}");
        assert!(text.contains("route=abc\\r\\n2026"), "{text}");
        assert!(text.contains("id=abc\\r\\n2026"), "{text}");
        assert!(text.contains("Served abc\\r\\n2026"), "{text}");
        assert!(text.contains("method=\"GET\\u{1b}[2J\""), "{text}");
    }

    #[test]
    fn escapes_control_characters_only() {
        assert_eq!(escape_controls("plain é ü"), "plain é ü");
        assert_eq!(
            escape_controls("a\tb\u{7f}\u{85}\u{2028}"),
            "a\\tb\\u{7f}\\u{85}\\u{2028}"
        );
    }
}
