//! Changes to invitees, kept until they accept (`scim.pending_changes = "defer"`).
//! Zoom answers a pending user's update with 204 and keeps nothing (contract section
//! 3.10); instead of refusing it, the service checks the change as it would for an
//! active user, keeps what differs from Zoom's record in the store, shows it in every
//! read, and applies it as one write when it sees the user active: on a read, on the
//! user's next write, or on the periodic check of users with deferred changes. A later
//! change to the same attribute replaces the deferred one; a withdrawn invitation
//! discards them. Each application is journaled.

use serde_json::{Map, Value, json};

use crate::provider::Provider;
use crate::provider::journal::zoom_calls;
use crate::provider::progress::Progress;
use crate::scim::error::ScimError;
use crate::scim::projection::AttributeSelection;
use crate::store::ResourceKind;
use crate::store::journal::{Finish, NewEntry, Outcome};
use crate::zoom::model::UserStatus;
use crate::zoom::observe::recording;

use super::plan::Origin;

/// Attributes never deferred: the service's own (`id`, `meta`, `schemas`) and
/// `externalId`, which the store keeps at once.
const NOT_DEFERRED: [&str; 4] = ["id", "meta", "schemas", "externalId"];

/// What `desired` changes in `zoom` (Zoom's rendering of the user), as kept in the
/// store: `{"core": {attribute: value}, "ext": {urn: {attribute: value}}}`; `null`
/// stands for a removed value. Extension attributes are kept one by one, so what Zoom
/// changes meanwhile in the extension's other attributes is not overwritten later.
pub(super) fn delta(zoom: &Value, desired: &Value) -> Value {
    let empty = Map::new();
    let before = zoom.as_object().unwrap_or(&empty);
    let after = desired.as_object().unwrap_or(&empty);
    let mut core = Map::new();
    let mut ext = Map::new();
    let keys = before
        .keys()
        .chain(after.keys().filter(|k| !before.contains_key(*k)));
    for key in keys {
        if NOT_DEFERRED.contains(&key.as_str()) {
            continue;
        }
        let (old, new) = (before.get(key), after.get(key));
        if old == new {
            continue;
        }
        let is_extension = key.starts_with("urn:")
            && (old.is_none_or(Value::is_object) && new.is_none_or(Value::is_object));
        if is_extension {
            let (old, new) = (
                old.and_then(Value::as_object).unwrap_or(&empty),
                new.and_then(Value::as_object).unwrap_or(&empty),
            );
            let mut changed = Map::new();
            for sub in old
                .keys()
                .chain(new.keys().filter(|k| !old.contains_key(*k)))
            {
                if old.get(sub) != new.get(sub) {
                    changed.insert(sub.clone(), new.get(sub).cloned().unwrap_or(Value::Null));
                }
            }
            if !changed.is_empty() {
                ext.insert(key.clone(), Value::Object(changed));
            }
        } else {
            core.insert(key.clone(), new.cloned().unwrap_or(Value::Null));
        }
    }
    json!({"core": core, "ext": ext})
}

/// Whether a delta holds no change.
pub(super) fn is_empty(delta: &Value) -> bool {
    ["core", "ext"].iter().all(|part| {
        delta
            .get(part)
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
    })
}

/// Shows the deferred values in a rendered user: the resource as it will be.
pub(super) fn overlay(resource: &mut Value, delta: &Value) {
    let Some(object) = resource.as_object_mut() else {
        return;
    };
    if let Some(core) = delta.get("core").and_then(Value::as_object) {
        for (key, value) in core {
            if value.is_null() {
                object.remove(key);
            } else {
                object.insert(key.clone(), value.clone());
            }
        }
    }
    if let Some(ext) = delta.get("ext").and_then(Value::as_object) {
        for (urn, changed) in ext {
            let Some(changed) = changed.as_object() else {
                continue;
            };
            let target = object
                .entry(urn.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(target) = target.as_object_mut() {
                for (key, value) in changed {
                    if value.is_null() {
                        target.remove(key);
                    } else {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
            let listed = object
                .get("schemas")
                .and_then(Value::as_array)
                .is_some_and(|s| s.iter().any(|u| u == urn));
            if !listed && let Some(Value::Array(schemas)) = object.get_mut("schemas") {
                schemas.push(Value::String(urn.clone()));
            }
        }
    }
}

/// The attribute names a delta changes, for the `Warning` and the log.
pub(super) fn names(delta: &Value) -> Vec<String> {
    let mut names: Vec<String> = delta
        .get("core")
        .and_then(Value::as_object)
        .map(|core| core.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(ext) = delta.get("ext").and_then(Value::as_object) {
        for changed in ext.values().filter_map(Value::as_object) {
            names.extend(changed.keys().cloned());
        }
    }
    names
}

/// The `Warning` of a deferred change.
pub(super) fn deferred_warning(delta: &Value) -> String {
    format!(
        "{}: deferred until the user accepts the invitation (Zoom ignores changes to an invitee); zoom-scim applies them as one write once it sees the user active",
        names(delta).join(", ")
    )
}

/// The client the journal names for a write the service makes of its own accord.
const DEFERRED_CLIENT: &str = "zoom-scim (deferred changes)";

impl Provider {
    /// Applies the deferred changes of user `id` once Zoom shows them active, as one
    /// write, journaled; `Ok(false)` when there is nothing to apply (none deferred, or
    /// the user is still pending). The changes stay deferred when the write fails.
    pub(in crate::provider) async fn apply_deferred(&self, id: &str) -> Result<bool, ScimError> {
        let entry = NewEntry {
            client: DEFERRED_CLIENT.to_owned(),
            request_id: format!("deferred-{id}"),
            resource_type: ResourceKind::User,
            operation: "apply deferred changes".to_owned(),
            resource_id: Some(id.to_owned()),
            resource_key: None,
        };
        let _guard = self.locks.lock(&format!("user:{id}")).await;
        let state = self.read_user_state(id, false).await?;
        if state.raw == state.json || *state.user.status_or_active() != UserStatus::Active {
            return Ok(false);
        }
        let journal = self
            .store
            .journal_begin(&entry)
            .await
            .map_err(|e| crate::provider::store_failure(&e, "apply deferred changes"))?;
        let desired = state.json.clone();
        let mut progress = Progress::new(
            format!("apply the deferred changes of user {id}"),
            Vec::new(),
        );
        let selection = AttributeSelection::default();
        let (result, recorded) = recording(self.write(
            id,
            &state,
            &desired,
            Origin::Update,
            &selection,
            &mut progress,
        ))
        .await;
        let finish = Finish {
            outcome: if result.is_ok() {
                Outcome::Done
            } else {
                Outcome::Failed
            },
            status: result.as_ref().map_or_else(|e| e.status, |_| 200),
            detail: result.as_ref().err().map(|e| e.detail.clone()),
            resource_id: None,
            calls: zoom_calls(recorded),
        };
        if let Err(e) = self.store.journal_finish(&journal, &finish).await {
            tracing::error!(error = %e, journal_id = %journal, "cannot finish the journal entry of deferred changes");
        }
        result?;
        tracing::info!(user_id = %id, "deferred changes applied");
        Ok(true)
    }

    /// Checks every user with deferred changes: applies them for users now active,
    /// discards them for users gone (a withdrawn invitation); returns how many were
    /// applied. One `GET /users/{id}` per such user.
    pub async fn apply_deferred_changes(&self) -> Result<usize, ScimError> {
        let ids = self
            .store
            .deferred_ids(ResourceKind::User)
            .await
            .map_err(|e| crate::provider::store_failure(&e, "list deferred changes"))?;
        let mut applied = 0;
        for id in ids {
            match self.user_record(&id).await {
                // Still invited, or deactivated since (Zoom refuses changes to them).
                Ok(user) if *user.status_or_active() != UserStatus::Active => {}
                Ok(_) => match self.apply_deferred(&id).await {
                    Ok(true) => applied += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(user_id = %id, detail = %e.detail, "deferred changes not applied yet");
                    }
                },
                // Gone: `user_record` forgot the user, deferred changes with it.
                Err(e) if e.status == 404 => {}
                Err(e) => {
                    tracing::warn!(user_id = %id, detail = %e.detail, "cannot check a user with deferred changes now");
                }
            }
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZOOM_EXT: &str = "urn:ietf:params:scim:schemas:extension:zoom:2.0:User";

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ZOOM_EXT],
            "id": "u1", "externalId": "e1", "userName": "new.hire@example.com",
            "name": {"givenName": "New", "familyName": "Hire"},
            ZOOM_EXT: {"status": "pending", "type": 1},
            "meta": {"resourceType": "User"}
        })
    }

    #[test]
    fn the_delta_is_what_differs_and_overlays_back_to_the_desired_resource() {
        let zoom = user();
        let mut desired = user();
        desired["title"] = json!("Engineer");
        desired["name"]["givenName"] = json!("Newt");
        desired[ZOOM_EXT]["siteName"] = json!("London");
        desired["externalId"] = json!("changed elsewhere");
        desired["meta"]["version"] = json!("W/\"x\"");
        let d = delta(&zoom, &desired);
        assert_eq!(
            d,
            json!({"core": {"title": "Engineer", "name": {"givenName": "Newt", "familyName": "Hire"}},
                   "ext": {ZOOM_EXT: {"siteName": "London"}}})
        );
        assert!(!is_empty(&d));
        let mut shown = zoom.clone();
        overlay(&mut shown, &d);
        assert_eq!(shown["title"], "Engineer");
        assert_eq!(shown["name"]["givenName"], "Newt");
        assert_eq!(shown[ZOOM_EXT]["siteName"], "London");
        assert_eq!(
            shown[ZOOM_EXT]["status"], "pending",
            "the rest of the extension stays"
        );
        assert_eq!(
            shown["externalId"], "e1",
            "externalId is the store's, not deferred"
        );
        let mut names = names(&d);
        names.sort();
        assert_eq!(names, ["name", "siteName", "title"]);
    }

    #[test]
    fn removals_are_kept_as_null_and_nothing_changed_is_empty() {
        let mut zoom = user();
        zoom["title"] = json!("Intern");
        let desired = user();
        let d = delta(&zoom, &desired);
        assert_eq!(d["core"]["title"], Value::Null);
        let mut shown = zoom.clone();
        overlay(&mut shown, &d);
        assert!(shown.get("title").is_none());
        assert!(is_empty(&delta(&user(), &user())));
    }

    #[test]
    fn an_extension_first_set_is_listed_in_schemas() {
        let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let mut desired = user();
        desired[ent] = json!({"department": "R&D"});
        let d = delta(&user(), &desired);
        let mut shown = user();
        overlay(&mut shown, &d);
        assert_eq!(shown[ent]["department"], "R&D");
        assert!(
            shown["schemas"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == ent)
        );
    }
}
