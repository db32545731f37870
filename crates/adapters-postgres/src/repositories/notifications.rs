//! `NotificationRepository` on PostgreSQL: a user's own notifications, newest
//! first (`notifications_user_idx` / `notifications_user_unread_idx`).

use crate::error::from_diesel;
use crate::schema::notifications;
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::ids::{NotificationId, TaskId, UserId};
use domain::notifications::{Notification, NotificationKind, NotificationRepository};
use domain::paging::{PageRequest, Paged};
use domain::DomainError;
use uuid::Uuid;

pub struct PgNotificationRepository {
    pool: PgPool,
}

impl PgNotificationRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = notifications)]
struct NotificationRow {
    id: Uuid,
    kind: String,
    task_id: Option<Uuid>,
    message: String,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

impl NotificationRow {
    fn into_notification(self) -> Result<Notification, DomainError> {
        let kind = NotificationKind::parse(&self.kind).ok_or_else(|| {
            DomainError::internal(format!("notification kind {:?} is unknown", self.kind))
        })?;
        let row = self;
        Ok(Notification {
            id: NotificationId(row.id),
            kind,
            task_id: row.task_id.map(TaskId),
            message: row.message,
            created_at: row.created_at,
            read_at: row.read_at,
        })
    }
}

#[async_trait]
impl NotificationRepository for PgNotificationRepository {
    async fn list(
        &self,
        user: UserId,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Paged<Notification>, DomainError> {
        let mut connection = self.pool.get().await?;
        let mine = || {
            let mut query = notifications::table
                .filter(notifications::user_id.eq(user.as_uuid()))
                .into_boxed();
            if unread_only {
                query = query.filter(notifications::read_at.is_null());
            }
            query
        };
        let rows: Vec<NotificationRow> = mine()
            .order((notifications::created_at.desc(), notifications::id.desc()))
            .limit(i64::from(page.limit))
            .offset(i64::from(page.offset))
            .select(NotificationRow::as_select())
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        let total: i64 = mine()
            .count()
            .get_result(&mut connection)
            .await
            .map_err(from_diesel)?;
        Paged { items: rows, total }.try_map(NotificationRow::into_notification)
    }

    async fn mark_read(
        &self,
        user: UserId,
        id: NotificationId,
        at: DateTime<Utc>,
    ) -> Result<bool, DomainError> {
        let mut connection = self.pool.get().await?;
        // COALESCE keeps the first read time: reading twice changes nothing.
        let updated = diesel::update(
            notifications::table
                .filter(notifications::id.eq(id.as_uuid()))
                .filter(notifications::user_id.eq(user.as_uuid())),
        )
        .set(
            notifications::read_at.eq(diesel::dsl::sql::<
                diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
            >("COALESCE(read_at, ")
            .bind::<diesel::sql_types::Timestamptz, _>(at)
            .sql(")")),
        )
        .execute(&mut connection)
        .await
        .map_err(from_diesel)?;
        Ok(updated == 1)
    }
}
