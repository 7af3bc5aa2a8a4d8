//! The Client Charter as data: the administration, its units, reception hours, commitments and
//! registry number format, read from a TOML file (`charters/krasno-selo.toml`) and checked
//! completely before anything runs, so a wrong value names its field instead of surfacing later.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Time, Weekday};
use serde::Deserialize;

use crate::calendar::WorkingDays;
use crate::case::CaseKind;
use crate::identifiers::{Email, Phone};
use crate::letters::{LetterKind, LetterTemplate};
use crate::registry::{RegistryFormat, SequenceScope};

/// A value in the charter file that is wrong: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CharterError {
    /// The dotted path of the field (`units[2].phone`), or `(file)` for a syntax error.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// The stable code (`required`, `unknown`, `digits`, `invalid`), for forms that say it in
    /// their own words.
    pub code: &'static str,
}

pub(crate) fn bad(field: impl Into<String>, message: impl ToString) -> CharterError {
    CharterError { field: field.into(), message: message.to_string(), code: "invalid" }
}

impl CharterError {
    /// The same error under another code.
    pub(crate) fn coded(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }
}

/// Text in both product languages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// Bulgarian.
    pub bg: String,
    /// English.
    pub en: String,
}

/// The administration itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Administration {
    /// A short code (`krasno-selo`).
    pub code: String,
    /// Its name.
    pub name: Text,
    /// Its postal address.
    pub address: Text,
    /// The switchboard.
    pub switchboard: Phone,
    /// The fax.
    pub fax: Option<Phone>,
    /// The general e-mail address.
    pub email: Email,
    /// The web site.
    pub website: String,
}

/// One weekly reception window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceptionWindow {
    /// The day of the week.
    pub day: Weekday,
    /// From.
    pub from: Time,
    /// Until.
    pub to: Time,
    /// Whether a visit must be registered in advance.
    pub by_registration: bool,
}

/// A unit of the administration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// A short stable code (`cao`, `grao`, `mayor`).
    pub code: String,
    /// Its name.
    pub name: Text,
    /// Its telephone, if it has its own.
    pub phone: Option<Phone>,
    /// When it receives citizens.
    pub reception: Vec<ReceptionWindow>,
}

/// A commitment for one kind of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    /// The kind it applies to.
    pub kind: CaseKind,
    /// Full answer within this many working days of receipt.
    pub working_days: WorkingDays,
    /// The nomenclature index its registry numbers carry.
    pub index: String,
    /// The promise in the charter's words.
    pub promise: Text,
    /// What the deadline does while the administration waits for information it asked of the
    /// person (C11).
    pub while_waiting: crate::deadline::WhileWaiting,
}

/// The whole charter, checked.
#[derive(Debug, Clone)]
pub struct Charter {
    /// The administration.
    pub administration: Administration,
    /// Its units, in the file's order.
    pub units: Vec<Unit>,
    /// One commitment per case kind.
    pub commitments: BTreeMap<CaseKind, Commitment>,
    /// A deadline with this many working days left or fewer is "at risk".
    pub at_risk_working_days: u32,
    /// A case may be registered as received up to this many working days before it is keyed
    /// in (the post of Friday on Monday); further back only with a head of unit's approval.
    pub backdate_working_days: u32,
    /// The registry number format.
    pub registry: RegistryFormat,
    /// The unit that registers cases by default (the service centre).
    pub default_unit: String,
    /// The reception hours of every unit that has none of its own.
    pub default_reception: Vec<ReceptionWindow>,
    /// How each kind of outgoing letter is written.
    pub letters: BTreeMap<LetterKind, LetterTemplate>,
    /// Below this many cases a figure gives no percentage ("too few cases to say").
    pub too_few_cases: u64,
}

impl Charter {
    /// The commitment for a kind (every kind has one: checked at load).
    pub fn commitment(&self, kind: CaseKind) -> &Commitment {
        &self.commitments[&kind]
    }

    /// A unit by code.
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code == code)
    }

    /// Reads and checks a charter file's text.
    pub fn from_toml(text: &str) -> Result<Self, CharterError> {
        let raw: RawCharter = toml::from_str(text).map_err(|e| {
            let field = e.message().split('`').nth(1).unwrap_or("(file)").to_string();
            bad(field, e.to_string().trim().replace('\n', " "))
        })?;
        raw.check()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCharter {
    administration: RawAdministration,
    registry: RawRegistry,
    deadlines: RawDeadlines,
    commitments: BTreeMap<String, RawCommitment>,
    reception: RawReception,
    units: Vec<RawUnit>,
    letters: BTreeMap<LetterKind, LetterTemplate>,
    #[serde(default)]
    performance: RawPerformance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerformance {
    too_few_cases: u64,
}

impl Default for RawPerformance {
    fn default() -> Self {
        Self { too_few_cases: 10 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdministration {
    code: String,
    name: Text,
    address: Text,
    switchboard: String,
    fax: Option<String>,
    email: String,
    website: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    office: String,
    format: String,
    sequence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadlines {
    at_risk_working_days: u32,
    default_unit: String,
    #[serde(default = "three")]
    backdate_working_days: u32,
}

fn three() -> u32 {
    3
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommitment {
    working_days: i64,
    index: String,
    promise: Text,
    /// `run_on` (the default), `pause` or `restart`.
    while_waiting: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReception {
    default: Vec<RawWindow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    day: String,
    from: String,
    to: String,
    #[serde(default)]
    by_registration: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    code: String,
    name: Text,
    phone: Option<String>,
    reception: Option<Vec<RawWindow>>,
}

pub(crate) fn non_empty(field: &str, value: &str) -> Result<String, CharterError> {
    let v = value.trim();
    if v.is_empty() { Err(bad(field, "must not be empty").coded("required")) } else { Ok(v.to_string()) }
}

pub(crate) fn text(field: &str, t: &Text) -> Result<Text, CharterError> {
    Ok(Text { bg: non_empty(&format!("{field}.bg"), &t.bg)?, en: non_empty(&format!("{field}.en"), &t.en)? })
}

fn windows(field: &str, raw: &[RawWindow]) -> Result<Vec<ReceptionWindow>, CharterError> {
    raw.iter()
        .enumerate()
        .map(|(i, w)| {
            let f = format!("{field}[{i}]");
            let day = match w.day.to_lowercase().as_str() {
                "monday" => Weekday::Monday,
                "tuesday" => Weekday::Tuesday,
                "wednesday" => Weekday::Wednesday,
                "thursday" => Weekday::Thursday,
                "friday" => Weekday::Friday,
                "saturday" => Weekday::Saturday,
                "sunday" => Weekday::Sunday,
                _ => {
                    return Err(bad(
                        format!("{f}.day"),
                        format!("\"{}\" is not a day of the week (monday … sunday)", w.day),
                    ));
                }
            };
            let time = |name: &str, v: &str| -> Result<Time, CharterError> {
                let ok = v.len() == 5 && v.as_bytes()[2] == b':';
                ok.then(|| v.parse::<Time>().ok())
                    .flatten()
                    .ok_or_else(|| bad(format!("{f}.{name}"), format!("\"{v}\" is not a time of day as HH:MM")))
            };
            let (from, to) = (time("from", &w.from)?, time("to", &w.to)?);
            if from >= to {
                return Err(bad(format!("{f}.to"), format!("{} is not after {}", w.to, w.from)));
            }
            Ok(ReceptionWindow { day, from, to, by_registration: w.by_registration })
        })
        .collect()
}

impl RawCharter {
    fn check(self) -> Result<Charter, CharterError> {
        let a = &self.administration;
        let code = non_empty("administration.code", &a.code)?;
        if !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(bad("administration.code", "use lower-case Latin letters, digits and '-'"));
        }
        let administration = Administration {
            code,
            name: text("administration.name", &a.name)?,
            address: text("administration.address", &a.address)?,
            switchboard: Phone::parse(&a.switchboard).map_err(|e| bad("administration.switchboard", e))?,
            fax: a.fax.as_deref().map(Phone::parse).transpose().map_err(|e| bad("administration.fax", e))?,
            email: Email::parse(&a.email).map_err(|e| bad("administration.email", e))?,
            website: non_empty("administration.website", &a.website)?,
        };

        let mut commitments = BTreeMap::new();
        let mut indexes = BTreeSet::new();
        for (name, c) in &self.commitments {
            let field = format!("commitments.{name}");
            let kind = CaseKind::parse(name).ok_or_else(|| {
                let known: Vec<_> = CaseKind::ALL.iter().map(|k| k.as_str()).collect();
                bad(&field, format!("unknown kind of case (known: {})", known.join(", ")))
            })?;
            let working_days = WorkingDays::new(c.working_days).map_err(|e| bad(format!("{field}.working_days"), e))?;
            let index = non_empty(&format!("{field}.index"), &c.index)?;
            if !indexes.insert(index.clone()) {
                return Err(bad(format!("{field}.index"), format!("{index} is used by another kind")));
            }
            let promise = text(&format!("{field}.promise"), &c.promise)?;
            let while_waiting = match c.while_waiting.as_deref() {
                None => crate::deadline::WhileWaiting::RunOn,
                Some(rule) => crate::deadline::WhileWaiting::parse(rule.trim())
                    .ok_or_else(|| bad(format!("{field}.while_waiting"), "must be run_on, pause or restart"))?,
            };
            commitments.insert(kind, Commitment { kind, working_days, index, promise, while_waiting });
        }
        if let Some(missing) = CaseKind::ALL.iter().find(|k| !commitments.contains_key(k)) {
            return Err(bad(format!("commitments.{missing}"), "missing: every kind of case needs a commitment"));
        }

        let scope = match self.registry.sequence.as_str() {
            "per_index" => SequenceScope::PerIndex,
            "per_office" => SequenceScope::PerOffice,
            other => return Err(bad("registry.sequence", format!("\"{other}\" is neither per_index nor per_office"))),
        };
        let office = non_empty("registry.office", &self.registry.office)?;
        let registry = RegistryFormat::new(&self.registry.format, &office, scope, indexes.into_iter().collect())
            .map_err(|e| bad("registry.format", e))?;

        let default_windows = windows("reception.default", &self.reception.default)?;
        let mut units = Vec::new();
        let mut codes = BTreeSet::new();
        for (i, u) in self.units.iter().enumerate() {
            let field = format!("units[{i}]");
            let code = non_empty(&format!("{field}.code"), &u.code)?;
            if !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
                return Err(bad(format!("{field}.code"), "use lower-case Latin letters, digits, '-' and '_'"));
            }
            if !codes.insert(code.clone()) {
                return Err(bad(format!("{field}.code"), format!("{code} is used by another unit")));
            }
            units.push(Unit {
                code,
                name: text(&format!("{field}.name"), &u.name)?,
                phone: u
                    .phone
                    .as_deref()
                    .map(Phone::parse)
                    .transpose()
                    .map_err(|e| bad(format!("{field}.phone"), e))?,
                reception: match &u.reception {
                    Some(w) => windows(&format!("{field}.reception"), w)?,
                    None => default_windows.clone(),
                },
            });
        }
        if units.is_empty() {
            return Err(bad("units", "at least one unit is needed"));
        }
        let default_unit = self.deadlines.default_unit;
        if !codes.contains(&default_unit) {
            return Err(bad("deadlines.default_unit", format!("there is no unit with code {default_unit}")));
        }
        if self.deadlines.at_risk_working_days > 30 {
            return Err(bad("deadlines.at_risk_working_days", "must be between 0 and 30"));
        }
        if self.deadlines.backdate_working_days > 30 {
            return Err(bad("deadlines.backdate_working_days", "must be between 0 and 30"));
        }
        if !(1..=1000).contains(&self.performance.too_few_cases) {
            return Err(bad("performance.too_few_cases", "must be between 1 and 1000"));
        }
        Ok(Charter {
            administration,
            units,
            commitments,
            at_risk_working_days: self.deadlines.at_risk_working_days,
            backdate_working_days: self.deadlines.backdate_working_days,
            registry,
            default_unit,
            default_reception: default_windows,
            letters: {
                crate::letters::check_templates(&self.letters)?;
                self.letters.clone()
            },
            too_few_cases: self.performance.too_few_cases,
        })
    }
}

#[cfg(test)]
mod tests;
