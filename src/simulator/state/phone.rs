//! The `feature.zoom_phone` switch: the one way a user gets or loses a profile in the
//! account's [`PhoneBook`] (contract section 3.9).

use super::{UserStatus, World};
use crate::simulator::phone_book::{PhoneBook, PhoneRefusal};

impl World {
    /// Turns `feature.zoom_phone` on or off.
    ///
    /// The single place where a user becomes or stops being a phone user. On: a
    /// profile at the main site with the lowest free extension, taking a licence
    /// (refused when none is left). Off: "If the value is set to false, will remove
    /// user from Zoom Phone. All numbers and phones assigned to the users will become
    /// unassigned." (contract section 3.9): numbers and plans go back to their
    /// pools, the extension and the licence are freed. Pending users only record the
    /// wish: they get the profile when they confirm ([`Self::set_status`]).
    pub fn set_zoom_phone(&mut self, seq: u64, enabled: bool) -> Result<(), PhoneRefusal> {
        let Some(user) = self.users.get(&seq) else {
            return Ok(());
        };
        let pending = user.status == UserStatus::Pending;
        if enabled && !pending {
            self.phone.enable(seq)?;
        }
        if !enabled {
            self.phone.disable(seq);
        }
        if let Some(user) = self.users.get_mut(&seq) {
            user.zoom_phone = enabled;
        }
        Ok(())
    }

    /// Seeding: makes user `seq` a phone user at `site` (no licence check; the seeder
    /// sizes the licence pool afterwards).
    pub fn seed_phone_user(&mut self, seq: u64, site: u64) -> Result<(), PhoneRefusal> {
        if !self.users.contains_key(&seq) {
            return Ok(());
        }
        self.phone.enable_at(seq, site)?;
        if let Some(user) = self.users.get_mut(&seq) {
            user.zoom_phone = true;
        }
        Ok(())
    }

    /// The Zoom Phone side of the account.
    pub fn phone(&self) -> &PhoneBook {
        &self.phone
    }

    /// The Zoom Phone side, for plan, number, site and extension changes. Profiles are
    /// created and removed only through [`Self::set_zoom_phone`] (and seeding).
    pub fn phone_mut(&mut self) -> &mut PhoneBook {
        &mut self.phone
    }
}
