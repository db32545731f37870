//! The worker's handler for `task_reminder` jobs. The job was armed by the
//! task's own write (domain::notifications::arm, in its outbox); here, in one
//! transaction: read the task as it is now, let the domain decide whether the
//! reminder still applies, and create the assignee's notification — unique per
//! reminder job, so a job that runs twice (its worker died after the insert,
//! before `complete`) cannot notify twice — and, for the team's webhooks
//! subscribed to `task.due_soon`, the deliveries the domain fans out
//! (`domain::webhooks::fan_out_due_soon`), keyed by this job.

use crate::error::PgError;
use crate::repositories::task_rows::{TaskRow, TASK_COLUMNS};
use crate::repositories::write_context;
use crate::schema::notifications;
use crate::sql::outbox;
use crate::sql::prepared_sql::{Bind, PreparedSql};
use crate::PgPool;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Jsonb, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::ids::TeamId;
use domain::jobs::{Job, JobFailure, JobHandler, JobKind};
use domain::notifications::{decide, ReminderDue, ReminderOutcome, TaskFacts, DUE_SOON};
use domain::tasks::Task;
use domain::webhooks::{fan_out_due_soon, Subscription};
use domain::DomainError;
use uuid::Uuid;

pub struct PgReminderHandler {
    pool: PgPool,
}

impl PgReminderHandler {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// The task as it is now, with what the domain decides on.
#[derive(QueryableByName)]
struct FiringRow {
    #[diesel(embed)]
    task: TaskRow,
    #[diesel(sql_type = SqlUuid)]
    team_id: Uuid,
    /// The task, its project or its team is deleted.
    #[diesel(sql_type = Bool)]
    deleted: bool,
    #[diesel(sql_type = Bool)]
    assignee_is_member: bool,
    #[diesel(sql_type = Jsonb)]
    subscriptions: serde_json::Value,
}

/// FOR SHARE OF t: a concurrent write to the task waits for this reminder
/// to commit (or the reminder sees the write). Only the task's row: share
/// locks on the project's and team's rows, which every reminder of a
/// project shares, turn into multixacts that serialize the whole queue (the
/// reminders bench: ~350/s with them, whatever the number of workers).
fn firing_sql() -> String {
    format!(
        "SELECT {TASK_COLUMNS}, p.team_id, \
         (t.deleted_at IS NOT NULL OR p.deleted_at IS NOT NULL OR tm.deleted_at IS NOT NULL) AS deleted, \
         EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = p.team_id AND m.user_id = t.assignee_id) \
           AS assignee_is_member, \
         {} \
         FROM tasks t JOIN projects p ON p.id = t.project_id JOIN teams tm ON tm.id = p.team_id \
         WHERE t.id = ? FOR SHARE OF t",
        write_context::subscriptions_column("p.team_id")
    )
}

struct Firing {
    task: Task,
    team: TeamId,
    facts: TaskFacts,
    subscriptions: Vec<Subscription>,
}

fn firing(row: FiringRow) -> Result<Firing, DomainError> {
    let task = row.task.into_task()?;
    let facts = TaskFacts {
        title: task.fields.title.clone(),
        assignee: task.fields.assignee_id,
        due_at: task.fields.due_at,
        status: task.fields.status,
        deleted: row.deleted,
        assignee_is_member: row.assignee_is_member,
    };
    Ok(Firing {
        task,
        team: TeamId(row.team_id),
        facts,
        subscriptions: write_context::subscriptions(row.subscriptions)?,
    })
}

#[async_trait]
impl JobHandler for PgReminderHandler {
    fn kind(&self) -> JobKind {
        JobKind::TaskReminder
    }

    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let due: ReminderDue = serde_json::from_value(job.payload.clone())
            .map_err(|error| JobFailure::permanent_in("reminder payload", error))?;
        let job_id = job.id;
        let mut connection = self.pool.get().await.map_err(JobFailure::retryable)?;
        connection
            .transaction(async move |tx| {
                let mut sql = PreparedSql::new("");
                sql.push(&firing_sql(), vec![Bind::Uuid(due.task_id.as_uuid())]);
                let row: Option<FiringRow> = sql.get_result(tx).await.optional()?;
                let found = row.map(firing).transpose().map_err(PgError::Domain)?;
                let outcome = decide(&due, found.as_ref().map(|found| &found.facts));
                let (ReminderOutcome::Notify { user, message }, Some(found)) = (outcome, found)
                else {
                    return Ok(());
                };
                diesel::insert_into(notifications::table)
                    .values((
                        notifications::id.eq(Uuid::now_v7()),
                        notifications::user_id.eq(user.as_uuid()),
                        notifications::kind.eq(DUE_SOON),
                        notifications::task_id.eq(due.task_id.as_uuid()),
                        notifications::message.eq(message),
                        notifications::dedupe_key.eq(job_id.to_string()),
                    ))
                    .on_conflict_do_nothing()
                    .execute(tx)
                    .await?;
                // The `task.due_soon` event for the team's subscribed
                // webhooks, in the same transaction; keyed by this job, so a
                // second run enqueues nothing new.
                let deliveries = fan_out_due_soon(
                    found.team,
                    found.task,
                    job_id,
                    &found.subscriptions,
                    chrono::Utc::now(),
                );
                outbox::enqueue(tx, &deliveries).await?;
                Ok::<_, PgError>(())
            })
            .await
            .map_err(|error| JobFailure::retryable(DomainError::from(error)))
    }
}
