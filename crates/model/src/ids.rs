//! Meteor-compatible identifiers and secrets.

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// The alphabet of Meteor's `Random.id()`: no `0 1 I O l`, so ids survive being read aloud.
const UNMISTAKABLE: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// A 17-character id as `Random.id()` makes them (about 98 bits of entropy).
pub fn random_id() -> String {
    random_from(UNMISTAKABLE, 17)
}

/// A random id of a given length from the same alphabet (`Random.id(n)`).
pub fn random_id_len(len: usize) -> String {
    random_from(UNMISTAKABLE, len)
}

/// A 43-character secret as `Random.secret()` makes them (256 bits), used for login tokens.
pub fn random_secret() -> String {
    random_from(BASE64URL, 43)
}

/// How a login token is stored: `base64(sha256(token))`, as Rocket.Chat's `_hashLoginToken`.
pub fn hash_login_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The id of a direct-message room between users: the sorted ids concatenated. A DM with
/// oneself has one id. Group DMs (three or more people) get a random id instead.
pub fn direct_room_id(user_ids: &[&str]) -> String {
    let mut ids: Vec<&str> = user_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_meteor_shape() {
        let id = random_id();
        assert_eq!(id.len(), 17);
        assert!(id.bytes().all(|b| UNMISTAKABLE.contains(&b)));
        let secret = random_secret();
        assert_eq!(secret.len(), 43);
        assert!(secret.bytes().all(|b| BASE64URL.contains(&b)));
        assert_ne!(random_id(), random_id());
    }

    #[test]
    fn token_hash_matches_rocket_chat() {
        // crypto.createHash('sha256').update('abc').digest('base64')
        assert_eq!(
            hash_login_token("abc"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }

    #[test]
    fn direct_room_ids_sort_and_dedup() {
        assert_eq!(direct_room_id(&["b", "a"]), "ab");
        assert_eq!(direct_room_id(&["a", "b"]), "ab");
        assert_eq!(direct_room_id(&["a", "a"]), "a");
    }
}
