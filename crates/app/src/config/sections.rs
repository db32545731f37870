//! Each section of the configuration, read from its variables. Defaults
//! that depend on the environment (`prod` requires a JWT secret and secure
//! cookies; `test` uses bcrypt's lowest cost and allows private webhook
//! addresses) are decided here.

use super::parse::{self, Source};
use super::{
    AuthConfig, CacheConfig, ConfigError, Environment, EventsConfig, JobsConfig, RateLimitConfig,
    WebhookConfig, DEV_JWT_SECRET, MIN_JWT_SECRET_BYTES,
};

impl AuthConfig {
    pub(super) fn read(source: &Source, env: Environment) -> Result<Self, ConfigError> {
        let is = |wanted| env == wanted;
        let jwt_secret = match source.get("OPSFLOW_JWT_SECRET") {
            Some(secret) if secret.len() < MIN_JWT_SECRET_BYTES => {
                return Err(ConfigError {
                    var: "OPSFLOW_JWT_SECRET",
                    message: format!(
                        "must be at least {MIN_JWT_SECRET_BYTES} bytes, got {}",
                        secret.len()
                    ),
                })
            }
            Some(secret) => secret,
            None if is(Environment::Prod) => {
                return Err(ConfigError {
                    var: "OPSFLOW_JWT_SECRET",
                    message: "is required when OPSFLOW_ENV=prod".into(),
                })
            }
            None => DEV_JWT_SECRET.to_owned(),
        };
        let cookie_secure = source.parse_or(
            "OPSFLOW_COOKIE_SECURE",
            is(Environment::Prod),
            parse::boolean,
        )?;
        if is(Environment::Prod) && !cookie_secure {
            return Err(ConfigError {
                var: "OPSFLOW_COOKIE_SECURE",
                message: "cannot be false when OPSFLOW_ENV=prod".into(),
            });
        }
        let default_cost = if is(Environment::Test) { 4 } else { 12 };

        Ok(AuthConfig {
            jwt_secret,
            access_token_ttl: source.seconds_or(
                "OPSFLOW_ACCESS_TOKEN_TTL_SECS",
                900,
                (1, 86_400),
            )?,
            refresh_token_ttl: source.seconds_or(
                "OPSFLOW_REFRESH_TOKEN_TTL_SECS",
                1_209_600,
                (60, 31_536_000),
            )?,
            refresh_grace: source.seconds_or("OPSFLOW_REFRESH_GRACE_SECS", 10, (0, 300))?,
            bcrypt_cost: source.number_or("OPSFLOW_BCRYPT_COST", default_cost, (4, 31))?,
            cookie_secure,
        })
    }
}

impl WebhookConfig {
    pub(super) fn read(source: &Source, env: Environment) -> Result<Self, ConfigError> {
        let is = |wanted| env == wanted;
        Ok(WebhookConfig {
            allow_private: source.parse_or(
                "OPSFLOW_WEBHOOK_ALLOW_PRIVATE",
                is(Environment::Test),
                parse::boolean,
            )?,
            timeout: source.millis_or("OPSFLOW_WEBHOOK_TIMEOUT_MS", 5000, (100, 120_000))?,
        })
    }
}

impl RateLimitConfig {
    pub(super) fn read(source: &Source) -> Result<Self, ConfigError> {
        Ok(RateLimitConfig {
            enabled: source.parse_or("OPSFLOW_RATE_LIMIT_ENABLED", true, parse::boolean)?,
            user_per_min: source.number_or(
                "OPSFLOW_RATE_LIMIT_USER_PER_MIN",
                300,
                (1, 1_000_000),
            )?,
            ip_per_min: source.number_or("OPSFLOW_RATE_LIMIT_IP_PER_MIN", 60, (1, 1_000_000))?,
            login_per_min: source.number_or(
                "OPSFLOW_RATE_LIMIT_LOGIN_PER_MIN",
                10,
                (1, 1_000_000),
            )?,
            trusted_proxies: source.parse_or(
                "OPSFLOW_TRUSTED_PROXIES",
                Vec::new(),
                parse::networks,
            )?,
        })
    }
}

impl EventsConfig {
    pub(super) fn read(source: &Source) -> Result<Self, ConfigError> {
        Ok(EventsConfig {
            max_streams_per_user: source.number_or(
                "OPSFLOW_EVENTS_MAX_STREAMS_PER_USER",
                10,
                (1, 1_000),
            )?,
            max_streams: source.number_or("OPSFLOW_EVENTS_MAX_STREAMS", 20_000, (1, 1_000_000))?,
            keep_alive: source.seconds_or("OPSFLOW_EVENTS_KEEP_ALIVE_SECS", 15, (1, 15))?,
            seat_lease: source.seconds_or("OPSFLOW_EVENTS_SEAT_LEASE_SECS", 5, (1, 300))?,
            poll: source.millis_or("OPSFLOW_EVENTS_POLL_MS", 100, (10, 60_000))?,
        })
    }
}

impl CacheConfig {
    pub(super) fn read(source: &Source) -> Result<Self, ConfigError> {
        Ok(CacheConfig {
            enabled: source.parse_or("OPSFLOW_CACHE_ENABLED", true, parse::boolean)?,
            ttl: source.seconds_or("OPSFLOW_CACHE_TTL_SECS", 60, (1, 86_400))?,
        })
    }
}

impl JobsConfig {
    pub(super) fn read(source: &Source) -> Result<Self, ConfigError> {
        Ok(JobsConfig {
            concurrency: source.number_or("OPSFLOW_WORKER_CONCURRENCY", 4, (1, 256))?,
            batch_size: source.number_or("OPSFLOW_WORKER_BATCH", 64, (1, 1000))?,
            delivery_concurrency: source.number_or(
                "OPSFLOW_WORKER_DELIVERY_CONCURRENCY",
                8,
                (1, 256),
            )?,
            delivery_bounds: domain::jobs::DeliveryBounds {
                per_host: source.number_or("OPSFLOW_WEBHOOK_IN_FLIGHT_PER_HOST", 2, (1, 1000))?,
                per_team: source.number_or("OPSFLOW_WEBHOOK_IN_FLIGHT_PER_TEAM", 4, (1, 1000))?,
            },
            backoff_base: source.millis_or("OPSFLOW_JOB_BACKOFF_BASE_MS", 1000, (1, 3_600_000))?,
            backoff_max: source.seconds_or("OPSFLOW_JOB_BACKOFF_MAX_SECS", 3600, (1, 604_800))?,
            reminder_lead: source.seconds_or(
                "OPSFLOW_REMINDER_LEAD_SECS",
                3600,
                (0, 31_536_000),
            )?,
            poll_interval: source.millis_or("OPSFLOW_WORKER_POLL_MS", 500, (10, 600_000))?,
            max_attempts: source
                .parse_or("OPSFLOW_JOB_MAX_ATTEMPTS", 8, |v| parse::number(v, 1, 100))?,
            lease: source.seconds_or("OPSFLOW_JOB_LEASE_SECS", 60, (2, 3600))?,
        })
    }
}
