//! Reading the project feed and the team's audit trail (entries are written
//! by `outbox::store` and `outbox::store_team`, inside the transaction of the
//! write they describe).

use crate::error::from_diesel;
use crate::schema::{activity_logs, team_activity_logs, users};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::activity::{
    ActivityAction, ActivityEntry, ActivityRepository, Actor, TeamActivityRepository,
};
use domain::ids::{ActivityId, ProjectId, TeamId, UserId};
use domain::paging::{PageRequest, Paged};
use domain::DomainError;
use uuid::Uuid;

pub struct PgActivityRepository {
    pool: PgPool,
}

impl PgActivityRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// A stored entry, read back into the domain's own types (its entity type
/// follows from its action).
pub(crate) fn entry(
    (id, actor_id, actor_name, action, entity_id, changes, created_at): EntryRow,
) -> Result<ActivityEntry, DomainError> {
    let changes = serde_json::from_value(changes)
        .map_err(|error| DomainError::internal(format!("activity {id} changes: {error}")))?;
    let action = ActivityAction::parse(&action)
        .ok_or_else(|| DomainError::internal(format!("activity {id}: unknown action {action}")))?;
    Ok(ActivityEntry {
        id: ActivityId(id),
        actor: Actor {
            id: UserId(actor_id),
            name: actor_name,
        },
        action,
        entity_id,
        changes,
        created_at,
    })
}

pub(crate) type EntryRow = (
    Uuid,
    Uuid,
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
        let items = rows.into_iter().map(entry).collect::<Result<_, _>>()?;
        Ok(Paged { items, total })
    }
}

pub struct PgTeamActivityRepository {
    pool: PgPool,
}

impl PgTeamActivityRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl TeamActivityRepository for PgTeamActivityRepository {
    async fn list(
        &self,
        team: TeamId,
        page: PageRequest,
    ) -> Result<Paged<ActivityEntry>, DomainError> {
        let mut connection = self.pool.get().await?;
        let rows: Vec<EntryRow> = team_activity_logs::table
            .inner_join(users::table)
            .filter(team_activity_logs::team_id.eq(team.as_uuid()))
            .order((
                team_activity_logs::created_at.desc(),
                team_activity_logs::id.desc(),
            ))
            .limit(i64::from(page.limit))
            .offset(i64::from(page.offset))
            .select((
                team_activity_logs::id,
                users::id,
                users::name,
                team_activity_logs::action,
                team_activity_logs::team_id,
                team_activity_logs::changes,
                team_activity_logs::created_at,
            ))
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        let total: i64 = team_activity_logs::table
            .filter(team_activity_logs::team_id.eq(team.as_uuid()))
            .count()
            .get_result(&mut connection)
            .await
            .map_err(from_diesel)?;
        let items = rows.into_iter().map(entry).collect::<Result<_, _>>()?;
        Ok(Paged { items, total })
    }
}
