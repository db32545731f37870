//! Retry timing and limit: exponential backoff with "equal jitter", so a burst
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
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(15 * 60),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// Delay before the next try after `attempt` failed tries (1-based).
    /// `jitter` in `[0, 1)` picks a point in the window (callers pass a random
    /// value; tests pass fixed ones).
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let window = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        // "Equal jitter" (AWS architecture blog): uniform in [window/2, window).
        // Full jitter would be [0, window): it spreads retries wider but can
        // retry at once; half the window as a floor keeps every retry backing off.
        let jitter = jitter.clamp(0.0, 1.0);
        window.mul_f64(0.5 + jitter / 2.0)
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
        assert_eq!(policy.delay(1, 1.0), Duration::from_secs(2));
        assert_eq!(policy.delay(2, 1.0), Duration::from_secs(4));
        assert_eq!(policy.delay(3, 1.0), Duration::from_secs(8));
        assert_eq!(policy.delay(10, 1.0), Duration::from_secs(60));
        assert_eq!(policy.delay(u32::MAX, 1.0), Duration::from_secs(60));
    }

    #[test]
    fn jitter_keeps_the_delay_between_half_and_all_of_the_window() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(3, 0.0), Duration::from_secs(4));
        assert_eq!(policy.delay(3, 0.5), Duration::from_secs(6));
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
