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
}

impl RandomSecretMinter {
    /// `server_secret` is the secret the server signs with; the successor
    /// key is derived from it under its own label, so neither use can stand
    /// in for the other.
    pub fn new(server_secret: &[u8]) -> Self {
        Self {
            successor_key: hmac_sha256(server_secret, b"opsflow refresh-token successor v1"),
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
