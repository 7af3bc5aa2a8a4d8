//! The staff directory: everyone's contacts for colleagues, and for administrators adding
//! members, (de)activating them, a first password and a reset of a lost second factor.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::signing_in::StaffSession;
use harta_app::{Action, App, AppError};
use serde::Deserialize;

use super::{SignedIn, StaffHeader, labelled_errors};
use crate::edge::PageError;
use crate::forms::CsrfForm;
use crate::public::{Chrome, ShownError, Visit, error_for};

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
    s: StaffHeader,
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
pub(super) struct NewStaffForm {
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
) -> Result<Response, PageError> {
    let l = visit.l();
    let staff = app.staff().await?;
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
        s: StaffHeader::of(session),
        staff,
        admin: session.principal.may(Action::ManageStaff),
        me: match &session.principal.actor {
            harta_domain::case::Actor::Staff { id } => id.0,
            _ => 0,
        },
        units: app.charter().units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect(),
        f,
        errors,
        notice,
    };
    Ok(visit.page(status, page.render(), true))
}

pub(super) async fn directory(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
) -> Result<Response, PageError> {
    directory_page(&app, &visit, &session, NewStaffForm::default(), Vec::new(), None, StatusCode::OK).await
}

pub(super) async fn add_staff(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    CsrfForm(f): CsrfForm<NewStaffForm>,
) -> Result<Response, PageError> {
    let l = visit.l();
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
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Activate {
    active: String,
}

pub(super) async fn set_active(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Activate>,
) -> Result<Response, PageError> {
    match app.set_staff_active(&session.principal, id, f.active == "1").await {
        Ok(()) => Ok(Redirect::to("/staff/directory").into_response()),
        Err(AppError::Invalid(_)) => {
            let errors = vec![ShownError { id: "directory".into(), text: visit.l().t("staff-last-administrator") }];
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            directory_page(&app, &visit, &session, NewStaffForm::default(), errors, None, status).await
        }
        Err(e) => Err(e.into()),
    }
}
