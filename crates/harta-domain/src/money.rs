//! Money in euro, kept as whole cents. Bulgaria's currency has been the euro since 1 January
//! 2026 at the fixed rate 1 EUR = 1.95583 BGN; amounts from before are converted at that rate
//! and rounded to the cent as the Euro Introduction Act rounds (half a cent and more up).

use std::fmt;

use serde::{Deserialize, Serialize};

/// BGN per EUR, times 100,000: the fixed rate 1.95583 as an integer, so conversion is exact.
const RATE_BGN_PER_EUR_E5: i64 = 195_583;

/// The most a fee may be: a million euro (a sanity bound on what anyone types).
const MAX_CENTS: i64 = 100_000_000;

/// An amount in euro cents, never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a number of euro with at most two decimals.
    #[error("is not an amount in euro (e.g. 2.56 or 2,56)")]
    NotAnAmount,
    /// Below zero.
    #[error("must not be negative")]
    Negative,
    /// Unreasonably large.
    #[error("must be at most 1 000 000 €")]
    TooLarge,
}

impl crate::Coded for MoneyError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotAnAmount => "not_an_amount",
            Self::Negative => "negative",
            Self::TooLarge => "too_large",
        }
    }
}

impl Money {
    /// Nothing to pay.
    pub const FREE: Self = Self(0);

    /// An amount of whole cents.
    pub fn from_cents(cents: i64) -> Result<Self, MoneyError> {
        match cents {
            c if c < 0 => Err(MoneyError::Negative),
            c if c > MAX_CENTS => Err(MoneyError::TooLarge),
            c => Ok(Self(c)),
        }
    }

    /// The euro amount of `stotinki` (lev cents) at the fixed rate, rounded to the nearest
    /// cent with half a cent rounded up.
    pub fn from_leva_stotinki(stotinki: i64) -> Result<Self, MoneyError> {
        if stotinki < 0 {
            return Err(MoneyError::Negative);
        }
        // cents = stotinki / 1.95583, rounded half up: (2·s·10^5 + rate) div (2·rate).
        let scaled = stotinki.checked_mul(2 * 100_000).ok_or(MoneyError::TooLarge)?;
        Self::from_cents((scaled + RATE_BGN_PER_EUR_E5) / (2 * RATE_BGN_PER_EUR_E5))
    }

    /// Parses euro as people and files write them: `2.56`, `2,56`, `2,56 €`, `EUR 2.56`, `5`.
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let s = s.trim().trim_end_matches('€').trim_start_matches("EUR").trim_end_matches("EUR").trim();
        if let Some(rest) = s.strip_prefix('-') {
            return match Self::parse(rest) {
                Ok(m) if m.0 == 0 => Ok(m),
                Ok(_) => Err(MoneyError::Negative),
                Err(e) => Err(e),
            };
        }
        let (whole, fraction) = match s.split_once(['.', ',']) {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !(fraction.is_empty() || (fraction.len() <= 2 && digits(fraction))) {
            return Err(MoneyError::NotAnAmount);
        }
        if whole.len() > 9 {
            return Err(MoneyError::TooLarge);
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::NotAnAmount)?;
        let cents: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| MoneyError::NotAnAmount)? * 10,
            _ => fraction.parse().map_err(|_| MoneyError::NotAnAmount)?,
        };
        Self::from_cents(whole * 100 + cents)
    }

    /// Whole cents.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// Whether there is nothing to pay.
    pub fn is_free(self) -> bool {
        self.0 == 0
    }

    /// As a Bulgarian page writes it: `2,56 €`, `1 250,00 €` (a narrow gap between thousands).
    pub fn bg(self) -> String {
        format!("{},{:02} €", grouped(self.0 / 100), self.0 % 100)
    }

    /// As an English page writes it: `€2.56`, `€1,250.00`.
    pub fn en(self) -> String {
        format!("€{}.{:02}", grouped(self.0 / 100).replace('\u{202f}', ","), self.0 % 100)
    }
}

/// Whole euro with a narrow no-break space between thousands, as Bulgarian typesetting has it.
fn grouped(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// The machine form in files and the API: `2.56`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn leva_convert_at_the_fixed_rate_rounded_half_up() {
        let eur = |st| Money::from_leva_stotinki(st).unwrap().cents();
        assert_eq!(eur(500), 256); // 2.5564…
        assert_eq!(eur(1000), 511); // 5.1129…
        assert_eq!(eur(2000), 1023); // 10.2258…
        assert_eq!(eur(195_583), 100_000);
        assert_eq!(eur(0), 0);
        assert_eq!(eur(1), 1); // 0.511… cent rounds up
        assert_eq!(Money::from_leva_stotinki(-1), Err(MoneyError::Negative));
    }

    #[test]
    fn amounts_parse_as_people_write_them() {
        for (text, cents) in [("2.56", 256), ("2,56", 256), ("2,56 €", 256), ("EUR 2.56", 256), ("5", 500), ("0", 0)]
        {
            assert_eq!(Money::parse(text).map(Money::cents), Ok(cents), "{text}");
        }
        assert_eq!(Money::parse("2,5").map(Money::cents), Ok(250));
        assert_eq!(Money::parse("-1"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("-0"), Ok(Money::FREE));
        for bad in ["", "abc", "2.567", "2..5", "1e3", ",5", "5 лв.", "NaN"] {
            assert_eq!(Money::parse(bad), Err(MoneyError::NotAnAmount), "{bad}");
        }
        assert_eq!(Money::parse("10000000000"), Err(MoneyError::TooLarge));
        assert_eq!(Money::parse("1000000.01"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn amounts_are_written_per_language() {
        let m = Money::from_cents(125_000).unwrap();
        assert_eq!(m.bg(), "1\u{202f}250,00 €");
        assert_eq!(m.en(), "€1,250.00");
        assert_eq!(Money::from_cents(256).unwrap().bg(), "2,56 €");
        assert_eq!(Money::from_cents(5).unwrap().to_string(), "0.05");
    }

    proptest! {
        #[test]
        fn the_machine_form_reads_back(cents in 0i64..=MAX_CENTS) {
            let m = Money::from_cents(cents).unwrap();
            prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
            prop_assert_eq!(Money::parse(&m.bg().replace('\u{202f}', "")), Ok(m));
        }

        #[test]
        fn conversion_is_within_half_a_cent(stotinki in 0i64..10_000_000) {
            let cents = Money::from_leva_stotinki(stotinki).unwrap().cents();
            // |cents·1.95583 − stotinki| ≤ 1.95583 / 2, in units of 10^-5 stotinki.
            let error = (cents * RATE_BGN_PER_EUR_E5 - stotinki * 100_000).abs();
            prop_assert!(error * 2 <= RATE_BGN_PER_EUR_E5);
        }
    }
}
