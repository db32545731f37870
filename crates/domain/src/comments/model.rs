//! Comment value types.

use crate::activity::Actor;
use crate::ids::{CommentId, ProjectId, TaskId, TeamId};
use crate::DomainError;
use chrono::{DateTime, Utc};

/// 1..=10,000 characters; not only whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    /// # Errors
    /// `Invalid` on `body`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if crate::text::has_forbidden_control(raw, crate::text::Lines::Multi) {
            return Err(crate::text::control_characters("body"));
        }
        if crate::text::trim_invisible(raw).is_empty() || raw.chars().count() > 10_000 {
            Err(DomainError::invalid(
                "body",
                "must be 1 to 10000 characters and not blank",
            ))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub task_id: TaskId,
    pub author: Actor,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A comment with what authorization needs to know about where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentRecord {
    pub comment: Comment,
    pub project_id: ProjectId,
    pub team_id: TeamId,
}
