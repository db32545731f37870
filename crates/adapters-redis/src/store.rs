//! The shared Redis pool plus the key prefix every adapter uses.

use deadpool_redis::{Config, Connection, Pool, Runtime, Timeouts};
use domain::DomainError;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RedisSettings {
    pub url: String,
    pub key_prefix: String,
    pub max_size: usize,
    /// Bound on waiting for, creating or checking a connection: a Redis outage
    /// must turn into a quick 503, not a hung request.
    pub timeout: Duration,
}

#[derive(Clone)]
pub struct RedisStore {
    pool: Pool,
    prefix: String,
}

impl RedisStore {
    /// Builds the pool; connections are opened lazily.
    ///
    /// # Errors
    /// `DomainError::Internal` when the URL or settings are unusable.
    pub fn new(settings: &RedisSettings) -> Result<Self, DomainError> {
        let mut config = Config::from_url(settings.url.clone());
        let mut pool_config = deadpool_redis::PoolConfig::new(settings.max_size);
        pool_config.timeouts = Timeouts {
            wait: Some(settings.timeout),
            create: Some(settings.timeout),
            recycle: Some(settings.timeout),
        };
        config.pool = Some(pool_config);
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|error| DomainError::internal_from("redis pool", error))?;
        Ok(Self {
            pool,
            prefix: settings.key_prefix.clone(),
        })
    }

    /// The full key for `name` under this store's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// # Errors
    /// `DomainError::Unavailable` when no connection can be had in time.
    pub async fn connection(&self) -> Result<Connection, DomainError> {
        self.pool.get().await.map_err(unavailable)
    }

    /// Deletes every key under this store's prefix (test teardown, resetting a
    /// development instance). SCAN, not KEYS: it never blocks Redis.
    ///
    /// # Errors
    /// `DomainError::Unavailable` when Redis does not answer.
    pub async fn delete_all_keys(&self) -> Result<usize, DomainError> {
        let mut connection = self.connection().await?;
        let pattern = format!("{}*", self.prefix);
        let mut cursor: u64 = 0;
        let mut deleted = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = deadpool_redis::redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            if !keys.is_empty() {
                deleted += keys.len();
                deadpool_redis::redis::cmd("DEL")
                    .arg(&keys)
                    .query_async::<()>(&mut connection)
                    .await
                    .map_err(unavailable)?;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }

    /// Stops handing out connections (graceful shutdown).
    pub fn close(&self) {
        self.pool.close();
    }
}

pub(crate) fn unavailable(error: impl std::fmt::Display) -> DomainError {
    DomainError::Unavailable {
        dependency: "redis",
        message: error.to_string(),
    }
}
