//! What an idempotent create hands to storage, and what it gets back.

use crate::DomainError;
use std::sync::Arc;

/// A response to keep for replay, opaque here: the transport encodes it and
/// decodes it again; storage keeps the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptResponse(pub Vec<u8>);

/// Turns what a create made into the response to keep. Called inside the
/// create's transaction, so the kept response commits with the row it
/// describes (or neither does).
pub type Render<T> = Arc<dyn Fn(&T) -> Result<KeptResponse, DomainError> + Send + Sync>;

/// A create that runs at most once per (caller, key).
#[derive(Clone)]
pub struct IdempotentCreate<T> {
    /// The client's `Idempotency-Key`.
    pub key: String,
    /// What the key protects (the transport hashes method, path and body): the
    /// same key with another fingerprint is refused, never replayed.
    pub fingerprint: String,
    pub render: Render<T>,
}

impl<T> std::fmt::Debug for IdempotentCreate<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotentCreate")
            .field("key", &self.key)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// How an idempotent create settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Once<T> {
    /// It ran now (first use of the key, or no key at all).
    Ran(T),
    /// It ran before with the same request: this is that response.
    Replay(KeptResponse),
    /// The key was used with a different request.
    Mismatch,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_key_and_fingerprint_not_the_renderer() {
        let create = IdempotentCreate::<u8> {
            key: "retry-1".into(),
            fingerprint: "abc".into(),
            render: std::sync::Arc::new(|_: &u8| Ok(KeptResponse(Vec::new()))),
        };
        let shown = format!("{create:?}");
        assert_eq!(
            shown,
            r#"IdempotentCreate { key: "retry-1", fingerprint: "abc", .. }"#
        );
    }
}
