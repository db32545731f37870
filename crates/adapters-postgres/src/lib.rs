//! PostgreSQL adapters: the connection pool, embedded migrations, and one
//! repository per domain port. No diesel type leaves this crate.

pub mod demo_seed;
mod error;
pub mod job_queue;
pub mod migrate;
pub mod pool;
pub mod readiness;
pub mod refresh_tokens;
mod rows;
pub mod schema;
pub mod sql_functions;
pub mod teams;
pub mod users;

pub use job_queue::PgJobQueue;
pub use migrate::{create_database_if_missing, revert_all_migrations, run_pending_migrations};
pub use pool::{PgPool, PgPoolSettings};
pub use readiness::PgReadiness;
pub use refresh_tokens::PgRefreshTokenRepository;
pub use teams::PgTeamRepository;
pub use users::PgUserRepository;
