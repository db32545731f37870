//! Identity: users, passwords, access tokens and refresh-token rotation.

mod email_identity;
mod model;
mod ports;
mod revocation;
mod service;

pub use email_identity::normalize_email;
pub use model::{
    AccessClaims, AuthSettings, AuthenticatedUser, Email, IssuedTokens, NewRefreshToken, NewUser,
    Password, PasswordHash, RefreshToken, RefreshTokenRecord, Registration, RotateOutcome, User,
    UserName, UserWithHash,
};
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
