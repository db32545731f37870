//! Activity entries and the `{field: {from, to}}` change sets of updates.

use crate::ids::{ActivityId, ProjectId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityAction {
    TaskCreated,
    TaskUpdated,
    TaskDeleted,
    CommentCreated,
    CommentUpdated,
    CommentDeleted,
    ProjectCreated,
    ProjectUpdated,
    ProjectDeleted,
    // The team's audit trail (`team.rs`): the entity is the team.
    TeamUpdated,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    InvitationCreated,
    InvitationAccepted,
    InvitationRevoked,
    WebhookCreated,
    WebhookDeleted,
}

impl ActivityAction {
    pub const ALL: [ActivityAction; 18] = [
        Self::TaskCreated,
        Self::TaskUpdated,
        Self::TaskDeleted,
        Self::CommentCreated,
        Self::CommentUpdated,
        Self::CommentDeleted,
        Self::ProjectCreated,
        Self::ProjectUpdated,
        Self::ProjectDeleted,
        Self::TeamUpdated,
        Self::MemberAdded,
        Self::MemberRoleChanged,
        Self::MemberRemoved,
        Self::InvitationCreated,
        Self::InvitationAccepted,
        Self::InvitationRevoked,
        Self::WebhookCreated,
        Self::WebhookDeleted,
    ];

    /// The action named `value` (as stored and as the API shows it).
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TaskCreated => "task.created",
            Self::TaskUpdated => "task.updated",
            Self::TaskDeleted => "task.deleted",
            Self::CommentCreated => "comment.created",
            Self::CommentUpdated => "comment.updated",
            Self::CommentDeleted => "comment.deleted",
            Self::ProjectCreated => "project.created",
            Self::ProjectUpdated => "project.updated",
            Self::ProjectDeleted => "project.deleted",
            Self::TeamUpdated => "team.updated",
            Self::MemberAdded => "member.added",
            Self::MemberRoleChanged => "member.role_changed",
            Self::MemberRemoved => "member.removed",
            Self::InvitationCreated => "invitation.created",
            Self::InvitationAccepted => "invitation.accepted",
            Self::InvitationRevoked => "invitation.revoked",
            Self::WebhookCreated => "webhook.created",
            Self::WebhookDeleted => "webhook.deleted",
        }
    }

    pub fn entity_type(self) -> EntityType {
        match self {
            Self::TaskCreated | Self::TaskUpdated | Self::TaskDeleted => EntityType::Task,
            Self::CommentCreated | Self::CommentUpdated | Self::CommentDeleted => {
                EntityType::Comment
            }
            Self::ProjectCreated | Self::ProjectUpdated | Self::ProjectDeleted => {
                EntityType::Project
            }
            Self::TeamUpdated
            | Self::MemberAdded
            | Self::MemberRoleChanged
            | Self::MemberRemoved
            | Self::InvitationCreated
            | Self::InvitationAccepted
            | Self::InvitationRevoked
            | Self::WebhookCreated
            | Self::WebhookDeleted => EntityType::Team,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityType {
    Project,
    Task,
    Comment,
    Team,
}

impl EntityType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Task => "task",
            Self::Comment => "comment",
            Self::Team => "team",
        }
    }
}

/// One field's change, each side as its JSON text form (`null`: no value).
/// Every recorded field is a string, a time, an id or absent, so a string
/// or null holds any of them exactly as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `{field: {"from": old, "to": new}}`, only for fields that changed, in
/// field-name order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChangeSet(BTreeMap<String, Change>);

impl ChangeSet {
    pub fn record<T: Serialize + PartialEq>(&mut self, field: &str, from: &T, to: &T) {
        if from != to {
            let change = Change {
                from: as_text(from),
                to: as_text(to),
            };
            self.0.insert(field.to_owned(), change);
        }
    }

    /// Records `field` as unchanged but named: `{from: value, to: value}`
    /// (the member whose role changed, in the team's audit trail).
    pub fn name<T: Serialize>(&mut self, field: &str, value: &T) {
        let text = as_text(value);
        let change = Change {
            from: text.clone(),
            to: text,
        };
        self.0.insert(field.to_owned(), change);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A value's JSON form as text: strings as they are, `null` as `None`.
fn as_text<T: Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value).ok()? {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text),
        other => Some(other.to_string()),
    }
}

/// An entry to store with a write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    pub id: ActivityId,
    pub project_id: ProjectId,
    pub actor: UserId,
    pub action: ActivityAction,
    pub entity_id: Uuid,
    pub changes: ChangeSet,
    /// When it happened, in storage's precision (microseconds), so the entry
    /// and the events that carry it show the same instant.
    pub created_at: DateTime<Utc>,
}

impl NewActivity {
    pub fn new(
        project_id: ProjectId,
        actor: UserId,
        action: ActivityAction,
        entity_id: Uuid,
        changes: ChangeSet,
    ) -> Self {
        Self {
            id: ActivityId::new(),
            project_id,
            actor,
            action,
            entity_id,
            changes,
            created_at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 6),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActivityEntry {
    pub id: ActivityId,
    pub actor: Actor,
    pub action: ActivityAction,
    pub entity_id: Uuid,
    pub changes: ChangeSet,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_set_records_only_fields_that_changed() {
        let mut changes = ChangeSet::default();
        changes.record("title", &"Old", &"New");
        changes.record("status", &"todo", &"todo");
        changes.record(
            "due_at",
            &None::<String>,
            &Some("2026-12-01T00:00:00Z".to_owned()),
        );
        assert_eq!(
            serde_json::to_value(&changes).unwrap(),
            serde_json::json!({
                "title": {"from": "Old", "to": "New"},
                "due_at": {"from": null, "to": "2026-12-01T00:00:00Z"}
            })
        );
    }

    #[test]
    fn every_action_parses_back_from_its_name() {
        for action in ActivityAction::ALL {
            assert_eq!(ActivityAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(ActivityAction::parse("task.exploded"), None);
    }

    #[test]
    fn every_action_has_its_contract_name_and_entity() {
        assert_eq!(ActivityAction::TaskUpdated.as_str(), "task.updated");
        assert_eq!(
            ActivityAction::CommentDeleted.entity_type(),
            EntityType::Comment
        );
        assert_eq!(
            ActivityAction::ProjectCreated.entity_type().as_str(),
            "project"
        );
        assert_eq!(
            ActivityAction::MemberRoleChanged.as_str(),
            "member.role_changed"
        );
        assert_eq!(
            ActivityAction::WebhookDeleted.entity_type().as_str(),
            "team"
        );
    }
}
