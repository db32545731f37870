//! One stream's view of the hub: first its replay from the log (the entries
//! after its resume point, up to where the hub took over), then what the
//! hub hands it, skipping anything at or before the resume point (a client
//! resuming on a replica whose hub is behind the one it came from) and, for
//! a stream without one, what had committed before it started.

use super::hub::{Delivery, EventHub};
use super::rows::{self, Position};
use async_trait::async_trait;
use diesel_async::AsyncPgConnection;
use domain::events::{FeedEntry, FeedSignal, FollowedFeed};
use domain::ids::{ActivityId, ProjectId};
use domain::DomainError;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::mpsc;

pub(crate) struct Followed {
    pub hub: Arc<EventHub>,
    pub project: ProjectId,
    pub receiver: mpsc::Receiver<Delivery>,
    /// Where the hub took over: the replay ends here.
    pub start: Position,
    /// The client's resume point, replayed on the first `next`.
    pub after: Option<ActivityId>,
    /// Entries at or before it were sent already.
    pub floor: Position,
    /// Entries committed before a stream without a resume point started.
    pub seen: HashSet<uuid::Uuid>,
    pub pending: VecDeque<FeedSignal>,
}

impl Followed {
    async fn replay(&mut self, after: ActivityId) -> Result<(), DomainError> {
        let mut connection = self.hub.pool().get().await?;
        let Some(at) = rows::position_of(&mut connection, self.project, after).await? else {
            return self.gap(&mut connection).await;
        };
        self.floor = at;
        if at >= self.start {
            return Ok(());
        }
        let limit = self.hub.config().replay_limit;
        let bound = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
        let entries = rows::replay(&mut connection, self.project, at, self.start, bound).await?;
        if entries.len() > limit {
            return self.gap(&mut connection).await;
        }
        self.pending.extend(
            entries
                .into_iter()
                .map(|(_, entry)| FeedSignal::Entry(Arc::new(FeedEntry::new(entry)))),
        );
        Ok(())
    }
}

impl Followed {
    /// The resume point cannot be replayed: say so, and go on as a stream
    /// that starts now (nothing already committed is sent).
    async fn gap(&mut self, connection: &mut AsyncPgConnection) -> Result<(), DomainError> {
        self.seen = rows::visible_after(connection, self.project, self.start)
            .await?
            .into_iter()
            .collect();
        self.floor = Position::START;
        self.pending.push_back(FeedSignal::Gap);
        Ok(())
    }
}

#[async_trait]
impl FollowedFeed for Followed {
    async fn next(&mut self) -> FeedSignal {
        if let Some(after) = self.after.take() {
            if let Err(error) = self.replay(after).await {
                tracing::warn!(error = %error, "event stream: replay failed; closing the stream");
                return FeedSignal::Closed;
            }
        }
        if let Some(signal) = self.pending.pop_front() {
            return signal;
        }
        loop {
            match self.receiver.recv().await {
                None => return FeedSignal::Closed,
                Some((at, FeedSignal::Entry(_)))
                    if at <= self.floor || self.seen.remove(&at.id) => {}
                Some((_, signal)) => return signal,
            }
        }
    }
}
