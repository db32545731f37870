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
use crate::sql::soft_delete::{soft_delete, Trashable};
use crate::PgPool;
use async_trait::async_trait;
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::idempotency::{IdempotentCreate, Once};
use domain::ids::{ProjectId, TaskId, TeamId, UserId};
use domain::outbox::{Outbox, WriteContext};
use domain::tasks::{
    ListTotal, Task, TaskDraft, TaskListQuery, TaskRecord, TaskRepository, Version,
};
use domain::DomainError;

/// A create: the task row (its columns in `draft_binds` order after id,
/// project and author), returned whole.
const INSERT_TASK: &str = "INSERT INTO tasks (id, project_id, created_by, \
     title, description, status, priority, due_at, assignee_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    RETURNING *";

/// An update, as the optimistic lock: check and increment in one statement.
/// Two writers that read version n both send `version = n`; the row lock the
/// first UPDATE takes makes the second re-check after the first commits,
/// find n + 1, and match nothing. RETURNING hands back the new row: no read
/// after the write.
const UPDATE_TASK: &str = "UPDATE tasks
       SET title = ?, description = ?, status = ?, priority = ?, due_at = ?, assignee_id = ?,
           version = version + 1, updated_at = ?
     WHERE id = ? AND deleted_at IS NULL
       AND version = ?
    RETURNING *";

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

/// A live task in a live project of a live team.
async fn load(
    connection: &mut AsyncPgConnection,
    id: TaskId,
) -> Result<Option<TaskRow>, diesel::result::Error> {
    let mut sql = PreparedSql::new(&format!(
        "SELECT {TASK_COLUMNS} FROM tasks t \
         JOIN projects p ON p.id = t.project_id AND p.deleted_at IS NULL \
         JOIN teams tm ON tm.id = p.team_id AND tm.deleted_at IS NULL"
    ));
    sql.push(
        " WHERE t.id = ? AND t.deleted_at IS NULL",
        vec![Bind::Uuid(id.as_uuid())],
    );
    sql.get_result(connection).await.optional()
}

async fn load_task(connection: &mut AsyncPgConnection, id: TaskId) -> Result<Task, PgError> {
    let row = load(connection, id)
        .await?
        .ok_or(PgError::Domain(DomainError::NotFound("task")))?;
    row.into_task().map_err(PgError::Domain)
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
    ) -> Result<Once<Task>, DomainError> {
        let mut binds = vec![
            Bind::Uuid(id.as_uuid()),
            Bind::Uuid(project.as_uuid()),
            Bind::Uuid(created_by.as_uuid()),
        ];
        binds.extend(draft_binds(&draft));
        let sql = written_with_outbox(INSERT_TASK, binds, &outbox, TASK_COLUMNS);
        let mut connection = self.pool.get().await?;
        let Some(once) = once else {
            // One statement: the task, its activity entry and its jobs.
            let row: TaskRow = sql.get_result(&mut connection).await.map_err(from_diesel)?;
            return row.into_task().map(Once::Ran);
        };
        // With an Idempotency-Key: the key is claimed and kept in the same
        // transaction as the write, so a replay sees the first answer.
        connection
            .transaction(async move |tx| {
                if let Some(settled) = idempotency_keys::claim(tx, created_by, &once).await? {
                    return Ok(settled);
                }
                let row: TaskRow = sql.get_result(tx).await?;
                let task = row.into_task().map_err(PgError::Domain)?;
                idempotency_keys::keep(tx, created_by, &once, &task).await?;
                Ok::<_, PgError>(Once::Ran(task))
            })
            .await
            .map_err(DomainError::from)
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
    ) -> Result<Task, DomainError> {
        let mut binds = draft_binds(&draft);
        binds.extend([
            Bind::Time(Utc::now()),
            Bind::Uuid(id.as_uuid()),
            Bind::BigInt(expected.0),
        ]);
        let sql = written_with_outbox(UPDATE_TASK, binds, &outbox, TASK_COLUMNS);
        let mut connection = self.pool.get().await?;
        let updated: Option<TaskRow> = sql
            .get_result(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        match updated {
            Some(row) => row.into_task(),
            // Nothing matched and nothing was stored: say which version won
            // (a read only on this path).
            None => {
                let current = load_task(&mut connection, id)
                    .await
                    .map_err(DomainError::from)?;
                Err(DomainError::VersionConflict {
                    current: current.version,
                })
            }
        }
    }

    async fn soft_delete(&self, id: TaskId, outbox: Outbox) -> Result<(), DomainError> {
        soft_delete(&self.pool, Trashable::Task, id.as_uuid(), &outbox).await
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
