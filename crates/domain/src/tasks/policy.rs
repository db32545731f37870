//! The task policy and the optimistic-lock rule, as pure functions.
//!
//! Admins and managers may update and delete any task of their team. A member may
//! update a task they created or are assigned to, may assign only themself or
//! nobody, and may delete only tasks they created.

use super::model::{Task, Version};
use crate::access::{Action, Role};
use crate::ids::UserId;
use crate::DomainError;

pub fn can_update(role: Role, caller: UserId, task: &Task) -> bool {
    role.allows(Action::UpdateAnyTask)
        || task.created_by == caller
        || task.fields.assignee_id == Some(caller)
}

/// Whether `caller` may make `assignee` the task's assignee.
pub fn can_assign(role: Role, caller: UserId, assignee: Option<UserId>) -> bool {
    role.allows(Action::UpdateAnyTask) || assignee.is_none() || assignee == Some(caller)
}

pub fn can_delete(role: Role, caller: UserId, task: &Task) -> bool {
    role.allows(Action::DeleteAnyTask) || task.created_by == caller
}

/// The optimistic lock: the writer's `expected` version must be the current one.
///
/// # Errors
/// `VersionConflict { current }` on mismatch.
pub fn check_version(expected: Version, current: i64) -> Result<(), DomainError> {
    if expected.0 == current {
        Ok(())
    } else {
        Err(DomainError::VersionConflict { current })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ProjectId, TaskId};
    use crate::tasks::TaskDraft;
    use chrono::Utc;

    fn task(created_by: UserId, assignee: Option<UserId>) -> Task {
        let fields = TaskDraft::parse("T", None, None, None, None, assignee)
            .unwrap_or_else(|e| panic!("{e}"));
        Task {
            id: TaskId::new(),
            project_id: ProjectId::new(),
            fields,
            created_by,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            comment_count: 0,
        }
    }

    /// (role, caller relation, may update, may delete)
    #[test]
    fn the_task_policy_matrix() {
        let (me, other) = (UserId::new(), UserId::new());
        let mine = task(me, None);
        let assigned_to_me = task(other, Some(me));
        let someone_elses = task(other, None);
        for role in [Role::Admin, Role::Manager] {
            for t in [&mine, &assigned_to_me, &someone_elses] {
                assert!(can_update(role, me, t) && can_delete(role, me, t), "{role}");
            }
        }
        assert!(can_update(Role::Member, me, &mine));
        assert!(can_delete(Role::Member, me, &mine));
        assert!(can_update(Role::Member, me, &assigned_to_me));
        assert!(
            !can_delete(Role::Member, me, &assigned_to_me),
            "assignees may not delete"
        );
        assert!(!can_update(Role::Member, me, &someone_elses));
        assert!(!can_delete(Role::Member, me, &someone_elses));
    }

    #[test]
    fn members_assign_only_themselves_or_nobody() {
        let (me, other) = (UserId::new(), UserId::new());
        assert!(can_assign(Role::Member, me, Some(me)));
        assert!(can_assign(Role::Member, me, None));
        assert!(!can_assign(Role::Member, me, Some(other)));
        assert!(can_assign(Role::Manager, me, Some(other)));
        assert!(can_assign(Role::Admin, me, Some(other)));
    }

    #[test]
    fn a_stale_version_is_a_conflict_naming_the_current_one() {
        assert!(check_version(Version(3), 3).is_ok());
        assert!(matches!(
            check_version(Version(2), 3),
            Err(DomainError::VersionConflict { current: 3 })
        ));
    }
}
