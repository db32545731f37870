use super::*;
use crate::auth::{MockClock, MockSecretMinter};
use crate::personal_tokens::{MockPersonalTokenRepository, MockTokenGrantCache};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use futures_executor::block_on;
use mockall::predicate::eq;

const SECRET: &str = "aZ09aZ09aZ09aZ09aZ09aZ09aZ09aZ09aZ09aZ09";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap()
}

fn presented() -> String {
    format!("{TOKEN_PREFIX}{SECRET}")
}

fn grant(expires_at: DateTime<Utc>) -> TokenGrant {
    TokenGrant {
        token: Uuid::now_v7(),
        user: UserId::new(),
        scopes: Scopes::parse(&["read".to_owned()]).unwrap(),
        expires_at,
    }
}

fn service(
    tokens: MockPersonalTokenRepository,
    cache: MockTokenGrantCache,
) -> PersonalTokenService {
    let mut minter = MockSecretMinter::new();
    minter
        .expect_mint_base62()
        .with(eq(SECRET_LEN))
        .returning(|_| SECRET.to_owned());
    minter
        .expect_keyed_digest()
        .returning(|token| format!("hash of {token}").into_bytes());
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    PersonalTokenService {
        tokens: Arc::new(tokens),
        cache: Arc::new(cache),
        minter: Arc::new(minter),
        clock: Arc::new(clock),
    }
}

fn hash() -> Vec<u8> {
    format!("hash of {}", presented()).into_bytes()
}

#[test]
fn a_cached_grant_answers_without_storage() {
    let cached = grant(now() + TimeDelta::days(1));
    let mut cache = MockTokenGrantCache::new();
    cache
        .expect_get()
        .withf(|hash| hash == self::hash().as_slice())
        .returning(move |_| Ok(Some(CachedGrant::Grant(cached))));
    // Any storage call would panic: a hit costs no statement.
    let service = service(MockPersonalTokenRepository::new(), cache);
    assert_eq!(
        block_on(service.authenticate(&presented())).unwrap(),
        cached
    );
}

#[test]
fn a_miss_asks_storage_once_with_the_prefix_and_a_once_a_minute_touch_then_remembers() {
    let found = grant(now() + TimeDelta::days(1));
    let mut cache = MockTokenGrantCache::new();
    cache.expect_get().returning(|_| Ok(None));
    cache
        .expect_remember()
        .withf(move |hash, remembered, ttl| {
            hash == self::hash().as_slice() && *remembered == found && *ttl == CACHE_TTL
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let mut tokens = MockPersonalTokenRepository::new();
    tokens
        .expect_find()
        .withf(|prefix, hash, touch| {
            prefix == "ofp_aZ09aZ09"
                && hash == self::hash().as_slice()
                && *touch
                    == Touch {
                        at: now(),
                        unused_since: now() - TimeDelta::seconds(60),
                    }
        })
        .times(1)
        .returning(move |_, _, _| Ok(Some(found)));
    let service = service(tokens, cache);
    assert_eq!(block_on(service.authenticate(&presented())).unwrap(), found);
}

#[test]
fn with_the_cache_down_storage_answers_and_nothing_is_remembered() {
    let found = grant(now() + TimeDelta::days(1));
    let mut cache = MockTokenGrantCache::new();
    cache
        .expect_get()
        .returning(|_| Err(DomainError::unavailable("redis", "down")));
    cache.expect_remember().never();
    let mut tokens = MockPersonalTokenRepository::new();
    tokens
        .expect_find()
        .times(1)
        .returning(move |_, _, _| Ok(Some(found)));
    assert!(block_on(service(tokens, cache).authenticate(&presented())).is_ok());
}

#[test]
fn a_revocation_in_the_cache_or_a_token_storage_does_not_know_is_unauthenticated() {
    let mut cache = MockTokenGrantCache::new();
    cache
        .expect_get()
        .returning(|_| Ok(Some(CachedGrant::Revoked)));
    let refused =
        block_on(service(MockPersonalTokenRepository::new(), cache).authenticate(&presented()));
    assert!(matches!(refused, Err(DomainError::Unauthenticated(_))));

    let mut cache = MockTokenGrantCache::new();
    cache.expect_get().returning(|_| Ok(None));
    cache.expect_remember().never();
    let mut tokens = MockPersonalTokenRepository::new();
    tokens.expect_find().returning(|_, _, _| Ok(None));
    let refused = block_on(service(tokens, cache).authenticate(&presented()));
    assert!(matches!(refused, Err(DomainError::Unauthenticated(_))));
}

#[test]
fn an_expired_grant_is_refused_even_from_the_cache() {
    let expired = grant(now());
    let mut cache = MockTokenGrantCache::new();
    cache
        .expect_get()
        .returning(move |_| Ok(Some(CachedGrant::Grant(expired))));
    let refused =
        block_on(service(MockPersonalTokenRepository::new(), cache).authenticate(&presented()));
    assert!(matches!(refused, Err(DomainError::Unauthenticated(_))));
}

#[test]
fn a_malformed_token_is_refused_before_any_lookup() {
    let service = service(
        MockPersonalTokenRepository::new(),
        MockTokenGrantCache::new(),
    );
    for malformed in ["ofp_short", "ofp_", &format!("ofp_{SECRET}!")] {
        assert!(matches!(
            block_on(service.authenticate(malformed)),
            Err(DomainError::Unauthenticated(_))
        ));
    }
}

#[test]
fn a_created_token_is_prefixed_stored_as_its_keyed_hash_and_shown_once() {
    let mut tokens = MockPersonalTokenRepository::new();
    tokens
        .expect_create_within()
        .withf(|new, limit| {
            *limit == 50
                && new.prefix == "ofp_aZ09aZ09"
                && new.token_hash == hash()
                && new.expires_at == new.created_at + TimeDelta::days(30)
                && new.scopes.names() == ["read", "write"]
        })
        .times(1)
        .returning(|new, _| {
            Ok(Some(PersonalToken {
                id: new.id,
                user: new.user,
                name: new.name,
                scopes: new.scopes,
                prefix: new.prefix,
                created_at: new.created_at,
                expires_at: new.expires_at,
                last_used_at: None,
            }))
        });
    let service = service(tokens, MockTokenGrantCache::new());
    let scopes = ["write".to_owned(), "read".to_owned()];
    let issued = block_on(service.create(
        UserId::new(),
        TokenRequest {
            name: "CI deploys",
            scopes: &scopes,
            expires_in_days: Some(30),
        },
    ))
    .unwrap();
    assert_eq!(issued.secret, presented());
    assert_eq!(issued.token.name.as_str(), "CI deploys");
}

#[test]
fn the_fifty_first_token_is_limit_reached() {
    let mut tokens = MockPersonalTokenRepository::new();
    tokens.expect_create_within().returning(|_, _| Ok(None));
    let scopes = ["read".to_owned()];
    let refused = block_on(service(tokens, MockTokenGrantCache::new()).create(
        UserId::new(),
        TokenRequest {
            name: "one too many",
            scopes: &scopes,
            expires_in_days: None,
        },
    ));
    assert!(matches!(
        refused,
        Err(DomainError::Conflict(ConflictKind::LimitReached {
            owner: "user",
            limit: 50,
            ..
        }))
    ));
}

#[test]
fn revoking_tells_the_cache_for_twice_a_grants_lifetime_and_an_unknown_token_is_not_found() {
    let (caller, id) = (UserId::new(), Uuid::now_v7());
    let mut tokens = MockPersonalTokenRepository::new();
    tokens
        .expect_revoke()
        .with(eq(caller), eq(id), eq(now()))
        .returning(|_, _, _| Ok(Some(hash())));
    tokens.expect_revoke().returning(|_, _, _| Ok(None));
    let mut cache = MockTokenGrantCache::new();
    cache
        .expect_revoked()
        .withf(|hash, ttl| hash == self::hash().as_slice() && *ttl == CACHE_TTL * 2)
        .times(1)
        .returning(|_, _| Err(DomainError::unavailable("redis", "down")));
    let service = service(tokens, cache);
    assert!(
        block_on(service.revoke(caller, id)).is_ok(),
        "the record is revoked even when the cache cannot be told"
    );
    assert!(matches!(
        block_on(service.revoke(caller, Uuid::now_v7())),
        Err(DomainError::NotFound("token"))
    ));
}
