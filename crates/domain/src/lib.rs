//! OpsFlow's pure core. Everything here is plain Rust: no async runtime, database,
//! cache or HTTP type appears in this crate's dependency tree (checked by
//! `scripts/check-domain-purity.sh`). Adapters implement the port traits declared
//! here; the HTTP layer calls the services.

pub mod access;
pub mod activity;
pub mod auth;
pub mod comments;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod ids;
pub mod invitations;
pub mod jobs;
pub mod notifications;
pub mod ops;
pub mod outbox;
pub mod paging;
pub mod personal_tokens;
pub mod projects;
pub mod tasks;
pub mod teams;
pub mod text;
pub mod webhooks;

pub use error::{BoxError, ConflictKind, DomainError, FieldError};
