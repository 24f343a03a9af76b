//! Composition root: builds the Zoom client, the provider and the HTTP router from a
//! [`Config`], and serves them.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::{Config, ConfigError};
use crate::http::lifecycle::Lifecycle;
use crate::http::{AppState, Authenticator, WebhookEndpoint, router, server};
use crate::provider::Provider;
use crate::provider::journal::unfinished_after;
use crate::store::Store;
use crate::zoom::ZoomClient;

/// A running SCIM service.
#[derive(Debug)]
pub struct Service {
    /// Where SCIM clients reach the service, e.g. `http://127.0.0.1:8080/scim/v2`.
    pub scim_base_url: String,
    /// The bound address.
    pub addr: std::net::SocketAddr,
    task: JoinHandle<anyhow::Result<()>>,
}

/// How often histogram samples are folded into their summaries.
const METRICS_UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// Histogram buckets of the durations, seconds: from a cached read (milliseconds) to a
/// large group change (minutes).
const DURATION_BUCKETS: [f64; 14] = [
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0,
];

/// The exporter, with the duration metrics as histograms (graphable percentiles by
/// route, endpoint and category) rather than summaries.
fn metrics_builder() -> metrics_exporter_prometheus::PrometheusBuilder {
    use metrics_exporter_prometheus::Matcher;
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &DURATION_BUCKETS)
        .unwrap_or_else(|_| unreachable!("the bucket list is not empty"))
}

/// The Prometheus recorder is process-wide: install it once, share the handle.
///
/// `install_recorder` leaves upkeep to the caller ("The caller is responsible for
/// ensuring that upkeep is run periodically", metrics-exporter-prometheus docs): without
/// it every histogram sample is kept until `/metrics` is scraped, so an unscraped
/// service grows by 8 bytes per Zoom call forever. A plain thread does it, as the
/// recorder outlives any one tokio runtime.
fn metrics_handle() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = metrics_builder().install_recorder().ok()?;
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(METRICS_UPKEEP);
                        upkeep.run_upkeep();
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
            }
            Some(handle)
        })
        .clone()
}

impl Service {
    /// Builds everything from `config` and starts serving on `listener`.
    pub async fn start(mut config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let addr = listener.local_addr()?;
        config.server.listen = addr;
        let scim_base_url = format!("{}{}", config.server.public_base(), config.scim.base_path);
        let authenticator = Arc::new(
            Authenticator::new(&config.auth).map_err(|e| ConfigError::in_section("auth", e))?,
        );
        let zoom = ZoomClient::new(&config.zoom)?;
        let webhook = config.zoom.webhook_verifier().map(|verifier| {
            tracing::info!(path = %config.zoom.webhook_path, "receiving Zoom's webhooks");
            Arc::new(WebhookEndpoint {
                path: config.zoom.webhook_path.clone(),
                verifier,
            })
        });
        let store = Store::open(&config.store).await?;
        tracing::info!(store = %store.shown_url(), "store opened");
        let scim = Arc::new(config.scim);
        let provider = Arc::new(Provider::new(
            zoom.clone(),
            scim.clone(),
            scim_base_url.clone(),
            store.clone(),
        ));
        let metrics = if config.server.metrics {
            metrics_handle()
        } else {
            None
        };
        let lifecycle = Arc::new(Lifecycle::default());
        let limits = server::Limits::of(&config.server);
        let upkeep = journal_upkeep(
            provider.clone(),
            store.clone(),
            unfinished_after(
                config.server.request_timeout_s,
                config.server.shutdown_grace_s,
            ),
            config.store.journal_days,
        );
        let deferred = deferred_changes(provider.clone());
        let watch = watch_changes(
            provider.clone(),
            store.clone(),
            config.store.watch_interval_s,
        );
        let server = Arc::new(config.server);
        let state = AppState {
            provider,
            server,
            scim,
            base_url: scim_base_url.clone().into(),
            metrics,
            lifecycle: lifecycle.clone(),
            zoom,
            readiness: Default::default(),
            store,
            webhook,
        };
        let app = router(state, authenticator);
        let task = tokio::spawn(async move {
            tokio::select! {
                served = server::serve(listener, app, limits, lifecycle, shutdown_signal()) => served?,
                () = upkeep => {}
                () = deferred => {}
                () = watch => {}
            }
            Ok(())
        });
        Ok(Self {
            scim_base_url,
            addr,
            task,
        })
    }

    /// Waits until the server stops (Ctrl-C or SIGTERM).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await?
    }

    /// Stops serving at once (tests).
    pub fn abort(&self) {
        self.task.abort();
    }
}

/// How often the journal is settled and pruned (also once at start).
const JOURNAL_UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Settles the journal's unfinished entries and prunes old ones, at start and then
/// every [`JOURNAL_UPKEEP_EVERY`]; never returns.
async fn journal_upkeep(
    provider: Arc<Provider>,
    store: Store,
    unfinished_after: chrono::Duration,
    journal_days: u64,
) {
    let keep = chrono::Duration::days(i64::try_from(journal_days).unwrap_or(36_500));
    let mut every = tokio::time::interval(JOURNAL_UPKEEP_EVERY);
    loop {
        every.tick().await;
        let now = chrono::Utc::now();
        match provider
            .journal_upkeep(&store, now - unfinished_after, now - keep)
            .await
        {
            Ok(done) if done.settled > 0 || done.pruned > 0 || done.deliveries_pruned > 0 => {
                tracing::info!(
                    settled = done.settled,
                    pruned = done.pruned,
                    webhook_deliveries_pruned = done.deliveries_pruned,
                    "journal upkeep"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "journal upkeep failed; retried later"),
        }
    }
}

/// Walks Zoom's listings every `interval_s` seconds to date changes made outside the
/// service (at start first); with 0, never. Never returns.
async fn watch_changes(provider: Arc<Provider>, store: Store, interval_s: u64) {
    if interval_s == 0 {
        return std::future::pending().await;
    }
    let mut every = tokio::time::interval(std::time::Duration::from_secs(interval_s));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match provider.watch_changes(&store).await {
            Ok(found) => {
                metrics::counter!("change_walks_total", "outcome" => "ok").increment(1);
                metrics::counter!("change_walk_changes_total", "kind" => "User")
                    .increment(found.users.changed as u64);
                metrics::counter!("change_walk_changes_total", "kind" => "Group")
                    .increment(found.groups.changed as u64);
                tracing::debug!(
                    new_users = found.users.new,
                    changed_users = found.users.changed,
                    new_groups = found.groups.new,
                    changed_groups = found.groups.changed,
                    "change walk done"
                );
            }
            Err(e) => {
                metrics::counter!("change_walks_total", "outcome" => "error").increment(1);
                tracing::warn!(detail = %e.detail, "change walk failed; retried at the next interval")
            }
        }
    }
}

/// How often users with deferred changes are checked (one `GET /users/{id}` each).
const DEFERRED_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Applies deferred changes of users who accepted their invitation, every
/// [`DEFERRED_CHECK_EVERY`]; never returns.
async fn deferred_changes(provider: Arc<Provider>) {
    let mut every = tokio::time::interval(DEFERRED_CHECK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match provider.apply_deferred_changes().await {
            Ok(0) => {}
            Ok(applied) => tracing::info!(applied, "deferred changes applied"),
            Err(e) => tracing::warn!(detail = %e.detail, "cannot check deferred changes now"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("Shutting down.");
}
