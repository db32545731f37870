//! `WebhookRepository` on PostgreSQL. The signing secret is stored (the
//! worker signs with it) and read only by delivery; nothing here returns it.

use crate::error::from_diesel;
use crate::schema::{jobs, teams, webhooks};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
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
    async fn create_within(
        &self,
        webhook: NewWebhook,
        limit: usize,
    ) -> Result<Option<Webhook>, DomainError> {
        let mut connection = self.pool.get().await?;
        connection
            .transaction(async move |tx| {
                // The team's row lock orders concurrent registrations: the
                // count below cannot be stale when the insert lands.
                teams::table
                    .filter(teams::id.eq(webhook.team_id.as_uuid()))
                    .select(teams::id)
                    .for_update()
                    .first::<uuid::Uuid>(tx)
                    .await?;
                let live: i64 = webhooks::table
                    .filter(webhooks::team_id.eq(webhook.team_id.as_uuid()))
                    .filter(webhooks::deleted_at.is_null())
                    .count()
                    .get_result(tx)
                    .await?;
                if usize::try_from(live).unwrap_or(usize::MAX) >= limit {
                    return Ok(None);
                }
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
                    .get_result(tx)
                    .await
                    .map(Some)
            })
            .await
            .map_err(from_diesel)?
            .map(WebhookRow::into_webhook)
            .transpose()
    }

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

    /// Soft-deletes it and, in the same transaction, drops its deliveries
    /// still waiting in the queue: a deleted webhook receives nothing more.
    async fn delete(&self, id: WebhookId) -> Result<(), DomainError> {
        let mut connection = self.pool.get().await?;
        connection
            .transaction(async move |tx| {
                diesel::update(webhooks::table.filter(webhooks::id.eq(id.as_uuid())))
                    .set(webhooks::deleted_at.eq(Utc::now()))
                    .execute(tx)
                    .await?;
                diesel::delete(
                    jobs::table
                        .filter(jobs::kind.eq("webhook_delivery"))
                        .filter(jobs::status.eq("queued"))
                        .filter(
                            diesel::dsl::sql::<diesel::sql_types::Text>("payload->>'webhook_id'")
                                .eq(id.as_uuid().to_string()),
                        ),
                )
                .execute(tx)
                .await?;
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(from_diesel)
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
