//! Deleting users (RFC 7644 section 3.6) by `scim.delete_policy`.

use futures::FutureExt;

use super::plan::Step;
use crate::provider::policy::DeletePolicy;
use crate::provider::progress::Progress;
use crate::provider::{Precondition, Provider};
use crate::scim::error::ScimError;
use crate::store::ResourceKind;
use crate::zoom::model::{DeleteAction, DeleteUser, UpdateUser, UserStatus, ZoomUser};

/// Zoom's Basic (free) user type.
const BASIC: i64 = 1;

impl Provider {
    /// `DELETE /Users/{id}`, following `scim.delete_policy`. A pending user's
    /// invitation is withdrawn (`disassociate`) whatever the policy (Zoom: "To delete
    /// pending user in the account, use disassociate").
    pub async fn delete_user(
        &self,
        id: &str,
        precondition: &Precondition,
    ) -> Result<(), ScimError> {
        let _guard = self.locks.lock(&format!("user:{id}")).await;
        self.require_store(&format!("delete user {id}")).await?;
        if precondition.if_match.is_none() && self.delete_known(id).await? {
            return Ok(());
        }
        let user = if precondition.if_match.is_some() {
            let state = self.read_user_state(id, false).await?;
            precondition.check(&state.etag)?;
            state.user
        } else {
            self.user_record(id).await?
        };
        let policy = self.settings.delete_policy;
        if let Some(protection) = self.protection(&user, id) {
            let what = match policy {
                DeletePolicy::Deactivate => "deactivated",
                DeletePolicy::Disassociate => "disassociated",
                DeletePolicy::Delete => "deleted",
                DeletePolicy::Delicense => "delicensed",
            };
            return Err(protection.refusal(&user, what));
        }
        let status = user.status_or_active();
        let pending = *status == UserStatus::Pending;
        let mut progress = Progress::new(format!("delete user {id}"), Vec::new());
        if pending {
            progress
                .run(
                    "withdraw the invitation (disassociate)",
                    self.execute(id, Step::WithdrawInvitation),
                )
                .await?;
        } else {
            match policy {
                DeletePolicy::Deactivate => {
                    if *status != UserStatus::Inactive {
                        progress
                            .run("deactivate", self.execute(id, Step::Deactivate))
                            .await?;
                        if self.settings.logout_on_deactivate {
                            progress
                                .run("sign out everywhere", self.execute(id, Step::SignOut))
                                .await?;
                        }
                    }
                }
                DeletePolicy::Delicense => {
                    self.delicense(id, &user, &mut progress).await?;
                }
                DeletePolicy::Disassociate | DeletePolicy::Delete => {
                    let delete = self.delete_request(policy);
                    let label = if policy == DeletePolicy::Delete {
                        "delete"
                    } else {
                        "disassociate"
                    };
                    progress
                        .run(label, self.zoom.delete_user(id, &delete))
                        .await?;
                }
            }
        }
        tracing::info!(user_id = %id, policy = ?policy, status = status.as_str(), "user removed from provisioning");
        if !pending && policy == DeletePolicy::Delicense {
            // Still in the account, with its externalId; its type changed.
            self.lookups.user_gone(id);
            self.touch(ResourceKind::User, &[id]).await;
        } else if pending || policy != DeletePolicy::Deactivate {
            self.lookups.forget_email(&user.email).await;
            self.lookups.user_gone(id);
            // Gone from the account: its externalId goes too (a deactivated user keeps it).
            self.forget_resource(ResourceKind::User, id).await;
        } else {
            let deactivated = ZoomUser {
                status: Some(UserStatus::Inactive),
                ..user
            };
            self.lookups.user_seen(id, &deactivated);
            self.touch(ResourceKind::User, &[id]).await;
        }
        Ok(())
    }

    /// Deletes a user the user roster lists as confirmed and active, without reading it
    /// first: the read would only tell that the user is not pending (an invitation is
    /// withdrawn instead), which the roster already says, and a confirmed user never
    /// becomes pending again. `Ok(false)`: the roster cannot vouch for the user (not on
    /// it, listed inactive, the owner or an admin, or `scim.protected_users` set, as an
    /// e-mail may have changed since the walk), or Zoom refused the call, which then
    /// changed nothing: the caller reads the user and decides as without the roster.
    async fn delete_known(&self, id: &str) -> Result<bool, ScimError> {
        if !self.settings.protected_users.is_empty() {
            return Ok(false);
        }
        let Some(known) = self.lookups.user_known(id) else {
            return Ok(false);
        };
        if known.inactive || known.privileged {
            return Ok(false);
        }
        let policy = self.settings.delete_policy;
        if policy == DeletePolicy::Delicense {
            // Its calls depend on the user's type and phone, which the roster does not know.
            return Ok(false);
        }
        let request = self.delete_request(policy);
        let (label, call) = match policy {
            DeletePolicy::Deactivate => ("deactivate", self.execute(id, Step::Deactivate).boxed()),
            DeletePolicy::Disassociate => {
                ("disassociate", self.zoom.delete_user(id, &request).boxed())
            }
            DeletePolicy::Delete | DeletePolicy::Delicense => {
                ("delete", self.zoom.delete_user(id, &request).boxed())
            }
        };
        let mut progress = Progress::new(format!("delete user {id}"), Vec::new());
        match call.await {
            Ok(()) => progress.applied(label),
            Err(e) if e.refused_unchanged() => {
                if e.is_not_found() {
                    self.lookups.user_gone(id);
                }
                tracing::info!(user_id = %id, error = %e, "Zoom refused a delete the user roster vouched for; reading the user");
                return Ok(false);
            }
            Err(e) => return Err(progress.failed(label, &e)),
        }
        if policy == DeletePolicy::Deactivate {
            self.touch(ResourceKind::User, &[id]).await;
            if self.settings.logout_on_deactivate {
                progress
                    .run("sign out everywhere", self.execute(id, Step::SignOut))
                    .await?;
            }
            self.lookups.user_seen(
                id,
                &ZoomUser {
                    id: Some(id.to_owned()),
                    email: known.email.to_string(),
                    status: Some(UserStatus::Inactive),
                    ..ZoomUser::default()
                },
            );
        } else {
            self.lookups.forget_email(&known.email).await;
            self.lookups.user_gone(id);
            self.forget_resource(ResourceKind::User, id).await;
        }
        tracing::info!(user_id = %id, policy = ?policy, status = "active", "user removed from provisioning (user roster)");
        Ok(true)
    }

    /// The `delicense` policy: Zoom Phone off (it frees the phone licence and unassigns
    /// the user's numbers and devices), then the type to Basic. Zoom refuses changes to
    /// a deactivated user (code 1053), so one is reactivated first and deactivated
    /// again last: its status ends as it began. Nothing is sent for what already holds;
    /// each call is reported, so a failure part-way says what was applied.
    async fn delicense(
        &self,
        id: &str,
        user: &ZoomUser,
        progress: &mut Progress,
    ) -> Result<(), ScimError> {
        let sites = self.phone_sites().await?;
        let has_phone = self.phone_profile(id, &sites).await?.is_some();
        let basic = user.user_type == Some(BASIC);
        if basic && !has_phone {
            return Ok(());
        }
        let inactive = *user.status_or_active() == UserStatus::Inactive;
        if inactive {
            progress
                .run(
                    "reactivate (Zoom changes no deactivated user)",
                    self.execute(id, Step::Reactivate),
                )
                .await?;
        }
        if has_phone {
            progress
                .run("turn Zoom Phone off", self.execute(id, Step::PhoneOff))
                .await?;
        }
        if !basic {
            let update = UpdateUser {
                user_type: Some(BASIC),
                ..UpdateUser::default()
            };
            progress
                .run(
                    "licence type -> Basic",
                    self.execute(id, Step::Profile(Box::new(update), "type".into())),
                )
                .await?;
        }
        if inactive {
            progress
                .run("deactivate again", self.execute(id, Step::Deactivate))
                .await?;
        }
        Ok(())
    }

    fn delete_request(&self, policy: DeletePolicy) -> DeleteUser {
        if policy == DeletePolicy::Disassociate {
            return DeleteUser::default();
        }
        let t = &self.settings.delete_transfer;
        DeleteUser {
            action: DeleteAction::Delete,
            transfer_email: t.email.clone(),
            transfer_meeting: t.meeting,
            transfer_webinar: t.webinar,
            transfer_recording: t.recording,
            transfer_whiteboard: t.whiteboard,
            transfer_clipfiles: t.clipfiles,
            transfer_notes: t.notes,
            transfer_visitors: t.visitors,
            transfer_docs: t.docs,
        }
    }
}
