//! `IdempotencyStore` on Redis. One key per (user, Idempotency-Key):
//! `SET NX` claims it atomically (so two concurrent retries cannot both run),
//! a short-lived "pending" value guards the running request, and the finished
//! outcome replaces it for 24 hours.

use crate::store::unavailable;
use crate::RedisStore;
use async_trait::async_trait;
use deadpool_redis::redis::{self, AsyncCommands};
use domain::idempotency::{Claim, IdempotencyStore, KeptResponse};
use domain::DomainError;
use serde::{Deserialize, Serialize};

/// How long a finished outcome is replayed.
const OUTCOME_TTL_SECS: u64 = 24 * 60 * 60;
/// How long a claim may stay pending: a process that dies mid-request frees the
/// key after this instead of blocking it for a day.
const PENDING_TTL_SECS: u64 = 60;

pub struct RedisIdempotencyStore {
    store: RedisStore,
}

impl RedisIdempotencyStore {
    pub fn new(store: RedisStore) -> Self {
        Self { store }
    }

    fn key(&self, scope: &str, key: &str) -> String {
        self.store.key(&format!("idempotency:{scope}:{key}"))
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    /// The kept response's bytes; `None` while the first request runs.
    outcome: Option<Vec<u8>>,
}

fn encode(entry: &Entry) -> Result<String, DomainError> {
    serde_json::to_string(entry)
        .map_err(|error| DomainError::internal_from("idempotency entry", error))
}

#[async_trait]
impl IdempotencyStore for RedisIdempotencyStore {
    async fn claim(&self, scope: &str, key: &str, fingerprint: &str) -> Result<Claim, DomainError> {
        let redis_key = self.key(scope, key);
        let pending = encode(&Entry {
            fingerprint: fingerprint.to_owned(),
            outcome: None,
        })?;
        let mut connection = self.store.connection().await?;
        // Two rounds: the entry can expire between a failed SET NX and the GET.
        for _ in 0..2 {
            let claimed: Option<String> = redis::cmd("SET")
                .arg(&redis_key)
                .arg(&pending)
                .arg("NX")
                .arg("EX")
                .arg(PENDING_TTL_SECS)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            if claimed.is_some() {
                return Ok(Claim::Acquired);
            }
            let existing: Option<String> = connection.get(&redis_key).await.map_err(unavailable)?;
            let Some(existing) = existing else { continue };
            let entry: Entry = serde_json::from_str(&existing)
                .map_err(|error| DomainError::internal_from("idempotency entry", error))?;
            return Ok(match entry.outcome {
                _ if entry.fingerprint != fingerprint => Claim::Mismatch,
                None => Claim::InFlight,
                Some(outcome) => Claim::Replay(KeptResponse(outcome)),
            });
        }
        Ok(Claim::InFlight)
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        outcome: &KeptResponse,
    ) -> Result<(), DomainError> {
        let entry = Entry {
            fingerprint: fingerprint.to_owned(),
            outcome: Some(outcome.0.clone()),
        };
        let mut connection = self.store.connection().await?;
        connection
            .set_ex::<_, _, ()>(self.key(scope, key), encode(&entry)?, OUTCOME_TTL_SECS)
            .await
            .map_err(unavailable)
    }

    async fn release(&self, scope: &str, key: &str) -> Result<(), DomainError> {
        let mut connection = self.store.connection().await?;
        connection
            .del::<_, ()>(self.key(scope, key))
            .await
            .map_err(unavailable)
    }
}
