//! `/ready`'s Redis check: `PING` through the pool.

use crate::store::unavailable;
use crate::RedisStore;
use async_trait::async_trait;
use domain::ops::DependencyCheck;
use domain::DomainError;
use std::time::Duration;

pub struct RedisReadiness {
    store: RedisStore,
    timeout: Duration,
}

impl RedisReadiness {
    pub fn new(store: RedisStore, timeout: Duration) -> Self {
        Self { store, timeout }
    }
}

#[async_trait]
impl DependencyCheck for RedisReadiness {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn check(&self) -> Result<(), DomainError> {
        let probe = async {
            let mut connection = self.store.connection().await?;
            deadpool_redis::redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
                .map_err(unavailable)
        };
        match tokio::time::timeout(self.timeout, probe).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(unavailable(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }
}
