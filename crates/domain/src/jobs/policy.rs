//! Retry timing and limit: exponential backoff with **full jitter**
//! (`OPSFLOW_JOB_BACKOFF_BASE_MS` × 2^(attempt−1), capped at
//! `OPSFLOW_JOB_BACKOFF_MAX_SECS`, then a uniform draw below that), so a burst
//! of failures does not come back as a synchronized burst of retries, and a
//! fixed number of attempts (`OPSFLOW_JOB_MAX_ATTEMPTS`) before a job is
//! dead-lettered.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// Tries in all, the first included; then the job is dead-lettered.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// The contract's defaults: 1 s base, 1 h cap, 8 tries.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(3600),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The backoff window after `attempt` failed tries (1-based):
    /// `base × 2^(attempt−1)`, capped.
    pub fn window(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        self.base.saturating_mul(1u32 << exponent).min(self.cap)
    }

    /// Delay before the next try after `attempt` failed tries (1-based).
    /// `jitter` in `[0, 1)` picks the point in the window (callers pass a
    /// random value; tests pass fixed ones). "Full jitter" (AWS architecture
    /// blog): uniform in `[0, window)`. It spreads a burst of failures the
    /// widest, at the price that one retry may come almost at once; the
    /// alternative, "equal jitter" (`[window/2, window)`), keeps a floor but
    /// spreads half as wide.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        self.window(attempt).mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// Whether a job that just failed its `attempt`-th try gets another one.
    pub fn should_retry(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_per_attempt_until_the_cap() {
        let policy = RetryPolicy {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
            max_attempts: 8,
        };
        assert_eq!(policy.window(1), Duration::from_secs(2));
        assert_eq!(policy.window(2), Duration::from_secs(4));
        assert_eq!(policy.window(3), Duration::from_secs(8));
        assert_eq!(policy.window(10), Duration::from_secs(60));
        assert_eq!(policy.window(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn full_jitter_draws_anywhere_below_the_window() {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(3600),
            max_attempts: 8,
        };
        assert_eq!(policy.delay(3, 0.0), Duration::ZERO);
        assert_eq!(policy.delay(3, 0.5), Duration::from_secs(2));
        assert_eq!(
            policy.delay(3, 0.999),
            Duration::from_secs(4).mul_f64(0.999)
        );
        assert_eq!(policy.delay(3, 7.0), Duration::from_secs(4), "clamped");
    }

    #[test]
    fn retries_stop_at_max_attempts() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        assert!(policy.should_retry(1));
        assert!(policy.should_retry(2));
        assert!(!policy.should_retry(3));
    }
}
