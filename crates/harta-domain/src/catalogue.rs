//! The catalogue of administrative services (C2): what each service is for, who may apply, the
//! documents, fee, legal deadline, responsible unit and how to apply, read from a TOML file and
//! checked field by field like the charter, plus a search that forgives the way people type.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::charter::{Charter, CharterError, Text, bad, non_empty, text};
use crate::deadline::DeadlineRule;
use crate::money::Money;
pub use crate::text::fold;

mod legacy;

/// One administrative service.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Service {
    /// Its number in the national register of administrative services (`2079`).
    pub code: String,
    /// Its name.
    pub name: Text,
    /// What it is for.
    pub purpose: Text,
    /// Who may apply.
    pub who: Text,
    /// The documents to bring or attach.
    pub documents: Vec<Text>,
    /// The ways it is offered (ordinary, fast, express), each with its fee and deadline; the
    /// first is the one a request gets when it names none.
    pub tiers: Vec<Tier>,
    /// What the fees' amounts do not say (costs charged on top, a fee set case by case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_note: Option<Text>,
    /// What the deadlines do not say (a ceremony's date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_note: Option<Text>,
    /// The responsible unit's code.
    pub unit: String,
    /// Where and how to apply.
    pub how: Text,
    /// Whether the application needs the person's ЕГН or ЛНЧ (then it is required; otherwise
    /// it is never asked).
    pub needs_national_id: bool,
    /// Where and within what time a refusal can be appealed (an individual administrative act
    /// must say so, Administrative Procedure Code art. 59(2)); a refusal is not issued without.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appeal: Option<Appeal>,
    /// Other words people use for it, for search.
    pub keywords: Vec<String>,
}

names! {
    /// How fast a service is done, as the Sofia ordinance on local fees distinguishes it.
    TierKind {
        /// Ordinary service (обикновена услуга).
        Ordinary => "ordinary",
        /// Fast service (бърза услуга).
        Fast => "fast",
        /// Express service (експресна услуга).
        Express => "express",
    }
}

/// One way a service is offered: its fee and deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Which tier.
    pub tier: TierKind,
    /// The fee in euro (0 when free); absent when it is set case by case (see the fee note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Money>,
    /// The deadline; absent where the charter's commitment for service requests applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineRule>,
}

/// Where and within what time a refusal can be appealed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appeal {
    /// The body, and through whom (`Административен съд – София-град, чрез кмета…`).
    pub body: Text,
    /// Days from the person's being told of the refusal (14 under the Administrative
    /// Procedure Code art. 149).
    pub days: u32,
}

impl Appeal {
    /// The sentence a refusal letter carries (Administrative Procedure Code art. 59(2) item 7:
    /// an act states before whom and within what time it can be appealed).
    pub fn sentence_bg(&self) -> String {
        format!("Можете да обжалвате този отказ пред {} в {}-дневен срок от съобщаването му.", self.body.bg, self.days)
    }
}

impl Service {
    /// A tier of the service by its machine name; `None` means the first one.
    pub fn tier(&self, kind: Option<TierKind>) -> Option<&Tier> {
        match kind {
            None => self.tiers.first(),
            Some(k) => self.tiers.iter().find(|t| t.tier == k),
        }
    }
}

/// The catalogue: services in the order they are listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    services: Vec<Service>,
    /// Each service's searchable words, folded (see [`fold`]), with their weight: words of the
    /// name, number and keywords count double those of the description.
    words: Vec<Vec<(String, u32)>>,
}

impl Catalogue {
    /// Reads and checks a catalogue file against the charter (units must exist).
    pub fn from_toml(file: &str, charter: &Charter) -> Result<Self, CharterError> {
        let raw: RawCatalogue = toml::from_str(file).map_err(|e| {
            let field = e.message().split('`').nth(1).unwrap_or("(file)").to_string();
            bad(field, e.to_string().trim().replace('\n', " "))
        })?;
        let mut seen = BTreeSet::new();
        let mut services = Vec::with_capacity(raw.services.len());
        for (i, raw) in raw.services.iter().enumerate() {
            let service = raw.check(&format!("services[{i}]."), charter)?;
            if !seen.insert(service.code.clone()) {
                return Err(bad(format!("services[{i}].code"), format!("service {} is listed twice", service.code)));
            }
            services.push(service);
        }
        Ok(Self::new(services))
    }

    /// A catalogue of these services.
    pub fn new(services: Vec<Service>) -> Self {
        let words = services.iter().map(searchable_words).collect();
        Self { services, words }
    }

    /// The catalogue with `service` added, or in place of the service with its number.
    pub fn with(&self, service: Service) -> Self {
        let mut services = self.services.clone();
        match services.iter_mut().find(|s| s.code == service.code) {
            Some(old) => *old = service,
            None => services.push(service),
        }
        Self::new(services)
    }

    /// Every service, in order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// A service by its register number.
    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }

    /// The services matching a query, best first. Every word of the query must match a word of
    /// the service: exactly, as a prefix (from 2 letters), or with one typo (from 4 letters; two
    /// from 8). Cyrillic and Latin spellings match each other; case and accents do not matter.
    pub fn search(&self, query: &str) -> Vec<&Service> {
        let terms: Vec<String> = words(&fold(query)).map(str::to_string).collect();
        if terms.is_empty() {
            return self.services.iter().collect();
        }
        let mut hits: Vec<(u32, usize)> = self
            .words
            .iter()
            .enumerate()
            .filter_map(|(i, service_words)| {
                let mut score = 0;
                for term in &terms {
                    score += service_words
                        .iter()
                        .map(|(w, weight)| word_score(term, w) * weight)
                        .max()
                        .filter(|s| *s > 0)?;
                }
                Some((score, i))
            })
            .collect();
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        hits.into_iter().map(|(_, i)| &self.services[i]).collect()
    }
}

fn searchable_words(s: &Service) -> Vec<(String, u32)> {
    let mut named = format!("{} {} {}", s.code, s.name.bg, s.name.en);
    for k in &s.keywords {
        named.push(' ');
        named.push_str(k);
    }
    let named = fold(&named);
    let described = fold(&format!("{} {}", s.purpose.bg, s.purpose.en));
    let mut weights: BTreeMap<&str, u32> = words(&described).map(|w| (w, 1)).collect();
    weights.extend(words(&named).map(|w| (w, 2)));
    weights.into_iter().map(|(w, weight)| (w.to_string(), weight)).collect()
}

fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty())
}

/// How well a query word matches a service word: 3 exact, 2 prefix, 1 a typo or two away, 0 not.
/// Numbers match only exactly or as a prefix (2076 is not a typo of 2079).
fn word_score(term: &str, word: &str) -> u32 {
    if term == word {
        3
    } else if term.len() >= 2 && word.starts_with(term) {
        2
    } else if term.len() >= 4
        && !term.bytes().all(|b| b.is_ascii_digit())
        && within_typos(term, word, if term.len() >= 8 { 2 } else { 1 })
    {
        1
    } else {
        0
    }
}

/// Whether `term` is at most `max` edits (insert, delete, substitute, swap two neighbours) from
/// `word` or from a prefix of it (so that a typo in a half-typed word still finds it).
fn within_typos(term: &str, word: &str, max: usize) -> bool {
    let a = term.as_bytes();
    let b = word.as_bytes();
    if b.len() + max < a.len() {
        return false;
    }
    // Optimal string alignment distance; the best over all prefixes of `word` of length >= the
    // term's length minus `max` lets prefixes count.
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    let shortest = a.len().saturating_sub(max).max(1);
    (shortest..=b.len()).any(|j| rows[a.len()][j] <= max)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    services: Vec<RawService>,
}

impl Service {
    /// Reads and checks one service in the catalogue file's shape from any serde format (the
    /// API's JSON, a staff form); fields are named without a prefix, every wrong one reported.
    pub fn deserialize_checked<'de, D: serde::Deserializer<'de>>(
        from: D,
        charter: &Charter,
    ) -> Result<Self, Vec<CharterError>> {
        let raw = RawService::deserialize(from).map_err(|e| {
            let message = e.to_string();
            let field = message.split('`').nth(1).unwrap_or("(body)").to_string();
            vec![bad(field, message)]
        })?;
        raw.check_all("", charter)
    }
}

/// Keeps a checked value, or its error for the list.
fn keep<T>(errors: &mut Vec<CharterError>, checked: Result<T, CharterError>) -> Option<T> {
    checked.map_err(|e| errors.push(e)).ok()
}

impl RawService {
    /// The first problem only (the catalogue file stops at it).
    fn check(&self, prefix: &str, charter: &Charter) -> Result<Service, CharterError> {
        self.check_all(prefix, charter).map_err(|mut all| all.remove(0))
    }

    /// Every problem at once.
    fn check_all(&self, prefix: &str, charter: &Charter) -> Result<Service, Vec<CharterError>> {
        let f = |name: &str| format!("{prefix}{name}");
        let mut e = Vec::new();
        let code = keep(
            &mut e,
            non_empty(&f("code"), &self.code).and_then(|code| {
                if code.chars().all(|c| c.is_ascii_digit()) && code.len() <= 10 {
                    Ok(code)
                } else {
                    Err(bad(f("code"), "must be the service's number in the national register (digits)")
                        .coded("digits"))
                }
            }),
        );
        let name = keep(&mut e, text(&f("name"), &self.name));
        let purpose = keep(&mut e, text(&f("purpose"), &self.purpose));
        let who = keep(&mut e, text(&f("who"), &self.who));
        let documents: Vec<Option<Text>> = self
            .documents
            .iter()
            .enumerate()
            .map(|(j, d)| keep(&mut e, text(&f(&format!("documents[{j}]")), d)))
            .collect();
        if self.documents.is_empty() {
            e.push(bad(f("documents"), "must list at least one document").coded("required"));
        }
        let (tiers, fee_note, deadline_note) = self.check_tiers(&f, &mut e);
        if charter.unit(&self.unit).is_none() {
            e.push(bad(f("unit"), format!("there is no unit {} in the charter", self.unit)).coded("unknown"));
        }
        let how = keep(&mut e, text(&f("how"), &self.how));
        let appeal = match &self.appeal {
            None => None,
            Some(a) => {
                let body = keep(&mut e, text(&f("appeal.body"), &a.body));
                let days = match u32::try_from(a.days) {
                    Ok(d) if (1..=365).contains(&d) => Some(d),
                    _ => {
                        e.push(bad(f("appeal.days"), "must be a number of days from 1 to 365").coded("invalid"));
                        None
                    }
                };
                body.zip(days).map(|(body, days)| Appeal { body, days })
            }
        };
        let documents: Option<Vec<Text>> = documents.into_iter().collect();
        match (code, name, purpose, who, documents, how) {
            (Some(code), Some(name), Some(purpose), Some(who), Some(documents), Some(how)) if e.is_empty() => {
                Ok(Service {
                    code,
                    name,
                    purpose,
                    who,
                    documents,
                    tiers,
                    fee_note,
                    deadline_note,
                    unit: self.unit.clone(),
                    how,
                    needs_national_id: self.needs_national_id,
                    appeal,
                    keywords: self.keywords.clone(),
                })
            }
            _ => Err(e),
        }
    }
}

impl RawService {
    /// The tiers and their notes: as written, or read from the words of a service written
    /// before tiers (`fee` and `deadline` in leva and prose), which then migrate.
    fn check_tiers(
        &self,
        f: &dyn Fn(&str) -> String,
        e: &mut Vec<CharterError>,
    ) -> (Vec<Tier>, Option<Text>, Option<Text>) {
        let notes = |e: &mut Vec<CharterError>| {
            let fee_note = self.fee_note.as_ref().and_then(|t| keep(e, text(&f("fee_note"), t)));
            let deadline_note = self.deadline_note.as_ref().and_then(|t| keep(e, text(&f("deadline_note"), t)));
            (fee_note, deadline_note)
        };
        let raw = match (&self.tiers, &self.fee, &self.deadline) {
            (None, Some(fee), Some(deadline)) => {
                let migrated = legacy::tiers(fee, deadline);
                let (fee_note, deadline_note) = notes(e);
                return (migrated.tiers, fee_note.or(migrated.fee_note), deadline_note.or(migrated.deadline_note));
            }
            (Some(_), Some(_), _) => {
                e.push(bad(f("fee"), "fees are stated per tier (tiers[].fee)").coded("unknown"));
                return (Vec::new(), None, None);
            }
            (Some(_), None, Some(_)) => {
                e.push(bad(f("deadline"), "deadlines are stated per tier (tiers[].deadline)").coded("unknown"));
                return (Vec::new(), None, None);
            }
            (Some(raw), None, None) => raw,
            (None, _, _) => {
                e.push(bad(f("tiers"), "must list at least one tier (ordinary, fast or express)").coded("required"));
                return (Vec::new(), None, None);
            }
        };
        if raw.is_empty() {
            e.push(bad(f("tiers"), "must list at least one tier (ordinary, fast or express)").coded("required"));
        }
        let (fee_note, deadline_note) = notes(e);
        let mut tiers: Vec<Tier> = Vec::with_capacity(raw.len());
        for (j, t) in raw.iter().enumerate() {
            let field = |name: &str| f(&format!("tiers[{j}].{name}"));
            let Some(kind) = TierKind::parse(t.tier.trim()) else {
                e.push(bad(field("tier"), "must be ordinary, fast or express").coded("unknown"));
                continue;
            };
            if tiers.iter().any(|other| other.tier == kind) {
                e.push(bad(field("tier"), format!("the {kind} tier is listed twice")).coded("invalid"));
            }
            let fee = t.fee.as_ref().and_then(|raw| {
                let typed = match raw {
                    RawAmount::Text(s) => s.clone(),
                    RawAmount::Number(n) => n.to_string(),
                };
                keep(e, Money::parse(&typed).map_err(|why| bad(field("fee"), &why).coded(crate::Coded::code(&why))))
            });
            if t.fee.is_none() && self.fee_note.is_none() {
                e.push(
                    bad(field("fee"), "is required (0 when free), unless the fee note says how it is set")
                        .coded("required"),
                );
            }
            let deadline = match t.deadline.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                None => None,
                Some(d) => {
                    keep(e, DeadlineRule::parse(d).map_err(|why| bad(field("deadline"), &why).coded("deadline")))
                }
            };
            tiers.push(Tier { tier: kind, fee, deadline });
        }
        (tiers, fee_note, deadline_note)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    code: String,
    name: Text,
    purpose: Text,
    who: Text,
    documents: Vec<Text>,
    #[serde(default)]
    tiers: Option<Vec<RawTier>>,
    /// Before tiers: the fee in words (in leva). Read to migrate old files and stored services.
    #[serde(default)]
    fee: Option<Text>,
    /// Before tiers: the deadline in words.
    #[serde(default)]
    deadline: Option<Text>,
    #[serde(default)]
    fee_note: Option<Text>,
    #[serde(default)]
    deadline_note: Option<Text>,
    unit: String,
    how: Text,
    #[serde(default)]
    needs_national_id: bool,
    #[serde(default)]
    appeal: Option<RawAppeal>,
    #[serde(default)]
    keywords: Vec<String>,
}

/// A tier as written: every field a string, so each wrong one is named with its own reason.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    tier: String,
    #[serde(default)]
    fee: Option<RawAmount>,
    #[serde(default)]
    deadline: Option<String>,
}

/// An amount as written: `"2.56"` in files and the API; a bare number is read too.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawAmount {
    Text(String),
    Number(f64),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppeal {
    body: Text,
    days: i64,
}

#[cfg(test)]
mod tests;
