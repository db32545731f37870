//! `TokenDenylist` on Redis: one key per revoked session (the `sid` claim every
//! access token carries), expiring when the session's last access token would
//! have expired anyway, so the list never outgrows the live tokens.

use crate::store::unavailable;
use crate::RedisStore;
use async_trait::async_trait;
use deadpool_redis::redis::AsyncCommands;
use domain::auth::TokenDenylist;
use domain::DomainError;
use std::time::Duration;
use uuid::Uuid;

pub struct RedisTokenDenylist {
    store: RedisStore,
}

impl RedisTokenDenylist {
    pub fn new(store: RedisStore) -> Self {
        Self { store }
    }

    fn key(&self, session: Uuid) -> String {
        self.store.key(&format!("revoked-session:{session}"))
    }
}

#[async_trait]
impl TokenDenylist for RedisTokenDenylist {
    async fn revoke(&self, session: Uuid, ttl: Duration) -> Result<(), DomainError> {
        let mut connection = self.store.connection().await?;
        let seconds = ttl.as_secs().max(1);
        connection
            .set_ex::<_, _, ()>(self.key(session), 1u8, seconds)
            .await
            .map_err(unavailable)
    }

    async fn is_revoked(&self, session: Uuid) -> Result<bool, DomainError> {
        let mut connection = self.store.connection().await?;
        connection
            .exists(self.key(session))
            .await
            .map_err(unavailable)
    }
}
