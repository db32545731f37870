//! PostgreSQL adapters: the connection pool, embedded migrations, and one
//! repository per domain port. No diesel type leaves this crate.

mod error;
pub mod events;
pub mod jobs;
pub mod migrate;
pub mod pool;
pub mod readiness;
pub mod repositories;
pub mod schema;
mod sql;

pub use jobs::job_queue::PgJobQueue;
pub use jobs::reminders::PgReminderHandler;
pub use jobs::wake::Wakes;
pub use migrate::{
    create_database_if_missing, revert_all_migrations, revert_migrations_through,
    run_pending_migrations,
};
pub use pool::{PgPool, PgPoolSettings};
pub use readiness::PgReadiness;
pub use repositories::activity_log::{PgActivityRepository, PgTeamActivityRepository};
pub use repositories::comments::PgCommentRepository;
pub use repositories::invitations::PgInvitationRepository;
pub use repositories::notifications::PgNotificationRepository;
pub use repositories::personal_tokens::PgPersonalTokenRepository;
pub use repositories::projects::PgProjectRepository;
pub use repositories::refresh_tokens::PgRefreshTokenRepository;
pub use repositories::tasks::PgTaskRepository;
pub use repositories::team_locks::PgTeamLocks;
pub use repositories::teams::PgTeamRepository;
pub use repositories::users::PgUserRepository;
pub use repositories::webhooks::PgWebhookRepository;
pub use repositories::write_context::PgWriteContexts;
pub use sql::statement_counter::StatementCounter;
