//! TeamService rules with a mockall fake repository.

use super::*;
use crate::auth::{MockUserRepository, PasswordHash, User, UserWithHash};
use crate::teams::model::Team;
use crate::teams::ports::MockTeamRepository;
use crate::teams::{LockedTeam, MembershipChange, MockLockedTeam, MockTeamLocks};
use chrono::Utc;
use futures_executor::block_on;
use std::sync::Mutex;

/// Locks that must not be taken (the request is refused before).
fn no_locks() -> Arc<MockTeamLocks> {
    let mut locks = MockTeamLocks::new();
    locks.expect_lock().never();
    Arc::new(locks)
}

/// Locks handing out `locked` once, with `roster` as its members.
fn locks_with(roster: Vec<(UserId, Role)>, mut locked: MockLockedTeam) -> Arc<MockTeamLocks> {
    let roster = Roster::new(roster);
    locked.expect_roster().returning(move || roster.clone());
    let handed = Mutex::new(Some(locked));
    let mut locks = MockTeamLocks::new();
    locks.expect_lock().times(1).returning(move |_| {
        let locked = handed.lock().unwrap().take().expect("locked once");
        Ok(Some(Box::new(locked) as Box<dyn LockedTeam>))
    });
    Arc::new(locks)
}

fn admin_caller() -> MockTeamRepository {
    let mut teams = MockTeamRepository::new();
    teams
        .expect_membership()
        .returning(|id, _| Ok(Some((team(id), Role::Admin))));
    teams
}

fn name(raw: &str) -> TeamName {
    TeamName::parse(raw).unwrap()
}

fn email(raw: &str) -> crate::auth::Email {
    crate::auth::Email::parse(raw).unwrap()
}

fn team(id: TeamId) -> Team {
    Team {
        id,
        name: TeamName::stored("Ops".into()),
        created_at: Utc::now(),
    }
}

fn service_where_caller_is(
    role: Option<Role>,
    configure: impl FnOnce(&mut MockTeamRepository),
) -> TeamService {
    let mut teams = MockTeamRepository::new();
    teams
        .expect_membership()
        .returning(move |id, _| Ok(role.map(|role| (team(id), role))));
    teams.expect_account_exists().returning(|_| Ok(true));
    configure(&mut teams);
    TeamService {
        teams: Arc::new(teams),
        locks: no_locks(),
        users: Arc::new(MockUserRepository::new()),
    }
}

#[test]
fn the_last_admin_rule() {
    assert!(would_leave_no_admin(1, Role::Admin, Some(Role::Member)));
    assert!(would_leave_no_admin(1, Role::Admin, None));
    assert!(!would_leave_no_admin(2, Role::Admin, Some(Role::Member)));
    assert!(!would_leave_no_admin(1, Role::Admin, Some(Role::Admin)));
    assert!(!would_leave_no_admin(1, Role::Member, None));
    assert!(!would_leave_no_admin(1, Role::Manager, Some(Role::Member)));
}

#[test]
fn outsiders_get_not_found_for_every_team_action() {
    let service = service_where_caller_is(None, |teams| {
        teams.expect_members().never();
    });
    let (caller, team_id) = (UserId::new(), TeamId::new());

    assert!(matches!(
        block_on(service.get(caller, team_id)),
        Err(DomainError::NotFound("team"))
    ));
    assert!(matches!(
        block_on(service.rename(caller, team_id, name("X"))),
        Err(DomainError::NotFound("team"))
    ));
    assert!(matches!(
        block_on(service.members(caller, team_id)),
        Err(DomainError::NotFound("team"))
    ));
    assert!(matches!(
        block_on(service.delete(caller, team_id)),
        Err(DomainError::NotFound("team"))
    ));
}

#[test]
fn a_caller_whose_account_is_gone_is_unauthenticated_not_an_outsider() {
    let mut teams = MockTeamRepository::new();
    teams.expect_membership().returning(|_, _| Ok(None));
    teams.expect_list_for_user().returning(|_| Ok(Vec::new()));
    teams.expect_account_exists().returning(|_| Ok(false));
    teams.expect_members().never();
    let service = TeamService {
        teams: Arc::new(teams),
        locks: no_locks(),
        users: Arc::new(MockUserRepository::new()),
    };
    let (caller, team_id) = (UserId::new(), TeamId::new());

    assert!(matches!(
        block_on(service.get(caller, team_id)),
        Err(DomainError::Unauthenticated(_))
    ));
    assert!(matches!(
        block_on(service.members(caller, team_id)),
        Err(DomainError::Unauthenticated(_))
    ));
    assert!(matches!(
        block_on(service.list(caller)),
        Err(DomainError::Unauthenticated(_))
    ));
}

#[test]
fn managers_and_members_may_not_rename_delete_or_manage_members() {
    for role in [Role::Manager, Role::Member] {
        let service = service_where_caller_is(Some(role), |teams| {
            teams.expect_soft_delete().never();
        });
        let (caller, team_id) = (UserId::new(), TeamId::new());
        assert!(matches!(
            block_on(service.rename(caller, team_id, name("X"))),
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            block_on(service.delete(caller, team_id)),
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            block_on(service.change_role(caller, team_id, UserId::new(), Role::Admin)),
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            block_on(service.remove_member(caller, team_id, UserId::new())),
            Err(DomainError::Forbidden(_))
        ));
    }
}

fn change(actor_role: Option<Role>, leaving: bool, admins: usize) -> MembershipChange {
    let actor = UserId::new();
    MembershipChange {
        actor,
        actor_role,
        target: if leaving { actor } else { UserId::new() },
        target_role: Role::Admin,
        admins,
        new_role: if leaving { None } else { Some(Role::Member) },
    }
}

#[test]
fn membership_changes_recheck_the_actor_under_the_lock() {
    // Still an admin: may demote another admin while another admin remains.
    assert!(change(Some(Role::Admin), false, 2).check().is_ok());
    // Demoted while the request was in flight: refused, not half-done.
    assert!(matches!(
        change(Some(Role::Member), false, 2).check(),
        Err(DomainError::Forbidden(_))
    ));
    // Removed from the team meanwhile: the team is gone for them.
    assert!(matches!(
        change(None, false, 2).check(),
        Err(DomainError::NotFound("team"))
    ));
    // The last admin can neither be demoted nor leave.
    assert!(matches!(
        change(Some(Role::Admin), false, 1).check(),
        Err(DomainError::Conflict(crate::ConflictKind::LastAdmin))
    ));
    assert!(matches!(
        change(Some(Role::Admin), true, 1).check(),
        Err(DomainError::Conflict(crate::ConflictKind::LastAdmin))
    ));
}

#[test]
fn any_member_may_leave_a_team_themself() {
    let (caller, admin) = (UserId::new(), UserId::new());
    let mut locked = MockLockedTeam::new();
    locked
        .expect_delete_member()
        .withf(move |user| *user == caller)
        .times(1)
        .returning(|_| Ok(()));
    locked.expect_unassign_tasks().returning(|_| Ok(Vec::new()));
    locked
        .expect_write_context()
        .returning(|actor| Ok(crate::outbox::WriteContext::quiet(TeamId::new(), actor)));
    locked
        .expect_audit()
        .withf(move |outbox| {
            outbox.activity.action == crate::activity::ActivityAction::MemberRemoved
                && outbox.activity.actor == caller
        })
        .times(1)
        .returning(|_| Ok(()));
    locked.expect_commit().times(1).returning(|| Ok(()));
    let mut service = service_where_caller_is(Some(Role::Member), |_| {});
    service.locks = locks_with(vec![(caller, Role::Member), (admin, Role::Admin)], locked);

    assert!(block_on(service.remove_member(caller, TeamId::new(), caller)).is_ok());
}

#[test]
fn the_last_admin_can_neither_leave_nor_be_demoted_and_nothing_is_written() {
    let caller = UserId::new();
    for change in [None, Some(Role::Member)] {
        let mut locked = MockLockedTeam::new();
        locked.expect_delete_member().never();
        locked.expect_update_role().never();
        locked.expect_commit().never();
        let mut service = service_where_caller_is(Some(Role::Admin), |_| {});
        service.locks = locks_with(vec![(caller, Role::Admin)], locked);
        let outcome = match change {
            None => block_on(service.remove_member(caller, TeamId::new(), caller)),
            Some(role) => {
                block_on(service.change_role(caller, TeamId::new(), caller, role)).map(drop)
            }
        };
        assert!(
            matches!(
                outcome,
                Err(DomainError::Conflict(crate::ConflictKind::LastAdmin))
            ),
            "{change:?}: {outcome:?}"
        );
    }
}

#[test]
fn removing_a_member_unassigns_their_tasks_as_task_updates_that_withdraw_reminders() {
    let (caller, member) = (UserId::new(), UserId::new());
    let (task, project) = (crate::ids::TaskId::new(), crate::ids::ProjectId::new());
    let webhook = crate::webhooks::Subscription {
        webhook: crate::ids::WebhookId::new(),
        host: "hooks.example.com".into(),
        events: vec!["task.updated".into()],
    };
    let mut locked = MockLockedTeam::new();
    locked.expect_delete_member().times(1).returning(|_| Ok(()));
    locked
        .expect_unassign_tasks()
        .withf(move |user| *user == member)
        .returning(move |_| Ok(vec![(task, project)]));
    locked.expect_write_context().returning(move |actor| {
        let mut context = crate::outbox::WriteContext::quiet(TeamId::new(), actor);
        context.subscriptions = vec![webhook.clone()];
        Ok(context)
    });
    locked
        .expect_record()
        .withf(move |outbox| {
            outbox.rearmed == Some(task)
                && outbox.reminders().count() == 0
                && outbox.activity.entity_id == task.as_uuid()
                && outbox.activity.project_id == project
                && outbox.activity.actor == caller
                && outbox.jobs.len() == 1
        })
        .times(1)
        .returning(|_| Ok(()));
    // And the removal itself, in the team's trail, naming member and role.
    locked
        .expect_audit()
        .withf(move |outbox| {
            let changes = serde_json::to_value(&outbox.activity.changes).unwrap();
            outbox.activity.action == crate::activity::ActivityAction::MemberRemoved
                && changes["member_id"]["from"] == serde_json::json!(member)
                && changes["role"]["from"] == "member"
                && outbox.jobs.is_empty()
        })
        .times(1)
        .returning(|_| Ok(()));
    locked.expect_commit().times(1).returning(|| Ok(()));
    let mut service = service_where_caller_is(Some(Role::Admin), |_| {});
    service.locks = locks_with(vec![(caller, Role::Admin), (member, Role::Member)], locked);

    assert!(block_on(service.remove_member(caller, TeamId::new(), member)).is_ok());
}

#[test]
fn creating_a_team_makes_the_creator_admin() {
    let caller = UserId::new();
    let mut teams = MockTeamRepository::new();
    teams
        .expect_create_with_admin()
        .withf(move |new, creator| new.name.as_str() == "Ops" && *creator == caller)
        .returning(|new, _| Ok(team(new.id)));
    let service = TeamService {
        teams: Arc::new(teams),
        locks: no_locks(),
        users: Arc::new(MockUserRepository::new()),
    };

    let view = block_on(service.create(caller, name(" Ops "))).unwrap();

    assert_eq!(view.role, Role::Admin);
}

#[test]
fn adding_an_unknown_email_is_not_found_and_a_bad_role_is_invalid() {
    let mut users = MockUserRepository::new();
    users.expect_find_by_email().returning(|_| Ok(None));
    let service = TeamService {
        teams: Arc::new(admin_caller()),
        locks: no_locks(),
        users: Arc::new(users),
    };

    let unknown = block_on(service.add_member(
        UserId::new(),
        TeamId::new(),
        email("ghost@example.com"),
        Role::Member,
    ));
    assert!(matches!(unknown, Err(DomainError::NotFound("user"))));
    let bad_role = parse_role("owner");
    assert!(matches!(bad_role, Err(DomainError::Invalid(fields)) if fields[0].field == "role"));
}

#[test]
fn admins_add_existing_users_with_the_requested_role() {
    let ada = User {
        id: UserId::new(),
        email: email("ada@example.com"),
        name: crate::auth::UserName::parse("Ada").unwrap(),
        created_at: Utc::now(),
    };
    let ada_id = ada.id;
    let mut users = MockUserRepository::new();
    users.expect_find_by_email().returning(move |_| {
        Ok(Some(UserWithHash {
            user: ada.clone(),
            password_hash: PasswordHash("h".into()),
        }))
    });
    let users = Arc::new(users);
    let caller = UserId::new();
    // Already in the roster: the domain refuses, nothing is inserted.
    let mut locked = MockLockedTeam::new();
    locked.expect_insert_member().never();
    locked.expect_commit().never();
    let service = TeamService {
        teams: Arc::new(admin_caller()),
        locks: locks_with(vec![(caller, Role::Admin), (ada_id, Role::Member)], locked),
        users: Arc::clone(&users) as Arc<dyn UserRepository>,
    };
    let outcome = block_on(service.add_member(
        caller,
        TeamId::new(),
        email("ada@example.com"),
        Role::Manager,
    ));
    assert!(matches!(
        outcome,
        Err(DomainError::Conflict(crate::ConflictKind::AlreadyMember))
    ));

    // Not yet a member: inserted with the requested role, then committed.
    let mut locked = MockLockedTeam::new();
    locked
        .expect_insert_member()
        .withf(move |user, role| *user == ada_id && *role == Role::Manager)
        .times(1)
        .returning(|_, _| Err(DomainError::NotFound("stub")));
    locked.expect_commit().never();
    let service = TeamService {
        teams: Arc::new(admin_caller()),
        locks: locks_with(vec![(caller, Role::Admin)], locked),
        users,
    };
    let outcome = block_on(service.add_member(
        caller,
        TeamId::new(),
        email("ada@example.com"),
        Role::Manager,
    ));
    assert!(matches!(outcome, Err(DomainError::NotFound("stub"))));
}

#[test]
fn an_added_member_is_audited_with_their_role_in_the_same_unit_of_work() {
    use crate::activity::ActivityAction;
    use crate::teams::fakes::locked_as;
    let (caller, ada) = (UserId::new(), UserId::new());
    let mut users = MockUserRepository::new();
    users.expect_find_by_email().returning(move |_| {
        Ok(Some(UserWithHash {
            user: User {
                id: ada,
                email: email("ada@example.com"),
                name: crate::auth::UserName::parse("Ada").unwrap(),
                created_at: Utc::now(),
            },
            password_hash: PasswordHash("h".into()),
        }))
    });
    let mut locked = locked_as(caller, Role::Admin, &[ActivityAction::MemberAdded]);
    locked
        .expect_insert_member()
        .times(1)
        .returning(move |_, role| {
            Ok(Member {
                user: User {
                    id: ada,
                    email: email("ada@example.com"),
                    name: crate::auth::UserName::parse("Ada").unwrap(),
                    created_at: Utc::now(),
                },
                role,
                joined_at: Utc::now(),
            })
        });
    let mut locks = MockTeamLocks::new();
    crate::teams::fakes::hand_out(&mut locks, locked);
    let service = TeamService {
        teams: Arc::new(admin_caller()),
        locks: Arc::new(locks),
        users: Arc::new(users),
    };
    let added = block_on(service.add_member(
        caller,
        TeamId::new(),
        email("ada@example.com"),
        Role::Manager,
    ));
    assert_eq!(added.map(|m| m.role).ok(), Some(Role::Manager));
}

#[test]
fn a_rename_is_audited_with_both_names_and_an_unchanged_name_writes_nothing() {
    use crate::activity::ActivityAction;
    use crate::teams::fakes::{hand_out, locked_as};
    let caller = UserId::new();
    for (new_name, audited) in [
        ("Platform", &[ActivityAction::TeamUpdated][..]),
        ("Ops", &[][..]),
    ] {
        let mut locked = locked_as(caller, Role::Admin, audited);
        locked.expect_team().returning(|| team(TeamId::new()));
        locked
            .expect_rename()
            .times(audited.len())
            .returning(|name| {
                Ok(Team {
                    name,
                    ..team(TeamId::new())
                })
            });
        let mut locks = MockTeamLocks::new();
        hand_out(&mut locks, locked);
        let mut service = service_where_caller_is(Some(Role::Admin), |_| {});
        service.locks = Arc::new(locks);
        let view = block_on(service.rename(caller, TeamId::new(), name(new_name))).unwrap();
        assert_eq!(view.team.name.as_str(), new_name);
    }
}

/// Leaving needs no role, but only *leaving*: removing someone else, or
/// changing your own role, is checked against the table like any change.
#[test]
fn only_removing_yourself_counts_as_leaving() {
    let member = UserId::new();
    let remove_other = MembershipChange {
        actor: member,
        actor_role: Some(Role::Member),
        target: UserId::new(),
        target_role: Role::Member,
        admins: 1,
        new_role: None,
    };
    assert!(matches!(
        remove_other.check(),
        Err(DomainError::Forbidden(_))
    ));
    let promote_self = MembershipChange {
        target: member,
        new_role: Some(Role::Admin),
        ..remove_other
    };
    assert!(matches!(
        promote_self.check(),
        Err(DomainError::Forbidden(_))
    ));
    let leave = MembershipChange {
        target: member,
        new_role: None,
        ..remove_other
    };
    assert!(leave.check().is_ok());
}

/// "Does this account still exist?" is asked only when the caller has no
/// team: a member's list costs one query.
#[test]
fn listing_teams_asks_about_the_account_only_when_there_are_none() {
    let caller = UserId::new();
    let mut teams = MockTeamRepository::new();
    teams
        .expect_list_for_user()
        .returning(|_| Ok(vec![(team(TeamId::new()), Role::Member)]));
    teams.expect_account_exists().never();
    let service = TeamService {
        teams: Arc::new(teams),
        locks: no_locks(),
        users: Arc::new(MockUserRepository::new()),
    };
    assert_eq!(block_on(service.list(caller)).unwrap().len(), 1);
}

#[test]
fn an_admin_may_demote_another_admin_while_one_remains() {
    let (caller, other, member) = (UserId::new(), UserId::new(), UserId::new());
    let mut locked = MockLockedTeam::new();
    locked
        .expect_update_role()
        .withf(move |user, role| *user == other && *role == Role::Member)
        .times(1)
        .returning(|_, _| Err(DomainError::NotFound("stub")));
    let mut service = service_where_caller_is(Some(Role::Admin), |_| {});
    service.locks = locks_with(
        vec![
            (caller, Role::Admin),
            (other, Role::Admin),
            (member, Role::Member),
        ],
        locked,
    );

    let outcome = block_on(service.change_role(caller, TeamId::new(), other, Role::Member));

    assert!(
        matches!(outcome, Err(DomainError::NotFound("stub"))),
        "two admins: the demotion reaches storage: {outcome:?}"
    );
}

#[test]
fn a_role_change_is_audited_with_both_roles_and_a_change_to_the_same_role_records_nothing() {
    use crate::activity::ActivityAction;
    let (caller, grace) = (UserId::new(), UserId::new());
    for (new_role, audits) in [(Role::Manager, 1), (Role::Member, 0)] {
        let mut locked = MockLockedTeam::new();
        locked
            .expect_update_role()
            .times(1)
            .returning(move |_, role| {
                Ok(Member {
                    user: User {
                        id: grace,
                        email: email("grace@example.com"),
                        name: crate::auth::UserName::parse("Grace").unwrap(),
                        created_at: Utc::now(),
                    },
                    role,
                    joined_at: Utc::now(),
                })
            });
        locked
            .expect_write_context()
            .returning(|actor| Ok(crate::outbox::WriteContext::quiet(TeamId::new(), actor)));
        locked
            .expect_audit()
            .withf(move |outbox| {
                let changes = serde_json::to_value(&outbox.activity.changes).unwrap();
                outbox.activity.action == ActivityAction::MemberRoleChanged
                    && changes["role"] == serde_json::json!({"from": "member", "to": "manager"})
            })
            .times(audits)
            .returning(|_| Ok(()));
        locked.expect_commit().times(1).returning(|| Ok(()));
        let mut service = service_where_caller_is(Some(Role::Admin), |_| {});
        service.locks = locks_with(vec![(caller, Role::Admin), (grace, Role::Member)], locked);
        let changed = block_on(service.change_role(caller, TeamId::new(), grace, new_role));
        assert_eq!(changed.map(|m| m.role).ok(), Some(new_role));
    }
}

#[test]
fn an_actor_is_required_under_the_lock_to_be_a_member_whose_role_allows_the_change() {
    let (admin, member, outsider) = (UserId::new(), UserId::new(), UserId::new());
    let roster = Roster::new(vec![(admin, Role::Admin), (member, Role::Member)]);
    assert_eq!(
        roster.require(admin, Action::AddMember).ok(),
        Some(Role::Admin)
    );
    assert!(matches!(
        roster.require(member, Action::AddMember),
        Err(DomainError::Forbidden(_))
    ));
    assert_eq!(
        roster.require(member, Action::ViewTeam).ok(),
        Some(Role::Member)
    );
    assert!(matches!(
        roster.require(outsider, Action::ViewTeam),
        Err(DomainError::NotFound("team"))
    ));
}
