//! The job queue, its operator commands, the reminder handler that runs
//! inside the database's transaction, and the wake-up listener.

pub mod job_admin;
pub mod job_queue;
pub mod reminders;
pub mod wake;
