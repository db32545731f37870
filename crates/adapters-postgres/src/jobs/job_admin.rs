//! What operators do with the queue by hand (`opsflow jobs …`) and what the
//! worker's housekeeping deletes: dead letters listed and re-queued, finished
//! jobs pruned after a retention period so the table does not grow forever,
//! and reminders armed for tasks a bulk load wrote around the API.

use crate::error::from_diesel;
use crate::repositories::task_rows::{TaskRow, TASK_COLUMNS};
use crate::schema::jobs;
use crate::sql::outbox;
use crate::PgPool;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::jobs::NewJob;
use domain::notifications::{arm, ReminderLead};
use domain::DomainError;
use std::time::Duration;
use uuid::Uuid;

/// A job that gave up, with why.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct DeadLetter {
    pub id: Uuid,
    pub kind: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

/// Dead letters, most recent first.
///
/// # Errors
/// `Unavailable`/`Internal` as for any statement.
pub async fn dead_letters(pool: &PgPool, limit: i64) -> Result<Vec<DeadLetter>, DomainError> {
    let mut connection = pool.get().await?;
    jobs::table
        .filter(jobs::status.eq("dead"))
        .order((jobs::updated_at.desc(), jobs::id.desc()))
        .limit(limit)
        .select(DeadLetter::as_select())
        .load(&mut connection)
        .await
        .map_err(from_diesel)
}

/// Puts a dead job back in the queue, due now, with a fresh attempt count
/// (its last error stays for reference until it runs). `false` when no dead
/// job has this id.
///
/// # Errors
/// `Unavailable`/`Internal` as for any statement.
pub async fn requeue_dead(pool: &PgPool, id: Uuid) -> Result<bool, DomainError> {
    let mut connection = pool.get().await?;
    let updated = diesel::update(
        jobs::table
            .filter(jobs::id.eq(id))
            .filter(jobs::status.eq("dead")),
    )
    .set((
        jobs::status.eq("queued"),
        jobs::attempts.eq(0),
        jobs::run_at.eq(Utc::now()),
        jobs::locked_by.eq(None::<String>),
        jobs::locked_until.eq(None::<DateTime<Utc>>),
        jobs::updated_at.eq(Utc::now()),
    ))
    .execute(&mut connection)
    .await
    .map_err(from_diesel)?;
    Ok(updated == 1)
}

/// Deletes succeeded jobs last touched more than `retention` ago; dead
/// letters stay until an operator re-queues them. Returns how many went.
///
/// # Errors
/// `Unavailable`/`Internal` as for any statement.
pub async fn prune_finished(pool: &PgPool, retention: Duration) -> Result<usize, DomainError> {
    let mut connection = pool.get().await?;
    let before =
        Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    diesel::delete(
        jobs::table
            .filter(jobs::status.eq("succeeded"))
            .filter(jobs::updated_at.lt(before)),
    )
    .execute(&mut connection)
    .await
    .map_err(from_diesel)
}

#[derive(QueryableByName)]
struct DepthRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    depth: i64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    oldest_seconds: f64,
}

/// Due jobs waiting for a worker, per kind, and how long the oldest has
/// waited (seconds) — the worker's queue gauges. One indexed query.
///
/// # Errors
/// `Unavailable`/`Internal` as for any statement.
pub async fn queue_stats(pool: &PgPool) -> Result<(Vec<(String, i64)>, f64), DomainError> {
    let mut connection = pool.get().await?;
    let rows: Vec<DepthRow> = diesel::sql_query(
        "SELECT kind, count(*) AS depth, \
                COALESCE(EXTRACT(EPOCH FROM now() - min(run_at)), 0)::float8 AS oldest_seconds \
           FROM jobs WHERE status = 'queued' AND run_at <= now() GROUP BY kind",
    )
    .load(&mut connection)
    .await
    .map_err(from_diesel)?;
    let oldest = rows
        .iter()
        .map(|row| row.oldest_seconds)
        .fold(0.0, f64::max);
    Ok((
        rows.into_iter().map(|row| (row.kind, row.depth)).collect(),
        oldest,
    ))
}

/// Arms the reminder of every live task that should have one (the domain's
/// `arm` decides), keeping those already armed: for tasks written by bulk SQL
/// (an import, a benchmark's seed), which no domain write armed. Returns how
/// many jobs were new.
///
/// # Errors
/// `Unavailable`/`Internal` as for any statement.
pub async fn arm_reminders(pool: &PgPool, lead: ReminderLead) -> Result<usize, DomainError> {
    let mut connection = pool.get().await?;
    // Only tasks that can have one are read: assigned and dated.
    let rows: Vec<TaskRow> = diesel::sql_query(format!(
        "SELECT {TASK_COLUMNS} FROM tasks t \
         WHERE t.deleted_at IS NULL AND t.assignee_id IS NOT NULL AND t.due_at IS NOT NULL"
    ))
    .load(&mut connection)
    .await
    .map_err(from_diesel)?;
    let mut jobs: Vec<NewJob> = Vec::new();
    for row in rows {
        let task = row.into_task()?;
        jobs.extend(arm(task.id, &task.fields, lead));
    }
    let mut armed = 0;
    for chunk in jobs.chunks(1000) {
        armed += outbox::enqueue(&mut connection, chunk)
            .await
            .map_err(from_diesel)?;
    }
    Ok(armed)
}
