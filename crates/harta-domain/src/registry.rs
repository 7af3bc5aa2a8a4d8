//! Registry numbers (входящ номер): `РКС26-ГР94-17`.
//!
//! The format is the administration's own (configuration in the charter file): an office code,
//! the year, a nomenclature index per kind of case and a sequence number that is gapless within
//! its register and year. This module renders and parses numbers; the store hands out sequence
//! numbers.

use std::fmt;

/// Why a registry format or number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// A `{placeholder}` the format does not know.
    #[error("unknown placeholder {{{0}}} (use {{office}}, {{yy}}, {{yyyy}}, {{index}}, {{seq}})")]
    UnknownPlaceholder(String),
    /// A `{` without its `}`.
    #[error("a '{{' is not closed")]
    Unclosed,
    /// A placeholder that every format needs is missing.
    #[error("the format must contain {0}")]
    Missing(&'static str),
    /// `{seq}` followed directly by a digit could not be read back.
    #[error("{{seq}} must be the last part or be followed by a character that is not a digit")]
    AmbiguousSeq,
    /// A number that does not follow the format.
    #[error("is not a registry number of this administration (e.g. {0})")]
    NotANumber(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Office,
    Yy,
    Yyyy,
    Index,
    Seq,
}

/// Whether each nomenclature index has its own sequence or the whole office shares one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SequenceScope {
    /// `РКС26-ГР94-1`, `РКС26-ЖБ12-1`: one sequence per index and year.
    PerIndex,
    /// One sequence per office and year across all indexes.
    PerOffice,
}

/// A parsed registry number format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryFormat {
    parts: Vec<Part>,
    office: String,
    scope: SequenceScope,
    indexes: Vec<String>,
}

/// A registry number as issued: its text, and the register, year and sequence it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistryNumber {
    text: String,
    register: String,
    year: i16,
    seq: u32,
}

impl RegistryNumber {
    /// The number as printed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The register whose sequence it belongs to (the index, or the office).
    pub fn register(&self) -> &str {
        &self.register
    }

    /// The year of the register.
    pub fn year(&self) -> i16 {
        self.year
    }

    /// The sequence number within register and year, from 1.
    pub fn seq(&self) -> u32 {
        self.seq
    }
}

impl fmt::Display for RegistryNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl RegistryFormat {
    /// Parses a template such as `{office}{yy}-{index}-{seq}`; `indexes` are every index in use,
    /// so that numbers can be read back.
    pub fn new(
        template: &str,
        office: &str,
        scope: SequenceScope,
        indexes: Vec<String>,
    ) -> Result<Self, RegistryError> {
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let end = after.find('}').ok_or(RegistryError::Unclosed)?;
                parts.push(match &after[..end] {
                    "office" => Part::Office,
                    "yy" => Part::Yy,
                    "yyyy" => Part::Yyyy,
                    "index" => Part::Index,
                    "seq" => Part::Seq,
                    other => return Err(RegistryError::UnknownPlaceholder(other.to_string())),
                });
                rest = &after[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                parts.push(Part::Literal(rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
        if !parts.contains(&Part::Seq) {
            return Err(RegistryError::Missing("{seq}"));
        }
        if !parts.contains(&Part::Yy) && !parts.contains(&Part::Yyyy) {
            return Err(RegistryError::Missing("{yy} or {yyyy}"));
        }
        if scope == SequenceScope::PerIndex && !parts.contains(&Part::Index) {
            return Err(RegistryError::Missing("{index} when each index has its own sequence"));
        }
        let seq_at = parts.iter().position(|p| *p == Part::Seq).unwrap_or(0);
        let digit_follows = match parts.get(seq_at + 1) {
            None => false,
            Some(Part::Literal(l)) => l.starts_with(|c: char| c.is_ascii_digit()),
            Some(_) => true,
        };
        if digit_follows {
            return Err(RegistryError::AmbiguousSeq);
        }
        Ok(Self { parts, office: office.to_string(), scope, indexes })
    }

    /// The register a case with this index counts in.
    pub fn register_for(&self, index: &str) -> String {
        match self.scope {
            SequenceScope::PerIndex => index.to_string(),
            SequenceScope::PerOffice => self.office.clone(),
        }
    }

    /// The number for a sequence in a register and year.
    pub fn render(&self, index: &str, year: i16, seq: u32) -> RegistryNumber {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(l) => text.push_str(l),
                Part::Office => text.push_str(&self.office),
                Part::Yy => text.push_str(&format!("{:02}", year.rem_euclid(100))),
                Part::Yyyy => text.push_str(&format!("{year:04}")),
                Part::Index => text.push_str(index),
                Part::Seq => text.push_str(&seq.to_string()),
            }
        }
        RegistryNumber { text, register: self.register_for(index), year, seq }
    }

    /// Reads a number back. Two-digit years are taken as 20yy.
    pub fn parse(&self, s: &str) -> Result<RegistryNumber, RegistryError> {
        let example = self.render(self.indexes.first().map_or("", String::as_str), 2026, 17).text;
        let fail = || RegistryError::NotANumber(example.clone());
        let mut rest = s.trim();
        let text = rest.to_string();
        let (mut year, mut seq, mut index) = (None, None, None);
        for part in &self.parts {
            match part {
                Part::Literal(l) => rest = rest.strip_prefix(l.as_str()).ok_or_else(fail)?,
                Part::Office => rest = rest.strip_prefix(self.office.as_str()).ok_or_else(fail)?,
                Part::Yy | Part::Yyyy => {
                    let width = if *part == Part::Yy { 2 } else { 4 };
                    let digits =
                        rest.get(..width).filter(|d| d.bytes().all(|b| b.is_ascii_digit())).ok_or_else(fail)?;
                    let n: i16 = digits.parse().map_err(|_| fail())?;
                    year = Some(if width == 2 { 2000 + n } else { n });
                    rest = &rest[width..];
                }
                Part::Index => {
                    let found = self.indexes.iter().find(|i| rest.starts_with(i.as_str())).ok_or_else(fail)?;
                    rest = &rest[found.len()..];
                    index = Some(found.clone());
                }
                Part::Seq => {
                    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
                    let n: u32 = rest[..end].parse().map_err(|_| fail())?;
                    if n == 0 || rest.starts_with('0') {
                        return Err(fail());
                    }
                    seq = Some(n);
                    rest = &rest[end..];
                }
            }
        }
        if !rest.is_empty() {
            return Err(fail());
        }
        let (year, seq) = (year.ok_or_else(fail)?, seq.ok_or_else(fail)?);
        let register = self.register_for(index.as_deref().unwrap_or(""));
        Ok(RegistryNumber { text, register, year, seq })
    }
    /// Reads a number however a person types it: in lower case, in Latin letters (the
    /// transliteration law's, `rks26-gr94-15`), with spaces, dots or slashes for the dashes or
    /// none at all. The number comes back as printed. Only separators are dropped, and letters
    /// compared in their folded form, so a string that could not be a number stays refused.
    pub fn read(&self, typed: &str) -> Result<RegistryNumber, RegistryError> {
        if let Ok(exact) = self.parse(typed) {
            return Ok(exact);
        }
        let example = self.render(self.indexes.first().map_or("", String::as_str), 2026, 17).text;
        let fail = || RegistryError::NotANumber(example.clone());
        let loose = |text: &str| -> String {
            crate::text::fold(text).chars().filter(|c| !matches!(c, ' ' | '-' | '/' | '.' | '_' | '\t')).collect()
        };
        // Longer than any number: not read at all.
        if typed.chars().count() > 64 {
            return Err(fail());
        }
        let mut rest = loose(typed);
        let (mut year, mut seq, mut index) = (None, None, None);
        for part in &self.parts {
            match part {
                Part::Literal(l) => rest = rest.strip_prefix(loose(l).as_str()).ok_or_else(fail)?.to_string(),
                Part::Office => rest = rest.strip_prefix(loose(&self.office).as_str()).ok_or_else(fail)?.to_string(),
                Part::Yy | Part::Yyyy => {
                    let width = if *part == Part::Yy { 2 } else { 4 };
                    let digits =
                        rest.get(..width).filter(|d| d.bytes().all(|b| b.is_ascii_digit())).ok_or_else(fail)?;
                    let n: i16 = digits.parse().map_err(|_| fail())?;
                    year = Some(if width == 2 { 2000 + n } else { n });
                    rest = rest[width..].to_string();
                }
                Part::Index => {
                    // The longest index that fits, so that `ГР9` never shadows `ГР94`.
                    let found = self
                        .indexes
                        .iter()
                        .filter(|i| rest.starts_with(loose(i).as_str()))
                        .max_by_key(|i| loose(i).len())
                        .ok_or_else(fail)?;
                    rest = rest[loose(found).len()..].to_string();
                    index = Some(found.clone());
                }
                Part::Seq => {
                    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
                    let n: u32 = rest[..end].parse().map_err(|_| fail())?;
                    if n == 0 || rest.starts_with('0') {
                        return Err(fail());
                    }
                    seq = Some(n);
                    rest = rest[end..].to_string();
                }
            }
        }
        if !rest.is_empty() {
            return Err(fail());
        }
        let (year, seq) = (year.ok_or_else(fail)?, seq.ok_or_else(fail)?);
        Ok(self.render(index.as_deref().unwrap_or(""), year, seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn krasno_selo() -> RegistryFormat {
        RegistryFormat::new(
            "{office}{yy}-{index}-{seq}",
            "РКС",
            SequenceScope::PerIndex,
            vec!["ГР94".into(), "ЖБ12".into()],
        )
        .unwrap()
    }

    #[test]
    fn renders_and_parses_the_default_format() {
        let f = krasno_selo();
        let n = f.render("ГР94", 2026, 17);
        assert_eq!(n.as_str(), "РКС26-ГР94-17");
        assert_eq!(n.register(), "ГР94");
        assert_eq!(f.parse("РКС26-ГР94-17").unwrap(), n);
        assert_eq!(f.parse("РКС26-ЖБ12-1").unwrap().register(), "ЖБ12");
    }

    #[test]
    fn reads_a_number_as_people_type_it() {
        let f = krasno_selo();
        for typed in
            ["РКС26-ГР94-17", "ркс26-гр94-17", "RKS26-GR94-17", "rks 26 gr94 17", "РКС26 ГР94 17", "rks26gr9417"]
        {
            assert_eq!(f.read(typed).unwrap().as_str(), "РКС26-ГР94-17", "{typed}");
        }
        assert_eq!(f.read("rks26-zhb12-3").unwrap().as_str(), "РКС26-ЖБ12-3");
        for wrong in ["", "abc", "РКС26-ГР94-017", "РКС26-ГР95-1", "rks26-gr94-1x", &"1".repeat(100)] {
            assert!(f.read(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        let f = krasno_selo();
        for bad in [
            "",
            "РКС26-ГР94-",
            "РКС26-ГР94-0",
            "РКС26-ГР94-017",
            "РКС26-XX00-1",
            "СОА26-ГР94-1",
            "РКС2-ГР94-1",
            "РКС26-ГР94-1x",
            "1",
        ] {
            assert!(matches!(f.parse(bad), Err(RegistryError::NotANumber(_))), "{bad}");
        }
    }

    #[test]
    fn refuses_bad_formats() {
        let new = |t| RegistryFormat::new(t, "РКС", SequenceScope::PerIndex, vec![]);
        assert_eq!(new("{office}{yy}-{index}"), Err(RegistryError::Missing("{seq}")));
        assert_eq!(new("{office}-{index}-{seq}"), Err(RegistryError::Missing("{yy} or {yyyy}")));
        assert_eq!(
            new("{office}{yy}-{seq}").unwrap_err(),
            RegistryError::Missing("{index} when each index has its own sequence")
        );
        assert_eq!(new("{office}{yy}-{index}-{seq}{yy}"), Err(RegistryError::AmbiguousSeq));
        assert_eq!(new("{office}{year}-{seq}"), Err(RegistryError::UnknownPlaceholder("year".into())));
        assert_eq!(new("{office{yy}"), Err(RegistryError::UnknownPlaceholder("office{yy".into())));
        assert_eq!(new("{office}{yy}-{index}-{seq"), Err(RegistryError::Unclosed));
        let per_office = RegistryFormat::new("{office}-{yyyy}/{seq}", "СОА", SequenceScope::PerOffice, vec![]).unwrap();
        assert_eq!(per_office.render("ВК66", 2020, 7245).as_str(), "СОА-2020/7245");
        assert_eq!(per_office.parse("СОА-2020/7245").unwrap().register(), "СОА");
    }

    proptest! {
        #[test]
        fn render_then_parse_round_trips(year in 2000i16..2100, seq in 1u32..10_000_000, which in 0usize..2) {
            let f = krasno_selo();
            let index = ["ГР94", "ЖБ12"][which];
            let n = f.render(index, year, seq);
            prop_assert_eq!(f.parse(n.as_str()).unwrap(), n);
        }
    }
}
