//! Notifications: what a due-date reminder leaves for the task's assignee, and
//! the rule that decides, when the reminder's moment comes, whether it still
//! applies.

mod model;
mod ports;
mod reminder;
mod service;

pub use crate::jobs::ReminderDue;
pub use model::{Notification, NotificationKind, DUE_SOON};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockNotificationRepository;
pub use ports::NotificationRepository;
pub use reminder::{arm, decide, ReminderLead, ReminderOutcome, TaskFacts};
pub use service::NotificationService;
