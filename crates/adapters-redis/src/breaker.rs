//! A circuit breaker in front of Redis. Redis is an accelerator: when it stops
//! answering, a request should pay the short command timeout once, and the
//! requests after it should skip Redis at once (and take their PostgreSQL or
//! fail-open path) instead of each waiting for its own timeout — a paused
//! Redis must not turn into a queue of requests all timing out together.
//!
//! States, in one atomic: closed (`0`), or open until an instant. When that
//! instant passes, exactly one caller wins the right to probe (it pushes the
//! instant forward, so the others keep skipping); its success closes the
//! breaker, its failure keeps it open for another cooldown.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(crate) struct Breaker {
    /// Milliseconds since `epoch` until which Redis is skipped; 0 = closed.
    open_until: AtomicU64,
    epoch: Instant,
    cooldown: Duration,
}

impl Breaker {
    pub(crate) fn new(cooldown: Duration) -> Self {
        Self {
            open_until: AtomicU64::new(0),
            epoch: Instant::now(),
            cooldown,
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn cooldown_ms(&self) -> u64 {
        u64::try_from(self.cooldown.as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// May this call use Redis? `false` while open; after the cooldown, `true`
    /// for the one caller that takes the probe.
    pub(crate) fn allow(&self) -> bool {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return true;
        }
        let now = self.now_ms();
        if now < until {
            return false;
        }
        self.open_until
            .compare_exchange(
                until,
                now.saturating_add(self.cooldown_ms()),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    pub(crate) fn succeeded(&self) {
        self.open_until.store(0, Ordering::Release);
    }

    /// Opens the breaker; returns whether it was closed before (the first
    /// failure of an outage is the one worth a warning).
    pub(crate) fn failed(&self) -> bool {
        let until = self.now_ms().saturating_add(self.cooldown_ms());
        self.open_until.swap(until, Ordering::AcqRel) == 0
    }

    #[cfg(test)]
    pub(crate) fn is_open(&self) -> bool {
        self.open_until.load(Ordering::Acquire) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_opens_it_and_later_calls_skip_redis() {
        let breaker = Breaker::new(Duration::from_secs(60));
        assert!(breaker.allow());
        assert!(breaker.failed(), "first failure of an outage");
        assert!(!breaker.failed(), "already open");
        assert!(!breaker.allow());
        assert!(breaker.is_open());
    }

    #[test]
    fn after_the_cooldown_one_caller_probes_and_success_closes_it() {
        let breaker = Breaker::new(Duration::from_millis(1));
        breaker.failed();
        std::thread::sleep(Duration::from_millis(3)); // the cooldown itself, not a race
        assert!(breaker.allow(), "the prober");
        assert!(
            !breaker.allow(),
            "everyone else keeps skipping during the probe"
        );
        breaker.succeeded();
        assert!(breaker.allow());
        assert!(!breaker.is_open());
    }
}
