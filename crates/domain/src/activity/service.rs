//! The project activity feed and the team's audit trail.

use super::model::ActivityEntry;
use super::ports::ActivityRepository;
use super::team::TeamActivityRepository;
use crate::access::{authorize, Action};
use crate::ids::{ProjectId, TeamId, UserId};
use crate::paging::{PageRequest, Paged};
use crate::projects::{load_project, ProjectRepository};
use crate::teams::TeamRepository;
use crate::DomainError;
use std::sync::Arc;

pub struct ActivityService {
    pub activity: Arc<dyn ActivityRepository>,
    pub team_activity: Arc<dyn TeamActivityRepository>,
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

    /// The team's audit trail, newest first: admins only.
    ///
    /// # Errors
    /// `NotFound("team")` for non-members, `Forbidden` for other roles.
    pub async fn list_team(
        &self,
        caller: UserId,
        team: TeamId,
        page: PageRequest,
    ) -> Result<Paged<ActivityEntry>, DomainError> {
        authorize(
            self.teams.as_ref(),
            team,
            caller,
            Action::ViewAuditTrail,
            "team",
        )
        .await?;
        self.team_activity.list(team, page).await
    }
}
