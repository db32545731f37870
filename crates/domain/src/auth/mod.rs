//! Identity: users, passwords, access tokens and refresh-token rotation.

mod credentials;
mod email_identity;
mod ports;
mod revocation;
mod service;
mod session_service;
mod sessions;
mod tokens;
mod users;

pub use credentials::{Email, Password, PasswordHash, Registration, UserName};
pub use email_identity::normalize_email;
pub use ports::{
    AccessTokenCodec, Clock, PasswordHasher, RefreshTokenRepository, RevocationCache,
    RevokedSessions, SecretMinter, SystemClock, TokenDenylist, UserRepository,
};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{
    MockAccessTokenCodec, MockClock, MockPasswordHasher, MockRefreshTokenRepository,
    MockRevocationCache, MockRevokedSessions, MockSecretMinter, MockTokenDenylist,
    MockUserRepository,
};
pub use revocation::SessionDenylist;
pub use service::AuthService;
pub use sessions::{Session, SessionClient, SessionView};
pub use tokens::{
    AccessClaims, AuthSettings, AuthenticatedUser, IssuedTokens, NewRefreshToken, RefreshToken,
    RefreshTokenRecord, RotateOutcome, Successor,
};
pub use users::{NewUser, User, UserWithHash};
