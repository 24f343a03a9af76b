//! The listener: HTTP/1.1 connections served by hyper with a header-read timeout, a cap
//! on open connections with a reserve for the health probes, a body-read timeout, the
//! per-request deadline, and a graceful shutdown that waits for writes under way.
//!
//! What each limit does when it fires:
//! - headers not complete within `server.header_read_timeout_s` (also the idle time of
//!   a keep-alive connection): hyper closes the connection;
//! - body not complete within `server.body_read_timeout_s`: 408 with a SCIM body, and
//!   the connection is closed;
//! - answer not ready within `server.request_timeout_s`: 503 with a SCIM body and
//!   `Retry-After`. A read is abandoned; a write is not: it goes on to the end (a Zoom
//!   plan cut between two calls would leave a half-applied change that nobody
//!   reports), and its outcome is logged. The deadline lives in [`deadline`] alone, so
//!   a route can be exempted there (a streamed listing's deadline will be on progress).
//! - `server.max_connections` open: [`HEALTH_RESERVE`] more connections are accepted,
//!   one request each, and only `/healthz` and `/readyz` are served on them (others:
//!   503); beyond that, new connections wait in the listen backlog.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;
use tracing::Instrument;

use super::AppState;
use super::lifecycle::Lifecycle;
use super::settings::ServerConfig;
use crate::scim::error::ScimError;

/// Connections accepted beyond `server.max_connections` for the health probes only.
pub const HEALTH_RESERVE: usize = 16;

/// The header-read timeout of a reserve connection at most: a probe sends its request
/// at once, and a reserve held by slow clients would keep the probes out.
const RESERVE_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// `Retry-After` of a request that passed its deadline, seconds.
const DEADLINE_RETRY_AFTER_S: u64 = 30;

/// Paths a reserve connection serves.
const HEALTH_PATHS: [&str; 2] = ["/healthz", "/readyz"];

/// Marks a request that came on a reserve connection.
#[derive(Debug, Clone, Copy)]
struct ReserveConnection;

/// The listener's limits, from [`ServerConfig`].
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    header_read_timeout: Duration,
    max_connections: usize,
    shutdown_grace: Duration,
}

impl Limits {
    /// The limits `config` sets.
    pub fn of(config: &ServerConfig) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_s.max(1)),
            max_connections: config.max_connections.max(1),
            shutdown_grace: Duration::from_secs(config.shutdown_grace_s),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, lets the
/// requests under way finish and waits for the writes under way, for at most
/// `server.shutdown_grace_s`. Writes still running then are logged with what they
/// applied.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    lifecycle: Arc<Lifecycle>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let general = Arc::new(Semaphore::new(limits.max_connections));
    let reserve = Arc::new(Semaphore::new(HEALTH_RESERVE));
    let (closing, closing_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let slot: (OwnedSemaphorePermit, bool) = tokio::select! {
            () = &mut shutdown => break,
            slot = connection_slot(&general, &reserve) => slot,
        };
        let (stream, _peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors or a connection reset before it was
                    // accepted: wait a little rather than spin.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // The slot was taken before the connection came: an ordinary one may have been
        // freed since.
        let slot = match slot {
            (_, true) => match general.clone().try_acquire_owned() {
                Ok(permit) => (permit, false),
                Err(_) => slot,
            },
            slot => slot,
        };
        // Responses leave at once: without TCP_NODELAY the last small segment of a
        // large page can wait for the client's delayed ACK (Nagle).
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
        tokio::spawn(serve_connection(
            stream,
            app.clone(),
            slot,
            limits,
            closing_rx.clone(),
        ));
    }
    lifecycle.drain();
    drop(listener);
    drop(closing_rx);
    let writes = lifecycle.writes();
    tracing::info!(
        writes_under_way = writes,
        grace_s = limits.shutdown_grace.as_secs(),
        "Stopped accepting; finishing the requests and writes under way."
    );
    let _ = closing.send(true);
    let finished = tokio::time::timeout(limits.shutdown_grace, async {
        closing.closed().await;
        lifecycle.writes_done().await;
    })
    .await;
    match finished {
        Ok(()) => tracing::info!("Every request and write under way finished."),
        Err(_) => {
            tracing::warn!(
                writes_under_way = lifecycle.writes(),
                "The shutdown grace period ended with writes under way; they are cut now."
            );
            lifecycle.log_cut_writes();
            crate::provider::progress::log_writes_under_way();
        }
    }
    Ok(())
}

/// A permit to open one more connection: an ordinary one while any is left, else one
/// of the health reserve; waits when both are spent.
async fn connection_slot(
    general: &Arc<Semaphore>,
    reserve: &Arc<Semaphore>,
) -> (OwnedSemaphorePermit, bool) {
    if let Ok(permit) = general.clone().try_acquire_owned() {
        return (permit, false);
    }
    tokio::select! {
        biased;
        Ok(permit) = general.clone().acquire_owned() => (permit, false),
        Ok(permit) = reserve.clone().acquire_owned() => (permit, true),
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    app: Router,
    (permit, reserved): (OwnedSemaphorePermit, bool),
    limits: Limits,
    mut closing: watch::Receiver<bool>,
) {
    let service = app.map_request(move |mut request: Request<hyper::body::Incoming>| {
        if reserved {
            request.extensions_mut().insert(ReserveConnection);
        }
        request
    });
    let header_timeout = if reserved {
        limits.header_read_timeout.min(RESERVE_HEADER_TIMEOUT)
    } else {
        limits.header_read_timeout
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(!reserved);
    let connection =
        builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = async { drop(closing.wait_for(|closing| *closing).await) } => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = result {
        tracing::debug!(error = %err, "connection ended with an error");
    }
    drop(permit);
}

/// Serves only the health probes on a reserve connection.
pub async fn reserve_gate(request: Request, next: Next) -> Response {
    if request.extensions().get::<ReserveConnection>().is_some()
        && !HEALTH_PATHS.contains(&request.uri().path())
    {
        let mut error = ScimError::new(
            503,
            None,
            "the service has as many connections open as server.max_connections allows; try again shortly",
        );
        error.retry_after_s = Some(1);
        return error.into_response();
    }
    next.run(request).await
}

/// Whether `request` may change Zoom: `POST`, `PUT`, `PATCH` and `DELETE`, except the
/// `.search` queries (RFC 7644 section 3.4.3).
fn is_write(request: &Request) -> bool {
    matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && !request.uri().path().ends_with("/.search")
}

/// The per-request deadline (`server.request_timeout_s`) and the body-read timeout
/// (`server.body_read_timeout_s`). A write runs in its own task, so neither the
/// deadline nor a client that hangs up cuts it between two Zoom calls; a shutdown
/// waits for it.
pub async fn deadline(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let timeout = Duration::from_secs(state.server.request_timeout_s.max(1));
    let body_timeout = Duration::from_secs(state.server.body_read_timeout_s.max(1));
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, Body::new(TimedBody::new(body, body_timeout)));
    if !is_write(&request) {
        return match tokio::time::timeout(timeout, next.run(request)).await {
            Ok(response) => response,
            Err(_) => {
                tracing::warn!(
                    timeout_s = timeout.as_secs(),
                    "Request abandoned at its deadline."
                );
                past_deadline(timeout, false)
            }
        };
    }
    let guard = state.lifecycle.write_started();
    let span = tracing::Span::current();
    let mut write = tokio::spawn(
        async move {
            let response = next.run(request).await;
            drop(guard);
            response
        }
        .instrument(span.clone()),
    );
    let outcome = tokio::select! {
        outcome = &mut write => outcome,
        () = tokio::time::sleep(timeout) => {
            tracing::warn!(
                timeout_s = timeout.as_secs(),
                "Write passed its deadline; answered 503, and the write goes on to its end."
            );
            tokio::spawn(
                async move {
                    match write.await {
                        Ok(response) => tracing::warn!(
                            status = response.status().as_u16(),
                            "Write that passed its deadline finished; its client was answered 503."
                        ),
                        Err(err) => tracing::error!(error = %err, "Write that passed its deadline failed."),
                    }
                }
                .instrument(span),
            );
            return past_deadline(timeout, true);
        }
    };
    match outcome {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = %err, "Write task failed.");
            ScimError::internal("internal error; see the service log").into_response()
        }
    }
}

fn past_deadline(timeout: Duration, write: bool) -> Response {
    let detail = if write {
        format!(
            "the write took longer than server.request_timeout_s ({} s); it goes on in the service and its outcome is in the service log: read the resource before sending it again",
            timeout.as_secs()
        )
    } else {
        format!(
            "the request took longer than server.request_timeout_s ({} s)",
            timeout.as_secs()
        )
    };
    let mut error = ScimError::new(503, None, detail);
    error.retry_after_s = Some(DEADLINE_RETRY_AFTER_S);
    error.into_response()
}

/// A request body not complete within its deadline, counted from the request's
/// arrival.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not complete within {0:?}")]
pub struct BodyReadTimeout(Duration);

/// Whether `err` or one of its sources is a [`BodyReadTimeout`].
pub fn is_body_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<BodyReadTimeout>() {
            return true;
        }
        current = err.source();
    }
    false
}

pin_project_lite::pin_project! {
    /// A body that fails with [`BodyReadTimeout`] when it is not complete in time.
    struct TimedBody {
        #[pin]
        inner: Body,
        #[pin]
        deadline: tokio::time::Sleep,
        timeout: Duration,
    }
}

impl TimedBody {
    fn new(inner: Body, timeout: Duration) -> Self {
        Self {
            inner,
            deadline: tokio::time::sleep(timeout),
            timeout,
        }
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.project();
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if this.deadline.poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyReadTimeout(*this.timeout)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
