//! Revocation that survives losing Redis: PostgreSQL holds the record (a
//! revoked refresh family), Redis answers the per-request question fast.
//!
//! The cache is only trusted where it cannot be wrong:
//! - a revocation it holds is final;
//! - "not revoked" is believed only while it is *complete*: after Redis
//!   restarts empty it says so (`lookup` → `None`), this process refills it
//!   from the record, and answers from the record meanwhile;
//! - a revocation this process could not write to it (Redis paused or down)
//!   is kept pending here; until it has been written, this process asks the
//!   record instead, and it writes it on the first call Redis answers again.
//! - Redis unreachable: every check asks the record (one indexed query).
//!
//! The one window left, written down in docs/auth.md: a revocation made on
//! replica A while Redis was unreachable reaches Redis on A's first request
//! after Redis returns; until then another replica that never saw the outage
//! believes Redis.

use super::ports::{Clock, RevocationCache, RevokedSessions, TokenDenylist};
use crate::DomainError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use uuid::Uuid;

pub struct SessionDenylist {
    record: Arc<dyn RevokedSessions>,
    cache: Arc<dyn RevocationCache>,
    clock: Arc<dyn Clock>,
    /// The access-token lifetime: how long a revocation matters.
    ttl: Duration,
    /// Revocations not yet written to the cache, with their expiry.
    pending: Mutex<Vec<(Uuid, DateTime<Utc>)>>,
}

impl SessionDenylist {
    pub fn new(
        record: Arc<dyn RevokedSessions>,
        cache: Arc<dyn RevocationCache>,
        clock: Arc<dyn Clock>,
        access_token_ttl: Duration,
    ) -> Self {
        Self {
            record,
            cache,
            clock,
            ttl: access_token_ttl,
            pending: Mutex::new(Vec::new()),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Vec<(Uuid, DateTime<Utc>)>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes pending revocations to the cache; `true` when none is left.
    async fn flush_pending(&self) -> bool {
        let now = self.clock.now();
        let waiting: Vec<(Uuid, Duration)> = {
            let mut pending = self.pending();
            pending.retain(|(_, expires)| *expires > now);
            pending
                .iter()
                .map(|(session, expires)| (*session, remaining(*expires, now)))
                .collect()
        };
        if waiting.is_empty() {
            return true;
        }
        if self.cache.remember(&waiting, false).await.is_err() {
            return false;
        }
        self.pending()
            .retain(|(session, _)| !waiting.iter().any(|(done, _)| done == session));
        true
    }

    /// Refills an emptied cache from the record (every revocation still
    /// within an access-token lifetime), then marks it complete. A failure is
    /// left for the next call to retry: the caller answers from the record.
    async fn refill(&self) {
        let now = self.clock.now();
        let since = now - chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::MAX);
        let Ok(revoked) = self.record.revoked_since(since).await else {
            return;
        };
        let ttl = self.ttl;
        let sessions: Vec<(Uuid, Duration)> = revoked
            .into_iter()
            .map(|(session, at)| {
                let expires = at + chrono::Duration::from_std(ttl).unwrap_or_default();
                (session, remaining(expires, now))
            })
            .collect();
        let _ = self.cache.remember(&sessions, true).await;
    }
}

fn remaining(expires: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (expires - now)
        .to_std()
        .unwrap_or_default()
        .max(Duration::from_secs(1))
}

#[async_trait]
impl TokenDenylist for SessionDenylist {
    /// The record is already written by the caller; a cache that cannot take
    /// it keeps it pending here instead of failing the logout.
    async fn revoke(&self, session: Uuid, ttl: Duration) -> Result<(), DomainError> {
        if self.cache.remember(&[(session, ttl)], false).await.is_err() {
            let expires = self.clock.now() + chrono::Duration::from_std(ttl).unwrap_or_default();
            self.pending().push((session, expires));
        }
        Ok(())
    }

    async fn is_revoked(&self, session: Uuid) -> Result<bool, DomainError> {
        if !self.flush_pending().await {
            return self.record.is_revoked(session).await;
        }
        match self.cache.lookup(session).await {
            Ok(Some(answer)) => Ok(answer),
            Ok(None) => {
                self.refill().await;
                self.record.is_revoked(session).await
            }
            Err(_) => self.record.is_revoked(session).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::ports::{MockClock, MockRevocationCache, MockRevokedSessions};
    use chrono::TimeZone;
    use futures_executor::block_on;
    use mockall::predicate::eq;

    const TTL: Duration = Duration::from_secs(900);

    fn clock() -> Arc<MockClock> {
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap());
        Arc::new(clock)
    }

    fn unavailable() -> DomainError {
        DomainError::unavailable("redis", "paused")
    }

    fn denylist(record: MockRevokedSessions, cache: MockRevocationCache) -> SessionDenylist {
        SessionDenylist::new(Arc::new(record), Arc::new(cache), clock(), TTL)
    }

    #[test]
    fn a_complete_cache_answers_without_the_record() {
        let session = Uuid::now_v7();
        let mut cache = MockRevocationCache::new();
        cache
            .expect_lookup()
            .with(eq(session))
            .returning(|_| Ok(Some(false)));
        let record = MockRevokedSessions::new(); // any call would panic

        assert!(!block_on(denylist(record, cache).is_revoked(session)).unwrap());
    }

    #[test]
    fn an_unreachable_cache_defers_to_the_record() {
        let session = Uuid::now_v7();
        let mut cache = MockRevocationCache::new();
        cache.expect_lookup().returning(|_| Err(unavailable()));
        let mut record = MockRevokedSessions::new();
        record
            .expect_is_revoked()
            .with(eq(session))
            .returning(|_| Ok(true));

        assert!(block_on(denylist(record, cache).is_revoked(session)).unwrap());
    }

    #[test]
    fn an_emptied_cache_is_refilled_and_the_record_answers_meanwhile() {
        let session = Uuid::now_v7();
        let earlier = Uuid::now_v7();
        let mut cache = MockRevocationCache::new();
        cache.expect_lookup().returning(|_| Ok(None));
        cache
            .expect_remember()
            .withf(move |sessions, complete| {
                *complete && sessions.len() == 1 && sessions[0].0 == earlier
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let mut record = MockRevokedSessions::new();
        record
            .expect_revoked_since()
            .returning(move |since| Ok(vec![(earlier, since + chrono::Duration::seconds(600))]));
        record.expect_is_revoked().returning(|_| Ok(false));

        assert!(!block_on(denylist(record, cache).is_revoked(session)).unwrap());
    }

    #[test]
    fn a_revocation_the_cache_missed_stays_pending_and_the_record_decides_until_it_lands() {
        let session = Uuid::now_v7();
        let mut cache = MockRevocationCache::new();
        let mut writes = mockall::Sequence::new();
        // Logout during the outage, then one check while Redis is still out.
        cache
            .expect_remember()
            .times(2)
            .in_sequence(&mut writes)
            .returning(|_, _| Err(unavailable()));
        // Redis is back: the next check writes the pending revocation first.
        cache
            .expect_remember()
            .withf(move |sessions, complete| !*complete && sessions[0].0 == session)
            .times(1)
            .in_sequence(&mut writes)
            .returning(|_, _| Ok(()));
        cache.expect_lookup().returning(|_| Ok(Some(true)));
        let mut record = MockRevokedSessions::new();
        record.expect_is_revoked().times(1).returning(|_| Ok(true));
        let denylist = denylist(record, cache);

        block_on(denylist.revoke(session, TTL)).unwrap();
        assert!(
            block_on(denylist.is_revoked(session)).unwrap(),
            "from the record"
        );
        assert!(
            block_on(denylist.is_revoked(session)).unwrap(),
            "from Redis again"
        );
        assert!(denylist.pending().is_empty());
    }

    /// The refill asks for every revocation within one access-token lifetime
    /// and gives each key the time its session's tokens have left.
    #[test]
    fn a_refill_reads_one_token_lifetime_back_and_keys_expire_with_their_tokens() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let revoked = Uuid::now_v7();
        let mut record = MockRevokedSessions::new();
        record
            .expect_revoked_since()
            .withf(move |since| *since == now - chrono::Duration::seconds(900))
            .times(1)
            // Revoked 600 s ago: its tokens have 300 s left.
            .returning(move |_| Ok(vec![(revoked, now - chrono::Duration::seconds(600))]));
        record.expect_is_revoked().returning(|_| Ok(true));
        let mut cache = MockRevocationCache::new();
        cache.expect_lookup().returning(|_| Ok(None));
        cache
            .expect_remember()
            .withf(move |sessions, complete| {
                *complete && sessions == [(revoked, Duration::from_secs(300))]
            })
            .times(1)
            .returning(|_, _| Ok(()));

        assert!(block_on(denylist(record, cache).is_revoked(revoked)).unwrap());
    }

    /// A pending revocation whose tokens have all expired is dropped, not
    /// written: at the instant of expiry there is nothing left to deny.
    #[test]
    fn a_pending_revocation_that_expired_is_dropped_not_written() {
        let session = Uuid::now_v7();
        let mut cache = MockRevocationCache::new();
        // The logout's write fails; no second write may follow.
        cache
            .expect_remember()
            .times(1)
            .returning(|_, _| Err(unavailable()));
        cache.expect_lookup().returning(|_| Ok(Some(false)));
        let denylist = denylist(MockRevokedSessions::new(), cache);

        block_on(denylist.revoke(session, Duration::ZERO)).unwrap();
        assert!(!block_on(denylist.is_revoked(Uuid::now_v7())).unwrap());
        assert!(denylist.pending().is_empty());
    }
}
