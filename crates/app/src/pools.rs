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
    build_postgres_pool(config, counter, Vec::new())
}

/// The worker's pool: as the api's, but its sessions commit without waiting
/// for the WAL flush (`synchronous_commit = off`). Safe for the worker alone:
/// every job effect is idempotent and is committed before the job's
/// `complete`, and PostgreSQL loses recent commits only in WAL order — a crash
/// can forget a `complete` (the job runs again, its effect is a no-op) or an
/// effect together with everything after it (the job runs again), never an
/// acknowledged API write, which the api's own sessions still flush. Three
/// flushes per job became none: docs/performance.md (reminders per second).
///
/// # Errors
/// When the URL or settings are unusable.
pub fn worker_postgres_pool(config: &Config) -> anyhow::Result<PgPool> {
    build_postgres_pool(
        config,
        None,
        vec![("synchronous_commit".to_owned(), "off".to_owned())],
    )
}

fn build_postgres_pool(
    config: &Config,
    counter: Option<StatementCounter>,
    session: Vec<(String, String)>,
) -> anyhow::Result<PgPool> {
    PgPool::new(&PgPoolSettings {
        url: config.database_url.clone(),
        max_size: config.database_pool_size,
        acquire_timeout: DEPENDENCY_TIMEOUT,
        statement_counter: counter,
        session_settings: session,
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
