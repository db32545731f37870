//! `TaskRepository` on PostgreSQL: each write with its activity entry and
//! jobs in one statement, and the optimistic lock as its compare-and-set.

use crate::error::{from_diesel, PgError};
use crate::repositories::idempotency_keys;
use crate::repositories::task_list;
use crate::repositories::task_rows::{TaskRow, TASK_COLUMNS};
use crate::repositories::write_context::{self, WriteContextRow};
use crate::sql::prepared_sql::{Bind, PreparedSql};
use crate::sql::recorded_write::written_with_outbox;
use crate::sql::rows::optional_role;
use crate::PgPool;
use async_trait::async_trait;
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::idempotency::{IdempotentCreate, Once};
use domain::ids::{ProjectId, TaskId, TeamId, UserId};
use domain::outbox::{Checked, DecidedOn, Outbox, WriteContext};
use domain::tasks::{
    ListTotal, Task, TaskDraft, TaskListQuery, TaskRecord, TaskRepository, Version,
};
use domain::DomainError;

/// A create: the task row (its columns in `draft_binds` order after id,
/// project and author), stored only into a live project of the team the
/// create was decided in (bound next), and only while the facts it was
/// decided on hold (`write_context::still_holds`, appended); returned whole.
/// The casts name each value's type where VALUES would otherwise infer it
/// (the binds are typed anyway; a replay with literals, the bench's pgbench
/// ceiling, is not).
const INSERT_TASK: &str = "INSERT INTO tasks (id, project_id, created_by, \
     title, description, status, priority, due_at, assignee_id)
    SELECT v.* FROM (VALUES (?::uuid, ?::uuid, ?::uuid, ?::text, ?::text, ?::text, ?::smallint,
                             ?::timestamptz, ?::uuid))
        AS v (id, project_id, created_by, title, description, status, priority, due_at, assignee_id)
     WHERE EXISTS (SELECT 1 FROM projects p
                    WHERE p.id = v.project_id AND p.deleted_at IS NULL AND p.team_id = ?)
       AND ";

/// An update, as the optimistic lock: check and increment in one statement.
/// Two writers that read version n both send `version = n`; the row lock the
/// first UPDATE takes makes the second re-check after the first commits,
/// find n + 1, and match nothing. Then `LIVE_IN_TEAM` and the facts
/// (`write_context::still_holds`). RETURNING hands back the new row: no
/// read after the write.
const UPDATE_TASK: &str = "UPDATE tasks
       SET title = ?, description = ?, status = ?, priority = ?, due_at = ?, assignee_id = ?,
           version = version + 1, updated_at = ?
     WHERE id = ? AND deleted_at IS NULL
       AND version = ?";

/// A task's soft delete, under the same conditions as `UPDATE_TASK`: the
/// reminder it withdraws was decided on the fields of `version`.
const DELETE_TASK: &str = "UPDATE tasks SET deleted_at = now(), updated_at = now()
     WHERE id = ? AND deleted_at IS NULL
       AND version = ?";

/// The task's project is live and in the team its write was decided in
/// (bound at the `?`), then the facts follow.
const LIVE_IN_TEAM: &str = "
       AND EXISTS (SELECT 1 FROM projects p
                    WHERE p.id = tasks.project_id AND p.deleted_at IS NULL AND p.team_id = ?)
       AND ";

/// `write` (up to its last condition), the facts it was decided on, and
/// `RETURNING *`.
fn checked(mut write: PreparedSql, decided: &DecidedOn) -> PreparedSql {
    write.append(write_context::still_holds(decided));
    write.push("\n    RETURNING *", Vec::new());
    write
}

/// `UPDATE_TASK` or `DELETE_TASK` (`write`, with `binds`) for `decided`.
fn checked_change(write: &str, binds: Vec<Bind>, decided: &DecidedOn) -> PreparedSql {
    let mut sql = PreparedSql::new("");
    sql.push(write, binds);
    sql.push(
        LIVE_IN_TEAM,
        vec![Bind::Uuid(decided.context.team.as_uuid())],
    );
    checked(sql, decided)
}

/// The columns a client sets, in the order `INSERT_TASK` and `UPDATE_TASK`
/// list them (one list, so a new field cannot be stored by one and forgotten
/// by the other). `None` clears a column on update.
fn draft_binds(draft: &TaskDraft) -> Vec<Bind> {
    vec![
        Bind::Text(draft.title.as_str().to_owned()),
        Bind::OptionalText(draft.description.as_str().map(str::to_owned)),
        Bind::Text(draft.status.as_str().to_owned()),
        Bind::Rank(draft.priority.rank()),
        Bind::OptionalTime(draft.due_at),
        Bind::OptionalUuid(draft.assignee_id.map(|user| user.as_uuid())),
    ]
}

/// A task, its team, and the caller's role there (`None`: not a member).
#[derive(QueryableByName)]
struct TaskForCallerRow {
    #[diesel(embed)]
    task: TaskRow,
    #[diesel(sql_type = SqlUuid)]
    team_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    caller_role: Option<String>,
}

/// As `TaskForCallerRow`, with the write context.
#[derive(QueryableByName)]
struct TaskForWriteRow {
    #[diesel(embed)]
    found: TaskForCallerRow,
    #[diesel(embed)]
    context: WriteContextRow,
}

/// The task-with-role statement's FROM and WHERE (binds: caller, task).
const TASK_FOR_CALLER_FROM: &str = " FROM tasks t \
     JOIN projects p ON p.id = t.project_id AND p.deleted_at IS NULL \
     JOIN teams tm ON tm.id = p.team_id AND tm.deleted_at IS NULL \
     LEFT JOIN team_members m ON m.team_id = p.team_id AND m.user_id = ? \
     WHERE t.id = ? AND t.deleted_at IS NULL";

impl TaskForCallerRow {
    fn into_record(self) -> Result<TaskRecord, DomainError> {
        let caller_role = optional_role(self.caller_role.as_deref())?;
        Ok(TaskRecord {
            task: self.task.into_task()?,
            team_id: TeamId(self.team_id),
            caller_role,
        })
    }
}

pub struct PgTaskRepository {
    pool: PgPool,
}

impl PgTaskRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Runs a checked write (one statement, with its outbox) on a pooled
    /// connection; a stored one announces `project`'s new activity.
    async fn run_checked(
        &self,
        sql: PreparedSql,
        project: ProjectId,
    ) -> Result<Checked<Task>, DomainError> {
        let mut connection = self.pool.get().await?;
        let row: Option<TaskRow> = sql
            .get_result(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        let written = stored(row)?;
        if matches!(written, Checked::Stored(_)) {
            self.pool.announce_activity(project);
        }
        Ok(written)
    }

    /// The query plan of the list query for `query` (diagnostics and the index
    /// test; not used on any request path).
    ///
    /// # Errors
    /// `Unavailable`/`Internal` as for any query.
    pub async fn explain_list(
        &self,
        query: &TaskListQuery,
    ) -> Result<serde_json::Value, DomainError> {
        let mut connection = self.pool.get().await?;
        task_list::explain(&mut connection, query)
            .await
            .map_err(from_diesel)
    }
}

/// What a checked write returned: its row, or none when its conditions did
/// not hold.
fn stored(row: Option<TaskRow>) -> Result<Checked<Task>, DomainError> {
    match row {
        Some(row) => row.into_task().map(Checked::Stored),
        None => Ok(Checked::FactsMoved),
    }
}

#[async_trait]
impl TaskRepository for PgTaskRepository {
    async fn create(
        &self,
        id: TaskId,
        project: ProjectId,
        draft: TaskDraft,
        created_by: UserId,
        outbox: Outbox,
        once: Option<IdempotentCreate<Task>>,
        decided: &DecidedOn,
    ) -> Result<Checked<Once<Task>>, DomainError> {
        let mut binds = vec![
            Bind::Uuid(id.as_uuid()),
            Bind::Uuid(project.as_uuid()),
            Bind::Uuid(created_by.as_uuid()),
        ];
        binds.extend(draft_binds(&draft));
        binds.push(Bind::Uuid(decided.context.team.as_uuid()));
        let mut insert = PreparedSql::new("");
        insert.push(INSERT_TASK, binds);
        let sql = written_with_outbox(checked(insert, decided), &outbox, TASK_COLUMNS);
        let Some(once) = once else {
            // One statement: the task, its activity entry and its jobs.
            let created = self.run_checked(sql, project).await?;
            return Ok(created.map(Once::Ran));
        };
        let mut connection = self.pool.get().await?;
        // With an Idempotency-Key: the key is claimed and kept in the same
        // transaction as the write, so a replay sees the first answer; facts
        // that moved roll the claim back with the write.
        let settled = connection
            .transaction(async move |tx| {
                if let Some(settled) = idempotency_keys::claim(tx, created_by, &once).await? {
                    return Ok(settled);
                }
                let row: Option<TaskRow> = sql.get_result(tx).await.optional()?;
                let Checked::Stored(task) = stored(row).map_err(PgError::Domain)? else {
                    return Err(PgError::FactsMoved);
                };
                idempotency_keys::keep(tx, created_by, &once, &task).await?;
                Ok::<_, PgError>(Once::Ran(task))
            })
            .await;
        match settled {
            Ok(Once::Ran(task)) => {
                self.pool.announce_activity(project);
                Ok(Checked::Stored(Once::Ran(task)))
            }
            Ok(done) => Ok(Checked::Stored(done)),
            Err(PgError::FactsMoved) => Ok(Checked::FactsMoved),
            Err(error) => Err(DomainError::from(error)),
        }
    }

    async fn get(&self, id: TaskId, caller: UserId) -> Result<Option<TaskRecord>, DomainError> {
        let mut connection = self.pool.get().await?;
        let mut sql = PreparedSql::new(&format!(
            "SELECT {TASK_COLUMNS}, p.team_id, m.role AS caller_role"
        ));
        sql.push(
            TASK_FOR_CALLER_FROM,
            vec![Bind::Uuid(caller.as_uuid()), Bind::Uuid(id.as_uuid())],
        );
        let row: Option<TaskForCallerRow> = sql
            .get_result(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(TaskForCallerRow::into_record).transpose()
    }

    async fn get_for_write(
        &self,
        id: TaskId,
        caller: UserId,
    ) -> Result<Option<(TaskRecord, WriteContext)>, DomainError> {
        let mut connection = self.pool.get().await?;
        let mut sql = PreparedSql::new(&format!(
            "SELECT {TASK_COLUMNS}, p.team_id, m.role AS caller_role, "
        ));
        sql.push(
            &write_context::columns("p.team_id"),
            vec![Bind::Uuid(caller.as_uuid())],
        );
        sql.push(
            TASK_FOR_CALLER_FROM,
            vec![Bind::Uuid(caller.as_uuid()), Bind::Uuid(id.as_uuid())],
        );
        let row: Option<TaskForWriteRow> = sql
            .get_result(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        let Some(row) = row else { return Ok(None) };
        let record = row.found.into_record()?;
        let context = row.context.into_context(record.team_id, caller)?;
        Ok(Some((record, context)))
    }

    async fn update(
        &self,
        id: TaskId,
        expected: Version,
        draft: TaskDraft,
        outbox: Outbox,
        decided: &DecidedOn,
    ) -> Result<Checked<Task>, DomainError> {
        let mut binds = draft_binds(&draft);
        binds.extend([
            Bind::Time(Utc::now()),
            Bind::Uuid(id.as_uuid()),
            Bind::BigInt(expected.0),
        ]);
        let write = checked_change(UPDATE_TASK, binds, decided);
        // Nothing matched, nothing stored: the service reads the task again
        // (a 409 naming the version that won, or a 404, comes from that read).
        let project = outbox.activity.project_id;
        self.run_checked(written_with_outbox(write, &outbox, TASK_COLUMNS), project)
            .await
    }

    async fn soft_delete(
        &self,
        id: TaskId,
        expected: Version,
        outbox: Outbox,
        decided: &DecidedOn,
    ) -> Result<Checked<()>, DomainError> {
        let binds = vec![Bind::Uuid(id.as_uuid()), Bind::BigInt(expected.0)];
        let write = checked_change(DELETE_TASK, binds, decided);
        let project = outbox.activity.project_id;
        let deleted = self
            .run_checked(written_with_outbox(write, &outbox, TASK_COLUMNS), project)
            .await?;
        Ok(deleted.map(|_| ()))
    }

    async fn list(&self, query: &TaskListQuery) -> Result<(Vec<Task>, ListTotal), DomainError> {
        let mut connection = self.pool.get().await?;
        let (rows, total) = task_list::run(&mut connection, query)
            .await
            .map_err(from_diesel)?;
        let tasks = rows
            .into_iter()
            .map(TaskRow::into_task)
            .collect::<Result<_, _>>()?;
        Ok((tasks, total))
    }
}
