//! The jobs harta runs after the change that causes them (mail, faxes), for administrators:
//! what failed and what waits, with retry and cancel, each audited.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use harta_app::App;
use harta_app::delivering::JobFilter;
use harta_domain::format::{date_bg, in_sofia, time_bg};
use serde::Deserialize;

use super::{SignedIn, StaffHeader};
use crate::edge::PageError;
use crate::forms::{CsrfForm, NoFields};
use crate::public::{Chrome, Visit};

/// A job as the page lists it.
struct JobRow {
    id: i64,
    kind: String,
    case: String,
    created: String,
    next: String,
    attempts: i64,
    outcome: String,
    error: String,
    /// Whether it failed (it may be retried) or waits (it may be cancelled).
    failed: bool,
    waiting: bool,
}

#[derive(Template)]
#[template(path = "staff_jobs.html")]
struct JobsPage {
    c: Chrome,
    s: StaffHeader,
    show: &'static str,
    jobs: Vec<JobRow>,
    notice: Option<String>,
    refused: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Show {
    show: String,
    saved: String,
    refused: String,
}

fn when(at: jiff::Timestamp) -> String {
    format!("{} {}", date_bg(in_sofia(at).date()), time_bg(at))
}

pub(super) async fn list(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<Show>,
) -> Result<Response, PageError> {
    let l = visit.l();
    let (filter, show) = match q.show.as_str() {
        "waiting" => (JobFilter::Waiting, "waiting"),
        "all" => (JobFilter::All, "all"),
        _ => (JobFilter::Failed, "failed"),
    };
    let jobs = app
        .jobs(&session.principal, filter)
        .await?
        .into_iter()
        .map(|j| JobRow {
            id: j.id,
            kind: l.t(&format!("job-{}", j.kind)),
            case: j.registry_number.unwrap_or_default(),
            created: when(j.created_at),
            next: if j.finished_at.is_none() { when(j.run_at) } else { String::new() },
            attempts: j.attempts,
            outcome: l.t(&format!("job-outcome-{}", j.outcome.as_deref().unwrap_or("waiting"))),
            error: j.last_error.unwrap_or_default(),
            failed: j.outcome.as_deref() == Some("failed"),
            waiting: j.finished_at.is_none(),
        })
        .collect();
    let refused = super::deliveries::refusal_words(l, "job-refused", &q.refused);
    let page = JobsPage {
        c: visit.chrome(&app.charter(), "staff"),
        s: StaffHeader::of(&session),
        show,
        jobs,
        notice: (!q.saved.is_empty()).then(|| l.t("staff-done")),
        refused,
    };
    Ok(visit.page(StatusCode::OK, page.render(), true))
}

/// Runs a failed job again now.
pub(super) async fn retry(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Redirect, PageError> {
    answer(app.retry_job(&session.principal, id).await)
}

/// Cancels a job that has not finished.
pub(super) async fn cancel(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Redirect, PageError> {
    answer(app.cancel_job(&session.principal, id).await)
}

fn answer(done: Result<(), harta_app::AppError>) -> Result<Redirect, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to("/staff/jobs?saved=1")),
        Err(harta_app::AppError::Conflict { code, .. }) => Ok(Redirect::to(&format!("/staff/jobs?refused={code}"))),
        Err(e) => Err(e.into()),
    }
}
