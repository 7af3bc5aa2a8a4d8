//! The staff workspace: sign-in, the deadline inbox, the case page with its life-cycle actions,
//! and the password change. Every page needs a live session; every form carries the session's
//! anti-forgery token; what a member of staff may see and do is decided in `harta-app`, so a
//! case of another unit is "not found" here exactly as in the API.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use harta_app::cases::{ListInput, PartyInput, RegisterCaseInput};
use harta_app::signing_in::{SignIn, StaffSession};
use harta_app::{App, AppError};
use harta_domain::case::{CaseEvent, StaffId};
use harta_domain::deadline::DeadlineStatus;
use harta_domain::format::{date_bg, in_sofia, time_bg};
use serde::Deserialize;

use crate::public::{Chrome, ShownError, Visit, cookie, error_for};

mod catalogue;
mod charter;
mod documents;
mod letters;
mod member;

pub(crate) use letters::pdf_download;
mod suggestions;

/// The session cookie: a random token, only its hash stored; sent only to the workspace.
const SESSION_COOKIE: &str = "harta_session";

/// The workspace's routes.
pub fn router() -> Router<App> {
    Router::new()
        .route("/staff/sign-in", get(sign_in_page).post(sign_in))
        .route("/staff/sign-in/code", post(second_factor))
        .route("/staff/sign-out", post(sign_out))
        .route("/staff", get(inbox))
        .route("/staff/cases/{number}", get(case_page))
        .route("/staff/cases/{number}/events", post(record))
        .route("/staff/cases/{number}/documents/{id}", get(documents::open))
        .route(
            "/staff/cases/{number}/documents",
            post(documents::add).layer(axum::extract::DefaultBodyLimit::max(documents::MAX_BODY)),
        )
        .route("/staff/password", get(password_page).post(change_password))
        .route("/staff/intake", get(intake_page).post(intake))
        .route("/staff/intake/prefill", post(prefill))
        .route("/staff/audit", get(audit))
        .route("/staff/totp", get(totp_page).post(confirm_totp))
        .route("/staff/tokens", get(tokens_page).post(issue_token))
        .route("/staff/charter", get(charter::show).post(charter::save))
        .route("/staff/tokens/{id}/revoke", post(revoke_token))
        .route("/staff/directory", get(directory).post(add_staff))
        .route("/staff/directory/{id}/active", post(set_active))
        .route("/staff/directory/{id}", get(member::show))
        .route("/staff/directory/{id}/contact", post(member::save))
        .route("/staff/services", get(catalogue::list))
        .route("/staff/services/{code}", get(catalogue::edit).post(catalogue::save))
        .route("/staff/suggestions", get(suggestions::list))
        .route("/staff/suggestions/{number}", post(suggestions::decide))
        .route("/staff/cases/{number}/letters/new", get(letters::new))
        .route("/staff/cases/{number}/letters", post(letters::post))
        .route("/staff/cases/{number}/letters/{n}", get(letters::show))
        .route("/staff/cases/{number}/letters/{n}/pdf", get(letters::pdf))
}

/// The query of a page shown again after a save (`?saved=…`), to confirm it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Saved {
    saved: String,
}

/// The signed-in member of staff, taken from the request like any extractor: without a live
/// session the answer is the way to the sign-in page.
struct SignedIn(StaffSession);

impl FromRequestParts<App> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        signed_in(app, &parts.headers).await.map(SignedIn)
    }
}

/// The signed-in member of staff, or the sign-in page to go to.
async fn signed_in(app: &App, headers: &HeaderMap) -> Result<StaffSession, Response> {
    let token = cookie(headers, SESSION_COOKIE).unwrap_or_default();
    match app.staff_session(token).await {
        Ok(session) => Ok(session),
        Err(AppError::Unauthenticated) => Err(Redirect::to("/staff/sign-in").into_response()),
        Err(e) => {
            tracing::error!(error = %e, "a session could not be read");
            Err((StatusCode::SERVICE_UNAVAILABLE, "the store does not answer").into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "staff_sign_in.html")]
struct SignInPage {
    c: Chrome,
    csrf: String,
    login: String,
    errors: Vec<ShownError>,
}

impl SignInPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

fn sign_in_form(app: &App, visit: &Visit, login: String, error: Option<&str>, status: StatusCode) -> Response {
    let errors = error.map(|e| vec![ShownError { id: "login".into(), text: visit.l().t(e) }]).unwrap_or_default();
    let page = SignInPage { c: visit.chrome(&app.charter(), "staff"), csrf: visit.csrf.0.clone(), login, errors };
    visit.page(status, page.render(), true)
}

async fn sign_in_page(State(app): State<App>, visit: Visit) -> Response {
    sign_in_form(&app, &visit, String::new(), None, StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Credentials {
    csrf: String,
    login: String,
    password: String,
}

async fn sign_in(State(app): State<App>, visit: Visit, headers: HeaderMap, Form(f): Form<Credentials>) -> Response {
    if !visit.csrf_ok(&headers, &f.csrf) {
        return sign_in_form(&app, &visit, f.login, Some("err-csrf"), StatusCode::FORBIDDEN);
    }
    match app.sign_in(&f.login, &f.password, &visit.from).await {
        Ok(SignIn::Session(token)) => with_session(&visit, &token),
        Ok(SignIn::Code { ticket }) => second_step(&app, &visit, ticket, None, None, StatusCode::OK),
        Ok(SignIn::Enrol { ticket, secret, uri }) => {
            second_step(&app, &visit, ticket, Some((spaced(&secret), uri)), None, StatusCode::OK)
        }
        Err(AppError::Unauthenticated) => {
            sign_in_form(&app, &visit, f.login, Some("staff-sign-in-wrong"), StatusCode::UNAUTHORIZED)
        }
        Err(AppError::TooMany) => {
            sign_in_form(&app, &visit, f.login, Some("staff-sign-in-locked"), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

/// Into the workspace with a new session cookie.
fn with_session(visit: &Visit, token: &str) -> Response {
    let mut response = Redirect::to("/staff").into_response();
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/staff; HttpOnly; SameSite=Strict{}", visit.secure());
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// A base32 secret in groups of four, as authenticator apps show them.
fn spaced(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

#[derive(Template)]
#[template(path = "staff_second_factor.html")]
struct SecondStepPage {
    c: Chrome,
    csrf: String,
    ticket: String,
    /// When enrolling: the secret to type into the app, and its address.
    enrol: Option<(String, String)>,
    errors: Vec<ShownError>,
}

impl SecondStepPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

fn second_step(
    app: &App,
    visit: &Visit,
    ticket: String,
    enrol: Option<(String, String)>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let errors = error.map(|e| vec![ShownError { id: "code".into(), text: visit.l().t(e) }]).unwrap_or_default();
    let page =
        SecondStepPage { c: visit.chrome(&app.charter(), "staff"), csrf: visit.csrf.0.clone(), ticket, enrol, errors };
    visit.page(status, page.render(), true)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Code {
    csrf: String,
    ticket: String,
    code: String,
    secret: String,
    uri: String,
}

async fn second_factor(State(app): State<App>, visit: Visit, headers: HeaderMap, Form(f): Form<Code>) -> Response {
    let enrol = (!f.secret.is_empty()).then(|| (f.secret.clone(), f.uri.clone()));
    if !visit.csrf_ok(&headers, &f.csrf) {
        return second_step(&app, &visit, f.ticket, enrol, Some("err-csrf"), StatusCode::FORBIDDEN);
    }
    match app.second_factor(&f.ticket, &f.code, &visit.from).await {
        Ok(token) => with_session(&visit, &token),
        Err(AppError::Unauthenticated) => {
            second_step(&app, &visit, f.ticket, enrol, Some("staff-code-wrong"), StatusCode::UNAUTHORIZED)
        }
        Err(AppError::TooMany) => {
            sign_in_form(&app, &visit, String::new(), Some("staff-sign-in-locked"), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Token {
    csrf: String,
}

async fn sign_out(State(app): State<App>, headers: HeaderMap, Form(f): Form<Token>) -> Response {
    let Ok(session) = signed_in(&app, &headers).await else { return Redirect::to("/staff/sign-in").into_response() };
    if f.csrf != session.csrf {
        return (StatusCode::FORBIDDEN, "forged form").into_response();
    }
    let token = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    if let Err(e) = app.sign_out(token).await {
        tracing::error!(error = %e, "sign-out failed");
    }
    let mut response = Redirect::to("/staff/sign-in").into_response();
    let gone = format!("{SESSION_COOKIE}=; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&gone) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The deadline of an open case in words, with an icon that repeats the words (never colour
/// alone): the class names the state for the stylesheet.
fn deadline_text(l: crate::i18n::Localizer, status: DeadlineStatus) -> (&'static str, &'static str, String) {
    let days = |n: u32| l.tn("working-days", "n", i64::from(n));
    match status {
        DeadlineStatus::OnTrack { working_days_left: n } => {
            ("on_track", "✓", l.ts("deadline-on_track", "days", &days(n)))
        }
        DeadlineStatus::AtRisk { working_days_left: n } => ("at_risk", "⚠", l.ts("deadline-at_risk", "days", &days(n))),
        DeadlineStatus::DueToday => ("due_today", "⏰", l.t("deadline-due_today")),
        DeadlineStatus::Overdue { working_days_late: n } => {
            ("overdue", "✖", l.ts("deadline-overdue", "days", &days(n)))
        }
    }
}

/// Splits text into pieces, marking the words that a search word begins (compared folded, so
/// «ivan» marks «Иванова»). The template escapes every piece.
fn marked(text: &str, search: &str) -> Vec<(String, bool)> {
    let fold = harta_domain::text::fold;
    let terms: Vec<String> = fold(search)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<(String, bool)>| {
        if !word.is_empty() {
            let f = fold(word);
            let hit = terms.iter().any(|t| f.trim().starts_with(t.as_str()));
            out.push((std::mem::take(word), hit));
        }
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push((ch.to_string(), false));
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A row of the inbox.
struct Row {
    number: String,
    kind: &'static str,
    /// The subject in pieces, those matching the search marked.
    subject: Vec<(String, bool)>,
    unit: String,
    state: &'static str,
    received: String,
    due: String,
    deadline: Option<(&'static str, &'static str, String)>,
}

#[derive(Template)]
#[template(path = "staff_inbox.html")]
struct InboxPage {
    c: Chrome,
    who: String,
    csrf: String,
    rows: Vec<Row>,
    /// Whether the role reads the audit trail (auditors, administrators).
    audits: bool,
    /// Units to choose from (none for roles that see one unit only).
    units: Vec<(String, String)>,
    q: String,
    state: String,
    kind: String,
    unit: String,
    officer: String,
    from: String,
    until: String,
    errors: Vec<ShownError>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Filters {
    q: String,
    state: String,
    kind: String,
    unit: String,
    officer: String,
    from: String,
    until: String,
    page: String,
}

async fn inbox(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<Filters>,
) -> Response {
    let l = visit.l();
    let some = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    let input = ListInput {
        state: some(&q.state),
        kind: some(&q.kind),
        page: some(&q.page),
        search: some(&q.q),
        unit: some(&q.unit),
        // "mine" is the signed-in member of staff.
        officer: match q.officer.as_str() {
            "mine" => match &session.principal.actor {
                harta_domain::case::Actor::Staff { id } => Some(id.0.to_string()),
                _ => None,
            },
            other => some(other),
        },
        received_from: some(&q.from),
        received_until: some(&q.until),
        // An inbox shows what is still to do, unless a state is chosen.
        open_only: true,
        ..ListInput::default()
    };
    let (items, errors) = match app.list_cases(&session.principal, &input).await {
        Ok(page) => (page.items, Vec::new()),
        Err(AppError::Invalid(found)) => {
            let errors = found
                .iter()
                .map(|e| {
                    let id = match e.field.as_str() {
                        "received_from" => "from",
                        "received_until" => "until",
                        other => other,
                    };
                    ShownError { id: id.to_string(), text: l.t("staff-err-filter") }
                })
                .collect();
            (Vec::new(), errors)
        }
        Err(e) => return crate::public::failure(&app, &visit, &e),
    };
    let rows = items
        .into_iter()
        .map(|c| Row {
            deadline: c.state.is_open().then(|| app.deadline_of(c.due)).flatten().map(|d| deadline_text(l, d)),
            number: c.registry_number,
            kind: c.kind.as_str(),
            subject: marked(&c.subject, &q.q),
            unit: app.charter().unit(&c.unit).map_or(c.unit.clone(), |u| l.pick(&u.name).to_string()),
            state: c.state.as_str(),
            received: date_bg(in_sofia(c.received_at).date()),
            due: date_bg(c.due),
        })
        .collect();
    let page = InboxPage {
        c: visit.chrome(&app.charter(), "staff"),
        who: session.name.clone(),
        csrf: session.csrf.clone(),
        rows,
        audits: matches!(session.principal.role, harta_app::Role::Auditor | harta_app::Role::Administrator),
        units: if session.principal.unit_scope().is_some() {
            Vec::new()
        } else {
            app.charter().units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect()
        },
        q: q.q,
        state: q.state,
        kind: q.kind,
        unit: q.unit,
        officer: q.officer,
        from: q.from,
        until: q.until,
        errors,
    };
    visit.page(StatusCode::OK, page.render(), true)
}

#[derive(Template)]
#[template(path = "staff_case.html")]
struct CasePage {
    c: Chrome,
    who: String,
    csrf: String,
    number: String,
    kind: &'static str,
    channel: &'static str,
    subject: String,
    body: String,
    unit: String,
    state: &'static str,
    open: bool,
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
    /// Place, outgoing number, kind, subject and date of each letter issued.
    letters: Vec<(i64, String, String, String, String)>,
    /// The service and tier, for a service request.
    service: Option<String>,
    /// The day of receipt, when earlier than the registration.
    received_on: Option<String>,
    /// Id, name, type, size, and who added it when, of each document.
    documents: Vec<(i64, String, String, String, String)>,
    /// Whether the member may add documents (everyone but the auditor).
    may_add_documents: bool,
}

impl CasePage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: String,
    /// A letter just issued: its place among the case's letters.
    letter: String,
}

async fn case_page(
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
    show_case(&app, &visit, &session, &number, Vec::new(), notice, StatusCode::OK).await
}

async fn show_case(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    number: &str,
    errors: Vec<ShownError>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let l = visit.l();
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
                CaseEvent::InformationReceived { note } => note.clone(),
                CaseEvent::HoldingReplySent { reasons, new_due, .. } => format!("{} – {reasons}", date_bg(*new_due)),
                CaseEvent::Answered { summary } => summary.clone(),
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
    let letters = letters
        .into_iter()
        .map(|x| {
            let kind = l.t(&format!("letter-kind-{}", x.kind.as_str()));
            (x.n, x.number, kind, x.subject, date_bg(in_sofia(x.issued_at).date()))
        })
        .collect();
    let page = CasePage {
        c: visit.chrome(&app.charter(), "staff"),
        who: session.name.clone(),
        csrf: session.csrf.clone(),
        number: c.registry_number.clone(),
        kind: c.kind.as_str(),
        channel: c.channel.as_str(),
        subject: c.subject.clone(),
        body: c.body.clone(),
        unit: app.charter().unit(&c.unit).map_or(c.unit.clone(), |u| l.pick(&u.name).to_string()),
        state: c.state.as_str(),
        open: c.state.is_open(),
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
        service,
        received_on: c.received_on.map(date_bg),
        documents,
        may_add_documents: session.principal.role != harta_app::Role::Auditor,
    };
    visit.page(status, page.render(), true)
}

/// An action on a case, as its form sends it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Action {
    csrf: String,
    r#type: String,
    officer: String,
    what: String,
    by: String,
    reasons: String,
    still_needed: String,
    new_due: String,
    summary: String,
    note: String,
    authority: String,
    reason: String,
}

impl Action {
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
            "answered" => CaseEvent::Answered { summary: self.summary.clone() },
            "closed" => CaseEvent::Closed,
            "note_added" => CaseEvent::NoteAdded { note: self.note.clone() },
            "forwarded" => CaseEvent::Forwarded { authority: self.authority.clone() },
            "withdrawn" => CaseEvent::Withdrawn { reason: self.reason.clone() },
            _ => return Err("type"),
        })
    }
}

async fn record(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(number): Path<String>,
    Form(a): Form<Action>,
) -> Response {
    let l = visit.l();
    let refuse = |id: &str, key: &str| vec![ShownError { id: id.into(), text: l.t(key) }];
    if a.csrf != session.csrf {
        let errors = refuse("actions", "err-csrf");
        return show_case(&app, &visit, &session, &number, errors, None, StatusCode::FORBIDDEN).await;
    }
    let event = match a.event() {
        Ok(e) => e,
        Err(field) => {
            let errors = refuse(field, "staff-err-field");
            return show_case(&app, &visit, &session, &number, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match app.record_event(&session.principal, &number, event).await {
        Ok(_) => {
            let to = format!("/staff/cases/{}?done=1", crate::public::percent_encode(&number));
            Redirect::to(&to).into_response()
        }
        Err(AppError::NotFound(_)) => crate::public::not_found(&visit, &app.charter()),
        Err(AppError::Invalid(found)) => {
            // Each invalid field in the page's words: the rule's own message where it has one,
            // the general one for its code otherwise.
            let errors = found
                .iter()
                .map(|e| {
                    let own = format!("staff-err-{}", e.code);
                    let text = match l.t(&own) {
                        t if t != own => t,
                        _ => l.field_error(e, &l.t("staff-this-field")),
                    };
                    ShownError { id: e.field.clone(), text }
                })
                .collect();
            show_case(&app, &visit, &session, &number, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict(why)) => {
            let errors =
                vec![ShownError { id: "actions".into(), text: format!("{} ({why})", l.t("staff-err-not-now")) }];
            show_case(&app, &visit, &session, &number, errors, None, StatusCode::CONFLICT).await
        }
        Err(AppError::Forbidden(_)) => {
            let errors = refuse("actions", "staff-err-forbidden");
            show_case(&app, &visit, &session, &number, errors, None, StatusCode::FORBIDDEN).await
        }
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

#[derive(Template)]
#[template(path = "staff_password.html")]
struct PasswordPage {
    c: Chrome,
    who: String,
    csrf: String,
    errors: Vec<ShownError>,
    notice: Option<String>,
}

impl PasswordPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

async fn password_page(State(app): State<App>, SignedIn(session): SignedIn, visit: Visit) -> Response {
    let page = PasswordPage {
        c: visit.chrome(&app.charter(), "staff"),
        who: session.name.clone(),
        csrf: session.csrf.clone(),
        errors: Vec::new(),
        notice: None,
    };
    visit.page(StatusCode::OK, page.render(), true)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewPassword {
    csrf: String,
    current: String,
    new: String,
}

async fn change_password(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Form(f): Form<NewPassword>,
) -> Response {
    let l = visit.l();
    let (errors, notice, status) = if f.csrf != session.csrf {
        (vec![ShownError { id: "current".into(), text: l.t("err-csrf") }], None, StatusCode::FORBIDDEN)
    } else {
        match app.change_password(&session, &f.current, &f.new).await {
            Ok(()) => (Vec::new(), Some(l.t("staff-password-changed")), StatusCode::OK),
            Err(AppError::Invalid(found)) => {
                let errors = found
                    .iter()
                    .map(|e| ShownError { id: e.field.clone(), text: l.t(&format!("staff-err-{}", e.code)) })
                    .collect();
                (errors, None, StatusCode::UNPROCESSABLE_ENTITY)
            }
            Err(e) => return crate::public::failure(&app, &visit, &e),
        }
    };
    let page = PasswordPage {
        c: visit.chrome(&app.charter(), "staff"),
        who: session.name.clone(),
        csrf: session.csrf,
        errors,
        notice,
    };
    visit.page(status, page.render(), true)
}

/// The counter's form, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct Intake {
    csrf: String,
    /// Identifies this filled-in form: sending it twice registers one case.
    key: String,
    kind: String,
    channel: String,
    unit: String,
    /// A service request's service, as picked (`2079 – …`) or typed (its number or name).
    service: String,
    tier: String,
    /// The date of receipt, when earlier than today (`YYYY-MM-DD`).
    received_on: String,
    subject: String,
    text: String,
    party_type: String,
    name: String,
    email: String,
    phone: String,
    address: String,
    preferred: String,
    id_kind: String,
    national_id: String,
    eik: String,
}

/// A person found at the counter, as shown (the personal number masked).
struct Found {
    party_type: &'static str,
    name: String,
    email: String,
    phone: String,
    address: String,
    preferred: String,
    national_id: String,
}

#[derive(Template)]
#[template(path = "staff_intake.html")]
struct IntakePage {
    c: Chrome,
    who: String,
    csrf: String,
    find: String,
    found: Option<Vec<Found>>,
    f: Intake,
    units: Vec<(String, String)>,
    /// The catalogue for the service picker: `2079 – name`.
    services: Vec<String>,
    errors: Vec<ShownError>,
}

impl IntakePage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

fn intake_form(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    f: Intake,
    errors: Vec<ShownError>,
    status: StatusCode,
) -> Response {
    intake_with(app, visit, session, f, String::new(), None, errors, status)
}

#[allow(clippy::too_many_arguments)] // the page's parts, each needed once
fn intake_with(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    f: Intake,
    find: String,
    found: Option<Vec<Found>>,
    errors: Vec<ShownError>,
    status: StatusCode,
) -> Response {
    let l = visit.l();
    let units = app.charter().units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect();
    let page = IntakePage {
        c: visit.chrome(&app.charter(), "staff"),
        who: session.name.clone(),
        csrf: session.csrf.clone(),
        find,
        found,
        f,
        units,
        services: app.catalogue().services().iter().map(|s| format!("{} – {}", s.code, l.pick(&s.name))).collect(),
        errors,
    };
    visit.page(status, page.render(), true)
}

/// The service a clerk picked or typed: its number at the start (`2079 – …`, `2079`), or the
/// one service whose name matches what was typed; otherwise what was typed, for the use case
/// to refuse by name.
fn picked_service(app: &App, typed: &str) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return None;
    }
    let digits: String = typed.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        return Some(digits);
    }
    let catalogue = app.catalogue();
    match catalogue.search(typed).as_slice() {
        [one] => Some(one.code.clone()),
        _ => Some(typed.to_string()),
    }
}

/// A blank counter form with its own key.
fn blank_intake(app: &App) -> Result<Intake, AppError> {
    let key = harta_app::secrets::random_bytes::<16>()
        .map(|b| harta_app::secrets::hex(&b))
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    Ok(Intake {
        key,
        kind: "letter".into(),
        channel: "counter".into(),
        unit: app.charter().default_unit.clone(),
        ..Intake::default()
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Find {
    find: String,
}

async fn intake_page(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<Find>,
) -> Response {
    let found = if q.find.trim().is_empty() {
        None
    } else {
        match app.find_people(&session.principal, &q.find).await {
            Ok(people) => Some(
                people
                    .into_iter()
                    .map(|p| Found {
                        party_type: p.kind.as_str(),
                        name: p.name,
                        email: p.email.unwrap_or_default(),
                        phone: crate::public::phone_national(p.phone.as_deref()),
                        address: p.address.unwrap_or_default(),
                        preferred: p.preferred_channel.map(|c| c.as_str().to_string()).unwrap_or_default(),
                        national_id: p.national_id_masked.unwrap_or_default(),
                    })
                    .collect(),
            ),
            Err(AppError::Forbidden(_)) => return forbidden(&app, &visit),
            Err(e) => return crate::public::failure(&app, &visit, &e),
        }
    };
    let blank = match blank_intake(&app) {
        Ok(blank) => blank,
        Err(e) => return crate::public::failure(&app, &visit, &e),
    };
    intake_with(&app, &visit, &session, blank, q.find, found, Vec::new(), StatusCode::OK)
}

/// The counter form filled in with a person found (the details were on the page already; the
/// personal number is typed again, since it is kept only sealed).
async fn prefill(State(app): State<App>, SignedIn(session): SignedIn, visit: Visit, Form(p): Form<Intake>) -> Response {
    if p.csrf != session.csrf {
        return forbidden(&app, &visit);
    }
    let blank = match blank_intake(&app) {
        Ok(blank) => blank,
        Err(e) => return crate::public::failure(&app, &visit, &e),
    };
    let f = Intake {
        party_type: p.party_type,
        name: p.name,
        email: p.email,
        phone: p.phone,
        address: p.address,
        preferred: p.preferred,
        ..blank
    };
    intake_form(&app, &visit, &session, f, Vec::new(), StatusCode::OK)
}

#[derive(Template)]
#[template(path = "staff_receipt.html")]
struct ReceiptPage {
    c: Chrome,
    who: String,
    csrf: String,
    number: String,
    kind: &'static str,
    received: String,
    due: String,
    code: String,
    unit: String,
    applicant: String,
    subject: String,
    /// The service and tier, for a service request.
    service: Option<String>,
    /// The day of receipt, when earlier than the registration.
    received_on: Option<String>,
}

async fn intake(State(app): State<App>, SignedIn(session): SignedIn, visit: Visit, Form(f): Form<Intake>) -> Response {
    let l = visit.l();
    if f.csrf != session.csrf || f.key.len() != 32 {
        let errors = vec![ShownError { id: "kind".into(), text: l.t("err-csrf") }];
        return intake_form(&app, &visit, &session, f, errors, StatusCode::FORBIDDEN);
    }
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let organisation = f.party_type == "organisation";
    let input = RegisterCaseInput {
        kind: some(&f.kind),
        channel: some(&f.channel),
        subject: some(&f.subject),
        text: some(&f.text),
        unit: some(&f.unit),
        publish: false,
        party: PartyInput {
            kind: Some(if organisation { "organisation" } else { "person" }.into()),
            name: some(&f.name),
            email: some(&f.email),
            phone: some(&f.phone),
            address: some(&f.address),
            preferred_channel: some(&f.preferred),
            egn: some(&f.national_id).filter(|_| !organisation && f.id_kind != "lnch"),
            lnch: some(&f.national_id).filter(|_| !organisation && f.id_kind == "lnch"),
            eik: some(&f.eik).filter(|_| organisation),
        },
        // At the counter the person speaks Bulgarian unless the API says otherwise.
        language: None,
        service: picked_service(&app, &f.service).filter(|_| f.kind == "service_request"),
        tier: some(&f.tier).filter(|_| f.kind == "service_request"),
        received_on: some(&f.received_on),
    };
    match app.register_at_counter(&session.principal, &input, &f.key).await {
        Ok(done) => {
            let service = done.service.as_ref().and_then(|s| {
                let catalogue = app.catalogue();
                let found = catalogue.service(&s.code)?;
                Some(format!("{} – {} ({})", s.code, l.pick(&found.name), l.tier(s.tier)))
            });
            let page = ReceiptPage {
                c: visit.chrome(&app.charter(), "staff"),
                who: session.name.clone(),
                csrf: session.csrf.clone(),
                number: done.number.as_str().to_string(),
                kind: done.kind.as_str(),
                received: format!("{} {}", date_bg(in_sofia(done.received_at).date()), time_bg(done.received_at)),
                due: crate::public::due_text(l, &done),
                code: done.access_code.to_string(),
                unit: app.charter().unit(&done.unit).map_or(done.unit.clone(), |u| l.pick(&u.name).to_string()),
                applicant: done.applicant.clone(),
                subject: done.subject.clone(),
                service,
                received_on: done.received_on.map(date_bg),
            };
            visit.page(StatusCode::OK, page.render(), true)
        }
        Err(AppError::Invalid(found)) => {
            let errors = found
                .iter()
                .map(|e| {
                    let (id, label) = match e.field.as_str() {
                        "kind" => ("kind", "staff-kind"),
                        "channel" => ("channel", "staff-channel"),
                        "unit" => ("unit", "service-unit"),
                        "service" => ("service", "field-service"),
                        "tier" => ("tier", "service-tier"),
                        "received_on" => ("received_on", "field-received-on"),
                        "subject" => ("subject", "field-subject"),
                        "text" => ("text", "field-text"),
                        "party.name" => ("name", "field-name"),
                        "party.email" => ("email", "field-email"),
                        "party.phone" => ("phone", "field-phone"),
                        "party.address" => ("address", "field-address"),
                        "party.egn" | "party.lnch" => ("national_id", "staff-national-id"),
                        "party.eik" => ("eik", "field-eik"),
                        _ => ("preferred", "field-preferred"),
                    };
                    ShownError { id: id.into(), text: l.field_error(e, &l.t(label)) }
                })
                .collect();
            intake_form(&app, &visit, &session, f, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::Forbidden(_)) => {
            let errors = vec![ShownError { id: "kind".into(), text: l.t("staff-err-forbidden") }];
            intake_form(&app, &visit, &session, f, errors, StatusCode::FORBIDDEN)
        }
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditQuery {
    actor: String,
    action: String,
    subject: String,
    from: String,
    until: String,
    page: String,
    verify: String,
}

#[derive(Template)]
#[template(path = "staff_audit.html")]
struct AuditPage {
    c: Chrome,
    who: String,
    csrf: String,
    q: AuditQuery,
    entries: Vec<(i64, String, String, String, String, String)>,
    verdict: Option<String>,
    page: u32,
    more: bool,
    errors: Vec<ShownError>,
}

async fn audit(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<AuditQuery>,
) -> Response {
    let l = visit.l();
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let mut errors = Vec::new();
    let mut day = |field: &str, text: &str| -> Option<jiff::civil::Date> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match text.parse::<jiff::civil::Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(ShownError { id: field.into(), text: l.t("staff-err-date") });
                None
            }
        }
    };
    let from = day("from", &q.from).map(harta_domain::format::start_of_day);
    // "Until" is inclusive: entries before the start of the next day (23 or 25 hours later on
    // the days the clocks change).
    let until = day("until", &q.until).map(|d| harta_domain::format::days_in_sofia(d, d).1);
    let page = q.page.parse::<u32>().unwrap_or(1).clamp(1, 100_000);
    const PER_PAGE: u32 = 100;
    let filter = harta_app::AuditFilter {
        actor: some(&q.actor),
        action: some(&q.action),
        subject: some(&q.subject),
        from,
        until,
        limit: PER_PAGE + 1,
        offset: (page - 1) * PER_PAGE,
    };
    let mut entries = match app.audit_entries(&session.principal, filter).await {
        Ok(e) => e,
        Err(AppError::Forbidden(_)) => return forbidden(&app, &visit),
        Err(e) => return crate::public::failure(&app, &visit, &e),
    };
    let more = entries.len() > PER_PAGE as usize;
    entries.truncate(PER_PAGE as usize);
    let verdict = if q.verify == "1" {
        match app.verify_audit(&session.principal).await {
            Ok(harta_app::Verdict::Intact { entries }) => {
                Some(l.ts("staff-audit-intact", "entries", &entries.to_string()))
            }
            Ok(harta_app::Verdict::Broken { at, why }) => {
                Some(l.t_args("staff-audit-broken", &[("at", &at.to_string()), ("why", &why)]))
            }
            Err(e) => return crate::public::failure(&app, &visit, &e),
        }
    } else {
        None
    };
    let entries = entries
        .into_iter()
        .map(|e| {
            let when = format!("{} {}", date_bg(in_sofia(e.at).date()), time_bg(e.at));
            (e.seq, when, e.actor, e.action, e.subject, e.detail)
        })
        .collect();
    let page = AuditPage {
        c: visit.chrome(&app.charter(), "staff"),
        who: session.name.clone(),
        csrf: session.csrf.clone(),
        q,
        entries,
        verdict,
        page,
        more,
        errors,
    };
    visit.page(StatusCode::OK, page.render(), true)
}

/// Field errors in the page's words, each naming its field by its label (`labels`: field,
/// label key).
fn labelled_errors(
    l: crate::i18n::Localizer,
    found: &[harta_app::FieldError],
    labels: &[(&str, &str)],
) -> Vec<ShownError> {
    found
        .iter()
        .map(|e| {
            let label =
                labels.iter().find(|(field, _)| *field == e.field).map_or_else(|| e.field.clone(), |(_, key)| l.t(key));
            ShownError { id: e.field.clone(), text: l.field_error(e, &label) }
        })
        .collect()
}

/// The page for a role that may not see what it asked for.
fn forbidden(app: &App, visit: &Visit) -> Response {
    let l = visit.l();
    let (title, body) = (l.t("staff-forbidden-title"), l.t("staff-err-forbidden"));
    crate::public::error_page(visit, &app.charter(), StatusCode::FORBIDDEN, &title, &body)
}

/// A member of staff as the directory shows them.
struct Member {
    id: i64,
    number: String,
    name: String,
    role: String,
    unit: String,
    phone: String,
    email: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "staff_directory.html")]
struct DirectoryPage {
    c: Chrome,
    who: String,
    csrf: String,
    staff: Vec<Member>,
    admin: bool,
    /// The signed-in member's id (they edit their own contact details).
    me: i64,
    units: Vec<(String, String)>,
    f: NewStaffForm,
    errors: Vec<ShownError>,
    notice: Option<String>,
}

impl DirectoryPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

/// The form for a new member of staff, as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewStaffForm {
    csrf: String,
    employee_number: String,
    name: String,
    role: String,
    unit: String,
    email: String,
    phone: String,
}

async fn directory_page(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    f: NewStaffForm,
    errors: Vec<ShownError>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let l = visit.l();
    let staff = match app.staff().await {
        Ok(s) => s,
        Err(e) => return crate::public::failure(app, visit, &e),
    };
    let charter = app.charter();
    let unit_name = |code: &Option<String>| {
        code.as_deref().and_then(|c| charter.unit(c)).map_or_else(String::new, |u| l.pick(&u.name).to_string())
    };
    let staff = staff
        .iter()
        .map(|s| {
            let phone = crate::public::phone_national(s.phone.as_deref());
            Member {
                id: s.id,
                number: s.employee_number.clone(),
                name: s.name.clone(),
                role: l.t(&format!("role-{}", s.role)),
                unit: unit_name(&s.unit),
                phone,
                email: s.email.clone().unwrap_or_default(),
                active: s.active,
            }
        })
        .collect();
    let page = DirectoryPage {
        c: visit.chrome(&app.charter(), "staff"),
        who: session.name.clone(),
        csrf: session.csrf.clone(),
        staff,
        admin: session.principal.role.may_administer(),
        me: match &session.principal.actor {
            harta_domain::case::Actor::Staff { id } => id.0,
            _ => 0,
        },
        units: app.charter().units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect(),
        f,
        errors,
        notice,
    };
    visit.page(status, page.render(), true)
}

async fn directory(State(app): State<App>, SignedIn(session): SignedIn, visit: Visit) -> Response {
    directory_page(&app, &visit, &session, NewStaffForm::default(), Vec::new(), None, StatusCode::OK).await
}

async fn add_staff(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Form(f): Form<NewStaffForm>,
) -> Response {
    let l = visit.l();
    if f.csrf != session.csrf {
        let errors = vec![ShownError { id: "employee_number".into(), text: l.t("err-csrf") }];
        return directory_page(&app, &visit, &session, f, errors, None, StatusCode::FORBIDDEN).await;
    }
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let input = harta_app::administration::StaffInput {
        employee_number: some(&f.employee_number),
        name: some(&f.name),
        role: some(&f.role),
        unit: some(&f.unit),
        email: some(&f.email),
        phone: some(&f.phone),
    };
    match app.add_staff(&session.principal, &input).await {
        Ok(_) => {
            let notice = Some(l.ts("staff-directory-added", "number", f.employee_number.trim()));
            directory_page(&app, &visit, &session, NewStaffForm::default(), Vec::new(), notice, StatusCode::OK).await
        }
        Err(AppError::Invalid(found)) => {
            let labels = [
                ("employee_number", "staff-login"),
                ("name", "field-name"),
                ("role", "staff-role"),
                ("unit", "service-unit"),
                ("email", "field-email"),
                ("phone", "staff-direct-phone"),
            ];
            let errors = labelled_errors(l, &found, &labels);
            directory_page(&app, &visit, &session, f, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Forbidden(_)) => forbidden(&app, &visit),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Activate {
    csrf: String,
    active: String,
}

async fn set_active(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(id): Path<i64>,
    Form(f): Form<Activate>,
) -> Response {
    if f.csrf != session.csrf {
        return forbidden(&app, &visit);
    }
    match app.set_staff_active(&session.principal, id, f.active == "1").await {
        Ok(()) => Redirect::to("/staff/directory").into_response(),
        Err(AppError::Forbidden(_)) => forbidden(&app, &visit),
        Err(AppError::NotFound(_)) => crate::public::not_found(&visit, &app.charter()),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

#[derive(Template)]
#[template(path = "staff_totp.html")]
struct TotpPage {
    c: Chrome,
    who: String,
    csrf: String,
    /// Already in use.
    enabled: bool,
    /// The key offered: ticket, key (spaced), address.
    offer: Option<(String, String, String)>,
    errors: Vec<ShownError>,
    notice: Option<String>,
}

impl TotpPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

async fn totp_view(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    errors: Vec<ShownError>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let enabled = match app.uses_totp(session).await {
        Ok(e) => e,
        Err(e) => return crate::public::failure(app, visit, &e),
    };
    let offer = if enabled {
        None
    } else {
        match app.totp_offer(session) {
            Ok((ticket, secret, uri)) => Some((ticket, spaced(&secret), uri)),
            Err(e) => return crate::public::failure(app, visit, &e),
        }
    };
    let page = TotpPage {
        c: visit.chrome(&app.charter(), "staff"),
        who: session.name.clone(),
        csrf: session.csrf.clone(),
        enabled,
        offer,
        errors,
        notice,
    };
    visit.page(status, page.render(), true)
}

async fn totp_page(State(app): State<App>, SignedIn(session): SignedIn, visit: Visit) -> Response {
    totp_view(&app, &visit, &session, Vec::new(), None, StatusCode::OK).await
}

async fn confirm_totp(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Form(f): Form<Code>,
) -> Response {
    let l = visit.l();
    if f.csrf != session.csrf {
        return forbidden(&app, &visit);
    }
    match app.confirm_totp(&session, &f.ticket, &f.code).await {
        Ok(()) => totp_view(&app, &visit, &session, Vec::new(), Some(l.t("staff-totp-on")), StatusCode::OK).await,
        Err(AppError::Invalid(_)) => {
            let errors = vec![ShownError { id: "code".into(), text: l.t("staff-code-wrong") }];
            totp_view(&app, &visit, &session, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

/// An API token as the page lists it.
struct TokenRow {
    id: i64,
    role: String,
    unit: String,
    label: String,
    created: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "staff_tokens.html")]
struct TokensPage {
    c: Chrome,
    who: String,
    csrf: String,
    tokens: Vec<TokenRow>,
    units: Vec<(String, String)>,
    /// A token just made: shown this once.
    made: Option<String>,
    errors: Vec<ShownError>,
}

impl TokensPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

async fn tokens_view(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    made: Option<String>,
    errors: Vec<ShownError>,
    status: StatusCode,
) -> Response {
    let l = visit.l();
    let tokens = match app.tokens(&session.principal).await {
        Ok(t) => t,
        Err(AppError::Forbidden(_)) => return forbidden(app, visit),
        Err(e) => return crate::public::failure(app, visit, &e),
    };
    let charter = app.charter();
    let tokens = tokens
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            role: l.t(&format!("role-{}", t.role)),
            unit: t
                .unit
                .as_deref()
                .and_then(|u| charter.unit(u))
                .map_or_else(String::new, |u| l.pick(&u.name).to_string()),
            label: t.label,
            created: date_bg(in_sofia(t.created_at).date()),
            revoked: t.revoked,
        })
        .collect();
    let page = TokensPage {
        c: visit.chrome(&app.charter(), "staff"),
        who: session.name.clone(),
        csrf: session.csrf.clone(),
        tokens,
        units: app.charter().units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect(),
        made,
        errors,
    };
    visit.page(status, page.render(), true)
}

async fn tokens_page(State(app): State<App>, SignedIn(session): SignedIn, visit: Visit) -> Response {
    tokens_view(&app, &visit, &session, None, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewToken {
    csrf: String,
    role: String,
    unit: String,
    label: String,
}

async fn issue_token(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Form(f): Form<NewToken>,
) -> Response {
    if f.csrf != session.csrf {
        return forbidden(&app, &visit);
    }
    let l = visit.l();
    let unit = Some(f.unit.trim()).filter(|u| !u.is_empty());
    match app.issue_token(&session.principal, &f.role, unit, &f.label).await {
        Ok(token) => tokens_view(&app, &visit, &session, Some(token), Vec::new(), StatusCode::OK).await,
        Err(AppError::Invalid(found)) => {
            let labels = [("role", "staff-role"), ("unit", "service-unit"), ("label", "staff-token-label")];
            let errors = labelled_errors(l, &found, &labels);
            tokens_view(&app, &visit, &session, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Forbidden(_)) => forbidden(&app, &visit),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

async fn revoke_token(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(id): Path<i64>,
    Form(f): Form<Token>,
) -> Response {
    if f.csrf != session.csrf {
        return forbidden(&app, &visit);
    }
    match app.revoke_token(&session.principal, id).await {
        Ok(()) => Redirect::to("/staff/tokens").into_response(),
        Err(AppError::Forbidden(_)) => forbidden(&app, &visit),
        Err(AppError::NotFound(_)) => crate::public::not_found(&visit, &app.charter()),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}
