//! harta's domain: the rules of a Bulgarian administration's citizen service, with no I/O.
//!
//! Everything here is pure: no database, no clock (the current time is always passed in), no
//! network. Values that have rules are types that can only be made by parsing
//! ([`identifiers::Egn`], [`registry::RegistryNumber`], [`calendar::WorkingDate`]), so the rest
//! of the system never handles an unchecked string where a checked value belongs.
#![warn(missing_docs)]

/// Declares an enum of machine names (`as_str`, `parse`, `ALL`, `Display`, serde in snake case):
/// the names are stored, sent over the API and typed on the command line, so they are stable.
/// Exported for the other crates' enums of the same nature (roles).
#[macro_export]
macro_rules! names {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The machine name used in the API, the database and the CLI.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses the machine name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A refusal with a stable machine code, so that each channel can say it in its own words and
/// language (the citizen pages in Bulgarian, the API in English with the code beside it).
pub trait Coded: std::fmt::Display {
    /// The stable code (`required`, `too_long`, `check_digit`…).
    fn code(&self) -> &'static str;

    /// The limit that was passed, for codes that have one (`too_long`).
    fn limit(&self) -> Option<usize> {
        None
    }
}

/// A refusal described only in words.
impl Coded for String {
    fn code(&self) -> &'static str {
        "invalid"
    }
}

pub mod access_code;
pub mod calendar;
pub mod case;
pub mod catalogue;
pub mod charter;
pub mod deadline;
pub mod delivery;
pub mod digest;
pub mod documents;
pub mod format;
pub mod identifiers;
pub mod letters;
pub mod money;
pub mod party;
pub mod performance;
pub mod plain;
pub mod registry;
pub mod text;
