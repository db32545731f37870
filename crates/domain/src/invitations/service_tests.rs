//! InvitationService rules on mockall fakes.

use super::*;
use crate::activity::ActivityAction;
use crate::auth::{MockClock, MockSecretMinter, MockUserRepository, User, UserName};
use crate::invitations::{InvitationState, MockInvitationRepository};
use crate::teams::fakes::{hand_out, locked_as};
use crate::teams::{
    LockedTeam, MockLockedTeam, MockTeamLocks, MockTeamRepository, Roster, Team, TeamName,
};
use chrono::{DateTime, TimeZone, Utc};
use futures_executor::block_on;
use std::sync::Mutex;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

fn team(id: TeamId) -> Team {
    Team {
        id,
        name: TeamName::stored("Ops".into()),
        created_at: now(),
    }
}

fn invitation(state: InvitationState, expires_in_hours: i64) -> Invitation {
    Invitation {
        id: Uuid::now_v7(),
        team: TeamId::new(),
        email: email("grace@example.com"),
        role: Role::Manager,
        invited_by: UserId::new(),
        created_at: now() - chrono::Duration::days(1),
        expires_at: now() + chrono::Duration::hours(expires_in_hours),
        state,
    }
}

/// The fakes; each test sets what it needs, then builds the service.
struct Fixture {
    invitations: MockInvitationRepository,
    teams: MockTeamRepository,
    users: MockUserRepository,
    locks: MockTeamLocks,
}

impl Fixture {
    /// The caller is in every team with `role` (`None`: in none).
    fn caller_is(role: Option<Role>) -> Self {
        let mut teams = MockTeamRepository::new();
        teams
            .expect_membership()
            .returning(move |id, _| Ok(role.map(|role| (team(id), role))));
        teams.expect_account_exists().returning(|_| Ok(true));
        Self {
            invitations: MockInvitationRepository::new(),
            teams,
            users: MockUserRepository::new(),
            locks: MockTeamLocks::new(),
        }
    }

    fn service(self) -> InvitationService {
        let mut minter = MockSecretMinter::new();
        minter.expect_mint().returning(|| "the-token".into());
        minter
            .expect_digest()
            .returning(|token| format!("hash:{token}").into_bytes());
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        InvitationService {
            invitations: Arc::new(self.invitations),
            teams: Arc::new(self.teams),
            users: Arc::new(self.users),
            locks: Arc::new(self.locks),
            minter: Arc::new(minter),
            clock: Arc::new(clock),
        }
    }
}

#[test]
fn only_an_admin_invites_and_the_token_is_stored_as_its_hash_for_seven_days() {
    let member = Fixture::caller_is(Some(Role::Member)).service();
    let refused = block_on(member.create(
        UserId::new(),
        TeamId::new(),
        email("g@example.com"),
        Role::Member,
    ));
    assert!(matches!(refused, Err(DomainError::Forbidden(_))));

    let caller = UserId::new();
    let mut fx = Fixture::caller_is(Some(Role::Admin));
    fx.users.expect_find_by_email().returning(|_| Ok(None));
    fx.invitations
        .expect_pending_for()
        .returning(|_, _| Ok(None));
    let mut locked = locked_as(caller, Role::Admin, &[ActivityAction::InvitationCreated]);
    locked
        .expect_insert_invitation()
        .withf(|new| {
            new.token_hash == b"hash:the-token"
                && new.expires_at == now() + chrono::Duration::days(7)
        })
        .times(1)
        .returning(|new| Ok(stored(new)));
    hand_out(&mut fx.locks, locked);
    let issued =
        block_on(
            fx.service()
                .create(caller, TeamId::new(), email("g@example.com"), Role::Member),
        )
        .unwrap();
    assert_eq!(issued.token, "the-token");
}

fn stored(new: NewInvitation) -> Invitation {
    Invitation {
        id: new.id,
        team: new.team,
        email: new.email,
        role: new.role,
        invited_by: new.invited_by,
        created_at: new.created_at,
        expires_at: new.expires_at,
        state: InvitationState::Pending,
    }
}

#[test]
fn a_pending_invitation_blocks_another_until_it_expires() {
    let caller = UserId::new();
    let mut fx = Fixture::caller_is(Some(Role::Admin));
    fx.users.expect_find_by_email().returning(|_| Ok(None));
    fx.invitations
        .expect_pending_for()
        .returning(|_, _| Ok(Some(invitation(InvitationState::Pending, 1))));
    let mut locked = locked_as(caller, Role::Admin, &[]);
    locked.expect_insert_invitation().never();
    locked.expect_commit().never();
    hand_out(&mut fx.locks, locked);
    let blocked = block_on(fx.service().create(
        caller,
        TeamId::new(),
        email("grace@example.com"),
        Role::Member,
    ));
    assert!(matches!(
        blocked,
        Err(DomainError::Conflict(ConflictKind::AlreadyInvited))
    ));

    let expired = invitation(InvitationState::Pending, -1);
    let expired_id = expired.id;
    let mut fx = Fixture::caller_is(Some(Role::Admin));
    fx.users.expect_find_by_email().returning(|_| Ok(None));
    fx.invitations
        .expect_pending_for()
        .returning(move |_, _| Ok(Some(expired.clone())));
    let mut locked = locked_as(caller, Role::Admin, &[ActivityAction::InvitationCreated]);
    locked
        .expect_revoke_invitation()
        .withf(move |id, _| *id == expired_id)
        .times(1)
        .returning(|_, _| Ok(true));
    locked
        .expect_insert_invitation()
        .times(1)
        .returning(|new| Ok(stored(new)));
    hand_out(&mut fx.locks, locked);
    assert!(block_on(fx.service().create(
        caller,
        TeamId::new(),
        email("grace@example.com"),
        Role::Member
    ))
    .is_ok());
}

/// An accept by a caller whose email is `caller_email`, of `found`, with
/// the team locked as `locked` (never locked when `None`).
fn accept(
    found: Option<Invitation>,
    caller_email: &str,
    locked: Option<MockLockedTeam>,
) -> Result<TeamView, DomainError> {
    let caller = UserId::new();
    let mut fx = Fixture::caller_is(Some(Role::Manager));
    fx.invitations
        .expect_find_by_token()
        .withf(|hash| hash == b"hash:sent-token")
        .returning(move |_| Ok(found.clone()));
    let caller_email = email(caller_email);
    fx.users.expect_find().returning(move |id| {
        Ok(Some(User {
            id,
            email: caller_email.clone(),
            name: UserName::parse("Grace").unwrap(),
            created_at: now(),
        }))
    });
    match locked {
        Some(mut locked) => {
            locked.expect_roster().returning(|| Roster::new(vec![]));
            let handed = Mutex::new(Some(locked));
            fx.locks.expect_lock().times(1).returning(move |_| {
                let locked = handed.lock().unwrap().take().expect("locked once");
                Ok(Some(Box::new(locked) as Box<dyn LockedTeam>))
            });
        }
        None => {
            fx.locks.expect_lock().never();
        }
    }
    block_on(fx.service().accept(caller, "sent-token"))
}

#[test]
fn an_unusable_invitation_is_gone_and_another_address_is_forbidden() {
    assert!(matches!(
        accept(None, "grace@example.com", None),
        Err(DomainError::NotFound("invitation"))
    ));
    for unusable in [
        invitation(InvitationState::Pending, -1),
        invitation(InvitationState::Revoked, 1),
        invitation(InvitationState::Accepted, 1),
    ] {
        let outcome = accept(Some(unusable), "grace@example.com", None);
        assert!(
            matches!(outcome, Err(DomainError::Gone("invitation"))),
            "{outcome:?}"
        );
    }
    let other = accept(
        Some(invitation(InvitationState::Pending, 1)),
        "ada@example.com",
        None,
    );
    assert!(matches!(other, Err(DomainError::Forbidden(_))));
}

#[test]
fn accepting_joins_with_the_invited_role_unless_the_invitation_was_taken_meanwhile() {
    let mut won = MockLockedTeam::new();
    won.expect_accept_invitation()
        .times(1)
        .returning(|_, _, _| Ok(true));
    won.expect_insert_member()
        .withf(|_, role| *role == Role::Manager)
        .times(1)
        .returning(|_, _| {
            Err(DomainError::Internal {
                context: "stop here".into(),
                source: None,
            })
        });
    let joined = accept(
        Some(invitation(InvitationState::Pending, 1)),
        "GRACE@example.com",
        Some(won),
    );
    assert!(
        matches!(joined, Err(DomainError::Internal { .. })),
        "the member was inserted: {joined:?}"
    );

    let mut lost = MockLockedTeam::new();
    lost.expect_accept_invitation()
        .times(1)
        .returning(|_, _, _| Ok(false));
    lost.expect_insert_member().never();
    lost.expect_commit().never();
    let raced = accept(
        Some(invitation(InvitationState::Pending, 1)),
        "grace@example.com",
        Some(lost),
    );
    assert!(matches!(raced, Err(DomainError::Gone("invitation"))));
}

#[test]
fn an_invitation_is_usable_until_the_instant_it_expires() {
    let mut at_expiry = invitation(InvitationState::Pending, 0);
    assert!(!at_expiry.usable_at(now()), "expired at its expiry");
    at_expiry.expires_at = now() + chrono::Duration::seconds(1);
    assert!(at_expiry.usable_at(now()));
}

#[test]
fn the_pending_list_leaves_out_what_expired() {
    let live = invitation(InvitationState::Pending, 1);
    let expired = invitation(InvitationState::Pending, -1);
    let live_id = live.id;
    let mut fx = Fixture::caller_is(Some(Role::Admin));
    fx.invitations
        .expect_pending()
        .returning(move |_| Ok(vec![expired.clone(), live.clone()]));
    let listed = block_on(fx.service().pending(UserId::new(), TeamId::new())).unwrap();
    assert_eq!(listed.iter().map(|i| i.id).collect::<Vec<_>>(), [live_id]);
}

/// A revoke by an admin of `found`, whose storage revoke answers `stored`
/// (never asked when `None`).
fn revoke(found: Option<Invitation>, stored: Option<bool>) -> Result<(), DomainError> {
    let caller = UserId::new();
    let mut fx = Fixture::caller_is(Some(Role::Admin));
    fx.invitations
        .expect_find()
        .returning(move |_| Ok(found.clone()));
    match stored {
        Some(answer) => {
            let audited: &'static [ActivityAction] = if answer {
                &[ActivityAction::InvitationRevoked]
            } else {
                &[]
            };
            let mut locked = locked_as(caller, Role::Admin, audited);
            locked
                .expect_revoke_invitation()
                .times(1)
                .returning(move |_, _| Ok(answer));
            hand_out(&mut fx.locks, locked);
        }
        None => {
            fx.locks.expect_lock().never();
        }
    }
    block_on(fx.service().revoke(caller, Uuid::now_v7()))
}

#[test]
fn only_a_pending_invitation_is_revoked() {
    assert!(revoke(Some(invitation(InvitationState::Pending, 1)), Some(true)).is_ok());
    for (found, stored) in [
        (None, None),
        (Some(invitation(InvitationState::Pending, -1)), None),
        (Some(invitation(InvitationState::Accepted, 1)), None),
        (Some(invitation(InvitationState::Pending, 1)), Some(false)),
    ] {
        let outcome = revoke(found, stored);
        assert!(
            matches!(outcome, Err(DomainError::NotFound("invitation"))),
            "{outcome:?}"
        );
    }
}
