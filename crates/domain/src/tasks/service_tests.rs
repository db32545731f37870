//! TaskService rules with mockall fakes of the repositories.

use super::*;
use crate::projects::{MockProjectRepository, Project};
use crate::tasks::{
    BuildList, CacheStatus, MockTaskRepository, Priority, Status, TaskListCache, TaskListQuery,
    TaskTitle,
};
use crate::teams::{MockTeamRepository, Team};
use chrono::Utc;
use futures_executor::block_on;

struct Fixture {
    members: Vec<(UserId, Role)>,
    tasks: MockTaskRepository,
    projects: MockProjectRepository,
    teams: MockTeamRepository,
    team: TeamId,
    project: ProjectId,
}

impl Fixture {
    /// `members` maps users to their role in the project's team.
    fn new(members: Vec<(UserId, Role)>) -> Self {
        let (team, project) = (TeamId::new(), ProjectId::new());
        let mut projects = MockProjectRepository::new();
        let readers = members.clone();
        projects.expect_get().returning(move |id, caller| {
            let role = readers
                .iter()
                .find(|(user, _)| *user == caller)
                .map(|(_, role)| *role);
            let project = Project {
                id,
                team_id: team,
                name: "P".into(),
                description: None,
                created_by: UserId::new(),
                created_at: Utc::now(),
                updated_at: Utc::now(),
            };
            Ok(Some((project, role)))
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
                        name: "T".into(),
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
        }
    }

    fn with_task(mut self, task: Task) -> Self {
        let (team, members) = (self.team, self.members.clone());
        // The repository reads the caller's role with the task, in one statement.
        self.tasks.expect_get().returning(move |_, caller| {
            Ok(Some(TaskRecord {
                task: task.clone(),
                team_id: team,
                caller_role: members
                    .iter()
                    .find(|(id, _)| *id == caller)
                    .map(|(_, role)| *role),
            }))
        });
        self
    }

    fn service(self) -> TaskService {
        TaskService {
            tasks: Arc::new(self.tasks),
            projects: Arc::new(self.projects),
            teams: Arc::new(self.teams),
            list_cache: Arc::new(FakeListCache::default()),
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
        .withf(move |id, p, draft, by, activity, once| {
            once.is_none()
                && *p == project
                && draft.status == Status::Todo
                && draft.priority == Priority::Medium
                && *by == me
                && activity.action == crate::activity::ActivityAction::TaskCreated
                && activity.entity_id == id.as_uuid()
        })
        .times(1)
        .returning(|_, _, draft, _, _, _| Ok(Once::Ran(returned(&draft, 1))));

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
        .returning(|_, _, draft, _, _, _| Ok(Once::Ran(returned(&draft, 1))));
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
    let mut fx = Fixture::new(vec![(me, Role::Member)]).with_task(existing);
    fx.tasks
        .expect_update()
        .returning(|_, _, _, _| Err(DomainError::VersionConflict { current: 4 }));

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
        .withf(|_, expected, draft, activity| {
            *expected == 5
                && draft.status == Status::Done
                && activity.changes == serde_json::json!({"status": {"from": "todo", "to": "done"}})
        })
        .times(1)
        .returning(|_, _, draft, _| Ok(returned(&draft, 6)));

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
                Project {
                    id,
                    team_id: team,
                    name: "P".into(),
                    description: None,
                    created_by: UserId::new(),
                    created_at: Utc::now(),
                    updated_at: Utc::now(),
                },
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
    let list = || block_on(service.list(me, TaskListQuery::unfiltered(project), &count_render));

    assert_eq!(list().unwrap().1, CacheStatus::Miss);
    assert_eq!(list().unwrap().1, CacheStatus::Hit);
    generation.store(2, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(list().unwrap().1, CacheStatus::Miss);
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
            .returning(move |id, _| {
                Ok(Some((
                    Project {
                        id,
                        team_id: team,
                        name: "P".into(),
                        description: None,
                        created_by: UserId::new(),
                        created_at: Utc::now(),
                        updated_at: Utc::now(),
                    },
                    Some(Role::Member),
                    1,
                )))
            });
        fx.tasks.expect_list().returning(move |_| {
            let tasks = (0..stored).map(|_| task(UserId::new(), 1)).collect();
            Ok((tasks, crate::tasks::ListTotal::exact(stored as i64)))
        });
        let query = TaskListQuery {
            limit: 2,
            ..TaskListQuery::unfiltered(project)
        };
        let (body, _) = block_on(fx.service().list(me, query, &shape)).unwrap();
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
        .returning(|_, _, draft, _| Ok(returned(&draft, 2)));
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
