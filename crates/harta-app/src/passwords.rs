//! Staff passwords: argon2id, hashed off the async threads, a few at a time: each hash holds
//! 19 MiB, so a flood of sign-ins waits in line instead of taking the memory.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::secrets::{KeyError, random_bytes};

/// A new random password for a first sign-in: 20 characters a person can type and read aloud
/// (no 0/O, 1/l/I).
pub fn generate() -> Result<String, KeyError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = random_bytes::<20>()?;
    Ok(bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect())
}

/// Hashes computed at once (one per core of the machines harta runs on).
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The argon2id hash of a password, as a PHC string.
pub async fn hash(password: String) -> Result<String, KeyError> {
    let _turn = HASHING.acquire().await.map_err(|e| KeyError::Random(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password_with_salt(password.as_bytes(), &random_bytes::<16>()?)
            .map(|h| h.to_string())
            .map_err(|e| KeyError::Random(e.to_string()))
    })
    .await
    .map_err(|e| KeyError::Random(e.to_string()))?
}

/// Whether `password` matches the stored hash.
pub async fn verify(password: String, stored: String) -> bool {
    let Ok(_turn) = HASHING.acquire().await else { return false };
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let p = generate().unwrap();
        assert_eq!(p.chars().count(), 20);
        let h = hash(p.clone()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(p, h.clone()).await);
        assert!(!verify("wrong".into(), h).await);
    }
}
