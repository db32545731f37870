//! The session rules, on mockall fakes (fixture shared with `service_tests`).

use crate::auth::service::tests::{caller_with_session, existing, now, user, Fixture};
use crate::auth::{PasswordHash, Session, SessionClient, UserWithHash};
use crate::DomainError;
use futures_executor::block_on;
use mockall::predicate::eq;
use std::time::Duration;
use uuid::Uuid;

fn session(id: Uuid) -> Session {
    Session {
        id,
        created_at: now(),
        last_used_at: now(),
        client: SessionClient::new(Some("Firefox"), None),
    }
}

#[test]
fn the_list_marks_the_session_asking() {
    let caller = caller_with_session();
    let (mine, other) = (caller.claims.sid, Uuid::now_v7());
    let mut fx = Fixture::new();
    existing(&mut fx);
    fx.refresh_tokens
        .expect_sessions()
        .with(eq(caller.id), eq(now()))
        .returning(move |_, _| Ok(vec![session(other), session(mine)]));

    let listed = block_on(fx.service().sessions(&caller)).unwrap();

    let current: Vec<(Uuid, bool)> = listed.iter().map(|v| (v.session.id, v.current)).collect();
    assert_eq!(current, [(other, false), (mine, true)]);
}

#[test]
fn ending_a_session_revokes_and_denylists_only_a_live_one_of_the_callers() {
    let caller = caller_with_session();
    let live = Uuid::now_v7();
    let mut fx = Fixture::new();
    fx.refresh_tokens
        .expect_sessions()
        .returning(move |_, _| Ok(vec![session(live)]));
    fx.refresh_tokens
        .expect_revoke_family()
        .with(eq(caller.id), eq(live), eq(now()))
        .times(1)
        .returning(|_, _, _| Ok(()));
    fx.denylist
        .expect_revoke()
        .with(eq(live), eq(Duration::from_secs(900)))
        .times(1)
        .returning(|_, _| Ok(()));
    let service = fx.service();

    assert!(matches!(
        block_on(service.end_session(&caller, Uuid::now_v7())),
        Err(DomainError::NotFound("session"))
    ));
    block_on(service.end_session(&caller, live)).unwrap();
}

#[test]
fn logout_all_ends_every_session_and_the_one_asking() {
    let caller = caller_with_session();
    let other = Uuid::now_v7();
    let mut fx = Fixture::new();
    existing(&mut fx);
    fx.refresh_tokens
        .expect_revoke_all()
        .with(eq(caller.id), eq(None), eq(now()))
        .times(1)
        .returning(move |_, _, _| Ok(vec![other]));
    let mut denied = mockall::Sequence::new();
    for session in [other, caller.claims.sid] {
        fx.denylist
            .expect_revoke()
            .with(eq(session), eq(Duration::from_secs(900)))
            .times(1)
            .in_sequence(&mut denied)
            .returning(|_, _| Ok(()));
    }

    block_on(fx.service().logout_all(&caller)).unwrap();
}

fn with_password(fx: &mut Fixture, right: &'static str) {
    fx.users.expect_find_with_hash().returning(|_| {
        Ok(Some(UserWithHash {
            user: user(),
            password_hash: PasswordHash("stored".into()),
        }))
    });
    fx.hasher
        .expect_verify()
        .returning(move |given, hash| hash.0 == "stored" && given.expose() == right);
}

#[test]
fn a_wrong_current_password_is_forbidden_and_changes_nothing() {
    let caller = caller_with_session();
    let mut fx = Fixture::new();
    with_password(&mut fx, "right password");
    fx.users.expect_set_password().never();
    fx.refresh_tokens.expect_revoke_all().never();

    let outcome = block_on(fx.service().change_password(
        &caller,
        "wrong password",
        "a new password",
    ));

    assert!(matches!(outcome, Err(DomainError::Forbidden(_))));
}

#[test]
fn a_new_password_is_validated_as_new_password() {
    let caller = caller_with_session();
    let mut fx = Fixture::new();
    fx.users.expect_set_password().never();
    let outcome = block_on(
        fx.service()
            .change_password(&caller, "right password", "short"),
    );
    match outcome {
        Err(DomainError::Invalid(fields)) => assert_eq!(fields[0].field, "new_password"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_password_change_stores_the_new_hash_and_ends_every_other_session() {
    let caller = caller_with_session();
    let other = Uuid::now_v7();
    let mut fx = Fixture::new();
    with_password(&mut fx, "right password");
    fx.hasher
        .expect_hash()
        .withf(|new| new.expose() == "a new password")
        .returning(|_| Ok(PasswordHash("new hash".into())));
    fx.users
        .expect_set_password()
        .withf(move |id, hash| *id == caller.id && hash.0 == "new hash")
        .times(1)
        .returning(|_, _| Ok(()));
    fx.refresh_tokens
        .expect_revoke_all()
        .with(eq(caller.id), eq(Some(caller.claims.sid)), eq(now()))
        .times(1)
        .returning(move |_, _, _| Ok(vec![other]));
    fx.denylist
        .expect_revoke()
        .with(eq(other), eq(Duration::from_secs(900)))
        .times(1)
        .returning(|_, _| Ok(()));

    block_on(
        fx.service()
            .change_password(&caller, "right password", "a new password"),
    )
    .unwrap();
}
