//! Cryptographic adapters for the identity ports: bcrypt password hashing, HS256
//! access tokens, random refresh tokens. They live in the composition crate
//! because they are neither storage nor HTTP, and the domain must not link them.

mod bcrypt_hasher;
mod jwt_codec;
mod secret_minter;

pub use bcrypt_hasher::BcryptPasswordHasher;
pub use jwt_codec::JwtAccessTokenCodec;
pub use secret_minter::RandomSecretMinter;
