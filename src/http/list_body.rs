//! A listing's answer: a held page as one JSON body, a streamed one as a chunked body
//! written while the provider reads Zoom.
//!
//! A streamed body's deadline is on progress: each chunk must follow the last within
//! `server.request_timeout_s`, however long the whole listing takes. A listing that
//! fails part-way (Zoom down, no progress in time, the producer gone) ends the body with
//! an error: hyper then closes the connection without the last chunk, and the client's
//! JSON is unterminated, so no client can take a short listing for a complete one.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use tracing::Instrument;

use super::error::SCIM_JSON;
use super::response::scim_json;
use crate::provider::{ListChunk, ListStream, Listing};
use crate::scim::list_stream::ListResponseWriter;

/// Why a streamed listing was cut (the body's error; the log says more).
#[derive(Debug, thiserror::Error)]
#[error("the listing was cut part-way: {0}")]
struct ListingCut(&'static str);

/// The response of a listing; `progress` is the longest wait between two chunks.
pub fn listing_response(listing: Listing, progress: Duration) -> Response {
    match listing {
        Listing::Page(page) => scim_json(page.to_json()).into_response(),
        Listing::Streamed(stream) => streamed(stream, progress),
    }
}

/// Where a streamed body is.
struct Streaming {
    writer: ListResponseWriter,
    chunks: tokio::sync::mpsc::Receiver<ListChunk>,
    started: Instant,
}

fn streamed(stream: ListStream, progress: Duration) -> Response {
    let (writer, head) = ListResponseWriter::start(stream.start_index, stream.total);
    let state = Streaming {
        writer,
        chunks: stream.chunks,
        started: Instant::now(),
    };
    let span = tracing::Span::current();
    let rest = futures::stream::unfold(Some(state), move |state| {
        next_piece(state, progress).instrument(span.clone())
    });
    let body = futures::stream::once(async move { Ok(Bytes::from(head)) }).chain(rest);
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
        Body::from_stream(body),
    )
        .into_response()
}

type Piece = Result<Bytes, ListingCut>;

/// The next piece of the body, and the state after it (`None` once ended or cut).
async fn next_piece(
    state: Option<Streaming>,
    progress: Duration,
) -> Option<(Piece, Option<Streaming>)> {
    let mut state = state?;
    let sent = state.writer.items();
    let cut = |reason: &'static str| Some((Err(ListingCut(reason)), None));
    match tokio::time::timeout(progress, state.chunks.recv()).await {
        Ok(Some(ListChunk::Resources(resources))) => {
            let text = state.writer.resources(&resources);
            Some((Ok(Bytes::from(text)), Some(state)))
        }
        Ok(Some(ListChunk::End { total })) => {
            tracing::info!(
                resources = sent,
                seconds = state.started.elapsed().as_secs_f64(),
                "Streamed listing complete."
            );
            let tail = state.writer.finish(total);
            Some((Ok(Bytes::from(tail)), None))
        }
        Ok(Some(ListChunk::Failed(error))) => {
            tracing::warn!(
                resources = sent,
                status = error.status,
                detail = %crate::telemetry::escape_controls(&error.detail),
                "Streamed listing failed part-way; the answer is cut so that it does not parse."
            );
            cut("the listing failed; see the service log")
        }
        Ok(None) => {
            tracing::error!(
                resources = sent,
                "Streamed listing's producer ended without a last chunk; the answer is cut."
            );
            cut("the listing's producer stopped")
        }
        Err(_) => {
            tracing::warn!(
                resources = sent,
                timeout_s = progress.as_secs(),
                "Streamed listing made no progress within server.request_timeout_s; the answer is cut."
            );
            cut("no progress within server.request_timeout_s")
        }
    }
}
