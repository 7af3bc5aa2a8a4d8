//! API tokens for the systems that call harta (administrators): made (shown once), listed and
//! revoked, each audited.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use harta_app::signing_in::StaffSession;
use harta_app::{App, AppError};
use harta_domain::format::{date_bg, in_sofia};
use serde::Deserialize;

use super::{SignedIn, StaffHeader, labelled_errors};
use crate::edge::PageError;
use crate::forms::{CsrfForm, NoFields};
use crate::public::{Chrome, ShownError, Visit, error_for};

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
    s: StaffHeader,
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
) -> Result<Response, PageError> {
    let l = visit.l();
    let tokens = app.tokens(&session.principal).await?;
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
        s: StaffHeader::of(session),
        tokens,
        units: app.charter().units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect(),
        made,
        errors,
    };
    Ok(visit.page(status, page.render(), true))
}

pub(super) async fn tokens_page(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
) -> Result<Response, PageError> {
    tokens_view(&app, &visit, &session, None, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewToken {
    role: String,
    unit: String,
    label: String,
}

pub(super) async fn issue_token(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    CsrfForm(f): CsrfForm<NewToken>,
) -> Result<Response, PageError> {
    let l = visit.l();
    let unit = Some(f.unit.trim()).filter(|u| !u.is_empty());
    match app.issue_token(&session.principal, &f.role, unit, &f.label).await {
        Ok(token) => tokens_view(&app, &visit, &session, Some(token), Vec::new(), StatusCode::OK).await,
        Err(AppError::Invalid(found)) => {
            let labels = [("role", "staff-role"), ("unit", "service-unit"), ("label", "staff-token-label")];
            let errors = labelled_errors(l, &found, &labels);
            tokens_view(&app, &visit, &session, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn revoke_token(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Redirect, PageError> {
    app.revoke_token(&session.principal, id).await?;
    Ok(Redirect::to("/staff/tokens"))
}
