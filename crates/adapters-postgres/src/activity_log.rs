//! Writing activity entries (inside other repositories' transactions) and
//! reading the project feed.

use crate::error::from_diesel;
use crate::schema::{activity_logs, users};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::activity::{ActivityEntry, ActivityRepository, Actor, NewActivity};
use domain::ids::{ActivityId, ProjectId, UserId};
use domain::paging::{PageRequest, Paged};
use domain::DomainError;
use uuid::Uuid;

/// Inserts `activity` on `tx`: callers pass their open transaction, so the entry
/// and the write it describes commit or roll back together.
pub(crate) async fn insert(
    tx: &mut AsyncPgConnection,
    activity: &NewActivity,
) -> Result<(), diesel::result::Error> {
    diesel::insert_into(activity_logs::table)
        .values((
            activity_logs::id.eq(activity.id.as_uuid()),
            activity_logs::project_id.eq(activity.project_id.as_uuid()),
            activity_logs::actor_id.eq(activity.actor.as_uuid()),
            activity_logs::action.eq(activity.action.as_str()),
            activity_logs::entity_type.eq(activity.action.entity_type().as_str()),
            activity_logs::entity_id.eq(activity.entity_id),
            activity_logs::changes.eq(&activity.changes),
        ))
        .execute(tx)
        .await
        .map(drop)
}

pub struct PgActivityRepository {
    pool: PgPool,
}

impl PgActivityRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

type EntryRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    Uuid,
    serde_json::Value,
    DateTime<Utc>,
);

#[async_trait]
impl ActivityRepository for PgActivityRepository {
    async fn list(
        &self,
        project: ProjectId,
        page: PageRequest,
    ) -> Result<Paged<ActivityEntry>, DomainError> {
        let mut connection = self.pool.get().await?;
        let rows: Vec<EntryRow> = activity_logs::table
            .inner_join(users::table)
            .filter(activity_logs::project_id.eq(project.as_uuid()))
            .order((activity_logs::created_at.desc(), activity_logs::id.desc()))
            .limit(i64::from(page.limit))
            .offset(i64::from(page.offset))
            .select((
                activity_logs::id,
                users::id,
                users::name,
                activity_logs::action,
                activity_logs::entity_type,
                activity_logs::entity_id,
                activity_logs::changes,
                activity_logs::created_at,
            ))
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        let total: i64 = activity_logs::table
            .filter(activity_logs::project_id.eq(project.as_uuid()))
            .count()
            .get_result(&mut connection)
            .await
            .map_err(from_diesel)?;
        let items = rows
            .into_iter()
            .map(
                |(
                    id,
                    actor_id,
                    actor_name,
                    action,
                    entity_type,
                    entity_id,
                    changes,
                    created_at,
                )| ActivityEntry {
                    id: ActivityId(id),
                    actor: Actor {
                        id: UserId(actor_id),
                        name: actor_name,
                    },
                    action,
                    entity_type,
                    entity_id,
                    changes,
                    created_at,
                },
            )
            .collect();
        Ok(Paged { items, total })
    }
}
