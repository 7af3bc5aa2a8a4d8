//! The staff workspace: sign-in, the deadline inbox, the case page with its life-cycle actions,
//! and the password change. Every page needs a live session; every form carries the session's
//! anti-forgery token; what a member of staff may see and do is decided in `harta-app`, so a
//! case of another unit is "not found" here exactly as in the API.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use harta_app::signing_in::{SignIn, StaffSession};
use harta_app::{App, AppError};
use harta_domain::deadline::DeadlineStatus;
use harta_domain::format::{date_bg, in_sofia};
use serde::Deserialize;

use crate::public::{Chrome, ShownError, Visit, cookie, error_for};

mod audit;
mod case;
mod catalogue;
mod charter;
mod documents;
mod inbox;
mod intake;
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
        .route("/staff", get(inbox::inbox))
        .route("/staff/cases/{number}", get(case::case_page))
        .route("/staff/cases/{number}/events", post(case::record))
        .route("/staff/cases/{number}/documents/{id}", get(documents::open))
        .route(
            "/staff/cases/{number}/documents",
            post(documents::add).layer(axum::extract::DefaultBodyLimit::max(crate::public::upload::MAX_BODY)),
        )
        .route("/staff/password", get(password_page).post(change_password))
        .route("/staff/intake", get(intake::intake_page).post(intake::intake))
        .route("/staff/intake/prefill", post(intake::prefill))
        .route("/staff/audit", get(audit::audit))
        .route("/staff/totp", get(totp_page).post(confirm_totp))
        .route("/staff/tokens", get(tokens_page).post(issue_token))
        .route("/staff/charter", get(charter::show).post(charter::save))
        .route("/staff/tokens/{id}/revoke", post(revoke_token))
        .route("/staff/directory", get(directory).post(add_staff))
        .route("/staff/directory/{id}/active", post(set_active))
        .route("/staff/directory/{id}", get(member::show))
        .route("/staff/directory/{id}/contact", post(member::save))
        .route("/staff/directory/{id}/sign-ins", post(member::clear_sign_ins))
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
    position: String,
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
    position: String,
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
                position: s.position.clone().unwrap_or_default(),
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
        position: some(&f.position),
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
                ("position", "staff-position"),
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
        Err(AppError::Invalid(_)) => {
            let errors = vec![ShownError { id: "directory".into(), text: visit.l().t("staff-last-administrator") }];
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            directory_page(&app, &visit, &session, NewStaffForm::default(), errors, None, status).await
        }
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
