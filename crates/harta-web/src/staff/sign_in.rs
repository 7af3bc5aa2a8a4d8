//! Signing in and out: the password, then the second factor (or its enrolment), and a session
//! cookie that only the workspace receives.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use harta_app::signing_in::SignIn;
use harta_app::{App, AppError};
use serde::Deserialize;

use super::{SESSION_COOKIE, SignedIn, spaced};
use crate::edge::PageError;
use crate::forms::{CsrfForm, NoFields};
use crate::public::{Chrome, ShownError, Visit, cookie, error_for, set_cookie};

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

pub(super) async fn sign_in_page(State(app): State<App>, visit: Visit) -> Response {
    sign_in_form(&app, &visit, String::new(), None, StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Credentials {
    login: String,
    password: String,
}

pub(super) async fn sign_in(State(app): State<App>, visit: Visit, CsrfForm(f): CsrfForm<Credentials>) -> Response {
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
        Err(e) => PageError::of(&e).render(&visit, &app),
    }
}

/// Into the workspace with a new session cookie.
fn with_session(visit: &Visit, token: &str) -> Response {
    let mut response = Redirect::to("/staff").into_response();
    set_cookie(response.headers_mut(), session_cookie(token.to_string(), visit.https));
    response
}

#[derive(Template)]
#[template(path = "staff_second_factor.html")]
struct SecondStepPage {
    c: Chrome,
    csrf: String,
    ticket: String,
    /// When enrolling: the secret to type into the app, its address, and the address as a QR
    /// code (SVG).
    enrol: Option<(String, String, String)>,
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
    let enrol = match enrol.map(|(secret, uri)| super::account::qr_svg(&uri).map(|qr| (secret, uri, qr))).transpose() {
        Ok(enrol) => enrol,
        Err(e) => return e.render(visit, app),
    };
    let page =
        SecondStepPage { c: visit.chrome(&app.charter(), "staff"), csrf: visit.csrf.0.clone(), ticket, enrol, errors };
    visit.page(status, page.render(), true)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Code {
    pub ticket: String,
    pub code: String,
    secret: String,
    uri: String,
}

pub(super) async fn second_factor(State(app): State<App>, visit: Visit, CsrfForm(f): CsrfForm<Code>) -> Response {
    let enrol = (!f.secret.is_empty()).then(|| (f.secret.clone(), f.uri.clone()));
    match app.second_factor(&f.ticket, &f.code, &visit.from).await {
        Ok(token) => with_session(&visit, &token),
        Err(AppError::Unauthenticated) => {
            second_step(&app, &visit, f.ticket, enrol, Some("staff-code-wrong"), StatusCode::UNAUTHORIZED)
        }
        Err(AppError::TooMany) => {
            sign_in_form(&app, &visit, String::new(), Some("staff-sign-in-locked"), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => PageError::of(&e).render(&visit, &app),
    }
}

/// Ends the session (the form proves it is this session's) and forgets its cookie.
pub(super) async fn sign_out(
    State(app): State<App>,
    _: SignedIn,
    headers: HeaderMap,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    app.sign_out(&cookie(&headers, SESSION_COOKIE).unwrap_or_default()).await?;
    let mut response = Redirect::to("/staff/sign-in").into_response();
    let mut gone = session_cookie(String::new(), false);
    gone.make_removal();
    set_cookie(response.headers_mut(), gone);
    Ok(response)
}

/// The session cookie: sent only to the workspace, never to scripts, never from other sites.
fn session_cookie(token: String, https: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/staff")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(https)
        .build()
}
