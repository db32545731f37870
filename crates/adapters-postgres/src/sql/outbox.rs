//! Storing a write's `Outbox` — its activity entry, the jobs it enqueues and
//! the reminder it withdraws — as CTEs of one statement: after a write in
//! the same transaction (`store`), or in the write's own statement, stored
//! only if the write returned a row (`push_ctes` with a guard,
//! `sql/recorded_write.rs::written_with_outbox`). Every decision was made by
//! the domain; this only stores.

use crate::sql::prepared_sql::{Bind, PreparedSql};
use diesel::sql_types::BigInt;
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::jobs::{NewJob, StoredJob};
use domain::outbox::{Outbox, TeamOutbox};

/// The jobs, unnested from one array per column: one statement whatever
/// their number, inserted only where `guard` holds. A dedupe key already
/// used makes that job a no-op.
fn insert_jobs(guard: &str) -> String {
    format!(
        "
    INSERT INTO jobs (id, kind, payload, dedupe_key, run_at, task_id, team_id, target_host)
    SELECT * FROM unnest(?::uuid[], ?::text[], ?::jsonb[], ?::text[], ?::timestamptz[], ?::uuid[], ?::uuid[], ?::text[])
     WHERE {guard}
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING kind, run_at"
    )
}

/// Wakes the idle workers (`jobs::wake`, channel `opsflow_jobs`, the
/// payload is the job kind) of each kind just enqueued that is due now (a
/// reminder armed for next week wakes nobody). `pg_notify` in a
/// transaction is delivered at its commit, so a worker never wakes to a job
/// it cannot see yet; notifications of one transaction with the same
/// payload fold into one. The statement's final SELECT must read it
/// (`WOKEN`), or PostgreSQL would not run it (a CTE without a
/// data-modifying statement runs only when read).
const WAKE_WORKERS: &str = "\
woken AS (
    SELECT pg_notify('opsflow_jobs', kind)
      FROM (SELECT DISTINCT kind FROM enqueued WHERE run_at <= now()) AS due
)";

/// The select-list item that runs `WAKE_WORKERS`.
pub(crate) const WOKEN: &str = "(SELECT count(*) FROM woken) AS woken";

/// The outbox as data-modifying CTEs (`entry`, `withdrawn`, `enqueued`,
/// `woken`), each storing only where `guard` holds: `true` beside a write
/// already made in the transaction, or `EXISTS (SELECT 1 FROM written)`
/// after a write CTE, so a compare-and-set that matched nothing stores
/// nothing. A write without a re-armed task withdraws nothing (`task_id =
/// NULL` matches no row).
fn outbox_ctes(guard: &str) -> String {
    format!(
        "entry AS (
    INSERT INTO activity_logs (id, project_id, actor_id, action, entity_type, entity_id, changes, created_at)
    SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE {guard}
    RETURNING project_id
), withdrawn AS (
    DELETE FROM jobs
     WHERE task_id = ? AND kind = 'task_reminder' AND status = 'queued'
       AND dedupe_key <> ALL (?) AND {guard}
), enqueued AS ({}
), {WAKE_WORKERS}",
        insert_jobs(guard)
    )
}

/// The binds of `insert_jobs`, in order.
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
    sql.push(
        &format!(
            "WITH enqueued AS ({}\n), {WAKE_WORKERS}\nSELECT (SELECT count(*) FROM enqueued) AS enqueued, {WOKEN}",
            insert_jobs("true")
        ),
        job_binds(&stored),
    );
    let counted: Enqueued = sql.get_result(connection).await?;
    Ok(usize::try_from(counted.enqueued).unwrap_or(0))
}

/// What `enqueue` answers.
#[derive(QueryableByName)]
struct Enqueued {
    #[diesel(sql_type = BigInt)]
    enqueued: i64,
}

/// Stores `outbox` on `tx` (the write's open transaction).
pub(crate) async fn store(
    tx: &mut AsyncPgConnection,
    outbox: &Outbox,
) -> Result<(), diesel::result::Error> {
    let mut sql = PreparedSql::new("WITH ");
    push_ctes(&mut sql, outbox, "true");
    sql.push(&format!("\nSELECT {WOKEN}"), Vec::new());
    sql.execute(tx).await.map(drop)
}

/// Stores a team's audit entry and its deliveries on `tx` (the change's
/// open transaction), as one statement.
pub(crate) async fn store_team(
    tx: &mut AsyncPgConnection,
    outbox: &TeamOutbox,
) -> Result<(), diesel::result::Error> {
    let activity = &outbox.activity;
    let jobs: Vec<StoredJob> = outbox.jobs.iter().map(NewJob::stored).collect();
    let mut sql = PreparedSql::new("");
    sql.push(
        "WITH entry AS (
    INSERT INTO team_activity_logs (id, team_id, actor_id, action, changes, created_at)
    VALUES (?, ?, ?, ?, ?, ?)
)",
        vec![
            Bind::Uuid(activity.id.as_uuid()),
            Bind::Uuid(activity.team.as_uuid()),
            Bind::Uuid(activity.actor.as_uuid()),
            Bind::Text(activity.action.as_str().to_owned()),
            // A map of strings and nulls: serializing it cannot fail.
            Bind::Json(serde_json::to_value(&activity.changes).unwrap_or_default()),
            Bind::Time(activity.created_at),
        ],
    );
    sql.push(
        &format!(
            ", enqueued AS ({}\n), {WAKE_WORKERS}\nSELECT {WOKEN}",
            insert_jobs("true")
        ),
        job_binds(&jobs),
    );
    sql.execute(tx).await.map(drop)
}

/// Pushes the outbox's CTEs (`outbox_ctes`) with their binds.
pub(crate) fn push_ctes(sql: &mut PreparedSql, outbox: &Outbox, guard: &str) {
    let activity = &outbox.activity;
    let jobs: Vec<StoredJob> = outbox.jobs.iter().map(NewJob::stored).collect();
    let kept: Vec<String> = jobs
        .iter()
        .filter_map(|job| job.dedupe_key.clone())
        .collect();
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
    sql.push(&outbox_ctes(guard), binds);
}
