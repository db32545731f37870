//! The durable job queue: `FOR UPDATE SKIP LOCKED` claims with a lease.
//!
//! Several workers poll the same table. `SKIP LOCKED` lets each one take a
//! different due job without waiting on the others' row locks; the lease
//! (`locked_until`) hands a job back to the pool when its worker dies mid-run;
//! the lease token fences outcomes to the latest claim.

use crate::error::from_diesel;
use crate::schema::jobs;
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Int4, Jsonb, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::ids::JobId;
use domain::jobs::{DeliveryBounds, Job, JobKind, JobQueue, Lane, LeaseToken, Recorded};
use domain::DomainError;
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
// the sub-select takes the row lock with SKIP LOCKED, and the outer UPDATE marks
// the job as ours in the same statement, so no other worker can see it as free.
// `run_at <= now()` holds for running jobs too (they were claimed once due), so
// it bounds the index scan on (kind, run_at, id) for both kinds: an idle poll
// never walks the reminders armed for next month. `$3` is the lane's kind.
const CLAIM_SQL: &str = "
UPDATE jobs
   SET status = 'running',
       attempts = attempts + 1,
       locked_by = $1,
       locked_until = now() + make_interval(secs => $2),
       lease_token = gen_random_uuid(),
       updated_at = now()
 WHERE id = (
        SELECT id FROM jobs
         WHERE kind = $3
           AND run_at <= now()
           AND (status = 'queued' OR (status = 'running' AND locked_until < now()))
         ORDER BY run_at, id
         LIMIT 1
           FOR UPDATE SKIP LOCKED)
RETURNING id, kind, payload, attempts, lease_token";

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

#[async_trait]
impl JobQueue for PgJobQueue {
    async fn claim(
        &self,
        worker_id: &str,
        lane: Lane,
        lease: Duration,
    ) -> Result<Option<Job>, DomainError> {
        let mut connection = self.pool.get().await?;
        let row: Option<ClaimedRow> = match lane {
            Lane::Reminders => diesel::sql_query(CLAIM_SQL)
                .bind::<Text, _>(worker_id)
                .bind::<Double, _>(lease.as_secs_f64())
                .bind::<Text, _>(JobKind::TaskReminder.as_str())
                .get_result(&mut connection)
                .await
                .optional()
                .map_err(from_diesel)?,
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
                            .get_result(tx)
                            .await
                            .optional()
                    })
                    .await
                    .map_err(from_diesel)?
            }
        };
        let Some(row) = row else { return Ok(None) };
        let kind = JobKind::parse(&row.kind).ok_or_else(|| {
            DomainError::internal(format!("job {} has unknown kind {}", row.id, row.kind))
        })?;
        Ok(Some(Job {
            id: JobId(row.id),
            kind,
            payload: row.payload,
            attempt: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            lease: LeaseToken(row.lease_token),
        }))
    }

    async fn complete(&self, id: JobId, lease: LeaseToken) -> Result<Recorded, DomainError> {
        self.finish(id, lease, "succeeded", None, None).await
    }

    async fn retry(
        &self,
        id: JobId,
        lease: LeaseToken,
        error: &str,
        run_at: DateTime<Utc>,
    ) -> Result<Recorded, DomainError> {
        self.finish(id, lease, "queued", Some(error), Some(run_at))
            .await
    }

    async fn dead_letter(
        &self,
        id: JobId,
        lease: LeaseToken,
        error: &str,
    ) -> Result<Recorded, DomainError> {
        self.finish(id, lease, "dead", Some(error), None).await
    }
}

impl PgJobQueue {
    /// Ends this claim's lease. The `lease_token` condition makes a late call
    /// from a claim whose lease expired (and whose job another claim took, in
    /// this process or another) a no-op: every claim draws a fresh token, so
    /// a stale one never matches, whatever `locked_by` says.
    async fn finish(
        &self,
        id: JobId,
        lease: LeaseToken,
        status: &str,
        error: Option<&str>,
        run_at: Option<DateTime<Utc>>,
    ) -> Result<Recorded, DomainError> {
        let mut connection = self.pool.get().await?;
        let target = jobs::table
            .filter(jobs::id.eq(id.as_uuid()))
            .filter(jobs::status.eq("running"))
            .filter(jobs::lease_token.eq(lease.0));
        let now = Utc::now();
        let updated = diesel::update(target)
            .set((
                jobs::status.eq(status),
                jobs::locked_by.eq(None::<String>),
                jobs::locked_until.eq(None::<DateTime<Utc>>),
                jobs::lease_token.eq(None::<Uuid>),
                jobs::last_error.eq(error),
                jobs::run_at.eq(run_at.unwrap_or(now)),
                jobs::updated_at.eq(now),
            ))
            .execute(&mut connection)
            .await
            .map_err(from_diesel)?;
        if updated == 0 {
            tracing::warn!(job.id = %id, "job lease was lost before it finished: outcome not recorded");
            return Ok(Recorded::LeaseLost);
        }
        Ok(Recorded::Written)
    }
}
