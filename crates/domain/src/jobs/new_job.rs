//! Jobs as typed values, enqueued by the write that causes them (in its
//! transaction), and the one serializer that turns them into stored rows.

use super::model::JobKind;
use super::payload::{ActivityEvent, ReminderDue};
use crate::ids::{JobId, TaskId, TeamId, WebhookId};
use crate::tasks::TaskView;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A job a write enqueues.
#[derive(Debug, Clone, PartialEq)]
pub enum NewJob {
    /// Remind the task's assignee at `run_at` (the due date less the lead).
    Remind {
        due: ReminderDue,
        run_at: DateTime<Utc>,
    },
    /// Deliver one event to one webhook.
    Deliver(Box<Delivery>),
}

/// One event for one webhook. `id` is the delivery id receivers see
/// (`X-OpsFlow-Delivery`), the same on every retry.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: JobId,
    pub webhook: WebhookId,
    pub team: TeamId,
    /// The receiver's host, for the per-host in-flight bound.
    pub host: String,
    pub event: &'static str,
    pub occurred_at: DateTime<Utc>,
    pub data: EventData,
    /// At most one delivery per key (a re-run of what enqueued it adds none).
    pub dedupe_key: Option<String>,
}

/// What an event's `data` is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventData {
    Activity(ActivityEvent),
    /// `task.due_soon`: the task as the API shows it.
    Task(TaskView),
}

/// A job as storage keeps it: the columns of its row.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredJob {
    pub id: JobId,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    /// At most one job per key, ever: a second enqueue of the same key is a
    /// no-op (two writers, or a retried write, arm one reminder).
    pub dedupe_key: Option<String>,
    pub run_at: DateTime<Utc>,
    pub task: Option<TaskId>,
    pub team: Option<TeamId>,
    pub target_host: Option<String>,
}

#[derive(Serialize)]
struct DeliveryBody<'a> {
    webhook_id: WebhookId,
    event: &'static str,
    occurred_at: DateTime<Utc>,
    data: &'a EventData,
}

impl NewJob {
    pub fn kind(&self) -> JobKind {
        match self {
            NewJob::Remind { .. } => JobKind::TaskReminder,
            NewJob::Deliver(_) => JobKind::WebhookDelivery,
        }
    }

    /// The dedupe key of a task's reminder for one due date: re-arming the
    /// same date is a no-op, a new date is a new reminder.
    pub fn reminder_key(due: &ReminderDue) -> String {
        format!("reminder:{}:{}", due.task_id, due.due_at.timestamp_micros())
    }

    /// The row to store. Serializing a payload of plain ids, strings and
    /// timestamps cannot fail; `Value::Null` would be stored if it ever did,
    /// and the handler would dead-letter that job as malformed.
    pub fn stored(&self) -> StoredJob {
        match self {
            NewJob::Remind { due, run_at } => StoredJob {
                id: JobId::new(),
                kind: self.kind(),
                payload: serde_json::to_value(due).unwrap_or_default(),
                dedupe_key: Some(Self::reminder_key(due)),
                run_at: *run_at,
                task: Some(due.task_id),
                team: None,
                target_host: None,
            },
            NewJob::Deliver(delivery) => StoredJob {
                id: delivery.id,
                kind: self.kind(),
                payload: serde_json::to_value(DeliveryBody {
                    webhook_id: delivery.webhook,
                    event: delivery.event,
                    occurred_at: delivery.occurred_at,
                    data: &delivery.data,
                })
                .unwrap_or_default(),
                dedupe_key: delivery.dedupe_key.clone(),
                run_at: delivery.occurred_at,
                task: None,
                team: Some(delivery.team),
                target_host: Some(delivery.host.clone()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ActivityId, ProjectId, UserId};
    use crate::jobs::payload::{ActorRef, DeliveryPayload};
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_reminder_is_keyed_by_its_task_and_due_date_in_microseconds() {
        let task = TaskId::new();
        let due = ReminderDue {
            task_id: task,
            due_at: at() + chrono::Duration::microseconds(7),
        };
        let stored = NewJob::Remind {
            due: due.clone(),
            run_at: at(),
        }
        .stored();
        assert_eq!(stored.kind, JobKind::TaskReminder);
        assert_eq!(
            stored.dedupe_key.as_deref(),
            Some(format!("reminder:{task}:1796374800000007").as_str())
        );
        assert_eq!(stored.task, Some(task));
        assert_eq!(stored.run_at, at());
        let back: ReminderDue = serde_json::from_value(stored.payload).unwrap();
        assert_eq!(back, due, "the handler reads what was stored");
    }

    #[test]
    fn a_delivery_stores_its_id_team_host_and_the_body_the_worker_reads_back() {
        let delivery = Delivery {
            id: JobId::new(),
            webhook: WebhookId::new(),
            team: TeamId::new(),
            host: "hooks.example.com".into(),
            event: "task.created",
            occurred_at: at(),
            data: EventData::Activity(ActivityEvent {
                id: ActivityId::new(),
                actor: ActorRef {
                    id: UserId::new(),
                    name: "Ada".into(),
                },
                action: "task.created",
                entity_type: "task",
                entity_id: uuid::Uuid::nil(),
                changes: crate::activity::ChangeSet::default(),
                created_at: at(),
                project_id: Some(ProjectId::new()),
                team_id: TeamId::new(),
            }),
            dedupe_key: None,
        };
        let stored = NewJob::Deliver(Box::new(delivery.clone())).stored();
        assert_eq!(stored.id, delivery.id, "the job id is the delivery id");
        assert_eq!(stored.kind, JobKind::WebhookDelivery);
        assert_eq!(stored.team, Some(delivery.team));
        assert_eq!(stored.target_host.as_deref(), Some("hooks.example.com"));
        assert_eq!(stored.dedupe_key, None);
        let read: DeliveryPayload = serde_json::from_value(stored.payload).unwrap();
        assert_eq!(read.webhook_id, delivery.webhook);
        assert_eq!(read.event, "task.created");
        assert_eq!(read.occurred_at, at());
        assert_eq!(read.data["actor"]["name"], "Ada");
        assert_eq!(read.data["entity_type"], "task");
    }
}
