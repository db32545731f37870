//! Newtype ids: a `TaskId` cannot be passed where a `ProjectId` is expected.
//! All ids are UUID v7 (time-ordered), so new rows land at the end of B-tree
//! indexes instead of at random pages.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    UserId,
    TeamId,
    ProjectId,
    TaskId,
    CommentId,
    ActivityId,
    JobId,
    NotificationId,
    WebhookId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_version_7_and_increase_over_time() {
        let first = TaskId::new();
        let second = TaskId::new();
        assert_eq!(first.as_uuid().get_version_num(), 7);
        assert!(second > first, "v7 ids must sort by creation time");
    }

    #[test]
    fn ids_round_trip_through_their_string_form() {
        let id = ProjectId::new();
        let parsed: ProjectId = id.to_string().parse().unwrap_or_default();
        assert_eq!(parsed, id);
    }
}
