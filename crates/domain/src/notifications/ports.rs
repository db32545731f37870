use super::model::Notification;
use crate::ids::{NotificationId, UserId};
use crate::paging::{PageRequest, Paged};
use crate::DomainError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NotificationRepository: Send + Sync {
    /// `user`'s own notifications, newest first; only unread ones with
    /// `unread_only`.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn list(
        &self,
        user: UserId,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Paged<Notification>, DomainError>;

    /// Marks `user`'s notification `id` read (keeping the first read time).
    /// `false` when `user` has no such notification.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn mark_read(
        &self,
        user: UserId,
        id: NotificationId,
        at: DateTime<Utc>,
    ) -> Result<bool, DomainError>;
}
