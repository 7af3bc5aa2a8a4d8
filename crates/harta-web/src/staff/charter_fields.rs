//! The charter's common fields as a form (administrators): contacts, deadlines, reception hours
//! and units, each checked as the charter file is and named by its label when wrong; the rest
//! of the charter stays as its text (`/staff/charter`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::charter_fields::{CharterFields, UnitFields};
use harta_app::signing_in::StaffSession;
use harta_app::{App, AppError};

use super::{SignedIn, StaffHeader};
use crate::edge::PageError;
use crate::forms::CsrfForm;
use crate::public::{Chrome, ShownError, Visit, error_for};

#[derive(Template)]
#[template(path = "staff_charter_fields.html")]
struct FieldsPage {
    c: Chrome,
    s: StaffHeader,
    f: CharterFields,
    version: i64,
    /// Units to choose the default from: code and name.
    units: Vec<(String, String)>,
    errors: Vec<ShownError>,
}

impl FieldsPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

fn view(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    (version, f): (i64, CharterFields),
    errors: Vec<ShownError>,
    status: StatusCode,
) -> Response {
    let l = visit.l();
    let units = app.charter().units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect();
    let page =
        FieldsPage { c: visit.chrome(&app.charter(), "staff"), s: StaffHeader::of(session), f, version, units, errors };
    visit.page(status, page.render(), true)
}

pub(super) async fn show(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
) -> Result<Response, PageError> {
    let fields = app.charter_fields(&session.principal).await?;
    Ok(view(&app, &visit, &session, fields, Vec::new(), StatusCode::OK))
}

/// The form as typed: flat names, the units numbered (`unit_code_0`…).
fn typed(form: &HashMap<String, String>) -> (i64, CharterFields) {
    let get = |name: &str| form.get(name).cloned().unwrap_or_default();
    let kinds = ["service_request", "letter", "complaint", "suggestion"];
    let units = (0..64)
        .map_while(|i| {
            form.contains_key(&format!("unit_code_{i}")).then(|| UnitFields {
                code: get(&format!("unit_code_{i}")),
                name_bg: get(&format!("unit_name_bg_{i}")),
                name_en: get(&format!("unit_name_en_{i}")),
                phone: get(&format!("unit_phone_{i}")),
            })
        })
        .collect();
    let fields = CharterFields {
        address_bg: get("address_bg"),
        address_en: get("address_en"),
        switchboard: get("switchboard"),
        fax: get("fax"),
        email: get("email"),
        website: get("website"),
        at_risk_working_days: get("at_risk"),
        backdate_working_days: get("backdate"),
        default_unit: get("default_unit"),
        working_days: kinds.iter().map(|k| (k.to_string(), get(&format!("days_{k}")))).collect(),
        reception: get("reception"),
        units,
    };
    (get("version").parse().unwrap_or_default(), fields)
}

/// The form field (and its label's key) a charter path is about.
fn field_of(path: &str) -> (String, String) {
    let plain = |id: &str, label: &str| (id.to_string(), label.to_string());
    match path {
        "administration.address" => plain("address_bg", "charter-address"),
        "administration.switchboard" => plain("switchboard", "footer-switchboard"),
        "administration.fax" => plain("fax", "footer-fax"),
        "administration.email" => plain("email", "footer-email"),
        "administration.website" => plain("website", "footer-website"),
        "deadlines.at_risk_working_days" => plain("at_risk", "staff-charter-at-risk"),
        "deadlines.backdate_working_days" => plain("backdate", "charter-backdate"),
        "deadlines.default_unit" => plain("default_unit", "charter-default-unit"),
        p if p.starts_with("reception") => plain("reception", "charter-reception"),
        p if p.starts_with("commitments.") => {
            let kind = p.trim_start_matches("commitments.").split('.').next().unwrap_or_default();
            (format!("days_{kind}"), format!("kind-{kind}"))
        }
        p if p.starts_with("units[") => {
            let i = p.trim_start_matches("units[").split(']').next().unwrap_or_default();
            let what = p.rsplit('.').next().unwrap_or_default();
            match what {
                "phone" => (format!("unit_phone_{i}"), "field-phone".into()),
                "code" => (format!("unit_code_{i}"), "staff-charter-code".into()),
                _ => (format!("unit_name_bg_{i}"), "service-unit".into()),
            }
        }
        _ => plain("charter", "staff-charter"),
    }
}

pub(super) async fn save(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let l = visit.l();
    let (version, fields) = typed(&form);
    match app.update_charter_fields(&session.principal, &fields, version).await {
        Ok(()) => Ok(Redirect::to("/staff/charter?saved=1").into_response()),
        Err(AppError::Invalid(found)) => {
            let errors = found
                .iter()
                .map(|e| {
                    let (id, label) = field_of(&e.field);
                    let text = match e.code {
                        "not_a_number" | "reception" => l.field_error(e, &l.t(&label)),
                        _ => l.ts("err-invalid", "field", &l.t(&label)),
                    };
                    ShownError { id, text }
                })
                .collect();
            Ok(view(&app, &visit, &session, (version, fields), errors, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict { .. }) => {
            let errors = vec![ShownError { id: "charter".into(), text: l.t("staff-charter-changed-meanwhile") }];
            let current = app.charter_fields(&session.principal).await.map(|(v, _)| v).unwrap_or(version);
            Ok(view(&app, &visit, &session, (current, fields), errors, StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}
