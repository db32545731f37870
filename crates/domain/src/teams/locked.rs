//! The unit of work of a membership change: one transaction under the team's
//! row lock, driven by `TeamService`. The service loads the roster under the
//! lock, decides (`MembershipChange::check`, the domain's last-admin and role
//! rules), writes through the locked team, records what the change causes
//! (a removed member's tasks unassigned, their reminders withdrawn, their
//! activity entries fanned out to webhooks) and commits. Every membership
//! change of one team runs one at a time, so "count admins, then change"
//! cannot interleave.

use super::model::Member;
use crate::access::Role;
use crate::ids::{ProjectId, TaskId, TeamId, UserId};
use crate::outbox::{Outbox, WriteContext};
use crate::DomainError;
use async_trait::async_trait;

/// Who is in the team, with which role, as read under its lock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster(Vec<(UserId, Role)>);

impl Roster {
    pub fn new(members: Vec<(UserId, Role)>) -> Self {
        Self(members)
    }

    pub fn role_of(&self, user: UserId) -> Option<Role> {
        self.0
            .iter()
            .find(|(member, _)| *member == user)
            .map(|(_, role)| *role)
    }

    pub fn admins(&self) -> usize {
        self.0
            .iter()
            .filter(|(_, role)| *role == Role::Admin)
            .count()
    }
}

/// Opens membership changes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TeamLocks: Send + Sync {
    /// Begins a transaction, locks the live team's row and reads its roster
    /// (after the lock, so it sees every change committed before). `None`
    /// when there is no live team. Dropping the locked team without
    /// committing rolls the transaction back.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn lock(&self, team: TeamId) -> Result<Option<Box<dyn LockedTeam>>, DomainError>;
}

/// A team locked for one membership change. Its methods store; the service
/// decided before calling them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LockedTeam: Send {
    fn roster(&self) -> Roster;

    /// # Errors
    /// `Unavailable`; the primary key refuses a duplicate (`AlreadyMember`).
    async fn insert_member(&mut self, user: UserId, role: Role) -> Result<Member, DomainError>;

    /// # Errors
    /// `Unavailable`.
    async fn update_role(&mut self, user: UserId, role: Role) -> Result<Member, DomainError>;

    /// # Errors
    /// `Unavailable`.
    async fn delete_member(&mut self, user: UserId) -> Result<(), DomainError>;

    /// Marks the invitation accepted by `user` if it is still pending (in
    /// this transaction); whether it was.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn accept_invitation(
        &mut self,
        invitation: uuid::Uuid,
        user: UserId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, DomainError>;

    /// Unassigns `user`'s live tasks in this team (new version each) and
    /// returns them with their projects.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn unassign_tasks(
        &mut self,
        user: UserId,
    ) -> Result<Vec<(TaskId, ProjectId)>, DomainError>;

    /// The write context of this team for `actor`.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn write_context(&mut self, actor: UserId) -> Result<WriteContext, DomainError>;

    /// Stores `outbox` in this transaction.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn record(&mut self, outbox: Outbox) -> Result<(), DomainError>;

    /// # Errors
    /// `Unavailable`; nothing is stored then.
    async fn commit(self: Box<Self>) -> Result<(), DomainError>;
}
