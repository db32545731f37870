//! Redis adapters. Every key goes through [`RedisStore::key`], which prepends the
//! configured prefix: tests get their own prefix each, so they never see one
//! another's keys, and deployments can share one Redis.

mod breaker;
mod list_cache;
mod rate_limiter;
mod readiness;
mod revocation_cache;
mod store;
mod stream_seats;
mod token_grant_cache;

pub use list_cache::{ListCacheSettings, RedisTaskListCache};
pub use rate_limiter::RedisRateLimiter;
pub use readiness::RedisReadiness;
pub use revocation_cache::RedisRevocationCache;
pub use store::{RedisSettings, RedisStore};
pub use stream_seats::RedisStreamSeats;
pub use token_grant_cache::RedisTokenGrantCache;
