//! A task as clients see it: the one JSON shape of a task. The API's
//! `TaskBody` serializes through it and the `task.due_soon` webhook event
//! carries it, so a field added here reaches both.

use super::model::Task;
use crate::ids::{ProjectId, TaskId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskView {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub title: String,
    pub description: Option<String>,
    pub status: &'static str,
    pub priority: &'static str,
    pub due_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<UserId>,
    pub created_by: UserId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub comment_count: i64,
}

impl From<Task> for TaskView {
    fn from(task: Task) -> Self {
        Self {
            id: task.id,
            project_id: task.project_id,
            title: task.fields.title.into_inner(),
            description: task.fields.description.into_inner(),
            status: task.fields.status.as_str(),
            priority: task.fields.priority.as_str(),
            due_at: task.fields.due_at,
            assignee_id: task.fields.assignee_id,
            created_by: task.created_by,
            version: task.version,
            created_at: task.created_at,
            updated_at: task.updated_at,
            comment_count: task.comment_count,
        }
    }
}
