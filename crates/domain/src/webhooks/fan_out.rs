//! Webhook fan-out: which of a team's webhooks receive an event, and what
//! each receives. Decided here, enqueued by the write that caused the event,
//! in its transaction (an outbox: the write, its activity entry and its
//! deliveries commit together or not at all).

use crate::ids::TeamId;
use crate::ids::{JobId, WebhookId};
use crate::jobs::{ActivityEvent, Delivery, EventData, NewJob};

/// One live webhook of a team, as fan-out needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub webhook: WebhookId,
    /// The receiver's host, parsed at registration.
    pub host: String,
    /// The event names it subscribed to.
    pub events: Vec<String>,
}

impl Subscription {
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|wanted| wanted == event)
    }
}

/// One delivery of `event` per subscription of `team` that wants it, each
/// with its own delivery id.
pub fn fan_out(team: TeamId, event: &ActivityEvent, subscriptions: &[Subscription]) -> Vec<NewJob> {
    subscriptions
        .iter()
        .filter(|subscription| subscription.wants(event.action))
        .map(|subscription| {
            NewJob::Deliver(Box::new(Delivery {
                id: JobId::new(),
                webhook: subscription.webhook,
                team,
                host: subscription.host.clone(),
                event: event.action,
                occurred_at: event.created_at,
                data: EventData::Activity(event.clone()),
            }))
        })
        .collect()
}
