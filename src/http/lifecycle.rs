//! The service's life as the HTTP layer sees it: whether it is shutting down, and the
//! writes under way (a shutdown waits for them).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Shared by the server, the request deadline and `/readyz`.
#[derive(Debug, Default)]
pub struct Lifecycle {
    draining: AtomicBool,
    writes: AtomicUsize,
    idle: Notify,
}

/// One write under way; dropping it ends it.
#[derive(Debug)]
pub struct WriteGuard(Arc<Lifecycle>);

impl Drop for WriteGuard {
    fn drop(&mut self) {
        if self.0.writes.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Lifecycle {
    /// Records the start of a write.
    pub fn write_started(self: &Arc<Self>) -> WriteGuard {
        self.writes.fetch_add(1, Ordering::AcqRel);
        WriteGuard(self.clone())
    }

    /// Writes under way now.
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::Acquire)
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
