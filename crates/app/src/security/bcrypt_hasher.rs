//! `PasswordHasher` with bcrypt, run on tokio's blocking pool: a hash at cost 12
//! takes a few hundred milliseconds of CPU, which on an executor thread would
//! stall every other request that thread serves.
//!
//! bcrypt reads only the first 72 bytes of its input, and the contract allows
//! passwords of 128 characters (up to 512 bytes of UTF-8). So the password is
//! first reduced to a fixed 44-byte string — base64 of HMAC-SHA-256 keyed with
//! [`PREHASH_KEY`] — and that string is what bcrypt hashes: every byte of the
//! password counts. Stored hashes carry [`PREHASH_PREFIX`]; hashes written
//! before the pre-hash existed (plain `$2b$...`) still verify the old way.
//! `docs/auth.md` ("Password length") explains the choice and its tradeoffs.

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use domain::auth::{Password, PasswordHash, PasswordHasher};
use domain::DomainError;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Marks a hash whose bcrypt input is the pre-hashed password.
pub const PREHASH_PREFIX: &str = "hmac-sha256$";

/// The HMAC key. Not a secret (a pepper would be, and losing it would lock
/// every user out): its job is to make our pre-hash unique to OpsFlow, so an
/// attacker holding a leak of plain SHA-256 password hashes from elsewhere
/// cannot test those against our bcrypt hashes ("password shucking").
const PREHASH_KEY: &[u8] = b"opsflow/password-prehash/v1";

pub struct BcryptPasswordHasher {
    cost: u32,
    dummy: PasswordHash,
}

/// The 44-character bcrypt input for `password`.
fn prehash(password: &str) -> String {
    // `new_from_slice` accepts any key length for HMAC; the fallback is unreachable
    // but keeps this path free of `expect`.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(PREHASH_KEY) else {
        return String::new();
    };
    mac.update(password.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn hash_now(password: &str, cost: u32) -> Result<PasswordHash, DomainError> {
    bcrypt::hash(prehash(password), cost)
        .map(|hash| PasswordHash(format!("{PREHASH_PREFIX}{hash}")))
        .map_err(|error| DomainError::internal_from("bcrypt", error))
}

fn verify_now(password: &str, stored: &str) -> bool {
    match stored.strip_prefix(PREHASH_PREFIX) {
        Some(bcrypt_hash) => bcrypt::verify(prehash(password), bcrypt_hash).unwrap_or(false),
        // A hash from before the pre-hash: bcrypt of the raw password.
        None => bcrypt::verify(password, stored).unwrap_or(false),
    }
}

impl BcryptPasswordHasher {
    /// Hashes a random value once at the configured cost, for unknown-email logins.
    ///
    /// # Errors
    /// When the cost is outside bcrypt's range.
    pub fn new(cost: u32) -> Result<Self, DomainError> {
        let random = uuid::Uuid::now_v7().to_string();
        let dummy = hash_now(&random, cost)?;
        Ok(Self { cost, dummy })
    }
}

#[async_trait]
impl PasswordHasher for BcryptPasswordHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, DomainError> {
        let (password, cost) = (password.expose().to_owned(), self.cost);
        tokio::task::spawn_blocking(move || hash_now(&password, cost))
            .await
            .map_err(|error| DomainError::internal_from("hashing task", error))?
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> bool {
        let (password, hash) = (password.expose().to_owned(), hash.0.clone());
        tokio::task::spawn_blocking(move || verify_now(&password, &hash))
            .await
            .unwrap_or(false)
    }

    fn dummy_hash(&self) -> PasswordHash {
        self.dummy.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = BcryptPasswordHasher::new(4).unwrap();
        let password = Password::parse("correct horse").unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.0.starts_with("hmac-sha256$$2b$04$"));
        assert!(hasher.verify(&password, &hash).await);
        assert!(!hasher.verify(&Password::for_login("wrong"), &hash).await);
        assert!(!hasher.verify(&password, &hasher.dummy_hash()).await);
        assert!(
            !hasher
                .verify(&password, &PasswordHash("garbage".into()))
                .await
        );
    }

    #[tokio::test]
    async fn every_byte_counts_beyond_bcrypts_72() {
        let hasher = BcryptPasswordHasher::new(4).unwrap();
        let long = format!("{}tail-one", "x".repeat(90));
        let hash = hasher.hash(&Password::parse(&long).unwrap()).await.unwrap();
        assert!(hasher.verify(&Password::for_login(&long), &hash).await);
        let same_first_72 = format!("{}tail-two", "x".repeat(90));
        assert!(
            !hasher
                .verify(&Password::for_login(&same_first_72), &hash)
                .await
        );
        assert!(
            !hasher
                .verify(&Password::for_login(&"x".repeat(72)), &hash)
                .await
        );
    }

    #[tokio::test]
    async fn hashes_from_before_the_prehash_still_verify() {
        let hasher = BcryptPasswordHasher::new(4).unwrap();
        let legacy = PasswordHash(bcrypt::hash("legacy password", 4).unwrap());
        assert!(
            hasher
                .verify(&Password::for_login("legacy password"), &legacy)
                .await
        );
        assert!(
            !hasher
                .verify(&Password::for_login("legacy passwork"), &legacy)
                .await
        );
    }
}
