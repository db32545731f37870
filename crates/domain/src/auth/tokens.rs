//! Sessions: access-token claims, refresh tokens as handed out and as
//! stored, what rotating one leads to, and the issued pair.

use super::users::User;
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use std::fmt;
use std::time::Duration;
use uuid::Uuid;

/// The claims of an access token (HS256 JWT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub sub: UserId,
    /// The session: the refresh-token family this token was issued from. Logout
    /// and refresh reuse revoke the family, and with it every access token that
    /// names it.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// Unique per token (the contract lists it; logs can name one token).
    pub jti: Uuid,
}

/// A caller whose access token checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser {
    pub id: UserId,
    pub claims: AccessClaims,
}

/// The opaque refresh token handed to the client. Never stored as such.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(pub String);

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(<redacted>)")
    }
}

/// A refresh token as stored: only its SHA-256 hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub id: Uuid,
    pub user_id: UserId,
    /// All tokens descending from one login share a family.
    pub family_id: Uuid,
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
    /// Who logged in (kept on every token of the family).
    pub client: super::SessionClient,
}

/// A freshly minted refresh token before it is attached to a user and family:
/// at login the service attaches them; at rotation the repository takes them
/// from the presented token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    pub id: Uuid,
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The token was live: it is now consumed and `user` owns the successor,
    /// in the same family (`session`).
    Rotated {
        user: UserId,
        session: Uuid,
    },
    /// The token had been consumed (rotated) or revoked before. Nothing was
    /// changed: the service decides between answering a second refresh
    /// inside the grace window again and revoking the family (reuse).
    /// `successor` is what it was rotated into; `None` when it was revoked.
    Consumed {
        user: UserId,
        session: Uuid,
        successor: Option<Successor>,
    },
    Expired,
    Unknown,
}

/// What storage knows of the token a consumed one was rotated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Successor {
    pub id: Uuid,
    /// When the rotation happened (by the service's clock).
    pub rotated_at: DateTime<Utc>,
    /// Neither consumed, nor revoked, nor expired.
    pub live: bool,
}

/// The result of a login or a refresh.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub access_expires_in: Duration,
    pub refresh_token: RefreshToken,
    pub refresh_expires_in: Duration,
    pub user: User,
}

#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// How long after a rotation a second refresh with the same token (two
    /// tabs refreshing at once) is answered with the same new pair instead
    /// of revoking the session as reuse. Zero: never.
    pub refresh_grace: Duration,
}
