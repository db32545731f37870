//! Idempotent retries of creating requests: the first outcome for a (caller,
//! key) is kept and handed back to retries, so a client that lost a response
//! can safely send the request again.
//!
//! The key is claimed, the entity written and the response kept in one
//! transaction (PostgreSQL, no Redis): a crash between "task written" and
//! "response stored" cannot happen, and two concurrent requests with the same
//! key cannot both create. The domain knows only that there is a response to
//! keep ([`KeptResponse`]); what it contains and how the key arrives belong
//! to the transport (`http-actix/src/idempotency.rs`).

mod ports;

pub use ports::{IdempotentCreate, KeptResponse, Once, Render};

/// How long a key protects its request; after that it may be used afresh
/// (and storage may delete it).
pub const KEY_LIFETIME_HOURS: i64 = 24;
