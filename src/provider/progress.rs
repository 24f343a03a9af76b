//! Multi-call writes: one SCIM write becomes several Zoom calls, any of which can fail.
//! [`Progress`] runs them in order and, on a failure part-way, answers with an error
//! whose detail says exactly what was applied, what failed and what was not attempted,
//! so that the client (or an admin reading its log) knows Zoom's state, and so that
//! sending the same request again converges (every step is computed as a difference
//! against Zoom's current state, so replays only redo what is missing).

use std::future::Future;

use crate::mapping;
use crate::scim::error::ScimError;
use crate::zoom::error::ZoomError;

/// The steps of one SCIM write, in the order they run.
#[derive(Debug)]
pub struct Progress {
    /// What the whole write is, e.g. `update user abc`.
    what: String,
    /// Labels of every planned step, in order.
    planned: Vec<String>,
    /// Labels of the steps Zoom accepted.
    applied: Vec<String>,
    /// Changes deliberately not applied (e.g. refused for a pending user), with why.
    not_applied: Vec<String>,
}

impl Progress {
    /// Starts a write made of `planned` steps (labels such as `reactivate`,
    /// `profile (name.givenName)`, `add to group Sales`).
    pub fn new(what: impl Into<String>, planned: Vec<String>) -> Self {
        Progress {
            what: what.into(),
            planned,
            applied: Vec::new(),
            not_applied: Vec::new(),
        }
    }

    /// Adds a step to the plan after the fact (steps discovered while running).
    pub fn plan(&mut self, label: impl Into<String>) {
        self.planned.push(label.into());
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

    /// Records `label` as applied (for steps that needed no Zoom call or were done by
    /// a helper that reports success itself).
    pub fn applied(&mut self, label: &str) {
        if !self.planned.iter().any(|p| p == label) {
            self.planned.push(label.to_owned());
        }
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
        let mut scim = mapping::error::to_scim(err, &format!("{}: {label}", self.what));
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
        let mut seen_failed = false;
        self.planned
            .iter()
            .filter(|step| {
                if !seen_failed && step.as_str() == label {
                    seen_failed = true;
                    return false;
                }
                seen_failed && !self.applied.contains(step)
            })
            .cloned()
            .collect()
    }

    fn state_after_failure(&self, label: &str, err: &ZoomError) -> String {
        self.describe(label, err.outcome_unknown, &self.remaining_after(label))
    }

    fn describe(&self, label: &str, outcome_unknown: bool, remaining: &[String]) -> String {
        let list = |items: &[String]| {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items.join(", ")
            }
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
        if !self.not_applied.is_empty() {
            detail.push_str(&format!(
                " Refused before the failure: {}.",
                self.not_applied.join("; ")
            ));
        }
        if !self.applied.is_empty() || outcome_unknown {
            detail.push_str(" Sending the same request again applies only what is missing.");
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
