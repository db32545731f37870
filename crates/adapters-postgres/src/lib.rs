//! PostgreSQL adapters: the connection pool, embedded migrations, and one
//! repository per domain port. No diesel type leaves this crate.

pub mod activity_log;
pub mod comments;
mod constant_sql;
mod error;
pub mod idempotency_keys;
pub mod job_admin;
pub mod job_queue;
pub mod migrate;
pub mod notifications;
mod outbox;
pub mod pool;
mod prepared_sql;
pub mod projects;
pub mod readiness;
mod recorded_write;
pub mod refresh_tokens;
pub mod reminders;
mod rows;
pub mod schema;
mod soft_delete;
pub mod statement_counter;
mod task_list;
pub mod task_list_naive;
mod task_rows;
pub mod tasks;
pub mod team_locks;
pub mod teams;
pub mod users;
pub mod webhooks;
pub mod write_context;

pub use activity_log::PgActivityRepository;
pub use comments::PgCommentRepository;
pub use job_queue::PgJobQueue;
pub use migrate::{
    create_database_if_missing, revert_all_migrations, revert_migrations_through,
    run_pending_migrations,
};
pub use notifications::PgNotificationRepository;
pub use pool::{PgPool, PgPoolSettings};
pub use projects::PgProjectRepository;
pub use readiness::PgReadiness;
pub use refresh_tokens::PgRefreshTokenRepository;
pub use reminders::PgReminderHandler;
pub use statement_counter::StatementCounter;
pub use tasks::PgTaskRepository;
pub use team_locks::PgTeamLocks;
pub use teams::PgTeamRepository;
pub use users::PgUserRepository;
pub use webhooks::PgWebhookRepository;
pub use write_context::PgWriteContexts;
