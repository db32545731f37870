//! `TeamLocks` on PostgreSQL: a change of a team's name, people, invitations
//! or webhooks, with its audit entry, as one transaction held open across
//! the domain's decision. `lock` begins it on a pooled connection and
//! takes the team row's lock; the `PgLockedTeam` it returns owns that
//! connection until `commit`. Dropped without committing (the domain refused,
//! or a statement failed), it closes the connection instead of returning it
//! to the pool (`HeldConnection`): closing rolls the transaction back and
//! frees the team's lock at once. A refused change thus costs one reconnect,
//! which is why the common refusals (`Forbidden` before the lock) are
//! decided before `lock` is called.

use crate::error::{from_diesel, unique_violation};
use crate::pool::PgConnection;
use crate::repositories::teams::{rename_on, TeamRow};
use crate::repositories::write_context;
use crate::repositories::{invitations as stored_invitations, webhooks as stored_webhooks};
use crate::schema::{invitations, projects, tasks, team_members, teams, users};
use crate::sql::outbox;
use crate::sql::rows::{stored_role, UserRow};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
use domain::access::Role;
use domain::ids::{ProjectId, TaskId, TeamId, UserId, WebhookId};
use domain::invitations::{Invitation, NewInvitation};
use domain::outbox::{Outbox, TeamOutbox, WriteContext};
use domain::teams::{LockedTeam, Member, Roster, Team, TeamLocks, TeamName};
use domain::webhooks::{NewWebhook, Webhook};
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
    connection: HeldConnection,
    team: TeamId,
    /// The team's row as locked (renamed in place by `rename`).
    row: Team,
    roster: Roster,
    /// Announces the recorded projects' activity once committed.
    pool: PgPool,
    recorded: Vec<ProjectId>,
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
            .select(TeamRow::as_select())
            .for_update()
            .first::<TeamRow>(&mut *connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        let Some(row) = locked else {
            return Ok(None);
        };
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
            connection: HeldConnection(Some(connection)),
            team,
            row: Team::from(row),
            roster: Roster::new(roster),
            pool: self.pool.clone(),
            recorded: Vec::new(),
        })))
    }
}

/// A locked team's connection, mid-transaction. Only `release` (after the
/// commit) returns it to the pool; dropped before that, it is closed. Back
/// in the pool with its transaction open, it would sit there idle, holding
/// the team's lock, until the pool next handed it out (the recycle check
/// would then discard it): the next change of that team on any other
/// connection waited that long (`make test-api` saw an "add member" wait
/// out its 10 s timeout after a refused one; pinned by
/// `teams::a_refused_membership_change_leaves_the_team_unlocked`).
struct HeldConnection(Option<PgConnection>);

impl HeldConnection {
    /// The connection, until `release`.
    fn get(&mut self) -> Result<&mut AsyncPgConnection, DomainError> {
        self.0
            .as_deref_mut()
            .ok_or_else(|| DomainError::internal_from("team lock", "used after commit"))
    }

    fn release(&mut self) {
        drop(self.0.take());
    }
}

impl Drop for HeldConnection {
    fn drop(&mut self) {
        if let Some(connection) = self.0.take() {
            // Out of the pool, then dropped: the socket closes and the
            // server rolls the transaction back.
            drop(PgConnection::take(connection));
        }
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
            .first(self.connection.get()?)
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

    fn team(&self) -> Team {
        self.row.clone()
    }

    async fn rename(&mut self, name: TeamName) -> Result<Team, DomainError> {
        self.row = rename_on(self.connection.get()?, self.team, &name).await?;
        Ok(self.row.clone())
    }

    async fn insert_invitation(
        &mut self,
        invitation: NewInvitation,
    ) -> Result<Invitation, DomainError> {
        stored_invitations::insert_on(self.connection.get()?, invitation).await
    }

    async fn revoke_invitation(
        &mut self,
        invitation: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, DomainError> {
        stored_invitations::revoke_on(self.connection.get()?, self.team, invitation, now).await
    }

    async fn live_webhooks(&mut self) -> Result<usize, DomainError> {
        stored_webhooks::live_on(self.connection.get()?, self.team).await
    }

    async fn insert_webhook(&mut self, webhook: NewWebhook) -> Result<Webhook, DomainError> {
        stored_webhooks::insert_on(self.connection.get()?, webhook).await
    }

    async fn delete_webhook(&mut self, webhook: WebhookId) -> Result<bool, DomainError> {
        stored_webhooks::delete_on(self.connection.get()?, self.team, webhook).await
    }

    async fn audit(&mut self, outbox: TeamOutbox) -> Result<(), DomainError> {
        outbox::store_team(self.connection.get()?, &outbox)
            .await
            .map_err(from_diesel)
    }

    async fn insert_member(&mut self, user: UserId, role: Role) -> Result<Member, DomainError> {
        diesel::insert_into(team_members::table)
            .values((
                team_members::team_id.eq(self.team.as_uuid()),
                team_members::user_id.eq(user.as_uuid()),
                team_members::role.eq(role.as_str()),
            ))
            .execute(self.connection.get()?)
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
        .execute(self.connection.get()?)
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
        .execute(self.connection.get()?)
        .await
        .map_err(from_diesel)?;
        // Their live streams re-check access once this commits (delivered
        // at commit, so never before the removal is visible).
        crate::events::announce_access_change(self.connection.get()?, Some(user)).await
    }

    async fn accept_invitation(
        &mut self,
        invitation: Uuid,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, DomainError> {
        diesel::update(
            invitations::table
                .find(invitation)
                .filter(invitations::team_id.eq(self.team.as_uuid()))
                .filter(invitations::accepted_at.is_null())
                .filter(invitations::revoked_at.is_null()),
        )
        .set((
            invitations::accepted_at.eq(now),
            invitations::accepted_by.eq(user.as_uuid()),
        ))
        .execute(self.connection.get()?)
        .await
        .map(|updated| updated == 1)
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
        .get_results(self.connection.get()?)
        .await
        .map_err(from_diesel)?;
        Ok(unassigned
            .into_iter()
            .map(|(task, project)| (TaskId(task), ProjectId(project)))
            .collect())
    }

    async fn write_context(&mut self, actor: UserId) -> Result<WriteContext, DomainError> {
        write_context::load_on(self.connection.get()?, self.team, actor).await
    }

    async fn record(&mut self, outbox: Outbox) -> Result<(), DomainError> {
        outbox::store(self.connection.get()?, &outbox)
            .await
            .map_err(from_diesel)?;
        self.recorded.push(outbox.activity.project_id);
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), DomainError> {
        Transactions::commit_transaction(self.connection.get()?)
            .await
            .map_err(from_diesel)?;
        self.connection.release();
        for project in self.recorded.drain(..) {
            self.pool.announce_activity(project);
        }
        Ok(())
    }
}
