//! Password hashing. Hashes are computed over the client digest (lowercase hex SHA-256 of
//! the password) so REST (plain text, digested here) and DDP (digest from the client)
//! verify against the same hash. New hashes are argon2id; Rocket.Chat's bcrypt hashes
//! verify and are replaced on the next successful login.
//!
//! Hashing is deliberately slow, so it runs on the blocking pool behind a semaphore sized
//! to the machine: a login storm queues here instead of starving the async workers.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, but stored with an older scheme: store this new hash.
    YesRehash(String),
}

fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("valid argon2 parameters"),
    )
}

fn hash_now(digest: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(digest.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            Error::Internal
        })
}

fn verify_now(digest: &str, stored: &str) -> Result<Verified> {
    if stored.starts_with("$argon2") {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return Ok(Verified::No);
        };
        return Ok(
            if argon2().verify_password(digest.as_bytes(), &parsed).is_ok() {
                Verified::Yes
            } else {
                Verified::No
            },
        );
    }
    if stored.starts_with("$2") {
        return Ok(match bcrypt::verify(digest, stored) {
            Ok(true) => Verified::YesRehash(hash_now(digest)?),
            _ => Verified::No,
        });
    }
    Ok(Verified::No)
}

impl Passwords {
    pub fn new() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            permits: Arc::new(Semaphore::new(workers)),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Unavailable)?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|_| Error::Internal)?
    }

    /// Hashes a client digest for storage.
    pub async fn hash(&self, digest: &str) -> Result<String> {
        let digest = digest.to_ascii_lowercase();
        self.run(move || hash_now(&digest)).await
    }

    /// Checks a client digest against a stored hash.
    pub async fn verify(&self, digest: &str, stored: &str) -> Result<Verified> {
        let digest = digest.to_ascii_lowercase();
        let stored = stored.to_owned();
        self.run(move || verify_now(&digest, &stored)).await
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrochat_model::password::client_digest;

    #[tokio::test]
    async fn argon2_round_trip() {
        let passwords = Passwords::new();
        let digest = client_digest("secret");
        let hash = passwords.hash(&digest).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(
            passwords.verify(&digest, &hash).await.unwrap(),
            Verified::Yes
        );
        assert_eq!(
            passwords
                .verify(&client_digest("wrong"), &hash)
                .await
                .unwrap(),
            Verified::No
        );
    }

    #[tokio::test]
    async fn rocket_chat_bcrypt_hashes_verify_and_upgrade() {
        let passwords = Passwords::new();
        let digest = client_digest("secret");
        let legacy = bcrypt::hash(&digest, 4).unwrap();
        match passwords.verify(&digest, &legacy).await.unwrap() {
            Verified::YesRehash(new) => assert!(new.starts_with("$argon2id$")),
            other => panic!("expected a rehash, got {other:?}"),
        }
        assert_eq!(
            passwords
                .verify(&client_digest("no"), &legacy)
                .await
                .unwrap(),
            Verified::No
        );
    }
}
