//! The RBAC table. Adding an action means adding one line per role here, and the
//! exhaustive test below fails until the whole matrix is decided.

use std::fmt;

/// A member's role in a team, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Manager,
    Member,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Manager, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Member => "member",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == value)
    }

    /// Whether this role may perform `action` in its team.
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match action {
            // Everyone in the team can see it. (Creating tasks and comments
            // needs membership only, which `access::role_in` already checks.)
            ViewTeam | ListMembers | ViewProjects => true,
            // Structure of the work: admins and managers.
            CreateProject | UpdateProject | UpdateAnyTask | DeleteAnyTask => {
                matches!(self, Role::Admin | Role::Manager)
            }
            // The team itself, its people and its integrations: admins only.
            UpdateTeam | DeleteTeam | AddMember | ChangeMemberRole | RemoveMember
            | DeleteProject | DeleteAnyComment | ManageWebhooks | ViewAuditTrail => {
                self == Role::Admin
            }
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a team member can try to do. Per-resource rules (a member editing
/// their own task, an author editing their comment) are decided by the owning
/// aggregate's policy on top of this table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ViewTeam,
    UpdateTeam,
    DeleteTeam,
    ListMembers,
    AddMember,
    ChangeMemberRole,
    /// Removing someone else; leaving the team yourself is always allowed.
    RemoveMember,
    CreateProject,
    ViewProjects,
    UpdateProject,
    DeleteProject,
    UpdateAnyTask,
    DeleteAnyTask,
    DeleteAnyComment,
    /// Register, list and delete the team's webhooks.
    ManageWebhooks,
    /// Read the team's audit trail (`GET /teams/{id}/activity`).
    ViewAuditTrail,
}

impl Action {
    pub const ALL: [Action; 16] = [
        Action::ViewTeam,
        Action::UpdateTeam,
        Action::DeleteTeam,
        Action::ListMembers,
        Action::AddMember,
        Action::ChangeMemberRole,
        Action::RemoveMember,
        Action::CreateProject,
        Action::ViewProjects,
        Action::UpdateProject,
        Action::DeleteProject,
        Action::UpdateAnyTask,
        Action::DeleteAnyTask,
        Action::DeleteAnyComment,
        Action::ManageWebhooks,
        Action::ViewAuditTrail,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_displays_as_its_wire_name() {
        assert_eq!(Role::Admin.to_string(), "admin");
        assert_eq!(Role::Member.to_string(), "member");
    }

    /// The whole matrix, written out as the contract states it: (action, admin,
    /// manager, member).
    const MATRIX: [(Action, bool, bool, bool); 16] = [
        (Action::ViewTeam, true, true, true),
        (Action::UpdateTeam, true, false, false),
        (Action::DeleteTeam, true, false, false),
        (Action::ListMembers, true, true, true),
        (Action::AddMember, true, false, false),
        (Action::ChangeMemberRole, true, false, false),
        (Action::RemoveMember, true, false, false),
        (Action::CreateProject, true, true, false),
        (Action::ViewProjects, true, true, true),
        (Action::UpdateProject, true, true, false),
        (Action::DeleteProject, true, false, false),
        (Action::UpdateAnyTask, true, true, false),
        (Action::DeleteAnyTask, true, true, false),
        (Action::DeleteAnyComment, true, false, false),
        (Action::ManageWebhooks, true, false, false),
        (Action::ViewAuditTrail, true, false, false),
    ];

    #[test]
    fn every_role_and_action_matches_the_contract() {
        for (action, admin, manager, member) in MATRIX {
            assert_eq!(Role::Admin.allows(action), admin, "admin × {action:?}");
            assert_eq!(
                Role::Manager.allows(action),
                manager,
                "manager × {action:?}"
            );
            assert_eq!(Role::Member.allows(action), member, "member × {action:?}");
        }
    }

    #[test]
    fn the_matrix_covers_every_action() {
        for action in Action::ALL {
            assert!(
                MATRIX.iter().any(|(a, ..)| *a == action),
                "{action:?} undecided"
            );
        }
    }

    #[test]
    fn roles_parse_from_their_wire_names_only() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("owner"), None);
        assert_eq!(Role::parse("Admin"), None);
    }
}
