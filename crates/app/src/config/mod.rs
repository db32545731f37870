//! Typed configuration, read once at startup from environment variables (and an
//! optional `.env`). Every value is parsed and checked here; a bad one stops the
//! process with one line naming the variable. The rest of the code receives these
//! structs and never reads the environment itself.
//!
//! Only variables something reads are parsed (every contract variable is read
//! now; docs/configuration.md lists them with their defaults).

mod parse;
mod sections;

use parse::Source;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Dev,
    Test,
    Prod,
}

/// A configuration value that could not be used. Displays as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub database_url: String,
    pub database_pool_size: usize,
    pub redis_url: String,
    /// Prepended to every Redis key (tests use one prefix each).
    pub redis_key_prefix: String,
    /// Bound on each Redis exchange: what a paused Redis costs a request, once.
    pub redis_timeout: Duration,
    /// How long Redis is skipped after a failure before one request probes it.
    pub redis_breaker_cooldown: Duration,
    pub listen: SocketAddr,
    pub worker_listen: SocketAddr,
    pub migrate_on_start: bool,
    pub auth: AuthConfig,
    pub cors_origins: Vec<String>,
    pub jobs: JobsConfig,
    pub shutdown_grace: Duration,
    /// How long a request body may take to arrive before `408`.
    pub body_read_timeout: Duration,
    pub cache: CacheConfig,
    pub events: EventsConfig,
    pub rate_limit: RateLimitConfig,
    pub webhooks: WebhookConfig,
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Targets may resolve to private/loopback addresses (tests, on-premises).
    pub allow_private: bool,
    /// Bound on one delivery request.
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub enabled: bool,
    pub user_per_min: u32,
    pub ip_per_min: u32,
    pub login_per_min: u32,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Live event streams (docs/events.md).
#[derive(Debug, Clone)]
pub struct EventsConfig {
    pub max_streams_per_user: usize,
    pub max_streams: usize,
    /// The longest silence on a stream before a `: keep-alive` comment.
    pub keep_alive: Duration,
    /// How long after an api process's last heartbeat (one every third of
    /// it) its streams stop counting against their users' shared cap: a
    /// process that died frees its users' seats within it.
    pub seat_lease: Duration,
    /// The longest wait between two reads of the log while streams are open
    /// (what a lost notification can delay an event by).
    pub poll: Duration,
}

#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub enabled: bool,
    pub ttl: Duration,
}

#[derive(Clone)]
pub struct AuthConfig {
    pub jwt_secret: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub refresh_grace: Duration,
    pub bcrypt_cost: u32,
    pub cookie_secure: bool,
}

// Hand-written so the secret never lands in a log through `{:?}`.
impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("jwt_secret", &"<redacted>")
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("refresh_grace", &self.refresh_grace)
            .field("bcrypt_cost", &self.bcrypt_cost)
            .field("cookie_secure", &self.cookie_secure)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct JobsConfig {
    pub poll_interval: Duration,
    pub max_attempts: u32,
    /// How long before `due_at` a task's reminder fires.
    pub reminder_lead: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Reminder loops of one worker process; each claims and runs a batch.
    pub concurrency: usize,
    /// Most jobs one claim takes (`OPSFLOW_WORKER_BATCH`): reminders run a
    /// whole batch in one transaction; deliveries are claimed one at a time
    /// whatever this says (their bounds are counted per claim).
    pub batch_size: usize,
    /// Webhook deliveries one worker process runs at once (its delivery
    /// loops, separate from the reminder loops: docs/jobs.md → Lanes).
    pub delivery_concurrency: usize,
    /// In-flight deliveries per receiver host and per team, across workers.
    pub delivery_bounds: domain::jobs::DeliveryBounds,
    /// How long a claimed job is reserved for its worker. A worker killed
    /// mid-job delays that job by at most this much (another claims it when
    /// the lease runs out), so it is short; it must exceed the longest job
    /// (a webhook delivery: `OPSFLOW_WEBHOOK_TIMEOUT_MS`), or a slow but live
    /// job would be run twice at once.
    pub lease: Duration,
}

/// Only for development: a fixed, public secret. `prod` refuses to start without
/// a real one.
const DEV_JWT_SECRET: &str = "opsflow-dev-only-secret-do-not-use-in-prod";
const MIN_JWT_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads `.env` if present (real environment variables win), then the
    /// environment.
    ///
    /// # Errors
    /// The first variable that is malformed or missing.
    pub fn from_env() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(error) if error.not_found() => {}
            Err(error) => {
                return Err(ConfigError {
                    var: ".env",
                    message: format!("could not be read: {error}"),
                })
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any name → value lookup (tests pass a map).
    ///
    /// # Errors
    /// The first variable that is malformed or missing.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let source = Source::new(&lookup);
        let env = source.parse_or("OPSFLOW_ENV", Environment::Dev, parse::environment)?;
        let is = |wanted| env == wanted;
        let config = Self {
            env,
            database_url: source.url_or(
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/opsflow",
                &["postgres://", "postgresql://"],
            )?,
            database_pool_size: source
                .parse_or("OPSFLOW_DB_POOL_SIZE", 16, |v| parse::number(v, 1, 1000))?,
            redis_url: source.url_or(
                "REDIS_URL",
                "redis://127.0.0.1:6379",
                &["redis://", "rediss://"],
            )?,
            redis_key_prefix: source
                .get("OPSFLOW_REDIS_PREFIX")
                .unwrap_or_else(|| "opsflow:".into()),
            redis_timeout: source.millis_or("OPSFLOW_REDIS_TIMEOUT_MS", 250, (10, 60_000))?,
            redis_breaker_cooldown: source.millis_or(
                "OPSFLOW_REDIS_BREAKER_MS",
                2_000,
                (10, 600_000),
            )?,
            listen: source.parse_or("OPSFLOW_LISTEN", parse::local(8080), parse::socket_addr)?,
            worker_listen: source.parse_or(
                "OPSFLOW_WORKER_LISTEN",
                parse::local(8081),
                parse::socket_addr,
            )?,
            migrate_on_start: source.parse_or(
                "OPSFLOW_MIGRATE_ON_START",
                !is(Environment::Prod),
                parse::boolean,
            )?,
            auth: AuthConfig::read(&source, env)?,
            cors_origins: source.parse_or(
                "OPSFLOW_CORS_ORIGINS",
                vec!["http://localhost:3000".to_owned()],
                parse::origins,
            )?,
            webhooks: WebhookConfig::read(&source, env)?,
            rate_limit: RateLimitConfig::read(&source)?,
            cache: CacheConfig::read(&source)?,
            events: EventsConfig::read(&source)?,
            jobs: JobsConfig::read(&source)?,
            shutdown_grace: source.seconds_or("OPSFLOW_SHUTDOWN_GRACE_SECS", 30, (0, 3600))?,
            body_read_timeout: source.millis_or(
                "OPSFLOW_BODY_READ_TIMEOUT_MS",
                http_actix::extract::DEFAULT_BODY_READ_TIMEOUT.as_millis() as u64,
                (100, 600_000),
            )?,
        };
        if config.jobs.lease <= config.webhooks.timeout + Duration::from_secs(1) {
            return Err(ConfigError {
                var: "OPSFLOW_JOB_LEASE_SECS",
                message: format!(
                    "must exceed OPSFLOW_WEBHOOK_TIMEOUT_MS ({} ms) by more than a second: a delivery still running when its lease ends would be sent twice at once",
                    config.webhooks.timeout.as_millis()
                ),
            });
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests;
