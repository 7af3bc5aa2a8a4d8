//! The home page (who we are, the charter's promises, reception hours, contacts, how to
//! complain) and the accessibility statement.

use std::sync::{Arc, Mutex, PoisonError};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use harta_app::App;
use harta_domain::case::CaseKind;
use harta_domain::charter::{Charter, ReceptionWindow};
use jiff::civil::Weekday;

use super::{Chrome, Visit};
use crate::i18n::{Lang, Localizer};

/// One promise of the charter, as the home page lists it.
struct Promise {
    kind: &'static str,
    text: String,
    days: String,
}

/// A unit's reception hours.
struct Reception {
    who: String,
    windows: Vec<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    promises: Vec<Promise>,
    reception: Vec<Reception>,
    complaint_days: String,
}

/// The home page as rendered from a charter, per language: it changes only when the charter
/// does, and it is the page most visited. Keyed by the charter itself (a new charter in force
/// is a new `Arc`), so an edit shows at once.
static RENDERED: Mutex<Vec<(Arc<Charter>, Lang, String)>> = Mutex::new(Vec::new());

pub(super) async fn home(State(app): State<App>, visit: Visit) -> Response {
    let charter = &app.charter();
    // Only the plain address: a query (`?lang=en`) changes the language switch's link.
    let plain = visit.uri.query().is_none();
    if plain {
        let cache = RENDERED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, html)) = cache.iter().find(|(c, lang, _)| Arc::ptr_eq(c, charter) && *lang == visit.lang) {
            return visit.page(StatusCode::OK, Ok(html.clone()), false);
        }
    }
    let html = render(charter, &visit);
    if plain && let Ok(html) = &html {
        let mut cache = RENDERED.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|(c, _, _)| Arc::ptr_eq(c, charter));
        cache.push((charter.clone(), visit.lang, html.clone()));
    }
    visit.page(StatusCode::OK, html, false)
}

fn render(charter: &Charter, visit: &Visit) -> Result<String, askama::Error> {
    let l = visit.l();
    let promises = charter
        .commitments
        .values()
        .map(|c| Promise {
            kind: c.kind.as_str(),
            text: l.pick(&c.promise).to_string(),
            days: l.tn("working-days", "n", i64::from(c.working_days.get())),
        })
        .collect();
    let complaint_days =
        l.tn("working-days", "n", i64::from(charter.commitment(CaseKind::Complaint).working_days.get()));
    let page =
        HomePage { c: visit.chrome(charter, "home"), promises, reception: reception(charter, l), complaint_days };
    page.render()
}

/// The units with their own reception hours, then the hours of all the others.
fn reception(charter: &Charter, l: Localizer) -> Vec<Reception> {
    let mut out: Vec<Reception> = charter
        .units
        .iter()
        .filter(|u| u.reception != charter.default_reception)
        .map(|u| Reception { who: l.pick(&u.name).to_string(), windows: windows(&u.reception, l) })
        .collect();
    out.push(Reception { who: l.t("home-reception-default"), windows: windows(&charter.default_reception, l) });
    out
}

pub(crate) fn windows(windows: &[ReceptionWindow], l: Localizer) -> Vec<String> {
    windows
        .iter()
        .map(|w| {
            let day = l.t(match w.day {
                Weekday::Monday => "weekday-monday",
                Weekday::Tuesday => "weekday-tuesday",
                Weekday::Wednesday => "weekday-wednesday",
                Weekday::Thursday => "weekday-thursday",
                Weekday::Friday => "weekday-friday",
                Weekday::Saturday => "weekday-saturday",
                Weekday::Sunday => "weekday-sunday",
            });
            let hours = format!("{}, {}–{}", day, w.from.strftime("%H:%M"), w.to.strftime("%H:%M"));
            if w.by_registration { format!("{hours} ({})", l.t("home-reception-by-registration")) } else { hours }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
    c: Chrome,
    contact: String,
}

pub(super) async fn accessibility(State(app): State<App>, visit: Visit) -> Response {
    let charter = &app.charter();
    let l = visit.l();
    let days = l.tn("working-days", "n", i64::from(charter.commitment(CaseKind::Letter).working_days.get()));
    let c = visit.chrome(charter, "accessibility");
    let contact = l.t_args("a11y-contact", &[("email", &c.email), ("phone", &c.switchboard), ("days", &days)]);
    let page = AccessibilityPage { c, contact };
    visit.page(StatusCode::OK, page.render(), false)
}
