//! The staff workspace, one module for each thing the staff do: sign in, work the inbox and a
//! case, register at the counter, keep the directory, tokens, catalogue, charter and audit.
//! Every page needs a live session ([`SignedIn`]); every form is a [`CsrfForm`] carrying the
//! session's anti-forgery token; what a member of staff may see and do is decided in
//! `harta-app`, so a case of another unit is "not found" here exactly as in the API.
//!
//! [`CsrfForm`]: crate::forms::CsrfForm

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{get, post};
use harta_app::signing_in::StaffSession;
use harta_app::{Action, App};
use harta_domain::deadline::DeadlineStatus;
use serde::Deserialize;

use crate::edge::{PageError, Refusal};
use crate::public::{ShownError, Visit, cookie};

mod account;
mod audit;
mod audit_words;
mod calendar;
mod case;
mod catalogue;
mod charter;
mod charter_fields;
mod deliveries;
mod directory;
mod documents;
mod exports;
mod inbox;
mod intake;
mod jobs;
mod letters;
mod member;
mod performance;
mod sign_in;

pub(crate) use letters::pdf_download;
mod suggestions;
mod tokens;

/// The session cookie: a random token, only its hash stored; sent only to the workspace.
const SESSION_COOKIE: &str = "harta_session";

/// The workspace's routes.
pub fn router() -> Router<App> {
    Router::new()
        .route("/staff/sign-in", get(sign_in::sign_in_page).post(sign_in::sign_in))
        .route("/staff/sign-in/code", post(sign_in::second_factor))
        .route("/staff/sign-out", post(sign_in::sign_out))
        .route("/staff", get(inbox::inbox))
        .route("/staff/cases/{number}", get(case::case_page))
        .route("/staff/cases/{number}/events", post(case::record))
        .route("/staff/cases/{number}/documents/{id}", get(documents::open))
        .route(
            "/staff/cases/{number}/documents",
            post(documents::add).layer(axum::extract::DefaultBodyLimit::max(crate::public::upload::MAX_BODY)),
        )
        .route("/staff/password", get(account::password_page).post(account::change_password))
        .route("/staff/intake", get(intake::intake_page).post(intake::intake))
        .route("/staff/intake/prefill", post(intake::prefill))
        .route("/staff/audit", get(audit::audit))
        .route("/staff/totp", get(account::totp_page).post(account::confirm_totp))
        .route("/staff/tokens", get(tokens::tokens_page).post(tokens::issue_token))
        .route("/staff/charter", get(charter::show).post(charter::save))
        .route("/staff/charter/fields", get(charter_fields::show).post(charter_fields::save))
        .route("/staff/tokens/{id}/revoke", post(tokens::revoke_token))
        .route("/staff/calendar", get(calendar::show).post(calendar::add))
        .route("/staff/calendar/remove", post(calendar::remove))
        .route("/staff/directory", get(directory::directory).post(directory::add_staff))
        .route("/staff/directory/{id}/active", post(directory::set_active))
        .route("/staff/directory/{id}", get(member::show))
        .route("/staff/directory/{id}/contact", post(member::save))
        .route("/staff/directory/{id}/sign-ins", post(member::clear_sign_ins))
        .route("/staff/directory/{id}/password", post(member::set_password))
        .route("/staff/directory/{id}/second-factor", post(member::reset_second_factor))
        .route("/staff/services", get(catalogue::list))
        .route("/staff/services/{code}", get(catalogue::edit).post(catalogue::save))
        .route("/staff/suggestions", get(suggestions::list))
        .route("/staff/suggestions/{number}", post(suggestions::decide))
        .route("/staff/cases/{number}/letters/new", get(letters::new))
        .route("/staff/cases/{number}/letters", post(letters::post))
        .route("/staff/cases/{number}/letters/{n}", get(letters::show))
        .route("/staff/cases/{number}/letters/{n}/pdf", get(letters::pdf))
        .route("/staff/cases/{number}/letters/{n}/deliveries", post(deliveries::again))
        .route("/staff/deliveries/{view}", get(deliveries::list))
        .route("/staff/deliveries/post/print", get(deliveries::print))
        .route("/staff/deliveries/post/posted", post(deliveries::posted))
        .route("/staff/delivery/{id}", post(deliveries::done))
        .route("/staff/jobs", get(jobs::list))
        .route("/staff/performance", get(performance::dashboard))
        .route("/staff/performance/annual", get(performance::annual))
        .route("/staff/export/{file}", get(exports::export))
        .route("/staff/jobs/{id}/retry", post(jobs::retry))
        .route("/staff/jobs/{id}/cancel", post(jobs::cancel))
}

/// The query of a page shown again after a save (`?saved=…`), to confirm it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Saved {
    saved: String,
}

/// The signed-in member of staff, taken from the request like any extractor: without a live
/// session the answer is the way to the sign-in page. The session is left in the request's
/// extensions for the [`CsrfForm`](crate::forms::CsrfForm) that checks its token.
struct SignedIn(StaffSession);

impl FromRequestParts<App> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, PageError> {
        let token = cookie(&parts.headers, SESSION_COOKIE).unwrap_or_default();
        let session = app.staff_session(&token).await?;
        // A password an administrator set is changed before anything else is done.
        let changing = matches!(parts.uri.path(), "/staff/password" | "/staff/sign-out");
        if session.must_change_password && !changing {
            return Err(PageError::new(Refusal::ChangePassword));
        }
        parts.extensions.insert(session.clone());
        Ok(Self(session))
    }
}

/// What the header of every staff page shows: who is signed in, the session's token for its
/// forms (sign-out among them), and the sections the member's role opens.
pub(crate) struct StaffHeader {
    pub who: String,
    pub csrf: String,
    /// Sections of the navigation the role may use.
    pub intake: bool,
    pub admin: bool,
    pub catalogue: bool,
    pub audit: bool,
    pub suggestions: bool,
    pub deliveries: bool,
    pub jobs: bool,
    pub performance: bool,
}

impl StaffHeader {
    pub fn of(session: &StaffSession) -> Self {
        let may = |action| session.principal.may(action);
        Self {
            who: session.name.clone(),
            csrf: session.csrf.clone(),
            intake: may(Action::RegisterCase),
            admin: may(Action::ManageStaff),
            catalogue: may(Action::EditCatalogue),
            audit: may(Action::ReadAudit),
            suggestions: may(Action::ModerateSuggestions),
            deliveries: may(Action::DeliverLetters),
            jobs: may(Action::ManageJobs),
            performance: may(Action::ViewPerformance),
        }
    }
}

/// A base32 secret in groups of four, as authenticator apps show them.
fn spaced(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// The deadline of an open case in words, with an icon that repeats the words (never colour
/// alone): the class names the state for the stylesheet.
fn deadline_text(l: crate::i18n::Localizer, status: DeadlineStatus) -> (&'static str, &'static str, String) {
    let days = |n: u32| l.tn("working-days", "n", i64::from(n));
    match status {
        DeadlineStatus::OnTrack { working_days_left: n } => {
            ("on_track", "✓", l.ts("deadline-on_track", "days", &days(n)))
        }
        DeadlineStatus::AtRisk { working_days_left: n } => ("at_risk", "⚠", l.ts("deadline-at_risk", "days", &days(n))),
        DeadlineStatus::DueToday => ("due_today", "⏰", l.t("deadline-due_today")),
        DeadlineStatus::Overdue { working_days_late: n } => {
            ("overdue", "✖", l.ts("deadline-overdue", "days", &days(n)))
        }
    }
}

/// Field errors in the page's words, each naming its field by its label (`labels`: field,
/// label key).
fn labelled_errors(
    l: crate::i18n::Localizer,
    found: &[harta_app::FieldError],
    labels: &[(&str, &str)],
) -> Vec<ShownError> {
    found
        .iter()
        .map(|e| {
            let label =
                labels.iter().find(|(field, _)| *field == e.field).map_or_else(|| e.field.clone(), |(_, key)| l.t(key));
            ShownError { id: e.field.clone(), text: l.field_error(e, &label) }
        })
        .collect()
}

/// The page for a role that may not do what it asked for.
fn forbidden(app: &App, visit: &Visit) -> axum::response::Response {
    PageError::new(Refusal::Forbidden).render(visit, app)
}
