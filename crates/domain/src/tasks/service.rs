//! Task use cases: load → decide (membership, task policy, version) → persist.

use super::list_cache::{cache_key, CacheStatus, TaskListCache};
use super::model::{Task, TaskDraft, TaskPatch, Version};
use super::policy::{can_assign, can_delete, can_update, check_version};
use super::ports::{TaskRecord, TaskRepository};
use super::query::{Position, SortKey, TaskCursor, TaskListQuery, TaskPage};
use crate::access::{role_read_with, Role};
use crate::activity::{ActivityAction, ChangeSet, NewActivity};
use crate::idempotency::{IdempotentCreate, Once};
use crate::ids::{ProjectId, TaskId, TeamId, UserId};
use crate::notifications::{arm, ReminderLead};
use crate::outbox::{Outbox, WriteContext};
use crate::projects::ProjectRepository;
use crate::teams::TeamRepository;
use crate::DomainError;
use std::sync::Arc;

pub struct TaskService {
    pub tasks: Arc<dyn TaskRepository>,
    pub projects: Arc<dyn ProjectRepository>,
    pub teams: Arc<dyn TeamRepository>,
    pub list_cache: Arc<dyn TaskListCache>,
    pub reminder_lead: ReminderLead,
}

/// Renders a page into what the cache keeps and the client receives.
pub type RenderPage = dyn Fn(&TaskPage) -> Result<Vec<u8>, DomainError> + Send + Sync;

/// A write's caller and what was loaded for it.
struct Write {
    caller: UserId,
    record: TaskRecord,
    role: Role,
    context: WriteContext,
}

const NOT_ALLOWED: DomainError = DomainError::Forbidden("the task policy does not allow this");

impl TaskService {
    /// # Errors
    /// `NotFound("project")`, `Forbidden` (assigning someone else as a member),
    /// `Invalid` (assignee not in the team).
    pub async fn create(
        &self,
        caller: UserId,
        project: ProjectId,
        draft: TaskDraft,
        once: Option<IdempotentCreate<Task>>,
    ) -> Result<Once<Task>, DomainError> {
        let (found, role, context) = self
            .projects
            .get_for_write(project, caller)
            .await?
            .ok_or(DomainError::NotFound("project"))?;
        let role = role_read_with(self.teams.as_ref(), role, caller, "project").await?;
        if draft.assignee_id.is_some() {
            self.check_assignee(role, caller, found.team_id, draft.assignee_id)
                .await?;
        }
        let id = TaskId::new();
        let activity = NewActivity::new(
            project,
            caller,
            ActivityAction::TaskCreated,
            id.as_uuid(),
            ChangeSet::default(),
        );
        let outbox =
            Outbox::record(activity, &context).enqueue(arm(id, &draft, self.reminder_lead));
        self.tasks
            .create(id, project, draft, caller, outbox, once)
            .await
    }

    /// # Errors
    /// `NotFound("task")` for missing tasks and non-members.
    pub async fn get(&self, caller: UserId, id: TaskId) -> Result<Task, DomainError> {
        let (record, _) = self.load(caller, id).await?;
        Ok(record.task)
    }

    /// One page, rendered by `render`, from the cache when it has it.
    ///
    /// # Errors
    /// `NotFound("project")` for an unknown project or a non-member.
    pub async fn list(
        &self,
        caller: UserId,
        query: TaskListQuery,
        render: &RenderPage,
    ) -> Result<(Vec<u8>, CacheStatus), DomainError> {
        // Authorization first, always: a cached page is never served to a
        // caller who may not read the project. The same statement returns
        // the list generation the cache key needs.
        let (_, role, generation) = self
            .projects
            .get_with_list_generation(query.project, caller)
            .await?
            .ok_or(DomainError::NotFound("project"))?;
        role_read_with(self.teams.as_ref(), role, caller, "project").await?;
        let key = cache_key(&query, generation);
        let build = Box::pin(async move { render(&self.page(&query).await?) });
        self.list_cache.fetch(&key, build).await
    }

    /// The page as storage has it (what a cache miss renders).
    async fn page(&self, query: &TaskListQuery) -> Result<TaskPage, DomainError> {
        let (mut tasks, total) = self.tasks.list(query).await?;
        let limit = query.limit as usize;
        let next_cursor = if tasks.len() > limit {
            tasks.truncate(limit);
            tasks.last().map(|last| TaskCursor {
                project: query.project,
                sort: query.sort,
                key: SortKey::of(last, query.sort.field),
                id: last.id,
            })
        } else {
            None
        };
        let offset = match query.position {
            Position::Offset(offset) => offset,
            Position::After(_) => 0,
        };
        Ok(TaskPage {
            tasks,
            total,
            limit: query.limit,
            offset,
            next_cursor,
        })
    }

    /// Partial update under optimistic locking.
    ///
    /// # Errors
    /// `NotFound("task")`, `Forbidden`, `Invalid`, `VersionConflict` when
    /// `expected` is not the current version.
    pub async fn patch(
        &self,
        caller: UserId,
        id: TaskId,
        expected: Version,
        patch: TaskPatch,
    ) -> Result<Task, DomainError> {
        let write = self.load_for_write(caller, id).await?;
        let next = patch.apply_to(&write.record.task.fields);
        self.write(write, expected, next).await
    }

    /// Full replacement under optimistic locking.
    ///
    /// # Errors
    /// As for [`TaskService::patch`].
    pub async fn replace(
        &self,
        caller: UserId,
        id: TaskId,
        expected: Version,
        draft: TaskDraft,
    ) -> Result<Task, DomainError> {
        let write = self.load_for_write(caller, id).await?;
        self.write(write, expected, draft).await
    }

    /// # Errors
    /// `NotFound("task")`, `Forbidden`.
    pub async fn delete(&self, caller: UserId, id: TaskId) -> Result<(), DomainError> {
        let Write {
            record,
            role,
            context,
            ..
        } = self.load_for_write(caller, id).await?;
        if !can_delete(role, caller, &record.task) {
            return Err(NOT_ALLOWED);
        }
        let activity = NewActivity::new(
            record.task.project_id,
            caller,
            ActivityAction::TaskDeleted,
            id.as_uuid(),
            ChangeSet::default(),
        );
        let mut outbox = Outbox::record(activity, &context);
        // A deleted task has no reminder: withdraw the one it had.
        if arm(id, &record.task.fields, self.reminder_lead).is_some() {
            outbox = outbox.rearm(id, None);
        }
        self.tasks.soft_delete(id, outbox).await
    }

    async fn load(&self, caller: UserId, id: TaskId) -> Result<(TaskRecord, Role), DomainError> {
        // One statement: the task and the caller's role in its team.
        let record = self
            .tasks
            .get(id, caller)
            .await?
            .ok_or(DomainError::NotFound("task"))?;
        let role = role_read_with(self.teams.as_ref(), record.caller_role, caller, "task").await?;
        Ok((record, role))
    }

    /// As `load`, with the write context, in the same one statement.
    async fn load_for_write(&self, caller: UserId, id: TaskId) -> Result<Write, DomainError> {
        let (record, context) = self
            .tasks
            .get_for_write(id, caller)
            .await?
            .ok_or(DomainError::NotFound("task"))?;
        let role = role_read_with(self.teams.as_ref(), record.caller_role, caller, "task").await?;
        Ok(Write {
            caller,
            record,
            role,
            context,
        })
    }

    async fn write(
        &self,
        write: Write,
        expected: Version,
        next: TaskDraft,
    ) -> Result<Task, DomainError> {
        let Write {
            caller,
            record,
            role,
            context,
        } = write;
        let current = record.task;
        if !can_update(role, caller, &current) {
            return Err(NOT_ALLOWED);
        }
        check_version(expected, current.version)?;
        if next.assignee_id != current.fields.assignee_id {
            self.check_assignee(role, caller, record.team_id, next.assignee_id)
                .await?;
        }
        let changes = current.fields.diff(&next);
        // A write that changes nothing is not a write: no new version, no entry.
        // This is what makes repeating an identical PUT harmless.
        if changes.is_empty() {
            return Ok(current);
        }
        let activity = NewActivity::new(
            current.project_id,
            caller,
            ActivityAction::TaskUpdated,
            current.id.as_uuid(),
            changes,
        );
        let mut outbox = Outbox::record(activity, &context);
        // Re-arm only when the reminder the task should have changed (a new
        // due date, assignee or status); a title edit leaves it queued.
        let armed = arm(current.id, &next, self.reminder_lead);
        if armed != arm(current.id, &current.fields, self.reminder_lead) {
            outbox = outbox.rearm(current.id, armed);
        }
        // Someone may write between our read and the repository's
        // compare-and-set: it answers `VersionConflict` then, like the check above.
        self.tasks.update(current.id, expected, next, outbox).await
    }

    async fn check_assignee(
        &self,
        role: Role,
        caller: UserId,
        team: TeamId,
        assignee: Option<UserId>,
    ) -> Result<(), DomainError> {
        if !can_assign(role, caller, assignee) {
            return Err(DomainError::Forbidden(
                "members may assign tasks only to themselves or nobody",
            ));
        }
        if let Some(assignee) = assignee {
            if self.teams.membership(team, assignee).await?.is_none() {
                return Err(DomainError::invalid(
                    "assignee_id",
                    "must be a member of the project's team",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
