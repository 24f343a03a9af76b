//! One write at a time per resource. A write reads Zoom's state, computes a
//! difference and applies it; two writes to the same user or group interleaving would
//! each apply a difference against a state the other is changing, and one change could
//! be lost. Writes to different resources run in parallel.
//!
//! Written here rather than taken from a crate: it is a map of `tokio::sync::Mutex`
//! handles that forgets unused entries, a dozen lines over tokio's owned guards.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Held while a resource is written; dropping it lets the next writer in.
pub type WriteGuard = OwnedMutexGuard<()>;

/// Per-key async locks.
#[derive(Debug, Default)]
pub struct ResourceLocks {
    locks: Mutex<HashMap<String, Weak<AsyncMutex<()>>>>,
}

impl ResourceLocks {
    /// Waits until no other write holds `key`, then holds it.
    pub async fn lock(&self, key: &str) -> WriteGuard {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(lock) = locks.get(key).and_then(Weak::upgrade) {
                lock
            } else {
                // Forget entries nobody holds before the map grows (amortised).
                if locks.len() >= 1024 && locks.len().is_power_of_two() {
                    locks.retain(|_, weak| weak.strong_count() > 0);
                }
                let lock = Arc::new(AsyncMutex::new(()));
                locks.insert(key.to_owned(), Arc::downgrade(&lock));
                lock
            }
        };
        lock.lock_owned().await
    }

    /// Keys currently tracked (for tests).
    #[cfg(test)]
    fn tracked(&self) -> usize {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.retain(|_, weak| weak.strong_count() > 0);
        locks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn writes_to_one_key_are_serialised_and_other_keys_run() {
        let locks = Arc::new(ResourceLocks::default());
        let first = locks.lock("user:a").await;
        let waiting = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.lock("user:a").await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "second writer waits");
        let _other = locks.lock("user:b").await;
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("released")
            .expect("joined");
        drop(second);
        drop(_other);
        assert_eq!(locks.tracked(), 0, "unused entries are forgotten");
    }
}
