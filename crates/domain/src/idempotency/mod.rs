//! Idempotent retries of creating requests: the first outcome for a (caller,
//! key) is kept and handed back to retries, so a client that lost a response
//! can safely send the request again.
//!
//! The domain knows only that there is a response to keep: an opaque
//! [`KeptResponse`]. What it contains and how the key arrives belong to the
//! transport (`http-actix/src/idempotency.rs`).

mod ports;

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockIdempotencyStore;
pub use ports::{Claim, IdempotencyStore, KeptResponse};
