//! A citizen follows a case with its registry number and access code (no account). Guessing is
//! slowed so that it cannot be turned on the case's owner: wrong codes from one address past
//! [`PER_ADDRESS`] are answered ever later, and past [`ADDRESS_CAP`] not at all; wrong codes
//! on one number past [`PER_NUMBER`] are answered "too many" — but the right code always
//! opens the case. Numbers are sequential, so a lock on a number would be a lock on its
//! owner. A string that cannot be a registry number is no attempt: it is neither counted nor
//! audited, and every counted refusal is in the audit trail (bounded per address).

use harta_domain::access_code::AccessCode;
use harta_domain::case::{Actor, CaseEvent};
use harta_domain::deadline::DeadlineStatus;
use harta_domain::format::in_sofia;
use harta_domain::text::Note;
use harta_store::cases::Contact;
use harta_store::cases::{CaseRecord, RecordedEvent};
use harta_store::limits::Bucket;
use jiff::{SignedDuration, Timestamp};

use crate::cases::{ContactInput, Fields, parse_contact};
use crate::files::PendingDocument;
use crate::{App, AppError, FieldError};

/// Refused attempts from one address within a [`WINDOW`] (a fixed quarter hour, counted in
/// the store so that every replica sees them) answered at once; later ones wait longer each.
pub const PER_ADDRESS: i64 = 20;
/// Refused attempts from one address within a [`WINDOW`] after which it is not answered.
pub const ADDRESS_CAP: i64 = 200;
/// Refused attempts on one registry number within [`WINDOW`] after which a wrong code is
/// answered "too many" (the right one still opens the case).
pub const PER_NUMBER: i64 = 5;
/// The longest wait before answering a guesser.
const MAX_DELAY: std::time::Duration = std::time::Duration::from_secs(8);
/// The windows in which refused attempts are counted.
pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// How long a citizen who showed the access code may act on the case without showing it again.
pub const TICKET_LIFE: SignedDuration = SignedDuration::from_mins(60);

/// What a citizen sees of their case.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// The case.
    pub case: CaseRecord,
    /// Proof, sealed for the browser, that the code was shown: it lets the citizen answer an
    /// information request or change contact details for [`TICKET_LIFE`] without an account.
    pub ticket: String,
    /// How its deadline stands today (open cases only).
    pub deadline: Option<DeadlineStatus>,
    /// The latest holding reply: its reasons, what is still needed, and the new date (C17).
    pub holding_reply: Option<(String, String, jiff::civil::Date)>,
    /// Information asked of the citizen and not yet received: what and by when (C11).
    pub information_requested: Option<(String, jiff::civil::Date)>,
    /// The history as the citizen may see it: when, and what happened (no internal notes).
    pub history: Vec<(Timestamp, &'static str)>,
    /// The letters issued on the case, oldest first (C18): readable and downloadable.
    pub letters: Vec<harta_store::letters::LetterRecord>,
}

impl App {
    /// The case with this number, if the access code is its code. A number that does not
    /// exist and a wrong code get the same answer, so the form tells a guesser nothing; the
    /// throttles are the module's. The number is read however a person types it.
    pub async fn track(&self, number: &str, code: &str, from: &str) -> Result<Tracked, AppError> {
        let now = self.now();
        let not_found = || AppError::NotFound("a case with this number and access code".into());
        let (Ok(parsed), Ok(code)) = (self.charter().registry.read(number), AccessCode::parse(code)) else {
            return Err(not_found());
        };
        let by_address = Bucket::at(format!("track-address {from}"), now, WINDOW);
        let by_number = Bucket::at(format!("track-number {}", parsed.as_str()), now, WINDOW);
        let limits = &self.inner.limits;
        let from_address = limits.count(&by_address).await?;
        if from_address >= ADDRESS_CAP {
            return Err(AppError::TooMany);
        }
        if from_address >= PER_ADDRESS {
            let doublings = u32::try_from(from_address - PER_ADDRESS).unwrap_or(u32::MAX).min(6);
            tokio::time::sleep((std::time::Duration::from_millis(125) * 2u32.pow(doublings)).min(MAX_DELAY)).await;
        }
        let digest = self.inner.key.access_digest(&code);
        let found = self
            .inner
            .cases
            .by_number(&parsed, None)
            .await?
            .filter(|c| c.access_digest.as_deref() == Some(digest.as_str()));
        let Some(case) = found else {
            let on_number = limits.count(&by_number).await?;
            limits.add(&[by_address, by_number]).await?;
            // Audited while the address is answered at once, and the first time it is not.
            if from_address <= PER_ADDRESS {
                self.inner
                    .audit
                    .record(now, "citizen", "track_refused", parsed.as_str(), &format!("from {from}"))
                    .await?;
            }
            return Err(if on_number >= PER_NUMBER { AppError::TooMany } else { not_found() });
        };
        self.inner.audit.record(now, "citizen", "track_case", &case.registry_number, &format!("from {from}")).await?;
        self.tracked(case).await
    }

    async fn tracked(&self, case: CaseRecord) -> Result<Tracked, AppError> {
        let now = self.now();
        let events = self.inner.cases.events(case.id).await?;
        let deadline = if case.state.is_open() {
            let today = in_sofia(now).date();
            DeadlineStatus::of(&self.inner.calendar.current(), case.due, today, self.charter().at_risk_working_days)
                .ok()
        } else {
            None
        };
        let until = (now + TICKET_LIFE).as_millisecond();
        let ticket = self.inner.key.seal_for_browser(&format!("{until} {}", case.registry_number))?;
        let letters = self.inner.letters.of_case(case.id).await?;
        Ok(Tracked { deadline, ticket, letters, ..summarise(case, &events) })
    }

    /// The case again, for a citizen holding a valid ticket (to show a refused follow-up form).
    pub async fn track_again(&self, ticket: &str) -> Result<Tracked, AppError> {
        let case = self.ticket_case(ticket).await?;
        self.tracked(case).await
    }

    /// The case a ticket was issued for, while it is valid.
    pub(crate) async fn ticket_case(&self, ticket: &str) -> Result<CaseRecord, AppError> {
        let opened = self.inner.key.open_from_browser(ticket).ok_or(AppError::Unauthenticated)?;
        let (until, number) = opened.split_once(' ').ok_or(AppError::Unauthenticated)?;
        let until = until.parse::<i64>().map_err(|_| AppError::Unauthenticated)?;
        if self.now().as_millisecond() > until {
            return Err(AppError::Unauthenticated);
        }
        let number = self.charter().registry.parse(number).map_err(|_| AppError::Unauthenticated)?;
        self.inner.cases.by_number(&number, None).await?.ok_or(AppError::Unauthenticated)
    }

    /// The citizen sends what was asked of them (C11), in words, documents or both: the case
    /// goes back to work, the documents recorded with it in the same transaction.
    pub async fn provide_information(
        &self,
        ticket: &str,
        text: &str,
        documents: &[PendingDocument],
    ) -> Result<Tracked, AppError> {
        let case = self.ticket_case(ticket).await?;
        let text = if text.trim().is_empty() && !documents.is_empty() {
            let names: Vec<&str> = documents.iter().map(|d| d.name.as_str()).collect();
            format!("Documents: {}", names.join(", "))
        } else {
            text.to_string()
        };
        let note = Note::parse(&text).map_err(|e| AppError::Invalid(vec![FieldError::coded("information", &e)]))?;
        if case.state != harta_domain::case::State::InformationRequested {
            return Err(AppError::conflict("nothing_asked", format!("nothing is asked on {}", case.registry_number)));
        }
        let kept = self.keep_documents(documents).await?;
        let event = self.information_received(&case, note.as_str().to_string()).await?;
        let now = self.now();
        self.inner
            .cases
            .append_with_documents(case.id, now, &Actor::Citizen, &event, &kept)
            .await?
            .map_err(AppError::refused)?;
        self.after_citizen_event(case, &event).await
    }

    /// The citizen changes how we reach them (C12); the way they prefer must stay reachable.
    pub async fn change_contact(&self, ticket: &str, input: ContactInput) -> Result<Tracked, AppError> {
        let case = self.ticket_case(ticket).await?;
        let mut f = Fields::default();
        let contact = parse_contact(&mut f, "", input.email, input.phone, input.address, input.preferred_channel);
        if !f.0.is_empty() {
            return Err(AppError::Invalid(f.0));
        }
        let p = &case.party;
        let mut fields = Vec::new();
        let mut changed = |name: &str, old: Option<&str>, new: Option<&str>| {
            if old != new {
                fields.push(name.to_string());
            }
        };
        changed("email", p.email.as_deref(), contact.email.as_ref().map(|e| e.as_str()));
        changed("phone", p.phone.as_deref(), contact.phone.as_ref().map(|e| e.as_str()));
        changed("address", p.address.as_deref(), contact.address.as_ref().map(|e| e.as_str()));
        changed(
            "preferred_channel",
            p.preferred_channel.map(|c| c.as_str()),
            contact.preferred_channel.map(|c| c.as_str()),
        );
        if fields.is_empty() {
            return self.tracked(case).await;
        }
        self.citizen_event(case, &CaseEvent::ContactChanged { fields }, &contact).await
    }

    async fn citizen_event(&self, case: CaseRecord, event: &CaseEvent, contact: &Contact) -> Result<Tracked, AppError> {
        let now = self.now();
        let cases = &self.inner.cases;
        let done = cases.change_contact(case.id, now, &Actor::Citizen, event, contact).await?;
        done.map_err(AppError::refused)?;
        self.after_citizen_event(case, event).await
    }

    /// Audits what the citizen did and shows the case as it is now.
    async fn after_citizen_event(&self, case: CaseRecord, event: &CaseEvent) -> Result<Tracked, AppError> {
        let now = self.now();
        let cases = &self.inner.cases;
        self.inner.audit.record(now, "citizen", event.name(), &case.registry_number, "through the public site").await?;
        let number = self.charter().registry.parse(&case.registry_number).map_err(|_| AppError::Unauthenticated)?;
        let case = cases.by_number(&number, None).await?.ok_or(AppError::Unauthenticated)?;
        self.tracked(case).await
    }
}

/// What of the history a citizen sees.
fn summarise(case: CaseRecord, events: &[RecordedEvent]) -> Tracked {
    let mut holding_reply = None;
    let mut information_requested = None;
    let mut history = Vec::new();
    for e in events {
        match &e.event {
            CaseEvent::HoldingReplySent { reasons, still_needed, new_due } => {
                holding_reply = Some((reasons.clone(), still_needed.clone(), *new_due));
            }
            CaseEvent::InformationRequested { what, by } => information_requested = Some((what.clone(), *by)),
            CaseEvent::InformationReceived { .. } => information_requested = None,
            // The staff's own notes are not the citizen's to see.
            CaseEvent::NoteAdded { .. } => continue,
            _ => {}
        }
        history.push((e.at, e.event.name()));
    }
    Tracked {
        case,
        ticket: String::new(),
        deadline: None,
        holding_reply,
        information_requested,
        history,
        letters: Vec::new(),
    }
}
