//! The project activity feed.

use super::model::ActivityEntry;
use super::ports::ActivityRepository;
use crate::access::Action;
use crate::ids::{ProjectId, UserId};
use crate::paging::{PageRequest, Paged};
use crate::projects::{load_project, ProjectRepository};
use crate::teams::TeamRepository;
use crate::DomainError;
use std::sync::Arc;

pub struct ActivityService {
    pub activity: Arc<dyn ActivityRepository>,
    pub projects: Arc<dyn ProjectRepository>,
    pub teams: Arc<dyn TeamRepository>,
}

impl ActivityService {
    /// # Errors
    /// `NotFound("project")` for missing projects and non-members.
    pub async fn list(
        &self,
        caller: UserId,
        project: ProjectId,
        page: PageRequest,
    ) -> Result<Paged<ActivityEntry>, DomainError> {
        load_project(
            self.projects.as_ref(),
            self.teams.as_ref(),
            caller,
            project,
            Action::ViewProjects,
        )
        .await?;
        self.activity.list(project, page).await
    }
}
