use super::model::Notification;
use super::ports::NotificationRepository;
use crate::ids::{NotificationId, UserId};
use crate::paging::{PageRequest, Paged};
use crate::DomainError;
use std::sync::Arc;

pub struct NotificationService {
    pub notifications: Arc<dyn NotificationRepository>,
}

impl NotificationService {
    /// The caller's own notifications, newest first.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    pub async fn list(
        &self,
        caller: UserId,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Paged<Notification>, DomainError> {
        self.notifications.list(caller, unread_only, page).await
    }

    /// Idempotent: reading a read notification again changes nothing.
    ///
    /// # Errors
    /// `NotFound` for a notification that is not the caller's (existence is
    /// not revealed).
    pub async fn mark_read(&self, caller: UserId, id: NotificationId) -> Result<(), DomainError> {
        if self
            .notifications
            .mark_read(caller, id, chrono::Utc::now())
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::NotFound("notification"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifications::MockNotificationRepository;
    use futures_executor::block_on;

    #[test]
    fn someone_elses_notification_is_not_found() {
        let mut repository = MockNotificationRepository::new();
        repository.expect_mark_read().returning(|_, _, _| Ok(false));
        let service = NotificationService {
            notifications: Arc::new(repository),
        };

        let outcome = block_on(service.mark_read(UserId::new(), NotificationId::new()));

        assert!(matches!(
            outcome,
            Err(DomainError::NotFound("notification"))
        ));
    }
}
