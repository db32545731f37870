//! A task's due-date reminder: when a write arms one (`arm`, decided here
//! and enqueued by the write's own transaction) and, when its moment comes,
//! whether it still applies (`decide`). Between arming and firing the task
//! may have been completed, unassigned, deleted or moved to another date — a
//! write withdraws the queued reminder then, but one already claimed is not
//! withdrawn: the worker asks `decide` before it notifies.

use crate::ids::{TaskId, UserId};
use crate::jobs::{NewJob, ReminderDue};
use crate::tasks::{Status, TaskDraft};
use chrono::{DateTime, Duration, Utc};

/// How long before its due date a task's assignee is reminded
/// (`OPSFLOW_REMINDER_LEAD_SECS`, default one hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderLead(pub Duration);

impl Default for ReminderLead {
    fn default() -> Self {
        Self(Duration::hours(1))
    }
}

/// The reminder a task with `fields` should have armed: one when it is
/// assigned, due and not done (a deleted task has none — its writer passes no
/// fields). One per (task, due date): its dedupe key says so.
pub fn arm(task: TaskId, fields: &TaskDraft, lead: ReminderLead) -> Option<NewJob> {
    match (fields.assignee_id, fields.due_at) {
        (Some(_), Some(due_at)) if fields.status != Status::Done => Some(NewJob::Remind {
            due: ReminderDue {
                task_id: task,
                due_at,
            },
            run_at: due_at - lead.0,
        }),
        _ => None,
    }
}

/// The task as it is when the reminder fires.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFacts {
    pub title: crate::tasks::TaskTitle,
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
                    task.title.as_str(),
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
    use crate::tasks::Priority;
    use chrono::TimeZone;

    fn fields(
        assignee: Option<UserId>,
        due_at: Option<DateTime<Utc>>,
        status: Status,
    ) -> TaskDraft {
        TaskDraft {
            title: crate::tasks::TaskTitle::parse("Ship it").unwrap(),
            description: crate::projects::Description::default(),
            status,
            priority: Priority::Medium,
            due_at,
            assignee_id: assignee,
        }
    }

    #[test]
    fn an_assigned_due_open_task_arms_one_reminder_a_lead_before_its_due_date() {
        let task = TaskId::new();
        let due_at = due().due_at;
        let armed = arm(
            task,
            &fields(Some(UserId::new()), Some(due_at), Status::InReview),
            ReminderLead(Duration::minutes(30)),
        );
        assert_eq!(
            armed,
            Some(NewJob::Remind {
                due: ReminderDue {
                    task_id: task,
                    due_at
                },
                run_at: due_at - Duration::minutes(30),
            })
        );
    }

    #[test]
    fn an_unassigned_undated_or_done_task_arms_nothing() {
        let user = Some(UserId::new());
        let due_at = Some(due().due_at);
        for (why, draft) in [
            ("unassigned", fields(None, due_at, Status::Todo)),
            ("no due date", fields(user, None, Status::Todo)),
            ("done", fields(user, due_at, Status::Done)),
        ] {
            assert_eq!(
                arm(TaskId::new(), &draft, ReminderLead::default()),
                None,
                "{why}"
            );
        }
    }

    fn due() -> ReminderDue {
        ReminderDue {
            task_id: TaskId::new(),
            due_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap(),
        }
    }

    fn task(assignee: Option<UserId>) -> TaskFacts {
        TaskFacts {
            title: crate::tasks::TaskTitle::parse("Ship it").unwrap(),
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
