//! Comment storage; writes carry their activity entry.

use super::model::{Comment, CommentBody, CommentRecord};
use crate::ids::{CommentId, TaskId, UserId};
use crate::outbox::Outbox;
use crate::paging::{PageRequest, Paged};
use crate::DomainError;
use async_trait::async_trait;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CommentRepository: Send + Sync {
    /// # Errors
    /// `Unavailable`; nothing is stored if either insert fails.
    async fn create(
        &self,
        id: CommentId,
        task: TaskId,
        author: UserId,
        body: CommentBody,
        outbox: Outbox,
    ) -> Result<Comment, DomainError>;

    /// A live comment on a live task (live project, live team).
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn get(&self, id: CommentId) -> Result<Option<CommentRecord>, DomainError>;

    /// Live comments of a task, oldest first, each with its author, in one query.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn list(&self, task: TaskId, page: PageRequest) -> Result<Paged<Comment>, DomainError>;

    /// # Errors
    /// `NotFound` when it was deleted meanwhile.
    async fn update(
        &self,
        id: CommentId,
        body: CommentBody,
        outbox: Outbox,
    ) -> Result<Comment, DomainError>;

    /// # Errors
    /// `NotFound` when it was deleted meanwhile.
    async fn soft_delete(&self, id: CommentId, outbox: Outbox) -> Result<(), DomainError>;
}
