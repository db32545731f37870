//! `ProjectFeed` over the process's hub.

use super::followed::Followed;
use super::hub::EventHub;
use super::rows::{self, Position};
use async_trait::async_trait;
use domain::events::{FollowedFeed, ProjectFeed};
use domain::ids::{ActivityId, ProjectId, UserId};
use domain::DomainError;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::mpsc;

pub struct PgProjectFeed {
    hub: Arc<EventHub>,
}

impl PgProjectFeed {
    pub fn new(hub: Arc<EventHub>) -> Self {
        Self { hub }
    }
}

#[async_trait]
impl ProjectFeed for PgProjectFeed {
    async fn follow(
        &self,
        project: ProjectId,
        caller: UserId,
        after: Option<ActivityId>,
    ) -> Result<Box<dyn FollowedFeed>, DomainError> {
        let (sender, receiver) = mpsc::channel(self.hub.config().buffer);
        let start = self.hub.register(project, caller, sender).await?;
        // A stream that starts now sends what commits from now on. Entries
        // above the hub's cursor that are already committed would reach it
        // later (the cursor waits for older writers to end): skip them.
        let seen = match after {
            Some(_) => HashSet::new(),
            None => {
                let mut connection = self.hub.pool().get().await?;
                rows::visible_after(&mut connection, project, start)
                    .await?
                    .into_iter()
                    .collect()
            }
        };
        Ok(Box::new(Followed {
            seen,
            hub: Arc::clone(&self.hub),
            project,
            receiver,
            start,
            after,
            floor: Position::START,
            pending: VecDeque::new(),
        }))
    }
}
