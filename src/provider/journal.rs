//! Keeping the journal true: an entry whose write the service never finished (it
//! stopped between Zoom's answer and the journal's) is settled as "outcome unknown"
//! with what Zoom shows of the resource, and entries past `store.journal_days` go.

use chrono::{DateTime, Duration, Utc};

use crate::provider::Provider;
use crate::store::journal::{Entry, ZoomCall};
use crate::store::{Store, StoreError};
use crate::zoom::error::ZoomError;
use crate::zoom::observe::Recorded;

/// What one upkeep pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JournalUpkeep {
    /// Unfinished entries settled by reading Zoom.
    pub settled: usize,
    /// Entries removed for their age.
    pub pruned: u64,
    /// Webhook deliveries forgotten (older than a day: Zoom retries for about 85
    /// minutes).
    pub deliveries_pruned: u64,
}

impl Provider {
    /// Settles every entry begun before `unfinished_before` that is still `started`
    /// (no write under way can be that old), and prunes entries begun before
    /// `prune_before`. An entry whose resource Zoom cannot be asked about now is left
    /// for the next pass.
    pub async fn journal_upkeep(
        &self,
        store: &Store,
        unfinished_before: DateTime<Utc>,
        prune_before: DateTime<Utc>,
    ) -> Result<JournalUpkeep, StoreError> {
        let mut upkeep = JournalUpkeep::default();
        for entry in store.journal_unfinished(unfinished_before).await? {
            match self.zoom_shows(&entry).await {
                Ok(shown) => {
                    let detail = format!(
                        "the service stopped before this write's answer was recorded; what it applied is not known. When settled ({}), {shown}",
                        Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
                    );
                    store.journal_settle(&entry.id, &detail).await?;
                    tracing::warn!(journal_id = %entry.id, operation = %entry.operation, "journal entry settled: outcome unknown");
                    upkeep.settled += 1;
                }
                Err(e) => {
                    tracing::warn!(journal_id = %entry.id, error = %e, "cannot settle a journal entry now: Zoom could not be read");
                }
            }
        }
        upkeep.pruned = store.journal_prune(prune_before).await?;
        upkeep.deliveries_pruned = store
            .prune_deliveries(Utc::now() - Duration::days(1))
            .await?;
        Ok(upkeep)
    }

    /// What Zoom shows of an entry's resource, as a sentence.
    async fn zoom_shows(&self, entry: &Entry) -> Result<String, ZoomError> {
        let group = entry.resource_type == "Group";
        let (target, by_id) = match (&entry.resource_id, &entry.resource_key) {
            (Some(id), _) => (id.as_str(), true),
            (None, Some(key)) => (key.as_str(), false),
            (None, None) => {
                return Ok("the request named no resource to look for".to_owned());
            }
        };
        if group {
            let found = if by_id {
                match self.zoom.get_group(target).await {
                    Ok(group) => Some(group),
                    Err(e) if e.is_not_found() => None,
                    Err(e) => return Err(e),
                }
            } else {
                self.zoom.find_group_by_name(target).await?
            };
            return Ok(match found {
                Some(g) => format!(
                    "Zoom shows group '{}' (id {})",
                    g.name,
                    g.id.as_deref().unwrap_or(target)
                ),
                None => format!("Zoom has no group {target}"),
            });
        }
        Ok(match self.zoom.get_user(target).await {
            Ok(user) => format!(
                "Zoom shows user {} (id {}, status {})",
                user.email,
                user.id.as_deref().unwrap_or("unknown"),
                user.status_or_active().as_str()
            ),
            Err(e) if e.is_not_found() => format!("Zoom has no user {target}"),
            Err(e) => return Err(e),
        })
    }
}

/// How old an unfinished entry must be before it is settled: longer than any write
/// may run (its deadline, then the shutdown grace a write cut by it may still use),
/// with a minute's margin.
pub fn unfinished_after(request_timeout_s: u64, shutdown_grace_s: u64) -> Duration {
    let seconds = request_timeout_s
        .saturating_add(shutdown_grace_s)
        .saturating_add(60);
    Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 2))
}

/// The journal's list of the Zoom calls a piece of work made (past the cap, a count).
pub fn zoom_calls(recorded: Recorded) -> Vec<ZoomCall> {
    let mut calls: Vec<ZoomCall> = recorded
        .calls
        .into_iter()
        .map(|c| ZoomCall {
            call: format!("{} {}", c.method, c.path),
            status: c.status,
            outcome: c.outcome,
        })
        .collect();
    if recorded.left_out > 0 {
        calls.push(ZoomCall {
            call: format!("... and {} more calls", recorded.left_out),
            status: None,
            outcome: "not recorded".to_owned(),
        });
    }
    calls
}
