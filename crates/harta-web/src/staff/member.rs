//! One member of staff's contact details, which every letter they issue carries (C19): an
//! administrator edits anyone's, every member their own. Administrators also see here the
//! addresses stopped from signing in as the member, and let them try again.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::administration::ContactInput;
use harta_app::signing_in::StaffSession;
use harta_app::{Action, App, AppError};
use harta_domain::case::Actor;
use serde::Deserialize;

use super::{Saved, SignedIn, forbidden, labelled_errors};
use crate::edge::{PageError, Refusal};
use crate::forms::{CsrfForm, NoFields};
use crate::public::{Chrome, ShownError, Visit, error_for};

#[derive(Template)]
#[template(path = "staff_member.html")]
struct Page {
    c: Chrome,
    s: super::StaffHeader,
    id: i64,
    number: String,
    name: String,
    f: ContactForm,
    errors: Vec<ShownError>,
    notice: Option<String>,
    /// For administrators: the addresses stopped from signing in as the member, with their
    /// failures, one line each.
    stopped: Option<Vec<String>>,
    /// A password just set for the member: shown this once.
    made: Option<String>,
}

impl Page {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ContactForm {
    phone: String,
    email: String,
    position: String,
}

/// What the page shows besides the member: a refused form with its errors, a notice, a
/// password just set.
#[derive(Default)]
struct Shown {
    refused: Option<(ContactForm, Vec<ShownError>)>,
    notice: Option<String>,
    made: Option<String>,
}

/// Whether the signed-in member may edit member `id`.
fn may_edit(session: &StaffSession, id: i64) -> bool {
    session.principal.may(Action::ManageStaff)
        || matches!(&session.principal.actor, Actor::Staff { id: me } if me.0 == id)
}

async fn page(app: &App, visit: &Visit, session: &StaffSession, id: i64, shown: Shown, status: StatusCode) -> Response {
    let Shown { refused, notice, made } = shown;
    if !may_edit(session, id) {
        return forbidden(app, visit);
    }
    let member = match app.staff_member(id).await {
        Ok(member) => member,
        Err(e) => return crate::public::failure(app, visit, &e),
    };
    let Some(member) = member else {
        return crate::public::not_found(visit, &app.charter());
    };
    let (typed, errors) = match refused {
        Some((f, errors)) => (Some(f), errors),
        None => (None, Vec::new()),
    };
    let stopped = if session.principal.may(Action::ManageStaff) {
        match app.stopped_sign_ins(&session.principal, id).await {
            Ok(stopped) => Some(
                stopped
                    .iter()
                    .map(|(from, n)| {
                        visit.l().t_args("staff-sign-ins-stopped", &[("from", from), ("n", &n.to_string())])
                    })
                    .collect(),
            ),
            Err(e) => return crate::public::failure(app, visit, &e),
        }
    } else {
        None
    };
    let f = typed.unwrap_or_else(|| ContactForm {
        phone: crate::public::phone_national(member.phone.as_deref()),
        email: member.email.clone().unwrap_or_default(),
        position: member.position.clone().unwrap_or_default(),
    });
    let page = Page {
        c: visit.chrome(&app.charter(), "staff"),
        s: super::StaffHeader::of(session),
        id,
        number: member.employee_number,
        name: member.name,
        f,
        errors,
        notice,
        stopped,
        made,
    };
    visit.page(status, page.render(), true)
}

pub(super) async fn clear_sign_ins(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Redirect, PageError> {
    app.clear_sign_ins(&session.principal, id).await?;
    Ok(Redirect::to(&format!("/staff/directory/{id}?saved=sign-ins")))
}

pub(super) async fn save(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<ContactForm>,
) -> Response {
    let input = ContactInput { phone: f.phone.clone(), email: f.email.clone(), position: f.position.clone() };
    match app.set_staff_contact(&session.principal, id, &input).await {
        Ok(()) => Redirect::to(&format!("/staff/directory/{id}?saved=1")).into_response(),
        Err(AppError::Invalid(found)) => {
            let labels = [("phone", "staff-direct-phone"), ("email", "field-email"), ("position", "staff-position")];
            let errors = labelled_errors(visit.l(), &found, &labels);
            let shown = Shown { refused: Some((f, errors)), ..Shown::default() };
            page(&app, &visit, &session, id, shown, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Forbidden(_)) => forbidden(&app, &visit),
        Err(AppError::NotFound(_)) => crate::public::not_found(&visit, &app.charter()),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

pub(super) async fn show(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<Saved>,
) -> Response {
    let notice = match q.saved.as_str() {
        "" => None,
        "sign-ins" => Some(visit.l().t("staff-sign-ins-cleared")),
        "second-factor" => Some(visit.l().t("staff-second-factor-reset")),
        _ => Some(visit.l().t("staff-member-saved")),
    };
    page(&app, &visit, &session, id, Shown { notice, ..Shown::default() }, StatusCode::OK).await
}

/// The login of member `id`, for the use cases that take one.
async fn login_of(app: &App, id: i64) -> Result<String, PageError> {
    let member = app.staff_member(id).await?.ok_or(PageError::new(Refusal::NotFound))?;
    Ok(member.employee_number)
}

/// Sets a new password for the member (a first one, or after a forgotten one) and shows it
/// this once; the member changes it at their next sign-in.
pub(super) async fn set_password(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let password = app.reset_password(&session.principal, &login_of(&app, id).await?).await?;
    let notice = Some(visit.l().t("staff-password-set"));
    let shown = Shown { notice, made: Some(password), ..Shown::default() };
    Ok(page(&app, &visit, &session, id, shown, StatusCode::OK).await)
}

/// Forgets the member's second factor (a lost authenticator); they enrol again when they next
/// sign in.
pub(super) async fn reset_second_factor(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Redirect, PageError> {
    app.reset_second_factor(&session.principal, &login_of(&app, id).await?).await?;
    Ok(Redirect::to(&format!("/staff/directory/{id}?saved=second-factor")))
}
