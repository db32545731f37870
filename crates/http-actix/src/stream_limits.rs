//! How many live streams may be open: per user (`429`, one client must not
//! hold the api's streams) and per api process (`503`, the replica is full:
//! a client should try another). A permit is held by the stream's body and
//! released when the stream ends, however it ends.
//!
//! The per-user cap is the contract's, across every replica: besides this
//! process's own count, each permit takes a seat in the shared count
//! (`StreamSeats`, Redis) under this process's replica id, and
//! `keep_seats` sends a heartbeat with the exact counts every third of the
//! lease — so a replica that died stops counting within one lease, and a
//! count a lost release left wrong is set right at the next beat. When
//! Redis cannot be reached the stream is admitted on this process's count
//! alone (fail open, as the rate limiter does): losing Redis must not stop
//! streams.

use crate::problem::{ApiError, Problem};
use actix_web::http::StatusCode;
use domain::ids::UserId;
use domain::ops::StreamSeats;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;
use uuid::Uuid;

pub struct StreamLimits {
    per_user: usize,
    total: usize,
    shared: Option<SharedSeats>,
    /// This process in the shared count.
    replica: Uuid,
    open: Mutex<Open>,
}

/// The shared count, and how long after its last heartbeat a replica's
/// streams stop counting.
pub struct SharedSeats {
    pub seats: Arc<dyn StreamSeats>,
    pub lease: Duration,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_user: HashMap<UserId, usize>,
    /// Per user, the streams here that count in the shared count (their
    /// take answered yes, or Redis did not answer it): what a heartbeat
    /// says. A stream still being admitted is not in it, so a beat cannot
    /// count it before its own take does.
    seated: HashMap<UserId, usize>,
    /// Users with no seated stream here left since the last heartbeat: the
    /// next one clears their count (a release, or a take whose request was
    /// cancelled, may have left it wrong).
    emptied: HashSet<UserId>,
}

/// One admitted stream.
#[derive(Debug)]
pub struct StreamPermit {
    limits: Arc<StreamLimits>,
    user: UserId,
    /// Counted in the shared count (so released from it at the end).
    seated: bool,
}

impl std::fmt::Debug for StreamLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamLimits")
            .field("per_user", &self.per_user)
            .field("total", &self.total)
            .field("lease", &self.shared.as_ref().map(|shared| shared.lease))
            .field("replica", &self.replica)
            .field("open", &self.open)
            .finish()
    }
}

impl StreamLimits {
    pub fn new(per_user: usize, total: usize, shared: Option<SharedSeats>) -> Arc<Self> {
        Arc::new(Self {
            per_user,
            total,
            shared,
            replica: Uuid::now_v7(),
            open: Mutex::new(Open::default()),
        })
    }

    fn open_streams(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open_streams().total
    }

    /// # Errors
    /// `429 rate_limited` over the per-user cap (this process's count, then
    /// the shared one), `503 unavailable` over the process's.
    pub async fn admit(self: &Arc<Self>, user: UserId) -> Result<StreamPermit, ApiError> {
        let mut permit = self.admit_here(user)?;
        let Some(shared) = &self.shared else {
            return Ok(permit);
        };
        match shared
            .seats
            .take(user, self.replica, self.per_user, shared.lease)
            .await
        {
            Ok(true) => {
                permit.seat();
                Ok(permit)
            }
            Ok(false) => Err(self.per_user_refusal()),
            Err(error) => {
                tracing::warn!(%error, "stream seats unreachable: admitted on this process's count");
                // Counted by the heartbeats once Redis answers again.
                permit.seat();
                Ok(permit)
            }
        }
    }

    /// This process's own caps.
    fn admit_here(self: &Arc<Self>, user: UserId) -> Result<StreamPermit, ApiError> {
        let mut open = self.open_streams();
        let mine = open.by_user.get(&user).copied().unwrap_or(0);
        if mine >= self.per_user {
            return Err(self.per_user_refusal());
        }
        if open.total >= self.total {
            return Err(ApiError::Problem(Box::new(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "This server holds as many event streams as it may; retry (another replica may have room).",
            ))));
        }
        open.total += 1;
        *open.by_user.entry(user).or_default() += 1;
        Ok(StreamPermit {
            limits: Arc::clone(self),
            user,
            seated: false,
        })
    }

    fn per_user_refusal(&self) -> ApiError {
        ApiError::Problem(Box::new(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "At most {} event streams per user may be open; close one first.",
                self.per_user
            ),
        )))
    }

    /// Sends this process's heartbeat with its exact per-user counts every
    /// third of the lease, for as long as the limits exist (a process that
    /// died sends none, and its streams stop counting). A failed beat is
    /// retried at the next tick: a lease outlives two of them.
    pub async fn keep_seats(limits: Weak<Self>) {
        let Some(period) = limits
            .upgrade()
            .and_then(|limits| limits.shared.as_ref().map(|shared| shared.lease / 3))
        else {
            return;
        };
        let mut ticks = tokio::time::interval(period.max(Duration::from_millis(10)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(limits) = limits.upgrade() else {
                return;
            };
            limits.heartbeat().await;
        }
    }

    /// What the next heartbeat says: each user's seated streams here, and
    /// zero for each user left with none since the last beat (taken out of
    /// `emptied`, returned to put back if the beat fails).
    fn beat(&self) -> (Vec<(UserId, usize)>, HashSet<UserId>) {
        let mut open = self.open_streams();
        let emptied = std::mem::take(&mut open.emptied);
        let mut counts: Vec<(UserId, usize)> =
            open.seated.iter().map(|(user, n)| (*user, *n)).collect();
        counts.extend(
            emptied
                .iter()
                .filter(|user| !open.seated.contains_key(user))
                .map(|user| (*user, 0)),
        );
        (counts, emptied)
    }

    async fn heartbeat(&self) {
        let Some(shared) = &self.shared else {
            return;
        };
        let (counts, emptied) = self.beat();
        if let Err(error) = shared
            .seats
            .heartbeat(self.replica, &counts, shared.lease)
            .await
        {
            tracing::warn!(%error, users = counts.len(), "stream seats: heartbeat not sent");
            self.open_streams().emptied.extend(emptied);
        }
    }
}

impl StreamPermit {
    /// Counted in the shared count: released from it at the end, and in
    /// this process's heartbeats until then.
    fn seat(&mut self) {
        self.seated = true;
        *self
            .limits
            .open_streams()
            .seated
            .entry(self.user)
            .or_default() += 1;
    }
}

/// One fewer of `user`'s streams in `counts`; true when none is left.
fn uncount(counts: &mut HashMap<UserId, usize>, user: UserId) -> bool {
    let Some(mine) = counts.get_mut(&user) else {
        return true;
    };
    *mine = mine.saturating_sub(1);
    if *mine > 0 {
        return false;
    }
    counts.remove(&user);
    true
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let user = self.user;
        {
            let mut open = self.limits.open_streams();
            open.total = open.total.saturating_sub(1);
            uncount(&mut open.by_user, user);
            // Seated or not (a refused or cancelled take), a user left with
            // no seated stream here is zeroed by the next beat.
            let none_seated = if self.seated {
                uncount(&mut open.seated, user)
            } else {
                !open.seated.contains_key(&user)
            };
            if none_seated {
                open.emptied.insert(user);
            }
        }
        let shared = self.limits.shared.as_ref().filter(|_| self.seated);
        if let (Some(shared), Ok(runtime)) = (shared, tokio::runtime::Handle::try_current()) {
            let (seats, replica) = (Arc::clone(&shared.seats), self.limits.replica);
            runtime.spawn(async move {
                if let Err(error) = seats.release(user, replica).await {
                    tracing::warn!(%error, "stream seat not released: the next heartbeat counts right");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn caps_hold_per_user_and_in_total_and_free_on_drop() {
        let limits = StreamLimits::new(2, 3, None);
        let (ada, bob) = (UserId::new(), UserId::new());
        let first = limits.admit(ada).await.unwrap();
        let _second = limits.admit(ada).await.unwrap();
        let refused = limits.admit(ada).await.unwrap_err();
        assert_eq!(refused.problem().status, 429);
        let _third = limits.admit(bob).await.unwrap();
        assert_eq!(limits.admit(bob).await.unwrap_err().problem().status, 503);
        assert_eq!(limits.open(), 3);
        drop(first);
        assert_eq!(limits.open(), 2);
        assert!(
            limits.admit(bob).await.is_ok(),
            "a closed stream frees its place"
        );
    }

    /// Admitted and seated (as a take that answered yes does).
    async fn seated(limits: &Arc<StreamLimits>, user: UserId) -> StreamPermit {
        let mut permit = limits.admit(user).await.unwrap();
        permit.seat();
        permit
    }

    #[tokio::test]
    async fn a_heartbeat_counts_seated_streams_and_zeroes_users_left_without_one() {
        let limits = StreamLimits::new(3, 10, None);
        let (ada, bob) = (UserId::new(), UserId::new());
        let _ada = seated(&limits, ada).await;
        let _ada_too = seated(&limits, ada).await;
        let bob_stream = seated(&limits, bob).await;
        // Admitted, its take not answered yet: not counted by a beat.
        let _ada_admitting = limits.admit(ada).await.unwrap();
        let (mut counts, _) = limits.beat();
        counts.sort_by_key(|(_, n)| *n);
        assert_eq!(counts, vec![(bob, 1), (ada, 2)]);

        drop(bob_stream);
        let (counts, emptied) = limits.beat();
        assert!(
            counts.contains(&(bob, 0)),
            "a user who left is zeroed: {counts:?}"
        );
        assert!(counts.contains(&(ada, 2)));
        assert_eq!(limits.beat().0, vec![(ada, 2)], "and only once");

        // A beat that failed puts its zeroes back for the next one.
        limits.open_streams().emptied.extend(emptied);
        assert!(limits.beat().0.contains(&(bob, 0)));
        // A user who left and came back is counted, not zeroed.
        drop(seated(&limits, bob).await);
        let _bob_back = seated(&limits, bob).await;
        let (counts, _) = limits.beat();
        assert!(counts.contains(&(bob, 1)) && !counts.contains(&(bob, 0)));
        // A take refused or cancelled leaves a user with no seated stream
        // zeroed (its take may have counted in Redis all the same).
        let carol = UserId::new();
        drop(limits.admit(carol).await.unwrap());
        assert!(limits.beat().0.contains(&(carol, 0)));
    }
}
