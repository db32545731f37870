//! `RefreshTokenRepository` on PostgreSQL: rotation in one transaction, and
//! the facts about a consumed token (what it was rotated into) the service
//! decides a replay or a reuse on.

use crate::error::from_diesel;
use crate::schema::refresh_tokens;
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::auth::{
    NewRefreshToken, RefreshTokenRecord, RefreshTokenRepository, RevokedSessions, RotateOutcome,
    Session, SessionClient, Successor,
};
use domain::ids::UserId;
use domain::DomainError;
use uuid::Uuid;

pub struct PgRefreshTokenRepository {
    pool: PgPool,
}

impl PgRefreshTokenRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable)]
struct PresentedRow {
    id: Uuid,
    user_id: Uuid,
    family_id: Uuid,
    expires_at: DateTime<Utc>,
    replaced_by: Option<Uuid>,
    revoked_at: Option<DateTime<Utc>>,
    user_agent: Option<String>,
    ip: Option<String>,
}

#[derive(Queryable)]
struct SuccessorRow {
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    replaced_by: Option<Uuid>,
    revoked_at: Option<DateTime<Utc>>,
}

#[async_trait]
impl RefreshTokenRepository for PgRefreshTokenRepository {
    async fn insert(&self, record: RefreshTokenRecord) -> Result<(), DomainError> {
        let mut connection = self.pool.get().await?;
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::id.eq(record.id),
                refresh_tokens::user_id.eq(record.user_id.as_uuid()),
                refresh_tokens::family_id.eq(record.family_id),
                refresh_tokens::token_hash.eq(&record.token_hash),
                refresh_tokens::expires_at.eq(record.expires_at),
                refresh_tokens::user_agent.eq(record.client.user_agent()),
                refresh_tokens::ip.eq(record.client.ip().map(|ip| ip.to_string())),
            ))
            .execute(&mut connection)
            .await
            .map(drop)
            .map_err(from_diesel)
    }

    async fn rotate(
        &self,
        presented_hash: Vec<u8>,
        successor: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RotateOutcome, DomainError> {
        let mut connection = self.pool.get().await?;
        connection
            .transaction(async |tx| {
                // FOR UPDATE: a second refresh with the same token waits here until
                // the first commits, then sees `replaced_by` set: reuse.
                let presented: Option<PresentedRow> = refresh_tokens::table
                    .filter(refresh_tokens::token_hash.eq(&presented_hash))
                    .select((
                        refresh_tokens::id,
                        refresh_tokens::user_id,
                        refresh_tokens::family_id,
                        refresh_tokens::expires_at,
                        refresh_tokens::replaced_by,
                        refresh_tokens::revoked_at,
                        refresh_tokens::user_agent,
                        refresh_tokens::ip,
                    ))
                    .for_update()
                    .first(tx)
                    .await
                    .optional()?;
                let Some(presented) = presented else {
                    return Ok(RotateOutcome::Unknown);
                };
                if presented.replaced_by.is_some() || presented.revoked_at.is_some() {
                    let successor = match (presented.replaced_by, presented.revoked_at) {
                        (Some(successor), None) => successor_of(tx, successor, now).await?,
                        _ => None,
                    };
                    return Ok(RotateOutcome::Consumed {
                        user: UserId(presented.user_id),
                        session: presented.family_id,
                        successor,
                    });
                }
                if presented.expires_at <= now {
                    return Ok(RotateOutcome::Expired);
                }
                diesel::insert_into(refresh_tokens::table)
                    .values((
                        refresh_tokens::id.eq(successor.id),
                        refresh_tokens::user_id.eq(presented.user_id),
                        refresh_tokens::family_id.eq(presented.family_id),
                        refresh_tokens::token_hash.eq(&successor.token_hash),
                        refresh_tokens::expires_at.eq(successor.expires_at),
                        // The rotation's time, by the service's clock: a
                        // replay re-issues the access token of this moment.
                        refresh_tokens::created_at.eq(now),
                        // The session's client stays with its live token.
                        refresh_tokens::user_agent.eq(&presented.user_agent),
                        refresh_tokens::ip.eq(&presented.ip),
                    ))
                    .execute(tx)
                    .await?;
                diesel::update(refresh_tokens::table.find(presented.id))
                    .set(refresh_tokens::replaced_by.eq(successor.id))
                    .execute(tx)
                    .await?;
                Ok(RotateOutcome::Rotated {
                    user: UserId(presented.user_id),
                    session: presented.family_id,
                })
            })
            .await
            .map_err(from_diesel)
    }

    async fn revoke_family(
        &self,
        user: UserId,
        family: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let mut connection = self.pool.get().await?;
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family))
                .filter(refresh_tokens::user_id.eq(user.as_uuid()))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(now))
        .execute(&mut connection)
        .await
        .map(drop)
        .map_err(from_diesel)
    }

    async fn sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, DomainError> {
        let mut connection = self.pool.get().await?;
        // A family's live token is its last use; its first token, the login.
        let first = diesel::alias!(refresh_tokens as first);
        let rows: Vec<SessionRow> = refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user.as_uuid()))
            .filter(refresh_tokens::replaced_by.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(now))
            .select((
                refresh_tokens::family_id,
                first
                    .filter(
                        first
                            .field(refresh_tokens::family_id)
                            .eq(refresh_tokens::family_id),
                    )
                    .select(diesel::dsl::min(first.field(refresh_tokens::created_at)))
                    .single_value()
                    .assume_not_null(),
                refresh_tokens::created_at,
                refresh_tokens::user_agent,
                refresh_tokens::ip,
            ))
            .order((
                refresh_tokens::created_at.desc(),
                refresh_tokens::family_id.desc(),
            ))
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        Ok(rows.into_iter().map(SessionRow::into_session).collect())
    }

    async fn revoke_all(
        &self,
        user: UserId,
        except: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, DomainError> {
        let mut connection = self.pool.get().await?;
        // Live families only: a family with no live token can mint nothing,
        // and its access tokens have expired with its refresh tokens.
        let live = diesel::alias!(refresh_tokens as live);
        let live_families = live
            .filter(live.field(refresh_tokens::user_id).eq(user.as_uuid()))
            .filter(live.field(refresh_tokens::replaced_by).is_null())
            .filter(live.field(refresh_tokens::revoked_at).is_null())
            .filter(live.field(refresh_tokens::expires_at).gt(now))
            .filter(
                live.field(refresh_tokens::family_id)
                    .nullable()
                    .ne_all(except),
            )
            .select(live.field(refresh_tokens::family_id));
        let mut ended: Vec<Uuid> = diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq_any(live_families))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(now))
        .returning(refresh_tokens::family_id)
        .get_results(&mut connection)
        .await
        .map_err(from_diesel)?;
        ended.sort_unstable();
        ended.dedup();
        Ok(ended)
    }

    async fn family_of(
        &self,
        user: UserId,
        token_hash: Vec<u8>,
    ) -> Result<Option<Uuid>, DomainError> {
        let mut connection = self.pool.get().await?;
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .filter(refresh_tokens::user_id.eq(user.as_uuid()))
            .select(refresh_tokens::family_id)
            .first(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)
    }
}

#[derive(Queryable)]
struct SessionRow {
    id: Uuid,
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
    user_agent: Option<String>,
    ip: Option<String>,
}

impl SessionRow {
    fn into_session(self) -> Session {
        let ip = self.ip.and_then(|ip| ip.parse().ok());
        Session {
            id: self.id,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            client: SessionClient::new(self.user_agent.as_deref(), ip),
        }
    }
}

/// The token `id` a consumed one was rotated into, as of `now`.
async fn successor_of(
    tx: &mut diesel_async::AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Option<Successor>> {
    let row: Option<SuccessorRow> = refresh_tokens::table
        .find(id)
        .select((
            refresh_tokens::created_at,
            refresh_tokens::expires_at,
            refresh_tokens::replaced_by,
            refresh_tokens::revoked_at,
        ))
        .first(tx)
        .await
        .optional()?;
    Ok(row.map(|row| Successor {
        id,
        rotated_at: row.created_at,
        live: row.replaced_by.is_none() && row.revoked_at.is_none() && row.expires_at > now,
    }))
}
/// The durable half of session revocation: a session (refresh family) is
/// revoked once any of its refresh tokens carries `revoked_at` (logout and
/// reuse detection both set it, in the request that decides it).
#[async_trait]
impl RevokedSessions for PgRefreshTokenRepository {
    async fn is_revoked(&self, session: Uuid) -> Result<bool, DomainError> {
        let mut connection = self.pool.get().await?;
        diesel::select(diesel::dsl::exists(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(session))
                .filter(refresh_tokens::revoked_at.is_not_null()),
        ))
        .get_result(&mut connection)
        .await
        .map_err(from_diesel)
    }

    async fn revoked_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, DomainError> {
        let mut connection = self.pool.get().await?;
        let rows: Vec<(Uuid, Option<DateTime<Utc>>)> = refresh_tokens::table
            .filter(refresh_tokens::revoked_at.ge(since))
            .group_by(refresh_tokens::family_id)
            .select((
                refresh_tokens::family_id,
                diesel::dsl::max(refresh_tokens::revoked_at),
            ))
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .filter_map(|(session, at)| at.map(|at| (session, at)))
            .collect())
    }
}
