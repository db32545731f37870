//! Conditional list reads: the validator a task list page is sent with, and
//! the validators a client says it already holds (`If-None-Match`).
//!
//! The tag is a digest of the page's cache key, which already names
//! everything the page depends on: the project's list generation (moved in
//! the transaction of every write that changes a list), the normalized
//! query, and the caller's view (`assignee_id=me` is the caller's id by
//! then). So the service can answer "unchanged" after the authorization
//! statement it runs anyway, without reading the page — and every replica,
//! with the list cache on or off, computes the same tag.

use sha2::{Digest, Sha256};

/// Changes the tag of every page when what a page's bytes look like changes
/// for the same key (a new field in the rendering): bump it with the
/// rendering, or a client would keep a page it should re-read.
const RENDERING: &str = "tasks-page-v1";

/// A list page's validator (sent weak: equal tags mean equivalent pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListTag(String);

impl ListTag {
    /// The tag of the page cached under `cache_key`: 128 bits of SHA-256,
    /// in hex — short enough for a header, far from any collision.
    pub fn of(cache_key: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(RENDERING)
            .chain_update([0])
            .chain_update(cache_key)
            .finalize();
        ListTag(hex::encode(&digest[..16]))
    }

    /// The opaque tag, without quotes or the weak prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The entity tags a client holds, opaque (the transport strips quotes and
/// the weak prefix: `If-None-Match` compares weakly).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HeldTags {
    /// No `If-None-Match`: always answer in full.
    #[default]
    Nothing,
    /// `If-None-Match: *`: any current representation is held.
    Any,
    Tags(Vec<String>),
}

impl HeldTags {
    /// Whether the client already holds the representation tagged `tag`.
    pub fn holds(&self, tag: &str) -> bool {
        match self {
            HeldTags::Nothing => false,
            HeldTags::Any => true,
            HeldTags::Tags(tags) => tags.iter().any(|held| held == tag),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_give_equal_tags_and_any_difference_another() {
        let tag = ListTag::of("tasks:p:g7:s=todo");
        assert_eq!(tag, ListTag::of("tasks:p:g7:s=todo"));
        assert_ne!(tag, ListTag::of("tasks:p:g8:s=todo"));
        assert_eq!(tag.as_str().len(), 32);
        assert!(tag.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn a_client_holds_only_what_it_names_or_anything_with_a_star() {
        let held = HeldTags::Tags(vec!["a".into(), "b".into()]);
        assert!(held.holds("b"));
        assert!(!held.holds("c"));
        assert!(HeldTags::Any.holds("c"));
        assert!(!HeldTags::Nothing.holds("c"));
        assert!(!HeldTags::default().holds(""));
    }
}
