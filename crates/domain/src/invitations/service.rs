//! Invitation use cases. Creating, listing and revoking are an admin's
//! (the RBAC table's `AddMember`); accepting is the invitee's, decided on
//! the facts read under the team's lock.

use super::model::{Invitation, IssuedInvitation, NewInvitation, INVITATION_TTL};
use super::ports::InvitationRepository;
use crate::access::{authorize_membership, Action, Role};
use crate::activity::TeamChange;
use crate::auth::{Clock, Email, SecretMinter, UserRepository};
use crate::ids::{TeamId, UserId};
use crate::teams::{lock_team, record_change, TeamLocks, TeamRepository, TeamView};
use crate::{ConflictKind, DomainError};
use std::sync::Arc;
use uuid::Uuid;

pub struct InvitationService {
    pub invitations: Arc<dyn InvitationRepository>,
    pub teams: Arc<dyn TeamRepository>,
    pub users: Arc<dyn UserRepository>,
    pub locks: Arc<dyn TeamLocks>,
    pub minter: Arc<dyn SecretMinter>,
    pub clock: Arc<dyn Clock>,
}

impl InvitationService {
    /// Invites `email` to `team` as `role`; the token is in the answer only.
    ///
    /// # Errors
    /// `NotFound("team")`, `Forbidden`; `Conflict(AlreadyMember)` when the
    /// address's account is in the team, `Conflict(AlreadyInvited)` while an
    /// unexpired invitation of it is pending (an expired one is revoked and
    /// replaced).
    pub async fn create(
        &self,
        caller: UserId,
        team: TeamId,
        email: Email,
        role: Role,
    ) -> Result<IssuedInvitation, DomainError> {
        authorize_membership(self.teams.as_ref(), team, caller, Action::AddMember, "team").await?;
        if let Some(account) = self.users.find_by_email(&email).await? {
            if self
                .teams
                .membership(team, account.user.id)
                .await?
                .is_some()
            {
                return Err(DomainError::Conflict(ConflictKind::AlreadyMember));
            }
        }
        let now = self.clock.now();
        // Read before the lock, on its own connection: a locked change must
        // not wait for a second pooled connection while it holds one (with
        // the pool drained by changes queued on the lock, it would wait
        // until the pool gives up). Of two invitations of one address racing, the partial
        // unique index refuses the second (`AlreadyInvited`).
        let pending = self.invitations.pending_for(team, &email).await?;
        let mut locked = lock_team(self.locks.as_ref(), team).await?;
        locked.roster().require(caller, Action::AddMember)?;
        if let Some(pending) = pending {
            if pending.usable_at(now) {
                return Err(DomainError::Conflict(ConflictKind::AlreadyInvited));
            }
            // Expired: replaced, silently (the new `invitation.created`
            // entry is the trail's record of the address being re-invited).
            locked.revoke_invitation(pending.id, now).await?;
        }
        let token = self.minter.mint();
        let invitation = locked
            .insert_invitation(NewInvitation {
                id: Uuid::now_v7(),
                team,
                email,
                role,
                invited_by: caller,
                token_hash: self.minter.digest(&token),
                created_at: now,
                expires_at: now + INVITATION_TTL,
            })
            .await?;
        let change = TeamChange::InvitationCreated {
            invitation: invitation.id,
            email: &invitation.email,
            role,
        };
        record_change(locked.as_mut(), caller, &change).await?;
        locked.commit().await?;
        Ok(IssuedInvitation { invitation, token })
    }

    /// The team's invitations that can still be accepted, oldest first.
    ///
    /// # Errors
    /// `NotFound("team")`, `Forbidden`.
    pub async fn pending(
        &self,
        caller: UserId,
        team: TeamId,
    ) -> Result<Vec<Invitation>, DomainError> {
        authorize_membership(self.teams.as_ref(), team, caller, Action::AddMember, "team").await?;
        let now = self.clock.now();
        let mut pending = self.invitations.pending(team).await?;
        pending.retain(|invitation| invitation.usable_at(now));
        Ok(pending)
    }

    /// Revokes a pending invitation of a team the caller administers.
    ///
    /// # Errors
    /// `NotFound("invitation")` for an unknown one, one of a team the
    /// caller is not in, or one no longer pending; `Forbidden` for a
    /// member who may not invite.
    pub async fn revoke(&self, caller: UserId, id: Uuid) -> Result<(), DomainError> {
        let invitation = self
            .invitations
            .find(id)
            .await?
            .ok_or(DomainError::NotFound("invitation"))?;
        authorize_membership(
            self.teams.as_ref(),
            invitation.team,
            caller,
            Action::AddMember,
            "invitation",
        )
        .await?;
        let now = self.clock.now();
        if !invitation.usable_at(now) {
            return Err(DomainError::NotFound("invitation"));
        }
        let mut locked = lock_team(self.locks.as_ref(), invitation.team).await?;
        locked.roster().require(caller, Action::AddMember)?;
        if !locked.revoke_invitation(id, now).await? {
            return Err(DomainError::NotFound("invitation"));
        }
        let change = TeamChange::InvitationRevoked {
            invitation: id,
            email: &invitation.email,
            role: invitation.role,
        };
        record_change(locked.as_mut(), caller, &change).await?;
        locked.commit().await
    }

    /// The caller joins the invitation's team with its role.
    ///
    /// # Errors
    /// `NotFound("invitation")` for an unknown token; `Gone("invitation")`
    /// once it expired, was revoked or used (or its team was deleted);
    /// `Forbidden` when the caller's email is not the invited one;
    /// `Conflict(AlreadyMember)`.
    pub async fn accept(&self, caller: UserId, token: &str) -> Result<TeamView, DomainError> {
        let invitation = self
            .invitations
            .find_by_token(self.minter.digest(token))
            .await?
            .ok_or(DomainError::NotFound("invitation"))?;
        let now = self.clock.now();
        if !invitation.usable_at(now) {
            return Err(DomainError::Gone("invitation"));
        }
        let user = self
            .users
            .find(caller)
            .await?
            .ok_or(DomainError::Unauthenticated("user no longer exists"))?;
        if user.email.normalized() != invitation.email.normalized() {
            return Err(DomainError::Forbidden(
                "the invitation is for another email address",
            ));
        }
        let mut locked = self
            .locks
            .lock(invitation.team)
            .await?
            .ok_or(DomainError::Gone("invitation"))?;
        if locked.roster().role_of(caller).is_some() {
            return Err(DomainError::Conflict(ConflictKind::AlreadyMember));
        }
        // Under the lock, and only while still pending: of two accepts (or
        // an accept and a revoke) racing, one wins.
        if !locked.accept_invitation(invitation.id, caller, now).await? {
            return Err(DomainError::Gone("invitation"));
        }
        locked.insert_member(caller, invitation.role).await?;
        let change = TeamChange::InvitationAccepted {
            invitation: invitation.id,
            member: caller,
            role: invitation.role,
        };
        record_change(locked.as_mut(), caller, &change).await?;
        locked.commit().await?;
        let (team, role) = self
            .teams
            .membership(invitation.team, caller)
            .await?
            .ok_or(DomainError::NotFound("team"))?;
        Ok(TeamView { team, role })
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
