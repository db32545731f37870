//! `/ready`'s PostgreSQL check: borrow a connection and run `SELECT 1`.

use crate::error::from_diesel;
use crate::PgPool;
use async_trait::async_trait;
use diesel_async::SimpleAsyncConnection;
use domain::ops::DependencyCheck;
use domain::DomainError;
use std::time::Duration;

pub struct PgReadiness {
    pool: PgPool,
    timeout: Duration,
}

impl PgReadiness {
    pub fn new(pool: PgPool, timeout: Duration) -> Self {
        Self { pool, timeout }
    }
}

#[async_trait]
impl DependencyCheck for PgReadiness {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> Result<(), DomainError> {
        let probe = async {
            let mut connection = self.pool.get().await?;
            connection
                .batch_execute("SELECT 1")
                .await
                .map_err(from_diesel)
        };
        match tokio::time::timeout(self.timeout, probe).await {
            Ok(outcome) => outcome.map_err(|error| DomainError::unavailable("postgres", error)),
            Err(_) => Err(DomainError::unavailable(
                "postgres",
                format!("no answer within {} ms", self.timeout.as_millis()),
            )),
        }
    }
}
