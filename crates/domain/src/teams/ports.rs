//! Storage of teams and memberships.

use super::model::{Member, NewTeam, Team};
use crate::access::Role;
use crate::ids::{TeamId, UserId};
use crate::DomainError;
use async_trait::async_trait;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TeamRepository: Send + Sync {
    /// Creates the team with `creator` as its first admin, in one transaction.
    ///
    /// # Errors
    /// `Unauthenticated` when `creator`'s account no longer exists;
    /// `Unavailable` when storage does not answer.
    async fn create_with_admin(&self, team: NewTeam, creator: UserId) -> Result<Team, DomainError>;

    /// Live teams `user` belongs to, with the user's role, oldest first.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn list_for_user(&self, user: UserId) -> Result<Vec<(Team, Role)>, DomainError>;

    /// The live team and `user`'s role in it; `None` when either the team does
    /// not exist (or is deleted) or `user` is not a member.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn membership(
        &self,
        team: TeamId,
        user: UserId,
    ) -> Result<Option<(Team, Role)>, DomainError>;

    /// Whether `user`'s account still exists. Asked only when a membership is
    /// missing, to tell an outsider (`NotFound`) from a caller whose account
    /// was deleted while their access token is still unexpired (`Unauthenticated`).
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn account_exists(&self, user: UserId) -> Result<bool, DomainError>;

    /// Soft delete: the team and everything under it disappear from every read.
    ///
    /// # Errors
    /// `NotFound` when the team is gone.
    async fn soft_delete(&self, team: TeamId) -> Result<(), DomainError>;

    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn members(&self, team: TeamId) -> Result<Vec<Member>, DomainError>;
}
