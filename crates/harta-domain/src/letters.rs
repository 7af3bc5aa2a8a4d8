//! Outgoing letters: their kinds, the templates they are written from, the contact block every
//! letter must carry (C19) and the part that tells the person what to do next (C18).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::charter::{CharterError, bad};

/// What a letter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LetterKind {
    /// The case was received and registered.
    Acknowledgement,
    /// We need more from the person (C11).
    InformationRequest,
    /// The answer will be late: why, what is still needed, and the new date (C17).
    HoldingReply,
    /// The full answer.
    Answer,
}

impl LetterKind {
    /// Every kind, in the order of a case's life.
    pub const ALL: [Self; 4] = [Self::Acknowledgement, Self::InformationRequest, Self::HoldingReply, Self::Answer];

    /// The machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledgement => "acknowledgement",
            Self::InformationRequest => "information_request",
            Self::HoldingReply => "holding_reply",
            Self::Answer => "answer",
        }
    }

    /// A kind by its machine name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The names a template may use, each filled from the case (and the event the letter goes
/// with) when a letter is drafted.
pub const PLACEHOLDERS: &[&str] = &[
    "number",       // the case's registry number
    "received",     // the date it was received, 25.11.2026
    "due",          // the due date promised at registration
    "subject",      // the case's subject
    "name",         // the person's name
    "what",         // information requested
    "by",           // the date by which it is requested
    "reasons",      // why the answer is late
    "still_needed", // what is still needed for it
    "new_due",      // the date of the full answer
    "summary",      // the answer recorded
    "track_url",    // where to follow the case online
];

/// What a draft shows where the case has no value for a placeholder (no information was
/// requested yet, say): a letter with a gap left cannot be issued.
pub const GAP: &str = "[…]";

/// How one kind of letter is written; `{name}` marks a placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LetterTemplate {
    /// The subject line.
    pub subject: String,
    /// The letter's main text.
    pub body: String,
    /// What the person needs to do next (C18).
    pub next: String,
}

impl LetterTemplate {
    /// Checks that every placeholder is one [`PLACEHOLDERS`] names and that no part is empty.
    pub(crate) fn check(&self, field: &str) -> Result<(), CharterError> {
        for (part, text) in [("subject", &self.subject), ("body", &self.body), ("next", &self.next)] {
            if text.trim().is_empty() {
                return Err(bad(format!("{field}.{part}"), "must not be empty"));
            }
            for name in placeholders(text) {
                if !PLACEHOLDERS.contains(&name) {
                    return Err(bad(
                        format!("{field}.{part}"),
                        format!("{{{name}}} is not a placeholder (known: {})", PLACEHOLDERS.join(", ")),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The template with its placeholders filled in; a value not given leaves [`GAP`] for the
    /// officer to fill.
    pub fn fill(&self, values: &BTreeMap<&str, String>) -> (String, String, String) {
        (fill(&self.subject, values), fill(&self.body, values), fill(&self.next, values))
    }
}

/// The names in `{braces}` in a text.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

/// Fills `{name}` placeholders.
fn fill(text: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        match rest[open + 1..].split_once('}') {
            Some((name, after)) if PLACEHOLDERS.contains(&name) => {
                out.push_str(values.get(name).map_or(GAP, String::as_str));
                rest = after;
            }
            _ => {
                out.push('{');
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The contact block every letter carries (C19): who wrote it and how to reach them. The
/// officer signs the letter: their name and position end it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactBlock {
    /// The officer's name.
    pub officer: String,
    /// Their position (`главен експерт`), under their signature. Letters issued before
    /// positions were kept have none.
    #[serde(default)]
    pub position: String,
    /// Their employee number.
    pub employee_number: String,
    /// Their unit.
    pub unit: String,
    /// Their direct phone.
    pub direct_phone: String,
    /// The administration's switchboard.
    pub switchboard: String,
    /// The officer's e-mail.
    pub email: String,
    /// The administration's web site.
    pub website: String,
}

/// The parts of a contact block as the staff directory and the charter have them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactParts {
    /// The officer's name.
    pub officer: Option<String>,
    /// Their position.
    pub position: Option<String>,
    /// Their employee number.
    pub employee_number: Option<String>,
    /// Their unit.
    pub unit: Option<String>,
    /// Their direct phone.
    pub direct_phone: Option<String>,
    /// The switchboard.
    pub switchboard: Option<String>,
    /// Their e-mail.
    pub email: Option<String>,
    /// The web site.
    pub website: Option<String>,
}

/// A contact block with parts missing: the letter cannot go out until the directory has them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the contact block lacks: {}", .0.join(", "))]
pub struct MissingContact(pub Vec<&'static str>);

impl ContactBlock {
    /// A complete contact block, or every part that is missing.
    pub fn complete(parts: ContactParts) -> Result<Self, MissingContact> {
        let mut missing = Vec::new();
        let mut need = |name: &'static str, value: Option<String>| {
            let value = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
            if value.is_none() {
                missing.push(name);
            }
            value.unwrap_or_default()
        };
        let block = Self {
            officer: need("officer", parts.officer),
            position: need("position", parts.position),
            employee_number: need("employee_number", parts.employee_number),
            unit: need("unit", parts.unit),
            direct_phone: need("direct_phone", parts.direct_phone),
            switchboard: need("switchboard", parts.switchboard),
            email: need("email", parts.email),
            website: need("website", parts.website),
        };
        if missing.is_empty() { Ok(block) } else { Err(MissingContact(missing)) }
    }
}

/// Checks the letter templates of a charter: one for every kind.
pub(crate) fn check_templates(templates: &BTreeMap<LetterKind, LetterTemplate>) -> Result<(), CharterError> {
    for kind in LetterKind::ALL {
        match templates.get(&kind) {
            Some(t) => t.check(&format!("letters.{}", kind.as_str()))?,
            None => return Err(bad(format!("letters.{}", kind.as_str()), "is missing")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(body: &str) -> LetterTemplate {
        LetterTemplate { subject: "Вх. № {number}".into(), body: body.into(), next: "Нищо.".into() }
    }

    #[test]
    fn templates_fill_known_placeholders_and_refuse_unknown_ones() {
        let t = template("Получихме „{subject}“ на {received}. {unknown");
        assert!(t.check("letters.answer").is_ok());
        let values = BTreeMap::from([("number", "РКС26-ГР94-15".to_string()), ("subject", "Лампа".to_string())]);
        let (subject, body, next) = t.fill(&values);
        assert_eq!(subject, "Вх. № РКС26-ГР94-15");
        assert_eq!(body, "Получихме „Лампа“ на […]. {unknown");
        assert_eq!(next, "Нищо.");
        let wrong = template("До {срок}.").check("letters.answer").unwrap_err();
        assert_eq!(wrong.field, "letters.answer.body");
        assert!(wrong.message.contains("{срок} is not a placeholder"), "{}", wrong.message);
        assert_eq!(template("  ").check("letters.answer").unwrap_err().field, "letters.answer.body");
    }

    #[test]
    fn a_contact_block_names_every_missing_part() {
        let parts = ContactParts {
            officer: Some("Петя Колева".into()),
            position: None,
            employee_number: Some("1042".into()),
            unit: Some("Център за административно обслужване".into()),
            direct_phone: Some(" ".into()),
            switchboard: Some("02/895 11 00".into()),
            email: None,
            website: Some("www.sofia.bg".into()),
        };
        assert_eq!(
            ContactBlock::complete(parts.clone()),
            Err(MissingContact(vec!["position", "direct_phone", "email"]))
        );
        let full = ContactParts {
            position: Some("главен експерт".into()),
            direct_phone: Some("02/895 11 42".into()),
            email: Some("p@x.bg".into()),
            ..parts
        };
        let block = ContactBlock::complete(full).unwrap();
        assert_eq!((block.direct_phone.as_str(), block.position.as_str()), ("02/895 11 42", "главен експерт"));
    }

    #[test]
    fn letters_issued_before_positions_were_kept_still_read() {
        let old = r#"{"officer":"Петя Колева","employee_number":"1042","unit":"ЦАО","direct_phone":"02/895 11 42",
            "switchboard":"02/895 11 00","email":"p@x.bg","website":"www.sofia.bg"}"#;
        let block: ContactBlock = serde_json::from_str(old).unwrap();
        assert_eq!(block.position, "");
    }

    #[test]
    fn kinds_round_trip() {
        for k in LetterKind::ALL {
            assert_eq!(LetterKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(LetterKind::parse("memo"), None);
    }
}
