//! How many live streams may be open: per user (`429`, one client must not
//! hold a replica's streams) and per api process (`503`, the replica is
//! full: a client should try another). A permit is held by the stream's
//! body and released when the stream ends, however it ends.

use crate::problem::{ApiError, Problem};
use actix_web::http::StatusCode;
use domain::ids::UserId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug)]
pub struct StreamLimits {
    per_user: usize,
    total: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_user: HashMap<UserId, usize>,
}

/// One admitted stream.
#[derive(Debug)]
pub struct StreamPermit {
    limits: Arc<StreamLimits>,
    user: UserId,
}

impl StreamLimits {
    pub fn new(per_user: usize, total: usize) -> Arc<Self> {
        Arc::new(Self {
            per_user,
            total,
            open: Mutex::new(Open::default()),
        })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }

    /// # Errors
    /// `429 rate_limited` over the per-user cap, `503 unavailable` over
    /// the process's.
    pub fn admit(self: &Arc<Self>, user: UserId) -> Result<StreamPermit, ApiError> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = open.by_user.get(&user).copied().unwrap_or(0);
        if mine >= self.per_user {
            return Err(ApiError::Problem(Box::new(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "At most {} event streams per user may be open; close one first.",
                    self.per_user
                ),
            ))));
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
        })
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self
            .limits
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(mine) = open.by_user.get_mut(&self.user) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                open.by_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_per_user_and_in_total_and_free_on_drop() {
        let limits = StreamLimits::new(2, 3);
        let (ada, bob) = (UserId::new(), UserId::new());
        let first = limits.admit(ada).unwrap();
        let _second = limits.admit(ada).unwrap();
        let refused = limits.admit(ada).unwrap_err();
        assert_eq!(refused.problem().status, 429);
        let _third = limits.admit(bob).unwrap();
        assert_eq!(limits.admit(bob).unwrap_err().problem().status, 503);
        assert_eq!(limits.open(), 3);
        drop(first);
        assert_eq!(limits.open(), 2);
        assert!(limits.admit(bob).is_ok(), "a closed stream frees its place");
    }
}
