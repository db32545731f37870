//! The worker's handler for `task_reminder` jobs, a claimed batch at a time.
//! Each job was armed by its task's own write (domain::notifications::arm, in
//! its outbox); here, in one transaction for the whole batch: read the tasks
//! as they are now (one statement), let the domain decide for each whether
//! its reminder still applies, and create the assignees' notifications (one
//! statement) — unique per reminder job, so a job that runs twice (its worker
//! died after the insert, before the outcome was recorded) cannot notify
//! twice — and, for the team's webhooks subscribed to `task.due_soon`, the
//! deliveries the domain fans out (`domain::webhooks::fan_out_due_soon`),
//! keyed by each job (one statement).

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
use domain::ids::JobId;
use domain::ids::TeamId;
use domain::jobs::{BatchJobHandler, Job, JobFailure, JobHandler, JobKind};
use domain::notifications::{decide, ReminderDue, ReminderOutcome, TaskFacts, DUE_SOON};
use domain::tasks::Task;
use domain::webhooks::{fan_out_due_soon, Subscription};
use domain::DomainError;
use std::collections::HashMap;
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
/// to commit (or the reminder sees the write). A batch locks its tasks in id
/// order, so two transactions that lock several tasks meet in one order
/// rather than deadlock. Only the task's row: share
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
         WHERE t.id = ANY(?) ORDER BY t.id FOR SHARE OF t",
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

/// The failure every job of a batch shares when the batch's transaction
/// fails: each job is retried, and each records why.
#[derive(Debug, thiserror::Error)]
#[error("the reminder batch's transaction failed: {0}")]
struct BatchFailed(String);

impl PgReminderHandler {
    /// Fires every decoded reminder in one transaction.
    async fn fire(&self, reminders: Vec<(JobId, ReminderDue)>) -> Result<(), DomainError> {
        let mut connection = self.pool.get().await?;
        connection
            .transaction(async move |tx| {
                let tasks = reminders
                    .iter()
                    .map(|(_, due)| due.task_id.as_uuid())
                    .collect();
                let mut sql = PreparedSql::new("");
                sql.push(&firing_sql(), vec![Bind::Uuids(tasks)]);
                let rows: Vec<FiringRow> = sql.load(tx).await?;
                let mut found = HashMap::new();
                for row in rows {
                    let firing = firing(row).map_err(PgError::Domain)?;
                    found.insert(firing.task.id, firing);
                }
                let now = chrono::Utc::now();
                let (mut notified, mut deliveries) = (Vec::new(), Vec::new());
                for (job_id, due) in &reminders {
                    let firing = found.get(&due.task_id);
                    let outcome = decide(due, firing.map(|found| &found.facts));
                    let (ReminderOutcome::Notify { user, message }, Some(firing)) =
                        (outcome, firing)
                    else {
                        continue;
                    };
                    notified.push((
                        notifications::id.eq(Uuid::now_v7()),
                        notifications::user_id.eq(user.as_uuid()),
                        notifications::kind.eq(DUE_SOON),
                        notifications::task_id.eq(due.task_id.as_uuid()),
                        notifications::message.eq(message),
                        notifications::dedupe_key.eq(job_id.to_string()),
                    ));
                    // The `task.due_soon` event for the team's subscribed
                    // webhooks, in the same transaction; keyed by this job,
                    // so a second run enqueues nothing new.
                    deliveries.extend(fan_out_due_soon(
                        firing.team,
                        firing.task.clone(),
                        *job_id,
                        &firing.subscriptions,
                        now,
                    ));
                }
                if !notified.is_empty() {
                    diesel::insert_into(notifications::table)
                        .values(notified)
                        .on_conflict_do_nothing()
                        .execute(tx)
                        .await?;
                }
                if !deliveries.is_empty() {
                    outbox::enqueue(tx, &deliveries).await?;
                }
                Ok::<_, PgError>(())
            })
            .await
            .map_err(DomainError::from)
    }
}

#[async_trait]
impl BatchJobHandler for PgReminderHandler {
    fn kind(&self) -> JobKind {
        JobKind::TaskReminder
    }

    async fn run_batch(&self, jobs: &[Job]) -> Vec<Result<(), JobFailure>> {
        let decoded: Vec<Result<ReminderDue, serde_json::Error>> = jobs
            .iter()
            .map(|job| serde_json::from_value(job.payload.clone()))
            .collect();
        let reminders: Vec<(JobId, ReminderDue)> = jobs
            .iter()
            .zip(&decoded)
            .filter_map(|(job, due)| Some((job.id, due.as_ref().ok()?.clone())))
            .collect();
        let fired = if reminders.is_empty() {
            Ok(())
        } else {
            self.fire(reminders)
                .await
                .map_err(|error| error.to_string())
        };
        decoded
            .into_iter()
            .map(|due| match (due, &fired) {
                (Err(error), _) => Err(JobFailure::permanent_in("reminder payload", error)),
                (Ok(_), Ok(())) => Ok(()),
                (Ok(_), Err(error)) => Err(JobFailure::retryable(BatchFailed(error.clone()))),
            })
            .collect()
    }
}

/// One reminder alone: the batch path with a batch of one.
#[async_trait]
impl JobHandler for PgReminderHandler {
    fn kind(&self) -> JobKind {
        JobKind::TaskReminder
    }

    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let mut results = self.run_batch(std::slice::from_ref(job)).await;
        results
            .pop()
            .unwrap_or_else(|| Err(JobFailure::retryable("the batch answered no outcome")))
    }
}
