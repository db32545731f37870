//! Team use cases. Each starts by resolving the caller's membership: no
//! membership is `NotFound` (the team's existence is not revealed), a role the
//! RBAC table refuses is `Forbidden`.

use super::locked::{lock_team, record_change, record_change_in, Roster, TeamLocks};
use super::model::{Member, NewTeam, TeamName, TeamView};
use super::ports::TeamRepository;
use super::removal::unassigned_on_removal;
use crate::access::{self, Action, Role};
use crate::activity::TeamChange;
use crate::auth::{Email, UserRepository};
use crate::ids::{TeamId, UserId};
use crate::outbox::Outbox;
use crate::{ConflictKind, DomainError};
use std::sync::Arc;

/// The invariant "a team always has an admin", as a pure rule. `admins` counts
/// the team's admins now; `target_role` is the affected member's current role;
/// `new_role` is `None` for a removal.
pub fn would_leave_no_admin(admins: usize, target_role: Role, new_role: Option<Role>) -> bool {
    target_role == Role::Admin && new_role != Some(Role::Admin) && admins <= 1
}

/// A membership change as the service sees it under the team's lock: the
/// facts are fresh, and no other change of the team can interleave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembershipChange {
    pub actor: UserId,
    /// The actor's role now (`None`: no longer a member).
    pub actor_role: Option<Role>,
    pub target: UserId,
    pub target_role: Role,
    /// Admins in the team now.
    pub admins: usize,
    /// `None` removes the target.
    pub new_role: Option<Role>,
}

impl MembershipChange {
    /// The change of `target` to `new_role` (`None`: removal) by `actor`, with
    /// the facts of `roster`.
    ///
    /// # Errors
    /// `NotFound("member")` when `target` is not in the team.
    pub fn on(
        roster: &Roster,
        actor: UserId,
        target: UserId,
        new_role: Option<Role>,
    ) -> Result<Self, DomainError> {
        Ok(Self {
            actor,
            actor_role: roster.role_of(actor),
            target,
            target_role: roster
                .role_of(target)
                .ok_or(DomainError::NotFound("member"))?,
            admins: roster.admins(),
            new_role,
        })
    }

    /// The rules of changing a membership, decided with the facts read under
    /// the team's lock. The actor's role is checked *again* here, not only
    /// before the transaction: an admin demoted while their own request was in
    /// flight cannot finish it. Leaving the team yourself needs no role.
    ///
    /// # Errors
    /// `NotFound("team")` when the actor left, `Forbidden` when their role no
    /// longer allows it, `Conflict(LastAdmin)`.
    pub fn check(self) -> Result<(), DomainError> {
        let leaving = self.actor == self.target && self.new_role.is_none();
        let action = if self.new_role.is_some() {
            Action::ChangeMemberRole
        } else {
            Action::RemoveMember
        };
        match self.actor_role {
            None => return Err(DomainError::NotFound("team")),
            Some(role) if !leaving && !role.allows(action) => {
                return Err(DomainError::Forbidden(
                    "your role in this team does not allow this",
                ))
            }
            Some(_) => {}
        }
        if would_leave_no_admin(self.admins, self.target_role, self.new_role) {
            return Err(DomainError::Conflict(ConflictKind::LastAdmin));
        }
        Ok(())
    }
}

pub struct TeamService {
    pub teams: Arc<dyn TeamRepository>,
    pub locks: Arc<dyn TeamLocks>,
    pub users: Arc<dyn UserRepository>,
}

impl TeamService {
    /// The caller's view of the team, if they may perform `action` in it.
    ///
    /// # Errors
    /// `NotFound` for non-members, `Forbidden` when the role does not allow it.
    pub async fn authorize(
        &self,
        caller: UserId,
        team: TeamId,
        action: Action,
    ) -> Result<TeamView, DomainError> {
        let (team, role) =
            access::authorize_membership(self.teams.as_ref(), team, caller, action, "team").await?;
        Ok(TeamView { team, role })
    }

    /// # Errors
    /// Storage errors only.
    pub async fn create(&self, caller: UserId, name: TeamName) -> Result<TeamView, DomainError> {
        let team = self
            .teams
            .create_with_admin(
                NewTeam {
                    id: TeamId::new(),
                    name,
                },
                caller,
            )
            .await?;
        Ok(TeamView {
            team,
            role: Role::Admin,
        })
    }

    /// # Errors
    /// `Unavailable` when storage does not answer.
    pub async fn list(&self, caller: UserId) -> Result<Vec<TeamView>, DomainError> {
        let teams = self.teams.list_for_user(caller).await?;
        if teams.is_empty() && !self.teams.account_exists(caller).await? {
            return Err(DomainError::Unauthenticated("user no longer exists"));
        }
        Ok(teams
            .into_iter()
            .map(|(team, role)| TeamView { team, role })
            .collect())
    }

    /// # Errors
    /// `NotFound` for non-members.
    pub async fn get(&self, caller: UserId, team: TeamId) -> Result<TeamView, DomainError> {
        self.authorize(caller, team, Action::ViewTeam).await
    }

    /// Renames the team under its lock, with a `team.updated` entry (none
    /// when the name is unchanged: nothing happened).
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`.
    pub async fn rename(
        &self,
        caller: UserId,
        team: TeamId,
        name: TeamName,
    ) -> Result<TeamView, DomainError> {
        self.authorize(caller, team, Action::UpdateTeam).await?;
        let mut locked = lock_team(self.locks.as_ref(), team).await?;
        let role = locked.roster().require(caller, Action::UpdateTeam)?;
        let before = locked.team();
        if before.name == name {
            return Ok(TeamView { team: before, role });
        }
        let renamed = locked.rename(name).await?;
        let change = TeamChange::Renamed {
            from: &before.name,
            to: &renamed.name,
        };
        record_change(locked.as_mut(), caller, &change).await?;
        locked.commit().await?;
        Ok(TeamView {
            team: renamed,
            role,
        })
    }

    /// # Errors
    /// `NotFound`, `Forbidden`.
    pub async fn delete(&self, caller: UserId, team: TeamId) -> Result<(), DomainError> {
        self.authorize(caller, team, Action::DeleteTeam).await?;
        self.teams.soft_delete(team).await
    }

    /// # Errors
    /// `NotFound` for non-members.
    pub async fn members(&self, caller: UserId, team: TeamId) -> Result<Vec<Member>, DomainError> {
        self.authorize(caller, team, Action::ListMembers).await?;
        self.teams.members(team).await
    }

    /// # Errors
    /// `NotFound` (team, or no user with that email), `Forbidden`,
    /// `Conflict(AlreadyMember)`.
    pub async fn add_member(
        &self,
        caller: UserId,
        team: TeamId,
        email: Email,
        role: Role,
    ) -> Result<Member, DomainError> {
        self.authorize(caller, team, Action::AddMember).await?;
        let user = self
            .users
            .find_by_email(&email)
            .await?
            .ok_or(DomainError::NotFound("user"))?;
        let mut locked = lock_team(self.locks.as_ref(), team).await?;
        locked.roster().require(caller, Action::AddMember)?;
        if locked.roster().role_of(user.user.id).is_some() {
            return Err(DomainError::Conflict(ConflictKind::AlreadyMember));
        }
        let member = locked.insert_member(user.user.id, role).await?;
        let change = TeamChange::MemberAdded {
            member: user.user.id,
            role,
        };
        record_change(locked.as_mut(), caller, &change).await?;
        locked.commit().await?;
        Ok(member)
    }

    /// # Errors
    /// `NotFound` (team or member), `Forbidden`, `Conflict(LastAdmin)`.
    pub async fn change_role(
        &self,
        caller: UserId,
        team: TeamId,
        member: UserId,
        role: Role,
    ) -> Result<Member, DomainError> {
        self.authorize(caller, team, Action::ChangeMemberRole)
            .await?;
        let mut locked = lock_team(self.locks.as_ref(), team).await?;
        let decided = MembershipChange::on(&locked.roster(), caller, member, Some(role))?;
        decided.check()?;
        let updated = locked.update_role(member, role).await?;
        if decided.target_role != role {
            let change = TeamChange::RoleChanged {
                member,
                from: decided.target_role,
                to: role,
            };
            record_change(locked.as_mut(), caller, &change).await?;
        }
        locked.commit().await?;
        Ok(updated)
    }

    /// Admins remove anyone; every member may remove themself (leave).
    ///
    /// # Errors
    /// `NotFound` (team or member), `Forbidden`, `Conflict(LastAdmin)`.
    pub async fn remove_member(
        &self,
        caller: UserId,
        team: TeamId,
        member: UserId,
    ) -> Result<(), DomainError> {
        let action = if caller == member {
            Action::ViewTeam
        } else {
            Action::RemoveMember
        };
        self.authorize(caller, team, action).await?;
        let mut locked = lock_team(self.locks.as_ref(), team).await?;
        let decided = MembershipChange::on(&locked.roster(), caller, member, None)?;
        decided.check()?;
        locked.delete_member(member).await?;
        // Their tasks in this team are unassigned (removal.rs says why), each
        // an ordinary task update: its reminder withdrawn, its entry fanned
        // out to the team's webhooks.
        // One context for every entry of the removal (the same actor, team
        // and webhooks): read once.
        let unassigned = locked.unassign_tasks(member).await?;
        let context = locked.write_context(caller).await?;
        for (task, project) in unassigned {
            let entry = unassigned_on_removal(project, caller, task, member);
            locked
                .record(Outbox::record(entry, &context).rearm(task, None))
                .await?;
        }
        let change = TeamChange::MemberRemoved {
            member,
            role: decided.target_role,
        };
        record_change_in(locked.as_mut(), &context, &change).await?;
        locked.commit().await
    }
}

/// A role as a client names it.
///
/// # Errors
/// `Invalid` on `role`.
pub fn parse_role(raw: &str) -> Result<Role, DomainError> {
    Role::parse(raw).ok_or_else(|| DomainError::invalid("role", "must be admin, manager or member"))
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
