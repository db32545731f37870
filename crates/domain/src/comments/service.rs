//! Comment use cases. Any team member may comment; only the author edits; the
//! author or an admin deletes.

use super::model::{Comment, CommentBody, CommentRecord};
use super::ports::CommentRepository;
use crate::access::{role_in, role_read_with, Action};
use crate::activity::{ActivityAction, ChangeSet, NewActivity};
use crate::ids::{CommentId, TaskId, UserId};
use crate::outbox::{Outbox, WriteContexts};
use crate::paging::{PageRequest, Paged};
use crate::tasks::TaskRepository;
use crate::teams::TeamRepository;
use crate::DomainError;
use std::sync::Arc;

pub struct CommentService {
    pub comments: Arc<dyn CommentRepository>,
    pub tasks: Arc<dyn TaskRepository>,
    pub teams: Arc<dyn TeamRepository>,
    pub contexts: Arc<dyn WriteContexts>,
}

impl CommentService {
    /// # Errors
    /// `NotFound("task")`.
    pub async fn create(
        &self,
        caller: UserId,
        task: TaskId,
        body: CommentBody,
    ) -> Result<Comment, DomainError> {
        let (record, context) = self
            .tasks
            .get_for_write(task, caller)
            .await?
            .ok_or(DomainError::NotFound("task"))?;
        role_read_with(self.teams.as_ref(), record.caller_role, caller, "task").await?;
        let id = CommentId::new();
        let activity = NewActivity::new(
            record.task.project_id,
            caller,
            ActivityAction::CommentCreated,
            id.as_uuid(),
            ChangeSet::default(),
        );
        let outbox = Outbox::record(activity, &context);
        self.comments.create(id, task, caller, body, outbox).await
    }

    /// # Errors
    /// `NotFound("task")`.
    pub async fn list(
        &self,
        caller: UserId,
        task: TaskId,
        page: PageRequest,
    ) -> Result<Paged<Comment>, DomainError> {
        let record = self
            .tasks
            .get(task, caller)
            .await?
            .ok_or(DomainError::NotFound("task"))?;
        role_read_with(self.teams.as_ref(), record.caller_role, caller, "task").await?;
        self.comments.list(task, page).await
    }

    /// # Errors
    /// `NotFound("comment")`, `Forbidden` for anyone but the author.
    pub async fn update(
        &self,
        caller: UserId,
        id: CommentId,
        body: CommentBody,
    ) -> Result<Comment, DomainError> {
        let record = self.load(caller, id).await?;
        if record.comment.author.id != caller {
            return Err(DomainError::Forbidden("only the author may edit a comment"));
        }
        let mut changes = ChangeSet::default();
        changes.record("body", &record.comment.body.as_str(), &body.as_str());
        let activity = NewActivity::new(
            record.project_id,
            caller,
            ActivityAction::CommentUpdated,
            id.as_uuid(),
            changes,
        );
        let context = self.contexts.load(record.team_id, caller).await?;
        self.comments
            .update(id, body, Outbox::record(activity, &context))
            .await
    }

    /// # Errors
    /// `NotFound("comment")`, `Forbidden` for anyone but the author or an admin.
    pub async fn delete(&self, caller: UserId, id: CommentId) -> Result<(), DomainError> {
        let record = self.load(caller, id).await?;
        let role = role_in(self.teams.as_ref(), record.team_id, caller, "comment").await?;
        if record.comment.author.id != caller && !role.allows(Action::DeleteAnyComment) {
            return Err(DomainError::Forbidden(
                "only the author or an admin may delete a comment",
            ));
        }
        let activity = NewActivity::new(
            record.project_id,
            caller,
            ActivityAction::CommentDeleted,
            id.as_uuid(),
            ChangeSet::default(),
        );
        let context = self.contexts.load(record.team_id, caller).await?;
        self.comments
            .soft_delete(id, Outbox::record(activity, &context))
            .await
    }

    async fn load(&self, caller: UserId, id: CommentId) -> Result<CommentRecord, DomainError> {
        let record = self
            .comments
            .get(id)
            .await?
            .ok_or(DomainError::NotFound("comment"))?;
        role_in(self.teams.as_ref(), record.team_id, caller, "comment").await?;
        Ok(record)
    }
}
