//! Project use cases.

use super::model::{Description, NewProject, Project, ProjectChanges, ProjectName};
use super::ports::ProjectRepository;
use crate::access::{authorize, authorize_read_with, Action};
use crate::activity::{ActivityAction, ChangeSet, NewActivity};
use crate::ids::{ProjectId, TeamId, UserId};
use crate::outbox::{Outbox, WriteContext, WriteContexts};
use crate::paging::{PageRequest, Paged};
use crate::teams::TeamRepository;
use crate::DomainError;
use std::sync::Arc;

pub struct ProjectService {
    pub projects: Arc<dyn ProjectRepository>,
    pub teams: Arc<dyn TeamRepository>,
    pub contexts: Arc<dyn WriteContexts>,
}

impl ProjectService {
    /// # Errors
    /// `NotFound("team")` for non-members, `Forbidden` for members.
    pub async fn create(
        &self,
        caller: UserId,
        team: TeamId,
        name: ProjectName,
        description: Description,
    ) -> Result<Project, DomainError> {
        authorize(
            self.teams.as_ref(),
            team,
            caller,
            Action::CreateProject,
            "team",
        )
        .await?;
        let project = NewProject {
            id: ProjectId::new(),
            team_id: team,
            name,
            description,
            created_by: caller,
        };
        let activity = NewActivity::new(
            project.id,
            caller,
            ActivityAction::ProjectCreated,
            project.id.as_uuid(),
            ChangeSet::default(),
        );
        let context = self.contexts.load(team, caller).await?;
        self.projects
            .create(project, Outbox::record(activity, &context))
            .await
    }

    /// # Errors
    /// `NotFound("team")` for non-members.
    pub async fn list(
        &self,
        caller: UserId,
        team: TeamId,
        page: PageRequest,
    ) -> Result<Paged<Project>, DomainError> {
        authorize(
            self.teams.as_ref(),
            team,
            caller,
            Action::ViewProjects,
            "team",
        )
        .await?;
        self.projects.list(team, page).await
    }

    /// # Errors
    /// `NotFound("project")` for missing projects and non-members.
    pub async fn get(&self, caller: UserId, id: ProjectId) -> Result<Project, DomainError> {
        self.load(caller, id, Action::ViewProjects).await
    }

    /// The live project, if `caller` may perform `action` on it.
    async fn load(
        &self,
        caller: UserId,
        id: ProjectId,
        action: Action,
    ) -> Result<Project, DomainError> {
        load_project(
            self.projects.as_ref(),
            self.teams.as_ref(),
            caller,
            id,
            action,
        )
        .await
    }

    /// As `load`, with the write context, in the same one statement.
    async fn load_for_write(
        &self,
        caller: UserId,
        id: ProjectId,
        action: Action,
    ) -> Result<(Project, WriteContext), DomainError> {
        let (project, role, context) = self
            .projects
            .get_for_write(id, caller)
            .await?
            .ok_or(DomainError::NotFound("project"))?;
        authorize_read_with(self.teams.as_ref(), role, caller, action, "project").await?;
        Ok((project, context))
    }

    /// # Errors
    /// `NotFound("project")`, `Forbidden` for plain members.
    pub async fn update(
        &self,
        caller: UserId,
        id: ProjectId,
        changes: ProjectChanges,
    ) -> Result<Project, DomainError> {
        let (current, context) = self
            .load_for_write(caller, id, Action::UpdateProject)
            .await?;
        let mut updated = current.clone();
        if let Some(name) = changes.name {
            updated.name = name;
        }
        if let Some(description) = changes.description {
            updated.description = description;
        }
        let mut diff = ChangeSet::default();
        diff.record("name", &current.name.as_str(), &updated.name.as_str());
        diff.record(
            "description",
            &current.description.as_str(),
            &updated.description.as_str(),
        );
        let activity = NewActivity::new(
            id,
            caller,
            ActivityAction::ProjectUpdated,
            id.as_uuid(),
            diff,
        );
        self.projects
            .update(updated, Outbox::record(activity, &context))
            .await
    }

    /// # Errors
    /// `NotFound("project")`, `Forbidden` for managers and members.
    pub async fn delete(&self, caller: UserId, id: ProjectId) -> Result<(), DomainError> {
        let (_, context) = self
            .load_for_write(caller, id, Action::DeleteProject)
            .await?;
        let activity = NewActivity::new(
            id,
            caller,
            ActivityAction::ProjectDeleted,
            id.as_uuid(),
            ChangeSet::default(),
        );
        self.projects
            .soft_delete(id, Outbox::record(activity, &context))
            .await
    }
}

/// `id` as `caller` may see it for `action`: the project with the caller's
/// role in one read, then the RBAC table (what the project's activity and
/// its live events check too).
///
/// # Errors
/// `NotFound("project")` for missing projects and non-members,
/// `Unauthenticated`, `Forbidden`.
pub async fn load_project(
    projects: &dyn ProjectRepository,
    teams: &dyn TeamRepository,
    caller: UserId,
    id: ProjectId,
    action: Action,
) -> Result<Project, DomainError> {
    let (project, role) = projects
        .get(id, caller)
        .await?
        .ok_or(DomainError::NotFound("project"))?;
    authorize_read_with(teams, role, caller, action, "project").await?;
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::projects::MockProjectRepository;
    use crate::teams::MockTeamRepository;
    use futures_executor::block_on;

    fn service(role: Role, deletes: usize) -> ProjectService {
        let mut projects = MockProjectRepository::new();
        projects
            .expect_get_for_write()
            .returning(move |id, caller| {
                let team = TeamId::new();
                Ok(Some((
                    Project::sample(id, team),
                    Some(role),
                    WriteContext::quiet(team, caller),
                )))
            });
        projects
            .expect_soft_delete()
            .withf(|id, outbox| {
                outbox.activity.action == ActivityAction::ProjectDeleted
                    && outbox.activity.entity_id == id.as_uuid()
            })
            .times(deletes)
            .returning(|_, _| Ok(()));
        ProjectService {
            projects: Arc::new(projects),
            teams: Arc::new(MockTeamRepository::new()),
            contexts: Arc::new(crate::outbox::MockWriteContexts::new()),
        }
    }

    #[test]
    fn only_admins_delete_a_project_and_the_delete_is_recorded() {
        assert!(block_on(service(Role::Admin, 1).delete(UserId::new(), ProjectId::new())).is_ok());
        for role in [Role::Manager, Role::Member] {
            assert!(matches!(
                block_on(service(role, 0).delete(UserId::new(), ProjectId::new())),
                Err(DomainError::Forbidden(_))
            ));
        }
    }
}
