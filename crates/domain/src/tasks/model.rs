//! Task value types and the entity.

use crate::activity::ChangeSet;
use crate::ids::{ProjectId, TaskId, UserId};
use crate::projects::Description;
use crate::DomainError;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Todo,
    InProgress,
    InReview,
    Done,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Todo,
        Status::InProgress,
        Status::InReview,
        Status::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Todo => "todo",
            Status::InProgress => "in_progress",
            Status::InReview => "in_review",
            Status::Done => "done",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// Ordered: sorting by priority means low < medium < high < urgent, which is why
/// it is stored as its rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == value)
    }

    pub fn rank(self) -> i16 {
        match self {
            Priority::Low => 0,
            Priority::Medium => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }

    pub fn from_rank(rank: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.rank() == rank)
    }
}

crate::text::line_value!(
    /// A task title, trimmed, 1..=200 characters.
    TaskTitle,
    field = "title",
    max = 200
);

/// Everything a client may set on a task: the body of a create or a PUT.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDraft {
    pub title: TaskTitle,
    pub description: Description,
    pub status: Status,
    pub priority: Priority,
    pub due_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<UserId>,
}

impl TaskDraft {
    /// Parses a full set of fields; absent status/priority take the defaults
    /// (`todo`, `medium`). Reports every invalid field at once.
    ///
    /// # Errors
    /// `Invalid` listing each bad field.
    pub fn parse(
        title: &str,
        description: Option<&str>,
        status: Option<&str>,
        priority: Option<&str>,
        due_at: Option<DateTime<Utc>>,
        assignee_id: Option<UserId>,
    ) -> Result<Self, DomainError> {
        // A full set of fields is a patch that names every field, applied to
        // the defaults: one parser for both.
        let defaults = Self {
            title: TaskTitle(String::new()),
            description: Description::default(),
            status: Status::Todo,
            priority: Priority::Medium,
            due_at: None,
            assignee_id: None,
        };
        TaskPatch::parse(
            Some(title),
            Some(description),
            status,
            priority,
            Some(due_at),
            Some(assignee_id),
        )
        .map(|patch| patch.apply_to(&defaults))
    }

    /// The `{field: {from, to}}` of going from `self` to `next`.
    pub fn diff(&self, next: &TaskDraft) -> ChangeSet {
        let mut changes = ChangeSet::default();
        changes.record("title", &self.title.as_str(), &next.title.as_str());
        changes.record(
            "description",
            &self.description.as_str(),
            &next.description.as_str(),
        );
        changes.record("status", &self.status.as_str(), &next.status.as_str());
        changes.record("priority", &self.priority.as_str(), &next.priority.as_str());
        changes.record("due_at", &self.due_at, &next.due_at);
        changes.record(
            "assignee_id",
            &self.assignee_id.map(|id| id.as_uuid()),
            &next.assignee_id.map(|id| id.as_uuid()),
        );
        changes
    }
}

fn parse_status(raw: &str) -> Result<Status, DomainError> {
    Status::parse(raw).ok_or_else(|| {
        DomainError::invalid("status", "must be todo, in_progress, in_review or done")
    })
}

fn parse_priority(raw: &str) -> Result<Priority, DomainError> {
    Priority::parse(raw)
        .ok_or_else(|| DomainError::invalid("priority", "must be low, medium, high or urgent"))
}

/// A PATCH as typed values: `None` keeps the field; `Some(None)` clears a
/// nullable one. Built at the edge with [`TaskPatch::parse`], so a patch that
/// exists is valid and applying it cannot fail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskPatch {
    pub title: Option<TaskTitle>,
    /// `Some(Description(None))` clears the description.
    pub description: Option<Description>,
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub assignee_id: Option<Option<UserId>>,
}

impl TaskPatch {
    /// Parses the fields a client sent, reporting every bad one at once.
    ///
    /// # Errors
    /// `Invalid` listing each bad field.
    pub fn parse(
        title: Option<&str>,
        description: Option<Option<&str>>,
        status: Option<&str>,
        priority: Option<&str>,
        due_at: Option<Option<DateTime<Utc>>>,
        assignee_id: Option<Option<UserId>>,
    ) -> Result<Self, DomainError> {
        let title = title.map(TaskTitle::parse).transpose();
        let description = description.map(Description::parse).transpose();
        let status = status.map(parse_status).transpose();
        let priority = priority.map(parse_priority).transpose();
        match (title, description, status, priority) {
            (Ok(title), Ok(description), Ok(status), Ok(priority)) => Ok(Self {
                title,
                description,
                status,
                priority,
                // Storage keeps microseconds: a due date is cut to them here,
                // so the task, its change set and its reminder all name the
                // instant that is stored.
                due_at: due_at.map(|due| due.map(|at| chrono::SubsecRound::trunc_subsecs(at, 6))),
                assignee_id,
            }),
            (title, description, status, priority) => Err(crate::error::merge_invalid([
                title.err(),
                description.err(),
                status.err(),
                priority.err(),
            ])),
        }
    }

    /// The draft after applying this patch to `current`.
    pub fn apply_to(&self, current: &TaskDraft) -> TaskDraft {
        TaskDraft {
            title: self.title.clone().unwrap_or_else(|| current.title.clone()),
            description: self
                .description
                .clone()
                .unwrap_or_else(|| current.description.clone()),
            status: self.status.unwrap_or(current.status),
            priority: self.priority.unwrap_or(current.priority),
            due_at: self.due_at.unwrap_or(current.due_at),
            assignee_id: self.assignee_id.unwrap_or(current.assignee_id),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub fields: TaskDraft,
    pub created_by: UserId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub comment_count: i64,
}

/// The version of a task a writer last read: the optimistic lock's expected
/// value. How the client sent it is the transport's
/// business, and so is the status a mismatch becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(pub i64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_task_defaults_to_todo_and_medium() {
        let draft = TaskDraft::parse("Write docs", None, None, None, None, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draft.status, Status::Todo);
        assert_eq!(draft.priority, Priority::Medium);
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let long = "d".repeat(10_001);
        let error =
            TaskDraft::parse(" ", Some(&long), Some("blocked"), Some("p0"), None, None).err();
        let Some(DomainError::Invalid(fields)) = error else {
            panic!("expected Invalid")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["title", "description", "status", "priority"]);
    }

    #[test]
    fn priorities_sort_by_strictly_increasing_rank() {
        let ranks: Vec<i16> = Priority::ALL.iter().map(|p| p.rank()).collect();
        assert!(
            ranks.windows(2).all(|pair| pair[0] < pair[1]),
            "low < medium < high < urgent: {ranks:?}"
        );
        for priority in Priority::ALL {
            assert_eq!(Priority::from_rank(priority.rank()), Some(priority));
        }
    }

    #[test]
    fn a_patch_names_every_bad_field() {
        let Err(DomainError::Invalid(fields)) =
            TaskPatch::parse(Some(" "), None, Some("later"), Some("meh"), None, None)
        else {
            panic!("expected Invalid");
        };
        let named: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(named, ["title", "status", "priority"]);
    }

    #[test]
    fn a_patch_changes_only_what_it_names_and_null_clears() {
        let current = TaskDraft::parse(
            "T",
            Some("d"),
            Some("todo"),
            Some("low"),
            None,
            Some(UserId::new()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let patch = TaskPatch::parse(None, Some(None), Some("done"), None, None, Some(None))
            .unwrap_or_else(|e| panic!("{e}"));
        let next = patch.apply_to(&current);
        assert_eq!(next.title.as_str(), "T");
        assert_eq!(next.status, Status::Done);
        assert_eq!(next.description.as_str(), None);
        assert_eq!(next.assignee_id, None);
        let diff = serde_json::to_value(current.diff(&next)).unwrap();
        assert_eq!(
            diff["status"],
            serde_json::json!({"from": "todo", "to": "done"})
        );
        assert!(diff.get("title").is_none());
    }
}
