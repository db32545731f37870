//! This app's Redis keys, for tests that look at or drop what the cache
//! holds.

use crate::TestApp;

impl TestApp {
    /// A store on this app's Redis and key prefix.
    pub fn redis_store(&self) -> adapters_redis::RedisStore {
        adapters_redis::RedisStore::new(&adapters_redis::RedisSettings {
            url: self.config.redis_url.clone(),
            key_prefix: self.redis_prefix.clone(),
            timeout: std::time::Duration::from_secs(2),
            breaker_cooldown: std::time::Duration::from_millis(10),
        })
        .expect("a Redis store")
    }

    /// Drops every cached personal-access-token grant (as their TTL would):
    /// the next use of a token looks it up in PostgreSQL.
    pub async fn forget_cached_grants(&self) {
        let store = self.redis_store();
        let pattern = store.key("token-grant:*");
        store
            .run(|mut connection| async move {
                let keys: Vec<String> = deadpool_redis::redis::cmd("KEYS")
                    .arg(pattern)
                    .query_async(&mut connection)
                    .await?;
                if keys.is_empty() {
                    return Ok(());
                }
                deadpool_redis::redis::cmd("DEL")
                    .arg(keys)
                    .query_async::<()>(&mut connection)
                    .await
            })
            .await
            .expect("drop cached grants");
    }
}
