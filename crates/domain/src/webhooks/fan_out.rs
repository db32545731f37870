//! Webhook fan-out: which of a team's webhooks receive an event, and what
//! each receives. Decided here, enqueued by the write that caused the event,
//! in its transaction (an outbox: the write, its activity entry and its
//! deliveries commit together or not at all).

use crate::ids::{JobId, TeamId, WebhookId};
use crate::jobs::{ActivityEvent, Delivery, EventData, NewJob};
use crate::notifications::DUE_SOON;
use crate::tasks::{Task, TaskView};
use chrono::{DateTime, Utc};

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

/// One delivery of an activity `event` per subscription of `team` that
/// wants it, each with its own delivery id.
pub fn fan_out(team: TeamId, event: &ActivityEvent, subscriptions: &[Subscription]) -> Vec<NewJob> {
    deliveries(
        team,
        (event.action, event.created_at),
        &EventData::Activity(event.clone()),
        subscriptions,
        |_| None,
    )
}

/// The `task.due_soon` deliveries of the reminder job `reminder` for `task`:
/// the task as the API shows it. Keyed by reminder and webhook, so a
/// reminder that runs twice enqueues nothing new.
pub fn fan_out_due_soon(
    team: TeamId,
    task: Task,
    reminder: JobId,
    subscriptions: &[Subscription],
    at: DateTime<Utc>,
) -> Vec<NewJob> {
    deliveries(
        team,
        (DUE_SOON, at),
        &EventData::Task(TaskView::from(task)),
        subscriptions,
        |subscription| Some(format!("due_soon:{reminder}:{}", subscription.webhook)),
    )
}

fn deliveries(
    team: TeamId,
    (event, occurred_at): (&'static str, DateTime<Utc>),
    data: &EventData,
    subscriptions: &[Subscription],
    key: impl Fn(&Subscription) -> Option<String>,
) -> Vec<NewJob> {
    subscriptions
        .iter()
        .filter(|subscription| subscription.wants(event))
        .map(|subscription| {
            NewJob::Deliver(Box::new(Delivery {
                id: JobId::new(),
                webhook: subscription.webhook,
                team,
                host: subscription.host.clone(),
                event,
                occurred_at,
                data: data.clone(),
                dedupe_key: key(subscription),
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ProjectId, TaskId, UserId};
    use crate::tasks::TaskDraft;

    fn hook(events: &[&str]) -> Subscription {
        Subscription {
            webhook: WebhookId::new(),
            host: "hooks.example.com".into(),
            events: events.iter().map(|event| (*event).to_owned()).collect(),
        }
    }

    #[test]
    fn a_due_soon_event_goes_to_its_subscribers_once_per_reminder_with_the_task() {
        let (team, reminder, at) = (TeamId::new(), JobId::new(), Utc::now());
        let task = Task {
            id: TaskId::new(),
            project_id: ProjectId::new(),
            fields: TaskDraft::parse("Ship it", Some("notes"), None, None, None, None).unwrap(),
            created_by: UserId::new(),
            version: 2,
            created_at: at,
            updated_at: at,
            comment_count: 1,
        };
        let wanted = hook(&["task.due_soon"]);
        let jobs = fan_out_due_soon(
            team,
            task.clone(),
            reminder,
            &[wanted.clone(), hook(&["task.created"])],
            at,
        );

        let [NewJob::Deliver(delivery)] = jobs.as_slice() else {
            panic!("one delivery expected: {jobs:?}");
        };
        assert_eq!((delivery.webhook, delivery.team), (wanted.webhook, team));
        assert_eq!(
            (delivery.event, delivery.occurred_at),
            ("task.due_soon", at)
        );
        assert_eq!(
            delivery.dedupe_key.as_deref(),
            Some(format!("due_soon:{reminder}:{}", wanted.webhook).as_str())
        );
        assert_eq!(delivery.data, EventData::Task(TaskView::from(task)));
    }
}
