//! The case page: the case, its person, documents, letters and history, and the actions its
//! life cycle allows.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::signing_in::StaffSession;
use harta_app::{App, AppError};
use harta_domain::case::{CaseEvent, StaffId};
use harta_domain::format::{date_bg, in_sofia, time_bg};
use serde::{Deserialize, Serialize};

use super::{SignedIn, deadline_text};
use crate::edge::PageError;
use crate::forms::CsrfForm;
use crate::public::{Chrome, ShownError, Visit, error_for};

#[derive(Template)]
#[template(path = "staff_case.html")]
struct CasePage {
    c: Chrome,
    s: super::StaffHeader,
    number: String,
    kind: &'static str,
    channel: &'static str,
    subject: String,
    body: String,
    unit: String,
    state: &'static str,
    received: String,
    due: String,
    original_due: String,
    deadline: Option<(&'static str, &'static str, String)>,
    responsible: String,
    party: Vec<(String, String)>,
    history: Vec<(String, String, String)>,
    officers: Vec<(i64, String)>,
    errors: Vec<ShownError>,
    notice: Option<String>,
    /// Each letter issued, with its deliveries.
    letters: Vec<LetterLine>,
    /// Why a delivery action was refused, in the page's words.
    letters_refused: Option<String>,
    /// The service and tier, for a service request.
    service: Option<String>,
    /// The day of receipt, when earlier than the registration.
    received_on: Option<String>,
    /// Id, name, type, size, and who added it when, of each document.
    documents: Vec<(i64, String, String, String, String)>,
    /// Whether the member may add documents (everyone but the auditor).
    may_add_documents: bool,
    /// The case's state, for the actions it offers.
    now: harta_domain::case::State,
    /// Whether the member handles cases, and records what citizens do at the counter.
    may_handle: bool,
    may_counter: bool,
    /// Whether the member issues letters, or only the acknowledgement.
    may_letter: bool,
    may_acknowledge: bool,
    /// Whether the member delivers letters by hand and chooses channels.
    may_deliver: bool,
    /// The channels the person can be reached on, to send a letter again by.
    reachable: Vec<&'static str>,
    /// What a refused action had typed, to type nothing twice.
    typed: ActionForm,
}

impl CasePage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }

    /// Whether the page offers the action `event`: the case's state allows it and the
    /// member's role may record it.
    fn offers(&self, event: &str) -> bool {
        let may =
            if matches!(event, "information_received" | "withdrawn") { self.may_counter } else { self.may_handle };
        may && self.now.offers(event)
    }

    /// Whether any action of the group is offered.
    fn offers_any(&self, events: &[&str]) -> bool {
        events.iter().any(|e| self.offers(e))
    }
}

/// A letter on the case page: what it is and how it went.
struct LetterLine {
    n: i64,
    number: String,
    kind: String,
    subject: String,
    issued: String,
    deliveries: Vec<DeliveryLine>,
    /// Nothing is on its way: another channel may be chosen.
    may_again: bool,
}

/// One delivery of a letter.
struct DeliveryLine {
    id: i64,
    channel: &'static str,
    channel_words: String,
    state: &'static str,
    words: String,
    /// Posted with a return receipt that has not come back yet: the form to record it.
    receipt_awaited: bool,
}

/// What the case page shows besides the case: refused fields and what was typed, or a notice.
#[derive(Default, Serialize, Deserialize)]
pub(super) struct Shown {
    errors: Vec<(String, String)>,
    #[serde(skip)]
    notice: Option<String>,
    typed: ActionForm,
}

impl Shown {
    pub(super) fn errors(errors: Vec<ShownError>) -> Self {
        Self { errors: errors.into_iter().map(|e| (e.id, e.text)).collect(), ..Self::default() }
    }
}

/// The address of a case's page.
fn case_href(number: &str, query: &str) -> String {
    format!("/staff/cases/{}{query}", crate::public::percent_encode(number))
}

/// A refused form returns to the case page by a redirect (a reload never posts it again): its
/// errors and text wait in the session for that page.
pub(super) async fn back_with(app: &App, session: &StaffSession, number: &str, shown: &Shown) -> Response {
    match serde_json::to_string(shown).map_err(AppError::internal) {
        Ok(json) => match app.leave_flash(session, &json).await {
            Ok(()) => Redirect::to(&case_href(number, "?refused=1#actions")).into_response(),
            Err(e) => PageError::of(&e).into_response(),
        },
        Err(e) => PageError::of(&e).into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Done {
    done: String,
    /// A letter just issued: its place among the case's letters.
    letter: String,
    /// `1`: a refused action left its errors in the session.
    refused: String,
}

pub(super) async fn case_page(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(number): Path<String>,
    Query(d): Query<Done>,
) -> Response {
    // A letter just issued is confirmed by the case page itself, which lists the letters.
    let notice = match d.done.as_str() {
        "" => None,
        "documents" => Some(visit.l().t("documents-added-notice")),
        _ => Some(visit.l().t("staff-done")),
    };
    let mut shown = Shown { notice, ..Shown::default() };
    if d.refused == "1" {
        match app.take_flash(&session).await {
            Ok(Some(json)) => shown = serde_json::from_str(&json).unwrap_or_default(),
            Ok(None) => {}
            Err(e) => return PageError::of(&e).render(&visit, &app),
        }
    }
    show_case(&app, &visit, &session, &number, shown, StatusCode::OK).await
}

pub(super) async fn show_case(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    number: &str,
    shown: Shown,
    status: StatusCode,
) -> Response {
    let l = visit.l();
    let Shown { errors, notice, typed } = shown;
    let errors = errors.into_iter().map(|(id, text)| ShownError { id, text }).collect();
    let view = match app.view_case(&session.principal, number).await {
        Ok(view) => view,
        Err(AppError::NotFound(_)) => return crate::public::not_found(visit, &app.charter()),
        Err(e) => return crate::public::failure(app, visit, &e),
    };
    let staff = match app.staff().await {
        Ok(staff) => staff,
        Err(e) => return crate::public::failure(app, visit, &e),
    };
    let name_of = |id: StaffId| {
        staff
            .iter()
            .find(|s| s.id == id.0)
            .map_or_else(|| format!("#{}", id.0), |s| format!("{} ({})", s.name, s.employee_number))
    };
    let c = &view.case;
    let p = &c.party;
    let mut party = vec![(l.t("field-name"), p.name.clone())];
    for (label, value) in [
        ("field-email", p.email.clone()),
        ("field-phone", p.phone.clone()),
        ("field-address", p.address.clone()),
        ("field-egn", p.national_id_masked.clone()),
        ("field-eik", p.eik.clone()),
        ("field-preferred", p.preferred_channel.map(|c| l.t(&format!("field-preferred-{}", c.as_str())))),
    ] {
        if let Some(v) = value {
            party.push((l.t(label), v));
        }
    }
    let history = view
        .events
        .iter()
        .map(|e| {
            let when = format!("{} {}", date_bg(in_sofia(e.at).date()), time_bg(e.at));
            let detail = match &e.event {
                CaseEvent::Assigned { officer, .. } => name_of(*officer),
                CaseEvent::InformationRequested { what, by } => format!("{what} ({})", date_bg(*by)),
                CaseEvent::InformationReceived { note, due: None } => note.clone(),
                CaseEvent::InformationReceived { note, due: Some(due) } => {
                    format!("{note} ({})", l.ts("staff-due-now", "date", &date_bg(*due)))
                }
                CaseEvent::HoldingReplySent { reasons, new_due, .. } => format!("{} – {reasons}", date_bg(*new_due)),
                CaseEvent::Answered { summary, letter, spoken } => match (letter, spoken) {
                    (Some(number), _) => format!("{summary} ({number})"),
                    (None, Some(how)) => format!("{summary} ({})", l.t(&format!("answered-{}", how.as_str()))),
                    (None, None) => summary.clone(),
                },
                CaseEvent::LetterSent { number, channel, to, detail } => {
                    let how = l.t(&format!("channel-{}", channel.as_str()));
                    let to = if to.is_empty() { String::new() } else { format!(" – {to}") };
                    let detail = if detail.is_empty() { String::new() } else { format!(" ({detail})") };
                    format!("{number}: {how}{to}{detail}")
                }
                CaseEvent::MailReceived { from, text } => format!("{from}: {text}"),
                CaseEvent::LetterAttemptFailed { number, channel, reason, retry_at } => {
                    let how = l.t(&format!("channel-{}", channel.as_str()));
                    let again = format!("{} {}", date_bg(in_sofia(*retry_at).date()), time_bg(*retry_at));
                    format!("{number}: {how} – {reason}; {}", l.ts("delivery-retry-at", "when", &again))
                }
                CaseEvent::ReceiptReturned { number, signed_on } => {
                    format!("{number}: {}", l.ts("receipt-returned", "date", &date_bg(*signed_on)))
                }
                CaseEvent::LetterNotDelivered { number, channel, reason } => {
                    let how = l.t(&format!("channel-{}", channel.as_str()));
                    format!("{number}: {how} – {}", super::deliveries::reason_words(l, reason))
                }
                CaseEvent::Forwarded { authority } => authority.clone(),
                CaseEvent::Withdrawn { reason } => reason.clone(),
                CaseEvent::NoteAdded { note } => note.clone(),
                CaseEvent::MailSent { to, subject } => format!("{to}: {subject}"),
                CaseEvent::LetterIssued { number, .. } => number.clone(),
                CaseEvent::MailFailed { to, subject, reason } => format!("{to}: {subject} – {reason}"),
                _ => String::new(),
            };
            (when, l.t(&format!("event-{}", e.event.name())), detail)
        })
        .collect();
    let officers = staff
        .iter()
        .filter(|s| s.active && s.unit.as_deref() == Some(c.unit.as_str()))
        .map(|s| (s.id, format!("{} ({})", s.name, s.employee_number)))
        .collect();
    let letters = match app.letters(&session.principal, number).await {
        Ok(all) => all,
        Err(e) => return crate::public::failure(app, visit, &e),
    };
    let deliveries = match app.deliveries(&session.principal, number).await {
        Ok(all) => all,
        Err(e) => return crate::public::failure(app, visit, &e),
    };
    let documents = match app.case_documents(&session.principal, number).await {
        Ok(all) => all
            .into_iter()
            .map(|d| {
                let by = match d.added_by {
                    harta_domain::case::Actor::Staff { id } => name_of(id),
                    harta_domain::case::Actor::Citizen => l.t("documents-citizen"),
                    _ => "harta".to_string(),
                };
                let when = format!("{} {}", date_bg(in_sofia(d.added_at).date()), time_bg(d.added_at));
                let size = crate::public::size_text(u64::try_from(d.size).unwrap_or_default());
                (d.id, d.name, d.media_type, size, format!("{by}, {when}"))
            })
            .collect(),
        Err(e) => return crate::public::failure(app, visit, &e),
    };
    let service = c.service.as_ref().map(|s| {
        let catalogue = app.catalogue();
        let name = catalogue.service(&s.code).map_or_else(String::new, |found| l.pick(&found.name).to_string());
        format!("{} – {} ({})", s.code, name, l.tier(s.tier))
    });
    let issued = Query::<Done>::try_from_uri(&visit.uri).ok().and_then(|q| q.letter.parse::<i64>().ok());
    let notice = notice.or_else(|| {
        let letter = letters.iter().find(|x| Some(x.n) == issued)?;
        Some(l.ts("letter-issued", "number", &letter.number))
    });
    let when = |at: jiff::Timestamp| format!("{} {}", date_bg(in_sofia(at).date()), time_bg(at));
    let letters = letters
        .into_iter()
        .map(|x| {
            let deliveries: Vec<DeliveryLine> = deliveries
                .iter()
                .filter(|d| d.letter_n == x.n)
                .map(|d| {
                    use harta_domain::delivery::DeliveryState as S;
                    let detail = d.detail.clone().unwrap_or_default();
                    let words = match d.state {
                        S::Sent => l.ts("delivery-sent", "when", &d.finished_at.map(when).unwrap_or_default()),
                        S::Failed => l.t_args(
                            "delivery-failed",
                            &[
                                ("when", &d.finished_at.map(when).unwrap_or_default()),
                                ("reason", &super::deliveries::reason_words(l, &detail)),
                            ],
                        ),
                        S::Pending if d.attempts > 0 => l.t_args(
                            "delivery-retrying",
                            &[("attempts", &d.attempts.to_string()), ("error", d.last_error.as_deref().unwrap_or(""))],
                        ),
                        S::Pending => l.t(&format!("delivery-pending-{}", d.channel.as_str())),
                    };
                    let words = match (d.state, detail.is_empty()) {
                        (S::Sent, false) => format!("{words} ({detail})"),
                        _ => words,
                    };
                    let words = match (d.return_receipt, d.receipt_signed_on) {
                        (true, Some(on)) => format!("{words}; {}", l.ts("receipt-returned", "date", &date_bg(on))),
                        (true, None) => format!("{words}; {}", l.t("receipt-with")),
                        (false, _) => words,
                    };
                    DeliveryLine {
                        id: d.id,
                        channel: d.channel.as_str(),
                        channel_words: l.t(&format!("channel-{}", d.channel.as_str())),
                        state: d.state.as_str(),
                        words,
                        receipt_awaited: d.return_receipt && d.state == S::Sent && d.receipt_signed_on.is_none(),
                    }
                })
                .collect();
            LetterLine {
                n: x.n,
                number: x.number,
                kind: l.t(&format!("letter-kind-{}", x.kind.as_str())),
                subject: x.subject,
                issued: date_bg(in_sofia(x.issued_at).date()),
                may_again: !deliveries.iter().any(|d| d.state == "pending"),
                deliveries,
            }
        })
        .collect();
    let letters_refused = Query::<Done>::try_from_uri(&visit.uri)
        .ok()
        .filter(|q| q.refused != "1")
        .and_then(|q| super::deliveries::refusal_words(l, "delivery-refused", &q.refused));
    let page = CasePage {
        c: visit.chrome(&app.charter(), "staff"),
        s: super::StaffHeader::of(session),
        number: c.registry_number.clone(),
        kind: c.kind.as_str(),
        channel: c.channel.as_str(),
        subject: c.subject.clone(),
        body: c.body.clone(),
        unit: app.charter().unit(&c.unit).map_or(c.unit.clone(), |u| l.pick(&u.name).to_string()),
        state: c.state.as_str(),
        received: format!("{} {}", date_bg(in_sofia(c.received_at).date()), time_bg(c.received_at)),
        due: date_bg(c.due),
        original_due: date_bg(c.original_due),
        deadline: view.deadline.map(|d| deadline_text(l, d)),
        responsible: c.responsible.map(name_of).unwrap_or_else(|| l.t("staff-nobody")),
        party,
        history,
        officers,
        errors,
        notice,
        letters,
        letters_refused,
        may_deliver: session.principal.may(harta_app::Action::DeliverLetters),
        reachable: app.reachable_channels(harta_app::delivering::reach(c)).into_iter().map(|ch| ch.as_str()).collect(),
        service,
        received_on: c.received_on.map(date_bg),
        documents,
        may_add_documents: session.principal.may(harta_app::Action::AddDocuments),
        now: c.state,
        may_handle: session.principal.may(harta_app::Action::HandleCase),
        may_counter: session.principal.may(harta_app::Action::RecordAtCounter),
        may_letter: session.principal.may(harta_app::Action::IssueLetter),
        may_acknowledge: session.principal.may(harta_app::Action::IssueAcknowledgement),
        typed,
    };
    visit.page(status, page.render(), true)
}

/// An action on a case, as its form sends it.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(super) struct ActionForm {
    r#type: String,
    officer: String,
    what: String,
    by: String,
    reasons: String,
    still_needed: String,
    new_due: String,
    summary: String,
    /// How an answer not in writing was given: `in_person` or `phone`.
    spoken: String,
    note: String,
    authority: String,
    reason: String,
}

impl ActionForm {
    /// Whether this was the form of `kind` (two forms share the `note` field).
    fn type_is(&self, kind: &str) -> bool {
        self.r#type == kind
    }

    /// The event, or the field that is wrong.
    fn event(&self) -> Result<CaseEvent, &'static str> {
        let date = |s: &str, field| s.trim().parse::<jiff::civil::Date>().map_err(|_| field);
        Ok(match self.r#type.as_str() {
            "assigned" => CaseEvent::Assigned {
                officer: StaffId(self.officer.trim().parse().map_err(|_| "officer")?),
                note: None,
            },
            "started" => CaseEvent::Started,
            "information_requested" => {
                CaseEvent::InformationRequested { what: self.what.clone(), by: date(&self.by, "by")? }
            }
            "holding_reply_sent" => CaseEvent::HoldingReplySent {
                reasons: self.reasons.clone(),
                still_needed: self.still_needed.clone(),
                new_due: date(&self.new_due, "new_due")?,
            },
            "answered" => CaseEvent::Answered {
                summary: self.summary.clone(),
                letter: None,
                spoken: harta_domain::case::Spoken::parse(self.spoken.trim()),
            },
            "closed" => CaseEvent::Closed,
            "information_received" => CaseEvent::InformationReceived { note: self.note.clone(), due: None },
            "note_added" => CaseEvent::NoteAdded { note: self.note.clone() },
            "forwarded" => CaseEvent::Forwarded { authority: self.authority.clone() },
            "withdrawn" => CaseEvent::Withdrawn { reason: self.reason.clone() },
            _ => return Err("type"),
        })
    }
}

pub(super) async fn record(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(number): Path<String>,
    CsrfForm(a): CsrfForm<ActionForm>,
) -> Response {
    let l = visit.l();
    let refuse = |id: &str, text: String| vec![(id.to_string(), text)];
    let event = match a.event() {
        Ok(e) => e,
        Err(field) => {
            let shown = Shown { errors: refuse(field, l.t("staff-err-field")), typed: a, ..Shown::default() };
            return back_with(&app, &session, &number, &shown).await;
        }
    };
    let errors = match app.record_event(&session.principal, &number, event).await {
        Ok(_) => return Redirect::to(&case_href(&number, "?done=1")).into_response(),
        // Each invalid field in the page's words: the rule's own message where it has one,
        // the general one for its code otherwise.
        Err(AppError::Invalid(found)) => found
            .iter()
            .map(|e| {
                let own = format!("staff-err-{}", e.code);
                let text = match l.t(&own) {
                    t if t != own => t,
                    _ => l.field_error(e, &l.t("staff-this-field")),
                };
                (e.field.clone(), text)
            })
            .collect(),
        Err(AppError::Conflict { code, .. }) => {
            let own = format!("conflict-{code}");
            let text = match l.t(&own) {
                t if t != own => t,
                _ => l.t("staff-err-not-now"),
            };
            refuse("actions", text)
        }
        Err(AppError::Forbidden(_)) => refuse("actions", l.t("staff-err-forbidden")),
        Err(e) => return PageError::of(&e).render(&visit, &app),
    };
    back_with(&app, &session, &number, &Shown { errors, typed: a, ..Shown::default() }).await
}
