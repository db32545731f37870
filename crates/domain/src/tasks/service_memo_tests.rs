//! Writes decided on remembered facts (`WriteMemo`): they skip the read,
//! their statement re-checks the facts, and every answer other than a stored
//! write is given on facts read fresh.

use super::*;
use crate::outbox::DecidedOn;
use crate::tasks::{TaskFacts, WriteMemo};
use std::collections::HashMap;
use std::sync::Mutex;

/// A memo in memory that remembers everything.
#[derive(Default)]
struct Remembering {
    projects: Mutex<HashMap<(ProjectId, UserId), DecidedOn>>,
    tasks: Mutex<HashMap<(TaskId, UserId), TaskFacts>>,
}

impl WriteMemo for Remembering {
    fn project(&self, project: ProjectId, caller: UserId) -> Option<DecidedOn> {
        self.projects
            .lock()
            .unwrap()
            .get(&(project, caller))
            .cloned()
    }
    fn keep_project(&self, project: ProjectId, caller: UserId, facts: DecidedOn) {
        self.projects
            .lock()
            .unwrap()
            .insert((project, caller), facts);
    }
    fn forget_project(&self, project: ProjectId, caller: UserId) {
        self.projects.lock().unwrap().remove(&(project, caller));
    }
    fn task(&self, task: TaskId, caller: UserId) -> Option<TaskFacts> {
        self.tasks.lock().unwrap().get(&(task, caller)).cloned()
    }
    fn keep_task(&self, caller: UserId, facts: TaskFacts) {
        let key = (facts.record.task.id, caller);
        self.tasks.lock().unwrap().insert(key, facts);
    }
    fn forget_task(&self, task: TaskId, caller: UserId) {
        self.tasks.lock().unwrap().remove(&(task, caller));
    }
}

fn decided(role: Role, team: TeamId, caller: UserId, hooks: &[Subscription]) -> DecidedOn {
    DecidedOn {
        role,
        context: context(team, caller, hooks),
    }
}

fn with_memo(fx: Fixture, memo: &Arc<Remembering>) -> TaskService {
    TaskService {
        memo: Arc::clone(memo) as Arc<dyn WriteMemo>,
        ..fx.service()
    }
}

fn remembered_task(memo: &Remembering, me: UserId, task: &Task, team: TeamId, role: Role) {
    let record = TaskRecord {
        task: task.clone(),
        team_id: team,
        caller_role: Some(role),
    };
    let decided = decided(role, team, me, &[]);
    memo.keep_task(me, TaskFacts { record, decided });
}

fn hook() -> Subscription {
    Subscription {
        webhook: crate::ids::WebhookId::new(),
        host: "hooks.example.com".into(),
        events: vec!["task.created".into()],
    }
}

#[test]
fn a_create_on_remembered_facts_sends_no_read_and_its_statement_carries_them() {
    let me = UserId::new();
    let mut fx = Fixture::new(vec![(me, Role::Member)]);
    let (project, team) = (fx.project, fx.team);
    let memo = Arc::new(Remembering::default());
    let facts = decided(Role::Member, team, me, &[]);
    memo.keep_project(project, me, facts.clone());
    fx.projects = MockProjectRepository::new();
    fx.projects.expect_get_for_write().never();
    fx.tasks
        .expect_create()
        .withf(move |_, _, _, _, _, _, carried| *carried == facts)
        .times(1)
        .returning(|_, _, draft, _, _, _, _| Ok(Checked::Stored(Once::Ran(returned(&draft, 1)))));

    block_on(with_memo(fx, &memo).create(me, project, draft(None), None)).unwrap();
}

#[test]
fn a_create_whose_facts_moved_is_decided_again_on_facts_read_fresh() {
    let me = UserId::new();
    let mut fx = Fixture::new(vec![(me, Role::Member)]);
    let (project, team) = (fx.project, fx.team);
    let memo = Arc::new(Remembering::default());
    memo.keep_project(project, me, decided(Role::Member, team, me, &[]));
    // Since this process remembered them, the team registered a webhook.
    let registered = hook();
    let fresh = decided(Role::Member, team, me, std::slice::from_ref(&registered));
    let read = fresh.clone();
    fx.projects = MockProjectRepository::new();
    fx.projects
        .expect_get_for_write()
        .times(1)
        .returning(move |id, _| {
            let project = Project::sample(id, team);
            Ok(Some((project, Some(Role::Member), read.context.clone())))
        });
    let stale = decided(Role::Member, team, me, &[]);
    fx.tasks
        .expect_create()
        .withf(move |_, _, _, _, _, _, carried| *carried == stale)
        .times(1)
        .returning(|_, _, _, _, _, _, _| Ok(Checked::FactsMoved));
    let carried_fresh = fresh.clone();
    fx.tasks
        .expect_create()
        .withf(move |_, _, _, _, outbox, _, carried| {
            *carried == carried_fresh
                && matches!(outbox.jobs.as_slice(), [NewJob::Deliver(d)] if d.webhook == registered.webhook)
        })
        .times(1)
        .returning(|_, _, draft, _, _, _, _| Ok(Checked::Stored(Once::Ran(returned(&draft, 1)))));

    block_on(with_memo(fx, &memo).create(me, project, draft(None), None)).unwrap();

    assert_eq!(memo.project(project, me), Some(fresh));
}

#[test]
fn a_refusal_on_remembered_facts_is_given_only_after_a_fresh_read() {
    let (me, colleague) = (UserId::new(), UserId::new());
    // Fresh: a manager, who may assign others. Remembered: a member.
    let mut fx = Fixture::new(vec![(me, Role::Manager), (colleague, Role::Member)]);
    let (project, team) = (fx.project, fx.team);
    let memo = Arc::new(Remembering::default());
    memo.keep_project(project, me, decided(Role::Member, team, me, &[]));
    fx.tasks
        .expect_create()
        .withf(|_, _, _, _, _, _, carried| carried.role == Role::Manager)
        .times(1)
        .returning(|_, _, draft, _, _, _, _| Ok(Checked::Stored(Once::Ran(returned(&draft, 1)))));

    let created = block_on(with_memo(fx, &memo).create(me, project, draft(Some(colleague)), None));

    assert!(created.is_ok(), "{created:?}");
}

#[test]
fn a_remembered_version_behind_if_match_is_read_again_not_refused() {
    let me = UserId::new();
    let current = task(me, 4);
    let id = current.id;
    let mut fx = Fixture::new(vec![(me, Role::Member)]).with_task(current.clone());
    let team = fx.team;
    let memo = Arc::new(Remembering::default());
    // Another replica wrote version 4; this process remembers 3.
    let behind = Task {
        version: 3,
        ..current
    };
    remembered_task(&memo, me, &behind, team, Role::Member);
    fx.tasks
        .expect_update()
        .withf(|_, expected, _, _, _| *expected == Version(4))
        .times(1)
        .returning(move |_, _, draft, _, _| {
            let stored = returned(&draft, 5);
            Ok(Checked::Stored(Task { id, ..stored }))
        });

    let patch = TaskPatch {
        title: Some(TaskTitle::parse("New").unwrap()),
        ..TaskPatch::default()
    };
    let updated = block_on(with_memo(fx, &memo).patch(me, id, Version(4), patch)).unwrap();

    assert_eq!(updated.version, 5);
    let kept = memo.task(id, me).expect("the stored task is remembered");
    assert_eq!(kept.record.task.version, 5);
}

#[test]
fn a_write_that_changes_nothing_is_answered_from_a_fresh_read() {
    let me = UserId::new();
    let current = task(me, 3);
    let (id, same) = (current.id, current.fields.clone());
    let mut fx = Fixture::new(vec![(me, Role::Member)]).with_task(current.clone());
    let team = fx.team;
    let memo = Arc::new(Remembering::default());
    let behind = Task {
        version: 2,
        ..current
    };
    remembered_task(&memo, me, &behind, team, Role::Member);
    fx.tasks.expect_update().never();

    // Identical to what this process remembers at version 2, but the task
    // is at 3: the answer is the 409 the stored task gives, not a 200.
    let outcome = block_on(with_memo(fx, &memo).replace(me, id, Version(2), same));

    assert!(matches!(
        outcome,
        Err(DomainError::VersionConflict { current: 3 })
    ));
}

#[test]
fn facts_that_move_on_every_attempt_end_unavailable_with_nothing_stored() {
    let me = UserId::new();
    let current = task(me, 1);
    let id = current.id;
    let mut fx = Fixture::new(vec![(me, Role::Member)]).with_task(current);
    fx.tasks
        .expect_update()
        .times(ATTEMPTS)
        .returning(|_, _, _, _, _| Ok(Checked::FactsMoved));

    let patch = TaskPatch {
        title: Some(TaskTitle::parse("New").unwrap()),
        ..TaskPatch::default()
    };
    let outcome = block_on(fx.service().patch(me, id, Version(1), patch));

    assert!(matches!(outcome, Err(DomainError::Unavailable { .. })));
}
