//! Comment value types.

use crate::activity::Actor;
use crate::ids::{CommentId, ProjectId, TaskId, TeamId};
use crate::DomainError;
use chrono::{DateTime, Utc};

/// 1..=10,000 characters; not only whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    pub const RULE: crate::text::TextRule = crate::text::TextRule {
        min: 1,
        max: 10000,
        lines: crate::text::Lines::Multi,
    };

    /// # Errors
    /// `Invalid` on `body`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        crate::text::check(raw, "body", Self::RULE)?;
        Ok(Self(raw.to_owned()))
    }

    /// A body read back from storage, which only ever stored parsed ones.
    pub fn stored(body: String) -> Self {
        Self(body)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub task_id: TaskId,
    pub author: Actor,
    pub body: CommentBody,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_reads_back_as_written() {
        assert_eq!(
            CommentBody::parse("Looks good\nto me").unwrap().as_str(),
            "Looks good\nto me"
        );
    }
}

#[cfg(test)]
mod body_tests {
    use super::*;

    #[test]
    fn a_body_gives_back_the_text_it_holds() {
        assert_eq!(CommentBody::parse("second").unwrap().into_inner(), "second");
        assert_eq!(CommentBody::stored("kept".into()).as_str(), "kept");
    }
}
