//! Handling a registered case: recording the events of its life cycle (assign, start, request
//! information, holding reply, answer, close, forward, withdraw) with the charter's rules.

use harta_domain::case::{CaseEvent, CaseState};
use harta_domain::deadline::{WhileWaiting, check_holding_reply, due_after_waiting};
use harta_domain::format::in_sofia;
use harta_domain::text::Note;
use harta_store::StoreError;

use crate::access::{Action, Principal};
use crate::{App, AppError, FieldError};

/// What recording an event takes: at the counter a citizen brings what was asked for, or
/// withdraws; everything else (internal notes too) is the handling officers'.
fn recording(event: &CaseEvent) -> Action {
    match event {
        CaseEvent::InformationReceived { .. } | CaseEvent::Withdrawn { .. } => Action::RecordAtCounter,
        _ => Action::HandleCase,
    }
}

/// Every free-text field of an event must be a proper note.
fn check_texts(event: &CaseEvent) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut need = |field: &str, text: &str| {
        if let Err(e) = Note::parse(text) {
            errors.push(FieldError::coded(field, &e));
        }
    };
    match event {
        CaseEvent::InformationRequested { what, .. } => need("what", what),
        CaseEvent::InformationReceived { note, .. } | CaseEvent::NoteAdded { note } => need("note", note),
        CaseEvent::HoldingReplySent { reasons, still_needed, .. } => {
            need("reasons", reasons);
            if !still_needed.trim().is_empty() {
                need("still_needed", still_needed);
            }
        }
        CaseEvent::Answered { summary, .. } => need("summary", summary),
        CaseEvent::Forwarded { authority } => need("authority", authority),
        CaseEvent::Withdrawn { reason } if !reason.trim().is_empty() => need("reason", reason),
        CaseEvent::Assigned { note: Some(note), .. } if !note.trim().is_empty() => need("note", note),
        _ => {}
    }
    errors
}

impl App {
    /// The information a person sent in answer to a request, with the due date the rule of
    /// the case's commitment gives (the clock runs on, pauses while waiting, or restarts).
    pub(crate) async fn information_received(
        &self,
        case: &harta_store::cases::CaseRecord,
        note: String,
    ) -> Result<CaseEvent, AppError> {
        let rule = self.charter().commitment(case.kind).while_waiting;
        if rule == WhileWaiting::RunOn {
            return Ok(CaseEvent::InformationReceived { note, due: None });
        }
        let events = self.inner.cases.events(case.id).await?;
        let asked = events
            .iter()
            .rev()
            .find(|e| matches!(e.event, CaseEvent::InformationRequested { .. }))
            .map(|e| in_sofia(e.at).date());
        let Some(asked) = asked else { return Ok(CaseEvent::InformationReceived { note, due: None }) };
        let calendar = self.inner.calendar.current();
        let registered = case.received_on.unwrap_or_else(|| in_sofia(case.received_at).date());
        let today = in_sofia(self.now()).date();
        let due = due_after_waiting(rule, &calendar, registered, case.original_due, asked, today)
            .map_err(AppError::internal)?;
        Ok(CaseEvent::InformationReceived { note, due })
    }

    /// Records an event on a case the caller may see, if the role may and the life cycle and
    /// the charter allow it. Returns the case's new state.
    pub async fn record_event(&self, who: &Principal, number: &str, event: CaseEvent) -> Result<CaseState, AppError> {
        self.record_event_as(who, number, event, None).await
    }

    /// [`App::record_event`] under an API request's `Idempotency-Key`: a retry with the same
    /// key and request answers the case's state right after the first one and records nothing
    /// more; the same key with another request (or another case) is refused.
    pub async fn record_event_once(
        &self,
        who: &Principal,
        number: &str,
        event: CaseEvent,
        idempotency_key: &str,
        request: &[u8],
    ) -> Result<CaseState, AppError> {
        use sha2::Digest;
        let digest = crate::secrets::hex(&sha2::Sha256::digest([number.as_bytes(), b"\n", request].concat()));
        let scoped = format!("api events {} {idempotency_key}", who.audit_name());
        let key = crate::secrets::hex(&sha2::Sha256::digest(scoped.as_bytes()));
        let cases = &self.inner.cases;
        if let Some(found) = cases.event_by_request(&key).await? {
            return self.replayed(found, &digest).await;
        }
        match self.record_event_as(who, number, event, Some((&key, &digest))).await {
            // Two sends with one key raced: the other one recorded it.
            Err(AppError::Conflict { code: "duplicate", detail }) => match cases.event_by_request(&key).await? {
                Some(found) => self.replayed(found, &digest).await,
                None => Err(AppError::Conflict { code: "duplicate", detail }),
            },
            done => done,
        }
    }

    /// The state right after an event recorded under a key, for a retry of the same request.
    async fn replayed(&self, (case_id, n, stored): (i64, i64, String), digest: &str) -> Result<CaseState, AppError> {
        if stored != digest {
            let why = "was used before with a different request";
            return Err(AppError::Invalid(vec![
                FieldError::new("Idempotency-Key", why).with_code("idempotency_key_reused"),
            ]));
        }
        let events = self.inner.cases.events(case_id).await?;
        CaseState::replay(events.iter().take_while(|e| e.n <= n).map(|e| &e.event)).map_err(AppError::internal)
    }

    async fn record_event_as(
        &self,
        who: &Principal,
        number: &str,
        event: CaseEvent,
        request: Option<(&str, &str)>,
    ) -> Result<CaseState, AppError> {
        let case = self.find_case(who, number).await?;
        if matches!(
            event,
            CaseEvent::Registered { .. }
                | CaseEvent::DeadlineRecomputed { .. }
                | CaseEvent::ContactChanged { .. }
                | CaseEvent::MailSent { .. }
                | CaseEvent::MailFailed { .. }
                | CaseEvent::LetterIssued { .. }
                | CaseEvent::LetterSent { .. }
                | CaseEvent::LetterNotDelivered { .. }
                | CaseEvent::ReceiptReturned { .. }
                | CaseEvent::LetterAttemptFailed { .. }
                | CaseEvent::MailReceived { .. }
                | CaseEvent::Answered { letter: Some(_), .. }
        ) {
            return Err(AppError::field("type", format!("{} is recorded by harta itself", event.name())));
        }
        who.require(recording(&event))?;
        // A case is answered in writing only by issuing its answer letter; what is recorded here
        // is an answer given by word of mouth.
        if let CaseEvent::Answered { spoken: None, .. } = event {
            let why =
                "must say how the answer was given (in_person or phone); an answer in writing is an answer letter";
            return Err(AppError::Invalid(vec![FieldError::new("spoken", why).with_code("answer_by_letter")]));
        }
        let errors = check_texts(&event);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.now();
        let today = in_sofia(now).date();
        match &event {
            CaseEvent::HoldingReplySent { reasons, new_due, .. } => {
                let calendar = self.inner.calendar.current();
                check_holding_reply(&calendar, case.original_due, case.due, *new_due, today, reasons)
                    .map_err(|e| AppError::Invalid(vec![FieldError::coded("new_due", &e)]))?;
            }
            CaseEvent::InformationRequested { by, .. } if *by <= today => {
                let error =
                    FieldError::new("by", format!("must be after today ({today})")).with_code("not_after_today");
                return Err(AppError::Invalid(vec![error]));
            }
            // Someone is always named, and it is someone who can see the case: an active
            // member of the case's unit.
            CaseEvent::Assigned { officer, .. } => match self.inner.admin.active_staff_unit(officer.0).await? {
                None => {
                    let error = FieldError::new("officer", format!("there is no active staff member {}", officer.0));
                    return Err(AppError::Invalid(vec![error.with_code("no_such_staff")]));
                }
                Some(unit) if unit.as_deref() != Some(case.unit.as_str()) => {
                    let why = format!("staff member {} is not of unit {}, which holds the case", officer.0, case.unit);
                    return Err(AppError::Invalid(vec![FieldError::new("officer", why).with_code("other_unit")]));
                }
                Some(_) => {}
            },
            _ => {}
        }
        // What arrived moves the deadline as the commitment's rule says, whoever records it.
        let event = match event {
            CaseEvent::InformationReceived { note, .. } => self.information_received(&case, note).await?,
            other => other,
        };
        let cases = &self.inner.cases;
        let appended = match request {
            Some(request) => cases.append_once(case.id, now, &who.actor, &event, request).await,
            None => cases.append(case.id, now, &who.actor, &event).await,
        };
        match appended {
            Ok(Ok(state)) => {
                let detail = event.name();
                self.inner.audit.record(now, &who.audit_name(), "change_case", &case.registry_number, detail).await?;
                Ok(state)
            }
            Ok(Err(refused)) => Err(AppError::refused(refused)),
            Err(StoreError::Duplicate(what)) => Err(AppError::conflict("duplicate", format!("{what} already exists"))),
            Err(e) => Err(e.into()),
        }
    }
}
