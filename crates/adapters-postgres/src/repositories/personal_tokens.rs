//! `PersonalTokenRepository` on PostgreSQL. The per-request lookup is one
//! prepared statement: the token by (prefix, hash) through its unique index
//! (a deleted user's tokens are deleted with the user, by cascade), and the
//! conditional `last_used_at` write the domain asked for, as a
//! data-modifying CTE.

use crate::error::from_diesel;
use crate::schema::{personal_tokens, users};
use crate::sql::prepared_sql::{Bind, PreparedSql};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::ids::UserId;
use domain::personal_tokens::{
    NewPersonalToken, PersonalToken, PersonalTokenRepository, Scopes, TokenGrant, TokenName, Touch,
};
use domain::DomainError;
use uuid::Uuid;

pub struct PgPersonalTokenRepository {
    pool: PgPool,
}

impl PgPersonalTokenRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = personal_tokens)]
struct TokenRow {
    id: Uuid,
    user_id: Uuid,
    name: String,
    scopes: Vec<String>,
    prefix: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

/// Scopes as stored: the table's CHECK admits only what `Scopes` writes.
fn stored_scopes(names: &[String]) -> Result<Scopes, DomainError> {
    Scopes::parse(names).map_err(|_| DomainError::internal("stored token scopes are unreadable"))
}

fn scope_names(scopes: Scopes) -> Vec<String> {
    scopes.names().into_iter().map(str::to_owned).collect()
}

impl TokenRow {
    fn into_token(self) -> Result<PersonalToken, DomainError> {
        Ok(PersonalToken {
            id: self.id,
            user: UserId(self.user_id),
            name: TokenName::stored(self.name),
            scopes: stored_scopes(&self.scopes)?,
            prefix: self.prefix,
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
        })
    }
}

#[derive(QueryableByName)]
struct GrantRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = Array<Text>)]
    scopes: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
}

/// The lookup and the once-a-minute touch: the touch changes a row only for
/// a live token last used at or before `unused_since`.
const FIND: &str = "WITH found AS ( \
       SELECT t.id, t.user_id, t.scopes, t.expires_at, t.last_used_at \
       FROM personal_tokens t \
       WHERE t.prefix = ? AND t.token_hash = ? AND t.revoked_at IS NULL), \
     touched AS ( \
       UPDATE personal_tokens t SET last_used_at = ? FROM found \
       WHERE t.id = found.id AND found.expires_at > ? \
         AND (found.last_used_at IS NULL OR found.last_used_at <= ?) \
       RETURNING t.id) \
     SELECT id, user_id, scopes, expires_at FROM found";

fn live_at(
    now: DateTime<Utc>,
) -> diesel::dsl::And<
    diesel::dsl::IsNull<personal_tokens::revoked_at>,
    diesel::dsl::Gt<personal_tokens::expires_at, DateTime<Utc>>,
> {
    personal_tokens::revoked_at
        .is_null()
        .and(personal_tokens::expires_at.gt(now))
}

#[async_trait]
impl PersonalTokenRepository for PgPersonalTokenRepository {
    async fn create_within(
        &self,
        token: NewPersonalToken,
        limit: usize,
    ) -> Result<Option<PersonalToken>, DomainError> {
        let mut connection = self.pool.get().await?;
        let created = connection
            .transaction(async move |tx| {
                // The user's row lock orders concurrent creations: the count
                // cannot be stale when the insert lands.
                let user = users::table
                    .filter(users::id.eq(token.user.as_uuid()))
                    .select(users::id)
                    .for_update()
                    .first::<Uuid>(tx)
                    .await
                    .optional()?;
                if user.is_none() {
                    return Ok(None);
                }
                let live: i64 = personal_tokens::table
                    .filter(personal_tokens::user_id.eq(token.user.as_uuid()))
                    .filter(live_at(token.created_at))
                    .count()
                    .get_result(tx)
                    .await?;
                if usize::try_from(live).unwrap_or(usize::MAX) >= limit {
                    return Ok(Some(None));
                }
                diesel::insert_into(personal_tokens::table)
                    .values((
                        personal_tokens::id.eq(token.id),
                        personal_tokens::user_id.eq(token.user.as_uuid()),
                        personal_tokens::name.eq(token.name.as_str()),
                        personal_tokens::scopes.eq(scope_names(token.scopes)),
                        personal_tokens::prefix.eq(&token.prefix),
                        personal_tokens::token_hash.eq(&token.token_hash),
                        personal_tokens::created_at.eq(token.created_at),
                        personal_tokens::expires_at.eq(token.expires_at),
                    ))
                    .returning(TokenRow::as_returning())
                    .get_result(tx)
                    .await
                    .map(|row| Some(Some(row)))
            })
            .await
            .map_err(from_diesel)?;
        match created {
            None => Err(DomainError::Unauthenticated("user no longer exists")),
            Some(row) => row.map(TokenRow::into_token).transpose(),
        }
    }

    async fn list(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<PersonalToken>, DomainError> {
        let mut connection = self.pool.get().await?;
        let rows: Vec<TokenRow> = personal_tokens::table
            .filter(personal_tokens::user_id.eq(user.as_uuid()))
            .filter(live_at(now))
            .order((
                personal_tokens::created_at.desc(),
                personal_tokens::id.desc(),
            ))
            .select(TokenRow::as_select())
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        rows.into_iter().map(TokenRow::into_token).collect()
    }

    async fn revoke(
        &self,
        user: UserId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, DomainError> {
        let mut connection = self.pool.get().await?;
        diesel::update(personal_tokens::table)
            .filter(personal_tokens::id.eq(id))
            .filter(personal_tokens::user_id.eq(user.as_uuid()))
            .filter(personal_tokens::revoked_at.is_null())
            .set(personal_tokens::revoked_at.eq(now))
            .returning(personal_tokens::token_hash)
            .get_result(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)
    }

    async fn find(
        &self,
        prefix: &str,
        hash: &[u8],
        touch: Touch,
    ) -> Result<Option<TokenGrant>, DomainError> {
        let mut connection = self.pool.get().await?;
        let mut sql = PreparedSql::new("");
        sql.push(
            FIND,
            vec![
                Bind::Text(prefix.to_owned()),
                Bind::Bytes(hash.to_vec()),
                Bind::Time(touch.at),
                Bind::Time(touch.at),
                Bind::Time(touch.unused_since),
            ],
        );
        let row: Option<GrantRow> = sql
            .get_result(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(|row| {
            Ok(TokenGrant {
                token: row.id,
                user: UserId(row.user_id),
                scopes: stored_scopes(&row.scopes)?,
                expires_at: row.expires_at,
            })
        })
        .transpose()
    }
}
