use crate::ids::{NotificationId, TaskId};
use chrono::{DateTime, Utc};

/// The one kind there is: a task's due date is near (also the webhook event).
pub const DUE_SOON: &str = "task.due_soon";

#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: NotificationId,
    pub kind: String,
    pub task_id: Option<TaskId>,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}
