//! Diesel row types, private to this crate, and their conversion into domain
//! types. Rows mirror tables; domain types mirror the business.

use crate::schema::users;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::access::Role;
use domain::auth::{Email, PasswordHash, User, UserName, UserWithHash};
use domain::ids::UserId;
use domain::DomainError;
use uuid::Uuid;

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub email_normalized: String,
    pub name: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

impl UserRow {
    pub fn into_user(self) -> User {
        User {
            id: UserId(self.id),
            email: Email::stored(self.email, self.email_normalized),
            name: UserName::stored(self.name),
            created_at: self.created_at,
        }
    }

    pub fn into_user_with_hash(self) -> UserWithHash {
        let password_hash = PasswordHash(self.password_hash.clone());
        UserWithHash {
            user: self.into_user(),
            password_hash,
        }
    }
}

/// A stored `team_members.role`; anything but a known role is corrupt data.
pub(crate) fn stored_role(stored: &str) -> Result<Role, DomainError> {
    Role::parse(stored)
        .ok_or_else(|| DomainError::internal(format!("unknown stored role {stored:?}")))
}

/// The caller's role from a `LEFT JOIN team_members` (`None`: not a member).
pub(crate) fn optional_role(stored: Option<&str>) -> Result<Option<Role>, DomainError> {
    stored.map(stored_role).transpose()
}
