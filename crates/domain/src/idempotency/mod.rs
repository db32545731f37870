//! Idempotent retries of creating requests (`Idempotency-Key`): the first
//! outcome for a (user, key) is stored and replayed to retries, so a client that
//! lost a response can safely send the request again.

mod ports;

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockIdempotencyStore;
pub use ports::{Claim, IdempotencyStore, StoredOutcome};

use crate::DomainError;

/// A client-chosen key: 1..=255 visible ASCII characters.
///
/// # Errors
/// `Invalid` on `Idempotency-Key`.
pub fn parse_key(raw: &str) -> Result<String, DomainError> {
    if (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(raw.to_owned())
    } else {
        Err(DomainError::invalid(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_key;

    #[test]
    fn keys_are_1_to_255_visible_ascii_characters() {
        assert!(parse_key("a").is_ok());
        assert!(parse_key(&"k".repeat(255)).is_ok());
        assert!(parse_key("").is_err());
        assert!(parse_key(&"k".repeat(256)).is_err());
        assert!(parse_key("has space").is_err());
        assert!(parse_key("ünï").is_err());
    }
}
