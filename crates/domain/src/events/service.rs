//! Opening a project's event stream, and what it sends until it ends.

use super::ports::{FeedEntry, FeedSignal, FollowedFeed, ProjectFeed};
use crate::access::{authorize_read_with, Action};
use crate::activity::ActivityAction;
use crate::ids::{ActivityId, ProjectId, UserId};
use crate::projects::{load_project, ProjectRepository};
use crate::teams::TeamRepository;
use crate::DomainError;
use std::sync::Arc;

pub struct EventService {
    pub feed: Arc<dyn ProjectFeed>,
    pub projects: Arc<dyn ProjectRepository>,
    pub teams: Arc<dyn TeamRepository>,
}

/// What a stream sends.
#[derive(Debug, Clone)]
pub enum ProjectEvent {
    /// One activity entry (its action is the event's name).
    Activity(Arc<FeedEntry>),
    /// The resume point could not be replayed: re-read, then follow on.
    Reset,
    /// The caller lost access to the project; the stream ends.
    Revoked,
    /// The project is gone; the stream ends.
    Deleted,
}

/// Where a stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// From now on.
    Fresh,
    /// After this entry: the log's entries since it, then live.
    After(ActivityId),
    /// After something that is not an entry id at all (a client sends back
    /// whatever `id:` it last kept). Nothing can be replayed from it, which
    /// is what a reset says: the stream starts with one and goes on from
    /// now. Refusing instead would leave a browser's `EventSource`, which
    /// gives up on any answer but `200`, without a stream for good.
    Unreadable,
}

/// Whether the caller may still read the project.
enum Access {
    Kept,
    Revoked,
    Deleted,
    /// Storage did not answer: the stream ends without a verdict, and the
    /// client's reconnect is checked afresh.
    Unknown,
}

impl EventService {
    /// Opens `project`'s stream for `caller`, starting at `resume`.
    ///
    /// The feed is followed *before* access is checked: a removal that
    /// lands between the two is then either seen by the check or signalled
    /// to the feed, never missed.
    ///
    /// # Errors
    /// `NotFound("project")` for missing projects and non-members;
    /// `Unavailable` when storage does not answer.
    pub async fn open(
        &self,
        caller: UserId,
        project: ProjectId,
        resume: Resume,
    ) -> Result<ProjectEvents, DomainError> {
        let after = match resume {
            Resume::After(entry) => Some(entry),
            Resume::Fresh | Resume::Unreadable => None,
        };
        let feed = self.feed.follow(project, caller, after).await?;
        let events = ProjectEvents {
            reset_first: resume == Resume::Unreadable,
            feed,
            projects: Arc::clone(&self.projects),
            teams: Arc::clone(&self.teams),
            caller,
            project,
            last: None,
            recheck: false,
            ended: false,
        };
        load_project(
            self.projects.as_ref(),
            self.teams.as_ref(),
            caller,
            project,
            Action::ViewProjects,
        )
        .await?;
        Ok(events)
    }
}

/// One open stream.
pub struct ProjectEvents {
    feed: Box<dyn FollowedFeed>,
    projects: Arc<dyn ProjectRepository>,
    teams: Arc<dyn TeamRepository>,
    caller: UserId,
    project: ProjectId,
    /// The stream starts with a reset (its resume point was unreadable).
    reset_first: bool,
    /// The event that ends the stream, sent after the one that caused it.
    last: Option<ProjectEvent>,
    /// Access may have changed and has not been checked yet.
    recheck: bool,
    ended: bool,
}

impl ProjectEvents {
    /// The next event; `None` once the stream is over. Cancel-safe when the
    /// feed's `next` is: dropping the future loses nothing.
    pub async fn next(&mut self) -> Option<ProjectEvent> {
        if std::mem::take(&mut self.reset_first) {
            return Some(ProjectEvent::Reset);
        }
        if let Some(last) = self.last.take() {
            self.ended = true;
            return Some(last);
        }
        while !self.ended {
            // A re-check stays owed until it has answered: if the caller
            // drops this future mid-check (a keep-alive won the race), the
            // next call checks again instead of forgetting.
            if self.recheck {
                let access = self.access().await;
                self.recheck = false;
                match access {
                    Access::Kept => {}
                    Access::Revoked => return self.end_with(ProjectEvent::Revoked),
                    Access::Deleted => return self.end_with(ProjectEvent::Deleted),
                    Access::Unknown => self.ended = true,
                }
                continue;
            }
            match self.feed.next().await {
                FeedSignal::Entry(entry) => {
                    if entry.entry.action == ActivityAction::ProjectDeleted {
                        self.last = Some(ProjectEvent::Deleted);
                    }
                    return Some(ProjectEvent::Activity(entry));
                }
                FeedSignal::Gap => return Some(ProjectEvent::Reset),
                FeedSignal::AccessMayHaveChanged => self.recheck = true,
                FeedSignal::Closed => self.ended = true,
            }
        }
        None
    }

    fn end_with(&mut self, last: ProjectEvent) -> Option<ProjectEvent> {
        self.ended = true;
        Some(last)
    }

    /// The connect-time check, again.
    async fn access(&self) -> Access {
        let found = match self.projects.get(self.project, self.caller).await {
            Ok(Some(found)) => found,
            Ok(None) => return Access::Deleted,
            Err(_) => return Access::Unknown,
        };
        let read = authorize_read_with(
            self.teams.as_ref(),
            found.1,
            self.caller,
            Action::ViewProjects,
            "project",
        )
        .await;
        match read {
            Ok(_) => Access::Kept,
            Err(DomainError::Unavailable { .. } | DomainError::Internal { .. }) => Access::Unknown,
            Err(_) => Access::Revoked,
        }
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
