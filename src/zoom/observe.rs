//! The Zoom calls one piece of work makes, for whoever wants to record them (the
//! journal of a SCIM write). A task-local list: calls made inside [`recording`] (and in
//! the futures it polls, not in tasks it spawns) are appended; elsewhere nothing is
//! kept.

use std::sync::{Arc, Mutex};

/// Calls kept for one piece of work at most; the rest are counted.
pub const MAX_RECORDED_CALLS: usize = 500;

/// One finished Zoom call (after its retries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// HTTP method.
    pub method: &'static str,
    /// The concrete path, e.g. `/users/KDcuGIm1QgePTO8WbOqwIQ`.
    pub path: String,
    /// Zoom's HTTP status, when it answered.
    pub status: Option<u16>,
    /// `ok`, or the failure: its kind, Zoom's code and message.
    pub outcome: String,
}

/// The calls recorded so far, and how many were left out past the cap.
#[derive(Debug, Default)]
pub struct Recorded {
    /// The calls, in the order they finished.
    pub calls: Vec<CallRecord>,
    /// Calls made past [`MAX_RECORDED_CALLS`].
    pub left_out: usize,
}

tokio::task_local! {
    static CALLS: Arc<Mutex<Recorded>>;
}

/// Runs `work`, recording the Zoom calls it makes.
pub async fn recording<F: Future>(work: F) -> (F::Output, Recorded) {
    let calls = Arc::new(Mutex::new(Recorded::default()));
    let output = CALLS.scope(calls.clone(), work).await;
    let recorded = std::mem::take(&mut *calls.lock().unwrap_or_else(|e| e.into_inner()));
    (output, recorded)
}

/// Records one call when a [`recording`] is under way.
pub(super) fn record(call: impl FnOnce() -> CallRecord) {
    let _ = CALLS.try_with(|calls| {
        let mut recorded = calls.lock().unwrap_or_else(|e| e.into_inner());
        if recorded.calls.len() < MAX_RECORDED_CALLS {
            recorded.calls.push(call());
        } else {
            recorded.left_out += 1;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(n: usize) -> CallRecord {
        CallRecord {
            method: "GET",
            path: format!("/users/{n}"),
            status: Some(200),
            outcome: "ok".into(),
        }
    }

    #[tokio::test]
    async fn calls_inside_are_kept_and_capped_outside_ignored() {
        record(|| call(0));
        let ((), recorded) = recording(async {
            for n in 0..MAX_RECORDED_CALLS + 3 {
                record(|| call(n));
            }
        })
        .await;
        assert_eq!(recorded.calls.len(), MAX_RECORDED_CALLS);
        assert_eq!(recorded.calls[0], call(0));
        assert_eq!(recorded.left_out, 3);
    }
}
