//! The N+1 version of the task list, kept on purpose as a teaching specimen and a
//! benchmark baseline, in the test crate (never in production code): the
//! query-plan tests and `make bench` use it to show what the real query
//! (`adapters-postgres/src/repositories/task_list.rs`) avoids.
//!
//! It loads a page of tasks, then asks for each task's comment count one by one:
//! 1 + N statements for N tasks, where the real list uses 2 for any N.

use adapters_postgres::schema::{comments, tasks};
use adapters_postgres::PgPool;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::ids::{ProjectId, TaskId};
use domain::DomainError;
use uuid::Uuid;

/// (task id, comment count) for the newest `limit` live tasks of `project`.
///
/// # Errors
/// `Unavailable`/`Internal` as for any query.
pub async fn list_with_counts_naively(
    pool: &PgPool,
    project: ProjectId,
    limit: i64,
) -> Result<Vec<(TaskId, i64)>, DomainError> {
    let mut connection = pool.get().await?;
    let ids: Vec<Uuid> = tasks::table
        .filter(tasks::project_id.eq(project.as_uuid()))
        .filter(tasks::deleted_at.is_null())
        .order((tasks::created_at.desc(), tasks::id.desc()))
        .limit(limit)
        .select(tasks::id)
        .load(&mut connection)
        .await
        .map_err(failed)?;
    let mut counted = Vec::with_capacity(ids.len());
    for id in ids {
        // The N in N+1: one round trip per task.
        let count: i64 = comments::table
            .filter(comments::task_id.eq(id))
            .filter(comments::deleted_at.is_null())
            .count()
            .get_result(&mut connection)
            .await
            .map_err(failed)?;
        counted.push((TaskId(id), count));
    }
    Ok(counted)
}

fn failed(error: diesel::result::Error) -> DomainError {
    DomainError::internal_from("the naive task list", error)
}
