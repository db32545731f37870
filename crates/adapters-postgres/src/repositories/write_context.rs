//! Reading a write's context (`domain::outbox::WriteContext`): the actor's
//! name and the team's live webhooks, as extra columns of the statement that
//! authorizes the write, or on their own (`PgWriteContexts`).

use crate::error::from_diesel;
use crate::sql::prepared_sql::{Bind, PreparedSql};
use crate::PgPool;
use async_trait::async_trait;
use diesel::sql_types::{Jsonb, Nullable, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::ids::{TeamId, UserId, WebhookId};
use domain::jobs::ActorRef;
use domain::outbox::{DecidedOn, WriteContext, WriteContexts};
use domain::webhooks::Subscription;
use domain::DomainError;
use serde::Deserialize;

/// The actor's name (the actor bound at the one `?`).
const ACTOR_NAME: &str = "(SELECT u.name FROM users u WHERE u.id = ?)";

/// The context's columns for the team `team_sql` (an SQL expression of the
/// enclosing statement) and the actor bound at the one `?`.
pub(crate) fn columns(team_sql: &str) -> String {
    format!(
        "{ACTOR_NAME} AS actor_name, {}",
        subscriptions_column(team_sql)
    )
}

/// The team's live webhooks as one column, `subscriptions`: one JSON array
/// (a transport encoding, read back into `Subscription`s by
/// [`subscriptions`]); `webhooks_team_live_idx` finds them.
pub(crate) fn subscriptions_column(team_sql: &str) -> String {
    format!("{} AS subscriptions", subscriptions_of(team_sql))
}

fn subscriptions_of(team_sql: &str) -> String {
    format!(
        "(SELECT coalesce(jsonb_agg(jsonb_build_object('webhook', w.id, 'host', w.host, 'events', w.events) ORDER BY w.id), '[]'::jsonb) \
            FROM webhooks w WHERE w.team_id = {team_sql} AND w.deleted_at IS NULL)"
    )
}

/// The condition a write decided on `decided` stores under (a boolean SQL
/// expression): the actor still has that role in the live team, under the
/// same name, and the team's live webhooks are still those. The facts are
/// read here by the same expressions as in [`columns`], so what a write was
/// decided on and what its statement re-checks are one definition.
pub(crate) fn still_holds(decided: &DecidedOn) -> PreparedSql {
    let (team, actor) = (decided.context.team.as_uuid(), decided.context.actor.id);
    let mut sql = PreparedSql::new(
        "EXISTS (SELECT 1 FROM team_members m \
           JOIN teams tm ON tm.id = m.team_id AND tm.deleted_at IS NULL",
    );
    sql.push(
        " WHERE m.team_id = ? AND m.user_id = ? AND m.role = ?)",
        vec![
            Bind::Uuid(team),
            Bind::Uuid(actor.as_uuid()),
            Bind::Text(decided.role.as_str().to_owned()),
        ],
    );
    sql.push(
        &format!(" AND coalesce({ACTOR_NAME}, '') = ?"),
        vec![
            Bind::Uuid(actor.as_uuid()),
            Bind::Text(decided.context.actor.name.clone()),
        ],
    );
    sql.push(
        &format!(" AND {} = ?", subscriptions_of("?")),
        vec![
            Bind::Uuid(team),
            Bind::Json(subscriptions_json(&decided.context.subscriptions)),
        ],
    );
    sql
}

/// `subscriptions` as [`subscriptions_of`] encodes them (jsonb compares
/// objects by content, arrays in order: both are ordered by webhook id).
fn subscriptions_json(subscriptions: &[Subscription]) -> serde_json::Value {
    subscriptions
        .iter()
        .map(|subscription| {
            serde_json::json!({
                "webhook": subscription.webhook,
                "host": subscription.host,
                "events": subscription.events,
            })
        })
        .collect()
}

/// Reads the `subscriptions` column back.
pub(crate) fn subscriptions(column: serde_json::Value) -> Result<Vec<Subscription>, DomainError> {
    let rows: Vec<SubscriptionRow> = serde_json::from_value(column)
        .map_err(|error| DomainError::internal(format!("stored webhooks: {error}")))?;
    Ok(rows
        .into_iter()
        .map(|row| Subscription {
            webhook: row.webhook,
            host: row.host,
            events: row.events,
        })
        .collect())
}

#[derive(QueryableByName)]
pub(crate) struct WriteContextRow {
    #[diesel(sql_type = Nullable<Text>)]
    actor_name: Option<String>,
    #[diesel(sql_type = Jsonb)]
    subscriptions: serde_json::Value,
}

#[derive(Deserialize)]
struct SubscriptionRow {
    webhook: WebhookId,
    host: String,
    events: Vec<String>,
}

impl WriteContextRow {
    pub(crate) fn into_context(
        self,
        team: TeamId,
        actor: UserId,
    ) -> Result<WriteContext, DomainError> {
        Ok(WriteContext {
            team,
            actor: ActorRef {
                id: actor,
                name: self.actor_name.unwrap_or_default(),
            },
            subscriptions: subscriptions(self.subscriptions)?,
        })
    }
}

pub struct PgWriteContexts {
    pool: PgPool,
}

impl PgWriteContexts {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl WriteContexts for PgWriteContexts {
    async fn load(&self, team: TeamId, actor: UserId) -> Result<WriteContext, DomainError> {
        let mut connection = self.pool.get().await?;
        load_on(&mut connection, team, actor).await
    }
}

/// The write context of `team` for `actor`, on its own, on `connection`
/// (inside a transaction or not).
pub(crate) async fn load_on(
    connection: &mut AsyncPgConnection,
    team: TeamId,
    actor: UserId,
) -> Result<WriteContext, DomainError> {
    let mut sql = PreparedSql::new("SELECT ");
    sql.push(
        &columns("?"),
        vec![Bind::Uuid(actor.as_uuid()), Bind::Uuid(team.as_uuid())],
    );
    let row: WriteContextRow = sql.get_result(connection).await.map_err(from_diesel)?;
    row.into_context(team, actor)
}
