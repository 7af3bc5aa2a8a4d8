//! The charter in force, as harta read it: units, reception hours, commitments, registry
//! numbers. Administrators edit its text here (C24): checked as the charter file is, put in
//! force at once on every replica; what is wrong is named by its field and nothing changes.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::signing_in::StaffSession;
use harta_app::{App, AppError};
use harta_domain::format::in_sofia;
use serde::Deserialize;

use super::{Saved, SignedIn, forbidden};
use crate::forms::CsrfForm;
use crate::public::{Chrome, ShownError, Visit};

/// A unit as the charter page shows it.
struct UnitRow {
    code: String,
    name: String,
    phone: String,
    reception: Vec<String>,
}

/// A commitment as the charter page shows it.
struct CommitmentRow {
    kind: &'static str,
    days: String,
    index: String,
    example: String,
    promise: String,
}

#[derive(Template)]
#[template(path = "staff_charter.html")]
struct CharterPage {
    c: Chrome,
    s: super::StaffHeader,
    units: Vec<UnitRow>,
    commitments: Vec<CommitmentRow>,
    at_risk: String,
    /// The text to edit, for administrators (as stored, or as typed when refused), and the
    /// version it was begun from.
    text: Option<(String, i64)>,
    errors: Vec<ShownError>,
    notice: Option<String>,
}

async fn page(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    typed: Option<((String, i64), Vec<ShownError>)>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let l = visit.l();
    let charter = &app.charter();
    let (text, errors) = match typed {
        Some((text, errors)) => (Some(text), errors),
        None => match app.charter_to_edit(&session.principal).await {
            Ok((version, text)) => (Some((text, version)), Vec::new()),
            Err(AppError::Forbidden(_)) => (None, Vec::new()),
            Err(e) => return crate::public::failure(app, visit, &e),
        },
    };
    let page = CharterPage {
        c: visit.chrome(charter, "staff"),
        s: super::StaffHeader::of(session),
        units: charter
            .units
            .iter()
            .map(|u| UnitRow {
                code: u.code.clone(),
                name: l.pick(&u.name).to_string(),
                phone: u.phone.as_ref().map(|p| p.national()).unwrap_or_default(),
                reception: crate::public::home::windows(&u.reception, l),
            })
            .collect(),
        commitments: charter
            .commitments
            .values()
            .map(|c| CommitmentRow {
                kind: c.kind.as_str(),
                days: l.tn("working-days", "n", i64::from(c.working_days.get())),
                index: c.index.clone(),
                example: charter.registry.render(&c.index, in_sofia(app.now()).year(), 1).as_str().to_string(),
                promise: l.pick(&c.promise).to_string(),
            })
            .collect(),
        at_risk: l.tn("working-days", "n", i64::from(charter.at_risk_working_days)),
        text,
        errors,
        notice,
    };
    visit.page(status, page.render(), true)
}

pub(super) async fn show(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<Saved>,
) -> Response {
    let notice = (!q.saved.is_empty()).then(|| visit.l().t("staff-charter-saved"));
    page(&app, &visit, &session, None, notice, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Edit {
    charter: String,
    /// The stored charter's version the edit began from.
    version: Option<i64>,
}

pub(super) async fn save(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    CsrfForm(f): CsrfForm<Edit>,
) -> Response {
    let l = visit.l();
    let based_on = f.version.unwrap_or_default();
    match app.update_charter(&session.principal, &f.charter, Some(based_on)).await {
        Ok(()) => Redirect::to("/staff/charter?saved=1").into_response(),
        // Someone saved meanwhile: the text typed stays, to be merged with theirs.
        Err(AppError::Conflict { .. }) => {
            let errors = vec![ShownError { id: "charter".into(), text: l.t("staff-charter-changed-meanwhile") }];
            let current = app.charter_to_edit(&session.principal).await.map(|(v, _)| v).unwrap_or(based_on);
            page(&app, &visit, &session, Some(((f.charter, current), errors)), None, StatusCode::CONFLICT).await
        }
        Err(AppError::Invalid(found)) => {
            let errors = found
                .iter()
                .map(|e| {
                    let text = if e.code == "numbering" {
                        l.t("staff-charter-numbering")
                    } else if e.code == "units_removed" {
                        l.t("staff-charter-units-removed")
                    } else {
                        // The detail is in English: only the English page shows it.
                        l.t_args("staff-charter-invalid", &[("field", &e.field), ("detail", &e.message)])
                    };
                    ShownError { id: "charter".into(), text }
                })
                .collect();
            let typed = Some(((f.charter, based_on), errors));
            page(&app, &visit, &session, typed, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Forbidden(_)) => forbidden(&app, &visit),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}
