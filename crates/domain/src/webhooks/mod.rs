//! Team webhooks: registration (admin only, with the SSRF rule applied to the
//! target), listing and deletion. Deliveries are jobs (docs/jobs.md).

mod delivery;
mod fan_out;
mod model;
mod ports;
mod service;
pub mod ssrf;

#[cfg(any(test, feature = "mocks"))]
pub use delivery::MockWebhookTargets;
pub use delivery::{judge, DeliveryTarget, Verdict, WebhookTargets};
pub use fan_out::{fan_out, fan_out_due_soon, Subscription};
pub use model::{event_names, CreatedWebhook, NewWebhook, Webhook, WebhookEvents, WebhookUrl};
pub use ports::{HostResolver, WebhookRepository};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockHostResolver, MockWebhookRepository};
pub use service::{WebhookService, WebhookSettings, MAX_WEBHOOKS_PER_TEAM};
