//! Cases (преписки) and their life cycle: a state machine over append-only events.
//!
//! A case's current state is never edited directly: every change is a [`CaseEvent`], and
//! [`CaseState::apply`] either accepts it, giving the new state, or refuses it with a
//! [`TransitionError`]. The store writes the event and the derived row in one transaction.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

names! {
    /// What was registered.
    CaseKind {
        /// A request for an administrative service (заявление за услуга).
        ServiceRequest => "service_request",
        /// A letter, fax or e-mail, or an inquiry (писмо, запитване).
        Letter => "letter",
        /// A complaint (жалба, оплакване).
        Complaint => "complaint",
        /// A suggestion or opinion (предложение, мнение).
        Suggestion => "suggestion",
    }
}

names! {
    /// How it reached the administration.
    Channel {
        /// At the counter of the service centre.
        Counter => "counter",
        /// By post.
        Post => "post",
        /// By fax.
        Fax => "fax",
        /// By e-mail.
        Email => "email",
        /// Through the web site.
        Web => "web",
        /// By telephone.
        Phone => "phone",
        /// Through the municipal forum.
        Forum => "forum",
    }
}

names! {
    /// How the person wants to be answered (C20).
    PreferredChannel {
        /// By e-mail.
        Email => "email",
        /// By post.
        Post => "post",
        /// By telephone.
        Phone => "phone",
        /// By fax.
        Fax => "fax",
        /// Collected in person at the counter.
        InPerson => "in_person",
    }
}

names! {
    /// Where a case is in its life cycle.
    State {
        /// Registered, nobody named yet.
        Registered => "registered",
        /// A responsible officer is named.
        Assigned => "assigned",
        /// The officer is working on it.
        InProgress => "in_progress",
        /// Waiting for the person to provide information (C11).
        InformationRequested => "information_requested",
        /// The full answer has been given.
        Answered => "answered",
        /// Done.
        Closed => "closed",
        /// Sent on to the competent authority.
        Forwarded => "forwarded",
        /// Withdrawn by the person.
        Withdrawn => "withdrawn",
    }
}

impl State {
    /// Whether the case still counts against its deadline.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Registered | Self::Assigned | Self::InProgress | Self::InformationRequested)
    }
}

names! {
    /// How an answer was given by word of mouth, recorded by the officer who gave it; every
    /// other answer is an issued answer letter.
    Spoken {
        /// At the counter or in a meeting.
        InPerson => "in_person",
        /// On the telephone.
        Phone => "phone",
    }
}

/// A staff member's id in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffId(pub i64);

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// A member of staff, signed in or through their API token.
    Staff {
        /// Their id.
        id: StaffId,
    },
    /// An API client authenticated by a token not bound to a person.
    ApiToken {
        /// The token's id.
        id: i64,
    },
    /// The person the case is about, through the public site.
    Citizen,
    /// harta itself (a recomputation, a scheduled job).
    System,
}

/// Something that happened to a case. Events are stored as JSON, so names are stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseEvent {
    /// The case was registered with its number and deadline.
    Registered {
        /// The registry number.
        registry_number: String,
        /// The due date computed at registration.
        due: Date,
    },
    /// A responsible officer was named (also a reassignment).
    Assigned {
        /// The officer.
        officer: StaffId,
        /// Why it was (re)assigned, if said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The officer started work.
    Started,
    /// Information was requested from the person (C11).
    InformationRequested {
        /// What is needed.
        what: String,
        /// By when.
        by: Date,
    },
    /// The person provided the information.
    InformationReceived {
        /// What arrived.
        note: String,
        /// The due date from now on, where the commitment's rule stops or restarts the clock
        /// while waiting for the person.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<Date>,
    },
    /// A holding reply was sent (C17): reasons, what is still needed, and the new date.
    HoldingReplySent {
        /// Why the full answer cannot be given on time.
        reasons: String,
        /// What the person still has to provide, if anything.
        still_needed: String,
        /// The new due date.
        new_due: Date,
    },
    /// The full answer was given: by the answer letter named (recorded when it is issued), or
    /// by word of mouth. (Events of the first wave name neither.)
    Answered {
        /// A short summary of the answer.
        summary: String,
        /// The answer letter's outgoing number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        letter: Option<String>,
        /// How an answer not in writing was given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        spoken: Option<Spoken>,
    },
    /// The case was closed.
    Closed,
    /// The case was sent to the competent authority.
    Forwarded {
        /// To whom.
        authority: String,
    },
    /// The person withdrew the case.
    Withdrawn {
        /// Why, if said.
        reason: String,
    },
    /// A calendar change moved the original due date.
    DeadlineRecomputed {
        /// The date before.
        from: Date,
        /// The date after.
        to: Date,
        /// The decision that moved it ("РМС № 808/19.11.2025", or its removal).
        because: String,
    },
    /// A note for the staff only: never shown to the citizen, on any case at any time.
    NoteAdded {
        /// The note.
        note: String,
    },
    /// The citizen changed how we reach them (C12). Names the fields changed, never their
    /// values: those live in the party's row, where reads are audited.
    ContactChanged {
        /// The fields changed (`email`, `phone`, `address`, `preferred_channel`).
        fields: Vec<String>,
    },
    /// harta sent the person an e-mail about the case (the acknowledgement, a letter). Kept in
    /// the history so that anyone can see what the person was told, where and when.
    MailSent {
        /// The address it went to.
        to: String,
        /// Its subject.
        subject: String,
    },
    /// A letter was issued on the case, under its outgoing number.
    LetterIssued {
        /// The outgoing number (`РКС26-ГР94-15/1`).
        number: String,
        /// What kind of letter.
        kind: crate::letters::LetterKind,
    },
    /// A channel confirmed that an issued letter went: the mail server or fax gateway accepted
    /// it, the registry office posted it, the officer read it on the telephone, the person
    /// collected it at the counter.
    LetterSent {
        /// The letter's outgoing number.
        number: String,
        /// The channel.
        channel: PreferredChannel,
        /// Where it went (an address, a number; empty for collection at the counter).
        to: String,
        /// What the channel said (the message's `Message-ID`, the call's outcome).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        detail: String,
    },
    /// An attempt to send an issued letter by e-mail or fax failed for now (the server was
    /// away, or said to try later); it is tried again at `retry_at`.
    LetterAttemptFailed {
        /// The letter's outgoing number.
        number: String,
        /// The channel.
        channel: PreferredChannel,
        /// What the server said.
        reason: String,
        /// When it is tried again.
        retry_at: jiff::Timestamp,
    },
    /// The return receipt of a letter sent by post came back: the person signed for the
    /// letter on `signed_on`.
    ReceiptReturned {
        /// The letter's outgoing number.
        number: String,
        /// The day the person signed for it, as the receipt says.
        signed_on: Date,
    },
    /// An issued letter did not go on its channel and will not be tried there again: somebody
    /// has to choose another channel.
    LetterNotDelivered {
        /// The letter's outgoing number.
        number: String,
        /// The channel.
        channel: PreferredChannel,
        /// Why.
        reason: String,
    },
    /// The person wrote again about the case (a reply by e-mail naming its number, from the
    /// case's address), when nothing had been asked of them.
    MailReceived {
        /// The address it came from.
        from: String,
        /// Its subject and text.
        text: String,
    },
    /// Staff added documents to the case (a scan of the paper brought to the counter, an
    /// e-mail's attachments).
    DocumentsAdded {
        /// The documents' names.
        names: Vec<String>,
    },
    /// An e-mail to the person could not be delivered and will not be retried: somebody has to
    /// reach the person another way.
    MailFailed {
        /// The address it was for.
        to: String,
        /// Its subject.
        subject: String,
        /// What the mail server said.
        reason: String,
    },
}

impl CaseEvent {
    /// The event's machine name, as stored.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Registered { .. } => "registered",
            Self::Assigned { .. } => "assigned",
            Self::Started => "started",
            Self::InformationRequested { .. } => "information_requested",
            Self::InformationReceived { .. } => "information_received",
            Self::HoldingReplySent { .. } => "holding_reply_sent",
            Self::Answered { .. } => "answered",
            Self::Closed => "closed",
            Self::Forwarded { .. } => "forwarded",
            Self::Withdrawn { .. } => "withdrawn",
            Self::DeadlineRecomputed { .. } => "deadline_recomputed",
            Self::ContactChanged { .. } => "contact_changed",
            Self::NoteAdded { .. } => "note_added",
            Self::MailSent { .. } => "mail_sent",
            Self::MailFailed { .. } => "mail_failed",
            Self::LetterIssued { .. } => "letter_issued",
            Self::LetterSent { .. } => "letter_sent",
            Self::LetterNotDelivered { .. } => "letter_not_delivered",
            Self::ReceiptReturned { .. } => "receipt_returned",
            Self::LetterAttemptFailed { .. } => "letter_attempt_failed",
            Self::MailReceived { .. } => "mail_received",
            Self::DocumentsAdded { .. } => "documents_added",
        }
    }
}

/// An event that does not fit the case's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The event is not allowed in this state.
    #[error("a case that is {state} cannot be {event}")]
    NotAllowed {
        /// The current state.
        state: State,
        /// The refused event.
        event: &'static str,
    },
    /// A case is registered once.
    #[error("the case is already registered")]
    AlreadyRegistered,
    /// The first event of a case must be its registration.
    #[error("a case starts with its registration")]
    NotRegistered,
    /// The new due date of a holding reply must be later than the one in force.
    #[error("the new due date {new} is not after the current one {current}")]
    NotLater {
        /// The date in force.
        current: Date,
        /// The proposed date.
        new: Date,
    },
    /// The same officer is already responsible.
    #[error("this officer is already responsible for the case")]
    SameOfficer,
}

impl State {
    /// Whether a person may record the event named `event` on a case in this state: what the
    /// case page offers (a test keeps it equal to what [`CaseState::apply`] accepts).
    pub fn offers(self, event: &str) -> bool {
        use State::*;
        match event {
            "assigned" | "forwarded" | "withdrawn" => self.is_open(),
            "started" => self == Assigned,
            "information_requested" => matches!(self, Assigned | InProgress),
            "information_received" => self == InformationRequested,
            "holding_reply_sent" | "answered" => matches!(self, Assigned | InProgress | InformationRequested),
            "closed" => self == Answered,
            "note_added" => true,
            _ => false,
        }
    }
}

impl crate::Coded for TransitionError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotAllowed { .. } => "not_allowed",
            Self::AlreadyRegistered => "already_registered",
            Self::NotRegistered => "not_registered",
            Self::NotLater { .. } => "not_later",
            Self::SameOfficer => "same_officer",
        }
    }
}

/// The state of a case as derived from its events: what the case row holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseState {
    /// Where it is in the life cycle.
    pub state: State,
    /// Who is responsible, once assigned; never unset again.
    pub responsible: Option<StaffId>,
    /// The due date computed from receipt (moved only by calendar changes).
    pub original_due: Date,
    /// The date set by a holding reply, if any.
    pub extended_due: Option<Date>,
}

impl CaseState {
    /// The state right after registration.
    pub fn registered(due: Date) -> Self {
        Self { state: State::Registered, responsible: None, original_due: due, extended_due: None }
    }

    /// The due date in force: the extended one if a holding reply set it.
    pub fn due(&self) -> Date {
        self.extended_due.unwrap_or(self.original_due)
    }

    /// Folds a case's whole history into its state.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Result<Self, TransitionError> {
        let mut events = events.into_iter();
        let mut state = match events.next() {
            Some(CaseEvent::Registered { due, .. }) => Self::registered(*due),
            _ => return Err(TransitionError::NotRegistered),
        };
        for event in events {
            state = state.apply(event)?;
        }
        Ok(state)
    }

    /// The state after `event`, or why the event cannot happen now.
    pub fn apply(&self, event: &CaseEvent) -> Result<Self, TransitionError> {
        use State::*;
        let refuse = || TransitionError::NotAllowed { state: self.state, event: event.name() };
        let mut next = self.clone();
        match event {
            CaseEvent::Registered { .. } => return Err(TransitionError::AlreadyRegistered),
            CaseEvent::Assigned { officer, .. } => {
                if !self.state.is_open() {
                    return Err(refuse());
                }
                if self.responsible == Some(*officer) {
                    return Err(TransitionError::SameOfficer);
                }
                next.responsible = Some(*officer);
                if self.state == Registered {
                    next.state = Assigned;
                }
            }
            CaseEvent::Started => match self.state {
                Assigned => next.state = InProgress,
                _ => return Err(refuse()),
            },
            CaseEvent::InformationRequested { .. } => match self.state {
                Assigned | InProgress => next.state = InformationRequested,
                _ => return Err(refuse()),
            },
            CaseEvent::InformationReceived { due, .. } => match self.state {
                InformationRequested => {
                    next.state = InProgress;
                    if let Some(due) = due {
                        next.original_due = (*due).max(self.original_due);
                    }
                }
                _ => return Err(refuse()),
            },
            CaseEvent::HoldingReplySent { new_due, .. } => {
                if !matches!(self.state, Assigned | InProgress | InformationRequested) {
                    return Err(refuse());
                }
                if *new_due <= self.due() {
                    return Err(TransitionError::NotLater { current: self.due(), new: *new_due });
                }
                next.extended_due = Some(*new_due);
            }
            CaseEvent::Answered { .. } => match self.state {
                Assigned | InProgress | InformationRequested => next.state = Answered,
                _ => return Err(refuse()),
            },
            CaseEvent::Closed => match self.state {
                Answered => next.state = Closed,
                _ => return Err(refuse()),
            },
            CaseEvent::Forwarded { .. } => {
                if !self.state.is_open() {
                    return Err(refuse());
                }
                next.state = Forwarded;
            }
            CaseEvent::Withdrawn { .. } => {
                if !self.state.is_open() {
                    return Err(refuse());
                }
                next.state = Withdrawn;
            }
            CaseEvent::DeadlineRecomputed { to, .. } => {
                if !self.state.is_open() {
                    return Err(refuse());
                }
                next.original_due = *to;
            }
            // A note, or a mail sent (or not) about the case, changes nothing but the history.
            CaseEvent::NoteAdded { .. }
            | CaseEvent::MailSent { .. }
            | CaseEvent::MailFailed { .. }
            | CaseEvent::LetterIssued { .. }
            | CaseEvent::LetterSent { .. }
            | CaseEvent::LetterNotDelivered { .. }
            | CaseEvent::ReceiptReturned { .. }
            | CaseEvent::LetterAttemptFailed { .. }
            | CaseEvent::MailReceived { .. }
            | CaseEvent::DocumentsAdded { .. } => {}
            // Contact details matter until the answer has gone out.
            CaseEvent::ContactChanged { .. } => {
                if !self.state.is_open() {
                    return Err(refuse());
                }
            }
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn registered() -> CaseEvent {
        CaseEvent::Registered { registry_number: "РКС26-ГР94-1".into(), due: d("2026-12-09") }
    }

    fn assigned(id: i64) -> CaseEvent {
        CaseEvent::Assigned { officer: StaffId(id), note: None }
    }

    /// What the case page offers in each state is exactly what the state accepts.
    #[test]
    fn what_a_state_offers_is_what_it_accepts() {
        let people = [
            assigned(9),
            CaseEvent::Started,
            CaseEvent::InformationRequested { what: "скица".into(), by: d("2026-12-04") },
            CaseEvent::InformationReceived { note: "скица".into(), due: None },
            CaseEvent::HoldingReplySent { reasons: "р".into(), still_needed: String::new(), new_due: d("2027-01-29") },
            CaseEvent::Answered { summary: "отговор".into(), letter: None, spoken: Some(Spoken::Phone) },
            CaseEvent::Closed,
            CaseEvent::NoteAdded { note: "бележка".into() },
            CaseEvent::Forwarded { authority: "СО".into() },
            CaseEvent::Withdrawn { reason: "оттеглено".into() },
        ];
        for state in State::ALL {
            let case = CaseState { state: *state, ..CaseState::registered(d("2026-12-09")) };
            for event in &people {
                assert_eq!(state.offers(event.name()), case.apply(event).is_ok(), "{state} {}", event.name());
            }
        }
        assert!(!State::Registered.offers("registered"));
    }

    #[test]
    fn the_main_path() {
        let events = [
            registered(),
            assigned(1),
            CaseEvent::Started,
            CaseEvent::InformationRequested { what: "скица".into(), by: d("2026-12-04") },
            CaseEvent::InformationReceived { note: "скица".into(), due: None },
            CaseEvent::HoldingReplySent {
                reasons: "експертиза".into(),
                still_needed: String::new(),
                new_due: d("2026-12-18"),
            },
            assigned(2),
            CaseEvent::Answered { summary: "отговор".into(), letter: None, spoken: Some(Spoken::Phone) },
            CaseEvent::Closed,
        ];
        let s = CaseState::replay(&events).unwrap();
        assert_eq!(s.state, State::Closed);
        assert_eq!(s.responsible, Some(StaffId(2)));
        assert_eq!(s.original_due, d("2026-12-09"));
        assert_eq!(s.due(), d("2026-12-18"));
    }

    #[test]
    fn illegal_transitions_are_typed_errors() {
        let s = CaseState::replay(&[registered()]).unwrap();
        assert_eq!(
            s.apply(&CaseEvent::Started),
            Err(TransitionError::NotAllowed { state: State::Registered, event: "started" })
        );
        assert_eq!(s.apply(&CaseEvent::Closed).unwrap_err().to_string(), "a case that is registered cannot be closed");
        assert_eq!(s.apply(&registered()), Err(TransitionError::AlreadyRegistered));
        assert_eq!(CaseState::replay(&[CaseEvent::Started]), Err(TransitionError::NotRegistered));
        let a = s.apply(&assigned(1)).unwrap();
        assert_eq!(a.apply(&assigned(1)), Err(TransitionError::SameOfficer));
        let late =
            CaseEvent::HoldingReplySent { reasons: "x".into(), still_needed: String::new(), new_due: d("2026-12-01") };
        assert!(matches!(a.apply(&late), Err(TransitionError::NotLater { .. })));
        let w = a.apply(&CaseEvent::Withdrawn { reason: String::new() }).unwrap();
        assert_eq!(w.state, State::Withdrawn);
        assert!(w.apply(&assigned(2)).is_err());
        assert!(
            w.apply(&CaseEvent::DeadlineRecomputed { from: d("2026-12-09"), to: d("2026-12-10"), because: "x".into() })
                .is_err()
        );
    }

    #[test]
    fn events_serialise_with_stable_names() {
        let e = CaseEvent::Forwarded { authority: "РЗИ".into() };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"type":"forwarded","authority":"РЗИ"}"#);
        assert_eq!(serde_json::from_str::<CaseEvent>(&json).unwrap(), e);
        for k in CaseKind::ALL {
            assert_eq!(CaseKind::parse(k.as_str()), Some(*k));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
        }
        assert_eq!(CaseKind::parse("Letter"), None);
        // An answer recorded before answers named their letter still reads.
        let old: CaseEvent = serde_json::from_str(r#"{"type":"answered","summary":"x"}"#).unwrap();
        assert_eq!(old, CaseEvent::Answered { summary: "x".into(), letter: None, spoken: None });
        let spoken = CaseEvent::Answered { summary: "x".into(), letter: None, spoken: Some(Spoken::InPerson) };
        assert_eq!(
            serde_json::to_string(&spoken).unwrap(),
            r#"{"type":"answered","summary":"x","spoken":"in_person"}"#
        );
    }

    fn any_event() -> impl Strategy<Value = CaseEvent> {
        prop_oneof![
            (1i64..4).prop_map(assigned),
            Just(CaseEvent::Started),
            Just(CaseEvent::InformationRequested { what: "x".into(), by: d("2026-12-01") }),
            Just(CaseEvent::InformationReceived { note: "x".into(), due: None }),
            (0i64..30).prop_map(|k| CaseEvent::HoldingReplySent {
                reasons: "x".into(),
                still_needed: String::new(),
                new_due: d("2026-12-01").checked_add(jiff::Span::new().days(k)).unwrap(),
            }),
            Just(CaseEvent::Answered { summary: "x".into(), letter: Some("x/1".into()), spoken: None }),
            Just(CaseEvent::Closed),
            Just(CaseEvent::Forwarded { authority: "x".into() }),
            Just(CaseEvent::Withdrawn { reason: "x".into() }),
            Just(CaseEvent::ContactChanged { fields: vec!["email".into()] }),
            Just(CaseEvent::NoteAdded { note: "x".into() }),
            Just(CaseEvent::MailSent { to: "a@b.bg".into(), subject: "x".into() }),
            Just(CaseEvent::MailFailed { to: "a@b.bg".into(), subject: "x".into(), reason: "x".into() }),
            Just(CaseEvent::LetterIssued { number: "x/1".into(), kind: crate::letters::LetterKind::Answer }),
            Just(CaseEvent::LetterSent {
                number: "x/1".into(),
                channel: PreferredChannel::Post,
                to: "ул. „Хубча“ 5".into(),
                detail: String::new(),
            }),
            Just(CaseEvent::LetterNotDelivered {
                number: "x/1".into(),
                channel: PreferredChannel::Email,
                reason: "550".into(),
            }),
            Just(CaseEvent::ReceiptReturned { number: "x/1".into(), signed_on: Date::constant(2026, 12, 3) }),
            Just(CaseEvent::LetterAttemptFailed {
                number: "x/1".into(),
                channel: PreferredChannel::Email,
                reason: "421".into(),
                retry_at: jiff::Timestamp::UNIX_EPOCH,
            }),
        ]
    }

    proptest! {
        /// Whatever is attempted, accepted events keep the invariants: once someone is
        /// responsible somebody always is; a closed case was answered; terminal states stay;
        /// a note changes nothing but the history.
        #[test]
        fn invariants_hold_for_any_sequence(events in proptest::collection::vec(any_event(), 0..30)) {
            let mut s = CaseState::replay(&[registered()]).unwrap();
            let mut history = vec![s.state];
            for e in &events {
                if let Ok(next) = s.apply(e) {
                    if s.responsible.is_some() {
                        prop_assert!(next.responsible.is_some());
                    }
                    // A case no longer open only moves from answered to closed (a note or a
                    // mail on it changes nothing but the history).
                    if !s.state.is_open() && next.state != s.state {
                        prop_assert!(next.state == State::Closed && s.state == State::Answered);
                    }
                    if matches!(
                        e,
                        CaseEvent::NoteAdded { .. }
                            | CaseEvent::MailSent { .. }
                            | CaseEvent::MailFailed { .. }
                            | CaseEvent::LetterIssued { .. }
                            | CaseEvent::LetterSent { .. }
                            | CaseEvent::LetterNotDelivered { .. }
                            | CaseEvent::ReceiptReturned { .. }
                            | CaseEvent::LetterAttemptFailed { .. }
                    ) {
                        prop_assert_eq!(&next, &s);
                    }
                    prop_assert!(next.due() >= s.due());
                    if next.state != State::Registered {
                        prop_assert!(next.responsible.is_some() || matches!(next.state, State::Forwarded | State::Withdrawn));
                    }
                    s = next;
                    history.push(s.state);
                }
            }
            if s.state == State::Closed {
                prop_assert!(history.contains(&State::Answered));
            }
        }
    }
}
