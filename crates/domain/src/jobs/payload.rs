//! What each kind of job carries, as typed values. [`NewJob::stored`] is the
//! one place they become JSON; the handlers read them back with the same
//! types, so a payload's shape is written down once.
//!
//! [`NewJob::stored`]: super::NewJob::stored

use crate::ids::{ActivityId, ProjectId, TaskId, TeamId, UserId, WebhookId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A `task_reminder` job: the task and the due date it was armed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderDue {
    pub task_id: TaskId,
    pub due_at: DateTime<Utc>,
}

/// A `webhook_delivery` job: which webhook, and the event as the receiver's
/// body shows it (the worker adds the delivery id and signs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryPayload {
    pub webhook_id: WebhookId,
    pub event: String,
    pub occurred_at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// Who did it, as an activity entry names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActorRef {
    pub id: UserId,
    pub name: String,
}

/// The `data` of an activity event's delivery: the entry as the activity
/// feed shows it, plus where it happened (`project_id` null for the team's
/// audit trail).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityEvent {
    pub id: ActivityId,
    pub actor: ActorRef,
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: uuid::Uuid,
    pub changes: crate::activity::ChangeSet,
    pub created_at: DateTime<Utc>,
    pub project_id: Option<ProjectId>,
    pub team_id: TeamId,
}
