//! `AccessTokenCodec` with HS256 JWTs. Only HS256 is accepted: a token claiming
//! `alg: none` or another algorithm is refused before its signature is looked at.

use domain::auth::{AccessClaims, AccessTokenCodec};
use domain::ids::UserId;
use domain::DomainError;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How far a token's `iat` may lie ahead of our clock (replicas' clocks differ).
const MAX_CLOCK_SKEW_SECS: i64 = 60;

pub struct JwtAccessTokenCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

#[derive(Serialize, Deserialize)]
struct WireClaims {
    sub: Uuid,
    sid: Uuid,
    iat: i64,
    exp: i64,
    jti: Uuid,
}

impl JwtAccessTokenCodec {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

impl AccessTokenCodec for JwtAccessTokenCodec {
    fn encode(&self, claims: &AccessClaims) -> Result<String, DomainError> {
        let wire = WireClaims {
            sub: claims.sub.as_uuid(),
            sid: claims.sid,
            iat: claims.iat,
            exp: claims.exp,
            jti: claims.jti,
        };
        encode(&Header::new(Algorithm::HS256), &wire, &self.encoding)
            .map_err(|error| DomainError::internal_from("jwt encode", error))
    }

    fn decode(&self, token: &str, now: i64) -> Result<AccessClaims, DomainError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        // Expiry is checked below against the injected clock, with no leeway.
        validation.validate_exp = false;
        validation.leeway = 0;
        let data = decode::<WireClaims>(token, &self.decoding, &validation)
            .map_err(|_| DomainError::Unauthenticated("invalid access token"))?;
        let claims = data.claims;
        if claims.exp <= now {
            return Err(DomainError::Unauthenticated("access token expired"));
        }
        // We never issue a token from the future; one that claims it was minted
        // later than now (beyond a minute of clock skew between replicas) was
        // not minted by a clock we trust.
        if claims.iat > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
            return Err(DomainError::Unauthenticated(
                "access token issued in the future",
            ));
        }
        Ok(AccessClaims {
            sub: UserId(claims.sub),
            sid: claims.sid,
            iat: claims.iat,
            exp: claims.exp,
            jti: claims.jti,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims(exp: i64) -> AccessClaims {
        AccessClaims {
            sub: UserId::new(),
            sid: Uuid::now_v7(),
            iat: 1_000,
            exp,
            jti: Uuid::now_v7(),
        }
    }

    #[test]
    fn a_token_round_trips_until_it_expires() {
        let codec = JwtAccessTokenCodec::new(SECRET);
        let original = claims(2_000);
        let token = codec.encode(&original).unwrap();
        assert_eq!(codec.decode(&token, 1_999).unwrap(), original);
        assert!(
            codec.decode(&token, 2_000).is_err(),
            "expired at exp exactly"
        );
    }

    #[test]
    fn a_token_issued_more_than_a_minute_in_the_future_is_refused() {
        let codec = JwtAccessTokenCodec::new(SECRET);
        let token = codec.encode(&claims(5_000)).unwrap(); // iat 1_000
        assert!(codec.decode(&token, 940).is_ok(), "60 s of skew is fine");
        assert!(codec.decode(&token, 939).is_err(), "61 s ahead is not");
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = JwtAccessTokenCodec::new(b"another-secret-another-secret-xx")
            .encode(&claims(2_000))
            .unwrap();
        assert!(JwtAccessTokenCodec::new(SECRET)
            .decode(&token, 1_500)
            .is_err());
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let codec = JwtAccessTokenCodec::new(SECRET);
        let token = codec.encode(&claims(2_000)).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        for header in [
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"HS512","typ":"JWT"}"#,
        ] {
            let forged = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(header));
            assert!(codec.decode(&forged, 1_500).is_err(), "{header}");
        }
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let codec = JwtAccessTokenCodec::new(SECRET);
        let original = claims(2_000);
        let token = codec.encode(&original).unwrap();
        // A complete, well-formed payload that differs in one claim: only the
        // signature can tell. The same claims signed with the key decode.
        let altered = AccessClaims {
            sub: UserId::new(),
            ..original
        };
        let resigned = codec.encode(&altered).unwrap();
        assert_eq!(codec.decode(&resigned, 1_500).unwrap(), altered);
        let mut parts: Vec<&str> = token.split('.').collect();
        let altered_payload = resigned.split('.').nth(1).unwrap();
        parts[1] = altered_payload;
        assert!(codec.decode(&parts.join("."), 1_500).is_err());
        assert!(codec.decode("not.a.jwt", 1_500).is_err());
        assert!(codec.decode("", 1_500).is_err());
    }
}
