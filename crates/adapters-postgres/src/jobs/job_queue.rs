//! The durable job queue: `FOR UPDATE SKIP LOCKED` claims with a lease.
//!
//! Several workers poll the same table. `SKIP LOCKED` lets each one take a
//! batch of different due jobs without waiting on the others' row locks; the
//! lease (`locked_until`) hands a job back to the pool when its worker dies
//! mid-run; the lease token fences outcomes to the latest claim, per job.
//! One statement claims a batch, one records its outcomes.

use crate::error::from_diesel;
use crate::sql::prepared_sql::{Bind, PreparedSql};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Double, Int4, Jsonb, Text, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::ids::JobId;
use domain::jobs::{
    DeliveryBounds, Finished, Job, JobKind, JobQueue, Lane, LeaseToken, Outcome, Recorded,
};
use domain::DomainError;
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

pub struct PgJobQueue {
    pool: PgPool,
    delivery_bounds: DeliveryBounds,
}

impl PgJobQueue {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            delivery_bounds: DeliveryBounds::default(),
        }
    }

    /// In-flight bounds of the delivery lane (`OPSFLOW_WEBHOOK_IN_FLIGHT_*`).
    pub fn with_delivery_bounds(mut self, bounds: DeliveryBounds) -> Self {
        self.delivery_bounds = bounds;
        self
    }
}

#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Jsonb)]
    payload: serde_json::Value,
    #[diesel(sql_type = Int4)]
    attempts: i32,
    #[diesel(sql_type = SqlUuid)]
    lease_token: Uuid,
}

// Hand-written because the builder would hide the two things that matter here:
// the CTE takes the row locks with SKIP LOCKED, and the UPDATE marks the jobs
// as ours in the same statement, so no other worker can see them as free.
// Each claimed job draws its own lease token (fencing is per job, not per
// batch). `run_at <= now()` holds for running jobs too (they were claimed
// once due), so it bounds the index scan on (kind, run_at, id) for both
// kinds: an idle poll never walks the reminders armed for next month. A
// constant text with binds (`PreparedSql`): each connection prepares it once.
// Binds: the lane's kind, the batch size, the worker, the lease in seconds.
const CLAIM_SQL: &str = "
WITH next AS (
        SELECT id FROM jobs
         WHERE kind = ?
           AND run_at <= now()
           AND (status = 'queued' OR (status = 'running' AND locked_until < now()))
         ORDER BY run_at, id
         LIMIT ?
           FOR UPDATE SKIP LOCKED)
UPDATE jobs
   SET status = 'running',
       attempts = attempts + 1,
       locked_by = ?,
       locked_until = now() + make_interval(secs => ?),
       lease_token = gen_random_uuid(),
       updated_at = now()
  FROM next
 WHERE jobs.id = next.id
RETURNING jobs.id, jobs.kind, jobs.payload, jobs.attempts, jobs.lease_token";

// A batch's outcomes in one statement: each row of the arrays is one job's
// outcome, written only where the job is still running under the lease
// token its claim drew. A late outcome from a claim whose lease expired (and
// whose job another claim took, in this process or another) matches no row:
// every claim draws a fresh token, so a stale one never matches, whatever
// `locked_by` says. RETURNING names the jobs written; the rest lost their
// lease. Prepared once per connection, like the claim.
const RECORD_SQL: &str = "
UPDATE jobs
   SET status = outcome.status,
       locked_by = NULL,
       locked_until = NULL,
       lease_token = NULL,
       last_error = outcome.error,
       run_at = coalesce(outcome.run_at, now()),
       updated_at = now()
  FROM unnest(?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::timestamptz[])
       AS outcome(id, lease, status, error, run_at)
 WHERE jobs.id = outcome.id
   AND jobs.status = 'running'
   AND jobs.lease_token = outcome.lease
RETURNING jobs.id";

// The delivery lane's claim: the oldest due delivery whose receiver host has
// fewer than `$3` and whose team fewer than `$4` deliveries in flight (running
// under a live lease). One over a bound stays queued, holding no loop, and the
// scan moves on to the next host or team. The bounds are counted, so claims
// of this lane are serialized by a transaction-scoped advisory lock taken
// just before (`DELIVERY_CLAIM_LOCK`): two loops cannot both see one free
// place. A delivery claim is a few milliseconds; deliveries take up to the
// webhook timeout, so the serialization costs nothing that matters.
const CLAIM_DELIVERY_SQL: &str = "
UPDATE jobs
   SET status = 'running',
       attempts = attempts + 1,
       locked_by = $1,
       locked_until = now() + make_interval(secs => $2),
       lease_token = gen_random_uuid(),
       updated_at = now()
 WHERE id = (
        SELECT j.id FROM jobs j
         WHERE j.kind = 'webhook_delivery'
           AND j.run_at <= now()
           AND (j.status = 'queued' OR (j.status = 'running' AND j.locked_until < now()))
           AND (SELECT count(*) FROM jobs r
                 WHERE r.kind = 'webhook_delivery' AND r.status = 'running'
                   AND r.locked_until >= now()
                   AND r.target_host = j.target_host) < $3
           AND (SELECT count(*) FROM jobs r
                 WHERE r.kind = 'webhook_delivery' AND r.status = 'running'
                   AND r.locked_until >= now()
                   AND r.team_id = j.team_id) < $4
         ORDER BY j.run_at, j.id
         LIMIT 1
           FOR UPDATE SKIP LOCKED)
RETURNING id, kind, payload, attempts, lease_token";

/// The advisory lock key that serializes delivery claims (any constant
/// unique to this use: "OFDL").
const DELIVERY_CLAIM_LOCK: i64 = 0x4f46_444c;

#[derive(QueryableByName)]
struct RecordedRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

#[async_trait]
impl JobQueue for PgJobQueue {
    async fn claim_batch(
        &self,
        worker_id: &str,
        lane: Lane,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>, DomainError> {
        let mut connection = self.pool.get().await?;
        let rows: Vec<ClaimedRow> = match lane {
            Lane::Reminders => {
                let mut sql = PreparedSql::new("");
                let binds = vec![
                    Bind::Text(JobKind::TaskReminder.as_str().to_owned()),
                    Bind::BigInt(i64::try_from(limit).unwrap_or(i64::MAX)),
                    Bind::Text(worker_id.to_owned()),
                    Bind::Seconds(lease.as_secs_f64()),
                ];
                sql.push(CLAIM_SQL, binds);
                sql.load(&mut connection).await.map_err(from_diesel)?
            }
            // One delivery per claim: the host and team bounds are counted
            // against what is running, so a claim of several could put two
            // over a bound at once.
            Lane::Deliveries => {
                let bounds = self.delivery_bounds;
                connection
                    .transaction(async |tx| {
                        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                            .bind::<BigInt, _>(DELIVERY_CLAIM_LOCK)
                            .execute(tx)
                            .await?;
                        diesel::sql_query(CLAIM_DELIVERY_SQL)
                            .bind::<Text, _>(worker_id)
                            .bind::<Double, _>(lease.as_secs_f64())
                            .bind::<BigInt, _>(i64::from(bounds.per_host))
                            .bind::<BigInt, _>(i64::from(bounds.per_team))
                            .load(tx)
                            .await
                    })
                    .await
                    .map_err(from_diesel)?
            }
        };
        let mut jobs: Vec<Job> = rows.into_iter().map(claimed).collect::<Result<_, _>>()?;
        // The UPDATE returns rows in no set order: hand them out oldest first.
        jobs.sort_by_key(|job| job.id.as_uuid());
        Ok(jobs)
    }

    async fn record(&self, finished: &[Finished]) -> Result<Vec<Recorded>, DomainError> {
        if finished.is_empty() {
            return Ok(Vec::new());
        }
        let mut columns = OutcomeColumns::default();
        for one in finished {
            columns.push(one);
        }
        let mut connection = self.pool.get().await?;
        let mut sql = PreparedSql::new("");
        let binds = vec![
            Bind::Uuids(columns.ids),
            Bind::Uuids(columns.leases),
            Bind::Texts(columns.statuses.iter().map(|s| (*s).to_owned()).collect()),
            Bind::OptionalTexts(columns.errors),
            Bind::OptionalTimes(columns.run_ats),
        ];
        sql.push(RECORD_SQL, binds);
        let written: Vec<RecordedRow> = sql.load(&mut connection).await.map_err(from_diesel)?;
        let written: HashSet<Uuid> = written.into_iter().map(|row| row.id).collect();
        Ok(finished
            .iter()
            .map(|one| {
                if written.contains(&one.id.as_uuid()) {
                    Recorded::Written
                } else {
                    tracing::warn!(job.id = %one.id, "job lease was lost before it finished: outcome not recorded");
                    Recorded::LeaseLost
                }
            })
            .collect())
    }
}

/// A batch of outcomes as the columns `RECORD_SQL` unnests.
#[derive(Default)]
struct OutcomeColumns {
    ids: Vec<Uuid>,
    leases: Vec<Uuid>,
    statuses: Vec<&'static str>,
    errors: Vec<Option<String>>,
    run_ats: Vec<Option<DateTime<Utc>>>,
}

impl OutcomeColumns {
    fn push(&mut self, finished: &Finished) {
        let (status, error, run_at) = match &finished.outcome {
            Outcome::Succeeded => ("succeeded", None, None),
            Outcome::Retry { error, run_at } => ("queued", Some(error.clone()), Some(*run_at)),
            Outcome::Dead { error } => ("dead", Some(error.clone()), None),
        };
        self.ids.push(finished.id.as_uuid());
        self.leases.push(finished.lease.0);
        self.statuses.push(status);
        self.errors.push(error);
        self.run_ats.push(run_at);
    }
}

fn claimed(row: ClaimedRow) -> Result<Job, DomainError> {
    let kind = JobKind::parse(&row.kind).ok_or_else(|| {
        DomainError::internal(format!("job {} has unknown kind {}", row.id, row.kind))
    })?;
    Ok(Job {
        id: JobId(row.id),
        kind,
        payload: row.payload,
        attempt: u32::try_from(row.attempts).unwrap_or(u32::MAX),
        lease: LeaseToken(row.lease_token),
    })
}
