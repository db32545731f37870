//! The task row as every task query selects it: the task's columns, its live
//! comment count (a correlated subquery, one statement for any page size), and
//! for single-task reads the owning team.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Int2, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{Queryable, QueryableByName};
use domain::ids::{ProjectId, TaskId, UserId};
use domain::projects::Description;
use domain::tasks::{Priority, Status, Task, TaskDraft, TaskTitle};
use domain::DomainError;
use uuid::Uuid;

/// Columns of `TaskRow`, for `t` = tasks.
pub(crate) const TASK_COLUMNS: &str = "t.id, t.project_id, t.title, t.description, t.status, t.priority, \
     t.due_at, t.assignee_id, t.created_by, t.version, t.created_at, t.updated_at, \
     (SELECT count(*) FROM comments c WHERE c.task_id = t.id AND c.deleted_at IS NULL) AS comment_count";

/// Read by name from `sql_query` (with `TASK_COLUMNS`), or by position from a
/// write's `RETURNING` (`returned_columns`): one row type either way.
#[derive(QueryableByName, Queryable, Debug)]
pub(crate) struct TaskRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub project_id: Uuid,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Int2)]
    pub priority: i16,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub due_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub assignee_id: Option<Uuid>,
    #[diesel(sql_type = SqlUuid)]
    pub created_by: Uuid,
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub comment_count: i64,
}

impl TaskRow {
    pub fn into_task(self) -> Result<Task, DomainError> {
        let status = Status::parse(&self.status).ok_or_else(|| {
            DomainError::internal(format!(
                "task {} has unknown status {}",
                self.id, self.status
            ))
        })?;
        let priority = Priority::from_rank(self.priority).ok_or_else(|| {
            DomainError::internal(format!(
                "task {} has unknown priority {}",
                self.id, self.priority
            ))
        })?;
        Ok(Task {
            id: TaskId(self.id),
            project_id: ProjectId(self.project_id),
            fields: TaskDraft {
                title: TaskTitle::stored(self.title),
                description: Description::stored(self.description),
                status,
                priority,
                due_at: self.due_at,
                assignee_id: self.assignee_id.map(UserId),
            },
            created_by: UserId(self.created_by),
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            comment_count: self.comment_count,
        })
    }
}
