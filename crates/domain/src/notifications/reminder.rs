//! When a reminder's moment comes, does it still apply? The schedule is armed
//! in the task's own transaction (migrations/…_task_reminders), but between
//! arming and firing the task may have been completed, unassigned, deleted or
//! moved to another date — and a job already claimed is not cancelled by
//! those writes. The worker asks this before it notifies.

use crate::ids::{TaskId, UserId};
use crate::tasks::Status;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// What a reminder job carries: the task and the due date it was armed for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReminderDue {
    pub task_id: TaskId,
    pub due_at: DateTime<Utc>,
}

/// The task as it is when the reminder fires.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFacts {
    pub title: String,
    pub assignee: Option<UserId>,
    pub due_at: Option<DateTime<Utc>>,
    pub status: Status,
    /// The task, its project or its team is deleted.
    pub deleted: bool,
    /// The assignee is still a member of the task's team. Removal unassigns
    /// a member's tasks in its own transaction, but a reminder already
    /// claimed when that commits still holds the old facts' job: asking at
    /// fire time closes that window.
    pub assignee_is_member: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReminderOutcome {
    /// Notify `user` with `message`.
    Notify { user: UserId, message: String },
    /// Nothing to do: the task changed since the reminder was armed.
    Stale,
}

pub fn decide(due: &ReminderDue, task: Option<&TaskFacts>) -> ReminderOutcome {
    let Some(task) = task else {
        return ReminderOutcome::Stale;
    };
    match task.assignee {
        Some(user)
            if !task.deleted
                && task.assignee_is_member
                && task.status != Status::Done
                && task.due_at == Some(due.due_at) =>
        {
            ReminderOutcome::Notify {
                user,
                message: format!(
                    "\"{}\" is due at {}",
                    task.title,
                    due.due_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            }
        }
        _ => ReminderOutcome::Stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn due() -> ReminderDue {
        ReminderDue {
            task_id: TaskId::new(),
            due_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap(),
        }
    }

    fn task(assignee: Option<UserId>) -> TaskFacts {
        TaskFacts {
            title: "Ship it".into(),
            assignee,
            due_at: Some(due().due_at),
            status: Status::InProgress,
            deleted: false,
            assignee_is_member: true,
        }
    }

    #[test]
    fn an_assigned_open_task_still_due_then_notifies_its_assignee_by_title() {
        let user = UserId::new();
        let outcome = decide(&due(), Some(&task(Some(user))));
        assert_eq!(
            outcome,
            ReminderOutcome::Notify {
                user,
                message: "\"Ship it\" is due at 2026-12-01T09:30:00Z".into()
            }
        );
    }

    #[test]
    fn any_change_since_arming_makes_it_stale() {
        let user = Some(UserId::new());
        let cases = [
            ("unassigned", task(None)),
            (
                "done",
                TaskFacts {
                    status: Status::Done,
                    ..task(user)
                },
            ),
            (
                "deleted",
                TaskFacts {
                    deleted: true,
                    ..task(user)
                },
            ),
            (
                "assignee no longer a member of the team",
                TaskFacts {
                    assignee_is_member: false,
                    ..task(user)
                },
            ),
            (
                "moved to another date",
                TaskFacts {
                    due_at: Some(due().due_at + chrono::Duration::hours(1)),
                    ..task(user)
                },
            ),
            (
                "due date removed",
                TaskFacts {
                    due_at: None,
                    ..task(user)
                },
            ),
        ];
        for (why, facts) in cases {
            assert_eq!(
                decide(&due(), Some(&facts)),
                ReminderOutcome::Stale,
                "{why}"
            );
        }
        assert_eq!(decide(&due(), None), ReminderOutcome::Stale, "gone");
    }
}
