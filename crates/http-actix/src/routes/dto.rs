//! Wire types shared by several resources.

use chrono::{DateTime, Utc};
use domain::auth::User;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// `user`: never carries a password hash.
#[derive(Debug, Serialize, ToSchema)]
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
            email: user.email,
            name: user.name,
            created_at: user.created_at,
        }
    }
}
