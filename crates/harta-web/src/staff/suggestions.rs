//! Moderating the suggestions board (C3): the suggestions whose authors agreed to publication,
//! undecided first, each with its author's words and a form to publish it in an approved wording
//! (personal data taken out) or to take it off the board.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::signing_in::StaffSession;
use harta_app::{App, AppError};
use harta_domain::format::{date_bg, in_sofia};
use serde::Deserialize;

use super::{SignedIn, forbidden};
use crate::forms::CsrfForm;
use crate::public::{Chrome, Visit};

/// One suggestion as the page shows it.
struct Row {
    number: String,
    received: String,
    unit: String,
    state: String,
    body: String,
    /// `published`, `withdrawn` (decided not to show) or `undecided`.
    decision: &'static str,
    /// The wording to approve: the one approved before, else the author's own.
    wording: String,
    /// The refusal to show under this suggestion's form, if its last sending was refused.
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "staff_suggestions.html")]
struct Page {
    c: Chrome,
    s: super::StaffHeader,
    rows: Vec<Row>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Done {
    done: String,
    published: String,
}

async fn page(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    notice: Option<String>,
    refused: Option<(&str, String, String)>,
    status: StatusCode,
) -> Response {
    let l = visit.l();
    let found = match app.publication_candidates(&session.principal).await {
        Ok(found) => found,
        Err(AppError::Forbidden(_)) => return forbidden(app, visit),
        Err(e) => return crate::public::failure(app, visit, &e),
    };
    let rows = found
        .into_iter()
        .map(|c| {
            let (decision, approved) = match c.decision {
                Some((true, text)) => ("published", Some(text)),
                Some((false, text)) => ("withdrawn", Some(text)),
                None => ("undecided", None),
            };
            let (wording, error) = match &refused {
                Some((number, typed, why)) if *number == c.registry_number => (typed.clone(), Some(why.clone())),
                _ => (approved.unwrap_or_else(|| c.body.clone()), None),
            };
            Row {
                received: date_bg(in_sofia(c.received_at).date()),
                unit: app.charter().unit(&c.unit).map_or(c.unit.clone(), |u| l.pick(&u.name).to_string()),
                state: l.t(&format!("state-{}", c.state.as_str())),
                number: c.registry_number,
                body: c.body,
                decision,
                wording,
                error,
            }
        })
        .collect();
    let page = Page { c: visit.chrome(&app.charter(), "staff"), s: super::StaffHeader::of(session), rows, notice };
    visit.page(status, page.render(), true)
}

pub(super) async fn list(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<Done>,
) -> Response {
    let l = visit.l();
    // The notice names the case from the query only if it looks like a registry number.
    let number = app.charter().registry.parse(q.done.trim()).ok();
    let notice = number.map(|n| {
        let key = if q.published == "yes" {
            "staff-suggestions-published-notice"
        } else {
            "staff-suggestions-withdrawn-notice"
        };
        l.ts(key, "number", n.as_str())
    });
    page(&app, &visit, &session, notice, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Decision {
    publish: String,
    text: String,
}

pub(super) async fn decide(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(number): Path<String>,
    CsrfForm(f): CsrfForm<Decision>,
) -> Response {
    let publish = f.publish == "yes";
    match app.decide_publication(&session.principal, &number, publish, Some(&f.text)).await {
        Ok(()) => {
            let published = if publish { "yes" } else { "no" };
            Redirect::to(&format!(
                "/staff/suggestions?done={}&published={published}",
                crate::public::percent_encode(&number)
            ))
            .into_response()
        }
        Err(AppError::Invalid(found)) => {
            let l = visit.l();
            let label = l.t("staff-suggestions-wording");
            let why = found.first().map(|e| l.field_error(e, &label)).unwrap_or_default();
            page(&app, &visit, &session, None, Some((&number, f.text.clone(), why)), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(AppError::Forbidden(_)) => forbidden(&app, &visit),
        Err(AppError::NotFound(_) | AppError::Conflict { .. }) => crate::public::not_found(&visit, &app.charter()),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}
