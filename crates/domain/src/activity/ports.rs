//! Reading the activity feed (writing happens inside each aggregate's port).

use super::model::ActivityEntry;
use crate::ids::ProjectId;
use crate::paging::{PageRequest, Paged};
use crate::DomainError;
use async_trait::async_trait;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ActivityRepository: Send + Sync {
    /// The project's entries, newest first, with each actor's name.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn list(
        &self,
        project: ProjectId,
        page: PageRequest,
    ) -> Result<Paged<ActivityEntry>, DomainError>;
}
