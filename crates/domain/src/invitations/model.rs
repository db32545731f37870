//! An invitation and its life: pending until accepted, revoked or expired.

use crate::access::Role;
use crate::auth::Email;
use crate::ids::{TeamId, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// How long an invitation can be accepted (contract: 7 days).
pub const INVITATION_TTL: chrono::TimeDelta = chrono::TimeDelta::days(7);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    Pending,
    Accepted,
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: Uuid,
    pub team: TeamId,
    pub email: Email,
    pub role: Role,
    pub invited_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: InvitationState,
}

impl Invitation {
    /// Whether it can still be accepted at `now`: pending and unexpired.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.state == InvitationState::Pending && now < self.expires_at
    }
}

/// What storage keeps of a new invitation: the token only as its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub id: Uuid,
    pub team: TeamId,
    pub email: Email,
    pub role: Role,
    pub invited_by: UserId,
    pub token_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A created invitation with its token, shown this once.
#[derive(Debug, Clone)]
pub struct IssuedInvitation {
    pub invitation: Invitation,
    pub token: String,
}
