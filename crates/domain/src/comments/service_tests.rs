//! The comment policy with mockall fakes: only the author edits; the author
//! or an admin deletes; a refused write never reaches storage.

use super::model::{Comment, CommentBody, CommentRecord};
use super::ports::MockCommentRepository;
use super::service::CommentService;
use crate::access::Role;
use crate::activity::Actor;
use crate::ids::{CommentId, ProjectId, TaskId, TeamId, UserId};
use crate::outbox::{MockWriteContexts, WriteContext};
use crate::tasks::MockTaskRepository;
use crate::teams::{MockTeamRepository, Team};
use crate::DomainError;
use chrono::Utc;
use futures_executor::block_on;
use std::sync::Arc;

fn record(author: UserId) -> CommentRecord {
    CommentRecord {
        comment: Comment {
            id: CommentId::new(),
            task_id: TaskId::new(),
            author: Actor {
                id: author,
                name: "Ada".into(),
            },
            body: CommentBody::parse("first").unwrap(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        },
        project_id: ProjectId::new(),
        team_id: TeamId::new(),
    }
}

/// A service where the comment was written by `author` and the caller has
/// `role`; `updates` and `deletes` say how many storage writes are expected.
fn service(author: UserId, role: Role, updates: usize, deletes: usize) -> CommentService {
    let mut comments = MockCommentRepository::new();
    let found = record(author);
    comments
        .expect_get()
        .returning(move |_| Ok(Some(found.clone())));
    comments
        .expect_update()
        .times(updates)
        .returning(|_, _, _| Err(DomainError::NotFound("stub")));
    comments
        .expect_soft_delete()
        .times(deletes)
        .returning(|_, _| Ok(()));
    let mut teams = MockTeamRepository::new();
    teams.expect_membership().returning(move |id, _| {
        Ok(Some((
            Team {
                id,
                name: crate::teams::TeamName::stored("T".into()),
                created_at: Utc::now(),
            },
            role,
        )))
    });
    let mut contexts = MockWriteContexts::new();
    contexts
        .expect_load()
        .returning(|team, actor| Ok(WriteContext::quiet(team, actor)));
    CommentService {
        comments: Arc::new(comments),
        tasks: Arc::new(MockTaskRepository::new()),
        teams: Arc::new(teams),
        contexts: Arc::new(contexts),
    }
}

fn body() -> CommentBody {
    CommentBody::parse("second").unwrap()
}

#[test]
fn only_the_author_edits_even_an_admin_may_not() {
    let author = UserId::new();
    // The author's edit reaches storage (the stub answers NotFound).
    let edited =
        block_on(service(author, Role::Member, 1, 0).update(author, CommentId::new(), body()));
    assert!(
        matches!(edited, Err(DomainError::NotFound("stub"))),
        "{edited:?}"
    );
    let other = UserId::new();
    for role in [Role::Admin, Role::Member] {
        let refused = block_on(service(author, role, 0, 0).update(other, CommentId::new(), body()));
        assert!(
            matches!(refused, Err(DomainError::Forbidden(_))),
            "{role:?}: {refused:?}"
        );
    }
}

#[test]
fn the_author_or_an_admin_deletes_nobody_else() {
    let author = UserId::new();
    let other = UserId::new();
    let cases = [
        (author, Role::Member, true),
        (other, Role::Admin, true),
        (other, Role::Manager, false),
        (other, Role::Member, false),
    ];
    for (caller, role, allowed) in cases {
        let deleted = block_on(
            service(author, role, 0, usize::from(allowed)).delete(caller, CommentId::new()),
        );
        if allowed {
            assert!(deleted.is_ok(), "{role:?}: {deleted:?}");
        } else {
            assert!(
                matches!(deleted, Err(DomainError::Forbidden(_))),
                "{role:?}"
            );
        }
    }
}
