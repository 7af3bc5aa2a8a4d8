//! Free text with limits: a case's subject and body, a person's name and address, notes.
//!
//! Each kind of text is its own type, so a subject can only exist trimmed, non-empty and within
//! its length, and control characters never reach a page, a letter or a log.

use std::fmt;

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but spaces.
    #[error("must not be empty")]
    Empty,
    /// Too long.
    #[error("must be at most {max} characters (it has {len})")]
    TooLong {
        /// The limit.
        max: usize,
        /// The length given.
        len: usize,
    },
    /// A control character (other than line breaks and tabs where lines are allowed).
    #[error("contains a control character")]
    Control,
}

impl crate::Coded for TextError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::TooLong { .. } => "too_long",
            Self::Control => "control",
        }
    }

    fn limit(&self) -> Option<usize> {
        match self {
            Self::TooLong { max, .. } => Some(*max),
            _ => None,
        }
    }
}

macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, max = $max:expr, multiline = $multi:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The most characters allowed.
            pub const MAX: usize = $max;

            /// Trims and checks the text.
            pub fn parse(s: &str) -> Result<Self, TextError> {
                check(s, $max, $multi).map(Self)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn check(s: &str, max: usize, multiline: bool) -> Result<String, TextError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(TextError::Empty);
    }
    let len = s.chars().count();
    if len > max {
        return Err(TextError::TooLong { max, len });
    }
    let allowed =
        |c: char| (!c.is_control() && !invisible_control(c)) || (multiline && matches!(c, '\n' | '\r' | '\t'));
    if !s.chars().all(allowed) {
        return Err(TextError::Control);
    }
    Ok(s.to_string())
}

/// Characters that are not control characters to Unicode but act like them: the line and
/// paragraph separators (a "line break" that one-line fields and logs do not expect) and the
/// bidirectional overrides, embeddings and isolates (which make `U+202E gpj.exe` read as `exe.jpg`,
/// or a name read backwards on a page or a letter).
fn invisible_control(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

bounded_text!(
    /// A case's subject: one line, up to 300 characters.
    Subject, max = 300, multiline = false
);
bounded_text!(
    /// A case's text: up to 100,000 characters.
    Body, max = 100_000, multiline = true
);
bounded_text!(
    /// A person's or organisation's name.
    Name, max = 200, multiline = false
);
bounded_text!(
    /// A member of staff's position (`главен експерт`), as it stands under their signature.
    Position, max = 120, multiline = false
);
bounded_text!(
    /// A postal address.
    Address, max = 500, multiline = true
);
bounded_text!(
    /// A note, a reason, a summary on a case event.
    Note, max = 10_000, multiline = true
);

/// Folds text for matching: Cyrillic is written in Latin letters by the Bulgarian
/// transliteration law (щ → sht, ю → yu), accents are dropped and everything is lower case, so
/// «Удостоверение», «udostoverenie» and «UDOSTOVERÉNIE» are the same word.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let latin = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ѐ' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'ѝ' | 'і' => "i",
            'й' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "h",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "sht",
            'ъ' => "a",
            'ь' | 'ы' => "y",
            'ю' => "yu",
            'я' => "ya",
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => "a",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ç' => "c",
            'ñ' => "n",
            'ý' | 'ÿ' => "y",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => " ",
        };
        out.push_str(latin);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_counted_in_characters() {
        assert_eq!(Subject::parse("  Дупка на улицата  ").unwrap().as_str(), "Дупка на улицата");
        assert!(Subject::parse(&"я".repeat(300)).is_ok());
        assert_eq!(Subject::parse(&"я".repeat(301)), Err(TextError::TooLong { max: 300, len: 301 }));
        assert_eq!(Subject::parse(" \n\t "), Err(TextError::Empty));
        assert_eq!(Subject::parse("a\nb"), Err(TextError::Control));
        assert!(Body::parse("ред\nред").is_ok());
        assert_eq!(Body::parse("a\u{0}b"), Err(TextError::Control));
        for sneaky in ['\u{2028}', '\u{2029}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200F}'] {
            assert_eq!(Name::parse(&format!("Мария{sneaky}Иванова")), Err(TextError::Control), "{sneaky:?}");
            assert_eq!(Body::parse(&format!("ред{sneaky}ред")), Err(TextError::Control), "{sneaky:?}");
        }
        assert!(Name::parse("Мария Иванова-Петрова").is_ok());
        assert!(Body::parse(&"a".repeat(100_000)).is_ok());
        assert!(Body::parse(&"a".repeat(100_001)).is_err());
    }
}
