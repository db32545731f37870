//! What removing a member does to the work assigned to them.
//!
//! Decision: removal **unassigns** the member's live tasks in the team, in the
//! removal's own transaction (the team lock it holds already orders it with
//! every other membership change). A task assigned to someone who can no
//! longer read it would keep reminding them of a task they cannot open, and
//! would look owned to the team when nobody can act on it. Each unassignment
//! is an ordinary task update: a new version, an activity entry by the admin
//! who removed the member (`assignee_id` from the member to `null`), the
//! list generation bumped, and the armed reminder cancelled, as for any
//! unassignment. A reminder already claimed when the removal commits
//! re-checks membership at fire time (`notifications::decide`).

use crate::activity::{ActivityAction, ChangeSet, NewActivity};
use crate::ids::{ProjectId, TaskId, UserId};

/// The activity entry of a task unassigned because `former` left the team.
pub fn unassigned_on_removal(
    project: ProjectId,
    actor: UserId,
    task: TaskId,
    former: UserId,
) -> NewActivity {
    let mut changes = ChangeSet::default();
    changes.record("assignee_id", &Some(former), &None::<UserId>);
    NewActivity::new(
        project,
        actor,
        ActivityAction::TaskUpdated,
        task.as_uuid(),
        changes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_records_the_assignee_going_to_null_by_the_remover() {
        let (project, actor, task, former) = (
            ProjectId::new(),
            UserId::new(),
            TaskId::new(),
            UserId::new(),
        );
        let entry = unassigned_on_removal(project, actor, task, former);
        assert_eq!(entry.action, ActivityAction::TaskUpdated);
        assert_eq!((entry.project_id, entry.actor), (project, actor));
        assert_eq!(entry.entity_id, task.as_uuid());
        assert_eq!(
            serde_json::to_value(&entry.changes).unwrap(),
            serde_json::json!({"assignee_id": {"from": former, "to": null}})
        );
    }
}
