//! `TokenGrantCache` on Redis: one key per looked-up personal access token
//! (by its keyed hash, never the token), holding the grant as JSON or the
//! marker `revoked`. A grant is written only where no key exists (`SET NX`),
//! a revocation over anything (`SET`): a grant read from PostgreSQL just
//! before a revocation and written just after it cannot replace the marker.

use crate::RedisStore;
use async_trait::async_trait;
use deadpool_redis::redis;
use domain::personal_tokens::{CachedGrant, TokenGrant, TokenGrantCache};
use domain::DomainError;
use std::time::Duration;

const REVOKED: &str = "revoked";

pub struct RedisTokenGrantCache {
    store: RedisStore,
}

impl RedisTokenGrantCache {
    pub fn new(store: RedisStore) -> Self {
        Self { store }
    }

    fn key(&self, hash: &[u8]) -> String {
        self.store
            .key(&format!("token-grant:{}", hex::encode(hash)))
    }
}

#[async_trait]
impl TokenGrantCache for RedisTokenGrantCache {
    async fn get(&self, hash: &[u8]) -> Result<Option<CachedGrant>, DomainError> {
        let key = self.key(hash);
        let value: Option<String> = self
            .store
            .run(|mut connection| async move {
                redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        Ok(match value.as_deref() {
            None => None,
            Some(REVOKED) => Some(CachedGrant::Revoked),
            // Unreadable (an older release's shape): a miss, not an error.
            Some(json) => serde_json::from_str(json).ok().map(CachedGrant::Grant),
        })
    }

    async fn remember(
        &self,
        hash: &[u8],
        grant: TokenGrant,
        ttl: Duration,
    ) -> Result<(), DomainError> {
        let key = self.key(hash);
        let json = serde_json::to_string(&grant)
            .map_err(|error| DomainError::internal_from("encoding a token grant", error))?;
        self.store
            .run(|mut connection| async move {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(&json)
                    .arg("NX")
                    .arg("EX")
                    .arg(ttl.as_secs().max(1))
                    .query_async::<Option<String>>(&mut connection)
                    .await
            })
            .await
            .map(|_| ())
    }

    async fn revoked(&self, hash: &[u8], ttl: Duration) -> Result<(), DomainError> {
        let key = self.key(hash);
        self.store
            .run(|mut connection| async move {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(REVOKED)
                    .arg("EX")
                    .arg(ttl.as_secs().max(1))
                    .query_async::<()>(&mut connection)
                    .await
            })
            .await
    }
}
