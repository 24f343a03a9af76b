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
