//! Wire types shared by several resources.

use chrono::{DateTime, Utc};
use domain::auth::User;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// `user`: never carries a password hash.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019b0e4c-7a10-7cc2-9a51-3f0e2d1c4b5a", "email": "ada@example.com", "name": "Ada Lovelace", "created_at": "2026-12-03T09:30:00Z"}))]
pub struct UserBody {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserBody {
    fn from(user: User) -> Self {
        Self {
            id: user.id.as_uuid(),
            email: user.email.as_str().to_owned(),
            name: user.name.into_inner(),
            created_at: user.created_at,
        }
    }
}
