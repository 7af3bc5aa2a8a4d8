//! Personal and organisational identifiers, parsed once at the edge: ЕГН, ЛНЧ, ЕИК/БУЛСТАТ,
//! telephone numbers (kept as E.164) and e-mail addresses.
//!
//! Each error says what is wrong in words a clerk can repeat to the citizen; the web layer names
//! the field and translates.

use std::fmt;

use jiff::civil::Date;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Wrong length or a character that is not a digit.
    #[error("must be {0} digits")]
    Digits(&'static str),
    /// The birth date inside an ЕГН does not exist.
    #[error("the date of birth in it does not exist")]
    NoSuchBirthDate,
    /// The birth date inside an ЕГН lies in the future.
    #[error("the date of birth in it is in the future")]
    BirthDateInFuture,
    /// The check digit does not match.
    #[error("the check digit does not match: please check for a mistyped digit")]
    CheckDigit,
    /// A telephone number that cannot be dialled.
    #[error("is not a telephone number (e.g. 02 895 11 00, 0888 123 456 or +359 2 895 11 00)")]
    Phone,
    /// An e-mail address that cannot be delivered to.
    #[error("is not an e-mail address (e.g. name@example.bg)")]
    Email,
}

impl crate::Coded for IdError {
    fn code(&self) -> &'static str {
        match self {
            Self::Digits(_) => "digits",
            Self::NoSuchBirthDate => "no_such_date",
            Self::BirthDateInFuture => "future_date",
            Self::CheckDigit => "check_digit",
            Self::Phone => "phone",
            Self::Email => "email",
        }
    }
}

fn digits<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], IdError> {
    let s = s.trim();
    let bytes = s.as_bytes();
    if bytes.len() != N || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(IdError::Digits(what));
    }
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = b - b'0';
    }
    Ok(out)
}

fn weighted(ds: &[u8], weights: &[u32]) -> u32 {
    ds.iter().zip(weights).map(|(&d, &w)| u32::from(d) * w).sum()
}

/// A Bulgarian citizen's personal number (ЕГН): ten digits, a real birth date, a valid check
/// digit. It is personal data: never log it, never show it unmasked where it is not needed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Egn {
    digits: String,
    birth_date: Date,
}

impl Egn {
    /// Parses an ЕГН; `today` (Sofia) rules out birth dates in the future.
    pub fn parse(s: &str, today: Date) -> Result<Self, IdError> {
        let ds = digits::<10>(s, "10")?;
        let yy = i16::from(ds[0] * 10 + ds[1]);
        let mm = i8::try_from(ds[2] * 10 + ds[3]).map_err(|_| IdError::NoSuchBirthDate)?;
        let dd = i8::try_from(ds[4] * 10 + ds[5]).map_err(|_| IdError::NoSuchBirthDate)?;
        let (year, month) = match mm {
            1..=12 => (1900 + yy, mm),
            21..=32 => (1800 + yy, mm - 20),
            41..=52 => (2000 + yy, mm - 40),
            _ => return Err(IdError::NoSuchBirthDate),
        };
        let birth_date = Date::new(year, month, dd).map_err(|_| IdError::NoSuchBirthDate)?;
        if birth_date > today {
            return Err(IdError::BirthDateInFuture);
        }
        let check = weighted(&ds[..9], &[2, 4, 8, 5, 10, 9, 7, 3, 6]) % 11 % 10;
        if check != u32::from(ds[9]) {
            return Err(IdError::CheckDigit);
        }
        Ok(Self { digits: s.trim().to_string(), birth_date })
    }

    /// The ten digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The date of birth encoded in it.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// For screens that do not need it: `750314****`.
    pub fn masked(&self) -> String {
        format!("{}****", &self.digits[..6])
    }
}

impl fmt::Debug for Egn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Egn({})", self.masked())
    }
}

/// A foreign resident's personal number (ЛНЧ).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Lnch(String);

impl Lnch {
    /// Parses an ЛНЧ: ten digits and a valid check digit.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ds = digits::<10>(s, "10")?;
        let check = weighted(&ds[..9], &[21, 19, 17, 13, 11, 9, 7, 3, 1]) % 10;
        if check != u32::from(ds[9]) {
            return Err(IdError::CheckDigit);
        }
        Ok(Self(s.trim().to_string()))
    }

    /// The ten digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For screens that do not need it.
    pub fn masked(&self) -> String {
        format!("{}****", &self.0[..6])
    }
}

impl fmt::Debug for Lnch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lnch({})", self.masked())
    }
}

/// An organisation's unified identification code (ЕИК/БУЛСТАТ): 9 digits, or 13 for a branch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Eik(String);

impl Eik {
    /// Parses an ЕИК of 9 or 13 digits with valid check digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        match s.len() {
            9 => {
                let ds = digits::<9>(s, "9 or 13")?;
                Self::check9(&ds)?;
            }
            13 => {
                let ds = digits::<13>(s, "9 or 13")?;
                Self::check9(&ds[..9])?;
                let mut sum = weighted(&ds[8..12], &[2, 7, 3, 5]) % 11;
                if sum == 10 {
                    sum = weighted(&ds[8..12], &[4, 9, 5, 7]) % 11 % 10;
                }
                if sum != u32::from(ds[12]) {
                    return Err(IdError::CheckDigit);
                }
            }
            _ => return Err(IdError::Digits("9 or 13")),
        }
        Ok(Self(s.to_string()))
    }

    fn check9(ds: &[u8]) -> Result<(), IdError> {
        let mut sum = weighted(&ds[..8], &[1, 2, 3, 4, 5, 6, 7, 8]) % 11;
        if sum == 10 {
            sum = weighted(&ds[..8], &[3, 4, 5, 6, 7, 8, 9, 10]) % 11 % 10;
        }
        if sum == u32::from(ds[8]) { Ok(()) } else { Err(IdError::CheckDigit) }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A telephone number in E.164 form (`+35928951100`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses a number as people write it in Bulgaria: `02/895 11 00`, `0888 123 456`,
    /// `+359 2 895 11 00`, `00359 …`, or an international number with `+`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let mut compact = String::with_capacity(s.len());
        for c in s.trim().chars() {
            match c {
                ' ' | '-' | '/' | '.' | '(' | ')' | '\u{a0}' => {}
                '+' if compact.is_empty() => compact.push(c),
                '0'..='9' => compact.push(c),
                _ => return Err(IdError::Phone),
            }
        }
        let international = if let Some(rest) = compact.strip_prefix("00") {
            format!("+{rest}")
        } else if compact.starts_with(['+', '0']) {
            compact
        } else {
            return Err(IdError::Phone);
        };
        if international.len() > 20 {
            return Err(IdError::Phone);
        }
        // The numbering plans of every country (libphonenumber's metadata): a number that
        // cannot be dialled, such as +359 1…, is refused. A number without `+` is Bulgarian.
        let number =
            phonenumber::parse(Some(phonenumber::country::Id::BG), &international).map_err(|_| IdError::Phone)?;
        if !phonenumber::is_valid(&number) {
            return Err(IdError::Phone);
        }
        Ok(Self(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    /// The E.164 form.
    /// The number as people in Bulgaria write it: `02/895 11 00` for Sofia, `0888 123 456`
    /// for mobiles, `0` and the digits for other Bulgarian numbers; foreign ones as stored.
    pub fn national(&self) -> String {
        let Some(rest) = self.0.strip_prefix("+359") else { return self.0.clone() };
        match (rest.as_bytes().first(), rest.len()) {
            (Some(b'2'), 8) => format!("02/{} {} {}", &rest[1..4], &rest[4..6], &rest[6..]),
            (Some(b'8' | b'9'), 9) => format!("0{} {} {}", &rest[..3], &rest[3..6], &rest[6..]),
            _ => format!("0{rest}"),
        }
    }

    /// The number in E.164 form, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address: one `@`, a plausible local part, a domain with a dot; the domain is kept
/// in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        let (local, domain) = s.split_once('@').ok_or(IdError::Email)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && domain.len() <= 253
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.chars().all(char::is_alphabetic) && tld.chars().count() >= 2);
        if local_ok && domain_ok && s.len() <= 254 {
            Ok(Self(format!("{local}@{}", domain.to_lowercase())))
        } else {
            Err(IdError::Email)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> Date {
        Date::constant(2026, 11, 25)
    }

    #[test]
    fn egn_reference_values() {
        for ok in ["7503146242", "8812314378", "0142031003", "1251307419", "0042290000"] {
            assert!(Egn::parse(ok, today()).is_ok(), "{ok}");
        }
        assert_eq!(Egn::parse("8032056032", today()), Err(IdError::CheckDigit));
        assert_eq!(Egn::parse("7502300000", today()), Err(IdError::NoSuchBirthDate));
        assert_eq!(Egn::parse("0002290000", today()), Err(IdError::NoSuchBirthDate));
        assert_eq!(Egn::parse("753216926", today()), Err(IdError::Digits("10")));
        assert_eq!(Egn::parse("75231692A3", today()), Err(IdError::Digits("10")));
        assert_eq!(Egn::parse("7503146242", today()).unwrap().birth_date(), Date::constant(1975, 3, 14));
        assert_eq!(Egn::parse("1251307419", today()).unwrap().birth_date(), Date::constant(2012, 11, 30));
        assert_eq!(Egn::parse("7503146242", today()).unwrap().masked(), "750314****");
        assert!(!format!("{:?}", Egn::parse("7503146242", today()).unwrap()).contains("6242"));
    }

    #[test]
    fn egn_in_the_future_is_refused() {
        // 2027-01-01 with a valid check digit.
        let body = "274101000";
        let ds: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
        let check = weighted(&ds, &[2, 4, 8, 5, 10, 9, 7, 3, 6]) % 11 % 10;
        assert_eq!(Egn::parse(&format!("{body}{check}"), today()), Err(IdError::BirthDateInFuture));
    }

    #[test]
    fn lnch_reference_values() {
        for ok in ["1004507764", "7111042925", "1234567893"] {
            assert!(Lnch::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Lnch::parse("7111042922"), Err(IdError::CheckDigit));
        assert_eq!(Lnch::parse("1001122334"), Err(IdError::CheckDigit));
        assert_eq!(Lnch::parse("100112233"), Err(IdError::Digits("10")));
    }

    #[test]
    fn eik_reference_values() {
        for ok in ["131071587", "130007884", "0009039460577", "1213961230342"] {
            assert!(Eik::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Eik::parse("123456789"), Err(IdError::CheckDigit));
        assert_eq!(Eik::parse("0009039460578"), Err(IdError::CheckDigit));
        assert_eq!(Eik::parse("12345"), Err(IdError::Digits("9 or 13")));
        assert_eq!(Eik::parse("13107158X"), Err(IdError::Digits("9 or 13")));
    }

    #[test]
    fn phones_are_written_nationally() {
        for (input, national) in [
            ("02/895 11 00", "02/895 11 00"),
            ("0888 123 456", "0888 123 456"),
            ("00359 87 123 4567", "0871 234 567"),
            ("0800 12 345", "080012345"),
            ("+44 20 7946 0958", "+442079460958"),
        ] {
            assert_eq!(Phone::parse(input).unwrap().national(), national, "{input}");
        }
    }

    #[test]
    fn phones_become_e164() {
        for (input, e164) in [
            ("02/895 11 00", "+35928951100"),
            ("02 895 11 02", "+35928951102"),
            ("0888 123 456", "+359888123456"),
            ("+359 2 895 11 72", "+35928951172"),
            ("00359 87 123 4567", "+359871234567"),
            ("0800 12 345", "+35980012345"),
            ("056 82 00 00", "+35956820000"),
            ("+44 20 7946 0958", "+442079460958"),
        ] {
            assert_eq!(Phone::parse(input).unwrap().as_str(), e164, "{input}");
        }
        for bad in [
            "",
            "abc",
            "12345",
            "+359 0 123",
            "0888 123 456 789 000",
            "02 895 11 0x",
            "++359 2 895 1100",
            "+359 1 234 5678",
            "0123 456 789",
            "+44 20 7946",
        ] {
            assert_eq!(Phone::parse(bad), Err(IdError::Phone), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(Email::parse(" Office@KrasnoSelo.net ").unwrap().as_str(), "Office@krasnoselo.net");
        assert!(Email::parse("иван@пример.бг").is_err()); // a Cyrillic local part cannot be delivered by most servers
        assert!(Email::parse("ivan@пример.бг").is_ok());
        for bad in [
            "",
            "ivan",
            "ivan@",
            "@x.bg",
            "ivan@x",
            "ivan@@x.bg",
            "iv an@x.bg",
            "ivan@x..bg",
            ".ivan@x.bg",
            "ivan@-x.bg",
            "<script>@x.bg",
        ] {
            assert_eq!(Email::parse(bad), Err(IdError::Email), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn egn_one_wrong_digit_is_always_caught(pos in 0usize..10, delta in 1u8..10) {
            let good = "7503146242";
            let mut bytes = good.as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let bad = String::from_utf8(bytes).unwrap();
            prop_assert!(Egn::parse(&bad, today()).is_err());
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,20}") {
            let _ = Egn::parse(&s, today());
            let _ = Lnch::parse(&s);
            let _ = Eik::parse(&s);
            let _ = Phone::parse(&s);
            let _ = Email::parse(&s);
        }

        #[test]
        fn a_valid_lnch_is_made_from_any_nine_digits(body in "[0-9]{9}") {
            let ds: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
            let check = weighted(&ds, &[21, 19, 17, 13, 11, 9, 7, 3, 1]) % 10;
            let good = format!("{}{}", body, check);
            let bad = format!("{}{}", body, (check + 1) % 10);
            prop_assert!(Lnch::parse(&good).is_ok());
            prop_assert!(Lnch::parse(&bad).is_err());
        }
    }
}
