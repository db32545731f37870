//! `/ready`'s Redis check: `PING` through the breaker (an open breaker is an
//! immediate "unavailable"; the probe after its cooldown finds Redis back).

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

    /// Redis down degrades the service; it does not stop it.
    fn required(&self) -> bool {
        false
    }

    async fn check(&self) -> Result<(), DomainError> {
        let probe = self.store.run(|mut connection| async move {
            deadpool_redis::redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        });
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
