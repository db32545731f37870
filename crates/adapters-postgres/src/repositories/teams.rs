//! `TeamRepository` on PostgreSQL: teams and their member lists. Membership
//! changes run as units of work (`team_locks.rs`).

use crate::error::from_diesel;
use crate::schema::{team_members, teams, users};
use crate::sql::rows::{stored_role, UserRow};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::access::Role;
use domain::ids::{TeamId, UserId};
use domain::teams::{Member, NewTeam, Team, TeamName, TeamRepository};
use domain::DomainError;
use uuid::Uuid;

pub struct PgTeamRepository {
    pool: PgPool,
}

impl PgTeamRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = teams)]
pub(crate) struct TeamRow {
    id: Uuid,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<TeamRow> for Team {
    fn from(row: TeamRow) -> Self {
        Team {
            id: TeamId(row.id),
            name: TeamName::stored(row.name),
            created_at: row.created_at,
        }
    }
}

fn member(user: UserRow, stored: &str, joined_at: DateTime<Utc>) -> Result<Member, DomainError> {
    Ok(Member {
        user: user.into_user(),
        role: stored_role(stored)?,
        joined_at,
    })
}

#[async_trait]
impl TeamRepository for PgTeamRepository {
    async fn create_with_admin(&self, team: NewTeam, creator: UserId) -> Result<Team, DomainError> {
        let mut connection = self.pool.get().await?;
        connection
            .transaction(async |tx| {
                let row: TeamRow = diesel::insert_into(teams::table)
                    .values((
                        teams::id.eq(team.id.as_uuid()),
                        teams::name.eq(team.name.as_str()),
                    ))
                    .returning(TeamRow::as_returning())
                    .get_result(tx)
                    .await?;
                diesel::insert_into(team_members::table)
                    .values((
                        team_members::team_id.eq(row.id),
                        team_members::user_id.eq(creator.as_uuid()),
                        team_members::role.eq(Role::Admin.as_str()),
                    ))
                    .execute(tx)
                    .await?;
                Ok::<_, diesel::result::Error>(Team::from(row))
            })
            .await
            .map_err(|error| {
                // The only foreign key here is the creator: a deleted account
                // whose access token has not expired yet.
                if matches!(
                    error,
                    diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                        _
                    )
                ) {
                    DomainError::Unauthenticated("user no longer exists")
                } else {
                    from_diesel(error)
                }
            })
    }

    async fn account_exists(&self, user: UserId) -> Result<bool, DomainError> {
        let mut connection = self.pool.get().await?;
        diesel::select(diesel::dsl::exists(
            users::table.filter(users::id.eq(user.as_uuid())),
        ))
        .get_result(&mut connection)
        .await
        .map_err(from_diesel)
    }

    async fn list_for_user(&self, user: UserId) -> Result<Vec<(Team, Role)>, DomainError> {
        let mut connection = self.pool.get().await?;
        let rows: Vec<(TeamRow, String)> = team_members::table
            .inner_join(teams::table)
            .filter(team_members::user_id.eq(user.as_uuid()))
            .filter(teams::deleted_at.is_null())
            .order((teams::created_at.asc(), teams::id.asc()))
            .select((TeamRow::as_select(), team_members::role))
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        rows.into_iter()
            .map(|(team, stored)| Ok((Team::from(team), stored_role(&stored)?)))
            .collect()
    }

    async fn membership(
        &self,
        team: TeamId,
        user: UserId,
    ) -> Result<Option<(Team, Role)>, DomainError> {
        let mut connection = self.pool.get().await?;
        let row: Option<(TeamRow, String)> = team_members::table
            .inner_join(teams::table)
            .filter(team_members::team_id.eq(team.as_uuid()))
            .filter(team_members::user_id.eq(user.as_uuid()))
            .filter(teams::deleted_at.is_null())
            .select((TeamRow::as_select(), team_members::role))
            .first(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(|(team, stored)| Ok((Team::from(team), stored_role(&stored)?)))
            .transpose()
    }

    async fn soft_delete(&self, team: TeamId) -> Result<(), DomainError> {
        let mut connection = self.pool.get().await?;
        let now = Utc::now();
        let updated = diesel::update(
            teams::table
                .filter(teams::id.eq(team.as_uuid()))
                .filter(teams::deleted_at.is_null()),
        )
        .set((teams::deleted_at.eq(now), teams::updated_at.eq(now)))
        .execute(&mut connection)
        .await
        .map_err(from_diesel)?;
        if updated == 0 {
            return Err(DomainError::NotFound("team"));
        }
        // Its projects' streams end (`deleted`): every stream re-checks.
        crate::events::announce_access_change(&mut connection, None).await
    }

    async fn members(&self, team: TeamId) -> Result<Vec<Member>, DomainError> {
        let mut connection = self.pool.get().await?;
        let rows: Vec<(UserRow, String, DateTime<Utc>)> = team_members::table
            .inner_join(users::table)
            .filter(team_members::team_id.eq(team.as_uuid()))
            .order((team_members::joined_at.asc(), team_members::user_id.asc()))
            .select((
                UserRow::as_select(),
                team_members::role,
                team_members::joined_at,
            ))
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        rows.into_iter()
            .map(|(user, stored, joined_at)| member(user, &stored, joined_at))
            .collect()
    }
}

/// Renames the live team on `connection` (the team's unit of work,
/// `team_locks.rs`).
pub(crate) async fn rename_on(
    connection: &mut diesel_async::AsyncPgConnection,
    team: TeamId,
    name: &TeamName,
) -> Result<Team, DomainError> {
    diesel::update(
        teams::table
            .filter(teams::id.eq(team.as_uuid()))
            .filter(teams::deleted_at.is_null()),
    )
    .set((
        teams::name.eq(name.as_str()),
        teams::updated_at.eq(Utc::now()),
    ))
    .returning(TeamRow::as_returning())
    .get_result(connection)
    .await
    .optional()
    .map_err(from_diesel)?
    .map(Team::from)
    .ok_or(DomainError::NotFound("team"))
}
