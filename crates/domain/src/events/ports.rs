//! What the event service needs from storage: a project's activity log,
//! followed from a point in stream order.

use crate::activity::ActivityEntry;
use crate::ids::{ActivityId, ProjectId, UserId};
use crate::DomainError;
use async_trait::async_trait;
use std::sync::{Arc, OnceLock};

/// One activity entry as every local stream shares it: read once per
/// process, and rendered once (`rendered`, filled by the first stream that
/// writes it; the transport's bytes, opaque here).
#[derive(Debug)]
pub struct FeedEntry {
    pub entry: ActivityEntry,
    pub rendered: OnceLock<Arc<[u8]>>,
}

impl FeedEntry {
    pub fn new(entry: ActivityEntry) -> Self {
        Self {
            entry,
            rendered: OnceLock::new(),
        }
    }
}

/// What a followed feed yields next.
#[derive(Debug, Clone)]
pub enum FeedSignal {
    /// The next entry in stream order: each exactly once, none skipped.
    Entry(Arc<FeedEntry>),
    /// The resume point is not one the log can replay from (unknown, another
    /// project's, or older than the replay window): the stream continues
    /// from now, and the client must re-read what it shows.
    Gap,
    /// Someone's access to some team may have changed (a member removed, a
    /// team deleted, or the change notifications were lost for a while):
    /// re-check this stream's caller.
    AccessMayHaveChanged,
    /// The feed ended: the process is stopping, or this stream fell so far
    /// behind that its buffer filled (a slow client never slows the others).
    Closed,
}

/// A project's activity followed by one stream.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FollowedFeed: Send {
    async fn next(&mut self) -> FeedSignal;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProjectFeed: Send + Sync {
    /// Follows `project`'s log for `caller`: the entries after `after` (its
    /// replay, when given), then every entry as it commits, in stream order
    /// (the order of the log, which a resume by entry id continues exactly).
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn follow(
        &self,
        project: ProjectId,
        caller: UserId,
        after: Option<ActivityId>,
    ) -> Result<Box<dyn FollowedFeed>, DomainError>;
}
