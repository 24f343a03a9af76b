//! The service's life as the HTTP layer sees it: whether it is shutting down, and the
//! writes under way (a shutdown waits for them).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// Shared by the server, the request deadline and `/readyz`.
#[derive(Debug, Default)]
pub struct Lifecycle {
    draining: AtomicBool,
    /// The writes under way, each with its request's span (id, method, route).
    writes: Mutex<BTreeMap<u64, tracing::Span>>,
    next: AtomicU64,
    idle: Notify,
}

/// One write under way; dropping it ends it.
#[derive(Debug)]
pub struct WriteGuard(Arc<Lifecycle>, u64);

impl Drop for WriteGuard {
    fn drop(&mut self) {
        let mut writes = self.0.writes.lock().unwrap_or_else(PoisonError::into_inner);
        writes.remove(&self.1);
        if writes.is_empty() {
            self.0.idle.notify_waiters();
        }
    }
}

impl Lifecycle {
    /// Records the start of a write, in the current (request) span.
    pub fn write_started(self: &Arc<Self>) -> WriteGuard {
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        self.writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, tracing::Span::current());
        WriteGuard(self.clone(), key)
    }

    /// Writes under way now.
    pub fn writes(&self) -> usize {
        self.writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Logs each write under way, in its request's span: a shutdown is about to cut it.
    pub fn log_cut_writes(&self) {
        let spans: Vec<tracing::Span> = self
            .writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for span in spans {
            span.in_scope(|| {
                tracing::error!(
                    "Write cut by the shutdown before it finished; its client got no answer. Read the resource: sending the same request again applies what is missing."
                );
            });
        }
    }

    /// The service is shutting down: `/readyz` answers 503 from now on.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Whether [`Lifecycle::drain`] was called.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// Returns once no write is under way.
    pub async fn writes_done(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.writes() == 0 {
                return;
            }
            idle.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_done_waits_for_the_last_write() {
        let lifecycle = Arc::new(Lifecycle::default());
        lifecycle.writes_done().await;
        let first = lifecycle.write_started();
        let second = lifecycle.write_started();
        let waiter = tokio::spawn({
            let lifecycle = lifecycle.clone();
            async move { lifecycle.writes_done().await }
        });
        drop(first);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "one write is still under way");
        drop(second);
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter)
            .await
            .expect("done")
            .unwrap();
    }
}
