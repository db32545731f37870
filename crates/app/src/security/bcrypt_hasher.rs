//! `PasswordHasher` with bcrypt, run on tokio's blocking pool: a hash at cost 12
//! takes a few hundred milliseconds of CPU, which on an executor thread would
//! stall every other request that thread serves.

use async_trait::async_trait;
use domain::auth::{Password, PasswordHash, PasswordHasher};
use domain::DomainError;

pub struct BcryptPasswordHasher {
    cost: u32,
    dummy: PasswordHash,
}

impl BcryptPasswordHasher {
    /// Hashes a random value once at the configured cost, for unknown-email logins.
    ///
    /// # Errors
    /// When the cost is outside bcrypt's range.
    pub fn new(cost: u32) -> Result<Self, DomainError> {
        let random = uuid::Uuid::now_v7().to_string();
        let dummy = bcrypt::hash(random, cost)
            .map_err(|error| DomainError::Internal(format!("bcrypt: {error}")))?;
        Ok(Self {
            cost,
            dummy: PasswordHash(dummy),
        })
    }
}

#[async_trait]
impl PasswordHasher for BcryptPasswordHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, DomainError> {
        let (password, cost) = (password.expose().to_owned(), self.cost);
        tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
            .await
            .map_err(|error| DomainError::Internal(format!("hashing task: {error}")))?
            .map(PasswordHash)
            .map_err(|error| DomainError::Internal(format!("bcrypt: {error}")))
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> bool {
        let (password, hash) = (password.expose().to_owned(), hash.0.clone());
        tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
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
        assert!(hash.0.starts_with("$2b$04$"));
        assert!(hasher.verify(&password, &hash).await);
        assert!(!hasher.verify(&Password::for_login("wrong"), &hash).await);
        assert!(!hasher.verify(&password, &hasher.dummy_hash()).await);
        assert!(
            !hasher
                .verify(&password, &PasswordHash("garbage".into()))
                .await
        );
    }
}
