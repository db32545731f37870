//! Task use cases: load → decide (membership, task policy, version) → persist.

use super::list_cache::{cache_key, CacheStatus, TaskListCache};
use super::list_tag::{HeldTags, ListTag};
use super::model::{Task, TaskDraft, TaskPatch, Version};
use super::policy::{can_assign, can_delete, can_update, check_version};
use super::ports::{TaskRecord, TaskRepository};
use super::query::{Position, SortKey, TaskCursor, TaskListQuery, TaskPage};
use super::write_memo::{TaskFacts, WriteMemo};
use crate::access::{role_read_with, Role};
use crate::activity::{ActivityAction, ChangeSet, NewActivity};
use crate::idempotency::{IdempotentCreate, Once};
use crate::ids::{ProjectId, TaskId, TeamId, UserId};
use crate::notifications::{arm, ReminderLead};
use crate::outbox::{Checked, DecidedOn, Outbox};
use crate::projects::ProjectRepository;
use crate::teams::TeamRepository;
use crate::DomainError;
use std::sync::Arc;

pub struct TaskService {
    pub tasks: Arc<dyn TaskRepository>,
    pub projects: Arc<dyn ProjectRepository>,
    pub teams: Arc<dyn TeamRepository>,
    pub list_cache: Arc<dyn TaskListCache>,
    pub memo: Arc<dyn WriteMemo>,
    pub reminder_lead: ReminderLead,
}

/// What a list read answers.
#[derive(Debug)]
pub enum Listed {
    /// The page's bytes, where they came from, and its tag.
    Page {
        body: Vec<u8>,
        cache: CacheStatus,
        tag: ListTag,
    },
    /// The client already holds the page tagged `tag`.
    Unchanged { tag: ListTag },
}

/// Renders a page into what the cache keeps and the client receives.
pub type RenderPage = dyn Fn(&TaskPage) -> Result<Vec<u8>, DomainError> + Send + Sync;

/// A change of an existing task, as the client asked for it.
enum Change {
    Patch { expected: Version, patch: TaskPatch },
    Replace { expected: Version, draft: TaskDraft },
    Delete,
}

/// What a change comes to, decided on the task's facts.
enum Planned {
    /// Nothing to store: the answer is the task as it is.
    Unchanged(Task),
    Update {
        draft: TaskDraft,
        outbox: Outbox,
    },
    Delete {
        outbox: Outbox,
    },
}

/// How many times a write is decided: on remembered facts, then on facts
/// read fresh, then once more if those moved before the write (a role or
/// webhook change in that millisecond).
const ATTEMPTS: usize = 3;

fn facts_kept_moving() -> DomainError {
    DomainError::Unavailable {
        dependency: "database",
        source: "the facts of this write changed on every attempt".into(),
    }
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
        let id = TaskId::new();
        // An idempotent create always reads its facts: a replay answers only
        // a caller who may still see the project.
        let mut remembered = match once {
            None => self.memo.project(project, caller),
            Some(_) => None,
        };
        for _ in 0..ATTEMPTS {
            let from_memo = remembered.is_some();
            let decided = match remembered.take() {
                Some(decided) => decided,
                None => self.project_facts(project, caller).await?,
            };
            let outbox = match self
                .plan_create(caller, project, id, &draft, &decided)
                .await
            {
                Ok(outbox) => outbox,
                // A refusal is given on facts read fresh, never remembered ones.
                Err(_) if from_memo => {
                    self.memo.forget_project(project, caller);
                    continue;
                }
                Err(error) => return Err(error),
            };
            let created = self
                .tasks
                .create(
                    id,
                    project,
                    draft.clone(),
                    caller,
                    outbox,
                    once.clone(),
                    &decided,
                )
                .await?;
            match created {
                Checked::Stored(done) => {
                    self.memo.keep_project(project, caller, decided);
                    return Ok(done);
                }
                Checked::FactsMoved => self.memo.forget_project(project, caller),
            }
        }
        Err(facts_kept_moving())
    }

    /// The facts a create in `project` is decided on, read fresh.
    async fn project_facts(
        &self,
        project: ProjectId,
        caller: UserId,
    ) -> Result<DecidedOn, DomainError> {
        let (_, role, context) = self
            .projects
            .get_for_write(project, caller)
            .await?
            .ok_or(DomainError::NotFound("project"))?;
        let role = role_read_with(self.teams.as_ref(), role, caller, "project").await?;
        Ok(DecidedOn { role, context })
    }

    async fn plan_create(
        &self,
        caller: UserId,
        project: ProjectId,
        id: TaskId,
        draft: &TaskDraft,
        decided: &DecidedOn,
    ) -> Result<Outbox, DomainError> {
        if draft.assignee_id.is_some() {
            let team = decided.context.team;
            self.check_assignee(decided.role, caller, team, draft.assignee_id)
                .await?;
        }
        let activity = NewActivity::new(
            project,
            caller,
            ActivityAction::TaskCreated,
            id.as_uuid(),
            ChangeSet::default(),
        );
        Ok(Outbox::record(activity, &decided.context).enqueue(arm(id, draft, self.reminder_lead)))
    }

    /// # Errors
    /// `NotFound("task")` for missing tasks and non-members.
    pub async fn get(&self, caller: UserId, id: TaskId) -> Result<Task, DomainError> {
        let (record, _) = self.load(caller, id).await?;
        Ok(record.task)
    }

    /// One page, rendered by `render`, from the cache when it has it — or
    /// `Unchanged` when the client already `held` its tag, decided after the
    /// authorization statement and without reading the page.
    ///
    /// # Errors
    /// `NotFound("project")` for an unknown project or a non-member.
    pub async fn list(
        &self,
        caller: UserId,
        query: TaskListQuery,
        held: &HeldTags,
        render: &RenderPage,
    ) -> Result<Listed, DomainError> {
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
        let tag = ListTag::of(&key);
        if held.holds(tag.as_str()) {
            return Ok(Listed::Unchanged { tag });
        }
        let build = Box::pin(async move { render(&self.page(&query).await?) });
        let (body, cache) = self.list_cache.fetch(&key, build).await?;
        Ok(Listed::Page { body, cache, tag })
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
        self.change(caller, id, Change::Patch { expected, patch })
            .await
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
        self.change(caller, id, Change::Replace { expected, draft })
            .await
    }

    /// # Errors
    /// `NotFound("task")`, `Forbidden`.
    pub async fn delete(&self, caller: UserId, id: TaskId) -> Result<(), DomainError> {
        self.change(caller, id, Change::Delete).await.map(|_| ())
    }

    /// Decides `change` on the task's facts — remembered ones first, if this
    /// process has them — and stores it in one statement that re-checks them.
    async fn change(
        &self,
        caller: UserId,
        id: TaskId,
        change: Change,
    ) -> Result<Task, DomainError> {
        let mut remembered = self.memo.task(id, caller);
        for _ in 0..ATTEMPTS {
            let from_memo = remembered.is_some();
            let facts = match remembered.take() {
                Some(facts) => facts,
                None => self.load_for_write(caller, id).await?,
            };
            let (version, decided) = (Version(facts.record.task.version), &facts.decided);
            let stored = match self.plan_change(caller, &facts, &change).await {
                Ok(Planned::Update { draft, outbox }) => {
                    self.tasks
                        .update(id, version, draft, outbox, decided)
                        .await?
                }
                Ok(Planned::Delete { outbox }) => {
                    let deleted = self.tasks.soft_delete(id, version, outbox, decided).await?;
                    deleted.map(|()| facts.record.task.clone())
                }
                // Only a write re-checks the facts it was decided on: any
                // other answer (a refusal, a 409, "nothing changed") is given
                // on facts read fresh.
                _ if from_memo => {
                    self.memo.forget_task(id, caller);
                    continue;
                }
                Ok(Planned::Unchanged(task)) => return Ok(task),
                Err(error) => return Err(error),
            };
            match stored {
                Checked::Stored(task) => {
                    self.remember(caller, &change, facts, &task);
                    return Ok(task);
                }
                Checked::FactsMoved => self.memo.forget_task(id, caller),
            }
        }
        Err(facts_kept_moving())
    }

    /// What this write leaves for the caller's next one: the task as stored,
    /// decided on the same facts (nothing, after a delete).
    fn remember(&self, caller: UserId, change: &Change, facts: TaskFacts, stored: &Task) {
        if matches!(change, Change::Delete) {
            self.memo.forget_task(stored.id, caller);
            return;
        }
        let TaskFacts { record, decided } = facts;
        let record = TaskRecord {
            task: stored.clone(),
            ..record
        };
        self.memo.keep_task(caller, TaskFacts { record, decided });
    }

    async fn plan_change(
        &self,
        caller: UserId,
        facts: &TaskFacts,
        change: &Change,
    ) -> Result<Planned, DomainError> {
        let current = &facts.record.task;
        match change {
            Change::Patch { expected, patch } => {
                let next = patch.apply_to(&current.fields);
                self.plan_update(caller, facts, *expected, next).await
            }
            Change::Replace { expected, draft } => {
                self.plan_update(caller, facts, *expected, draft.clone())
                    .await
            }
            Change::Delete => {
                if !can_delete(facts.decided.role, caller, current) {
                    return Err(NOT_ALLOWED);
                }
                let activity = NewActivity::new(
                    current.project_id,
                    caller,
                    ActivityAction::TaskDeleted,
                    current.id.as_uuid(),
                    ChangeSet::default(),
                );
                let mut outbox = Outbox::record(activity, &facts.decided.context);
                // A deleted task has no reminder: withdraw the one it had.
                if arm(current.id, &current.fields, self.reminder_lead).is_some() {
                    outbox = outbox.rearm(current.id, None);
                }
                Ok(Planned::Delete { outbox })
            }
        }
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
    async fn load_for_write(&self, caller: UserId, id: TaskId) -> Result<TaskFacts, DomainError> {
        let (record, context) = self
            .tasks
            .get_for_write(id, caller)
            .await?
            .ok_or(DomainError::NotFound("task"))?;
        let role = role_read_with(self.teams.as_ref(), record.caller_role, caller, "task").await?;
        Ok(TaskFacts {
            record,
            decided: DecidedOn { role, context },
        })
    }

    async fn plan_update(
        &self,
        caller: UserId,
        facts: &TaskFacts,
        expected: Version,
        next: TaskDraft,
    ) -> Result<Planned, DomainError> {
        let (current, role) = (&facts.record.task, facts.decided.role);
        if !can_update(role, caller, current) {
            return Err(NOT_ALLOWED);
        }
        check_version(expected, current.version)?;
        if next.assignee_id != current.fields.assignee_id {
            self.check_assignee(role, caller, facts.record.team_id, next.assignee_id)
                .await?;
        }
        let changes = current.fields.diff(&next);
        // A write that changes nothing is not a write: no new version, no entry.
        // This is what makes repeating an identical PUT harmless.
        if changes.is_empty() {
            return Ok(Planned::Unchanged(current.clone()));
        }
        let activity = NewActivity::new(
            current.project_id,
            caller,
            ActivityAction::TaskUpdated,
            current.id.as_uuid(),
            changes,
        );
        let mut outbox = Outbox::record(activity, &facts.decided.context);
        // Re-arm only when the reminder the task should have changed (a new
        // due date, assignee or status); a title edit leaves it queued.
        let armed = arm(current.id, &next, self.reminder_lead);
        if armed != arm(current.id, &current.fields, self.reminder_lead) {
            outbox = outbox.rearm(current.id, armed);
        }
        // Someone may write between our read and the repository's
        // compare-and-set: it stores nothing then, and the next attempt reads
        // the version that won (a 409 from that read).
        Ok(Planned::Update {
            draft: next,
            outbox,
        })
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
