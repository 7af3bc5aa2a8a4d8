//! The access code a citizen gets with a registry number to follow the case online without an
//! account. Ten characters from an alphabet with no look-alikes (no 0/O, 1/I/L), shown as
//! `K7M4Q-9TXR2`: about 49 bits, which with throttled guessing cannot be found by trying.

use std::fmt;

/// The characters of a code: digits and capital Latin letters that cannot be mistaken for one
/// another when read aloud, handwritten or printed on a receipt.
const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in a code.
const LEN: usize = 10;

/// A well-formed access code.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessCode([u8; LEN]);

/// Why a typed code is not an access code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 10 letters and digits, as printed (e.g. K7M4Q-9TXR2)")]
pub struct AccessCodeError;

impl crate::Coded for AccessCodeError {
    fn code(&self) -> &'static str {
        "access_code"
    }
}

impl AccessCode {
    /// A code made from random (or derived) bytes; uniform over the alphabet because each
    /// byte is reduced from a 16-bit sample.
    pub fn from_bytes(bytes: &[u8; 2 * LEN]) -> Self {
        let mut code = [0u8; LEN];
        for (i, c) in code.iter_mut().enumerate() {
            let sample = u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]);
            *c = ALPHABET[usize::from(sample) % ALPHABET.len()];
        }
        Self(code)
    }

    /// Reads a code as a person types it: any case, with or without the dash or spaces, and
    /// with Cyrillic letters that look like Latin ones (А, В, Е, К, М, Н, Р, С, Т, Х, У)
    /// accepted, since Bulgarian keyboards produce them.
    pub fn parse(text: &str) -> Result<Self, AccessCodeError> {
        let mut code = [0u8; LEN];
        let mut n = 0;
        for ch in text.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let latin = match ch.to_uppercase().next().unwrap_or(ch) {
                'А' => 'A',
                'В' => 'B',
                'Е' => 'E',
                'К' => 'K',
                'М' => 'M',
                'Н' => 'H',
                'Р' => 'P',
                'С' => 'C',
                'Т' => 'T',
                'Х' => 'X',
                'У' => 'Y',
                c => c,
            };
            let byte = u8::try_from(latin).ok().filter(|b| ALPHABET.contains(b)).ok_or(AccessCodeError)?;
            *code.get_mut(n).ok_or(AccessCodeError)? = byte;
            n += 1;
        }
        if n == LEN { Ok(Self(code)) } else { Err(AccessCodeError) }
    }

    /// The code without its dash, as it is digested for storage.
    pub fn as_compact(&self) -> &str {
        // The bytes are all from the ASCII alphabet.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for AccessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.as_compact();
        write!(f, "{}-{}", &text[..LEN / 2], &text[LEN / 2..])
    }
}

/// The code is a secret: it never appears in debug output or logs.
impl fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessCode(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typed_forms_are_read() {
        let code = AccessCode::parse("K7M4Q-9TXR2").unwrap();
        assert_eq!(code.to_string(), "K7M4Q-9TXR2");
        assert_eq!(AccessCode::parse(" k7m4q 9txr2 ").unwrap(), code);
        // Cyrillic К, М, Т, Х typed on a Bulgarian keyboard.
        assert_eq!(AccessCode::parse("К7М4Q9ТХR2").unwrap(), code);
        assert_eq!(format!("{code:?}"), "AccessCode(…)");
    }

    #[test]
    fn wrong_codes_are_refused() {
        for bad in ["", "K7M4Q", "K7M4Q-9TXR22", "O7M4Q-9TXR2", "K7M4Q-9TXR!", "К7М4Q-9ТХR2Я"] {
            assert_eq!(AccessCode::parse(bad), Err(AccessCodeError), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn every_generated_code_reads_back(bytes in proptest::array::uniform20(any::<u8>())) {
            let code = AccessCode::from_bytes(&bytes);
            prop_assert_eq!(AccessCode::parse(&code.to_string()), Ok(code.clone()));
            prop_assert_eq!(AccessCode::parse(&code.to_string().to_lowercase()), Ok(code));
        }
    }
}
