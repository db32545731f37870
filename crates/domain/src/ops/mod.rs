//! Operational concerns the HTTP layer needs but must not implement itself:
//! checking that the dependencies answer, rate limiting across replicas, and
//! the per-user seats of live streams across replicas.

mod ports;
mod rate_limit;
mod stream_seats;

pub use ports::DependencyCheck;
#[cfg(any(test, feature = "mocks"))]
pub use rate_limit::MockRateLimiter;
pub use rate_limit::{Quota, RateDecision, RateLimiter};
#[cfg(any(test, feature = "mocks"))]
pub use stream_seats::MockStreamSeats;
pub use stream_seats::StreamSeats;
