//! What a recorded write stores beside its row, in its transaction: the
//! activity entry, the jobs the write causes (webhook deliveries, a task's
//! reminder), and which task's queued reminder it re-decided. Services build
//! it — every rule is decided here, with facts loaded before the write — and
//! the repositories store it as one statement.

use crate::access::Role;
use crate::activity::{NewActivity, NewTeamActivity};
use crate::ids::{TaskId, TeamId, UserId};
use crate::jobs::{ActivityEvent, ActorRef, NewJob};
use crate::webhooks::{fan_out, Subscription};

/// The facts a recorded write needs beyond its own row, loaded by the same
/// statement that authorizes it: the team it happens in, the actor's name
/// (activity events name the actor) and the team's live webhooks.
///
/// Subscriptions are read before the transaction: a webhook registered while
/// a write is in flight may miss that write's event (one registered a moment
/// later would have missed it too); one deleted meanwhile has its delivery
/// dropped by the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteContext {
    pub team: TeamId,
    pub actor: ActorRef,
    pub subscriptions: Vec<Subscription>,
}

impl WriteContext {
    /// A context without webhooks (tests, and writes by an actor no longer
    /// known — their authorization fails first).
    pub fn quiet(team: TeamId, actor: UserId) -> Self {
        Self {
            team,
            actor: ActorRef {
                id: actor,
                name: String::new(),
            },
            subscriptions: Vec::new(),
        }
    }
}

/// The facts a write was decided on, which its one statement re-checks: a
/// compare-and-set on the facts, as the optimistic lock is one on the row.
/// The statement stores nothing unless the caller still has `role` in
/// `context.team` under the same name and the team's live webhooks are still
/// `context.subscriptions` ([`Checked::FactsMoved`] then). This is what lets a
/// write whose facts this process remembers (`tasks::WriteMemo`) skip the
/// read that authorizes it without deciding on stale facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecidedOn {
    pub role: Role,
    pub context: WriteContext,
}

/// What a write that re-checks its facts did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked<T> {
    Stored(T),
    /// Nothing was stored: the row or the facts the write was decided on are
    /// not what they were (another version, role, name or webhook set; the
    /// row, its project or its team gone). The service reads them again and
    /// decides again.
    FactsMoved,
}

impl<T> Checked<T> {
    #[must_use]
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Checked<U> {
        match self {
            Checked::Stored(value) => Checked::Stored(f(value)),
            Checked::FactsMoved => Checked::FactsMoved,
        }
    }
}

/// Everything a recorded write stores beside its row.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbox {
    pub activity: NewActivity,
    pub jobs: Vec<NewJob>,
    /// A task whose reminder this write re-decided: its queued reminders other
    /// than one in `jobs` are withdrawn.
    pub rearmed: Option<TaskId>,
}

impl Outbox {
    /// The entry, and one delivery of its event per subscribed webhook.
    pub fn record(activity: NewActivity, context: &WriteContext) -> Self {
        let event = ActivityEvent {
            id: activity.id,
            actor: context.actor.clone(),
            action: activity.action.as_str(),
            entity_type: activity.action.entity_type().as_str(),
            entity_id: activity.entity_id,
            changes: activity.changes.clone(),
            created_at: activity.created_at,
            project_id: Some(activity.project_id),
            team_id: context.team,
        };
        let jobs = fan_out(context.team, &event, &context.subscriptions);
        Self {
            activity,
            jobs,
            rearmed: None,
        }
    }

    /// Adds jobs the write causes besides its deliveries.
    #[must_use]
    pub fn enqueue(mut self, jobs: impl IntoIterator<Item = NewJob>) -> Self {
        self.jobs.extend(jobs);
        self
    }

    /// Replaces `task`'s queued reminder with `reminder` (none: withdrawn).
    #[must_use]
    pub fn rearm(mut self, task: TaskId, reminder: Option<NewJob>) -> Self {
        self.jobs.extend(reminder);
        self.rearmed = Some(task);
        self
    }

    /// The reminders among the jobs (what a re-armed task keeps).
    pub fn reminders(&self) -> impl Iterator<Item = &NewJob> {
        self.jobs
            .iter()
            .filter(|job| matches!(job, NewJob::Remind { .. }))
    }
}

/// What a change of the team itself stores beside it, in its transaction:
/// its audit entry and one delivery of it per subscribed webhook (the
/// event's `project_id` is null).
#[derive(Debug, Clone, PartialEq)]
pub struct TeamOutbox {
    pub activity: NewTeamActivity,
    pub jobs: Vec<NewJob>,
}

impl TeamOutbox {
    pub fn record(activity: NewTeamActivity, context: &WriteContext) -> Self {
        let event = ActivityEvent {
            id: activity.id,
            actor: context.actor.clone(),
            action: activity.action.as_str(),
            entity_type: activity.action.entity_type().as_str(),
            entity_id: activity.team.as_uuid(),
            changes: activity.changes.clone(),
            created_at: activity.created_at,
            project_id: None,
            team_id: activity.team,
        };
        let jobs = fan_out(activity.team, &event, &context.subscriptions);
        Self { activity, jobs }
    }
}

/// Loads a write context on its own, for the colder writes whose
/// authorizing statement does not carry one (a project's creation, a
/// comment's edit or deletion): one statement more than the hot task writes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait WriteContexts: Send + Sync {
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn load(&self, team: TeamId, actor: UserId) -> Result<WriteContext, crate::DomainError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::activity::TeamChange;
    use crate::ids::WebhookId;
    use crate::jobs::EventData;

    #[test]
    fn a_team_entry_reaches_the_webhooks_that_want_it_with_no_project() {
        let (team, actor, member) = (TeamId::new(), UserId::new(), UserId::new());
        let wanting = |events: &[&str]| Subscription {
            webhook: WebhookId::new(),
            host: "hooks.example.com".into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
        };
        let mut context = WriteContext::quiet(team, actor);
        context.subscriptions = vec![wanting(&["member.added"]), wanting(&["task.created"])];
        let entry = TeamChange::MemberAdded {
            member,
            role: Role::Member,
        }
        .entry(team, actor);
        let outbox = TeamOutbox::record(entry.clone(), &context);
        assert_eq!(outbox.jobs.len(), 1, "only the subscriber of member.added");
        let NewJob::Deliver(delivery) = &outbox.jobs[0] else {
            panic!("a delivery");
        };
        assert_eq!(delivery.webhook, context.subscriptions[0].webhook);
        assert_eq!(delivery.event, "member.added");
        let EventData::Activity(event) = &delivery.data else {
            panic!("an activity event");
        };
        assert_eq!(event.project_id, None);
        assert_eq!((event.team_id, event.entity_id), (team, team.as_uuid()));
        assert_eq!((event.entity_type, event.id), ("team", entry.id));
    }
}
