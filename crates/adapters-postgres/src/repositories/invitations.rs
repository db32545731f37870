//! `InvitationRepository` on PostgreSQL, and the statements that create
//! and revoke one, run by the team's lock (`team_locks.rs`) in the change's
//! transaction with its audit entry (accepting is there too).

use crate::error::{from_diesel, unique_violation};
use crate::schema::invitations;
use crate::sql::rows::stored_role;
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::auth::Email;
use domain::ids::{TeamId, UserId};
use domain::invitations::{Invitation, InvitationRepository, InvitationState, NewInvitation};
use domain::{ConflictKind, DomainError};
use uuid::Uuid;

pub struct PgInvitationRepository {
    pool: PgPool,
}

impl PgInvitationRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = invitations)]
struct InvitationRow {
    id: Uuid,
    team_id: Uuid,
    email: String,
    email_normalized: String,
    role: String,
    invited_by: Uuid,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl InvitationRow {
    fn into_invitation(self) -> Result<Invitation, DomainError> {
        let state = match (self.accepted_at, self.revoked_at) {
            (Some(_), _) => InvitationState::Accepted,
            (None, Some(_)) => InvitationState::Revoked,
            (None, None) => InvitationState::Pending,
        };
        Ok(Invitation {
            id: self.id,
            team: TeamId(self.team_id),
            email: Email::stored(self.email, self.email_normalized),
            role: stored_role(&self.role)?,
            invited_by: UserId(self.invited_by),
            created_at: self.created_at,
            expires_at: self.expires_at,
            state,
        })
    }
}

fn pending() -> diesel::dsl::And<
    diesel::dsl::IsNull<invitations::accepted_at>,
    diesel::dsl::IsNull<invitations::revoked_at>,
> {
    invitations::accepted_at
        .is_null()
        .and(invitations::revoked_at.is_null())
}

fn one(row: Option<InvitationRow>) -> Result<Option<Invitation>, DomainError> {
    row.map(InvitationRow::into_invitation).transpose()
}

#[async_trait]
impl InvitationRepository for PgInvitationRepository {
    async fn pending_for(
        &self,
        team: TeamId,
        email: &Email,
    ) -> Result<Option<Invitation>, DomainError> {
        let mut connection = self.pool.get().await?;
        let row = invitations::table
            .filter(invitations::team_id.eq(team.as_uuid()))
            .filter(invitations::email_normalized.eq(email.normalized()))
            .filter(pending())
            .select(InvitationRow::as_select())
            .first(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        one(row)
    }

    async fn pending(&self, team: TeamId) -> Result<Vec<Invitation>, DomainError> {
        let mut connection = self.pool.get().await?;
        let rows: Vec<InvitationRow> = invitations::table
            .filter(invitations::team_id.eq(team.as_uuid()))
            .filter(pending())
            .order((invitations::created_at.asc(), invitations::id.asc()))
            .select(InvitationRow::as_select())
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        rows.into_iter()
            .map(InvitationRow::into_invitation)
            .collect()
    }

    async fn find(&self, id: Uuid) -> Result<Option<Invitation>, DomainError> {
        let mut connection = self.pool.get().await?;
        let row = invitations::table
            .find(id)
            .select(InvitationRow::as_select())
            .first(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        one(row)
    }

    async fn find_by_token(&self, token_hash: Vec<u8>) -> Result<Option<Invitation>, DomainError> {
        let mut connection = self.pool.get().await?;
        let row = invitations::table
            .filter(invitations::token_hash.eq(token_hash))
            .select(InvitationRow::as_select())
            .first(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        one(row)
    }
}

/// Stores a pending invitation on `connection` (the team's unit of work,
/// `team_locks.rs`).
pub(crate) async fn insert_on(
    connection: &mut AsyncPgConnection,
    new: NewInvitation,
) -> Result<Invitation, DomainError> {
    diesel::insert_into(invitations::table)
        .values((
            invitations::id.eq(new.id),
            invitations::team_id.eq(new.team.as_uuid()),
            invitations::email.eq(new.email.as_str()),
            invitations::email_normalized.eq(new.email.normalized()),
            invitations::role.eq(new.role.as_str()),
            invitations::token_hash.eq(&new.token_hash),
            invitations::invited_by.eq(new.invited_by.as_uuid()),
            invitations::created_at.eq(new.created_at),
            invitations::expires_at.eq(new.expires_at),
        ))
        .returning(InvitationRow::as_returning())
        .get_result(connection)
        .await
        .map_err(|error| match unique_violation(&error) {
            Some("invitations_pending_idx") => DomainError::Conflict(ConflictKind::AlreadyInvited),
            _ => from_diesel(error),
        })?
        .into_invitation()
}

/// Revokes `team`'s invitation `id` on `connection` if it is still pending;
/// whether it was.
pub(crate) async fn revoke_on(
    connection: &mut AsyncPgConnection,
    team: TeamId,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::team_id.eq(team.as_uuid()))
            .filter(pending()),
    )
    .set(invitations::revoked_at.eq(now))
    .execute(connection)
    .await
    .map(|updated| updated == 1)
    .map_err(from_diesel)
}
