//! AuthService rules, with mockall fakes for every port.

use super::*;
use crate::auth::ports::{
    MockAccessTokenCodec, MockClock, MockPasswordHasher, MockRefreshTokenRepository,
    MockSecretMinter, MockTokenDenylist, MockUserRepository,
};
use crate::auth::{PasswordHash, UserWithHash};
use chrono::{DateTime, TimeZone, Utc};
use futures_executor::block_on;
use mockall::predicate::eq;

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

pub(crate) fn user() -> User {
    User {
        id: UserId::new(),
        email: Email::parse("ada@example.com").unwrap(),
        name: crate::auth::UserName::parse("Ada").unwrap(),
        created_at: now(),
    }
}

/// Holds the fakes; each test sets the expectations it cares about, then builds
/// the service.
pub(crate) struct Fixture {
    pub(crate) users: MockUserRepository,
    pub(crate) hasher: MockPasswordHasher,
    pub(crate) codec: MockAccessTokenCodec,
    pub(crate) minter: MockSecretMinter,
    pub(crate) refresh_tokens: MockRefreshTokenRepository,
    pub(crate) denylist: MockTokenDenylist,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let mut minter = MockSecretMinter::new();
        minter.expect_mint().returning(|| "fresh-token".into());
        minter
            .expect_digest()
            .returning(|token| token.as_bytes().to_vec());
        minter
            .expect_successor()
            .returning(|presented| format!("after-{presented}"));
        let mut codec = MockAccessTokenCodec::new();
        codec
            .expect_encode()
            .returning(|claims| Ok(format!("jwt-for-{}", claims.sub)));
        Self {
            users: MockUserRepository::new(),
            hasher: MockPasswordHasher::new(),
            codec,
            minter,
            refresh_tokens: MockRefreshTokenRepository::new(),
            denylist: MockTokenDenylist::new(),
        }
    }

    pub(crate) fn service(self) -> AuthService {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        AuthService {
            users: Arc::new(self.users),
            hasher: Arc::new(self.hasher),
            codec: Arc::new(self.codec),
            minter: Arc::new(self.minter),
            refresh_tokens: Arc::new(self.refresh_tokens),
            denylist: Arc::new(self.denylist),
            clock: Arc::new(clock),
            settings: AuthSettings {
                access_token_ttl: Duration::from_secs(900),
                refresh_token_ttl: Duration::from_secs(3600),
                refresh_grace: Duration::from_secs(10),
            },
        }
    }
}

fn claims(exp: i64) -> AccessClaims {
    AccessClaims {
        sub: UserId::new(),
        sid: Uuid::now_v7(),
        iat: now().timestamp(),
        exp,
        jti: Uuid::now_v7(),
    }
}

#[test]
fn register_hashes_the_password_and_stores_the_user() {
    let mut fx = Fixture::new();
    fx.hasher
        .expect_hash()
        .withf(|password| password.expose() == "long enough")
        .returning(|_| Ok(PasswordHash("hashed".into())));
    fx.users
        .expect_create()
        .withf(|new| new.email.as_str() == "ada@example.com" && new.password_hash.0 == "hashed")
        .returning(|_| Ok(user()));

    let created = block_on(
        fx.service()
            .register(Registration::parse(" ada@example.com ", "long enough", "Ada").unwrap()),
    );

    assert_eq!(
        created.map(|u| u.email.as_str().to_owned()).ok(),
        Some("ada@example.com".to_owned())
    );
}

#[test]
fn register_with_a_taken_email_is_a_conflict() {
    let mut fx = Fixture::new();
    fx.hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash("hashed".into())));
    fx.users
        .expect_create()
        .returning(|_| Err(DomainError::Conflict(crate::ConflictKind::EmailTaken)));

    let outcome = block_on(
        fx.service()
            .register(Registration::parse("ada@example.com", "long enough", "Ada").unwrap()),
    );

    assert!(matches!(
        outcome,
        Err(DomainError::Conflict(crate::ConflictKind::EmailTaken))
    ));
}

#[test]
fn login_with_an_unknown_email_still_verifies_against_the_dummy_hash() {
    let mut fx = Fixture::new();
    fx.users.expect_find_by_email().returning(|_| Ok(None));
    fx.hasher
        .expect_dummy_hash()
        .times(1)
        .returning(|| PasswordHash("dummy".into()));
    fx.hasher
        .expect_verify()
        .withf(|_, hash| hash.0 == "dummy")
        .times(1)
        .returning(|_, _| false);
    fx.refresh_tokens.expect_insert().never();

    let outcome = block_on(fx.service().login(
        "ghost@example.com",
        "whatever",
        SessionClient::default(),
    ));

    assert!(matches!(
        outcome,
        Err(DomainError::Unauthenticated(BAD_CREDENTIALS))
    ));
}

#[test]
fn login_with_a_wrong_password_gives_the_same_error_as_an_unknown_email() {
    let mut fx = Fixture::new();
    fx.users.expect_find_by_email().returning(|_| {
        Ok(Some(UserWithHash {
            user: user(),
            password_hash: PasswordHash("real".into()),
        }))
    });
    fx.hasher
        .expect_verify()
        .withf(|_, hash| hash.0 == "real")
        .times(1)
        .returning(|_, _| false);
    fx.refresh_tokens.expect_insert().never();

    let outcome = block_on(fx.service().login(
        "ada@example.com",
        "wrong",
        SessionClient::default(),
    ));

    assert!(matches!(
        outcome,
        Err(DomainError::Unauthenticated(BAD_CREDENTIALS))
    ));
}

#[test]
fn login_issues_an_access_token_and_stores_only_the_refresh_token_hash() {
    let mut fx = Fixture::new();
    let ada = user();
    let ada_id = ada.id;
    fx.users.expect_find_by_email().returning(move |_| {
        Ok(Some(UserWithHash {
            user: ada.clone(),
            password_hash: PasswordHash("real".into()),
        }))
    });
    fx.hasher.expect_verify().returning(|_, _| true);
    fx.refresh_tokens
        .expect_insert()
        .withf(move |record| {
            record.user_id == ada_id
                && record.token_hash == b"fresh-token".to_vec()
                && record.expires_at == now() + chrono::Duration::seconds(3600)
        })
        .times(1)
        .returning(|_| Ok(()));

    let issued = block_on(
        fx.service()
            .login("ada@example.com", "right", SessionClient::default()),
    )
    .unwrap();

    assert_eq!(issued.access_token, format!("jwt-for-{ada_id}"));
    assert_eq!(issued.refresh_token, RefreshToken("fresh-token".into()));
    assert_eq!(issued.access_expires_in, Duration::from_secs(900));
}

#[test]
fn refresh_rotates_a_live_token_into_a_new_pair() {
    let mut fx = Fixture::new();
    let ada = user();
    let ada_id = ada.id;
    let session = Uuid::now_v7();
    fx.refresh_tokens
        .expect_rotate()
        .withf(|presented, successor, at| {
            presented == b"old-token"
                && successor.token_hash == b"after-old-token"
                && successor.expires_at == now() + chrono::Duration::seconds(3600)
                && *at == now()
        })
        .times(1)
        .returning(move |_, _, _| {
            Ok(RotateOutcome::Rotated {
                user: ada_id,
                session,
            })
        });
    fx.codec = MockAccessTokenCodec::new();
    fx.codec
        .expect_encode()
        .withf(move |claims| claims.sid == session && claims.sub == ada_id)
        .times(1)
        .returning(|_| Ok("jwt".into()));
    fx.users
        .expect_find()
        .with(eq(ada_id))
        .returning(move |_| Ok(Some(ada.clone())));

    let issued = block_on(fx.service().refresh("old-token")).unwrap();

    assert_eq!(issued.refresh_token, RefreshToken("after-old-token".into()));
    assert_eq!(issued.user.id, ada_id);
}

/// The fixture for a token that was rotated before: what it was rotated
/// into is `successor`; the family is revoked only when `revokes`.
fn consumed(successor: Option<Successor>, revokes: bool) -> (Fixture, UserId, Uuid) {
    let mut fx = Fixture::new();
    let ada = user();
    let ada_id = ada.id;
    let session = Uuid::now_v7();
    fx.refresh_tokens
        .expect_rotate()
        .times(1)
        .returning(move |_, _, _| {
            Ok(RotateOutcome::Consumed {
                user: ada_id,
                session,
                successor,
            })
        });
    fx.refresh_tokens
        .expect_revoke_family()
        .with(eq(ada_id), eq(session), eq(now()))
        .times(usize::from(revokes))
        .returning(|_, _, _| Ok(()));
    fx.denylist
        .expect_revoke()
        .with(eq(session), eq(Duration::from_secs(900)))
        .times(usize::from(revokes))
        .returning(|_, _| Ok(()));
    fx.users
        .expect_find()
        .with(eq(ada_id))
        .returning(move |_| Ok(Some(ada.clone())));
    (fx, ada_id, session)
}

#[test]
fn a_second_refresh_inside_the_grace_window_gets_the_same_pair_again() {
    let rotation = Successor {
        id: Uuid::now_v7(),
        rotated_at: now() - chrono::Duration::seconds(9),
        live: true,
    };
    let (mut fx, ada_id, session) = consumed(Some(rotation), false);
    fx.codec = MockAccessTokenCodec::new();
    // The access token of the rotation: its time, its id.
    fx.codec
        .expect_encode()
        .withf(move |claims| {
            claims.sub == ada_id
                && claims.sid == session
                && claims.iat == rotation.rotated_at.timestamp()
                && claims.exp == rotation.rotated_at.timestamp() + 900
                && claims.jti == rotation.id
        })
        .times(1)
        .returning(|_| Ok("jwt-of-the-rotation".into()));

    let issued = block_on(fx.service().refresh("old-token")).unwrap();

    assert_eq!(issued.refresh_token, RefreshToken("after-old-token".into()));
    assert_eq!(issued.access_token, "jwt-of-the-rotation");
}

#[test]
fn a_second_refresh_after_the_window_or_after_the_new_pair_was_used_is_reuse() {
    let late = Successor {
        id: Uuid::now_v7(),
        rotated_at: now() - chrono::Duration::seconds(10),
        live: true,
    };
    let used = Successor {
        rotated_at: now(),
        live: false,
        ..late
    };
    for successor in [Some(late), Some(used), None] {
        let (fx, _, _) = consumed(successor, true);
        let outcome = block_on(fx.service().refresh("old-token"));
        assert!(
            matches!(outcome, Err(DomainError::Unauthenticated(why)) if why.contains("already used")),
            "{successor:?}"
        );
    }
}

#[test]
fn refresh_with_an_expired_or_unknown_token_is_rejected() {
    for (outcome, expected) in [
        (RotateOutcome::Expired, "expired"),
        (RotateOutcome::Unknown, "unknown"),
    ] {
        let mut fx = Fixture::new();
        fx.refresh_tokens
            .expect_rotate()
            .return_once(move |_, _, _| Ok(outcome));
        let result = block_on(fx.service().refresh("t"));
        assert!(matches!(result, Err(DomainError::Unauthenticated(why)) if why.contains(expected)));
    }
}

pub(crate) fn caller_with_session() -> AuthenticatedUser {
    let caller_claims = claims(now().timestamp() + 600);
    AuthenticatedUser {
        id: caller_claims.sub,
        claims: caller_claims,
    }
}

pub(crate) fn existing(fx: &mut Fixture) {
    fx.users.expect_find().returning(|_| Ok(Some(user())));
}

#[test]
fn logout_revokes_the_session_the_access_token_names_without_a_refresh_token() {
    let mut fx = Fixture::new();
    existing(&mut fx);
    let caller = caller_with_session();
    let (me, session) = (caller.id, caller.claims.sid);
    fx.refresh_tokens
        .expect_revoke_family()
        .with(eq(me), eq(session), eq(now()))
        .times(1)
        .returning(|_, _, _| Ok(()));
    fx.denylist
        .expect_revoke()
        .with(eq(session), eq(Duration::from_secs(900)))
        .times(1)
        .returning(|_, _| Ok(()));

    block_on(fx.service().logout(&caller, None)).unwrap();
}

#[test]
fn logout_also_ends_the_session_of_a_presented_refresh_token_only_if_it_is_mine() {
    let mut fx = Fixture::new();
    existing(&mut fx);
    let caller = caller_with_session();
    let (me, session, other_session) = (caller.id, caller.claims.sid, Uuid::now_v7());
    // The repository answers `None` for a token that is not the caller's.
    fx.refresh_tokens
        .expect_family_of()
        .withf(move |user, hash| *user == me && hash == b"mine")
        .returning(move |_, _| Ok(Some(other_session)));
    fx.refresh_tokens
        .expect_family_of()
        .returning(|_, _| Ok(None));
    for (revoked, times) in [(session, 2), (other_session, 1)] {
        fx.refresh_tokens
            .expect_revoke_family()
            .with(eq(me), eq(revoked), eq(now()))
            .times(times)
            .returning(|_, _, _| Ok(()));
    }
    fx.denylist
        .expect_revoke()
        .times(3)
        .returning(|_, _| Ok(()));
    let service = fx.service();

    block_on(service.logout(&caller, Some("mine"))).unwrap();
    block_on(service.logout(&caller, Some("someone-elses"))).unwrap();
}

#[test]
fn logout_of_a_deleted_account_is_unauthenticated() {
    let mut fx = Fixture::new();
    fx.users.expect_find().returning(|_| Ok(None));
    fx.refresh_tokens.expect_revoke_family().never();

    let outcome = block_on(fx.service().logout(&caller_with_session(), None));

    assert!(matches!(outcome, Err(DomainError::Unauthenticated(_))));
}

#[test]
fn login_with_control_characters_is_invalid_input_not_a_lookup() {
    let mut fx = Fixture::new();
    fx.users.expect_find_by_email().never();
    fx.hasher.expect_verify().never();

    let outcome = block_on(fx.service().login(
        "a\u{0}@x.io",
        "password\u{0}",
        SessionClient::default(),
    ));

    let Err(DomainError::Invalid(fields)) = outcome else {
        panic!("expected Invalid, got {outcome:?}");
    };
    let named: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(named, ["email", "password"]);
}

#[test]
fn authenticate_rejects_a_denylisted_token() {
    let mut fx = Fixture::new();
    let revoked = claims(now().timestamp() + 600);
    let session = revoked.sid;
    fx.codec
        .expect_decode()
        .returning(move |_, _| Ok(revoked.clone()));
    fx.denylist
        .expect_is_revoked()
        .with(eq(session))
        .returning(|_| Ok(true));

    let outcome = block_on(fx.service().authenticate("token"));

    assert!(matches!(outcome, Err(DomainError::Unauthenticated(_))));
}

#[test]
fn authenticate_fails_closed_when_the_denylist_is_unavailable() {
    let mut fx = Fixture::new();
    fx.codec
        .expect_decode()
        .returning(|_, _| Ok(claims(i64::MAX)));
    fx.denylist
        .expect_is_revoked()
        .returning(|_| Err(DomainError::unavailable("redis", "down")));

    let outcome = block_on(fx.service().authenticate("token"));

    assert!(matches!(outcome, Err(DomainError::Unavailable { .. })));
}
