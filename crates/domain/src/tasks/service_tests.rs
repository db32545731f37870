//! TaskService rules with mockall fakes of the repositories.

use super::*;
use crate::jobs::{ActorRef, NewJob};
use crate::outbox::{Checked, Outbox, WriteContext};
use crate::projects::{MockProjectRepository, Project};
use crate::tasks::{
    BuildList, CacheStatus, MockTaskRepository, NoWriteMemo, Priority, Status, TaskListCache,
    TaskListQuery, TaskTitle,
};
use crate::teams::{MockTeamRepository, Team};
use crate::webhooks::Subscription;
use chrono::Utc;
use futures_executor::block_on;

struct Fixture {
    members: Vec<(UserId, Role)>,
    tasks: MockTaskRepository,
    projects: MockProjectRepository,
    teams: MockTeamRepository,
    team: TeamId,
    project: ProjectId,
    subscriptions: Vec<Subscription>,
}

/// What the fakes load with a write: the team, the caller, the fixture's webhooks.
fn context(team: TeamId, caller: UserId, subscriptions: &[Subscription]) -> WriteContext {
    WriteContext {
        team,
        actor: ActorRef {
            id: caller,
            name: "Caller".into(),
        },
        subscriptions: subscriptions.to_vec(),
    }
}

impl Fixture {
    /// `members` maps users to their role in the project's team.
    fn new(members: Vec<(UserId, Role)>) -> Self {
        let (team, project) = (TeamId::new(), ProjectId::new());
        let mut projects = MockProjectRepository::new();
        let readers = members.clone();
        projects
            .expect_get_for_write()
            .returning(move |id, caller| {
                let role = readers
                    .iter()
                    .find(|(user, _)| *user == caller)
                    .map(|(_, role)| *role);
                let project = Project::sample(id, team);
                Ok(Some((project, role, context(team, caller, &[]))))
            });
        let mut teams = MockTeamRepository::new();
        // Every caller in these tests has an account; only membership varies.
        teams.expect_account_exists().returning(|_| Ok(true));
        let in_team = members.clone();
        teams.expect_membership().returning(move |team_id, user| {
            Ok(in_team.iter().find(|(id, _)| *id == user).map(|(_, role)| {
                (
                    Team {
                        id: team_id,
                        name: crate::teams::TeamName::stored("T".into()),
                        created_at: Utc::now(),
                    },
                    *role,
                )
            }))
        });
        Self {
            members,
            tasks: MockTaskRepository::new(),
            projects,
            teams,
            team,
            project,
            subscriptions: Vec::new(),
        }
    }

    /// The team's webhooks, as every write loads them (call before `with_task`).
    fn with_webhooks(mut self, subscriptions: Vec<Subscription>) -> Self {
        self.subscriptions = subscriptions;
        self
    }

    fn with_task(mut self, task: Task) -> Self {
        let (team, members) = (self.team, self.members.clone());
        let subscriptions = self.subscriptions.clone();
        // The repository reads the caller's role with the task, in one statement.
        let record = move |caller: UserId| TaskRecord {
            task: task.clone(),
            team_id: team,
            caller_role: members
                .iter()
                .find(|(id, _)| *id == caller)
                .map(|(_, role)| *role),
        };
        let read = record.clone();
        self.tasks
            .expect_get()
            .returning(move |_, caller| Ok(Some(read(caller))));
        self.tasks
            .expect_get_for_write()
            .returning(move |_, caller| {
                Ok(Some((
                    record(caller),
                    context(team, caller, &subscriptions),
                )))
            });
        self
    }

    fn service(self) -> TaskService {
        TaskService {
            tasks: Arc::new(self.tasks),
            projects: Arc::new(self.projects),
            teams: Arc::new(self.teams),
            list_cache: Arc::new(FakeListCache::default()),
            memo: Arc::new(NoWriteMemo),
            reminder_lead: ReminderLead::default(),
        }
    }
}

/// A list cache in memory: unit tests only (the real one is Redis, tested
/// against a real server).
#[derive(Default)]
struct FakeListCache {
    pages: std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

#[async_trait::async_trait]
impl TaskListCache for FakeListCache {
    async fn fetch<'a>(
        &'a self,
        key: &'a str,
        build: BuildList<'a>,
    ) -> Result<(Vec<u8>, CacheStatus), DomainError> {
        if let Some(page) = self.pages.lock().unwrap().get(key) {
            return Ok((page.clone(), CacheStatus::Hit));
        }
        let page = build.await?;
        self.pages
            .lock()
            .unwrap()
            .insert(key.to_owned(), page.clone());
        Ok((page, CacheStatus::Miss))
    }
}

fn draft(assignee: Option<UserId>) -> TaskDraft {
    TaskDraft::parse("Write docs", None, None, None, None, assignee).unwrap()
}

fn task(created_by: UserId, version: i64) -> Task {
    Task {
        id: TaskId::new(),
        project_id: ProjectId::new(),
        fields: draft(None),
        created_by,
        version,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        comment_count: 0,
    }
}

fn returned(draft: &TaskDraft, version: i64) -> Task {
    Task {
        fields: draft.clone(),
        version,
        ..task(UserId::new(), version)
    }
}

#[test]
fn creating_stores_defaults_and_a_task_created_entry() {
    let me = UserId::new();
    let mut fx = Fixture::new(vec![(me, Role::Member)]);
    let project = fx.project;
    fx.tasks
        .expect_create()
        .withf(move |id, p, draft, by, outbox, once, _| {
            once.is_none()
                && *p == project
                && draft.status == Status::Todo
                && draft.priority == Priority::Medium
                && *by == me
                && outbox.activity.action == crate::activity::ActivityAction::TaskCreated
                && outbox.activity.entity_id == id.as_uuid()
        })
        .times(1)
        .returning(|_, _, draft, _, _, _, _| Ok(Checked::Stored(Once::Ran(returned(&draft, 1)))));

    let created = block_on(fx.service().create(me, project, draft(None), None)).unwrap();

    assert!(matches!(created, Once::Ran(task) if task.version == 1));
}

#[test]
fn the_assignee_must_be_a_member_of_the_team() {
    let (me, stranger) = (UserId::new(), UserId::new());
    let mut fx = Fixture::new(vec![(me, Role::Manager)]);
    fx.tasks.expect_create().never();
    let project = fx.project;

    let outcome = block_on(
        fx.service()
            .create(me, project, draft(Some(stranger)), None),
    );

    assert!(
        matches!(outcome, Err(DomainError::Invalid(fields)) if fields[0].field == "assignee_id")
    );
}

#[test]
fn members_may_not_assign_others_but_may_assign_themselves() {
    let (me, colleague) = (UserId::new(), UserId::new());
    let mut fx = Fixture::new(vec![(me, Role::Member), (colleague, Role::Member)]);
    fx.tasks
        .expect_create()
        .times(1)
        .returning(|_, _, draft, _, _, _, _| Ok(Checked::Stored(Once::Ran(returned(&draft, 1)))));
    let project = fx.project;
    let service = fx.service();

    assert!(matches!(
        block_on(service.create(me, project, draft(Some(colleague)), None)),
        Err(DomainError::Forbidden(_))
    ));
    assert!(block_on(service.create(me, project, draft(Some(me)), None)).is_ok());
}

#[test]
fn outsiders_get_not_found_for_tasks_and_projects() {
    let outsider = UserId::new();
    let existing = task(UserId::new(), 1);
    let id = existing.id;
    let fx = Fixture::new(vec![]).with_task(existing);
    let project = fx.project;
    let service = fx.service();

    assert!(matches!(
        block_on(service.get(outsider, id)),
        Err(DomainError::NotFound("task"))
    ));
    assert!(matches!(
        block_on(service.create(outsider, project, draft(None), None)),
        Err(DomainError::NotFound("project"))
    ));
}

#[test]
fn a_stale_body_version_is_a_conflict_before_any_write() {
    let me = UserId::new();
    let existing = task(me, 3);
    let id = existing.id;
    let mut fx = Fixture::new(vec![(me, Role::Member)]).with_task(existing);
    fx.tasks.expect_update().never();

    let patch = TaskPatch {
        title: Some(TaskTitle::parse("New").unwrap()),
        ..TaskPatch::default()
    };
    let outcome = block_on(fx.service().patch(me, id, Version(2), patch));

    assert!(matches!(
        outcome,
        Err(DomainError::VersionConflict { current: 3 })
    ));
}

#[test]
fn losing_the_compare_and_set_race_is_a_conflict_naming_the_new_version() {
    let me = UserId::new();
    let existing = task(me, 3);
    let id = existing.id;
    let mut fx = Fixture::new(vec![(me, Role::Member)]);
    let team = fx.team;
    // Version 3 when read; another writer makes it 4 before our statement,
    // which stores nothing; the second read sees 4.
    let reads = std::sync::atomic::AtomicI64::new(3);
    fx.tasks.expect_get_for_write().returning(move |_, caller| {
        let version = reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let record = TaskRecord {
            task: Task {
                version,
                ..existing.clone()
            },
            team_id: team,
            caller_role: Some(Role::Member),
        };
        Ok(Some((record, context(team, caller, &[]))))
    });
    fx.tasks
        .expect_update()
        .withf(|_, expected, _, _, _| *expected == Version(3))
        .times(1)
        .returning(|_, _, _, _, _| Ok(Checked::FactsMoved));

    let patch = TaskPatch {
        title: Some(TaskTitle::parse("New").unwrap()),
        ..TaskPatch::default()
    };
    let outcome = block_on(fx.service().patch(me, id, Version(3), patch));

    assert!(matches!(
        outcome,
        Err(DomainError::VersionConflict { current: 4 })
    ));
}

#[test]
fn an_update_records_what_changed_and_expects_the_version_read() {
    let me = UserId::new();
    let existing = task(me, 5);
    let id = existing.id;
    let mut fx = Fixture::new(vec![(me, Role::Member)]).with_task(existing);
    fx.tasks
        .expect_update()
        .withf(|_, expected, draft, outbox, _| {
            *expected == Version(5)
                && draft.status == Status::Done
                && serde_json::to_value(&outbox.activity.changes).unwrap()
                    == serde_json::json!({"status": {"from": "todo", "to": "done"}})
        })
        .times(1)
        .returning(|_, _, draft, _, _| Ok(Checked::Stored(returned(&draft, 6))));

    let patch = TaskPatch {
        status: Some(Status::Done),
        ..TaskPatch::default()
    };
    let updated = block_on(fx.service().patch(me, id, Version(5), patch)).unwrap();

    assert_eq!(updated.version, 6);
}

#[test]
fn a_replacement_that_changes_nothing_writes_nothing() {
    let me = UserId::new();
    let existing = task(me, 2);
    let (id, same) = (existing.id, existing.fields.clone());
    let mut fx = Fixture::new(vec![(me, Role::Member)]).with_task(existing);
    fx.tasks.expect_update().never();

    let outcome = block_on(fx.service().replace(me, id, Version(2), same)).unwrap();

    assert_eq!(outcome.version, 2);
}

#[test]
fn members_may_not_edit_or_delete_other_peoples_tasks() {
    let (me, author) = (UserId::new(), UserId::new());
    let existing = task(author, 1);
    let id = existing.id;
    let mut fx = Fixture::new(vec![(me, Role::Member), (author, Role::Member)]).with_task(existing);
    fx.tasks.expect_update().never();
    fx.tasks.expect_soft_delete().never();
    let service = fx.service();

    let patch = TaskPatch {
        title: Some(TaskTitle::parse("Mine now").unwrap()),
        ..TaskPatch::default()
    };
    assert!(matches!(
        block_on(service.patch(me, id, Version(1), patch)),
        Err(DomainError::Forbidden(_))
    ));
    assert!(matches!(
        block_on(service.delete(me, id)),
        Err(DomainError::Forbidden(_))
    ));
}

fn count_render(page: &crate::tasks::TaskPage) -> Result<Vec<u8>, DomainError> {
    Ok(page.tasks.len().to_string().into_bytes())
}

#[test]
fn a_cached_list_is_read_once_per_generation_and_authorized_every_time() {
    let me = UserId::new();
    let mut fx = Fixture::new(vec![(me, Role::Member)]);
    let project = fx.project;
    let team = fx.team;
    let generation = Arc::new(std::sync::atomic::AtomicI64::new(1));
    let seen = Arc::clone(&generation);
    fx.projects
        .expect_get_with_list_generation()
        .times(3)
        .returning(move |id, _| {
            Ok(Some((
                Project::sample(id, team),
                Some(Role::Member),
                seen.load(std::sync::atomic::Ordering::SeqCst),
            )))
        });
    // Storage is read for the first list and again after the generation
    // moved (a write), not for the repeat in between.
    fx.tasks
        .expect_list()
        .times(2)
        .returning(|_| Ok((Vec::new(), crate::tasks::ListTotal::exact(0))));
    let service = fx.service();
    let list = || {
        let held = HeldTags::Nothing;
        match block_on(service.list(me, TaskListQuery::unfiltered(project), &held, &count_render)) {
            Ok(Listed::Page { cache, .. }) => cache,
            other => panic!("a page, not {other:?}"),
        }
    };

    assert_eq!(list(), CacheStatus::Miss);
    assert_eq!(list(), CacheStatus::Hit);
    generation.store(2, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(list(), CacheStatus::Miss);
}

/// A client holding the page's tag is answered `Unchanged` after the
/// authorization statement, without a read of the page or the cache; once a
/// write moved the generation, the same tag gets the page again, with a new
/// tag.
#[test]
fn a_held_tag_is_unchanged_without_reading_the_page_until_the_generation_moves() {
    let me = UserId::new();
    let mut fx = Fixture::new(vec![(me, Role::Member)]);
    let (project, team) = (fx.project, fx.team);
    let generation = Arc::new(std::sync::atomic::AtomicI64::new(1));
    let seen = Arc::clone(&generation);
    fx.projects
        .expect_get_with_list_generation()
        .times(3)
        .returning(move |id, _| {
            let generation = seen.load(std::sync::atomic::Ordering::SeqCst);
            Ok(Some((
                Project::sample(id, team),
                Some(Role::Member),
                generation,
            )))
        });
    fx.tasks
        .expect_list()
        .times(2)
        .returning(|_| Ok((Vec::new(), crate::tasks::ListTotal::exact(0))));
    let service = fx.service();
    let list = |held: &HeldTags| {
        block_on(service.list(me, TaskListQuery::unfiltered(project), held, &count_render)).unwrap()
    };

    let Listed::Page { tag, .. } = list(&HeldTags::Nothing) else {
        panic!("a first read is a page")
    };
    let held = HeldTags::Tags(vec!["other".into(), tag.as_str().to_owned()]);
    match list(&held) {
        Listed::Unchanged { tag: same } => assert_eq!(same, tag),
        page => panic!("the held page is unchanged, not {page:?}"),
    }
    generation.store(2, std::sync::atomic::Ordering::SeqCst);
    match list(&held) {
        Listed::Page { tag: moved, .. } => assert_ne!(moved, tag),
        unchanged => panic!("a write moved the page: {unchanged:?}"),
    }
}

/// Holding a tag, even `*`, does not skip authorization: an outsider gets
/// `NotFound`, not `Unchanged`.
#[test]
fn an_outsider_holding_any_tag_is_not_found() {
    let me = UserId::new();
    let mut fx = Fixture::new(vec![]);
    let (project, team) = (fx.project, fx.team);
    fx.projects
        .expect_get_with_list_generation()
        .returning(move |id, _| Ok(Some((Project::sample(id, team), None, 1))));
    fx.tasks.expect_list().never();
    let service = fx.service();
    let answer = block_on(service.list(
        me,
        TaskListQuery::unfiltered(project),
        &HeldTags::Any,
        &count_render,
    ));
    assert!(
        matches!(answer, Err(DomainError::NotFound(_))),
        "{answer:?}"
    );
}

fn shape(page: &crate::tasks::TaskPage) -> Result<Vec<u8>, DomainError> {
    Ok(format!("{}:{}", page.tasks.len(), page.next_cursor.is_some()).into_bytes())
}

/// The repository is asked for one row more than the page; that row only
/// says whether a next page exists.
#[test]
fn a_next_cursor_exactly_when_storage_has_more_than_a_page() {
    let me = UserId::new();
    for (stored, expected) in [(1, "1:false"), (2, "2:false"), (3, "2:true")] {
        let mut fx = Fixture::new(vec![(me, Role::Member)]);
        let (project, team) = (fx.project, fx.team);
        fx.projects
            .expect_get_with_list_generation()
            .returning(move |id, _| Ok(Some((Project::sample(id, team), Some(Role::Member), 1))));
        fx.tasks.expect_list().returning(move |_| {
            let tasks = (0..stored).map(|_| task(UserId::new(), 1)).collect();
            Ok((tasks, crate::tasks::ListTotal::exact(stored as i64)))
        });
        let query = TaskListQuery {
            limit: 2,
            ..TaskListQuery::unfiltered(project)
        };
        let Listed::Page { body, .. } =
            block_on(fx.service().list(me, query, &HeldTags::Nothing, &shape)).unwrap()
        else {
            panic!("no tag was held")
        };
        assert_eq!(
            String::from_utf8(body).unwrap(),
            expected,
            "{stored} stored"
        );
    }
}

#[test]
fn changing_the_assignee_checks_the_new_one_and_keeping_it_does_not() {
    let (me, stranger) = (UserId::new(), UserId::new());
    let existing = task(me, 1);
    let id = existing.id;
    let mut fx = Fixture::new(vec![(me, Role::Manager)]).with_task(existing);
    fx.tasks
        .expect_update()
        .times(1)
        .returning(|_, _, draft, _, _| Ok(Checked::Stored(returned(&draft, 2))));
    let service = fx.service();

    let to_stranger = TaskPatch {
        assignee_id: Some(Some(stranger)),
        ..TaskPatch::default()
    };
    assert!(matches!(
        block_on(service.patch(me, id, Version(1), to_stranger)),
        Err(DomainError::Invalid(fields)) if fields[0].field == "assignee_id"
    ));
    let title_only = TaskPatch {
        title: Some(TaskTitle::parse("Renamed").unwrap()),
        ..TaskPatch::default()
    };
    assert!(block_on(service.patch(me, id, Version(1), title_only)).is_ok());
}

/// What an update hands storage, captured.
fn capture_update(fx: &mut Fixture) -> Arc<std::sync::Mutex<Option<Outbox>>> {
    let seen = Arc::new(std::sync::Mutex::new(None));
    let keep = Arc::clone(&seen);
    fx.tasks
        .expect_update()
        .returning(move |_, expected, draft, outbox, _| {
            *keep.lock().unwrap() = Some(outbox);
            Ok(Checked::Stored(returned(&draft, expected.0 + 1)))
        });
    seen
}

fn due_task(me: UserId) -> Task {
    let mut existing = task(me, 1);
    existing.fields.assignee_id = Some(me);
    existing.fields.due_at = Some(Utc::now() + chrono::Duration::days(2));
    existing
}

fn patched(fx: Fixture, me: UserId, id: TaskId, patch: TaskPatch) {
    block_on(fx.service().patch(me, id, Version(1), patch)).unwrap();
}

#[test]
fn creating_an_assigned_due_task_arms_its_reminder_a_lead_before_the_due_date() {
    let me = UserId::new();
    let mut fx = Fixture::new(vec![(me, Role::Member)]);
    let project = fx.project;
    let due_at = Utc::now() + chrono::Duration::days(1);
    fx.tasks
        .expect_create()
        .withf(move |id, _, _, _, outbox, _, _| {
            outbox.jobs
                == [NewJob::Remind {
                    due: crate::jobs::ReminderDue {
                        task_id: *id,
                        due_at,
                    },
                    run_at: due_at - chrono::Duration::hours(1),
                }]
        })
        .times(1)
        .returning(|_, _, draft, _, _, _, _| Ok(Checked::Stored(Once::Ran(returned(&draft, 1)))));
    let mut draft = draft(Some(me));
    draft.due_at = Some(due_at);

    block_on(fx.service().create(me, project, draft, None)).unwrap();
}

#[test]
fn a_new_due_date_rearms_the_reminder_and_a_title_edit_leaves_it_queued() {
    let me = UserId::new();
    let existing = due_task(me);
    let id = existing.id;
    let new_due = existing.fields.due_at.unwrap() + chrono::Duration::hours(3);

    let mut fx = Fixture::new(vec![(me, Role::Member)]).with_task(existing.clone());
    let seen = capture_update(&mut fx);
    let patch = TaskPatch {
        due_at: Some(Some(new_due)),
        ..TaskPatch::default()
    };
    patched(fx, me, id, patch);
    let outbox = seen.lock().unwrap().take().unwrap();
    assert_eq!(outbox.rearmed, Some(id));
    assert_eq!(
        outbox.reminders().collect::<Vec<_>>(),
        [&NewJob::Remind {
            due: crate::jobs::ReminderDue {
                task_id: id,
                due_at: new_due
            },
            run_at: new_due - chrono::Duration::hours(1),
        }]
    );

    let mut fx = Fixture::new(vec![(me, Role::Member)]).with_task(existing);
    let seen = capture_update(&mut fx);
    let patch = TaskPatch {
        title: Some(TaskTitle::parse("Renamed").unwrap()),
        ..TaskPatch::default()
    };
    patched(fx, me, id, patch);
    let outbox = seen.lock().unwrap().take().unwrap();
    assert_eq!(outbox.rearmed, None, "the queued reminder still applies");
    assert!(outbox.jobs.is_empty());
}

#[test]
fn done_or_unassigned_withdraws_the_reminder() {
    let me = UserId::new();
    let existing = due_task(me);
    let id = existing.id;
    for patch in [
        TaskPatch {
            status: Some(Status::Done),
            ..TaskPatch::default()
        },
        TaskPatch {
            assignee_id: Some(None),
            ..TaskPatch::default()
        },
    ] {
        let mut fx = Fixture::new(vec![(me, Role::Member)]).with_task(existing.clone());
        let seen = capture_update(&mut fx);
        patched(fx, me, id, patch.clone());
        let outbox = seen.lock().unwrap().take().unwrap();
        assert_eq!(outbox.rearmed, Some(id), "{patch:?}");
        assert_eq!(outbox.reminders().count(), 0, "{patch:?}");
    }
}

#[test]
fn deleting_a_task_withdraws_its_reminder() {
    let me = UserId::new();
    let existing = due_task(me);
    let id = existing.id;
    let mut fx = Fixture::new(vec![(me, Role::Admin)]).with_task(existing);
    fx.tasks
        .expect_soft_delete()
        .withf(move |_, expected, outbox, _| {
            *expected == Version(1) && outbox.rearmed == Some(id) && outbox.reminders().count() == 0
        })
        .times(1)
        .returning(|_, _, _, _| Ok(Checked::Stored(())));

    block_on(fx.service().delete(me, id)).unwrap();
}

#[test]
fn a_write_is_delivered_to_each_webhook_subscribed_to_its_event_and_no_other() {
    let me = UserId::new();
    let existing = task(me, 1);
    let (id, project) = (existing.id, existing.project_id);
    let hook = |events: &[&str], host: &str| Subscription {
        webhook: crate::ids::WebhookId::new(),
        host: host.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
    };
    let wants_updates = hook(&["task.created", "task.updated"], "a.example.com");
    let wants_comments = hook(&["comment.created"], "b.example.com");
    let mut fx = Fixture::new(vec![(me, Role::Member)])
        .with_webhooks(vec![wants_updates.clone(), wants_comments])
        .with_task(existing);
    let team = fx.team;
    let seen = capture_update(&mut fx);
    let patch = TaskPatch {
        title: Some(TaskTitle::parse("Renamed").unwrap()),
        ..TaskPatch::default()
    };
    patched(fx, me, id, patch);

    let outbox = seen.lock().unwrap().take().unwrap();
    let [NewJob::Deliver(delivery)] = outbox.jobs.as_slice() else {
        panic!("one delivery expected: {:?}", outbox.jobs);
    };
    assert_eq!(delivery.webhook, wants_updates.webhook);
    assert_eq!(delivery.host, "a.example.com");
    assert_eq!((delivery.team, delivery.event), (team, "task.updated"));
    assert_eq!(delivery.occurred_at, outbox.activity.created_at);
    let crate::jobs::EventData::Activity(event) = &delivery.data else {
        panic!("an activity event: {:?}", delivery.data);
    };
    assert_eq!(event.id, outbox.activity.id);
    assert_eq!((event.project_id, event.team_id), (Some(project), team));
    assert_eq!(event.actor.name, "Caller");
    assert_eq!(
        serde_json::to_value(&event.changes).unwrap(),
        serde_json::json!({"title": {"from": "Write docs", "to": "Renamed"}})
    );
}

#[path = "service_memo_tests.rs"]
mod memo;
