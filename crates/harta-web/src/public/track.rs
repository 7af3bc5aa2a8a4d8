//! Tracking a case with its registry number and access code: the state, the due date (and an
//! extension with its reasons, C17), information asked of the citizen (C11) and the history.

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use harta_app::cases::ContactInput;
use harta_app::tracking::Tracked;
use harta_app::{App, AppError, FieldError};
use harta_domain::deadline::DeadlineStatus;
use harta_domain::format::{date_bg, in_sofia, time_bg};
use serde::Deserialize;

use super::upload::{FormError, Read, read_form};
use super::{Chrome, ShownError, Visit, error_for};

pub(super) fn router() -> Router<App> {
    Router::new()
        .route("/track", get(blank).post(look_up))
        .route(
            "/track/information",
            axum::routing::post(information).layer(axum::extract::DefaultBodyLimit::max(super::upload::MAX_BODY)),
        )
        .route("/track/contact", axum::routing::post(contact))
        .route("/track/letter", axum::routing::post(letter))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Posted {
    csrf: String,
    number: String,
    code: String,
}

#[derive(Template)]
#[template(path = "track_form.html")]
struct FormPage {
    c: Chrome,
    number: String,
    code: String,
    errors: Vec<ShownError>,
    csrf: String,
}

impl FormPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

impl CasePage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

fn form_page(app: &App, visit: &Visit, number: String, errors: Vec<ShownError>, status: StatusCode) -> Response {
    // The code is never sent back into the page.
    let page = FormPage {
        c: visit.chrome(&app.charter(), "track"),
        number,
        code: String::new(),
        errors,
        csrf: visit.csrf.0.clone(),
    };
    visit.page(status, page.render(), true)
}

async fn blank(State(app): State<App>, visit: Visit) -> Response {
    form_page(&app, &visit, String::new(), Vec::new(), StatusCode::OK)
}

#[derive(Template)]
#[template(path = "track_case.html")]
struct CasePage {
    c: Chrome,
    csrf: String,
    ticket: String,
    errors: Vec<ShownError>,
    /// What was just done, confirmed at the top of the page.
    notice: Option<String>,
    /// The contact form's values: as stored, or as typed when they were refused.
    email: String,
    phone: String,
    address: String,
    preferred: String,
    information: String,
    open: bool,
    number: String,
    kind: &'static str,
    subject: String,
    /// The service's tier with its fee and deadline, for a service request.
    tier: Option<String>,
    state: &'static str,
    received: String,
    due: String,
    deadline: Option<(&'static str, String)>,
    extension: Option<(String, String, String)>,
    requested: Option<(String, String)>,
    /// What the deadline does while we wait for the person: `run_on`, `pause` or `restart`.
    while_waiting: &'static str,
    history: Vec<(String, &'static str)>,
    /// Place, outgoing number, kind, subject, date, text and next steps of each letter.
    letters: Vec<(i64, String, String, String, String, String, String)>,
}

async fn look_up(State(app): State<App>, visit: Visit, request: Request) -> Response {
    let headers = request.headers().clone();
    let p = match read_form::<Posted>(&app, request, None).await {
        Ok((p, _, _)) => p,
        Err(e) => return unreadable(&app, &visit, e),
    };
    let l = visit.l();
    if !visit.csrf_ok(&headers, &p.csrf) {
        let errors = vec![ShownError { id: "number".into(), text: l.t("err-csrf") }];
        return form_page(&app, &visit, p.number, errors, StatusCode::FORBIDDEN);
    }
    let mut missing = Vec::new();
    if p.number.trim().is_empty() {
        missing.push(FieldError::required("number"));
    }
    if p.code.trim().is_empty() {
        missing.push(FieldError::required("code"));
    } else if harta_domain::access_code::AccessCode::parse(&p.code).is_err() {
        missing.push(FieldError::new("code", "").with_code("access_code"));
    }
    if !missing.is_empty() {
        let errors = missing
            .iter()
            .map(|e| {
                let label = l.t(if e.field == "number" { "track-number" } else { "track-code" });
                ShownError { id: e.field.clone(), text: l.t_args(&format!("err-{}", e.code), &[("field", &label)]) }
            })
            .collect();
        return form_page(&app, &visit, p.number, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match app.track(&p.number, &p.code, &visit.from).await {
        Ok(t) => case_page(&app, &visit, t, Shown::default()),
        Err(AppError::NotFound(_)) => {
            let errors = vec![ShownError { id: "number".into(), text: l.t("track-not-found") }];
            form_page(&app, &visit, p.number, errors, StatusCode::NOT_FOUND)
        }
        Err(AppError::TooMany) => {
            let phone = app.charter().administration.switchboard.national();
            let errors = vec![ShownError { id: "number".into(), text: l.ts("track-too-many", "phone", &phone) }];
            form_page(&app, &visit, p.number, errors, StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => super::failure(&app, &visit, &e),
    }
}

/// What the case page shows besides the case: problems, a confirmation, values as typed.
#[derive(Default)]
struct Shown {
    errors: Vec<ShownError>,
    notice: Option<String>,
    typed: Option<FollowUp>,
}

/// The citizen's follow-up forms on the case page: the information asked for (C11) and new
/// contact details (C12). Both carry the ticket issued when the access code was shown.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(super) struct FollowUp {
    csrf: String,
    ticket: String,
    information: String,
    email: String,
    phone: String,
    address: String,
    preferred: String,
    /// A letter to download: its place among the case's letters.
    letter: String,
}

async fn information(State(app): State<App>, visit: Visit, request: Request) -> Response {
    let l = visit.l();
    let (p, documents, refused_files) = match follow_up_form(&app, &visit, request, true).await {
        Ok(read) => read,
        Err(refusal) => return refusal,
    };
    if !refused_files.is_empty() {
        let errors = refused_files
            .iter()
            .map(|(name, why)| ShownError {
                id: "documents".into(),
                text: l.ts(&format!("err-{}", harta_domain::Coded::code(why)), "field", name),
            })
            .collect();
        return shown_again(&app, &visit, p, errors).await;
    }
    let done = app.provide_information(&p.ticket, &p.information, &documents).await;
    follow_up(&app, &visit, p, done, "track-information-sent").await
}

async fn contact(State(app): State<App>, visit: Visit, request: Request) -> Response {
    let p = match follow_up_form(&app, &visit, request, false).await {
        Ok((p, _, _)) => p,
        Err(refusal) => return refusal,
    };
    let input = ContactInput {
        email: Some(p.email.clone()),
        phone: Some(p.phone.clone()),
        address: Some(p.address.clone()),
        preferred_channel: Some(p.preferred.clone()),
    };
    let done = app.change_contact(&p.ticket, input).await;
    follow_up(&app, &visit, p, done, "track-contact-changed").await
}

/// A letter of the case as PDF, for the citizen holding its tracking ticket.
async fn letter(State(app): State<App>, visit: Visit, request: Request) -> Response {
    let p = match follow_up_form(&app, &visit, request, false).await {
        Ok((p, _, _)) => p,
        Err(refusal) => return refusal,
    };
    let Ok(n) = p.letter.trim().parse::<i64>() else {
        return super::not_found(&visit, &app.charter());
    };
    match app.citizen_letter_pdf(&p.ticket, n).await {
        Ok((outgoing, pdf)) => crate::staff::pdf_download(&outgoing, pdf),
        Err(AppError::Unauthenticated) => expired(&app, &visit),
        Err(AppError::NotFound(_)) => super::not_found(&visit, &app.charter()),
        Err(e) => super::failure(&app, &visit, &e),
    }
}

/// A follow-up form as sent (with its documents, where `files`), or the page to answer with:
/// a body that is not a form, or a form without this visitor's anti-forgery token, is refused
/// before anything is done.
async fn follow_up_form(app: &App, visit: &Visit, request: Request, files: bool) -> Result<Read<FollowUp>, Response> {
    let headers = request.headers().clone();
    let gate = files.then(|| visit.upload_gate(&headers));
    let read = read_form::<FollowUp>(app, request, gate).await.map_err(|e| unreadable(app, visit, e))?;
    if !visit.csrf_ok(&headers, &read.0.csrf) {
        let errors = vec![ShownError { id: "number".into(), text: visit.l().t("err-csrf") }];
        return Err(form_page(app, visit, String::new(), errors, StatusCode::FORBIDDEN));
    }
    Ok(read)
}

/// The case page after a follow-up form: confirmed, or with the problems and what was typed.
async fn follow_up(
    app: &App,
    visit: &Visit,
    p: FollowUp,
    done: Result<Tracked, AppError>,
    confirmation: &str,
) -> Response {
    let l = visit.l();
    match done {
        Ok(t) => case_page(app, visit, t, Shown { notice: Some(l.t(confirmation)), ..Shown::default() }),
        Err(AppError::Invalid(found)) => {
            let errors = found
                .iter()
                .map(|e| {
                    let (id, label) = match e.field.as_str() {
                        "information" => ("information", "track-information"),
                        "documents" => ("documents", "field-documents"),
                        "email" => ("email", "field-email"),
                        "phone" => ("phone", "field-phone"),
                        "address" => ("address", "field-address"),
                        _ => ("preferred", "field-preferred"),
                    };
                    ShownError { id: id.into(), text: l.field_error(e, &l.t(label)) }
                })
                .collect();
            shown_again(app, visit, p, errors).await
        }
        Err(AppError::Unauthenticated) => expired(app, visit),
        Err(AppError::Conflict { .. }) => {
            let errors = vec![ShownError { id: "number".into(), text: l.t("track-not-now") }];
            form_page(app, visit, String::new(), errors, StatusCode::CONFLICT)
        }
        Err(e) => super::failure(app, visit, &e),
    }
}

/// The case page again with the problems of a refused follow-up form and what was typed.
async fn shown_again(app: &App, visit: &Visit, p: FollowUp, errors: Vec<ShownError>) -> Response {
    match app.track_again(&p.ticket).await {
        Ok(t) => {
            let page = case_page(app, visit, t, Shown { errors, notice: None, typed: Some(p) });
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
        Err(_) => expired(app, visit),
    }
}

/// The tracking form again, saying why a posted form could not be read (too large, not a form,
/// not UTF-8) in the visitor's language.
fn unreadable(app: &App, visit: &Visit, e: FormError) -> Response {
    let (key, status) = match e {
        FormError::TooLarge => ("err-body-too-large", StatusCode::PAYLOAD_TOO_LARGE),
        FormError::Unreadable => ("err-encoding-form", StatusCode::BAD_REQUEST),
        FormError::Stalled => ("err-body-stalled", StatusCode::REQUEST_TIMEOUT),
        FormError::Store(e) => return super::failure(app, visit, &AppError::internal(e)),
        FormError::App(e) => return super::failure(app, visit, &e),
    };
    let errors = vec![ShownError { id: "number".into(), text: visit.l().t(key) }];
    form_page(app, visit, String::new(), errors, status)
}

/// The ticket ran out (or was altered): show the code again.
fn expired(app: &App, visit: &Visit) -> Response {
    let errors = vec![ShownError { id: "number".into(), text: visit.l().t("track-expired") }];
    form_page(app, visit, String::new(), errors, StatusCode::UNAUTHORIZED)
}

fn case_page(app: &App, visit: &Visit, t: Tracked, shown: Shown) -> Response {
    let l = visit.l();
    let case = &t.case;
    let party = &case.party;
    let typed = shown.typed.unwrap_or_else(|| FollowUp {
        email: party.email.clone().unwrap_or_default(),
        phone: super::phone_national(party.phone.as_deref()),
        address: party.address.clone().unwrap_or_default(),
        preferred: party.preferred_channel.map(|c| c.as_str().to_string()).unwrap_or_default(),
        ..FollowUp::default()
    });
    let deadline = t.deadline.map(|d| {
        let text = match d {
            DeadlineStatus::OnTrack { working_days_left: n } | DeadlineStatus::AtRisk { working_days_left: n } => {
                l.ts(&format!("deadline-{}", d.as_str()), "days", &l.tn("working-days", "n", i64::from(n)))
            }
            DeadlineStatus::DueToday => l.t("deadline-due_today"),
            DeadlineStatus::Overdue { working_days_late: n } => {
                l.ts("deadline-overdue", "days", &l.tn("working-days", "n", i64::from(n)))
            }
        };
        (d.as_str(), text)
    });
    let page = CasePage {
        c: visit.chrome(&app.charter(), "track"),
        csrf: visit.csrf.0.clone(),
        ticket: t.ticket.clone(),
        errors: shown.errors,
        notice: shown.notice,
        email: typed.email,
        phone: typed.phone,
        address: typed.address,
        preferred: typed.preferred,
        information: typed.information,
        open: case.state.is_open(),
        number: case.registry_number.clone(),
        kind: case.kind.as_str(),
        subject: match &case.service {
            // The service's name in the page's language.
            Some(s) => app
                .catalogue()
                .service(&s.code)
                .map_or_else(|| case.subject.clone(), |found| format!("{} {}", s.code, l.pick(&found.name))),
            None => case.subject.clone(),
        },
        tier: case.service.as_ref().map(|s| l.tier(s.tier)),
        state: case.state.as_str(),
        received: date_bg(in_sofia(case.received_at).date()),
        due: date_bg(case.original_due),
        deadline,
        extension: t.holding_reply.map(|(reasons, needed, date)| (date_bg(date), reasons, needed)),
        requested: t.information_requested.map(|(what, by)| (what, date_bg(by))),
        while_waiting: app.charter().commitment(t.case.kind).while_waiting.as_str(),
        history: t
            .history
            .iter()
            .map(|(at, name)| (format!("{} {}", date_bg(in_sofia(*at).date()), time_bg(*at)), *name))
            .collect(),
        letters: t
            .letters
            .into_iter()
            .map(|x| {
                let kind = l.t(&format!("letter-kind-{}", x.kind.as_str()));
                (x.n, x.number, kind, x.subject, date_bg(in_sofia(x.issued_at).date()), x.body, x.next_steps)
            })
            .collect(),
    };
    visit.page(StatusCode::OK, page.render(), true)
}
