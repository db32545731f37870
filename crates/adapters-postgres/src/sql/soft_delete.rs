//! Soft delete with its activity entry, in one statement: the one shape the
//! project and comment repositories share (a task's is a checked write
//! of its own, `repositories/tasks.rs`). `deleted_at` hides the row
//! from every read; the entry says who did it, atomically with the change.

use crate::error::from_diesel;
use crate::sql::prepared_sql::{Bind, PreparedSql};
use crate::sql::recorded_write::written_with_outbox;
use crate::PgPool;
use diesel::prelude::*;
use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::RunQueryDsl;
use domain::outbox::Outbox;
use domain::DomainError;
use uuid::Uuid;

/// The tables with soft delete. A closed set, so the table name in the SQL is
/// never text from outside.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Trashable {
    Project,
    Comment,
}

impl Trashable {
    fn statement(self) -> &'static str {
        match self {
            Trashable::Project => "UPDATE projects SET deleted_at = now(), updated_at = now() WHERE id = ? AND deleted_at IS NULL RETURNING *",
            Trashable::Comment => "UPDATE comments SET deleted_at = now(), updated_at = now() WHERE id = ? AND deleted_at IS NULL RETURNING *",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Trashable::Project => "project",
            Trashable::Comment => "comment",
        }
    }
}

/// The id of the row a soft delete marked.
#[derive(QueryableByName)]
struct Deleted {
    #[diesel(sql_type = SqlUuid)]
    #[allow(dead_code)] // read only to know a row came back
    id: Uuid,
}

/// Marks the live row `id` deleted and stores `outbox`, or neither, in one
/// statement (`written_with_outbox`).
///
/// # Errors
/// `NotFound` when there is no live row; storage errors as they come.
pub(crate) async fn soft_delete(
    pool: &PgPool,
    kind: Trashable,
    id: Uuid,
    outbox: &Outbox,
) -> Result<(), DomainError> {
    let mut write = PreparedSql::new("");
    write.push(kind.statement(), vec![Bind::Uuid(id)]);
    let sql = written_with_outbox(write, outbox, "t.id");
    let mut connection = pool.get().await?;
    let deleted: Option<Deleted> = sql
        .get_result(&mut connection)
        .await
        .optional()
        .map_err(from_diesel)?;
    match deleted {
        Some(_) => {
            pool.announce_activity(outbox.activity.project_id);
            Ok(())
        }
        None => Err(DomainError::NotFound(kind.noun())),
    }
}
