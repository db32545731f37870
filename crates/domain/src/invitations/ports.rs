//! Where invitations are read. Creating, revoking and accepting one are
//! changes of the team, with an audit entry each, so they are stored through
//! the team's lock (`LockedTeam`).

use super::model::Invitation;
use crate::auth::Email;
use crate::ids::TeamId;
use crate::DomainError;
use async_trait::async_trait;
use uuid::Uuid;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InvitationRepository: Send + Sync {
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
}
