//! Redis adapters. Every key goes through [`RedisStore::key`], which prepends the
//! configured prefix: tests get their own prefix each, so they never see one
//! another's keys, and deployments can share one Redis.

mod idempotency;
mod readiness;
mod store;
mod token_denylist;

pub use idempotency::RedisIdempotencyStore;
pub use readiness::RedisReadiness;
pub use store::{RedisSettings, RedisStore};
pub use token_denylist::RedisTokenDenylist;
