//! `UserRepository` on PostgreSQL.

use crate::error::{from_diesel, unique_violation};
use crate::schema::users;
use crate::sql::rows::UserRow;
use crate::PgPool;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::auth::{Email, NewUser, PasswordHash, User, UserRepository, UserWithHash};
use domain::ids::UserId;
use domain::{ConflictKind, DomainError};

pub struct PgUserRepository {
    pool: PgPool,
}

impl PgUserRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl UserRepository for PgUserRepository {
    async fn create(&self, user: NewUser) -> Result<User, DomainError> {
        let mut connection = self.pool.get().await?;
        // No "check then insert": the unique index on the normalized email
        // decides, so two concurrent registrations of one address (in any of
        // its spellings) cannot both succeed.
        diesel::insert_into(users::table)
            .values((
                users::id.eq(user.id.as_uuid()),
                users::email.eq(user.email.as_str()),
                users::email_normalized.eq(user.email.normalized()),
                users::name.eq(user.name.as_str()),
                users::password_hash.eq(&user.password_hash.0),
            ))
            .returning(UserRow::as_returning())
            .get_result(&mut connection)
            .await
            .map(UserRow::into_user)
            .map_err(|error| match unique_violation(&error) {
                Some("users_email_normalized_key") => {
                    DomainError::Conflict(ConflictKind::EmailTaken)
                }
                _ => from_diesel(error),
            })
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<UserWithHash>, DomainError> {
        let mut connection = self.pool.get().await?;
        users::table
            .filter(users::email_normalized.eq(email.normalized()))
            .select(UserRow::as_select())
            .first(&mut connection)
            .await
            .optional()
            .map(|row| row.map(UserRow::into_user_with_hash))
            .map_err(from_diesel)
    }

    async fn find(&self, id: UserId) -> Result<Option<User>, DomainError> {
        let mut connection = self.pool.get().await?;
        users::table
            .find(id.as_uuid())
            .select(UserRow::as_select())
            .first(&mut connection)
            .await
            .optional()
            .map(|row| row.map(UserRow::into_user))
            .map_err(from_diesel)
    }

    async fn find_with_hash(&self, id: UserId) -> Result<Option<UserWithHash>, DomainError> {
        let mut connection = self.pool.get().await?;
        users::table
            .find(id.as_uuid())
            .select(UserRow::as_select())
            .first(&mut connection)
            .await
            .optional()
            .map(|row| row.map(UserRow::into_user_with_hash))
            .map_err(from_diesel)
    }

    async fn set_password(&self, id: UserId, hash: PasswordHash) -> Result<(), DomainError> {
        let mut connection = self.pool.get().await?;
        diesel::update(users::table.find(id.as_uuid()))
            .set((
                users::password_hash.eq(hash.0),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(&mut connection)
            .await
            .map(drop)
            .map_err(from_diesel)
    }
}
