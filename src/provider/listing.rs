//! What a listing answers: a page held whole, or resources streamed as they are read.
//!
//! A listing longer than [`HELD_PAGE_MAX`] (a client without `count`, or with a large
//! one) is streamed: its producer sends resources a chunk at a time through a bounded
//! channel, so memory stays flat however many users the account has, and the first
//! bytes leave before the walk ends. What can fail before the first byte (the filter,
//! Zoom's first page) is still an error status; a failure later ends the stream with
//! [`ListChunk::Failed`], and the HTTP layer cuts the answer so that it does not parse.

use serde_json::Value;
use tokio::sync::mpsc;

use crate::scim::error::ScimError;
use crate::scim::model::ListResponse;

/// The longest answer held whole (and the largest page before streaming was built:
/// pages up to it behave as they always did).
pub(super) const HELD_PAGE_MAX: usize = 1000;

/// Resources a streamed listing renders and sends at a time.
pub(super) const STREAM_CHUNK: usize = 100;

/// Chunks a producer may run ahead of the client.
const CHANNEL_CHUNKS: usize = 2;

/// The answer of a listing.
#[derive(Debug)]
pub enum Listing {
    /// An answer held whole.
    Page(ListResponse),
    /// Resources sent as they are read.
    Streamed(ListStream),
}

/// A listing whose resources arrive from a producer task.
#[derive(Debug)]
pub struct ListStream {
    /// 1-based index of the first resource.
    pub start_index: usize,
    /// `totalResults`, when known before the resources.
    pub total: Option<usize>,
    /// The producer's chunks, ending with [`ListChunk::End`] or [`ListChunk::Failed`].
    pub chunks: mpsc::Receiver<ListChunk>,
}

/// One message of a streamed listing's producer.
#[derive(Debug)]
pub enum ListChunk {
    /// The next resources, projected.
    Resources(Vec<Value>),
    /// The listing is complete; `total` when it was counted while streaming.
    End { total: Option<usize> },
    /// The listing failed part-way.
    Failed(ScimError),
}

/// The producer's end of a [`ListStream`].
pub(super) struct ListSender(mpsc::Sender<ListChunk>);

impl ListSender {
    /// A producer's sender and the stream it feeds.
    pub(super) fn channel(start_index: usize, total: Option<usize>) -> (Self, ListStream) {
        let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
        let stream = ListStream {
            start_index,
            total,
            chunks: rx,
        };
        (Self(tx), stream)
    }

    /// Sends resources; `false` when the client is gone (the producer then stops).
    pub(super) async fn resources(&self, resources: Vec<Value>) -> bool {
        if resources.is_empty() {
            return !self.0.is_closed();
        }
        self.0.send(ListChunk::Resources(resources)).await.is_ok()
    }

    /// Ends the listing: complete (`total` when counted here) or failed.
    pub(super) async fn finish(self, outcome: Result<Option<usize>, ScimError>) {
        let last = match outcome {
            Ok(total) => ListChunk::End { total },
            Err(error) => ListChunk::Failed(error),
        };
        // A client gone meanwhile has nothing left to be told.
        let _ = self.0.send(last).await;
    }
}

impl Listing {
    /// The whole answer in memory (the root search joins two resource types).
    pub async fn collect(self) -> Result<ListResponse, ScimError> {
        let mut stream = match self {
            Listing::Page(page) => return Ok(page),
            Listing::Streamed(stream) => stream,
        };
        let mut resources = Vec::new();
        loop {
            match stream.chunks.recv().await {
                Some(ListChunk::Resources(more)) => resources.extend(more),
                Some(ListChunk::End { total }) => {
                    let total = stream.total.or(total).unwrap_or(resources.len());
                    return Ok(ListResponse::new(total, stream.start_index, resources));
                }
                Some(ListChunk::Failed(error)) => return Err(error),
                None => {
                    return Err(ScimError::internal(
                        "a streamed listing ended without its last chunk",
                    ));
                }
            }
        }
    }
}

/// Which 0-based positions of the matching resources a query answers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    start: usize,
    len: usize,
}

impl Window {
    pub(super) fn new(start_index: usize, len: usize) -> Self {
        Self {
            start: start_index.saturating_sub(1),
            len,
        }
    }

    /// Whether the match at `position` is answered.
    pub(super) fn holds(&self, position: usize) -> bool {
        position >= self.start && position - self.start < self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_window_holds_its_positions_and_never_overflows() {
        let w = Window::new(3, 2);
        let held: Vec<usize> = (0..10).filter(|p| w.holds(*p)).collect();
        assert_eq!(held, [2, 3]);
        let all = Window::new(1, usize::MAX);
        assert!(all.holds(0) && all.holds(usize::MAX - 1));
        let none = Window::new(usize::MAX, usize::MAX);
        assert!(!none.holds(0) && !none.holds(usize::MAX - 2));
        let empty = Window::new(1, 0);
        assert!(!empty.holds(0));
    }

    #[tokio::test]
    async fn collect_joins_chunks_and_keeps_failures() {
        let (tx, stream) = ListSender::channel(1, None);
        let producer = tokio::spawn(async move {
            assert!(tx.resources(vec![json!({"id": "a"})]).await);
            assert!(tx.resources(vec![json!({"id": "b"})]).await);
            tx.finish(Ok(Some(7))).await;
        });
        let page = Listing::Streamed(stream).collect().await.unwrap();
        producer.await.unwrap();
        assert_eq!((page.total_results, page.items_per_page), (7, 2));

        let (tx, stream) = ListSender::channel(1, Some(3));
        tokio::spawn(async move {
            tx.resources(vec![json!({"id": "a"})]).await;
            tx.finish(Err(ScimError::internal("gone"))).await;
        });
        assert!(Listing::Streamed(stream).collect().await.is_err());

        let (tx, stream) = ListSender::channel(1, Some(3));
        drop(tx);
        assert!(Listing::Streamed(stream).collect().await.is_err());
    }
}
