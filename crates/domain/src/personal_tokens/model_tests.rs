use super::*;
use chrono::TimeZone;

fn names(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

#[test]
fn scopes_are_read_and_write_non_empty_and_kept_once() {
    let both = Scopes::parse(&names(&["write", "read", "write"])).unwrap();
    assert_eq!(both.names(), ["read", "write"]);
    assert_eq!(Scopes::parse(&names(&["read"])).unwrap().names(), ["read"]);
    for refused in [&[][..], &["admin"], &["read", "READ"]] {
        let error = Scopes::parse(&names(refused)).unwrap_err();
        assert!(
            matches!(&error, DomainError::Invalid(fields) if fields[0].field == "scopes"),
            "{refused:?}: {error:?}"
        );
    }
}

#[test]
fn read_allows_safe_methods_only_and_write_allows_every_method() {
    let read = Scopes::parse(&names(&["read"])).unwrap();
    let write = Scopes::parse(&names(&["write"])).unwrap();
    assert!(read.allow(true));
    assert!(!read.allow(false));
    assert!(write.allow(true) && write.allow(false));
}

#[test]
fn a_read_grant_refuses_a_write_with_insufficient_scope() {
    let grant = TokenGrant {
        token: Uuid::now_v7(),
        user: UserId::new(),
        scopes: Scopes::parse(&names(&["read"])).unwrap(),
        expires_at: Utc::now(),
    };
    assert!(grant.permits(true).is_ok());
    assert!(matches!(
        grant.permits(false),
        Err(DomainError::InsufficientScope(_))
    ));
}

#[test]
fn a_grant_is_live_until_the_instant_it_expires() {
    let expires_at = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    let grant = TokenGrant {
        token: Uuid::now_v7(),
        user: UserId::new(),
        scopes: Scopes::parse(&names(&["read"])).unwrap(),
        expires_at,
    };
    assert!(grant.live_at(expires_at - TimeDelta::seconds(1)));
    assert!(!grant.live_at(expires_at));
}

#[test]
fn expiry_is_1_to_365_days_and_90_by_default() {
    let created = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    assert_eq!(
        TokenExpiry::parse(None).unwrap().after(created),
        created + TimeDelta::days(90)
    );
    assert_eq!(
        TokenExpiry::parse(Some(365)).unwrap().after(created),
        created + TimeDelta::days(365)
    );
    assert!(TokenExpiry::parse(Some(1)).is_ok());
    for refused in [0, 366, -5] {
        assert!(TokenExpiry::parse(Some(refused)).is_err(), "{refused}");
    }
}

#[test]
fn a_presented_token_is_the_prefix_and_40_base62_characters() {
    let good = format!("ofp_{}", "aZ09".repeat(10));
    let token = PresentedToken::parse(&good).unwrap();
    assert_eq!(token.prefix(), "ofp_aZ09aZ09");
    assert!(PresentedToken::claims_to_be(&good));
    assert!(!PresentedToken::claims_to_be("eyJhbGciOiJIUzI1NiJ9.x.y"));
    for refused in [
        format!("ofp_{}", "a".repeat(39)),
        format!("ofp_{}", "a".repeat(41)),
        format!("ofp_{}-", "a".repeat(39)),
        format!("ofx_{}", "a".repeat(40)),
        format!("ofp_{}é", "a".repeat(38)),
    ] {
        assert_eq!(PresentedToken::parse(&refused), None, "{refused}");
    }
}
