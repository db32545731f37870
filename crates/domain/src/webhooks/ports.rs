use super::model::Webhook;
use crate::ids::{TeamId, WebhookId};
use crate::paging::{PageRequest, Paged};
use crate::DomainError;
use async_trait::async_trait;
use std::net::IpAddr;

/// Reading webhooks; registering and deleting one are changes of the team,
/// stored through its lock (`LockedTeam`) with their audit entries.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookRepository: Send + Sync {
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
