//! Passwords reach the server either as plain text (REST) or as the lowercase hex SHA-256
//! of the plain text (DDP's `{digest, algorithm: "sha-256"}`). Hashes are always computed
//! over the digest, so both paths verify against one stored hash.

use sha2::{Digest, Sha256};

/// The lowercase hex SHA-256 of the UTF-8 password, as Meteor clients send it.
pub fn client_digest(plain: &str) -> String {
    hex::encode(Sha256::digest(plain.as_bytes()))
}

/// Whether a string looks like a client digest (64 lowercase or uppercase hex characters).
pub fn is_digest(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_lowercase_hex_sha256() {
        assert_eq!(
            client_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_digest(&client_digest("x")));
        assert!(!is_digest("abc"));
    }
}
