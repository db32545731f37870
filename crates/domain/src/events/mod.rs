//! A project's live events: its activity entries, in stream order, as they
//! commit — and the rules of a stream: who may open one, when it ends
//! (`revoked`, `deleted`), and where a resume starts. The fan-out itself
//! (one listening connection per process, one tail read shared by every
//! local stream) is an adapter behind `ProjectFeed`.

mod ports;
mod service;

pub use ports::{FeedEntry, FeedSignal, FollowedFeed, ProjectFeed};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockFollowedFeed, MockProjectFeed};
pub use service::{EventService, ProjectEvent, ProjectEvents, Resume};
