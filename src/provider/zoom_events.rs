//! What Zoom's webhook events change in what the service keeps: modification times
//! (so a delta import sees an out-of-band change within seconds rather than at the next
//! walk), the look-up caches and rosters (an e-mail, a status, a group that changed
//! behind them), what the store keeps of a resource that left, and the deferred
//! changes of an invitee who just accepted.
//!
//! Zoom delivers at least once (docs/zoom-contract.md section 6.2): a delivery is
//! claimed by its body's digest before it is acted on, and a repeat changes nothing.
//! Every effect is also one a repeat could make without harm, so a claim released
//! after a failure (Zoom retries) converges.

use std::sync::Arc;

use crate::provider::{Provider, store_failure};
use crate::scim::error::ScimError;
use crate::store::ResourceKind;
use crate::zoom::webhook::{GroupChange, UserChange, ZoomEvent};

/// What the service did with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// Acted on.
    Applied,
    /// Received before: nothing done.
    Repeat,
    /// Not an event the service acts on.
    Ignored,
}

impl EventOutcome {
    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Repeat => "repeat",
            Self::Ignored => "ignored",
        }
    }
}

impl Provider {
    /// Acts on a verified delivery whose body has SHA-256 `digest`. `Err` (the store
    /// is out of reach): nothing is claimed, and Zoom's retry is acted on.
    pub async fn zoom_event(
        self: &Arc<Self>,
        name: &str,
        event: &ZoomEvent,
        digest: &str,
    ) -> Result<EventOutcome, ScimError> {
        if matches!(event, ZoomEvent::Other | ZoomEvent::UrlValidation { .. }) {
            return Ok(EventOutcome::Ignored);
        }
        let failed = |e: crate::store::StoreError| store_failure(&e, "record a Zoom event");
        if !self
            .store
            .claim_delivery(digest, name)
            .await
            .map_err(failed)?
        {
            return Ok(EventOutcome::Repeat);
        }
        if let Err(e) = self.act_on(event).await {
            if let Err(release) = self.store.release_delivery(digest).await {
                tracing::warn!(error = %release, "cannot release a webhook delivery; Zoom's retry will be taken as a repeat");
            }
            return Err(e);
        }
        Ok(EventOutcome::Applied)
    }

    async fn act_on(self: &Arc<Self>, event: &ZoomEvent) -> Result<(), ScimError> {
        let now = chrono::Utc::now();
        let failed = |e: crate::store::StoreError| store_failure(&e, "record a Zoom event");
        match event {
            ZoomEvent::User {
                change,
                id,
                email,
                old_email,
                fields,
            } => {
                if let Some(old) = old_email {
                    self.lookups.forget_email(old).await;
                }
                match change {
                    UserChange::Deleted | UserChange::Disassociated => {
                        if let Some(email) = email {
                            self.lookups.forget_email(email).await;
                        }
                        self.lookups.user_gone(id);
                        self.store
                            .forget(ResourceKind::User, id)
                            .await
                            .map_err(failed)?;
                    }
                    _ => {
                        // What the roster knows (e-mail, status, role) may be stale now:
                        // the next write reads the user. A profile change leaves it true.
                        let stale = match change {
                            UserChange::Activated | UserChange::Deactivated => true,
                            UserChange::Updated => {
                                old_email.is_some()
                                    || fields.iter().any(|f| {
                                        matches!(
                                            f.as_str(),
                                            "email" | "role_id" | "role_name" | "status"
                                        )
                                    })
                            }
                            _ => false,
                        };
                        if stale {
                            self.lookups.user_gone(id);
                        }
                        self.store
                            .touch(ResourceKind::User, &[id.as_str()], now)
                            .await
                            .map_err(failed)?;
                    }
                }
                if matches!(
                    change,
                    UserChange::InvitationAccepted | UserChange::Activated
                ) {
                    self.apply_deferred_soon(id).await;
                }
            }
            ZoomEvent::Group {
                change,
                id,
                member_ids,
            } => {
                // Names change with these; member counts are not relied on.
                if matches!(
                    change,
                    GroupChange::Created | GroupChange::Updated | GroupChange::Deleted
                ) {
                    self.lookups.forget_group_names().await;
                }
                if *change == GroupChange::Deleted {
                    self.store
                        .forget(ResourceKind::Group, id)
                        .await
                        .map_err(failed)?;
                } else {
                    self.store
                        .touch(ResourceKind::Group, &[id.as_str()], now)
                        .await
                        .map_err(failed)?;
                }
                if !member_ids.is_empty() {
                    let members: Vec<&str> = member_ids.iter().map(String::as_str).collect();
                    self.store
                        .touch(ResourceKind::User, &members, now)
                        .await
                        .map_err(failed)?;
                }
            }
            ZoomEvent::UrlValidation { .. } | ZoomEvent::Other => {}
        }
        Ok(())
    }

    /// Applies the deferred changes of user `id` in the background, when there are
    /// some: Zoom wants its answer within three seconds, and the periodic check
    /// retries what fails here.
    async fn apply_deferred_soon(self: &Arc<Self>, id: &str) {
        match self.store.deferred(ResourceKind::User, &[id]).await {
            Ok(found) if found.is_empty() => {}
            Ok(_) => {
                let provider = self.clone();
                let id = id.to_owned();
                tokio::spawn(async move {
                    if let Err(e) = provider.apply_deferred(&id).await {
                        tracing::warn!(user_id = %id, detail = %e.detail, "deferred changes not applied yet; the periodic check retries");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, user_id = %id, "cannot read deferred changes now; the periodic check applies them");
            }
        }
    }
}
