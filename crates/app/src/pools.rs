//! The connection pools both processes build from configuration.

use crate::config::Config;
use adapters_postgres::{PgPool, PgPoolSettings};
use adapters_redis::{RedisSettings, RedisStore};
use anyhow::Context;
use std::time::Duration;

/// Time bound on each readiness probe and on waiting for a pooled connection.
pub const DEPENDENCY_TIMEOUT: Duration = Duration::from_secs(2);

/// # Errors
/// When the URL or settings are unusable.
pub fn postgres_pool(config: &Config) -> anyhow::Result<PgPool> {
    PgPool::new(&PgPoolSettings {
        url: config.database_url.clone(),
        max_size: config.database_pool_size,
        acquire_timeout: DEPENDENCY_TIMEOUT,
        statement_counter: None,
    })
    .context("building the PostgreSQL pool")
}

/// # Errors
/// When the URL or settings are unusable.
pub fn redis_store(config: &Config) -> anyhow::Result<RedisStore> {
    RedisStore::new(&RedisSettings {
        url: config.redis_url.clone(),
        key_prefix: config.redis_key_prefix.clone(),
        max_size: 16,
        timeout: DEPENDENCY_TIMEOUT,
    })
    .context("building the Redis pool")
}
