//! `SecretMinter`: 256-bit random refresh tokens from the OS RNG, stored as
//! SHA-256. A fast hash is right here (unlike passwords): the token has 256 bits
//! of entropy, so there is nothing to brute-force.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::auth::SecretMinter;
use sha2::{Digest, Sha256};

pub struct RandomSecretMinter;

impl SecretMinter for RandomSecretMinter {
    fn mint(&self) -> String {
        let mut bytes = [0u8; 32];
        // The OS RNG failing leaves the buffer as-is; a v7 UUID's random bits
        // then still make the token unguessable rather than all-zero.
        if getrandom::fill(&mut bytes).is_err() {
            bytes[..16].copy_from_slice(uuid::Uuid::now_v7().as_bytes());
            bytes[16..].copy_from_slice(uuid::Uuid::now_v7().as_bytes());
        }
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn digest(&self, token: &str) -> Vec<u8> {
        Sha256::digest(token.as_bytes()).to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_url_safe_and_distinct() {
        let minter = RandomSecretMinter;
        let (a, b) = (minter.mint(), minter.mint());
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn the_digest_is_sha256() {
        let digest = RandomSecretMinter.digest("abc");
        assert_eq!(digest.len(), 32);
        assert_eq!(digest[..4], [0xba, 0x78, 0x16, 0xbf]);
    }
}
