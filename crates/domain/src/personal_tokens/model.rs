//! A personal access token, its scopes and what authenticating one grants.

use crate::ids::UserId;
use crate::text::line_value;
use crate::{DomainError, FieldError};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// Every token starts with it, so a secret scanner (and a person) can tell
/// one at a glance, and the transport can tell it from a JWT.
pub const TOKEN_PREFIX: &str = "ofp_";
/// Random base62 characters after the prefix: 40 × log2(62) ≈ 238 bits.
pub const SECRET_LEN: usize = 40;
/// How much of a token is kept in clear and shown in lists (`ofp_` + 8
/// characters): enough to recognise it, the index the lookup starts from.
pub const SHOWN_PREFIX_LEN: usize = TOKEN_PREFIX.len() + 8;
/// Contract: at most 50 live tokens per user.
pub const MAX_TOKENS_PER_USER: usize = 50;
/// Contract: `last_used_at` is written at most once a minute per token.
pub const TOUCH_INTERVAL: TimeDelta = TimeDelta::seconds(60);
/// How long a looked-up grant is believed from the cache. Bounds how stale a
/// grant can be when a revocation could not reach the cache (docs/auth.md).
pub const CACHE_TTL: Duration = Duration::from_secs(30);

line_value!(
    /// 1 to 100 characters: what the token is for ("CI deploys").
    TokenName,
    field = "name",
    max = 100
);

/// What a token may do. `read`: GET and HEAD only. `write`: every method —
/// a write answers with the resource it wrote and needs reads around it, so
/// a write-only token would be a trap, not a safeguard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes {
    pub read: bool,
    pub write: bool,
}

impl Scopes {
    /// # Errors
    /// `Invalid` on `scopes`: empty, or a name other than `read` and `write`.
    /// Repeating a scope is harmless and kept once.
    pub fn parse(names: &[String]) -> Result<Self, DomainError> {
        let mut scopes = Self {
            read: false,
            write: false,
        };
        for name in names {
            match name.as_str() {
                "read" => scopes.read = true,
                "write" => scopes.write = true,
                _ => return Err(invalid_scopes()),
            }
        }
        if scopes.names().is_empty() {
            return Err(invalid_scopes());
        }
        Ok(scopes)
    }

    /// The names, in the contract's order.
    pub fn names(self) -> Vec<&'static str> {
        [(self.read, "read"), (self.write, "write")]
            .into_iter()
            .filter_map(|(held, name)| held.then_some(name))
            .collect()
    }

    /// Whether a request may be made with these scopes; `safe` is a GET or
    /// HEAD.
    pub fn allow(self, safe: bool) -> bool {
        self.write || (safe && self.read)
    }
}

fn invalid_scopes() -> DomainError {
    DomainError::invalid("scopes", "must be a non-empty list of read and write")
}

/// `expires_in_days`: 1 to 365, 90 when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenExpiry(i64);

impl TokenExpiry {
    pub const DEFAULT_DAYS: i64 = 90;
    pub const MAX_DAYS: i64 = 365;

    /// # Errors
    /// `Invalid` on `expires_in_days` outside 1..=365.
    pub fn parse(days: Option<i64>) -> Result<Self, DomainError> {
        match days.unwrap_or(Self::DEFAULT_DAYS) {
            days @ 1..=Self::MAX_DAYS => Ok(Self(days)),
            _ => Err(DomainError::Invalid(vec![FieldError::new(
                "expires_in_days",
                "must be between 1 and 365",
            )])),
        }
    }

    pub fn after(self, created_at: DateTime<Utc>) -> DateTime<Utc> {
        created_at + TimeDelta::days(self.0)
    }
}

/// A string presented as a personal access token, checked for its shape
/// only (whether it exists is the lookup's question).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedToken(String);

impl PresentedToken {
    /// Whether `raw` is meant as a personal access token (not a JWT): the
    /// transport routes it to this module, whose answer then decides.
    pub fn claims_to_be(raw: &str) -> bool {
        raw.starts_with(TOKEN_PREFIX)
    }

    /// `ofp_` and 40 base62 characters, or `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let secret = raw.strip_prefix(TOKEN_PREFIX)?;
        (secret.len() == SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part kept in clear (the lookup's index, shown in lists).
    pub fn prefix(&self) -> &str {
        &self.0[..SHOWN_PREFIX_LEN]
    }
}

/// A token as its owner sees it in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalToken {
    pub id: Uuid,
    pub user: UserId,
    pub name: TokenName,
    pub scopes: Scopes,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What storage keeps of a new token: the secret only as its keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPersonalToken {
    pub id: Uuid,
    pub user: UserId,
    pub name: TokenName,
    pub scopes: Scopes,
    pub prefix: String,
    pub token_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A created token with its secret, shown this once.
#[derive(Debug, Clone)]
pub struct IssuedPersonalToken {
    pub token: PersonalToken,
    pub secret: String,
}

/// What a live, unrevoked token grants a request: its user, within its
/// scopes, until it expires. Cached as it is (hence serde).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenGrant {
    pub token: Uuid,
    pub user: UserId,
    pub scopes: Scopes,
    pub expires_at: DateTime<Utc>,
}

impl TokenGrant {
    pub fn live_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// The scope check every request made with a token passes through.
    ///
    /// # Errors
    /// `InsufficientScope` when the token's scopes do not allow the method.
    pub fn permits(&self, safe: bool) -> Result<(), DomainError> {
        if self.scopes.allow(safe) {
            Ok(())
        } else {
            Err(DomainError::InsufficientScope(
                "this token has the read scope only: it may make GET and HEAD requests",
            ))
        }
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
