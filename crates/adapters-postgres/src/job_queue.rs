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
use diesel::sql_types::{Double, Int4, Jsonb, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::ids::JobId;
use domain::jobs::{Job, JobKind, JobQueue, LeaseToken, Recorded};
use domain::DomainError;
use std::time::Duration;
use uuid::Uuid;

pub struct PgJobQueue {
    pool: PgPool,
}

impl PgJobQueue {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
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
// it bounds the index scan on (run_at, id) for both kinds: an idle poll never
// walks the reminders armed for next month.
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
         WHERE run_at <= now()
           AND (status = 'queued' OR (status = 'running' AND locked_until < now()))
         ORDER BY run_at, id
         LIMIT 1
           FOR UPDATE SKIP LOCKED)
RETURNING id, kind, payload, attempts, lease_token";

#[async_trait]
impl JobQueue for PgJobQueue {
    async fn claim(&self, worker_id: &str, lease: Duration) -> Result<Option<Job>, DomainError> {
        let mut connection = self.pool.get().await?;
        let row: Option<ClaimedRow> = diesel::sql_query(CLAIM_SQL)
            .bind::<Text, _>(worker_id)
            .bind::<Double, _>(lease.as_secs_f64())
            .get_result(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
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
