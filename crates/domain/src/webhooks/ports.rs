use super::model::{NewWebhook, Webhook};
use crate::ids::{TeamId, WebhookId};
use crate::paging::{PageRequest, Paged};
use crate::DomainError;
use async_trait::async_trait;
use std::net::IpAddr;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookRepository: Send + Sync {
    /// Stores it unless its team has `limit` live webhooks already (`None`).
    /// The count and the insert are one step under the team's lock, so two
    /// concurrent registrations cannot both take the last place.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn create_within(
        &self,
        webhook: NewWebhook,
        limit: usize,
    ) -> Result<Option<Webhook>, DomainError>;

    /// The team's live webhooks, newest first.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn list(&self, team: TeamId, page: PageRequest) -> Result<Paged<Webhook>, DomainError>;

    /// A live webhook (of a live team).
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn get(&self, id: WebhookId) -> Result<Option<Webhook>, DomainError>;

    /// Deletes it: it receives nothing more (queued deliveries included).
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn delete(&self, id: WebhookId) -> Result<(), DomainError>;
}

/// DNS, as a port: the SSRF rule is the domain's, the lookup is I/O.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait HostResolver: Send + Sync {
    /// Every address `host` resolves to (an IP literal resolves to itself).
    ///
    /// # Errors
    /// `Invalid` on `url` when the name does not resolve.
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, DomainError>;
}
