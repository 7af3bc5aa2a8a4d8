//! Personal numbers (ЕГН, ЛНЧ) at rest: sealed with XChaCha20-Poly1305 and found again through
//! a keyed blind index (HMAC-SHA-256), so the database never holds them in clear and a stolen
//! copy of it cannot be searched by number without the key (C5).

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use harta_domain::access_code::AccessCode;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key text is not 64 hexadecimal digits.
    #[error("the secret key must be 64 hexadecimal digits (32 bytes)")]
    Format,
    /// The operating system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
    /// A sealed value could not be opened with this key.
    #[error("a sealed value does not open with this key")]
    Open,
}

/// The administration's key for personal numbers.
#[derive(Clone)]
pub struct PersonalDataKey {
    seal: [u8; 32],
    index: [u8; 32],
    forms: [u8; 32],
    audit: [u8; 32],
}

impl std::fmt::Debug for PersonalDataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalDataKey(…)")
    }
}

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(out)
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from lower- or upper-case hexadecimal.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

fn derive(master: &[u8], purpose: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(master).unwrap_or_else(|_| unreachable!());
    mac.update(purpose);
    mac.finalize().into_bytes().into()
}

impl PersonalDataKey {
    /// A new random key, as the hexadecimal text to store.
    pub fn generate() -> Result<String, KeyError> {
        Ok(hex(&random_bytes::<32>()?))
    }

    /// The key from its hexadecimal text (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let master = unhex(text.trim()).filter(|b| b.len() == 32).ok_or(KeyError::Format)?;
        Ok(Self {
            seal: derive(&master, b"harta seal v1"),
            index: derive(&master, b"harta blind index v1"),
            forms: derive(&master, b"harta forms v1"),
            audit: derive(&master, b"harta audit chain v1"),
        })
    }

    /// The key of the audit trail's chain (kept apart from the database with this key).
    pub fn audit_key(&self) -> [u8; 32] {
        self.audit
    }

    /// What the store keeps to recognise this key: a value derived from it that says nothing
    /// about it.
    pub fn check_value(&self) -> String {
        hex(&derive(&self.index, b"harta key check v1"))
    }

    /// The blind index of a personal number: equal numbers give equal indexes under one key.
    pub fn blind_index(&self, kind: &str, digits: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.index).unwrap_or_else(|_| unreachable!());
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(digits.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// The digest of a citizen's access code, as stored: keyed, so a copy of the database does
    /// not let anyone try codes offline.
    pub fn access_digest(&self, code: &AccessCode) -> String {
        self.blind_index("access", code.as_compact())
    }

    /// The access code of a web submission, derived from its key: submitting the same form
    /// twice shows the same code, and no code is stored in clear anywhere.
    pub fn submission_code(&self, submission_key: &str) -> AccessCode {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.index).unwrap_or_else(|_| unreachable!());
        mac.update(b"submission code:");
        mac.update(submission_key.as_bytes());
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        let mut bytes = [0u8; 20];
        bytes.copy_from_slice(&digest[..20]);
        AccessCode::from_bytes(&bytes)
    }

    /// Seals a value: a random 24-byte nonce followed by the ciphertext.
    pub fn seal(&self, plain: &str) -> Result<Vec<u8>, KeyError> {
        seal_with(&self.seal, plain)
    }

    /// Seals what a form hands to the browser and must get back unread and unchanged (a
    /// half-finished submission, the time a form was shown), as hexadecimal text. A key of its
    /// own, so nothing sealed for a browser opens as a personal number or the other way round.
    pub fn seal_for_browser(&self, plain: &str) -> Result<String, KeyError> {
        seal_with(&self.forms, plain).map(|b| hex(&b))
    }

    /// Opens what [`PersonalDataKey::seal_for_browser`] sealed; `None` if it was altered.
    pub fn open_from_browser(&self, sealed: &str) -> Option<String> {
        open_with(&self.forms, &unhex(sealed.trim())?).ok()
    }

    /// Opens a sealed value.
    pub fn open(&self, sealed: &[u8]) -> Result<String, KeyError> {
        open_with(&self.seal, sealed)
    }
}

/// A random 24-byte nonce followed by the ciphertext.
fn seal_with(key: &[u8; 32], plain: &str) -> Result<Vec<u8>, KeyError> {
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    let nonce = random_bytes::<24>()?;
    let sealed = cipher.encrypt(&XNonce::from(nonce), plain.as_bytes()).map_err(|_| KeyError::Open)?;
    Ok([nonce.as_slice(), &sealed].concat())
}

fn open_with(key: &[u8; 32], sealed: &[u8]) -> Result<String, KeyError> {
    if sealed.len() < 24 {
        return Err(KeyError::Open);
    }
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    let (nonce, body) = sealed.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().map_err(|_| KeyError::Open)?;
    let plain = cipher.decrypt(&XNonce::from(nonce), body).map_err(|_| KeyError::Open)?;
    String::from_utf8(plain).map_err(|_| KeyError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_index() {
        let key = PersonalDataKey::from_hex(&PersonalDataKey::generate().unwrap()).unwrap();
        let sealed = key.seal("7503146242").unwrap();
        assert!(!sealed.windows(10).any(|w| w == b"7503146242"));
        assert_eq!(key.open(&sealed).unwrap(), "7503146242");
        assert_ne!(key.seal("7503146242").unwrap(), sealed, "a fresh nonce each time");
        assert_eq!(key.blind_index("egn", "7503146242"), key.blind_index("egn", "7503146242"));
        assert_ne!(key.blind_index("egn", "7503146242"), key.blind_index("lnch", "7503146242"));
        let other = PersonalDataKey::from_hex(&PersonalDataKey::generate().unwrap()).unwrap();
        assert!(other.open(&sealed).is_err());
        assert_ne!(other.blind_index("egn", "7503146242"), key.blind_index("egn", "7503146242"));
        assert!(PersonalDataKey::from_hex("abc").is_err());
        assert!(PersonalDataKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(!format!("{key:?}").contains(&hex(&key.seal)));
    }
}
