//! The worker's handler for `task_reminder` jobs. The job was armed by the
//! task's own write (domain::notifications::arm, in its outbox); here, in one
//! transaction: read the task as it is now, let the domain decide whether the
//! reminder still applies, and create the assignee's notification — unique per
//! reminder job, so a job that runs twice (its worker died after the insert,
//! before `complete`) cannot notify twice.

use crate::error::PgError;
use crate::schema::{notifications, projects, tasks, team_members, teams};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::ids::UserId;
use domain::jobs::{Job, JobFailure, JobHandler, JobKind};
use domain::notifications::{decide, ReminderDue, ReminderOutcome, TaskFacts, DUE_SOON};
use domain::tasks::Status;
use domain::DomainError;
use uuid::Uuid;

/// One delivery per webhook of the task's team subscribed to
/// `task.due_soon`; `data` is the task as the API shows it.
const DUE_SOON_DELIVERIES: &str = "
INSERT INTO jobs (id, kind, payload, run_at, dedupe_key, team_id, target_host)
SELECT gen_random_uuid(), 'webhook_delivery',
       jsonb_build_object(
           'webhook_id', w.id,
           'event', 'task.due_soon',
           'occurred_at', now(),
           'data', jsonb_build_object(
               'id', t.id, 'project_id', t.project_id, 'title', t.title,
               'description', t.description, 'status', t.status,
               'priority', (ARRAY['low','medium','high','urgent'])[t.priority + 1],
               'due_at', t.due_at, 'assignee_id', t.assignee_id,
               'created_by', t.created_by, 'version', t.version,
               'created_at', t.created_at, 'updated_at', t.updated_at)),
       now(),
       'due_soon:' || $2 || ':' || w.id,
       p.team_id,
       w.host
  FROM tasks t
  JOIN projects p ON p.id = t.project_id
  JOIN webhooks w ON w.team_id = p.team_id AND w.deleted_at IS NULL
                 AND 'task.due_soon' = ANY (w.events)
 WHERE t.id = $1
ON CONFLICT (dedupe_key) DO NOTHING";

pub struct PgReminderHandler {
    pool: PgPool,
}

impl PgReminderHandler {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

type FactsRow = (
    String,
    Option<Uuid>,
    Option<DateTime<Utc>>,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    bool,
);

fn facts(row: FactsRow) -> Result<TaskFacts, PgError> {
    let (title, assignee, due_at, status, task_deleted, project_deleted, team_deleted, member) =
        row;
    let status = Status::parse(&status).ok_or_else(|| {
        PgError::Domain(DomainError::internal(format!(
            "unknown task status {status}"
        )))
    })?;
    Ok(TaskFacts {
        title,
        assignee: assignee.map(UserId),
        due_at,
        status,
        deleted: task_deleted.is_some() || project_deleted.is_some() || team_deleted.is_some(),
        assignee_is_member: member,
    })
}

#[async_trait]
impl JobHandler for PgReminderHandler {
    fn kind(&self) -> JobKind {
        JobKind::TaskReminder
    }

    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let due: ReminderDue = serde_json::from_value(job.payload.clone())
            .map_err(|error| JobFailure::Permanent(format!("reminder payload: {error}")))?;
        let job_id = job.id.to_string();
        let mut connection = self
            .pool
            .get()
            .await
            .map_err(|error| JobFailure::Retryable(error.to_string()))?;
        connection
            .transaction(async move |tx| {
                // FOR SHARE: a concurrent write to the task waits for this
                // reminder to commit (or the reminder sees the write).
                let row: Option<FactsRow> = tasks::table
                    .inner_join(projects::table.inner_join(teams::table))
                    .filter(tasks::id.eq(due.task_id.as_uuid()))
                    .select((
                        tasks::title,
                        tasks::assignee_id,
                        tasks::due_at,
                        tasks::status,
                        tasks::deleted_at,
                        projects::deleted_at,
                        teams::deleted_at,
                        // Is the assignee still in the task's team? (The
                        // domain decides what that means.)
                        diesel::dsl::exists(
                            team_members::table
                                .filter(team_members::team_id.eq(teams::id))
                                .filter(team_members::user_id.nullable().eq(tasks::assignee_id)),
                        ),
                    ))
                    .for_share()
                    .first(tx)
                    .await
                    .optional()?;
                let task = row.map(facts).transpose()?;
                if let ReminderOutcome::Notify { user, message } = decide(&due, task.as_ref()) {
                    diesel::insert_into(notifications::table)
                        .values((
                            notifications::id.eq(Uuid::now_v7()),
                            notifications::user_id.eq(user.as_uuid()),
                            notifications::kind.eq(DUE_SOON),
                            notifications::task_id.eq(due.task_id.as_uuid()),
                            notifications::message.eq(message),
                            notifications::dedupe_key.eq(&job_id),
                        ))
                        .on_conflict_do_nothing()
                        .execute(tx)
                        .await?;
                    // The `task.due_soon` event for the team's subscribed
                    // webhooks, in the same transaction; keyed by this job,
                    // so a second run enqueues nothing new.
                    diesel::sql_query(DUE_SOON_DELIVERIES)
                        .bind::<diesel::sql_types::Uuid, _>(due.task_id.as_uuid())
                        .bind::<diesel::sql_types::Text, _>(&job_id)
                        .execute(tx)
                        .await?;
                }
                Ok::<_, PgError>(())
            })
            .await
            .map_err(|error| JobFailure::Retryable(DomainError::from(error).to_string()))
    }
}
