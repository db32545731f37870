//! `RevocationCache` on Redis: one key per revoked session (the `sid` claim
//! every access token carries), expiring when the session's last access token
//! would have expired anyway, plus one `revocations:complete` marker written
//! after a refill from PostgreSQL. Redis here keeps nothing on disk: after a
//! restart the marker is gone with the keys, and the lookup says "I don't
//! know" instead of "not revoked".

use crate::RedisStore;
use async_trait::async_trait;
use deadpool_redis::redis;
use domain::auth::RevocationCache;
use domain::DomainError;
use std::time::Duration;
use uuid::Uuid;

const COMPLETE: &str = "revocations:complete";

pub struct RedisRevocationCache {
    store: RedisStore,
}

impl RedisRevocationCache {
    pub fn new(store: RedisStore) -> Self {
        Self { store }
    }

    fn key(&self, session: Uuid) -> String {
        self.store.key(&format!("revoked-session:{session}"))
    }
}

#[async_trait]
impl RevocationCache for RedisRevocationCache {
    /// One round trip: the session's key and the marker in one `MGET`.
    async fn lookup(&self, session: Uuid) -> Result<Option<bool>, DomainError> {
        let keys = [self.key(session), self.store.key(COMPLETE)];
        let (revoked, complete): (Option<u8>, Option<u8>) = self
            .store
            .run(|mut connection| async move {
                redis::cmd("MGET")
                    .arg(&keys)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        Ok(match (revoked, complete) {
            (Some(_), _) => Some(true),
            (None, Some(_)) => Some(false),
            (None, None) => None,
        })
    }

    async fn remember(
        &self,
        sessions: &[(Uuid, Duration)],
        complete: bool,
    ) -> Result<(), DomainError> {
        let mut pipeline = redis::pipe();
        for (session, ttl) in sessions {
            pipeline
                .set_ex(self.key(*session), 1u8, ttl.as_secs().max(1))
                .ignore();
        }
        if complete {
            pipeline.set(self.store.key(COMPLETE), 1u8).ignore();
        }
        self.store
            .run(|mut connection| async move { pipeline.query_async::<()>(&mut connection).await })
            .await
    }
}
