//! Cached look-ups shared by every request: group names, role names, phone sites, the
//! account's calling plans, and e-mail -> id resolutions (manager references, pending
//! invitees). Each cache is bounded and expires, so correctness never depends on it: a
//! miss asks Zoom.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use moka::future::Cache;

use super::phone_roster::PhoneRoster;
use super::settings::ScimConfig;
use super::user_roster::{KnownUser, UserRoster};
use crate::zoom::ZoomClient;
use crate::zoom::error::{ErrorKind, ZoomError};
use crate::zoom::model::{AccountCallingPlan, Group, PhoneSite, ZoomUser};

/// How long group and role names (and the group list) are trusted. Writes through
/// this service forget them at once; changes made in Zoom directly show within this.
const NAMES_TTL: Duration = Duration::from_secs(60);
/// E-mail -> id pairs kept. A working set, not a directory of the account: moka's
/// TinyLFU admission keeps the often-asked keys (managers, referenced by many users),
/// and at about 350 bytes an entry the cache stays under 4 MiB whatever the account's
/// size. At 100,000 entries a 50,000-user deep import grew the service by 15 MiB
/// (benchmark scenario 5); a miss costs one `GET /users/{email}`.
const IDS_BY_EMAIL_CAPACITY: u64 = 10_000;
/// The account's Zoom Phone sites (every page of `GET /phone/sites`), by id, name and
/// code. Also says whether the account has Zoom Phone at all: the phone API answers
/// 403 when it has not (contract section 5).
#[derive(Debug, Default)]
pub struct SiteDirectory {
    phone_enabled: bool,
    sites: Vec<PhoneSite>,
    by_id: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

impl SiteDirectory {
    /// The directory of `sites`.
    pub fn new(sites: Vec<PhoneSite>) -> Self {
        let mut by_id = HashMap::new();
        let mut by_name = HashMap::new();
        for (i, site) in sites.iter().enumerate() {
            if let Some(id) = &site.id {
                by_id.insert(id.clone(), i);
            }
            if let Some(name) = &site.name {
                by_name.entry(name.to_lowercase()).or_insert(i);
            }
        }
        Self {
            phone_enabled: true,
            sites,
            by_id,
            by_name,
        }
    }

    /// An account without Zoom Phone: no sites, and no user has a phone profile.
    pub fn phone_disabled() -> Self {
        Self::default()
    }

    /// Whether the account has Zoom Phone.
    pub fn phone_enabled(&self) -> bool {
        self.phone_enabled
    }

    /// The site with this id.
    pub fn get(&self, id: &str) -> Option<&PhoneSite> {
        self.by_id.get(id).map(|i| &self.sites[*i])
    }

    /// The site with this name (case-insensitive, as Zoom site names are unique
    /// regardless of case).
    pub fn by_name(&self, name: &str) -> Option<&PhoneSite> {
        self.by_name
            .get(&name.to_lowercase())
            .map(|i| &self.sites[*i])
    }

    /// The site with this site code.
    pub fn by_code(&self, code: i64) -> Option<&PhoneSite> {
        self.sites.iter().find(|s| s.site_code == Some(code))
    }

    /// Every site, in Zoom's order.
    pub fn sites(&self) -> &[PhoneSite] {
        &self.sites
    }
}

/// Whether a phone-API failure means "this account has no Zoom Phone" (HTTP 403,
/// e.g. code 2031 "Zoom Phone has not been enabled for this account.").
pub fn phone_is_disabled(error: &ZoomError) -> bool {
    error.status == Some(403) && error.kind == ErrorKind::Permission
}

/// The account's groups as one walk found them, and the id -> name map every user
/// read with `groups` needs (built once per walk, not once per read).
struct GroupList {
    groups: Arc<Vec<Group>>,
    names: Arc<HashMap<String, String>>,
}

/// Shared caches over Zoom look-ups.
#[derive(Clone)]
pub struct Lookups {
    zoom: ZoomClient,
    /// Every group of the account, in Zoom's order (creation order), with its names.
    group_list: Cache<(), Arc<GroupList>>,
    role_names: Cache<(), Arc<HashMap<String, String>>>,
    sites: Cache<(), Arc<SiteDirectory>>,
    /// Lower-cased e-mail -> Zoom user id.
    ids_by_email: Cache<String, String>,
    /// Who has Zoom Phone.
    phone_roster: PhoneRoster,
    /// The confirmed (not pending) users, for writes.
    user_roster: UserRoster,
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
    pub fn new(zoom: ZoomClient, settings: &ScimConfig) -> Self {
        let page_size = zoom.default_page_size();
        Self {
            zoom,
            sites: Cache::builder()
                .max_capacity(1)
                .time_to_live(Duration::from_secs(settings.site_cache_ttl_s.max(1)))
                .build(),
            group_list: Cache::builder()
                .max_capacity(1)
                .time_to_live(NAMES_TTL)
                .build(),
            role_names: Cache::builder()
                .max_capacity(1)
                .time_to_live(NAMES_TTL)
                .build(),
            ids_by_email: Cache::builder()
                .max_capacity(IDS_BY_EMAIL_CAPACITY)
                .time_to_live(Duration::from_secs(3600))
                .build(),
            phone_roster: PhoneRoster::new(settings.phone_roster_ttl_s),
            user_roster: UserRoster::new(settings.user_roster_ttl_s, page_size),
        }
    }

    /// Whether user `id` has Zoom Phone per the roster; `None`: ask Zoom.
    pub fn phone_known(&self, id: &str) -> Option<bool> {
        self.phone_roster.has_phone(id, &self.zoom)
    }

    /// Records what `GET /phone/users/{id}` answered for `id`.
    pub fn phone_found(&self, id: &str, has_phone: bool) {
        self.phone_roster.correct(id, has_phone);
    }

    /// What the user roster knows of confirmed user `id` (`None`: read the user).
    /// Asked by writes only: it starts the roster's background walk when one is due.
    pub fn user_known(&self, id: &str) -> Option<KnownUser> {
        self.user_roster.known(id, &self.zoom)
    }

    /// Waits for the user roster when its walk costs at most `lookups` list pages (see
    /// [`UserRoster::ready`]); `false`: it cannot answer.
    pub async fn user_roster_ready(&self, lookups: usize) -> bool {
        self.user_roster.ready(&self.zoom, lookups).await
    }

    /// Records what a write read of user `id`.
    pub fn user_seen(&self, id: &str, user: &ZoomUser) {
        self.user_roster.seen(id, user);
    }

    /// Records that user `id` left the account.
    pub fn user_gone(&self, id: &str) {
        self.user_roster.gone(id);
    }

    /// Every group of the account with an id, in Zoom's order (one paged walk per
    /// minute at most; Zoom allows 5000 groups, 300 per page).
    pub async fn group_list(&self) -> Result<Arc<Vec<Group>>, Arc<ZoomError>> {
        Ok(self.groups_walked().await?.groups.clone())
    }

    async fn groups_walked(&self) -> Result<Arc<GroupList>, Arc<ZoomError>> {
        let zoom = self.zoom.clone();
        self.group_list
            .try_get_with((), async move {
                let groups: Vec<Group> = zoom.list_groups().try_collect().await?;
                let groups: Vec<Group> = groups.into_iter().filter(|g| g.id.is_some()).collect();
                let names = groups
                    .iter()
                    .filter_map(|g| Some((g.id.clone()?, g.name.clone())))
                    .collect();
                Ok::<_, ZoomError>(Arc::new(GroupList {
                    groups: Arc::new(groups),
                    names: Arc::new(names),
                }))
            })
            .await
    }

    /// Group id -> name for every group of the account (from [`Lookups::group_list`]).
    pub async fn group_names(&self) -> Result<Arc<HashMap<String, String>>, Arc<ZoomError>> {
        Ok(self.groups_walked().await?.names.clone())
    }

    /// Forgets the group list and names (after a group is created, renamed or deleted,
    /// or when a look-up by name misses).
    pub async fn forget_group_names(&self) {
        self.group_list.invalidate(&()).await;
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

    /// The phone sites, every page of `GET /phone/sites` (cached for
    /// `scim.site_cache_ttl_s`). An account without Zoom Phone gives an empty,
    /// disabled directory, not an error.
    pub async fn sites(&self) -> Result<Arc<SiteDirectory>, Arc<ZoomError>> {
        let zoom = self.zoom.clone();
        self.sites
            .try_get_with((), async move {
                match zoom.list_sites().try_collect::<Vec<_>>().await {
                    Ok(sites) => Ok(Arc::new(SiteDirectory::new(sites))),
                    Err(e) if phone_is_disabled(&e) => {
                        Ok(Arc::new(SiteDirectory::phone_disabled()))
                    }
                    Err(e) => Err(e),
                }
            })
            .await
    }

    /// Forgets the site list (after a site change, or to see a new site).
    pub async fn forget_sites(&self) {
        self.sites.invalidate(&()).await;
    }

    /// The site named `name` (case-insensitive), over every page of sites. A name not
    /// in the cached list is looked up once more in a fresh list (a site created since
    /// the list was cached).
    pub async fn site_by_name(&self, name: &str) -> Result<Option<PhoneSite>, Arc<ZoomError>> {
        if let Some(site) = self.sites().await?.by_name(name) {
            return Ok(Some(site.clone()));
        }
        self.forget_sites().await;
        Ok(self.sites().await?.by_name(name).cloned())
    }

    /// The account's calling-plan subscriptions and their free seats, read now
    /// (`GET /phone/calling_plans`, one Medium call). Not cached: seats are taken by
    /// this service's own writes, by other admins and by Zoom itself, and a stale count
    /// would let a request start changing a user before Zoom refuses the plan. An
    /// account without Zoom Phone has none.
    pub async fn calling_plans(&self) -> Result<Vec<AccountCallingPlan>, ZoomError> {
        match self.zoom.list_calling_plans().await {
            Ok(plans) => Ok(plans),
            Err(e) if phone_is_disabled(&e) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// The Zoom id of the user with this e-mail, if any (cached, or from the user
    /// roster when a write has had it walked; ids never change).
    pub async fn id_for_email(&self, email: &str) -> Result<Option<String>, ZoomError> {
        let key = email.to_ascii_lowercase();
        if let Some(id) = self.ids_by_email.get(&key).await {
            return Ok(Some(id));
        }
        if let Some(id) = self.user_roster.id_for_email(&key) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn site(id: &str, name: &str, code: i64) -> PhoneSite {
        PhoneSite {
            id: Some(id.into()),
            name: Some(name.into()),
            site_code: Some(code),
            ..PhoneSite::default()
        }
    }

    #[test]
    fn sites_are_found_by_id_name_and_code() {
        let dir = SiteDirectory::new(vec![site("s1", "Main Site", 1), site("s2", "London", 2)]);
        assert!(dir.phone_enabled());
        assert_eq!(
            dir.get("s2").and_then(|s| s.name.as_deref()),
            Some("London")
        );
        assert_eq!(
            dir.by_name("lOnDoN").and_then(|s| s.id.as_deref()),
            Some("s2")
        );
        assert_eq!(dir.by_code(1).and_then(|s| s.id.as_deref()), Some("s1"));
        assert!(dir.by_name("Paris").is_none());
        assert_eq!(dir.sites().len(), 2);
        let off = SiteDirectory::phone_disabled();
        assert!(!off.phone_enabled());
        assert!(off.get("s1").is_none());
    }
}
