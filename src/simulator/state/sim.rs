//! The runtime state shared by every handler: settings, the account ([`World`]), tokens,
//! the rate limiter, scripted faults and counters, each behind its own lock.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::{World, lock};
use crate::simulator::faults::FaultQueue;
use crate::simulator::oauth::TokenStore;
use crate::simulator::ratelimit::RateLimiter;
use crate::simulator::settings::{SimCredentials, SimSettings};
use crate::simulator::stats::Stats;
use crate::simulator::webhooks::Webhooks;

/// The account, held: derefs to [`World`]; when dropped, the changes made meanwhile go
/// to the webhook sender.
pub struct WorldGuard<'a> {
    world: MutexGuard<'a, World>,
    webhooks: &'a Webhooks,
}

impl std::ops::Deref for WorldGuard<'_> {
    type Target = World;

    fn deref(&self) -> &World {
        &self.world
    }
}

impl std::ops::DerefMut for WorldGuard<'_> {
    fn deref_mut(&mut self) -> &mut World {
        &mut self.world
    }
}

impl Drop for WorldGuard<'_> {
    fn drop(&mut self) {
        let events = self.world.take_events();
        if !events.is_empty() {
            self.webhooks.queue(events);
        }
    }
}

/// The runtime state shared by every handler.
#[derive(Debug)]
pub struct Sim {
    /// `http://addr` (the token response's `api_url`).
    pub base_url: String,
    /// Accepted OAuth credentials.
    pub credentials: SimCredentials,
    settings: RwLock<SimSettings>,
    world: Mutex<World>,
    tokens: Mutex<TokenStore>,
    limiter: Mutex<RateLimiter>,
    faults: Mutex<FaultQueue>,
    stats: Mutex<Stats>,
    /// The webhook sender's queue and delivery log.
    pub webhooks: Webhooks,
    /// Becomes true when the server shuts down (hanging requests give up).
    pub shutdown: watch::Receiver<bool>,
}

impl Sim {
    /// Assembles the runtime state.
    pub fn new(
        base_url: String,
        credentials: SimCredentials,
        settings: SimSettings,
        world: World,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            base_url,
            credentials,
            settings: RwLock::new(settings),
            world: Mutex::new(world),
            tokens: Mutex::new(TokenStore::default()),
            limiter: Mutex::new(RateLimiter::default()),
            faults: Mutex::new(FaultQueue::default()),
            stats: Mutex::new(Stats::default()),
            webhooks: Webhooks::default(),
            shutdown,
        }
    }

    /// A copy of the current settings.
    pub fn settings(&self) -> SimSettings {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the settings.
    pub fn set_settings(&self, settings: SimSettings) {
        *self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = settings;
    }

    /// The account data. Invitations due for confirmation (`activate_pending_after_s`)
    /// are confirmed first, so every reader sees invitees who "accepted" meanwhile.
    /// The changes made while it is held are reported as webhook events when it is
    /// let go.
    pub fn world(&self) -> WorldGuard<'_> {
        let after = self
            .settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .activate_pending_after_s;
        let mut world = lock(&self.world);
        world.confirm_due_invitations(Instant::now(), after.map(Duration::from_secs));
        WorldGuard {
            world,
            webhooks: &self.webhooks,
        }
    }

    /// Issued access tokens.
    pub fn tokens(&self) -> MutexGuard<'_, TokenStore> {
        lock(&self.tokens)
    }

    /// The rate limiter.
    pub fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        lock(&self.limiter)
    }

    /// Scripted faults.
    pub fn faults(&self) -> MutexGuard<'_, FaultQueue> {
        lock(&self.faults)
    }

    /// Counters.
    pub fn stats(&self) -> MutexGuard<'_, Stats> {
        lock(&self.stats)
    }
}
