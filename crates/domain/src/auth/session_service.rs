//! The caller's sessions (contract → Sessions): list them, end one, end
//! all, and change the password (which ends every other one). Ending a
//! session revokes its refresh tokens in storage (the record) and denylists
//! it, so its access tokens are refused at once on every replica.

use crate::auth::{AuthService, AuthenticatedUser, Password, SessionView};
use crate::error::merge_invalid;
use crate::text::{control_characters, has_forbidden_control, Lines};
use crate::DomainError;
use uuid::Uuid;

impl AuthService {
    /// The caller's live sessions, the most recently used first.
    ///
    /// # Errors
    /// `Unauthenticated` when the caller no longer exists; `Unavailable`
    /// when storage does not answer.
    pub async fn sessions(
        &self,
        caller: &AuthenticatedUser,
    ) -> Result<Vec<SessionView>, DomainError> {
        self.me(caller.id).await?;
        let sessions = self
            .refresh_tokens
            .sessions(caller.id, self.clock.now())
            .await?;
        Ok(sessions
            .into_iter()
            .map(|session| SessionView {
                current: session.id == caller.claims.sid,
                session,
            })
            .collect())
    }

    /// Ends one of the caller's live sessions (the current one included).
    ///
    /// # Errors
    /// `NotFound("session")` for anything but a live session of the
    /// caller's; `Unavailable` when storage does not answer.
    pub async fn end_session(
        &self,
        caller: &AuthenticatedUser,
        session: Uuid,
    ) -> Result<(), DomainError> {
        let now = self.clock.now();
        let live = self.refresh_tokens.sessions(caller.id, now).await?;
        if !live.iter().any(|known| known.id == session) {
            return Err(DomainError::NotFound("session"));
        }
        self.refresh_tokens
            .revoke_family(caller.id, session, now)
            .await?;
        self.denylist
            .revoke(session, self.settings.access_token_ttl)
            .await
    }

    /// Ends every session of the caller's, the current one included.
    ///
    /// # Errors
    /// `Unauthenticated` when the caller no longer exists; `Unavailable`
    /// when storage does not answer.
    pub async fn logout_all(&self, caller: &AuthenticatedUser) -> Result<(), DomainError> {
        self.me(caller.id).await?;
        let mut ended = self
            .refresh_tokens
            .revoke_all(caller.id, None, self.clock.now())
            .await?;
        // The one asking is refused from now on even if its family had
        // nothing left to revoke.
        if !ended.contains(&caller.claims.sid) {
            ended.push(caller.claims.sid);
        }
        self.deny(&ended).await
    }

    /// Replaces the caller's password and ends every other session of
    /// theirs: whoever knew the old password (or holds a session opened
    /// with it) is out, the caller stays in.
    ///
    /// # Errors
    /// `Invalid` on `new_password`; `Forbidden` when `current` is not the
    /// caller's password; `Unauthenticated` when the caller no longer
    /// exists; `Unavailable` when storage does not answer.
    pub async fn change_password(
        &self,
        caller: &AuthenticatedUser,
        current: &str,
        new: &str,
    ) -> Result<(), DomainError> {
        // As at login: bytes no stored password can hold are a malformed
        // request, not a wrong password.
        let current_malformed = has_forbidden_control(current, Lines::Single)
            .then(|| control_characters("current_password"));
        let new = Password::parse_field(new, "new_password");
        let new = match (current_malformed, new) {
            (None, Ok(new)) => new,
            (malformed, new) => return Err(merge_invalid([malformed, new.err()])),
        };
        let found = self
            .users
            .find_with_hash(caller.id)
            .await?
            .ok_or(DomainError::Unauthenticated("user no longer exists"))?;
        let current = Password::for_login(current);
        if !self.hasher.verify(&current, &found.password_hash).await {
            return Err(DomainError::Forbidden("the current password is wrong"));
        }
        let hash = self.hasher.hash(&new).await?;
        self.users.set_password(caller.id, hash).await?;
        let ended = self
            .refresh_tokens
            .revoke_all(caller.id, Some(caller.claims.sid), self.clock.now())
            .await?;
        self.deny(&ended).await
    }

    /// Refuses the access tokens of `sessions` from now on.
    async fn deny(&self, sessions: &[Uuid]) -> Result<(), DomainError> {
        for session in sessions {
            self.denylist
                .revoke(*session, self.settings.access_token_ttl)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "session_service_tests.rs"]
mod tests;
