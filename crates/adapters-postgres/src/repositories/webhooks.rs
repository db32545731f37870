//! `WebhookRepository` on PostgreSQL. The signing secret is stored (the
//! worker signs with it) and read only by delivery; nothing here returns it.

use crate::error::from_diesel;
use crate::schema::{jobs, teams, webhooks};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::ids::{TeamId, WebhookId};
use domain::paging::{PageRequest, Paged};
use domain::webhooks::{NewWebhook, Webhook, WebhookEvents, WebhookRepository, WebhookUrl};
use domain::DomainError;
use uuid::Uuid;

pub struct PgWebhookRepository {
    pool: PgPool,
}

impl PgWebhookRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhooks)]
struct WebhookRow {
    id: Uuid,
    team_id: Uuid,
    url: String,
    events: Vec<String>,
    created_at: DateTime<Utc>,
}

impl WebhookRow {
    /// The stored values were parsed at registration; one that no longer
    /// parses is a broken invariant, not the client's error.
    fn into_webhook(self) -> Result<Webhook, DomainError> {
        let corrupt = |_| DomainError::internal(format!("webhook {} is stored invalid", self.id));
        Ok(Webhook {
            id: WebhookId(self.id),
            team_id: TeamId(self.team_id),
            url: WebhookUrl::parse(&self.url).map_err(corrupt)?,
            events: WebhookEvents::parse(&self.events).map_err(corrupt)?,
            created_at: self.created_at,
        })
    }
}

#[async_trait]
impl WebhookRepository for PgWebhookRepository {
    async fn list(&self, team: TeamId, page: PageRequest) -> Result<Paged<Webhook>, DomainError> {
        let mut connection = self.pool.get().await?;
        let live = webhooks::team_id
            .eq(team.as_uuid())
            .and(webhooks::deleted_at.is_null());
        let rows: Vec<WebhookRow> = webhooks::table
            .filter(live)
            .order((webhooks::created_at.desc(), webhooks::id.desc()))
            .limit(i64::from(page.limit))
            .offset(i64::from(page.offset))
            .select(WebhookRow::as_select())
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        let total = webhooks::table
            .filter(live)
            .count()
            .get_result(&mut connection)
            .await
            .map_err(from_diesel)?;
        Paged { items: rows, total }.try_map(WebhookRow::into_webhook)
    }

    async fn get(&self, id: WebhookId) -> Result<Option<Webhook>, DomainError> {
        let mut connection = self.pool.get().await?;
        webhooks::table
            .inner_join(teams::table)
            .filter(webhooks::id.eq(id.as_uuid()))
            .filter(webhooks::deleted_at.is_null())
            .filter(teams::deleted_at.is_null())
            .select(WebhookRow::as_select())
            .first(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?
            .map(WebhookRow::into_webhook)
            .transpose()
    }
}

/// The worker's view: where a live webhook delivers and its secret.
#[async_trait]
impl domain::webhooks::WebhookTargets for PgWebhookRepository {
    async fn target(
        &self,
        webhook: WebhookId,
    ) -> Result<Option<domain::webhooks::DeliveryTarget>, DomainError> {
        let mut connection = self.pool.get().await?;
        webhooks::table
            .inner_join(teams::table)
            .filter(webhooks::id.eq(webhook.as_uuid()))
            .filter(webhooks::deleted_at.is_null())
            .filter(teams::deleted_at.is_null())
            .select((webhooks::url, webhooks::secret))
            .first::<(String, String)>(&mut connection)
            .await
            .optional()
            .map(|row| row.map(|(url, secret)| domain::webhooks::DeliveryTarget { url, secret }))
            .map_err(from_diesel)
    }
}

/// How many live webhooks `team` has, on `connection` (under the team's
/// lock, so the count holds until its transaction ends).
pub(crate) async fn live_on(
    connection: &mut AsyncPgConnection,
    team: TeamId,
) -> Result<usize, DomainError> {
    let live: i64 = webhooks::table
        .filter(webhooks::team_id.eq(team.as_uuid()))
        .filter(webhooks::deleted_at.is_null())
        .count()
        .get_result(connection)
        .await
        .map_err(from_diesel)?;
    Ok(usize::try_from(live).unwrap_or(usize::MAX))
}

/// Stores a webhook on `connection` (the team's unit of work).
pub(crate) async fn insert_on(
    connection: &mut AsyncPgConnection,
    webhook: NewWebhook,
) -> Result<Webhook, DomainError> {
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(webhook.id.as_uuid()),
            webhooks::team_id.eq(webhook.team_id.as_uuid()),
            webhooks::url.eq(webhook.url.as_str()),
            webhooks::host.eq(webhook.url.host()),
            webhooks::events.eq(webhook.events.into_inner()),
            webhooks::secret.eq(&webhook.secret),
            webhooks::created_by.eq(webhook.created_by.as_uuid()),
        ))
        .returning(WebhookRow::as_returning())
        .get_result(connection)
        .await
        .map_err(from_diesel)?
        .into_webhook()
}

/// Soft-deletes `team`'s live webhook `id` on `connection` and drops its
/// deliveries still waiting in the queue (a deleted webhook receives
/// nothing more); whether it was live.
pub(crate) async fn delete_on(
    connection: &mut AsyncPgConnection,
    team: TeamId,
    id: WebhookId,
) -> Result<bool, DomainError> {
    let deleted = diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(id.as_uuid()))
            .filter(webhooks::team_id.eq(team.as_uuid()))
            .filter(webhooks::deleted_at.is_null()),
    )
    .set(webhooks::deleted_at.eq(Utc::now()))
    .execute(connection)
    .await
    .map_err(from_diesel)?;
    if deleted == 0 {
        return Ok(false);
    }
    diesel::delete(
        jobs::table
            .filter(jobs::kind.eq("webhook_delivery"))
            .filter(jobs::status.eq("queued"))
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Text>("payload->>'webhook_id'")
                    .eq(id.as_uuid().to_string()),
            ),
    )
    .execute(connection)
    .await
    .map_err(from_diesel)?;
    Ok(true)
}
