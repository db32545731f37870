//! Team webhooks: registration (admin only, with the SSRF rule applied to the
//! target), listing and deletion. Deliveries are jobs (docs/jobs.md).

mod model;
mod ports;
mod service;
pub mod ssrf;

pub use model::{CreatedWebhook, NewWebhook, Webhook, WebhookEvents, WebhookUrl, EVENTS};
pub use ports::{HostResolver, WebhookRepository};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockHostResolver, MockWebhookRepository};
pub use service::{WebhookService, WebhookSettings};
