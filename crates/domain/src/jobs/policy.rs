//! Retry timing: exponential backoff with full jitter, so a burst of failures does
//! not come back as a synchronized burst of retries.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(15 * 60),
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
        // Full jitter (AWS architecture blog): uniform in [window/2, window) keeps
        // a floor so retries still back off.
        let jitter = jitter.clamp(0.0, 1.0);
        window.mul_f64(0.5 + jitter / 2.0)
    }

    /// Whether a job that just failed its `attempt`-th try gets another one.
    pub fn should_retry(attempt: u32, max_attempts: u32) -> bool {
        attempt < max_attempts
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
        assert!(RetryPolicy::should_retry(1, 8));
        assert!(RetryPolicy::should_retry(7, 8));
        assert!(!RetryPolicy::should_retry(8, 8));
    }
}
