//! The api's `WriteMemo`: the facts of this process's recent task writes, in
//! bounded memory (`quick_cache`, weighed in bytes, so long descriptions
//! cannot grow it past its budget). Each api replica has its own and none is
//! ever told of another's writes: the write statement re-checks every fact
//! (`domain::outbox::DecidedOn`), so a stale entry costs one read, never a
//! wrong answer. Redis would put a round trip back on the path this saves.

use domain::ids::{ProjectId, TaskId, UserId};
use domain::outbox::DecidedOn;
use domain::tasks::{TaskFacts, WriteMemo};
use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// Bytes each of the two maps may hold (approximately: what the values own).
const BUDGET_BYTES: u64 = 16 * 1024 * 1024;

pub struct InProcessWriteMemo {
    projects: Cache<(ProjectId, UserId), DecidedOn, Bytes>,
    tasks: Cache<(TaskId, UserId), TaskFacts, Bytes>,
}

impl Default for InProcessWriteMemo {
    fn default() -> Self {
        // The estimate sizes the hash tables, the budget bounds them.
        let estimated = usize::try_from(BUDGET_BYTES / 1024).unwrap_or(16_384);
        Self {
            projects: Cache::with_weighter(estimated, BUDGET_BYTES, Bytes),
            tasks: Cache::with_weighter(estimated, BUDGET_BYTES, Bytes),
        }
    }
}

/// What an entry owns, roughly: its struct and its text.
#[derive(Clone)]
struct Bytes;

fn decided_bytes(decided: &DecidedOn) -> u64 {
    let hooks: usize = decided
        .context
        .subscriptions
        .iter()
        .map(|hook| {
            std::mem::size_of_val(hook)
                + hook.host.len()
                + hook
                    .events
                    .iter()
                    .map(|event| event.len() + 24)
                    .sum::<usize>()
        })
        .sum();
    (std::mem::size_of::<DecidedOn>() + decided.context.actor.name.len() + hooks) as u64
}

impl Weighter<(ProjectId, UserId), DecidedOn> for Bytes {
    fn weight(&self, _: &(ProjectId, UserId), decided: &DecidedOn) -> u64 {
        decided_bytes(decided)
    }
}

impl Weighter<(TaskId, UserId), TaskFacts> for Bytes {
    fn weight(&self, _: &(TaskId, UserId), facts: &TaskFacts) -> u64 {
        let fields = &facts.record.task.fields;
        let text = fields.title.as_str().len() + fields.description.as_str().map_or(0, str::len);
        decided_bytes(&facts.decided) + (std::mem::size_of::<TaskFacts>() + text) as u64
    }
}

impl WriteMemo for InProcessWriteMemo {
    fn project(&self, project: ProjectId, caller: UserId) -> Option<DecidedOn> {
        self.projects.get(&(project, caller))
    }
    fn keep_project(&self, project: ProjectId, caller: UserId, facts: DecidedOn) {
        self.projects.insert((project, caller), facts);
    }
    fn forget_project(&self, project: ProjectId, caller: UserId) {
        self.projects.remove(&(project, caller));
    }
    fn task(&self, task: TaskId, caller: UserId) -> Option<TaskFacts> {
        self.tasks.get(&(task, caller))
    }
    fn keep_task(&self, caller: UserId, facts: TaskFacts) {
        self.tasks.insert((facts.record.task.id, caller), facts);
    }
    fn forget_task(&self, task: TaskId, caller: UserId) {
        self.tasks.remove(&(task, caller));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::access::Role;
    use domain::ids::TeamId;
    use domain::outbox::WriteContext;

    fn facts(name_len: usize) -> DecidedOn {
        let mut context = WriteContext::quiet(TeamId::new(), UserId::new());
        context.actor.name = "n".repeat(name_len);
        DecidedOn {
            role: Role::Member,
            context,
        }
    }

    #[test]
    fn what_it_keeps_it_gives_back_until_forgotten() {
        let memo = InProcessWriteMemo::default();
        let (project, caller) = (ProjectId::new(), UserId::new());
        let kept = facts(4);
        memo.keep_project(project, caller, kept.clone());
        assert_eq!(memo.project(project, caller), Some(kept));
        assert_eq!(
            memo.project(project, UserId::new()),
            None,
            "keyed by caller too"
        );
        memo.forget_project(project, caller);
        assert_eq!(memo.project(project, caller), None);
    }

    #[test]
    fn its_memory_is_bounded_by_bytes_not_entries() {
        let memo = InProcessWriteMemo::default();
        // 64 KiB per entry: the 16 MiB budget holds a few hundred, not 1,000.
        for _ in 0..1_000 {
            memo.keep_project(ProjectId::new(), UserId::new(), facts(64 * 1024));
        }
        assert!(
            memo.projects.len() < 300,
            "{} entries kept",
            memo.projects.len()
        );
        assert!(memo.projects.weight() <= BUDGET_BYTES);
    }
}
