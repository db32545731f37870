//! `RateLimiter` on Redis: GCRA (the generic cell rate algorithm) in one Lua
//! script, so a check is one round trip and atomic across every api replica.
//!
//! GCRA keeps one number per key, the "theoretical arrival time" (TAT) of the
//! next request if requests came exactly at the allowed rate. A request at
//! `now` is allowed when `TAT + interval − burst_window ≤ now`; allowing it
//! moves the TAT one interval on. It is a token bucket without a refill
//! timer: exact, one key, and the key expires when it no longer matters.
//! The clock is Redis's own (`TIME`), so replicas with skewed clocks agree.

use crate::RedisStore;
use async_trait::async_trait;
use deadpool_redis::redis::Script;
use domain::ops::{Quota, RateDecision, RateLimiter};
use domain::DomainError;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS[1]: the key. ARGV[1]: emission interval (µs), ARGV[2]: burst window
/// (µs; the interval times the burst size).
/// Returns {allowed (0/1), remaining, retry_after_us, reset_after_us}.
static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - window
if allow_at > now then
  return {0, 0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil((next_tat - now) / 1000))
return {1, math.floor((window - (next_tat - now)) / interval), 0, next_tat - now}
",
    )
});

pub struct RedisRateLimiter {
    store: RedisStore,
}

impl RedisRateLimiter {
    pub fn new(store: RedisStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn acquire(&self, key: &str, quota: Quota) -> Result<RateDecision, DomainError> {
        let per_minute = quota.per_minute.max(1);
        let interval = 60_000_000 / u64::from(per_minute);
        let window = interval * u64::from(per_minute);
        let key = self.store.key(&format!("rate:{key}"));
        let (allowed, remaining, retry_us, reset_us): (u8, u32, u64, u64) = self
            .store
            .run(|mut connection| async move {
                GCRA.key(key)
                    .arg(interval)
                    .arg(window)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok(RateDecision {
            allowed: allowed == 1,
            limit: per_minute,
            remaining,
            reset_after: Duration::from_micros(reset_us),
            retry_after: Duration::from_micros(retry_us),
        })
    }
}
