//! One repository per domain port (and the task list's query and rows).

pub mod activity_log;
pub mod comments;
pub mod idempotency_keys;
pub mod invitations;
pub mod notifications;
pub mod personal_tokens;
pub mod projects;
pub mod refresh_tokens;
pub(crate) mod task_list;
pub(crate) mod task_rows;
pub mod tasks;
pub mod team_locks;
pub mod teams;
pub mod users;
pub mod webhooks;
pub mod write_context;
