//! `TeamLocks` on PostgreSQL: a membership change's transaction, held open
//! across the domain's decision. `lock` begins it on a pooled connection and
//! takes the team row's lock; the `PgLockedTeam` it returns owns that
//! connection until `commit`. Dropped without committing (the domain refused,
//! or a statement failed), the connection goes back to the pool with its
//! transaction open, and the pool's recycle check discards it: closing the
//! connection rolls the transaction back. A refused change thus costs one
//! reconnect, which is why the common refusals (`Forbidden` before the lock)
//! are decided before `lock` is called.

use crate::error::{from_diesel, unique_violation};
use crate::pool::PgConnection;
use crate::repositories::write_context;
use crate::schema::{projects, tasks, team_members, teams, users};
use crate::sql::outbox;
use crate::sql::rows::{stored_role, UserRow};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
use domain::access::Role;
use domain::ids::{ProjectId, TaskId, TeamId, UserId};
use domain::outbox::{Outbox, WriteContext};
use domain::teams::{LockedTeam, Member, Roster, TeamLocks};
use domain::{ConflictKind, DomainError};
use uuid::Uuid;

type Transactions = <AsyncPgConnection as AsyncConnection>::TransactionManager;

pub struct PgTeamLocks {
    pool: PgPool,
}

impl PgTeamLocks {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

pub struct PgLockedTeam {
    connection: PgConnection,
    team: TeamId,
    roster: Roster,
}

#[async_trait]
impl TeamLocks for PgTeamLocks {
    async fn lock(&self, team: TeamId) -> Result<Option<Box<dyn LockedTeam>>, DomainError> {
        let mut connection = self.pool.get().await?;
        Transactions::begin_transaction(&mut *connection)
            .await
            .map_err(from_diesel)?;
        // The lock first, alone: the roster is read by the next statement,
        // whose snapshot is taken after the lock was granted, so it sees
        // every membership change committed before (one statement joining
        // both would read the members as of before its wait).
        let locked = teams::table
            .filter(teams::id.eq(team.as_uuid()))
            .filter(teams::deleted_at.is_null())
            .select(teams::id)
            .for_update()
            .first::<Uuid>(&mut *connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        if locked.is_none() {
            return Ok(None);
        }
        let stored: Vec<(Uuid, String)> = team_members::table
            .filter(team_members::team_id.eq(team.as_uuid()))
            .select((team_members::user_id, team_members::role))
            .load(&mut *connection)
            .await
            .map_err(from_diesel)?;
        let mut roster = Vec::with_capacity(stored.len());
        for (user, role) in &stored {
            roster.push((UserId(*user), stored_role(role)?));
        }
        Ok(Some(Box::new(PgLockedTeam {
            connection,
            team,
            roster: Roster::new(roster),
        })))
    }
}

impl PgLockedTeam {
    async fn member(&mut self, user: UserId) -> Result<Member, DomainError> {
        let (row, role, joined_at): (UserRow, String, DateTime<Utc>) = team_members::table
            .inner_join(users::table)
            .filter(team_members::team_id.eq(self.team.as_uuid()))
            .filter(team_members::user_id.eq(user.as_uuid()))
            .select((
                UserRow::as_select(),
                team_members::role,
                team_members::joined_at,
            ))
            .first(&mut *self.connection)
            .await
            .map_err(from_diesel)?;
        Ok(Member {
            user: row.into_user(),
            role: stored_role(&role)?,
            joined_at,
        })
    }
}

#[async_trait]
impl LockedTeam for PgLockedTeam {
    fn roster(&self) -> Roster {
        self.roster.clone()
    }

    async fn insert_member(&mut self, user: UserId, role: Role) -> Result<Member, DomainError> {
        diesel::insert_into(team_members::table)
            .values((
                team_members::team_id.eq(self.team.as_uuid()),
                team_members::user_id.eq(user.as_uuid()),
                team_members::role.eq(role.as_str()),
            ))
            .execute(&mut *self.connection)
            .await
            .map_err(|error| match unique_violation(&error) {
                Some("team_members_pkey") => DomainError::Conflict(ConflictKind::AlreadyMember),
                _ => from_diesel(error),
            })?;
        self.member(user).await
    }

    async fn update_role(&mut self, user: UserId, role: Role) -> Result<Member, DomainError> {
        diesel::update(
            team_members::table
                .filter(team_members::team_id.eq(self.team.as_uuid()))
                .filter(team_members::user_id.eq(user.as_uuid())),
        )
        .set(team_members::role.eq(role.as_str()))
        .execute(&mut *self.connection)
        .await
        .map_err(from_diesel)?;
        self.member(user).await
    }

    async fn delete_member(&mut self, user: UserId) -> Result<(), DomainError> {
        diesel::delete(
            team_members::table
                .filter(team_members::team_id.eq(self.team.as_uuid()))
                .filter(team_members::user_id.eq(user.as_uuid())),
        )
        .execute(&mut *self.connection)
        .await
        .map(drop)
        .map_err(from_diesel)
    }

    async fn unassign_tasks(
        &mut self,
        user: UserId,
    ) -> Result<Vec<(TaskId, ProjectId)>, DomainError> {
        let unassigned: Vec<(Uuid, Uuid)> = diesel::update(
            tasks::table
                .filter(tasks::assignee_id.eq(user.as_uuid()))
                .filter(tasks::deleted_at.is_null())
                .filter(
                    tasks::project_id.eq_any(
                        projects::table
                            .filter(projects::team_id.eq(self.team.as_uuid()))
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
        .get_results(&mut *self.connection)
        .await
        .map_err(from_diesel)?;
        Ok(unassigned
            .into_iter()
            .map(|(task, project)| (TaskId(task), ProjectId(project)))
            .collect())
    }

    async fn write_context(&mut self, actor: UserId) -> Result<WriteContext, DomainError> {
        write_context::load_on(&mut self.connection, self.team, actor).await
    }

    async fn record(&mut self, outbox: Outbox) -> Result<(), DomainError> {
        outbox::store(&mut self.connection, &outbox)
            .await
            .map_err(from_diesel)
    }

    async fn commit(mut self: Box<Self>) -> Result<(), DomainError> {
        Transactions::commit_transaction(&mut *self.connection)
            .await
            .map_err(from_diesel)
    }
}
