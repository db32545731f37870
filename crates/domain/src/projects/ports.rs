//! Project storage. Writes take their activity entry so the adapter stores both
//! in one transaction.

use super::model::{NewProject, Project};
use crate::access::Role;
use crate::ids::{ProjectId, TeamId, UserId};
use crate::outbox::{Outbox, WriteContext};
use crate::paging::{PageRequest, Paged};
use crate::DomainError;
use async_trait::async_trait;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProjectRepository: Send + Sync {
    /// # Errors
    /// `Unavailable`; nothing is stored if either insert fails.
    async fn create(&self, project: NewProject, outbox: Outbox) -> Result<Project, DomainError>;

    /// A live project of a live team, with `caller`'s role in that team
    /// (`None`: not a member), in one statement.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn get(
        &self,
        id: ProjectId,
        caller: UserId,
    ) -> Result<Option<(Project, Option<Role>)>, DomainError>;

    /// As [`get`](Self::get), with the write context of the project's team
    /// for `caller`, in the same statement.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn get_for_write(
        &self,
        id: ProjectId,
        caller: UserId,
    ) -> Result<Option<(Project, Option<Role>, WriteContext)>, DomainError>;

    /// `get`, plus the project's task-list generation (part of the list's
    /// cache key; bumped by every write a list would show), in the same
    /// statement.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn get_with_list_generation(
        &self,
        id: ProjectId,
        caller: UserId,
    ) -> Result<Option<(Project, Option<Role>, i64)>, DomainError>;

    /// Live projects of a team, newest first.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn list(&self, team: TeamId, page: PageRequest) -> Result<Paged<Project>, DomainError>;

    /// Stores `project`'s name and description (the caller computed them).
    ///
    /// # Errors
    /// `NotFound` when it was deleted meanwhile.
    async fn update(&self, project: Project, outbox: Outbox) -> Result<Project, DomainError>;

    /// Soft delete: the project and its tasks disappear from every read.
    ///
    /// # Errors
    /// `NotFound` when it was deleted meanwhile.
    async fn soft_delete(&self, id: ProjectId, outbox: Outbox) -> Result<(), DomainError>;
}
