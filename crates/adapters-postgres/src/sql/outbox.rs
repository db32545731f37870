//! Storing a write's `Outbox` — its activity entry, the jobs it enqueues and
//! the reminder it withdraws — in one statement inside the write's
//! transaction. Every decision was made by the domain; this only stores.

use crate::sql::prepared_sql::{Bind, PreparedSql};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::jobs::{NewJob, StoredJob};
use domain::outbox::Outbox;

/// The jobs, unnested from one array per column: one statement whatever
/// their number. A dedupe key already used makes that job a no-op.
const INSERT_JOBS: &str = "\
    INSERT INTO jobs (id, kind, payload, dedupe_key, run_at, task_id, team_id, target_host)
    SELECT * FROM unnest(?::uuid[], ?::text[], ?::jsonb[], ?::text[], ?::timestamptz[], ?::uuid[], ?::uuid[], ?::text[])
    ON CONFLICT (dedupe_key) DO NOTHING";

/// Data-modifying CTEs: one round trip for the entry, the withdrawal and the
/// jobs. A write without a re-armed task withdraws nothing (`task_id = NULL`
/// matches no row).
fn store_sql() -> String {
    format!(
        "WITH entry AS (
    INSERT INTO activity_logs (id, project_id, actor_id, action, entity_type, entity_id, changes, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
), withdrawn AS (
    DELETE FROM jobs
     WHERE task_id = ? AND kind = 'task_reminder' AND status = 'queued'
       AND dedupe_key <> ALL (?)
), enqueued AS ({INSERT_JOBS}
)
SELECT 1"
    )
}

/// The binds of `INSERT_JOBS`, in order.
fn job_binds(jobs: &[StoredJob]) -> Vec<Bind> {
    vec![
        Bind::Uuids(jobs.iter().map(|job| job.id.as_uuid()).collect()),
        Bind::Texts(
            jobs.iter()
                .map(|job| job.kind.as_str().to_owned())
                .collect(),
        ),
        Bind::Jsons(jobs.iter().map(|job| job.payload.clone()).collect()),
        Bind::OptionalTexts(jobs.iter().map(|job| job.dedupe_key.clone()).collect()),
        Bind::Times(jobs.iter().map(|job| job.run_at).collect()),
        Bind::OptionalUuids(
            jobs.iter()
                .map(|job| job.task.map(|t| t.as_uuid()))
                .collect(),
        ),
        Bind::OptionalUuids(
            jobs.iter()
                .map(|job| job.team.map(|t| t.as_uuid()))
                .collect(),
        ),
        Bind::OptionalTexts(jobs.iter().map(|job| job.target_host.clone()).collect()),
    ]
}

/// Enqueues `jobs` on `connection` in one statement (outside a recorded
/// write: operators re-arming reminders after a bulk load).
pub(crate) async fn enqueue(
    connection: &mut AsyncPgConnection,
    jobs: &[NewJob],
) -> Result<usize, diesel::result::Error> {
    let stored: Vec<StoredJob> = jobs.iter().map(NewJob::stored).collect();
    let mut sql = PreparedSql::new("");
    sql.push(INSERT_JOBS, job_binds(&stored));
    sql.execute(connection).await
}

/// Stores `outbox` on `tx` (the write's open transaction).
pub(crate) async fn store(
    tx: &mut AsyncPgConnection,
    outbox: &Outbox,
) -> Result<(), diesel::result::Error> {
    let activity = &outbox.activity;
    let jobs: Vec<StoredJob> = outbox.jobs.iter().map(NewJob::stored).collect();
    let kept: Vec<String> = jobs
        .iter()
        .filter_map(|job| job.dedupe_key.clone())
        .collect();
    let mut sql = PreparedSql::new("");
    let mut binds = vec![
        Bind::Uuid(activity.id.as_uuid()),
        Bind::Uuid(activity.project_id.as_uuid()),
        Bind::Uuid(activity.actor.as_uuid()),
        Bind::Text(activity.action.as_str().to_owned()),
        Bind::Text(activity.action.entity_type().as_str().to_owned()),
        Bind::Uuid(activity.entity_id),
        // A map of strings and nulls: serializing it cannot fail.
        Bind::Json(serde_json::to_value(&activity.changes).unwrap_or_default()),
        Bind::Time(activity.created_at),
        Bind::OptionalUuid(outbox.rearmed.map(|task| task.as_uuid())),
        Bind::Texts(kept),
    ];
    binds.extend(job_binds(&jobs));
    sql.push(&store_sql(), binds);
    sql.execute(tx).await.map(drop)
}
