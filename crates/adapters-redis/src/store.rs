//! The shared Redis connection plus the key prefix every adapter uses.

use crate::breaker::Breaker;
use deadpool_redis::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use deadpool_redis::redis::{Client, RedisError};
use domain::DomainError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

#[derive(Debug, Clone)]
pub struct RedisSettings {
    pub url: String,
    pub key_prefix: String,
    /// Bound on connecting and on each command: a paused Redis costs a
    /// request at most this, once (then the breaker skips Redis).
    pub timeout: Duration,
    /// How long Redis is skipped after a failed command before one request
    /// probes it again.
    pub breaker_cooldown: Duration,
}

/// One multiplexed Redis connection shared by every request of the process:
/// commands from concurrent requests are pipelined over one socket, and a
/// request costs exactly its own commands. A pool (deadpool-redis) instead
/// checked every borrowed connection with `UNWATCH` + `PING` first: two round
/// trips for one `EXISTS` (measured in docs/performance.md). The manager
/// reconnects by itself after Redis restarts; it is created on first use, so
/// the process starts (and `/health` answers) while Redis is down.
#[derive(Clone)]
pub struct RedisStore {
    client: Client,
    config: ConnectionManagerConfig,
    shared: Arc<OnceCell<ConnectionManager>>,
    breaker: Arc<Breaker>,
    timeout: Duration,
    prefix: String,
}

impl RedisStore {
    /// Parses the URL; connects lazily.
    ///
    /// # Errors
    /// `DomainError::Internal` when the URL is unusable.
    pub fn new(settings: &RedisSettings) -> Result<Self, DomainError> {
        let client = Client::open(settings.url.as_str())
            .map_err(|error| DomainError::internal_from("redis url", error))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.timeout))
            .set_response_timeout(Some(settings.timeout))
            .set_number_of_retries(1);
        Ok(Self {
            client,
            config,
            shared: Arc::new(OnceCell::new()),
            breaker: Arc::new(Breaker::new(settings.breaker_cooldown)),
            timeout: settings.timeout,
            prefix: settings.key_prefix.clone(),
        })
    }

    /// The full key for `name` under this store's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// Runs one Redis exchange (a command, a pipeline, a script) through the
    /// breaker, bounded by the timeout. Every adapter goes through here, so
    /// every one of them degrades the same way.
    ///
    /// # Errors
    /// `DomainError::Unavailable` when the breaker is open, or when Redis
    /// fails or does not answer in time (which opens the breaker).
    pub async fn run<T, F, Fut>(&self, exchange: F) -> Result<T, DomainError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        if !self.breaker.allow() {
            return Err(unavailable("skipped: Redis failed recently (circuit open)"));
        }
        let outcome = async {
            let connection = self.connection().await?;
            match tokio::time::timeout(self.timeout, exchange(connection)).await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(error)) => Err(unavailable(error)),
                Err(_) => Err(unavailable(format!(
                    "no answer within {} ms",
                    self.timeout.as_millis()
                ))),
            }
        }
        .await;
        match &outcome {
            Ok(_) => self.breaker.succeeded(),
            Err(error) => {
                if self.breaker.failed() {
                    tracing::warn!(error = %error, "redis unavailable: skipping it until a probe succeeds");
                }
            }
        }
        outcome
    }

    /// A handle on the shared connection (cheap to clone), connecting first
    /// if this is the first use or the first after a failed connect.
    pub(crate) async fn connection(&self) -> Result<ConnectionManager, DomainError> {
        let connect = self.shared.get_or_try_init(|| {
            ConnectionManager::new_with_config(self.client.clone(), self.config.clone())
        });
        match tokio::time::timeout(self.timeout, connect).await {
            Ok(Ok(manager)) => Ok(manager.clone()),
            Ok(Err(error)) => Err(unavailable(error)),
            Err(_) => Err(unavailable(format!(
                "no connection within {} ms",
                self.timeout.as_millis()
            ))),
        }
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

    /// Graceful shutdown: the shared connection closes when the last handle
    /// is dropped; nothing is pending between requests, so there is nothing
    /// to drain.
    pub fn close(&self) {}
}

pub(crate) fn unavailable(error: impl Into<domain::BoxError>) -> DomainError {
    DomainError::unavailable("redis", error)
}
