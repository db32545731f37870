//! The unit of work of a membership change: one transaction under the team's
//! row lock, driven by `TeamService`. The service loads the roster under the
//! lock, decides (`MembershipChange::check`, the domain's last-admin and role
//! rules), writes through the locked team, records what the change causes
//! (a removed member's tasks unassigned, their reminders withdrawn, their
//! activity entries fanned out to webhooks) and commits. Every membership
//! change of one team runs one at a time, so "count admins, then change"
//! cannot interleave.

use super::model::{Member, Team, TeamName};
use crate::access::{Action, Role};
use crate::activity::TeamChange;
use crate::ids::{ProjectId, TaskId, TeamId, UserId, WebhookId};
use crate::invitations::{Invitation, NewInvitation};
use crate::outbox::{Outbox, TeamOutbox, WriteContext};
use crate::webhooks::{NewWebhook, Webhook};
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

    /// The actor's role, if it allows `action` — decided under the lock, so
    /// an admin demoted while their request was in flight cannot finish it.
    ///
    /// # Errors
    /// `NotFound("team")` when the actor is no longer a member, `Forbidden`
    /// when their role does not allow `action`.
    pub fn require(&self, actor: UserId, action: Action) -> Result<Role, DomainError> {
        match self.role_of(actor) {
            None => Err(DomainError::NotFound("team")),
            Some(role) if !role.allows(action) => Err(DomainError::Forbidden(
                "your role in this team does not allow this",
            )),
            Some(role) => Ok(role),
        }
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

/// A team locked for one change of the team itself — its name, its people,
/// its invitations, its webhooks — with that change's audit entry. Its
/// methods store; the service decided before calling them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LockedTeam: Send {
    fn roster(&self) -> Roster;

    /// The team as read under the lock.
    fn team(&self) -> Team;

    /// # Errors
    /// `Unavailable`.
    async fn rename(&mut self, name: TeamName) -> Result<Team, DomainError>;

    /// # Errors
    /// `Unavailable`; `Conflict(AlreadyInvited)` when the address has a
    /// pending invitation to the team (one per team and address, by index).
    async fn insert_invitation(
        &mut self,
        invitation: NewInvitation,
    ) -> Result<Invitation, DomainError>;

    /// Revokes the team's invitation if it is still pending; whether it was.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn revoke_invitation(
        &mut self,
        invitation: uuid::Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, DomainError>;

    /// How many live webhooks the team has (stable until commit: the lock
    /// orders every registration).
    ///
    /// # Errors
    /// `Unavailable`.
    async fn live_webhooks(&mut self) -> Result<usize, DomainError>;

    /// # Errors
    /// `Unavailable`.
    async fn insert_webhook(&mut self, webhook: NewWebhook) -> Result<Webhook, DomainError>;

    /// Deletes the team's webhook if it is live, with its deliveries still
    /// queued (it receives nothing more); whether it was live.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn delete_webhook(&mut self, webhook: WebhookId) -> Result<bool, DomainError>;

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

    /// Stores the team's audit entry and its deliveries in this transaction.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn audit(&mut self, outbox: TeamOutbox) -> Result<(), DomainError>;

    /// # Errors
    /// `Unavailable`; nothing is stored then.
    async fn commit(self: Box<Self>) -> Result<(), DomainError>;
}

/// The live team locked for one change (its unit of work).
///
/// # Errors
/// `NotFound("team")` when there is no live team; `Unavailable`.
pub async fn lock_team(
    locks: &dyn TeamLocks,
    team: TeamId,
) -> Result<Box<dyn LockedTeam>, DomainError> {
    locks.lock(team).await?.ok_or(DomainError::NotFound("team"))
}

/// Records `change` by `actor` in the locked team's audit trail, fanned out
/// to the webhooks live at that point of the transaction (a webhook just
/// registered hears its own creation; one just deleted does not hear its
/// deletion).
///
/// # Errors
/// `Unavailable`.
pub async fn record_change(
    locked: &mut dyn LockedTeam,
    actor: UserId,
    change: &TeamChange<'_>,
) -> Result<(), DomainError> {
    let context = locked.write_context(actor).await?;
    record_change_in(locked, &context, change).await
}

/// [`record_change`] with a write context the change already loaded (a
/// removal records its unassigned tasks with the same one).
///
/// # Errors
/// `Unavailable`.
pub async fn record_change_in(
    locked: &mut dyn LockedTeam,
    context: &WriteContext,
    change: &TeamChange<'_>,
) -> Result<(), DomainError> {
    let entry = change.entry(context.team, context.actor.id);
    locked.audit(TeamOutbox::record(entry, context)).await
}

/// Fakes of a locked team for the services' unit tests.
#[cfg(test)]
pub(crate) mod fakes {
    use super::*;
    use crate::activity::ActivityAction;
    use std::sync::Mutex;

    /// A team locked with `caller` as its only member, in `role`. Audit
    /// entries are expected with `audited` (each once, in order) and
    /// commit once when any is; nothing else is expected.
    pub(crate) fn locked_as(
        caller: UserId,
        role: Role,
        audited: &'static [ActivityAction],
    ) -> MockLockedTeam {
        let mut locked = MockLockedTeam::new();
        locked
            .expect_roster()
            .returning(move || Roster::new(vec![(caller, role)]));
        locked
            .expect_write_context()
            .returning(|actor| Ok(WriteContext::quiet(TeamId::new(), actor)));
        let mut sequence = mockall::Sequence::new();
        for action in audited {
            locked
                .expect_audit()
                .withf(move |outbox| {
                    outbox.activity.action == *action && outbox.activity.actor == caller
                })
                .times(1)
                .in_sequence(&mut sequence)
                .returning(|_| Ok(()));
        }
        if audited.is_empty() {
            locked.expect_audit().never();
        } else {
            locked.expect_commit().times(1).returning(|| Ok(()));
        }
        locked
    }

    /// `locks` hands out `locked` once.
    pub(crate) fn hand_out(locks: &mut MockTeamLocks, locked: MockLockedTeam) {
        let handed = Mutex::new(Some(locked));
        locks.expect_lock().times(1).returning(move |_| {
            let locked = handed.lock().unwrap().take().expect("locked once");
            Ok(Some(Box::new(locked) as Box<dyn LockedTeam>))
        });
    }
}
