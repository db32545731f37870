//! The team's audit trail: one entry per change of the team itself, its
//! people or its integrations, stored in the change's own transaction
//! (`LockedTeam::audit`). The entity is always the team; `changes` names
//! what changed in the activity feed's `{field: {from, to}}` shape:
//!
//! | action | changes |
//! |---|---|
//! | `team.updated` | `name` old → new |
//! | `member.added` | `member_id` null → user, `role` null → role |
//! | `member.role_changed` | `member_id` user → user, `role` old → new |
//! | `member.removed` | `member_id` user → null, `role` old → null |
//! | `invitation.created` | `invitation_id`, `email`, `role`: null → value |
//! | `invitation.accepted` | `invitation_id` id → null, `member_id` null → user, `role` null → role |
//! | `invitation.revoked` | `invitation_id`, `email`, `role`: value → null |
//! | `webhook.created` | `webhook_id`, `host`: null → value |
//! | `webhook.deleted` | `webhook_id`, `host`: value → null |
//!
//! A webhook is named by its host, never its URL: entries are delivered to
//! the team's other webhooks, and a receiver URL often carries its own
//! secret in its path or query.

use super::model::{ActivityAction, ActivityEntry, ChangeSet};
use crate::access::Role;
use crate::auth::Email;
use crate::ids::{ActivityId, TeamId, UserId, WebhookId};
use crate::paging::{PageRequest, Paged};
use crate::teams::TeamName;
use crate::DomainError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An audit entry to store with a team's change.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTeamActivity {
    pub id: ActivityId,
    pub team: TeamId,
    pub actor: UserId,
    pub action: ActivityAction,
    pub changes: ChangeSet,
    /// In storage's precision (microseconds), as `NewActivity`.
    pub created_at: DateTime<Utc>,
}

/// What changed, as the domain decided it; [`TeamChange::entry`] writes it
/// down.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamChange<'a> {
    Renamed {
        from: &'a TeamName,
        to: &'a TeamName,
    },
    MemberAdded {
        member: UserId,
        role: Role,
    },
    RoleChanged {
        member: UserId,
        from: Role,
        to: Role,
    },
    MemberRemoved {
        member: UserId,
        role: Role,
    },
    InvitationCreated {
        invitation: Uuid,
        email: &'a Email,
        role: Role,
    },
    InvitationAccepted {
        invitation: Uuid,
        member: UserId,
        role: Role,
    },
    InvitationRevoked {
        invitation: Uuid,
        email: &'a Email,
        role: Role,
    },
    WebhookCreated {
        webhook: WebhookId,
        host: String,
    },
    WebhookDeleted {
        webhook: WebhookId,
        host: String,
    },
}

const NONE: Option<String> = None;

impl TeamChange<'_> {
    /// The entry of this change of `team` by `actor`.
    pub fn entry(&self, team: TeamId, actor: UserId) -> NewTeamActivity {
        let mut changes = ChangeSet::default();
        let action = self.record(&mut changes);
        NewTeamActivity {
            id: ActivityId::new(),
            team,
            actor,
            action,
            changes,
            created_at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 6),
        }
    }

    fn record(&self, changes: &mut ChangeSet) -> ActivityAction {
        match self {
            Self::Renamed { from, to } => {
                changes.record("name", &from.as_str(), &to.as_str());
                ActivityAction::TeamUpdated
            }
            Self::MemberAdded { member, role } => {
                changes.record("member_id", &None, &Some(member));
                changes.record("role", &None, &Some(role.as_str()));
                ActivityAction::MemberAdded
            }
            Self::RoleChanged { member, from, to } => {
                changes.name("member_id", member);
                changes.record("role", &from.as_str(), &to.as_str());
                ActivityAction::MemberRoleChanged
            }
            Self::MemberRemoved { member, role } => {
                changes.record("member_id", &Some(member), &None);
                changes.record("role", &Some(role.as_str()), &None);
                ActivityAction::MemberRemoved
            }
            Self::InvitationCreated {
                invitation,
                email,
                role,
            } => {
                changes.record("invitation_id", &None, &Some(invitation));
                changes.record("email", &NONE, &Some(email.as_str().to_owned()));
                changes.record("role", &None, &Some(role.as_str()));
                ActivityAction::InvitationCreated
            }
            Self::InvitationAccepted {
                invitation,
                member,
                role,
            } => {
                changes.record("invitation_id", &Some(invitation), &None);
                changes.record("member_id", &None, &Some(member));
                changes.record("role", &None, &Some(role.as_str()));
                ActivityAction::InvitationAccepted
            }
            Self::InvitationRevoked {
                invitation,
                email,
                role,
            } => {
                changes.record("invitation_id", &Some(invitation), &None);
                changes.record("email", &Some(email.as_str().to_owned()), &NONE);
                changes.record("role", &Some(role.as_str()), &None);
                ActivityAction::InvitationRevoked
            }
            Self::WebhookCreated { webhook, host } => {
                changes.record("webhook_id", &None, &Some(webhook));
                changes.record("host", &None, &Some(host));
                ActivityAction::WebhookCreated
            }
            Self::WebhookDeleted { webhook, host } => {
                changes.record("webhook_id", &Some(webhook), &None);
                changes.record("host", &Some(host), &None);
                ActivityAction::WebhookDeleted
            }
        }
    }
}

/// Reading the trail (entries are written by `LockedTeam::audit`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TeamActivityRepository: Send + Sync {
    /// The team's entries, newest first, with each actor's name.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn list(
        &self,
        team: TeamId,
        page: PageRequest,
    ) -> Result<Paged<ActivityEntry>, DomainError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(change: &TeamChange<'_>) -> (ActivityAction, serde_json::Value) {
        let entry = change.entry(TeamId::new(), UserId::new());
        (entry.action, serde_json::to_value(&entry.changes).unwrap())
    }

    #[test]
    fn a_role_change_names_the_member_and_both_roles() {
        let member = UserId::new();
        let (action, changes) = changes(&TeamChange::RoleChanged {
            member,
            from: Role::Member,
            to: Role::Manager,
        });
        assert_eq!(action, ActivityAction::MemberRoleChanged);
        assert_eq!(
            changes,
            json!({"member_id": {"from": member, "to": member},
                   "role": {"from": "member", "to": "manager"}})
        );
    }

    #[test]
    fn adding_and_removing_name_the_member_and_the_role_on_the_right_side() {
        let member = UserId::new();
        let added = changes(&TeamChange::MemberAdded {
            member,
            role: Role::Admin,
        });
        assert_eq!(
            added,
            (
                ActivityAction::MemberAdded,
                json!({"member_id": {"from": null, "to": member},
                       "role": {"from": null, "to": "admin"}})
            )
        );
        let removed = changes(&TeamChange::MemberRemoved {
            member,
            role: Role::Member,
        });
        assert_eq!(
            removed,
            (
                ActivityAction::MemberRemoved,
                json!({"member_id": {"from": member, "to": null},
                       "role": {"from": "member", "to": null}})
            )
        );
    }

    #[test]
    fn invitations_name_the_address_and_acceptance_names_the_new_member() {
        let (invitation, member) = (Uuid::now_v7(), UserId::new());
        let email = Email::parse("Ada@Example.com").unwrap();
        let created = changes(&TeamChange::InvitationCreated {
            invitation,
            email: &email,
            role: Role::Member,
        });
        assert_eq!(created.0, ActivityAction::InvitationCreated);
        assert_eq!(
            created.1["email"],
            json!({"from": null, "to": "Ada@Example.com"})
        );
        assert_eq!(created.1["invitation_id"]["to"], json!(invitation));
        let revoked = changes(&TeamChange::InvitationRevoked {
            invitation,
            email: &email,
            role: Role::Member,
        });
        assert_eq!(revoked.0, ActivityAction::InvitationRevoked);
        assert_eq!(revoked.1["role"], json!({"from": "member", "to": null}));
        let accepted = changes(&TeamChange::InvitationAccepted {
            invitation,
            member,
            role: Role::Manager,
        });
        assert_eq!(
            accepted,
            (
                ActivityAction::InvitationAccepted,
                json!({"invitation_id": {"from": invitation, "to": null},
                       "member_id": {"from": null, "to": member},
                       "role": {"from": null, "to": "manager"}})
            )
        );
    }

    #[test]
    fn a_webhook_is_named_by_its_host_never_its_url() {
        let webhook = WebhookId::new();
        let (action, changes) = changes(&TeamChange::WebhookCreated {
            webhook,
            host: "hooks.example.com".into(),
        });
        assert_eq!(action, ActivityAction::WebhookCreated);
        assert_eq!(
            changes,
            json!({"webhook_id": {"from": null, "to": webhook},
                   "host": {"from": null, "to": "hooks.example.com"}})
        );
        let (action, _) = changes_of_deleted(webhook);
        assert_eq!(action, ActivityAction::WebhookDeleted);
    }

    fn changes_of_deleted(webhook: WebhookId) -> (ActivityAction, serde_json::Value) {
        changes(&TeamChange::WebhookDeleted {
            webhook,
            host: "hooks.example.com".into(),
        })
    }

    #[test]
    fn a_rename_records_both_names() {
        let (from, to) = (
            TeamName::parse("Ops").unwrap(),
            TeamName::parse("Platform").unwrap(),
        );
        let (action, changes) = changes(&TeamChange::Renamed {
            from: &from,
            to: &to,
        });
        assert_eq!(action, ActivityAction::TeamUpdated);
        assert_eq!(changes, json!({"name": {"from": "Ops", "to": "Platform"}}));
    }
}
