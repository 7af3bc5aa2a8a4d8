//! Outgoing letters (C18, C19): drafted from the charter's template for their kind with the
//! case's facts filled in, edited by the officer, checked for plain language (advice, shown
//! before issuing), and issued only with a complete contact block from the staff directory.
//! An issued letter gets the outgoing number `NUMBER/n`, is stored as HTML and PDF exactly as
//! issued, and is recorded in the case's history; the citizen reads and downloads it when
//! tracking the case. Every letter ends with its officer's name and position; an answer that
//! refuses a service says before whom and within what time the refusal can be appealed. Issuing
//! a letter starts its delivery on the person's channel ([`crate::delivering`]); issuing an
//! answer letter answers the case.

use std::collections::BTreeMap;
use std::sync::Arc;

use harta_domain::case::{CaseEvent, PreferredChannel, State};
use harta_domain::format::{date_bg, in_sofia};
use harta_domain::letters::{ContactBlock, ContactParts, GAP, LetterKind};
use harta_domain::plain::{Advice, advise};
use harta_domain::text::{Body, Subject};
use harta_store::cases::CaseRecord;
use harta_store::letters::{Issuing, LetterRecord, NewLetter};
use serde::Serialize;

use crate::access::{Action, Principal};
use crate::{App, AppError, FieldError};

/// A letter ready to render: every word of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// The administration's name.
    pub administration: String,
    /// Its address.
    pub address: String,
    /// The outgoing number (`РКС26-ГР94-15/1`); empty in a preview.
    pub number: String,
    /// The day the letter is dated (Sofia time).
    pub issued_on: jiff::civil::Date,
    /// What it answers: the case's number and date of receipt.
    pub reference: String,
    /// The addressee: name, then address or e-mail.
    pub to: Vec<String>,
    /// The subject line.
    pub subject: String,
    /// The main text.
    pub body: String,
    /// What the person needs to do next (C18).
    pub next: String,
    /// Where and within what time a refusal can be appealed.
    pub appeal: Option<String>,
    /// Who wrote and signs it, and how to reach them (C19).
    pub contact: ContactBlock,
}

/// The return receipt ("обратна разписка") printed after a letter that goes by registered
/// post: the card the person signs and the post brings back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The administration's name, the sender to return the card to.
    pub administration: String,
    /// Its address.
    pub address: String,
    /// The addressee: name, then address.
    pub to: Vec<String>,
    /// The letter's outgoing number.
    pub letter_number: String,
    /// The day the letter was issued (Sofia time).
    pub issued_on: jiff::civil::Date,
    /// The case's registry number.
    pub case_number: String,
}

/// A report on paper (the annual report on administrative service): a title and sections, each
/// a table with, where it helps, a bar chart of the same numbers. Every word is already in the
/// reader's language; the typesetter only lays it out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The title.
    pub title: String,
    /// The line under it (the administration, the period).
    pub subtitle: String,
    /// The administration, as the document's author.
    pub author: String,
    /// The day it was made (year, month, day), as the document's date.
    pub made: (i16, i8, i8),
    /// The sections, in order.
    pub sections: Vec<ReportSection>,
}

/// A section of a [`Report`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportSection {
    /// Its heading.
    pub heading: String,
    /// What it shows and how it was counted.
    pub text: String,
    /// The table's column headings.
    pub headers: Vec<String>,
    /// Its rows, as many cells as headings.
    pub rows: Vec<Vec<String>>,
    /// Bars: label, share in tenths of a per cent (0–1000), the value as written.
    pub bars: Vec<(String, u64, String)>,
}

/// Puts letters on paper: HTML for the screen, PDF for print and download.
pub trait Typeset: Send + Sync {
    /// The letter as an HTML fragment (everything in it escaped).
    fn html(&self, letter: &Letter) -> String;
    /// The letter as PDF.
    fn pdf(&self, letter: &Letter) -> Result<Vec<u8>, String>;
    /// A return receipt as PDF.
    fn receipt(&self, receipt: &Receipt) -> Result<Vec<u8>, String>;
    /// Letters' PDFs as one PDF, every page in order (a print run for the post).
    fn bundle(&self, pdfs: &[Vec<u8>]) -> Result<Vec<u8>, String>;
    /// A report as PDF.
    fn report(&self, report: &Report) -> Result<Vec<u8>, String>;
}

/// What letters need from outside harta-app: a typesetter, and the public site's address for
/// the `{track_url}` of templates.
#[derive(Clone)]
pub struct LetterSetup {
    /// The typesetter.
    pub typeset: Arc<dyn Typeset>,
    /// The public site's address (`https://harta.example.bg`).
    pub public_url: String,
    /// The e-mail-to-fax gateway's address pattern (`{number}@fax.example.bg`), if there is one.
    pub fax_gateway: Option<String>,
}

/// A letter as the officer writes it, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetterDraft {
    /// `acknowledgement`, `information_request`, `holding_reply` or `answer`.
    pub kind: String,
    /// The subject line.
    pub subject: String,
    /// The main text.
    pub body: String,
    /// What the person needs to do next.
    pub next: String,
    /// Whether the answer refuses the service asked for: the letter then says where and
    /// within what time the refusal can be appealed.
    pub refusal: bool,
    /// Whether a letter for the post goes with a return receipt (registered mail whose
    /// receipt the person signs and the post brings back).
    pub return_receipt: bool,
}

/// A draft checked and laid out, before it is issued.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The letter as it would be issued (without its number yet).
    pub letter: Letter,
    /// The letter as HTML.
    pub html: String,
    /// Plain-language advice on the texts.
    pub advice: Vec<Advice>,
    /// Parts of the contact block the staff directory lacks: the letter cannot be issued
    /// until they are there.
    pub missing: Vec<&'static str>,
}

/// What issuing a kind of letter takes: the acknowledgement is the counter's, the rest the
/// handling officers'.
fn issuing(kind: LetterKind) -> Action {
    if kind == LetterKind::Acknowledgement { Action::IssueAcknowledgement } else { Action::IssueLetter }
}

/// Tries before giving up when other letters on the same case keep taking the next number.
const NUMBER_ATTEMPTS: usize = 3;

impl App {
    /// Sets the typesetter and public address for letters (the server does it at start-up).
    pub fn set_letters(&self, setup: LetterSetup) {
        let _ = self.inner.letter_setup.set(setup);
    }

    /// A report (its words already written) as PDF, by the letters' typesetter.
    pub async fn report_pdf(&self, report: Report) -> Result<Vec<u8>, AppError> {
        let typeset = self.letter_setup()?.typeset.clone();
        tokio::task::spawn_blocking(move || typeset.report(&report))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)
    }

    pub(crate) fn letter_setup(&self) -> Result<&LetterSetup, AppError> {
        self.inner.letter_setup.get().ok_or_else(|| AppError::internal("letters are not set up on this server"))
    }

    /// A new letter of `kind` on a case, drafted from the charter's template with the case's
    /// facts (and those of the latest event of its kind) filled in.
    pub async fn draft_letter(&self, who: &Principal, number: &str, kind: &str) -> Result<LetterDraft, AppError> {
        let kind = parse_kind(kind)?;
        who.require(issuing(kind))?;
        let case = self.find_case(who, number).await?;
        let events = self.inner.cases.events(case.id).await?;
        let mut values: BTreeMap<&str, String> = BTreeMap::from([
            ("number", case.registry_number.clone()),
            ("received", date_bg(in_sofia(case.received_at).date())),
            // The date promised at registration: a holding reply names the new one as {new_due}.
            ("due", date_bg(case.original_due)),
            ("subject", case.subject.clone()),
            ("name", case.party.name.clone()),
            ("track_url", format!("{}/track", self.letter_setup()?.public_url.trim_end_matches('/'))),
        ]);
        for e in &events {
            match &e.event {
                CaseEvent::InformationRequested { what, by } => {
                    values.insert("what", what.clone());
                    values.insert("by", date_bg(*by));
                }
                CaseEvent::HoldingReplySent { reasons, still_needed, new_due } => {
                    values.insert("reasons", reasons.clone());
                    values.insert("still_needed", still_needed.clone());
                    values.insert("new_due", date_bg(*new_due));
                }
                CaseEvent::Answered { summary, .. } => {
                    values.insert("summary", summary.clone());
                }
                _ => {}
            }
        }
        let charter = self.charter();
        let template = charter
            .letters
            .get(&kind)
            .ok_or_else(|| AppError::internal(format!("the charter has no template for {}", kind.as_str())))?;
        let (subject, body, next) = template.fill(&values);
        Ok(LetterDraft {
            kind: kind.as_str().into(),
            subject,
            body,
            next: next.trim().to_string(),
            ..LetterDraft::default()
        })
    }

    /// The channel a case's letters go on, for the letter form (a return receipt is offered
    /// for the post only).
    pub async fn letter_channel(&self, who: &Principal, number: &str) -> Result<PreferredChannel, AppError> {
        Ok(Self::channel_of(&self.find_case(who, number).await?))
    }

    /// Checks a draft and lays it out, with plain-language advice and what the contact block
    /// lacks; nothing is stored.
    pub async fn preview_letter(
        &self,
        who: &Principal,
        number: &str,
        draft: &LetterDraft,
    ) -> Result<Preview, AppError> {
        let kind = parse_kind(&draft.kind)?;
        who.require(issuing(kind))?;
        let case = self.find_case(who, number).await?;
        let (subject, body, next) = check_texts(draft)?;
        let appeal = self.appeal(&case, kind, draft.refusal)?;
        let parts = self.contact_parts(who).await?;
        let (contact, missing) = match ContactBlock::complete(parts.clone()) {
            Ok(block) => (block, Vec::new()),
            Err(missing) => (partial(parts), missing.0),
        };
        let letter = self.letter(&case, String::new(), (subject, body, next, appeal), contact);
        let mut advice = advise(&letter.body);
        advice.extend(advise(&letter.next));
        let html = self.letter_setup()?.typeset.html(&letter);
        // The preview names the person, as the letter will.
        self.inner
            .audit
            .record(self.now(), &who.audit_name(), "preview_letter", &case.registry_number, kind.as_str())
            .await?;
        Ok(Preview { letter, html, advice, missing })
    }

    /// Issues a letter: numbered, rendered as HTML and PDF, stored, recorded in the case's
    /// history, in the audit trail. Refused while the contact block is incomplete.
    pub async fn issue_letter(
        &self,
        who: &Principal,
        number: &str,
        draft: &LetterDraft,
    ) -> Result<LetterRecord, AppError> {
        let kind = parse_kind(&draft.kind)?;
        who.require(issuing(kind))?;
        let case = self.find_case(who, number).await?;
        let (subject, body, next) = check_texts(draft)?;
        let appeal = self.appeal(&case, kind, draft.refusal)?;
        let contact = ContactBlock::complete(self.contact_parts(who).await?).map_err(|missing| {
            AppError::Invalid(vec![FieldError::new("contact", missing).with_code("missing_contact")])
        })?;
        let typeset = self.letter_setup()?.typeset.clone();
        let letters = &self.inner.letters;
        let channel = Self::channel_of(&case);
        crate::delivering::receipt_fits(draft.return_receipt, channel)?;
        let delivery = self.delivery_on(&case, channel, draft.return_receipt);
        for _ in 0..NUMBER_ATTEMPTS {
            let (n, outgoing) = letters.next_number(case.id).await?;
            let texts = (subject.clone(), body.clone(), next.clone(), appeal.clone());
            let letter = self.letter(&case, outgoing.clone(), texts, contact.clone());
            let html = typeset.html(&letter);
            let typeset = typeset.clone();
            let laid_out = letter.clone();
            let pdf = tokio::task::spawn_blocking(move || typeset.pdf(&laid_out))
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::internal)?;
            let new = NewLetter {
                n,
                number: outgoing.clone(),
                kind,
                subject: letter.subject,
                body: letter.body,
                next_steps: letter.next,
                contact: letter.contact,
                appeal: letter.appeal,
                html,
                pdf,
            };
            let now = self.now();
            // An answer letter answers the case (one issued after the answer adds to it).
            let answered =
                (kind == LetterKind::Answer && !matches!(case.state, State::Answered | State::Closed)).then(|| {
                    CaseEvent::Answered { summary: new.subject.clone(), letter: Some(outgoing.clone()), spoken: None }
                });
            let with = Issuing { answered: answered.as_ref(), delivery: Some(&delivery) };
            match letters.store(case.id, &new, now, &who.actor, with).await {
                Ok(Err(refused)) => return Err(AppError::refused(refused)),
                Ok(Ok(())) => {
                    self.inner.audit.record(now, &who.audit_name(), "issue_letter", &outgoing, kind.as_str()).await?;
                    return Ok(LetterRecord {
                        n,
                        number: outgoing,
                        kind,
                        subject: new.subject,
                        body: new.body,
                        next_steps: new.next_steps,
                        appeal: new.appeal,
                        issued_at: now,
                    });
                }
                // Another letter on this case took the number meanwhile: take the next one.
                Err(harta_store::StoreError::Duplicate(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::conflict("busy", format!("other letters on {number} keep taking the next number; try again")))
    }

    /// The letters of a case the caller may see.
    pub async fn letters(&self, who: &Principal, number: &str) -> Result<Vec<LetterRecord>, AppError> {
        let case = self.find_case(who, number).await?;
        Ok(self.inner.letters.of_case(case.id).await?)
    }

    /// A letter's outgoing number and HTML, as issued (the view is audited: it names the person).
    pub async fn letter_html(&self, who: &Principal, number: &str, n: i64) -> Result<(String, String), AppError> {
        let case = self.find_case(who, number).await?;
        let found =
            self.inner.letters.html(case.id, n).await?.ok_or_else(|| AppError::NotFound(format!("letter {n}")))?;
        self.inner.audit.record(self.now(), &who.audit_name(), "view_letter", &found.0, "").await?;
        Ok(found)
    }

    /// A letter's outgoing number and PDF, as issued (audited).
    pub async fn letter_pdf(&self, who: &Principal, number: &str, n: i64) -> Result<(String, Vec<u8>), AppError> {
        let case = self.find_case(who, number).await?;
        let found =
            self.inner.letters.pdf(case.id, n).await?.ok_or_else(|| AppError::NotFound(format!("letter {n}")))?;
        self.inner.audit.record(self.now(), &who.audit_name(), "download_letter", &found.0, "").await?;
        Ok(found)
    }

    /// A letter's PDF for the citizen holding a tracking ticket of its case.
    pub async fn citizen_letter_pdf(&self, ticket: &str, n: i64) -> Result<(String, Vec<u8>), AppError> {
        let case = self.ticket_case(ticket).await?;
        let found =
            self.inner.letters.pdf(case.id, n).await?.ok_or_else(|| AppError::NotFound(format!("letter {n}")))?;
        self.inner.audit.record(self.now(), "citizen", "download_letter", &found.0, "").await?;
        Ok(found)
    }

    /// The contact block's parts for the member of staff writing: their directory entry, and
    /// the administration's switchboard and web site from the charter.
    async fn contact_parts(&self, who: &Principal) -> Result<ContactParts, AppError> {
        let admin = &self.charter().administration;
        let mut parts = ContactParts {
            switchboard: Some(admin.switchboard.national()),
            website: Some(admin.website.clone()),
            ..ContactParts::default()
        };
        if let harta_domain::case::Actor::Staff { id } = &who.actor
            && let Some(me) = self.inner.admin.member(id.0).await?
        {
            // Staff of no unit (a manager, an administrator) answer for the administration.
            parts.unit = match me.unit.as_deref() {
                Some(u) => self.charter().unit(u).map(|u| u.name.bg.clone()),
                None => Some(admin.name.bg.clone()),
            };
            parts.direct_phone =
                me.phone.as_deref().and_then(|p| harta_domain::identifiers::Phone::parse(p).ok()).map(|p| p.national());
            parts.officer = Some(me.name);
            parts.position = me.position;
            parts.employee_number = Some(me.employee_number);
            parts.email = me.email;
        }
        Ok(parts)
    }

    /// The sentence on appeal a letter carries: only an answer refuses, only a service is
    /// refused, and the service must say before whom and within what time (an act that does
    /// not say so cannot go out).
    fn appeal(&self, case: &CaseRecord, kind: LetterKind, refusal: bool) -> Result<Option<String>, AppError> {
        if !refusal {
            return Ok(None);
        }
        let refused =
            |why: &str, code: &'static str| AppError::Invalid(vec![FieldError::new("refusal", why).with_code(code)]);
        if kind != LetterKind::Answer {
            return Err(refused("only an answer refuses", "not_answer"));
        }
        let Some(service) = &case.service else {
            return Err(refused("only a service request can be refused", "not_service_request"));
        };
        let catalogue = self.catalogue();
        match catalogue.service(&service.code).and_then(|s| s.appeal.as_ref()) {
            Some(appeal) => Ok(Some(appeal.sentence_bg())),
            None => Err(refused(
                &format!("service {} names no body and term of appeal; add them to the catalogue", service.code),
                "no_appeal",
            )),
        }
    }

    /// A letter with its texts (subject, body, next steps, appeal) laid out for the case.
    fn letter(
        &self,
        case: &CaseRecord,
        number: String,
        (subject, body, next, appeal): (String, String, String, Option<String>),
        contact: ContactBlock,
    ) -> Letter {
        let admin = &self.charter().administration;
        let received = date_bg(in_sofia(case.received_at).date());
        let mut to = vec![case.party.name.clone()];
        to.extend(case.party.address.clone().or_else(|| case.party.email.clone()));
        Letter {
            administration: admin.name.bg.clone(),
            address: admin.address.bg.clone(),
            number,
            issued_on: in_sofia(self.now()).date(),
            reference: format!("{} / {received}", case.registry_number),
            to,
            subject,
            body,
            next,
            appeal,
            contact,
        }
    }
}

fn parse_kind(kind: &str) -> Result<LetterKind, AppError> {
    LetterKind::parse(kind.trim()).ok_or_else(|| {
        let known: Vec<&str> = LetterKind::ALL.iter().map(|k| k.as_str()).collect();
        AppError::Invalid(vec![
            FieldError::new("kind", format!("is not a kind of letter (one of: {})", known.join(", ")))
                .with_code("unknown"),
        ])
    })
}

/// The parts of a contact block that are there, for the preview of a letter that lacks some.
fn partial(parts: ContactParts) -> ContactBlock {
    ContactBlock {
        officer: parts.officer.unwrap_or_default(),
        position: parts.position.unwrap_or_default(),
        employee_number: parts.employee_number.unwrap_or_default(),
        unit: parts.unit.unwrap_or_default(),
        direct_phone: parts.direct_phone.unwrap_or_default(),
        switchboard: parts.switchboard.unwrap_or_default(),
        email: parts.email.unwrap_or_default(),
        website: parts.website.unwrap_or_default(),
    }
}

/// The draft's texts, each checked; every problem reported. The "what to do next" part is
/// required (C18).
fn check_texts(draft: &LetterDraft) -> Result<(String, String, String), AppError> {
    let mut errors = Vec::new();
    let subject = Subject::parse(&draft.subject).map_err(|e| errors.push(FieldError::coded("subject", &e))).ok();
    let body = Body::parse(&draft.body).map_err(|e| errors.push(FieldError::coded("body", &e))).ok();
    let next = Body::parse(&draft.next).map_err(|e| errors.push(FieldError::coded("next", &e))).ok();
    for (field, text) in [("subject", &draft.subject), ("body", &draft.body), ("next", &draft.next)] {
        if text.contains(GAP) {
            errors.push(FieldError::new(field, format!("still has a gap {GAP} to fill")).with_code("gap"));
        }
    }
    match (subject, body, next) {
        (Some(s), Some(b), Some(n)) if errors.is_empty() => {
            Ok((s.as_str().to_string(), b.as_str().to_string(), n.as_str().to_string()))
        }
        _ => Err(AppError::Invalid(errors)),
    }
}
