//! Task storage. Every write takes its activity entry so both commit together.

use super::model::{Task, TaskDraft, Version};
use super::query::{ListTotal, TaskListQuery};
use crate::access::Role;
use crate::idempotency::{IdempotentCreate, Once};
use crate::ids::{ProjectId, TaskId, TeamId, UserId};
use crate::outbox::{Checked, DecidedOn, Outbox, WriteContext};
use crate::DomainError;
use async_trait::async_trait;

/// A task with the team that owns it (through its project), for authorization.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub task: Task,
    pub team_id: TeamId,
    /// The caller's role in the task's team, read in the same statement as
    /// the task (`None`: not a member). One round trip answers "what is it"
    /// and "may I see it".
    pub caller_role: Option<Role>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TaskRepository: Send + Sync {
    /// Inserts the task (version 1) and its outbox in one statement, if the
    /// project is still live in `decided`'s team and the facts the create was
    /// decided on still hold (`FactsMoved` and nothing stored otherwise).
    /// With `once`, a transaction first claims the key (waiting for a
    /// concurrent holder of the same key to finish), and settles as a replay
    /// or a mismatch instead of creating when the key was used before; the
    /// rendered response is kept in it too.
    ///
    /// # Errors
    /// `Unavailable`; nothing is stored if any statement fails.
    #[allow(clippy::too_many_arguments)] // the create, its outbox, its key and its facts
    async fn create(
        &self,
        id: TaskId,
        project: ProjectId,
        draft: TaskDraft,
        created_by: UserId,
        outbox: Outbox,
        once: Option<IdempotentCreate<Task>>,
        decided: &DecidedOn,
    ) -> Result<Checked<Once<Task>>, DomainError>;

    /// The live task (in a live project of a live team) with `caller`'s role
    /// in its team, in one statement.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn get(&self, id: TaskId, caller: UserId) -> Result<Option<TaskRecord>, DomainError>;

    /// As [`get`](Self::get), with the write context of the task's team for
    /// `caller`, in the same statement.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn get_for_write(
        &self,
        id: TaskId,
        caller: UserId,
    ) -> Result<Option<(TaskRecord, WriteContext)>, DomainError>;

    /// Compare-and-set: stores `draft`, increments the version and stores the
    /// outbox in one statement that only matches while the live task (in a
    /// live project) is at `expected` and `decided` still holds; otherwise
    /// `FactsMoved`, and nothing is stored.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn update(
        &self,
        id: TaskId,
        expected: Version,
        draft: TaskDraft,
        outbox: Outbox,
        decided: &DecidedOn,
    ) -> Result<Checked<Task>, DomainError>;

    /// Marks the task deleted and stores the outbox, on the same conditions
    /// as [`update`](Self::update).
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn soft_delete(
        &self,
        id: TaskId,
        expected: Version,
        outbox: Outbox,
        decided: &DecidedOn,
    ) -> Result<Checked<()>, DomainError>;

    /// Up to `query.limit + 1` tasks (the extra one tells that a next page
    /// exists) and the total matching the filters, in a constant number of
    /// statements whatever the page size. The total is exact from kept
    /// counters when [`total_is_kept`](super::total_is_kept), else counted up
    /// to [`TOTAL_CAP`](super::TOTAL_CAP).
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn list(&self, query: &TaskListQuery) -> Result<(Vec<Task>, ListTotal), DomainError>;
}
