//! The connection pools both processes build from configuration.

use crate::config::Config;
use adapters_postgres::{PgPool, PgPoolSettings, StatementCounter};
use adapters_redis::{RedisSettings, RedisStore};
use anyhow::Context;
use std::time::Duration;

/// Time bound on each readiness probe and on waiting for a pooled connection.
pub const DEPENDENCY_TIMEOUT: Duration = Duration::from_secs(2);

/// # Errors
/// When the URL or settings are unusable.
pub fn postgres_pool(config: &Config) -> anyhow::Result<PgPool> {
    counted_postgres_pool(config, None)
}

/// The pool, counting every statement its connections send into `counter`
/// (tests prove a request's statement count with it).
///
/// # Errors
/// When the URL or settings are unusable.
pub fn counted_postgres_pool(
    config: &Config,
    counter: Option<StatementCounter>,
) -> anyhow::Result<PgPool> {
    PgPool::new(&PgPoolSettings {
        url: config.database_url.clone(),
        max_size: config.database_pool_size,
        acquire_timeout: DEPENDENCY_TIMEOUT,
        statement_counter: counter,
        // The reminder trigger arms jobs at due_at - lead
        // (migrations/…_task_reminders).
        session_settings: vec![(
            "opsflow.reminder_lead_secs".to_owned(),
            config.jobs.reminder_lead.as_secs().to_string(),
        )],
    })
    .context("building the PostgreSQL pool")
}

/// # Errors
/// When the URL or settings are unusable.
pub fn redis_store(config: &Config) -> anyhow::Result<RedisStore> {
    RedisStore::new(&RedisSettings {
        url: config.redis_url.clone(),
        key_prefix: config.redis_key_prefix.clone(),
        timeout: config.redis_timeout,
        breaker_cooldown: config.redis_breaker_cooldown,
    })
    .context("building the Redis connection")
}
