//! Operational concerns the HTTP layer needs but must not implement itself:
//! checking that the dependencies answer, and rate limiting across replicas.

mod ports;
mod rate_limit;

pub use ports::DependencyCheck;
#[cfg(any(test, feature = "mocks"))]
pub use rate_limit::MockRateLimiter;
pub use rate_limit::{Quota, RateDecision, RateLimiter};
