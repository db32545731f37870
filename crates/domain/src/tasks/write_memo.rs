//! What this process remembers of the facts its task writes were decided on,
//! so the next write by the same caller can skip the read that authorizes it
//! and send one statement instead of two.
//!
//! A memo is never trusted alone: every write decided on remembered facts
//! carries them ([`DecidedOn`]) and its statement stores nothing unless they
//! still hold ([`Checked::FactsMoved`](crate::outbox::Checked)); and any answer
//! that is not a stored write (a refusal, a 409, a write that changes nothing)
//! is decided again on facts read fresh. So another replica's write, a role
//! change or a new webhook costs the next write here one retry, never a
//! wrong answer.

use super::ports::TaskRecord;
use crate::ids::{ProjectId, TaskId, UserId};
use crate::outbox::DecidedOn;

/// A task as its last write here left it, with the facts that write was
/// decided on.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFacts {
    pub record: TaskRecord,
    pub decided: DecidedOn,
}

/// Per-process memory of write facts, keyed by caller. Bounded: an
/// implementation may forget anything at any time (a forgotten entry costs
/// one read).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait WriteMemo: Send + Sync {
    /// The facts a create of a task in `project` by `caller` was last decided on.
    fn project(&self, project: ProjectId, caller: UserId) -> Option<DecidedOn>;
    fn keep_project(&self, project: ProjectId, caller: UserId, facts: DecidedOn);
    fn forget_project(&self, project: ProjectId, caller: UserId);

    /// The task as `caller`'s last write of it left it.
    fn task(&self, task: TaskId, caller: UserId) -> Option<TaskFacts>;
    fn keep_task(&self, caller: UserId, facts: TaskFacts);
    fn forget_task(&self, task: TaskId, caller: UserId);
}

/// Remembers nothing: every write reads its facts first (two statements).
pub struct NoWriteMemo;

impl WriteMemo for NoWriteMemo {
    fn project(&self, _: ProjectId, _: UserId) -> Option<DecidedOn> {
        None
    }
    fn keep_project(&self, _: ProjectId, _: UserId, _: DecidedOn) {}
    fn forget_project(&self, _: ProjectId, _: UserId) {}
    fn task(&self, _: TaskId, _: UserId) -> Option<TaskFacts> {
        None
    }
    fn keep_task(&self, _: UserId, _: TaskFacts) {}
    fn forget_task(&self, _: TaskId, _: UserId) {}
}
