//! `TeamRepository` on PostgreSQL.

use crate::activity_log;
use crate::error::{from_diesel, unique_violation, PgError};
use crate::rows::{stored_role, UserRow};
use crate::schema::{projects, tasks, team_members, teams, users};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::access::Role;
use domain::ids::{ProjectId, TaskId, TeamId, UserId};
use domain::teams::{
    unassigned_on_removal, Member, MembershipChange, NewTeam, Team, TeamName, TeamRepository,
};
use domain::{ConflictKind, DomainError};
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
struct TeamRow {
    id: Uuid,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<TeamRow> for Team {
    fn from(row: TeamRow) -> Self {
        Team {
            id: TeamId(row.id),
            name: row.name,
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

/// Locks the live team's row for the rest of the transaction: every membership
/// change of one team runs one at a time, so "count admins, then change" cannot
/// interleave (two admins demoting each other at once both count 2 otherwise).
async fn lock_team(tx: &mut AsyncPgConnection, team: TeamId) -> Result<(), PgError> {
    teams::table
        .filter(teams::id.eq(team.as_uuid()))
        .filter(teams::deleted_at.is_null())
        .select(teams::id)
        .for_update()
        .first::<Uuid>(tx)
        .await
        .optional()?
        .map(drop)
        .ok_or(PgError::Domain(DomainError::NotFound("team")))
}

/// Reads, under the team's lock, the facts a membership change is decided on,
/// and lets the domain decide (`MembershipChange::check`).
async fn check_change(
    tx: &mut AsyncPgConnection,
    team: TeamId,
    actor: UserId,
    target: UserId,
    new_role: Option<Role>,
) -> Result<(), PgError> {
    let stored: Vec<(Uuid, String)> = team_members::table
        .filter(team_members::team_id.eq(team.as_uuid()))
        .select((team_members::user_id, team_members::role))
        .load(tx)
        .await?;
    let mut roles = Vec::with_capacity(stored.len());
    for (id, role) in &stored {
        roles.push((*id, stored_role(role).map_err(PgError::Domain)?));
    }
    let role_of = |user: UserId| {
        roles
            .iter()
            .find(|(id, _)| *id == user.as_uuid())
            .map(|(_, role)| *role)
    };
    let target_role = role_of(target).ok_or(PgError::Domain(DomainError::NotFound("member")))?;
    MembershipChange {
        actor,
        actor_role: role_of(actor),
        target,
        target_role,
        admins: roles.iter().filter(|(_, r)| *r == Role::Admin).count(),
        new_role,
    }
    .check()
    .map_err(PgError::Domain)
}

async fn load_member(
    tx: &mut AsyncPgConnection,
    team: TeamId,
    user: UserId,
) -> Result<Member, PgError> {
    let (row, role, joined_at): (UserRow, String, DateTime<Utc>) = team_members::table
        .inner_join(users::table)
        .filter(team_members::team_id.eq(team.as_uuid()))
        .filter(team_members::user_id.eq(user.as_uuid()))
        .select((
            UserRow::as_select(),
            team_members::role,
            team_members::joined_at,
        ))
        .first(tx)
        .await?;
    member(row, &role, joined_at).map_err(PgError::Domain)
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

    async fn rename(&self, team: TeamId, name: TeamName) -> Result<Team, DomainError> {
        let mut connection = self.pool.get().await?;
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
        .get_result(&mut connection)
        .await
        .optional()
        .map_err(from_diesel)?
        .map(Team::from)
        .ok_or(DomainError::NotFound("team"))
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
        Ok(())
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

    async fn add_member(
        &self,
        team: TeamId,
        user: UserId,
        role: Role,
    ) -> Result<Member, DomainError> {
        let mut connection = self.pool.get().await?;
        connection
            .transaction(async |tx| {
                lock_team(tx, team).await?;
                diesel::insert_into(team_members::table)
                    .values((
                        team_members::team_id.eq(team.as_uuid()),
                        team_members::user_id.eq(user.as_uuid()),
                        team_members::role.eq(role.as_str()),
                    ))
                    .execute(tx)
                    .await
                    .map_err(|error| match unique_violation(&error) {
                        Some("team_members_pkey") => {
                            PgError::Domain(DomainError::Conflict(ConflictKind::AlreadyMember))
                        }
                        _ => PgError::Query(error),
                    })?;
                load_member(tx, team, user).await
            })
            .await
            .map_err(DomainError::from)
    }

    async fn change_role(
        &self,
        team: TeamId,
        actor: UserId,
        user: UserId,
        new_role: Role,
    ) -> Result<Member, DomainError> {
        let mut connection = self.pool.get().await?;
        connection
            .transaction(async |tx| {
                lock_team(tx, team).await?;
                check_change(tx, team, actor, user, Some(new_role)).await?;
                diesel::update(
                    team_members::table
                        .filter(team_members::team_id.eq(team.as_uuid()))
                        .filter(team_members::user_id.eq(user.as_uuid())),
                )
                .set(team_members::role.eq(new_role.as_str()))
                .execute(tx)
                .await?;
                load_member(tx, team, user).await
            })
            .await
            .map_err(DomainError::from)
    }

    async fn remove_member(
        &self,
        team: TeamId,
        actor: UserId,
        user: UserId,
    ) -> Result<(), DomainError> {
        let mut connection = self.pool.get().await?;
        connection
            .transaction(async |tx| {
                lock_team(tx, team).await?;
                check_change(tx, team, actor, user, None).await?;
                diesel::delete(
                    team_members::table
                        .filter(team_members::team_id.eq(team.as_uuid()))
                        .filter(team_members::user_id.eq(user.as_uuid())),
                )
                .execute(tx)
                .await?;
                // Removal unassigns the member's live tasks in this team, in
                // this transaction (domain::teams::removal says why); the
                // task triggers cancel their reminders and bump the lists.
                let unassigned: Vec<(Uuid, Uuid)> = diesel::update(
                    tasks::table
                        .filter(tasks::assignee_id.eq(user.as_uuid()))
                        .filter(tasks::deleted_at.is_null())
                        .filter(
                            tasks::project_id.eq_any(
                                projects::table
                                    .filter(projects::team_id.eq(team.as_uuid()))
                                    .select(projects::id),
                            ),
                        ),
                )
                .set((
                    tasks::assignee_id.eq(None::<Uuid>),
                    tasks::version.eq(tasks::version + 1),
                    tasks::updated_at.eq(Utc::now()),
                ))
                .returning((tasks::id, tasks::project_id))
                .get_results(tx)
                .await?;
                for (task, project) in unassigned {
                    let entry =
                        unassigned_on_removal(ProjectId(project), actor, TaskId(task), user);
                    activity_log::insert(tx, &entry).await?;
                }
                Ok::<_, PgError>(())
            })
            .await
            .map_err(DomainError::from)
    }
}
