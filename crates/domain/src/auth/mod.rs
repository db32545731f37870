//! Identity: users, passwords, access tokens and refresh-token rotation.

mod model;
mod ports;
mod service;

pub use model::{
    AccessClaims, AuthSettings, AuthenticatedUser, Email, IssuedTokens, NewRefreshToken, NewUser,
    Password, PasswordHash, RefreshToken, RefreshTokenRecord, Registration, RotateOutcome, User,
    UserName, UserWithHash,
};
pub use ports::{
    AccessTokenCodec, Clock, PasswordHasher, RefreshTokenRepository, SecretMinter, SystemClock,
    TokenDenylist, UserRepository,
};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{
    MockAccessTokenCodec, MockClock, MockPasswordHasher, MockRefreshTokenRepository,
    MockSecretMinter, MockTokenDenylist, MockUserRepository,
};
pub use service::AuthService;
