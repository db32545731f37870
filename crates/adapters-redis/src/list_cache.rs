//! `TaskListCache` on Redis: cache-aside of rendered task-list pages.
//!
//! Correctness does not rest here: the key contains the project's list
//! generation (from PostgreSQL), so this adapter never has to delete or scan
//! anything — a write makes every older key unreachable, and those expire by
//! TTL. What it adds is speed, at most one rebuild per key at a time in this
//! process (a hot key expiring is one PostgreSQL read, not one per waiting
//! request), and graceful failure: Redis unavailable is a `BYPASS` answered
//! from PostgreSQL.

use crate::RedisStore;
use async_trait::async_trait;
use deadpool_redis::redis;
use domain::tasks::{BuildList, CacheStatus, TaskListCache};
use domain::DomainError;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How long a reader waits for another request of this process rebuilding
/// the same page before reading PostgreSQL itself.
const REBUILD_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct ListCacheSettings {
    /// Off: every list reads PostgreSQL and says `BYPASS`.
    pub enabled: bool,
    pub ttl: Duration,
}

pub struct RedisTaskListCache {
    store: RedisStore,
    settings: ListCacheSettings,
    /// One gate per key being rebuilt right now.
    rebuilding: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl RedisTaskListCache {
    pub fn new(store: RedisStore, settings: ListCacheSettings) -> Self {
        Self {
            store,
            settings,
            rebuilding: Mutex::new(HashMap::new()),
        }
    }

    /// The Redis key: the logical key hashed (it holds the search text, of
    /// any length), under the store's prefix.
    fn redis_key(&self, key: &str) -> String {
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        self.store.key(&format!("task-list:{digest}"))
    }

    async fn read(&self, redis_key: &str) -> Result<Option<Vec<u8>>, DomainError> {
        let key = redis_key.to_owned();
        self.store
            .run(|mut connection| async move {
                redis::cmd("GET")
                    .arg(key)
                    .query_async(&mut connection)
                    .await
            })
            .await
    }

    async fn write(&self, redis_key: &str, page: &[u8]) -> Result<(), DomainError> {
        let (key, page) = (redis_key.to_owned(), page.to_vec());
        let seconds = self.settings.ttl.as_secs().max(1);
        self.store
            .run(|mut connection| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(page)
                    .arg("EX")
                    .arg(seconds)
                    .query_async::<()>(&mut connection)
                    .await
            })
            .await
    }

    fn gate(&self, redis_key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut rebuilding = self
            .rebuilding
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(rebuilding.entry(redis_key.to_owned()).or_default())
    }

    fn open_gate(&self, redis_key: &str) {
        self.rebuilding
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(redis_key);
    }
}

#[async_trait]
impl TaskListCache for RedisTaskListCache {
    async fn fetch<'a>(
        &'a self,
        key: &'a str,
        build: BuildList<'a>,
    ) -> Result<(Vec<u8>, CacheStatus), DomainError> {
        if !self.settings.enabled {
            return Ok((build.await?, CacheStatus::Bypass));
        }
        let redis_key = self.redis_key(key);
        match self.read(&redis_key).await {
            Ok(Some(page)) => return Ok((page, CacheStatus::Hit)),
            Ok(None) => {}
            Err(_) => return Ok((build.await?, CacheStatus::Bypass)),
        }
        // A miss: one rebuild per key at a time. Whoever waited re-reads
        // first — the rebuild it waited for has usually stored the page.
        let gate = self.gate(&redis_key);
        let turn = tokio::time::timeout(REBUILD_WAIT, gate.lock()).await;
        if turn.is_ok() {
            if let Ok(Some(page)) = self.read(&redis_key).await {
                return Ok((page, CacheStatus::Hit));
            }
        }
        let built = build.await;
        if let Ok(page) = &built {
            if let Err(error) = self.write(&redis_key, page).await {
                tracing::debug!(error = %error, "task list not cached");
            }
        }
        if turn.is_ok() {
            self.open_gate(&redis_key);
        }
        Ok((built?, CacheStatus::Miss))
    }
}
