//! Users (RFC 7644 sections 3.3 to 3.6): reading one, listing by cursor or in memory,
//! planning and applying writes, deleting.

mod cursor;
mod deferred;
mod delete;
mod list;
mod plan;
mod read;
mod resolve;
mod write;

pub(super) use cursor::CursorCache;
