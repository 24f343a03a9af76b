//! Reading users' Zoom Phone state for SCIM. One user: `GET /phone/users/{id}` (a
//! 404/1001 means "no phone profile", i.e. `zoomPhoneFeature=false`). Listings: small
//! pages ask per user; larger ones walk the paged `GET /phone/users` once (100 users a
//! call) and join by user id, instead of one call per user. Site names and codes come
//! from the cached site list. An account without Zoom Phone (403) reads as "nobody has
//! a phone profile".

use std::collections::HashMap;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};

use super::Provider;
use super::lookups::{SiteDirectory, phone_is_disabled};
use crate::mapping::user::PhoneView;
use crate::provider::failure::zoom_failure;
use crate::scim::error::ScimError;
use crate::zoom::error::ZoomError;
use crate::zoom::model::{ListPhoneUsersQuery, ZoomUser};

/// `GET /phone/users` allows 100 per page (contract section 2).
const PHONE_PAGE: u32 = 100;

/// Phone views of a set of users, by Zoom user id: a user absent from it has no phone
/// profile. Built from per-user reads or from one walk of the phone-user listing, and
/// kept for the walk's pages: its size grows with the account's phone users, so each
/// view is stored compactly ([`StoredPhone`], about a fifth of a [`PhoneView`] in the
/// map; benchmark scenario 5).
#[derive(Debug, Default)]
pub(super) struct PhoneIndex {
    views: HashMap<Box<str>, Box<StoredPhone>>,
    /// Listed phone users without an id, by lower-cased e-mail (a join fallback).
    by_email: HashMap<Box<str>, Box<StoredPhone>>,
    /// The distinct (site id, site name, site code) of the views: a few per account.
    sites: Vec<SiteFields>,
}

type SiteFields = (Option<String>, Option<String>, Option<i64>);

/// A [`PhoneView`] as the index stores it: the site as an index into the index's site
/// table, strings as boxed slices.
#[derive(Debug)]
struct StoredPhone {
    site: Option<u32>,
    status: Option<Box<str>>,
    extension_number: Option<Box<str>>,
    calling_plans: Box<[i64]>,
    numbers: Box<[Box<str>]>,
}

impl PhoneIndex {
    /// About how many bytes the index holds (for the cursor cache's byte budget).
    pub(super) fn approx_bytes(&self) -> usize {
        const PER_VIEW: usize = std::mem::size_of::<StoredPhone>() + 96;
        (self.views.len() + self.by_email.len()) * PER_VIEW
    }

    /// Adds the view of user `id`.
    pub(super) fn insert(&mut self, id: String, view: PhoneView) {
        let stored = self.store(view);
        self.views.insert(id.into_boxed_str(), stored);
    }

    fn insert_by_email(&mut self, email: &str, view: PhoneView) {
        let stored = self.store(view);
        self.by_email
            .insert(email.to_lowercase().into_boxed_str(), stored);
    }

    fn store(&mut self, view: PhoneView) -> Box<StoredPhone> {
        let site_fields = (view.site_id, view.site_name, view.site_code);
        let site = (site_fields != (None, None, None)).then(|| {
            let at = self.sites.iter().position(|s| *s == site_fields);
            let at = at.unwrap_or_else(|| {
                self.sites.push(site_fields);
                self.sites.len() - 1
            });
            u32::try_from(at).unwrap_or(u32::MAX)
        });
        Box::new(StoredPhone {
            site,
            status: view.status.map(String::into_boxed_str),
            extension_number: view.extension_number.map(String::into_boxed_str),
            calling_plans: view.calling_plans.into_boxed_slice(),
            numbers: view
                .numbers
                .into_iter()
                .map(String::into_boxed_str)
                .collect(),
        })
    }

    fn view(&self, stored: &StoredPhone) -> PhoneView {
        let (site_id, site_name, site_code) = stored
            .site
            .and_then(|i| self.sites.get(i as usize))
            .cloned()
            .unwrap_or_default();
        PhoneView {
            status: stored.status.as_deref().map(str::to_owned),
            site_id,
            site_name,
            site_code,
            extension_number: stored.extension_number.as_deref().map(str::to_owned),
            calling_plans: stored.calling_plans.to_vec(),
            numbers: stored.numbers.iter().map(|n| n.to_string()).collect(),
        }
    }

    /// The phone view of `user` (id `id`), joined by id, else by e-mail; `None`: no
    /// phone profile.
    pub(super) fn of(&self, id: &str, user: &ZoomUser) -> Option<PhoneView> {
        let stored = self.views.get(id).or_else(|| {
            if self.by_email.is_empty() {
                None
            } else {
                self.by_email.get(user.email.to_lowercase().as_str())
            }
        })?;
        Some(self.view(stored))
    }

    /// Whether `user` (id `id`) has a phone profile.
    pub(super) fn has(&self, id: &str, user: &ZoomUser) -> bool {
        self.views.contains_key(id)
            || (!self.by_email.is_empty()
                && self
                    .by_email
                    .contains_key(user.email.to_lowercase().as_str()))
    }

    /// The ids of the users with a phone profile.
    pub(super) fn ids(&self) -> impl Iterator<Item = &str> {
        self.views.keys().map(|k| &**k)
    }

    /// Number of users with a phone profile.
    pub(super) fn len(&self) -> usize {
        self.views.len()
    }
}

/// Whether the phone profile of `user` must be read: pending users cannot have one
/// (contract section 3.10). Zoom's user records carry no `feature` object (Java
/// connector, docs/java-connector.md 5.3; contract section 3.3), so everyone else
/// may have one.
pub(super) fn may_have_phone(user: &ZoomUser) -> bool {
    !user.is_pending()
}

impl Provider {
    /// The cached site directory.
    pub(super) async fn phone_sites(&self) -> Result<Arc<SiteDirectory>, ScimError> {
        self.lookups
            .sites()
            .await
            .map_err(|e| zoom_failure(&e, "list phone sites"))
    }

    /// The phone view of one user (`GET /phone/users/{id}`); `None` without a profile.
    /// With `use_roster`, a user the phone roster does not list is not asked about;
    /// writes pass false (they act on the profile, so they read it).
    pub(super) async fn phone_of(
        &self,
        user: &ZoomUser,
        id: &str,
        sites: &SiteDirectory,
        use_roster: bool,
    ) -> Result<Option<PhoneView>, ScimError> {
        if !may_have_phone(user) {
            return Ok(None);
        }
        if use_roster && self.lookups.phone_known(id) == Some(false) {
            return Ok(None);
        }
        self.phone_profile(id, sites).await
    }

    /// `GET /phone/users/{id}` as a phone view, correcting the roster with the answer;
    /// `None` when the user has no Zoom Phone (404 code 1001, docs/java-connector.md 5.3)
    /// or the account has none (no call then, or 403).
    pub(super) async fn phone_profile(
        &self,
        id: &str,
        sites: &SiteDirectory,
    ) -> Result<Option<PhoneView>, ScimError> {
        if !sites.phone_enabled() {
            return Ok(None);
        }
        let found = self.zoom.get_phone_user(id).await;
        let no_profile =
            |e: &ZoomError| e.code == Some(1001) || (e.is_not_found() && e.code.is_none());
        match &found {
            Ok(_) => self.lookups.phone_found(id, true),
            Err(e) if no_profile(e) => self.lookups.phone_found(id, false),
            Err(_) => {}
        }
        match found {
            Ok(profile) => {
                let site = profile.site_id.as_deref().and_then(|s| sites.get(s));
                Ok(Some(PhoneView::from_profile(&profile, site)))
            }
            Err(e) if no_profile(&e) || phone_is_disabled(&e) => Ok(None),
            Err(e) => Err(zoom_failure(
                &e,
                &format!("read the phone profile of user {id}"),
            )),
        }
    }

    /// Phone views of `users`, one `GET /phone/users/{id}` each (bounded concurrency).
    pub(super) async fn phone_per_user(
        &self,
        users: &[(String, ZoomUser)],
        sites: &SiteDirectory,
    ) -> Result<PhoneIndex, ScimError> {
        // The futures are built first: a closure inside the stream type would trip
        // rustc's `Send` check of the axum handlers (higher-ranked lifetimes).
        let reads: Vec<_> = users
            .iter()
            .map(|pair| self.phone_pair(pair, sites))
            .collect();
        let found: Vec<Result<Option<(String, PhoneView)>, ScimError>> =
            futures::stream::iter(reads)
                .buffered(self.deep_concurrency())
                .collect()
                .await;
        let mut index = PhoneIndex::default();
        for item in found {
            if let Some((id, view)) = item? {
                index.insert(id, view);
            }
        }
        Ok(index)
    }

    async fn phone_pair(
        &self,
        (id, user): &(String, ZoomUser),
        sites: &SiteDirectory,
    ) -> Result<Option<(String, PhoneView)>, ScimError> {
        Ok(self
            .phone_of(user, id, sites, true)
            .await?
            .map(|view| (id.clone(), view)))
    }

    /// Every phone user matching `query`, walking `GET /phone/users` at 100 a page.
    pub(super) async fn phone_listing(
        &self,
        mut query: ListPhoneUsersQuery,
        sites: &SiteDirectory,
    ) -> Result<PhoneIndex, ScimError> {
        if !sites.phone_enabled() {
            return Ok(PhoneIndex::default());
        }
        query.page_size = Some(PHONE_PAGE);
        // Folded page by page: each listed record is dropped once its view is kept
        // (collecting the records first held every one of them at once: benchmark
        // scenario 5 grew by about 1 KiB per phone user).
        let walked = self
            .zoom
            .list_phone_users(query)
            .try_fold(PhoneIndex::default(), |mut index, item| async move {
                let site = item
                    .site
                    .as_ref()
                    .and_then(|s| s.id.as_deref())
                    .and_then(|s| sites.get(s));
                let view = PhoneView::from_listed(&item, site);
                match (item.id, &item.email) {
                    (Some(id), _) => index.insert(id, view),
                    (None, Some(email)) => index.insert_by_email(email, view),
                    (None, None) => {}
                }
                Ok(index)
            })
            .await;
        let index = match walked {
            Ok(index) => index,
            Err(e) if phone_is_disabled(&e) => PhoneIndex::default(),
            Err(e) => return Err(zoom_failure(&e, "list phone users")),
        };
        Ok(index)
    }

    /// Phone views for a page of users: `known` (an index of this walk) if there is
    /// one; per-user reads for at most `scim.phone_per_user_max` candidates; else one
    /// walk of the whole phone-user listing, returned as `true` so the caller can keep
    /// it for the next pages.
    pub(super) async fn phone_for_page(
        &self,
        users: &[(String, ZoomUser)],
        known: Option<Arc<PhoneIndex>>,
    ) -> Result<(Arc<PhoneIndex>, bool), ScimError> {
        if let Some(index) = known {
            return Ok((index, false));
        }
        let candidates = users.iter().filter(|(_, u)| may_have_phone(u)).count();
        if candidates == 0 {
            return Ok((Arc::new(PhoneIndex::default()), false));
        }
        let sites = self.phone_sites().await?;
        if candidates <= self.settings.phone_per_user_max {
            let index = self.phone_per_user(users, &sites).await?;
            return Ok((Arc::new(index), false));
        }
        let index = self
            .phone_listing(ListPhoneUsersQuery::default(), &sites)
            .await?;
        Ok((Arc::new(index), true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email: &str) -> ZoomUser {
        serde_json::from_value(serde_json::json!({"email": email})).unwrap()
    }

    fn view(site: Option<&str>, ext: &str, numbers: &[&str]) -> PhoneView {
        PhoneView {
            status: Some("activate".into()),
            site_id: site.map(str::to_owned),
            site_name: site.map(|s| format!("Site {s}")),
            site_code: site.map(|_| 7),
            extension_number: Some(ext.into()),
            calling_plans: vec![200, 3],
            numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    #[test]
    fn stored_views_come_back_as_they_went_in_with_sites_shared() {
        let mut index = PhoneIndex::default();
        let a = view(Some("s1"), "101", &["+14155550100"]);
        let b = view(Some("s1"), "102", &[]);
        let c = view(None, "103", &["+14155550101", "+14155550102"]);
        index.insert("a".into(), a.clone());
        index.insert("b".into(), b.clone());
        index.insert("c".into(), c.clone());
        index.insert_by_email("D@Example.com", a.clone());
        assert_eq!(index.of("a", &user("x@example.com")), Some(a.clone()));
        assert_eq!(index.of("b", &user("x@example.com")), Some(b));
        assert_eq!(index.of("c", &user("x@example.com")), Some(c));
        assert_eq!(index.of("zz", &user("d@example.com")), Some(a));
        assert_eq!(index.of("zz", &user("e@example.com")), None);
        assert!(index.has("zz", &user("d@example.com")));
        assert_eq!(index.sites.len(), 1, "one site entry for two views");
        assert_eq!(index.len(), 3);
    }
}
