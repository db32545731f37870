//! Identity use cases: register, login, refresh (rotation with reuse detection),
//! logout, and authenticating an access token.

use super::ports::{
    AccessTokenCodec, Clock, PasswordHasher, RefreshTokenRepository, SecretMinter, TokenDenylist,
    UserRepository,
};
use crate::auth::{
    AccessClaims, AuthSettings, AuthenticatedUser, Email, IssuedTokens, NewRefreshToken, NewUser,
    Password, RefreshToken, RefreshTokenRecord, Registration, RotateOutcome, SessionClient,
    Successor, User,
};
use crate::error::merge_invalid;
use crate::ids::UserId;
use crate::text::{control_characters, has_forbidden_control, Lines};
use crate::DomainError;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The one message for every failed login: which part was wrong is not revealed.
const BAD_CREDENTIALS: &str = "invalid email or password";

pub struct AuthService {
    pub users: Arc<dyn UserRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub codec: Arc<dyn AccessTokenCodec>,
    pub minter: Arc<dyn SecretMinter>,
    pub refresh_tokens: Arc<dyn RefreshTokenRepository>,
    pub denylist: Arc<dyn TokenDenylist>,
    pub clock: Arc<dyn Clock>,
    pub settings: AuthSettings,
}

impl AuthService {
    /// # Errors
    /// `Conflict(EmailTaken)`.
    pub async fn register(&self, registration: Registration) -> Result<User, DomainError> {
        let Registration {
            email,
            password,
            name,
        } = registration;
        let password_hash = self.hasher.hash(&password).await?;
        self.users
            .create(NewUser {
                id: UserId::new(),
                email,
                name,
                password_hash,
            })
            .await
    }

    /// Unknown email and wrong password are indistinguishable: same error, and
    /// the same bcrypt work (against a dummy hash when there is no user).
    ///
    /// # Errors
    /// `Unauthenticated` on bad credentials.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: SessionClient,
    ) -> Result<IssuedTokens, DomainError> {
        // Bytes no stored email or password can hold (NUL above all, which
        // PostgreSQL refuses in text) are a malformed request, not bad credentials.
        let controls = [("email", email), ("password", password)].map(|(field, value)| {
            has_forbidden_control(value, Lines::Single).then(|| control_characters(field))
        });
        if controls.iter().any(Option::is_some) {
            return Err(merge_invalid(controls));
        }
        let password = Password::for_login(password);
        // An address that cannot be an account's (malformed, or holding an
        // invisible character) is simply not found: same 401, same bcrypt work.
        let found = match Email::parse(email) {
            Ok(email) => self.users.find_by_email(&email).await?,
            Err(_) => None,
        };
        let hash = found.as_ref().map_or_else(
            || self.hasher.dummy_hash(),
            |user| user.password_hash.clone(),
        );
        let matches = self.hasher.verify(&password, &hash).await;
        match found {
            Some(user) if matches => {
                // A login starts a new family: every rotation descends from it.
                let (refresh_token, minted) = self.new_refresh_token();
                let session = Uuid::now_v7();
                let record = RefreshTokenRecord {
                    id: minted.id,
                    user_id: user.user.id,
                    family_id: session,
                    token_hash: minted.token_hash,
                    expires_at: minted.expires_at,
                    client,
                };
                self.refresh_tokens.insert(record).await?;
                self.issue(
                    user.user,
                    refresh_token,
                    session,
                    (self.clock.now(), minted.id),
                )
            }
            _ => Err(DomainError::Unauthenticated(BAD_CREDENTIALS)),
        }
    }

    /// Rotates: the presented token is consumed and a new one issued in the same
    /// family. The same token presented again within the grace window after
    /// its rotation (two tabs refreshing at once), while what it was rotated
    /// into is unused, gets that same new pair again; any other second use
    /// is reuse and revokes the family.
    ///
    /// # Errors
    /// `Unauthenticated` for an unknown, expired, revoked or reused token.
    pub async fn refresh(&self, presented: &str) -> Result<IssuedTokens, DomainError> {
        let now = self.clock.now();
        let presented_hash = self.minter.digest(presented);
        // Derived from the presented token, so a replay inside the grace
        // window can be answered with it again (`SecretMinter::successor`).
        let refresh_token = RefreshToken(self.minter.successor(presented));
        // The successor joins the presented token's user and family; the
        // repository takes both from the row it locks.
        let successor = NewRefreshToken {
            id: Uuid::now_v7(),
            token_hash: self.minter.digest(&refresh_token.0),
            expires_at: now + to_chrono(self.settings.refresh_token_ttl),
        };
        let successor_id = successor.id;
        let outcome = self
            .refresh_tokens
            .rotate(presented_hash, successor, now)
            .await?;
        match outcome {
            RotateOutcome::Rotated { user, session } => {
                let user = self.owner(user).await?;
                self.issue(user, refresh_token, session, (now, successor_id))
            }
            RotateOutcome::Consumed {
                user,
                session,
                successor,
            } => match successor.filter(|successor| self.replayable(successor, now)) {
                // The pair is a function of the rotation (token derived,
                // claims from its time and id): the same bytes again.
                Some(rotation) => {
                    let user = self.owner(user).await?;
                    self.issue(
                        user,
                        refresh_token,
                        session,
                        (rotation.rotated_at, rotation.id),
                    )
                }
                // Reuse means a stolen token or a client bug: the family's
                // refresh tokens are revoked, and the access tokens already
                // issued to the session stop working now, not at their
                // expiry. The transport logs every authentication failure
                // with this detail for operators.
                None => {
                    self.refresh_tokens
                        .revoke_family(user, session, now)
                        .await?;
                    self.denylist
                        .revoke(session, self.settings.access_token_ttl)
                        .await?;
                    Err(DomainError::Unauthenticated(
                        "refresh token was already used; its session is revoked",
                    ))
                }
            },
            RotateOutcome::Expired => Err(DomainError::Unauthenticated("refresh token expired")),
            RotateOutcome::Unknown => Err(DomainError::Unauthenticated("unknown refresh token")),
        }
    }

    /// A second refresh may be answered with the pair of the rotation it
    /// came second to while that pair is unused and the rotation is less
    /// than the grace window old.
    fn replayable(&self, successor: &Successor, now: DateTime<Utc>) -> bool {
        successor.live
            && now.signed_duration_since(successor.rotated_at)
                < to_chrono(self.settings.refresh_grace)
    }

    async fn owner(&self, user: UserId) -> Result<User, DomainError> {
        self.users
            .find(user)
            .await?
            .ok_or(DomainError::Unauthenticated("refresh token owner is gone"))
    }

    /// Ends the caller's session: the refresh family the access token names
    /// (`sid`) is revoked in storage, and the session is denylisted so its
    /// access tokens are refused until they would have expired. A refresh token
    /// presented as well (body or cookie) is revoked with its family too, but
    /// only when it is the caller's own: my logout never ends your session.
    ///
    /// # Errors
    /// `Unauthenticated` when the caller no longer exists; `Unavailable` when
    /// storage does not answer.
    pub async fn logout(
        &self,
        caller: &AuthenticatedUser,
        refresh_token: Option<&str>,
    ) -> Result<(), DomainError> {
        self.me(caller.id).await?;
        let now = self.clock.now();
        let mut sessions = vec![caller.claims.sid];
        if let Some(token) = refresh_token {
            let family = self
                .refresh_tokens
                .family_of(caller.id, self.minter.digest(token))
                .await?;
            sessions.extend(family.filter(|family| *family != caller.claims.sid));
        }
        for session in sessions {
            self.refresh_tokens
                .revoke_family(caller.id, session, now)
                .await?;
            self.denylist
                .revoke(session, self.settings.access_token_ttl)
                .await?;
        }
        Ok(())
    }

    /// Checks an access token: signature, algorithm, expiry, then the denylist.
    ///
    /// # Errors
    /// `Unauthenticated` for anything but a valid, unrevoked token;
    /// `Unavailable` when no revocation record can be read (fail closed; with
    /// Redis down the record in PostgreSQL still answers).
    pub async fn authenticate(&self, token: &str) -> Result<AuthenticatedUser, DomainError> {
        self.authenticate_verified(self.verify(token)?).await
    }

    /// The token's claims, checked for signature, algorithm and expiry — not
    /// yet for revocation. Alone, enough to account a request to its user
    /// (rate limiting), never to authorize it; the transport hands the result
    /// to [`Self::authenticate_verified`] so a token is decoded once per
    /// request.
    ///
    /// # Errors
    /// `Unauthenticated` for a forged, malformed or expired token.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, DomainError> {
        self.codec.decode(token, self.clock.now().timestamp())
    }

    /// The rest of [`Self::authenticate`] for claims `verify` returned: the
    /// revocation check.
    ///
    /// # Errors
    /// `Unauthenticated` when the session is revoked; `Unavailable` when no
    /// revocation record can be read (fail closed).
    pub async fn authenticate_verified(
        &self,
        claims: AccessClaims,
    ) -> Result<AuthenticatedUser, DomainError> {
        if self.denylist.is_revoked(claims.sid).await? {
            return Err(DomainError::Unauthenticated("token has been revoked"));
        }
        Ok(AuthenticatedUser {
            id: claims.sub,
            claims,
        })
    }

    /// # Errors
    /// `Unauthenticated` when the token's user no longer exists.
    pub async fn me(&self, caller: UserId) -> Result<User, DomainError> {
        self.users
            .find(caller)
            .await?
            .ok_or(DomainError::Unauthenticated("user no longer exists"))
    }

    fn new_refresh_token(&self) -> (RefreshToken, NewRefreshToken) {
        let token = self.minter.mint();
        let minted = NewRefreshToken {
            id: Uuid::now_v7(),
            token_hash: self.minter.digest(&token),
            expires_at: self.clock.now() + to_chrono(self.settings.refresh_token_ttl),
        };
        (RefreshToken(token), minted)
    }

    /// The pair for `session`; the access token is issued at the time of
    /// `issued` and named by its id (the refresh token's row), so issuing
    /// for one rotation twice gives the same token.
    fn issue(
        &self,
        user: User,
        refresh_token: RefreshToken,
        session: Uuid,
        issued: (DateTime<Utc>, Uuid),
    ) -> Result<IssuedTokens, DomainError> {
        let (at, jti) = issued;
        let iat = at.timestamp();
        let ttl = i64::try_from(self.settings.access_token_ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = AccessClaims {
            sub: user.id,
            sid: session,
            iat,
            exp: iat.saturating_add(ttl),
            jti,
        };
        Ok(IssuedTokens {
            access_token: self.codec.encode(&claims)?,
            access_expires_in: self.settings.access_token_ttl,
            refresh_token,
            refresh_expires_in: self.settings.refresh_token_ttl,
            user,
        })
    }
}

fn to_chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
#[path = "service_tests.rs"]
pub(crate) mod tests;
