//! The catalogue of administrative services (C2): a searchable list, a page per service and a
//! printable brochure per service, in normal or large print (C6).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use harta_app::App;
use harta_domain::catalogue::{Service, Tier};

use super::{Chrome, Visit};

pub(super) fn router() -> Router<App> {
    Router::new()
        .route("/services", get(list))
        .route("/services/{code}", get(show))
        .route("/services/{code}/brochure", get(brochure))
}

/// A service as a page shows it, in the page's language.
struct Shown {
    code: String,
    name: String,
    purpose: String,
    who: String,
    documents: Vec<String>,
    /// Each tier: its name, fee and deadline in words.
    tiers: Vec<(String, String, String)>,
    /// What the amounts and terms do not say.
    notes: Vec<String>,
    /// The first tier's deadline, for the list.
    deadline: String,
    /// Where and within what time a refusal is appealed.
    appeal: Option<String>,
    unit: String,
    how: String,
}

fn shown(app: &App, visit: &Visit, s: &Service) -> Shown {
    let l = visit.l();
    let unit = app.charter().unit(&s.unit).map_or_else(|| s.unit.clone(), |u| l.pick(&u.name).to_string());
    Shown {
        code: s.code.clone(),
        name: l.pick(&s.name).to_string(),
        purpose: l.pick(&s.purpose).to_string(),
        who: l.pick(&s.who).to_string(),
        documents: s.documents.iter().map(|d| l.pick(d).to_string()).collect(),
        tiers: s.tiers.iter().map(|t| (l.tier(t.tier), l.fee(t.fee), tier_deadline(app, &l, t))).collect(),
        notes: [&s.fee_note, &s.deadline_note].into_iter().flatten().map(|n| l.pick(n).to_string()).collect(),
        deadline: s.tiers.first().map(|t| tier_deadline(app, &l, t)).unwrap_or_default(),
        appeal: s
            .appeal
            .as_ref()
            .map(|a| l.t_args("service-appeal-text", &[("body", l.pick(&a.body)), ("days", &a.days.to_string())])),
        unit,
        how: l.pick(&s.how).to_string(),
    }
}

/// A tier's deadline in words: its own, or the charter's commitment for service requests.
pub(crate) fn tier_deadline(app: &App, l: &crate::i18n::Localizer, tier: &Tier) -> String {
    let commitment = app.charter().commitment(harta_domain::case::CaseKind::ServiceRequest).working_days;
    l.deadline_rule(tier.deadline.unwrap_or(harta_domain::deadline::DeadlineRule::WorkingDays(commitment)))
}

#[derive(serde::Deserialize)]
pub(super) struct Search {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "services.html")]
struct ListPage {
    c: Chrome,
    q: String,
    found: Vec<Shown>,
    found_text: String,
}

async fn list(State(app): State<App>, visit: Visit, Query(search): Query<Search>) -> Response {
    // A query longer than any service name cannot match; it is cut rather than refused.
    let q: String = search.q.unwrap_or_default().trim().chars().take(100).collect();
    let found: Vec<Shown> = app.catalogue().search(&q).into_iter().map(|s| shown(&app, &visit, s)).collect();
    let found_text = visit.l().tn("services-found", "n", i64::try_from(found.len()).unwrap_or(i64::MAX));
    let page = ListPage { c: visit.chrome(&app.charter(), "services"), q, found, found_text };
    visit.page(StatusCode::OK, page.render(), false)
}

#[derive(Template)]
#[template(path = "service.html")]
struct ServicePage {
    c: Chrome,
    s: Shown,
}

async fn show(State(app): State<App>, visit: Visit, Path(code): Path<String>) -> Response {
    match app.catalogue().service(&code) {
        Some(s) => {
            let page = ServicePage { s: shown(&app, &visit, s), c: visit.chrome(&app.charter(), "services") };
            visit.page(StatusCode::OK, page.render(), false)
        }
        None => super::not_found(&visit, &app.charter()),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct Print {
    large: Option<String>,
}

#[derive(Template)]
#[template(path = "brochure.html")]
struct BrochurePage {
    c: Chrome,
    s: Shown,
    large: bool,
}

async fn brochure(State(app): State<App>, visit: Visit, Path(code): Path<String>, Query(p): Query<Print>) -> Response {
    match app.catalogue().service(&code) {
        Some(s) => {
            let page = BrochurePage {
                s: shown(&app, &visit, s),
                c: visit.chrome(&app.charter(), "services"),
                large: p.large.is_some_and(|v| v == "1"),
            };
            visit.page(StatusCode::OK, page.render(), false)
        }
        None => super::not_found(&visit, &app.charter()),
    }
}
