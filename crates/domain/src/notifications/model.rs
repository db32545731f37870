use crate::ids::{NotificationId, TaskId};
use chrono::{DateTime, Utc};

/// The one kind there is: a task's due date is near (also the webhook event).
pub const DUE_SOON: &str = "task.due_soon";

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    DueSoon,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 1] = [Self::DueSoon];

    /// The name stored and shown (also the webhook event's).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DueSoon => DUE_SOON,
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: NotificationId,
    pub kind: NotificationKind,
    pub task_id: Option<TaskId>,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_read_back_from_its_name() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NotificationKind::DueSoon.as_str(), "task.due_soon");
        assert_eq!(NotificationKind::parse("task.created"), None);
    }
}
