//! `TaskRepository` on PostgreSQL: writes with their activity entry in one
//! transaction, and the optimistic lock as one compare-and-set UPDATE.

use crate::error::{from_diesel, PgError};
use crate::repositories::idempotency_keys;
use crate::repositories::task_list;
use crate::repositories::task_rows::{TaskRow, TASK_COLUMNS};
use crate::repositories::write_context::{self, WriteContextRow};
use crate::schema::tasks;
use crate::sql::constant_sql::constant_sql_expression;
use crate::sql::outbox;
use crate::sql::prepared_sql::{Bind, PreparedSql};
use crate::sql::recorded_write::with_outbox;
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

/// The columns a client sets, written the same way by create and update (one
/// list, so a new field cannot be stored by one and forgotten by the other).
/// `treat_none_as_null`: on update, `None` clears the column.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = tasks, treat_none_as_null = true)]
struct DraftColumns<'a> {
    title: &'a str,
    description: Option<&'a str>,
    status: &'static str,
    priority: i16,
    due_at: Option<chrono::DateTime<Utc>>,
    assignee_id: Option<uuid::Uuid>,
}

impl<'a> From<&'a TaskDraft> for DraftColumns<'a> {
    fn from(draft: &'a TaskDraft) -> Self {
        Self {
            title: draft.title.as_str(),
            description: draft.description.as_str(),
            status: draft.status.as_str(),
            priority: draft.priority.rank(),
            due_at: draft.due_at,
            assignee_id: draft.assignee_id.map(|user| user.as_uuid()),
        }
    }
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

/// What a write returns: the row it wrote, in `TaskRow`'s field order, so a
/// create or an update needs no second statement to read it back.
type ReturnedColumns = (
    tasks::id,
    tasks::project_id,
    tasks::title,
    tasks::description,
    tasks::status,
    tasks::priority,
    tasks::due_at,
    tasks::assignee_id,
    tasks::created_by,
    tasks::version,
    tasks::created_at,
    tasks::updated_at,
    LiveCommentCount,
);

constant_sql_expression!(
    /// The task's live comments, for a statement on `tasks` (a RETURNING).
    LiveCommentCount: diesel::sql_types::BigInt =
        "(SELECT count(*) FROM comments c WHERE c.task_id = tasks.id AND c.deleted_at IS NULL)"
);

fn returned_columns() -> ReturnedColumns {
    (
        tasks::id,
        tasks::project_id,
        tasks::title,
        tasks::description,
        tasks::status,
        tasks::priority,
        tasks::due_at,
        tasks::assignee_id,
        tasks::created_by,
        tasks::version,
        tasks::created_at,
        tasks::updated_at,
        LiveCommentCount,
    )
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
        let mut connection = self.pool.get().await?;
        connection
            .transaction(async move |tx| {
                if let Some(once) = &once {
                    if let Some(settled) = idempotency_keys::claim(tx, created_by, once).await? {
                        return Ok(settled);
                    }
                }
                let task = diesel::insert_into(tasks::table)
                    .values((
                        tasks::id.eq(id.as_uuid()),
                        tasks::project_id.eq(project.as_uuid()),
                        DraftColumns::from(&draft),
                        tasks::created_by.eq(created_by.as_uuid()),
                    ))
                    .returning(returned_columns())
                    .get_result::<TaskRow>(tx)
                    .await?
                    .into_task()
                    .map_err(PgError::Domain)?;
                outbox::store(tx, &outbox).await?;
                if let Some(once) = &once {
                    idempotency_keys::keep(tx, created_by, once, &task).await?;
                }
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
        with_outbox(&self.pool, &outbox, async |tx| {
            // The optimistic lock: check and increment in one statement. Two
            // writers that read version n both send `version = n`; the row
            // lock the first UPDATE takes makes the second re-check after the
            // first commits, find n + 1, and match nothing. RETURNING hands
            // back the new row: no read after the write.
            let updated = diesel::update(
                tasks::table
                    .filter(tasks::id.eq(id.as_uuid()))
                    .filter(tasks::version.eq(expected.0))
                    .filter(tasks::deleted_at.is_null()),
            )
            .set((
                DraftColumns::from(&draft),
                tasks::version.eq(tasks::version + 1),
                tasks::updated_at.eq(Utc::now()),
            ))
            .returning(returned_columns())
            .get_result::<TaskRow>(tx)
            .await
            .optional()?;
            match updated {
                Some(row) => row.into_task().map_err(PgError::Domain),
                None => {
                    let current = load_task(tx, id).await?;
                    Err(PgError::Domain(DomainError::VersionConflict {
                        current: current.version,
                    }))
                }
            }
        })
        .await
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
