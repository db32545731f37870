//! The job queue, its operator commands, and the reminder handler that
//! runs inside the database's transaction.

pub mod job_admin;
pub mod job_queue;
pub mod reminders;
