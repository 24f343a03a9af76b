//! SCIM Groups over Zoom groups (RFC 7644 sections 3.3-3.6 for `/Groups`): read, list
//! and search with filter push-down, create with the duplicates policy, PATCH in every
//! client dialect, PUT and DELETE, all membership changes made by difference; and the
//! user-side helper that moves one user between groups by difference.
//!
//! Choices worth knowing:
//! - Member lists are read only when a response or a filter needs them
//!   (`excludedAttributes=members` and `attributes=displayName` make no member call), or
//!   when a write needs the current list (replace, remove all, remove by a general
//!   filter, PUT with `members`, or an `If-Match` to check).
//! - `meta.version` is a weak ETag over the id, the name and the set of member ids
//!   ([`crate::mapping::group::group_version`]); it is only sent when the member list
//!   was read.
//! - Member ids to add are checked before anything changes: an id Zoom does not know is
//!   400 naming it, and nothing is applied. Removing a user who is not a member is not
//!   an error (RFC 7644 section 3.5.2.2: there is no matching value to remove).
//! - Writes run removals first, then additions (a failure part-way leaves fewer grants,
//!   never more); additions go in batches of 30 (`POST /groups/{groupId}/members`);
//!   pending users join through `PATCH /users/{userId}` with `group_id`, the one way
//!   Zoom documents for them (it silently ignores pending users in member adds), and
//!   are read back to confirm.
//! - Writes to one group run one at a time (`group:{id}` in [`crate::provider::ResourceLocks`]).
//! - Listings use the account's group list cached for a minute ([`crate::provider::Lookups`]);
//!   writes through this service refresh it at once, and a `displayName eq` look-up
//!   that misses (or finds a stale entry) reads the list again before answering.

mod members;
mod read;
mod write;

pub use members::GroupMember;
pub(super) use members::name_ids;
pub use write::GroupPatchOutcome;
