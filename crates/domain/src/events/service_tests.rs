use super::*;
use crate::access::Role;
use crate::activity::{ActivityEntry, Actor, ChangeSet};
use crate::events::{MockFollowedFeed, MockProjectFeed};
use crate::ids::TeamId;
use crate::projects::{MockProjectRepository, Project};
use crate::teams::MockTeamRepository;
use futures_executor::block_on;
use std::collections::VecDeque;
use std::sync::Mutex;

fn entry(action: ActivityAction) -> FeedSignal {
    FeedSignal::Entry(Arc::new(FeedEntry::new(ActivityEntry {
        id: ActivityId::new(),
        actor: Actor {
            id: UserId::new(),
            name: "Ada".into(),
        },
        action,
        entity_id: uuid::Uuid::now_v7(),
        changes: ChangeSet::default(),
        created_at: chrono::Utc::now(),
    })))
}

/// A feed that yields `signals`, then `Closed`.
fn feed_of(signals: Vec<FeedSignal>) -> MockProjectFeed {
    let queue = Mutex::new(Some(VecDeque::from(signals)));
    let mut feed = MockProjectFeed::new();
    feed.expect_follow().times(1).returning(move |_, _, _| {
        let mut signals = queue.lock().unwrap().take().expect("followed once");
        let mut followed = MockFollowedFeed::new();
        followed
            .expect_next()
            .returning(move || signals.pop_front().unwrap_or(FeedSignal::Closed));
        Ok(Box::new(followed))
    });
    feed
}

/// What storage answers about the project for the caller: gone (`None`),
/// or there with the caller's role (`None`: not a member).
type Found = Result<Option<Option<Role>>, DomainError>;

/// The project as storage answers for the caller, one answer per call.
fn projects_answering(answers: Vec<Found>) -> MockProjectRepository {
    let team = TeamId::new();
    let answers = Mutex::new(VecDeque::from(answers));
    let mut projects = MockProjectRepository::new();
    projects.expect_get().returning(move |id, _| {
        let answer = answers.lock().unwrap().pop_front().expect("no more checks");
        answer.map(|found| found.map(|role| (Project::sample(id, team), role)))
    });
    projects
}

fn service(feed: MockProjectFeed, projects: MockProjectRepository) -> EventService {
    let mut teams = MockTeamRepository::new();
    teams.expect_account_exists().returning(|_| Ok(true));
    EventService {
        feed: Arc::new(feed),
        projects: Arc::new(projects),
        teams: Arc::new(teams),
    }
}

/// Every event until the stream ends, by name.
fn names(events: &mut ProjectEvents) -> Vec<String> {
    let mut names = Vec::new();
    while let Some(event) = block_on(events.next()) {
        names.push(match event {
            ProjectEvent::Activity(entry) => entry.entry.action.as_str().to_owned(),
            ProjectEvent::Reset => "reset".into(),
            ProjectEvent::Revoked => "revoked".into(),
            ProjectEvent::Deleted => "deleted".into(),
        });
    }
    names
}

fn open(service: &EventService) -> Result<ProjectEvents, DomainError> {
    block_on(service.open(UserId::new(), ProjectId::new(), Resume::Fresh))
}

#[test]
fn an_unreadable_resume_point_is_a_reset_then_the_live_feed() {
    let mut feed = MockProjectFeed::new();
    // Followed from now: there is nothing to replay from.
    feed.expect_follow()
        .withf(|_, _, after| after.is_none())
        .times(1)
        .returning(|_, _, _| {
            let mut signals = VecDeque::from([entry(ActivityAction::TaskCreated)]);
            let mut followed = MockFollowedFeed::new();
            followed
                .expect_next()
                .returning(move || signals.pop_front().unwrap_or(FeedSignal::Closed));
            Ok(Box::new(followed))
        });
    let member = service(feed, projects_answering(vec![Ok(Some(Some(Role::Member)))]));
    let mut events =
        block_on(member.open(UserId::new(), ProjectId::new(), Resume::Unreadable)).unwrap();
    assert_eq!(names(&mut events), ["reset", "task.created"]);
}

#[test]
fn an_outsider_is_not_found_and_a_member_gets_entries_in_feed_order() {
    let outsider = service(feed_of(vec![]), projects_answering(vec![Ok(Some(None))]));
    assert!(matches!(
        open(&outsider),
        Err(DomainError::NotFound("project"))
    ));
    let missing = service(feed_of(vec![]), projects_answering(vec![Ok(None)]));
    assert!(matches!(
        open(&missing),
        Err(DomainError::NotFound("project"))
    ));

    let feed = feed_of(vec![
        entry(ActivityAction::TaskCreated),
        FeedSignal::Gap,
        entry(ActivityAction::TaskUpdated),
    ]);
    let member = service(feed, projects_answering(vec![Ok(Some(Some(Role::Member)))]));
    let mut events = open(&member).unwrap();
    assert_eq!(
        names(&mut events),
        ["task.created", "reset", "task.updated"]
    );
}

#[test]
fn the_projects_deletion_is_sent_then_ends_the_stream() {
    let feed = feed_of(vec![
        entry(ActivityAction::ProjectDeleted),
        entry(ActivityAction::TaskCreated),
    ]);
    let member = service(feed, projects_answering(vec![Ok(Some(Some(Role::Admin)))]));
    let mut events = open(&member).unwrap();
    assert_eq!(names(&mut events), ["project.deleted", "deleted"]);
}

/// On a possible access change the caller is checked again: still a member
/// → the stream goes on; removed → `revoked`; project gone → `deleted`;
/// storage silent → the stream ends without a verdict.
#[test]
fn an_access_change_is_checked_again_and_ends_the_stream_when_access_is_gone() {
    let cases: [(Found, &[&str]); 4] = [
        (
            Ok(Some(Some(Role::Member))),
            &["task.created", "task.updated"],
        ),
        (Ok(Some(None)), &["task.created", "revoked"]),
        (Ok(None), &["task.created", "deleted"]),
        (
            Err(DomainError::unavailable("database", "down")),
            &["task.created"],
        ),
    ];
    for (recheck, expected) in cases {
        let feed = feed_of(vec![
            entry(ActivityAction::TaskCreated),
            FeedSignal::AccessMayHaveChanged,
            entry(ActivityAction::TaskUpdated),
        ]);
        let projects = projects_answering(vec![Ok(Some(Some(Role::Member))), recheck]);
        let mut events = open(&service(feed, projects)).unwrap();
        assert_eq!(names(&mut events), expected);
    }
}
