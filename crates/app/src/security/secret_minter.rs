//! `SecretMinter`: 256-bit random refresh tokens from the OS RNG, stored as
//! SHA-256. A fast hash is right here (unlike passwords): the token has 256 bits
//! of entropy, so there is nothing to brute-force. A rotation's token is
//! HMAC-SHA256 of the presented one under a key derived from the server's
//! secret: as unguessable as a random one to anyone without the key, and the
//! same for a second refresh of the same token (the grace window).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::auth::SecretMinter;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub struct RandomSecretMinter {
    successor_key: [u8; 32],
    personal_token_key: [u8; 32],
}

impl RandomSecretMinter {
    /// `server_secret` is the secret the server signs with; the successor
    /// key is derived from it under its own label, so neither use can stand
    /// in for the other.
    pub fn new(server_secret: &[u8]) -> Self {
        Self {
            successor_key: hmac_sha256(server_secret, b"opsflow refresh-token successor v1"),
            personal_token_key: hmac_sha256(server_secret, b"opsflow personal-token hash v1"),
        }
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Random bytes from the OS RNG; a failing RNG leaves v7 UUIDs' random bits
/// (never all-zero).
fn random_bytes(bytes: &mut [u8]) {
    if getrandom::fill(bytes).is_err() {
        for chunk in bytes.chunks_mut(16) {
            let fallback = uuid::Uuid::now_v7();
            chunk.copy_from_slice(&fallback.as_bytes()[..chunk.len()]);
        }
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // `new_from_slice` accepts any key length for HMAC; the fallback is
    // unreachable but keeps this path free of `expect`.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Sha256::digest(data).into();
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl SecretMinter for RandomSecretMinter {
    fn mint(&self) -> String {
        let mut bytes = [0u8; 32];
        random_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Rejection sampling: a byte below 248 (4 × 62) maps to one character
    /// uniformly; the rest are drawn again.
    fn mint_base62(&self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        let mut bytes = [0u8; 64];
        while out.len() < len {
            random_bytes(&mut bytes);
            for byte in bytes.iter().filter(|byte| **byte < 248) {
                if out.len() == len {
                    break;
                }
                out.push(char::from(BASE62[usize::from(*byte % 62)]));
            }
        }
        out
    }

    fn keyed_digest(&self, token: &str) -> Vec<u8> {
        hmac_sha256(&self.personal_token_key, token.as_bytes()).to_vec()
    }

    fn digest(&self, token: &str) -> Vec<u8> {
        Sha256::digest(token.as_bytes()).to_vec()
    }

    fn successor(&self, presented: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac_sha256(&self.successor_key, presented.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_url_safe_and_distinct() {
        let minter = RandomSecretMinter::new(b"secret");
        let (a, b) = (minter.mint(), minter.mint());
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn the_digest_is_sha256() {
        let digest = RandomSecretMinter::new(b"secret").digest("abc");
        assert_eq!(digest.len(), 32);
        assert_eq!(digest[..4], [0xba, 0x78, 0x16, 0xbf]);
    }

    #[test]
    fn base62_secrets_have_the_length_asked_and_only_base62_characters() {
        let minter = RandomSecretMinter::new(b"secret");
        let (a, b) = (minter.mint_base62(40), minter.mint_base62(40));
        assert_ne!(a, b);
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        // Every character of the alphabet turns up (uniform, not a subset).
        let many = minter.mint_base62(4000);
        assert!(BASE62.iter().all(|c| many.as_bytes().contains(c)));
    }

    #[test]
    fn the_personal_token_hash_is_keyed_by_the_server_secret() {
        let minter = RandomSecretMinter::new(b"secret");
        let digest = minter.keyed_digest("ofp_x");
        assert_eq!(digest, minter.keyed_digest("ofp_x"));
        assert_eq!(digest.len(), 32);
        assert_ne!(digest, minter.digest("ofp_x"), "not the plain SHA-256");
        assert_ne!(
            digest,
            RandomSecretMinter::new(b"other").keyed_digest("ofp_x")
        );
    }

    #[test]
    fn a_successor_is_a_keyed_function_of_the_presented_token() {
        let minter = RandomSecretMinter::new(b"secret");
        let successor = minter.successor("presented");
        assert_eq!(successor, minter.successor("presented"), "the same again");
        assert_ne!(successor, minter.successor("other"));
        assert_ne!(
            successor,
            RandomSecretMinter::new(b"another secret").successor("presented"),
            "only the key holder can compute it"
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&successor).unwrap().len(), 32);
    }
}
