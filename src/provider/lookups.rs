//! Cached look-ups shared by every request: group names, role names, phone sites,
//! and e-mail -> id resolutions (manager references, pending invitees). Each cache is
//! bounded and expires, so correctness never depends on it: a miss asks Zoom.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use moka::future::Cache;

use crate::config::Config;
use crate::zoom::ZoomClient;
use crate::zoom::error::ZoomError;
use crate::zoom::model::PhoneSite;

/// How long group and role names are trusted.
const NAMES_TTL: Duration = Duration::from_secs(60);

/// Shared caches over Zoom look-ups.
#[derive(Clone)]
pub struct Lookups {
    zoom: ZoomClient,
    group_names: Cache<(), Arc<HashMap<String, String>>>,
    role_names: Cache<(), Arc<HashMap<String, String>>>,
    /// The account's Zoom Phone sites (every page).
    sites: Cache<(), Arc<Vec<PhoneSite>>>,
    /// Lower-cased e-mail -> Zoom user id.
    ids_by_email: Cache<String, String>,
}

impl std::fmt::Debug for Lookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookups")
            .field("ids_by_email", &self.ids_by_email.entry_count())
            .finish()
    }
}

impl Lookups {
    /// Empty caches.
    pub fn new(zoom: ZoomClient, config: &Config) -> Self {
        Self {
            zoom,
            group_names: Cache::builder()
                .max_capacity(1)
                .time_to_live(NAMES_TTL)
                .build(),
            role_names: Cache::builder()
                .max_capacity(1)
                .time_to_live(NAMES_TTL)
                .build(),
            sites: Cache::builder()
                .max_capacity(1)
                .time_to_live(Duration::from_secs(config.scim.site_cache_ttl_s.max(1)))
                .build(),
            ids_by_email: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(3600))
                .build(),
        }
    }

    /// Group id -> name for every group of the account (one paged walk per minute).
    pub async fn group_names(&self) -> Result<Arc<HashMap<String, String>>, Arc<ZoomError>> {
        let zoom = self.zoom.clone();
        self.group_names
            .try_get_with((), async move {
                let groups: Vec<_> = zoom.list_groups().try_collect().await?;
                Ok::<_, ZoomError>(Arc::new(
                    groups
                        .into_iter()
                        .filter_map(|g| Some((g.id?, g.name)))
                        .collect(),
                ))
            })
            .await
    }

    /// Forgets group names (after a group is created, renamed or deleted).
    pub async fn forget_group_names(&self) {
        self.group_names.invalidate(&()).await;
    }

    /// Role id -> name.
    pub async fn role_names(&self) -> Result<Arc<HashMap<String, String>>, Arc<ZoomError>> {
        let zoom = self.zoom.clone();
        self.role_names
            .try_get_with((), async move {
                let roles = zoom.list_roles().await?;
                Ok::<_, ZoomError>(Arc::new(
                    roles
                        .into_iter()
                        .filter_map(|r| Some((r.id?, r.name)))
                        .collect(),
                ))
            })
            .await
    }

    /// Every Zoom Phone site of the account (all pages), cached for
    /// `scim.site_cache_ttl_s`.
    pub async fn sites(&self) -> Result<Arc<Vec<PhoneSite>>, Arc<ZoomError>> {
        let zoom = self.zoom.clone();
        self.sites
            .try_get_with((), async move {
                let sites: Vec<PhoneSite> = zoom.list_sites().try_collect().await?;
                Ok::<_, ZoomError>(Arc::new(sites))
            })
            .await
    }

    /// The Zoom id of the user with this e-mail, if any (cached; ids never change).
    pub async fn id_for_email(&self, email: &str) -> Result<Option<String>, ZoomError> {
        let key = email.to_ascii_lowercase();
        if let Some(id) = self.ids_by_email.get(&key).await {
            return Ok(Some(id));
        }
        match self.zoom.get_user(email).await {
            Ok(user) => {
                let id = user.id.clone();
                if let Some(id) = &id {
                    self.ids_by_email.insert(key, id.clone()).await;
                }
                Ok(id)
            }
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Remembers an e-mail -> id pair learnt from a Zoom answer.
    pub async fn remember_id(&self, email: &str, id: &str) {
        self.ids_by_email
            .insert(email.to_ascii_lowercase(), id.to_owned())
            .await;
    }

    /// Forgets an e-mail (after an e-mail change or a removal).
    pub async fn forget_email(&self, email: &str) {
        self.ids_by_email
            .invalidate(&email.to_ascii_lowercase())
            .await;
    }
}
