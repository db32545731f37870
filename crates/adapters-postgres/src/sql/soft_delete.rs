//! Soft delete with its activity entry, in one transaction: the one shape the
//! project, task and comment repositories share. `deleted_at` hides the row
//! from every read; the entry says who did it, atomically with the change.

use crate::error::PgError;
use crate::sql::recorded_write::with_outbox;
use crate::PgPool;
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
    Task,
    Comment,
}

impl Trashable {
    fn statement(self) -> &'static str {
        match self {
            Trashable::Project => "UPDATE projects SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
            Trashable::Task => "UPDATE tasks SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
            Trashable::Comment => "UPDATE comments SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Trashable::Project => "project",
            Trashable::Task => "task",
            Trashable::Comment => "comment",
        }
    }
}

/// Marks the live row `id` deleted and stores `outbox`, or neither.
///
/// # Errors
/// `NotFound` when there is no live row; storage errors as they come.
pub(crate) async fn soft_delete(
    pool: &PgPool,
    kind: Trashable,
    id: Uuid,
    outbox: &Outbox,
) -> Result<(), DomainError> {
    with_outbox(pool, outbox, async |tx| {
        let updated = diesel::sql_query(kind.statement())
            .bind::<SqlUuid, _>(id)
            .execute(tx)
            .await?;
        if updated == 0 {
            return Err(PgError::Domain(DomainError::NotFound(kind.noun())));
        }
        Ok(())
    })
    .await
}
