//! The working-day calendar's Council of Ministers decisions, for administrators: added and
//! removed on a page, each first previewed with the open cases whose due date it moves (the
//! preview runs the very change and rolls it back), then confirmed; both audited.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::calendar::DecisionInput;
use harta_app::calendar::Recomputed;
use harta_app::signing_in::StaffSession;
use harta_app::{Action, App, AppError};
use harta_domain::format::{date_bg, in_sofia};
use serde::Deserialize;

use super::{SignedIn, StaffHeader, labelled_errors};
use crate::edge::{PageError, Refusal};
use crate::forms::CsrfForm;
use crate::public::{Chrome, ShownError, Visit, error_for};

/// A decision added at run time, as the page lists it.
struct Row {
    date: String,
    /// The date as typed back to remove it (`YYYY-MM-DD`).
    iso: String,
    kind: String,
    citation: String,
    note: String,
    added: String,
}

/// A change waiting for confirmation: what it is in words, and the cases it moves (number,
/// due date now, due date after).
struct Preview {
    what: String,
    moved: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "staff_calendar.html")]
struct CalendarPage {
    c: Chrome,
    s: StaffHeader,
    rows: Vec<Row>,
    f: DecisionForm,
    /// An addition waiting to be confirmed.
    adding: Option<Preview>,
    /// A removal waiting to be confirmed: its date (`YYYY-MM-DD`) and what it moves.
    removing: Option<(String, Preview)>,
    errors: Vec<ShownError>,
    notice: Option<String>,
}

impl CalendarPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }

    /// How many cases a change moves.
    fn count(&self, p: &Preview) -> i64 {
        i64::try_from(p.moved.len()).unwrap_or(i64::MAX)
    }
}

/// The form for a decision, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct DecisionForm {
    date: String,
    kind: String,
    number: String,
    decided_on: String,
    note: String,
    /// `preview` first, then `confirm`.
    step: String,
}

impl DecisionForm {
    fn input(&self) -> DecisionInput {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        DecisionInput {
            date: some(&self.date),
            kind: some(&self.kind),
            number: some(&self.number),
            decided_on: some(&self.decided_on),
            note: some(&self.note),
        }
    }
}

/// The confirmation shown again after the change (post/redirect/get).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Done {
    done: String,
    moved: usize,
}

fn preview(what: String, found: Recomputed) -> Preview {
    let moved = found.moved.into_iter().map(|(number, from, to)| (number, date_bg(from), date_bg(to))).collect();
    Preview { what, moved }
}

#[allow(clippy::too_many_arguments)]
async fn view(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    f: DecisionForm,
    adding: Option<Preview>,
    removing: Option<(String, Preview)>,
    errors: Vec<ShownError>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    if !session.principal.may(Action::ChangeCalendar) {
        return Err(PageError::new(Refusal::Forbidden));
    }
    let l = visit.l();
    let rows = app
        .added_decisions()
        .await?
        .into_iter()
        .map(|d| Row {
            date: date_bg(d.decision.date),
            iso: d.decision.date.to_string(),
            kind: l.t(&format!("calendar-kind-{}", d.decision.kind.as_str())),
            citation: d.decision.citation(),
            note: d.decision.note.clone(),
            added: format!("{}, {}", d.added_by, date_bg(in_sofia(d.added_at).date())),
        })
        .collect();
    let page = CalendarPage {
        c: visit.chrome(&app.charter(), "staff"),
        s: StaffHeader::of(session),
        rows,
        f,
        adding,
        removing,
        errors,
        notice,
    };
    Ok(visit.page(status, page.render(), true))
}

pub(super) async fn show(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let l = visit.l();
    let notice = match q.done.as_str() {
        "added" => Some(l.tn("calendar-added", "n", i64::try_from(q.moved).unwrap_or(i64::MAX))),
        "removed" => Some(l.tn("calendar-removed", "n", i64::try_from(q.moved).unwrap_or(i64::MAX))),
        _ => None,
    };
    view(&app, &visit, &session, DecisionForm::default(), None, None, Vec::new(), notice, StatusCode::OK).await
}

/// The labels of the form's fields, for its error messages.
const LABELS: [(&str, &str); 5] = [
    ("date", "calendar-date"),
    ("kind", "calendar-kind"),
    ("number", "calendar-number"),
    ("decided_on", "calendar-decided-on"),
    ("note", "calendar-note"),
];

pub(super) async fn add(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    CsrfForm(f): CsrfForm<DecisionForm>,
) -> Result<Response, PageError> {
    let l = visit.l();
    let who = &session.principal;
    let result = if f.step == "confirm" {
        app.add_decision(who, &f.input()).await.map(|done| (done, true))
    } else {
        app.preview_decision(who, &f.input()).await.map(|found| (found, false))
    };
    match result {
        Ok((done, true)) => {
            Ok(Redirect::to(&format!("/staff/calendar?done=added&moved={}", done.moved.len())).into_response())
        }
        Ok((found, _)) => {
            let what = l.ts("calendar-preview-add", "date", &date_bg_of(&f.date));
            let adding = Some(preview(what, found));
            view(&app, &visit, &session, f, adding, None, Vec::new(), None, StatusCode::OK).await
        }
        Err(AppError::Invalid(found)) => {
            let errors = labelled_errors(l, &found, &LABELS);
            view(&app, &visit, &session, f, None, None, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A removal, as its button sends it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Removal {
    date: String,
    step: String,
}

pub(super) async fn remove(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    CsrfForm(r): CsrfForm<Removal>,
) -> Result<Response, PageError> {
    let l = visit.l();
    let who = &session.principal;
    if r.step == "confirm" {
        let done = app.remove_decision(who, &r.date).await?;
        return Ok(Redirect::to(&format!("/staff/calendar?done=removed&moved={}", done.moved.len())).into_response());
    }
    let found = app.preview_removal(who, &r.date).await?;
    let what = l.ts("calendar-preview-remove", "date", &date_bg_of(&r.date));
    let removing = Some((r.date.clone(), preview(what, found)));
    view(&app, &visit, &session, DecisionForm::default(), None, removing, Vec::new(), None, StatusCode::OK).await
}

/// A typed `YYYY-MM-DD` date as Bulgarians write it (it has been checked by then).
fn date_bg_of(typed: &str) -> String {
    typed.trim().parse::<jiff::civil::Date>().map_or_else(|_| typed.to_string(), date_bg)
}
