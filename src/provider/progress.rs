//! Multi-call writes: one SCIM write becomes several Zoom calls, any of which can fail.
//! [`Progress`] runs them in order and, on a failure part-way, answers with an error
//! whose detail says exactly what was applied, what failed and what was not attempted,
//! so that the client (or an admin reading its log) knows Zoom's state, and so that
//! sending the same request again converges (every step is computed as a difference
//! against Zoom's current state, so replays only redo what is missing).

use std::collections::HashSet;
use std::future::Future;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::provider::failure::zoom_failure;
use crate::scim::error::ScimError;
use crate::zoom::error::ZoomError;

/// Steps named in an error detail per list (applied, not attempted); the rest are
/// counted.
const LISTED_STEPS_MAX: usize = 20;

/// The steps of one SCIM write, in the order they run.
#[derive(Debug)]
pub struct Progress {
    /// What the whole write is, e.g. `update user abc`.
    what: String,
    /// Labels of every planned step, in order.
    planned: Vec<String>,
    /// The same labels as a set: a group write plans thousands of steps, and each
    /// applied one is checked against the plan.
    planned_set: HashSet<String>,
    /// Labels of the steps Zoom accepted.
    applied: Vec<String>,
    /// Changes deliberately not applied (e.g. refused for a pending user), with why.
    not_applied: Vec<String>,
    /// Steps that failed alongside the reported failure (steps run at once), with why.
    also_failed: Vec<(String, String)>,
    /// How to finish the write after a partial failure, when repeating the same
    /// request would not (a create whose user exists now).
    replay_hint: Option<String>,
    /// This write in the list of writes under way (for a shutdown that cuts it).
    live: Live,
}

/// A write under way as a shutdown reports it: what it is and the steps applied.
#[derive(Debug)]
struct LiveState {
    what: String,
    applied: Vec<String>,
    /// The request's span, so the log line carries its id.
    span: tracing::Span,
}

/// The writes under way, by a process-unique number.
static UNDER_WAY: std::sync::Mutex<
    std::collections::BTreeMap<u64, std::sync::Arc<std::sync::Mutex<LiveState>>>,
> = std::sync::Mutex::new(std::collections::BTreeMap::new());

/// Registers a write in [`UNDER_WAY`] while it lives.
#[derive(Debug)]
struct Live {
    key: u64,
    state: std::sync::Arc<std::sync::Mutex<LiveState>>,
}

impl Live {
    fn new(what: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let key = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let state = std::sync::Arc::new(std::sync::Mutex::new(LiveState {
            what: what.to_owned(),
            applied: Vec::new(),
            span: tracing::Span::current(),
        }));
        UNDER_WAY
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, state.clone());
        Live { key, state }
    }

    fn applied(&self, label: &str) {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .applied
            .push(label.to_owned());
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        UNDER_WAY
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.key);
    }
}

/// Logs every write under way with the steps it applied: a shutdown calls it before it
/// cuts them.
pub fn log_writes_under_way() {
    let under_way: Vec<_> = UNDER_WAY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .values()
        .cloned()
        .collect();
    for state in under_way {
        let state = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.span.in_scope(|| {
            tracing::error!(
                what = %state.what,
                applied = ?state.applied,
                "The cut write's steps applied in Zoom (the others were not made, or the one under way may or may not have been)."
            );
        });
    }
}

/// Why one of several steps run at once failed.
#[derive(Debug)]
pub enum StepError {
    /// Zoom refused or did not answer.
    Zoom(ZoomError),
    /// The service refused part-way (e.g. Zoom's answer shows the change was not made).
    Refused(ScimError),
}

/// What one of several steps run at once did: `Ok(None)` applied, `Ok(Some(why))` done
/// but a change not applied (recorded like [`Progress::not_applied`]), `Err` failed.
pub type StepResult = Result<Option<String>, StepError>;

impl From<ZoomError> for StepError {
    fn from(error: ZoomError) -> Self {
        StepError::Zoom(error)
    }
}

impl Progress {
    /// Starts a write made of `planned` steps (labels such as `reactivate`,
    /// `profile (name.givenName)`, `add to group Sales`).
    pub fn new(what: impl Into<String>, planned: Vec<String>) -> Self {
        let what = what.into();
        Progress {
            live: Live::new(&what),
            what,
            planned_set: planned.iter().cloned().collect(),
            planned,
            applied: Vec::new(),
            not_applied: Vec::new(),
            also_failed: Vec::new(),
            replay_hint: None,
        }
    }

    /// Replaces "Sending the same request again applies only what is missing" in a
    /// partial failure's detail.
    pub fn set_replay_hint(&mut self, hint: impl Into<String>) {
        self.replay_hint = Some(hint.into());
    }

    /// Adds a step to the plan after the fact (steps discovered while running).
    pub fn plan(&mut self, label: impl Into<String>) {
        let label = label.into();
        self.planned_set.insert(label.clone());
        self.planned.push(label);
    }

    /// Runs one Zoom call labelled `label`; on success records it as applied, on
    /// failure returns the SCIM error describing the whole write's state.
    pub async fn run<T>(
        &mut self,
        label: &str,
        call: impl Future<Output = Result<T, ZoomError>>,
    ) -> Result<T, ScimError> {
        match call.await {
            Ok(value) => {
                self.applied(label);
                Ok(value)
            }
            Err(err) => Err(self.failed(label, &err)),
        }
    }

    /// Runs independent steps (each a label and its Zoom calls), at most `limit` at
    /// once, starting them in order. After a failure no new step starts, but the steps already
    /// started are awaited: a call abandoned mid-way would leave its outcome unknown. The
    /// error is the first failure's in plan order, and names the others.
    pub async fn run_concurrently<F>(
        &mut self,
        steps: impl IntoIterator<Item = (String, F)>,
        limit: usize,
    ) -> Result<(), ScimError>
    where
        F: Future<Output = StepResult>,
    {
        let mut steps = steps.into_iter().enumerate();
        let mut running = FuturesUnordered::new();
        let mut outcomes: Vec<(usize, String, StepResult)> = Vec::new();
        let mut failed = false;
        loop {
            while !failed && running.len() < limit.max(1) {
                let Some((index, (label, call))) = steps.next() else {
                    break;
                };
                running.push(async move { (index, label, call.await) });
            }
            let Some(outcome) = running.next().await else {
                break;
            };
            failed |= outcome.2.is_err();
            outcomes.push(outcome);
        }
        outcomes.sort_by_key(|(index, ..)| *index);
        let mut first_failure = None;
        for (_, label, outcome) in outcomes {
            match outcome {
                Ok(None) => self.applied(&label),
                Ok(Some(why)) => {
                    self.applied(&label);
                    self.not_applied(why);
                }
                Err(error) if first_failure.is_none() => first_failure = Some((label, error)),
                Err(error) => {
                    let why = match &error {
                        StepError::Zoom(e) if e.outcome_unknown => {
                            "failed and may or may not have taken effect in Zoom".to_owned()
                        }
                        // Mapped (and logged) as a reported failure would be.
                        StepError::Zoom(e) => {
                            let what = format!("{}: {label}", self.what);
                            format!("was not applied: {}", zoom_failure(e, &what).detail)
                        }
                        StepError::Refused(e) => format!("was not applied: {}", e.detail),
                    };
                    self.also_failed.push((label, why));
                }
            }
        }
        match first_failure {
            None => Ok(()),
            Some((label, StepError::Zoom(e))) => Err(self.failed(&label, &e)),
            Some((label, StepError::Refused(e))) => Err(self.failed_with(&label, e)),
        }
    }

    /// Puts `labels` in the plan where `placeholder` is (a step whose calls are known
    /// only when it runs), so that a failure among them still lists every later step
    /// as not attempted; appended when the placeholder is not planned.
    pub fn expand(&mut self, placeholder: &str, labels: Vec<String>) {
        let labels: Vec<String> = labels
            .into_iter()
            .filter(|l| !self.planned_set.contains(l))
            .collect();
        self.planned_set.extend(labels.iter().cloned());
        match self.planned.iter().position(|p| p == placeholder) {
            Some(at) => {
                self.planned.splice(at..=at, labels);
                self.planned_set.remove(placeholder);
            }
            None => self.planned.extend(labels),
        }
    }

    /// Records `label` as applied (for steps that needed no Zoom call or were done by
    /// a helper that reports success itself).
    pub fn applied(&mut self, label: &str) {
        if self.planned_set.insert(label.to_owned()) {
            self.planned.push(label.to_owned());
        }
        self.live.applied(label);
        self.applied.push(label.to_owned());
    }

    /// Records a change that is deliberately not applied, with the reason; it reaches
    /// the client as a `Warning` header (and in any later error detail).
    pub fn not_applied(&mut self, change: impl Into<String>) {
        self.not_applied.push(change.into());
    }

    /// What was not applied (for `Warning` headers).
    pub fn warnings(&self) -> &[String] {
        &self.not_applied
    }

    /// Consumes the progress, returning what was not applied.
    pub fn into_warnings(self) -> Vec<String> {
        self.not_applied
    }

    /// Labels of the steps applied so far.
    pub fn applied_steps(&self) -> &[String] {
        &self.applied
    }

    /// The SCIM error for a failure of step `label`: the Zoom error mapped as usual
    /// (status, `scimType`), its detail extended with the write's state.
    pub fn failed(&self, label: &str, err: &ZoomError) -> ScimError {
        let mut scim = zoom_failure(err, &format!("{}: {label}", self.what));
        scim.detail = format!(
            "{}{}",
            scim.detail.trim_end_matches('.'),
            self.state_after_failure(label, err)
        );
        scim
    }

    /// Like [`Progress::failed`], for a failure that is already a SCIM error (a
    /// refusal decided by the service itself part-way through a write).
    pub fn failed_with(&self, label: &str, error: ScimError) -> ScimError {
        let mut error = error;
        error.detail = format!(
            "{}{}",
            error.detail.trim_end_matches('.'),
            self.describe(label, false, &self.remaining_after(label))
        );
        error
    }

    fn remaining_after(&self, label: &str) -> Vec<String> {
        let applied: HashSet<&str> = self.applied.iter().map(String::as_str).collect();
        let also_failed: HashSet<&str> = self.also_failed.iter().map(|(s, _)| s.as_str()).collect();
        let mut seen_failed = false;
        self.planned
            .iter()
            .filter(|step| {
                if !seen_failed && step.as_str() == label {
                    seen_failed = true;
                    return false;
                }
                seen_failed
                    && !applied.contains(step.as_str())
                    && !also_failed.contains(step.as_str())
            })
            .cloned()
            .collect()
    }

    fn state_after_failure(&self, label: &str, err: &ZoomError) -> String {
        self.describe(label, err.outcome_unknown, &self.remaining_after(label))
    }

    fn describe(&self, label: &str, outcome_unknown: bool, remaining: &[String]) -> String {
        // A group write has thousands of steps: the answer names the first of each list
        // and counts the rest (the whole lists go to the log), so that the failed step
        // and what follows it always fit in the detail.
        if self.applied.len() > LISTED_STEPS_MAX || remaining.len() > LISTED_STEPS_MAX {
            tracing::warn!(
                what = %self.what,
                failed = label,
                applied = ?self.applied,
                not_attempted = ?remaining,
                "partial failure: every step"
            );
        }
        let list = |items: &[String]| match items.len() {
            0 => "none".to_owned(),
            n if n > LISTED_STEPS_MAX => format!(
                "{}, and {} more ({n} in all)",
                items[..LISTED_STEPS_MAX].join(", "),
                n - LISTED_STEPS_MAX
            ),
            _ => items.join(", "),
        };
        let failed = if outcome_unknown {
            format!("'{label}' failed and may or may not have taken effect in Zoom")
        } else {
            format!("'{label}' was not applied")
        };
        let mut detail = format!(
            ". Applied: {}. {failed}. Not attempted: {}.",
            list(&self.applied),
            list(remaining)
        );
        for (step, why) in &self.also_failed {
            detail.push_str(&format!(" Also run at the same time: '{step}' {why}."));
        }
        if !self.not_applied.is_empty() {
            detail.push_str(&format!(
                " Refused before the failure: {}.",
                self.not_applied.join("; ")
            ));
        }
        if !self.applied.is_empty() || outcome_unknown || !self.also_failed.is_empty() {
            match &self.replay_hint {
                Some(hint) => detail.push_str(&format!(" {hint}.")),
                None => {
                    detail.push_str(" Sending the same request again applies only what is missing.")
                }
            }
        }
        detail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoom::error::{ErrorKind, ZoomError};

    fn zoom_error(outcome_unknown: bool) -> ZoomError {
        let mut err = ZoomError::new(ErrorKind::Unavailable, "PATCH", "/users/{userId}", "down");
        err.detail_mut().status = Some(503);
        err.detail_mut().outcome_unknown = outcome_unknown;
        err
    }

    #[test]
    fn long_step_lists_are_counted_so_the_failure_always_shows() {
        let steps: Vec<String> = (0..300)
            .map(|i| format!("remove member user{i:04}"))
            .collect();
        let mut progress = Progress::new("update group g1", steps.clone());
        for step in &steps[..150] {
            progress.applied(step);
        }
        let detail = progress.failed(&steps[150], &zoom_error(false)).detail;
        assert!(detail.len() < 4_096, "{}", detail.len());
        assert!(detail.contains("and 130 more (150 in all)"), "{detail}");
        assert!(
            detail.contains("'remove member user0150' was not applied"),
            "{detail}"
        );
        assert!(detail.contains("and 129 more (149 in all)"), "{detail}");
    }

    #[test]
    fn steps_known_only_when_running_take_the_placeholders_place() {
        let mut progress = Progress::new(
            "update user u1",
            vec!["phone".into(), "profile (title)".into()],
        );
        progress.expand("phone", vec!["read".into()]);
        progress.expand(
            "read",
            vec!["assign numbers".into(), "unassign plan".into()],
        );
        let detail = progress.failed("assign numbers", &zoom_error(false)).detail;
        assert!(
            detail.contains("Not attempted: unassign plan, profile (title)."),
            "{detail}"
        );
    }

    #[tokio::test]
    async fn failure_part_way_lists_applied_failed_and_remaining_steps() {
        let steps = ["reactivate", "profile", "role", "deactivate"].map(String::from);
        let mut progress = Progress::new("update user u1", steps.to_vec());
        progress
            .run("reactivate", async { Ok::<_, ZoomError>(()) })
            .await
            .unwrap();
        let err = progress
            .run("profile", async { Err::<(), _>(zoom_error(false)) })
            .await
            .unwrap_err();
        assert_eq!(err.status, 503);
        assert!(
            err.detail.contains("Applied: reactivate."),
            "{}",
            err.detail
        );
        assert!(err.detail.contains("'profile' was not applied"));
        assert!(err.detail.contains("Not attempted: role, deactivate."));
        assert!(err.detail.contains("again applies only what is missing"));
    }

    #[tokio::test]
    async fn steps_run_at_once_report_every_outcome_and_start_nothing_after_a_failure() {
        let labels: Vec<String> = (1..=6).map(|i| format!("remove member u{i}")).collect();
        let mut progress = Progress::new("update group g1", labels.clone());
        let started = std::sync::Mutex::new(Vec::new());
        let (gate, opened) = tokio::sync::watch::channel(false);
        let steps = labels.iter().enumerate().map(|(i, label)| {
            let (started, mut opened) = (&started, opened.clone());
            let call = async move {
                started.lock().unwrap().push(i);
                match i {
                    // u2 fails at once; u1 and u3 were started with it and fail later,
                    // u1 for certain, u3 with its outcome unknown.
                    1 => Err(StepError::Zoom(zoom_error(false))),
                    0 | 2 => {
                        let _ = opened.wait_for(|open| *open).await;
                        Err(StepError::Zoom(zoom_error(i == 2)))
                    }
                    _ => Ok(None),
                }
            };
            (label.clone(), call)
        });
        let run = progress.run_concurrently(steps, 3);
        let open_later = async {
            tokio::task::yield_now().await;
            gate.send(true).unwrap();
        };
        let (result, ()) = tokio::join!(run, open_later);
        let err = result.unwrap_err();
        assert_eq!(
            *started.lock().unwrap(),
            vec![0, 1, 2],
            "nothing new after the failure"
        );
        assert!(progress.applied_steps().is_empty());
        // The error is the first failure in plan order, though u2 failed first.
        assert!(
            err.detail.starts_with("update group g1: remove member u1:"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("'remove member u1' was not applied"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("Also run at the same time: 'remove member u2' was not applied: update group g1: remove member u2"),
            "{}",
            err.detail
        );
        assert!(
            err.detail
                .contains("'remove member u3' failed and may or may not have taken effect"),
            "{}",
            err.detail
        );
        assert!(
            err.detail
                .contains("Not attempted: remove member u4, remove member u5, remove member u6."),
            "{}",
            err.detail
        );

        // All succeed: all applied, in plan order.
        let mut progress = Progress::new("update group g1", labels.clone());
        let steps = labels
            .iter()
            .map(|l| (l.clone(), async { Ok::<_, StepError>(None) }));
        progress.run_concurrently(steps, 4).await.unwrap();
        assert_eq!(progress.applied_steps(), labels.as_slice());
    }

    #[tokio::test]
    async fn unknown_outcome_is_said_so() {
        let mut progress = Progress::new("create user", vec!["create".into()]);
        let err = progress
            .run("create", async { Err::<(), _>(zoom_error(true)) })
            .await
            .unwrap_err();
        assert!(err.detail.contains("Applied: none."));
        assert!(err.detail.contains("may or may not have taken effect"));
        assert!(err.detail.contains("Not attempted: none."));
    }
}
