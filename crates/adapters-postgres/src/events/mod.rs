//! Live events (docs/events.md): each api process follows the activity log
//! for the projects it has streams on — writes announced in batches
//! (`announcer.rs`), one listening connection (`listen.rs`), one tail reader (`hub.rs`), each entry read once and
//! shared by every local stream — and each stream replays its resume from
//! the log (`followed.rs`). PostgreSQL is the record and the only channel.

mod announcer;
mod feed;
mod followed;
mod hub;
mod listen;
mod rows;

pub use announcer::ActivityAnnouncer;
pub use feed::PgProjectFeed;
pub use hub::{EventHub, EventHubConfig};
pub(crate) use listen::announce_access_change;
pub use listen::{listen, ACCESS_CHANNEL, ACTIVITY_CHANNEL};
