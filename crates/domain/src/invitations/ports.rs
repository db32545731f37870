//! Where invitations are kept. Accepting one is a membership change, so it
//! is stored through the team's lock (`LockedTeam::accept_invitation`).

use super::model::{Invitation, NewInvitation};
use crate::auth::Email;
use crate::ids::TeamId;
use crate::DomainError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InvitationRepository: Send + Sync {
    /// Stores a pending invitation.
    ///
    /// # Errors
    /// `Conflict(AlreadyInvited)` when the team has a pending invitation
    /// for the address already (one per team and address, by index);
    /// `Unavailable` when storage does not answer.
    async fn insert(&self, invitation: NewInvitation) -> Result<Invitation, DomainError>;

    /// The pending invitation (neither accepted nor revoked, expired or
    /// not) of `email` to `team`.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn pending_for(
        &self,
        team: TeamId,
        email: &Email,
    ) -> Result<Option<Invitation>, DomainError>;

    /// The team's pending invitations (expired ones included), oldest first.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn pending(&self, team: TeamId) -> Result<Vec<Invitation>, DomainError>;

    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn find(&self, id: Uuid) -> Result<Option<Invitation>, DomainError>;

    /// The invitation whose token has this hash.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn find_by_token(&self, token_hash: Vec<u8>) -> Result<Option<Invitation>, DomainError>;

    /// Revokes the invitation if it is still pending; whether it was.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, DomainError>;
}
