//! `StreamSeats` on Redis. Per user, one hash `stream-seats:{user}`: the
//! number of the user's streams each replica holds (field: the replica's
//! id). Per replica, one key `stream-replica:{id}` that exists while the
//! replica is alive (its heartbeat sets it with a TTL). Taking a seat is one
//! Lua script: sum the counts of live replicas (and drop the fields of dead
//! ones), compare with the cap, count one more — so two replicas can never
//! both take a user's last seat, and a replica that died stops counting as
//! soon as its heartbeat lapses.
//!
//! The scripts read replica keys they are not handed as `KEYS` (they are
//! named in the user's hash), which a single Redis allows and Redis Cluster
//! would not; OpsFlow runs one Redis (docs/events.md).

use crate::RedisStore;
use async_trait::async_trait;
use deadpool_redis::redis::{Script, ScriptInvocation};
use domain::ids::UserId;
use domain::ops::StreamSeats;
use domain::DomainError;
use std::sync::LazyLock;
use std::time::Duration;
use uuid::Uuid;

/// KEYS[1]: the user's counts, KEYS[2]: this replica's liveness key.
/// ARGV[1]: this replica, ARGV[2]: the cap, ARGV[3]: alive (ms), ARGV[4]:
/// the liveness keys' prefix. Returns 1 when taken, 0 at the cap. This
/// replica counts whether or not its heartbeat has landed yet.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local counts = redis.call('HGETALL', KEYS[1])
local held = 0
for i = 1, #counts, 2 do
  local replica = counts[i]
  if replica == ARGV[1] or redis.call('EXISTS', ARGV[4] .. replica) == 1 then
    held = held + tonumber(counts[i + 1])
  else
    redis.call('HDEL', KEYS[1], replica)
  end
end
if held >= tonumber(ARGV[2]) then return 0 end
local alive = tonumber(ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if redis.call('PTTL', KEYS[1]) < alive then redis.call('PEXPIRE', KEYS[1], alive) end
redis.call('SET', KEYS[2], 1, 'PX', alive)
return 1
",
    )
});

/// KEYS[1]: the user's counts. ARGV[1]: the replica.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 1
",
    )
});

/// KEYS[1]: the replica's liveness key, KEYS[1 + i]: a user's counts.
/// ARGV[1]: alive (ms), ARGV[2]: the replica, ARGV[2 + i]: its count of
/// that user's streams. A user's hash lives as long as the longest-lived
/// replica that counts in it says (never shortened).
static HEARTBEAT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local alive = tonumber(ARGV[1])
redis.call('SET', KEYS[1], 1, 'PX', alive)
for i = 2, #KEYS do
  local count = tonumber(ARGV[i + 1])
  if count > 0 then
    redis.call('HSET', KEYS[i], ARGV[2], count)
    if redis.call('PTTL', KEYS[i]) < alive then redis.call('PEXPIRE', KEYS[i], alive) end
  else
    redis.call('HDEL', KEYS[i], ARGV[2])
  end
end
return #KEYS
",
    )
});

pub struct RedisStreamSeats {
    store: RedisStore,
}

impl RedisStreamSeats {
    pub fn new(store: RedisStore) -> Self {
        Self { store }
    }

    fn counts(&self, user: UserId) -> String {
        self.store.key(&format!("stream-seats:{user}"))
    }

    fn replica_prefix(&self) -> String {
        self.store.key("stream-replica:")
    }

    /// Runs `invocation` through the store (its breaker and timeout); the
    /// script's answer as a number.
    async fn invoke(&self, invocation: ScriptInvocation<'static>) -> Result<i64, DomainError> {
        self.store
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await
    }
}

/// A duration in whole milliseconds, at least one.
fn millis(alive: Duration) -> u64 {
    u64::try_from(alive.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl StreamSeats for RedisStreamSeats {
    async fn take(
        &self,
        user: UserId,
        replica: Uuid,
        cap: usize,
        alive: Duration,
    ) -> Result<bool, DomainError> {
        let prefix = self.replica_prefix();
        let mut invocation = TAKE.prepare_invoke();
        invocation
            .key(self.counts(user))
            .key(format!("{prefix}{replica}"))
            .arg(replica.to_string())
            .arg(cap)
            .arg(millis(alive))
            .arg(prefix);
        Ok(self.invoke(invocation).await? == 1)
    }

    async fn release(&self, user: UserId, replica: Uuid) -> Result<(), DomainError> {
        let mut invocation = RELEASE.prepare_invoke();
        invocation.key(self.counts(user)).arg(replica.to_string());
        self.invoke(invocation).await.map(drop)
    }

    async fn heartbeat(
        &self,
        replica: Uuid,
        counts: &[(UserId, usize)],
        alive: Duration,
    ) -> Result<(), DomainError> {
        let mut invocation = HEARTBEAT.prepare_invoke();
        invocation
            .key(format!("{}{replica}", self.replica_prefix()))
            .arg(millis(alive))
            .arg(replica.to_string());
        for (user, count) in counts {
            invocation.key(self.counts(*user)).arg(*count);
        }
        self.invoke(invocation).await.map(drop)
    }
}
