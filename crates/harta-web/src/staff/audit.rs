//! The audit trail for auditors and administrators: browsed newest first, filtered, and its
//! chain verified.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use harta_app::{App, AppError};
use harta_domain::format::{date_bg, in_sofia, time_bg};
use serde::Deserialize;

use super::{SignedIn, forbidden};
use crate::public::{Chrome, ShownError, Visit};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AuditQuery {
    actor: String,
    action: String,
    subject: String,
    from: String,
    until: String,
    page: String,
    verify: String,
}

impl AuditQuery {
    /// The entries these fields ask for (every one, when none is given), and what is wrong
    /// with the dates given.
    pub(super) fn filter(&self, l: crate::i18n::Localizer) -> (harta_app::AuditFilter, Vec<ShownError>) {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let mut errors = Vec::new();
        let mut day = |field: &str, text: &str| -> Option<jiff::civil::Date> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            match text.parse::<jiff::civil::Date>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(ShownError { id: field.into(), text: l.t("staff-err-date") });
                    None
                }
            }
        };
        let from = day("from", &self.from).map(harta_domain::format::start_of_day);
        // "Until" is inclusive: entries before the start of the next day (23 or 25 hours later
        // on the days the clocks change).
        let until = day("until", &self.until).map(|d| harta_domain::format::days_in_sofia(d, d).1);
        let filter = harta_app::AuditFilter {
            actor: some(&self.actor),
            action: some(&self.action),
            subject: some(&self.subject),
            from,
            until,
            ..harta_app::AuditFilter::default()
        };
        (filter, errors)
    }

    /// The address of an export of the entries these fields find (`csv` or `xlsx`).
    fn export_href(&self, ext: &str) -> String {
        let query = serde_urlencoded::to_string([
            ("actor", &self.actor),
            ("action", &self.action),
            ("subject", &self.subject),
            ("from", &self.from),
            ("until", &self.until),
        ])
        .unwrap_or_default();
        format!("/staff/export/audit.{ext}?{query}")
    }
}

#[derive(Template)]
#[template(path = "staff_audit.html")]
struct AuditPage {
    c: Chrome,
    s: super::StaffHeader,
    q: AuditQuery,
    entries: Vec<(i64, String, String, String, String, String)>,
    verdict: Option<String>,
    page: u32,
    more: bool,
    csv_href: String,
    xlsx_href: String,
    errors: Vec<ShownError>,
}

pub(super) async fn audit(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<AuditQuery>,
) -> Response {
    let l = visit.l();
    let (filter, errors) = q.filter(l);
    let page = q.page.parse::<u32>().unwrap_or(1).clamp(1, 100_000);
    const PER_PAGE: u32 = 100;
    let filter = harta_app::AuditFilter { limit: PER_PAGE + 1, offset: (page - 1) * PER_PAGE, ..filter };
    let mut entries = match app.audit_entries(&session.principal, filter).await {
        Ok(e) => e,
        Err(AppError::Forbidden(_)) => return forbidden(&app, &visit),
        Err(e) => return crate::public::failure(&app, &visit, &e),
    };
    let more = entries.len() > PER_PAGE as usize;
    entries.truncate(PER_PAGE as usize);
    let verdict = if q.verify == "1" {
        match app.verify_audit(&session.principal).await {
            Ok(harta_app::Verdict::Intact { entries }) => {
                Some(l.ts("staff-audit-intact", "entries", &entries.to_string()))
            }
            Ok(harta_app::Verdict::Broken { at, why }) => {
                let why = super::audit_words::broken(l, &why);
                Some(l.t_args("staff-audit-broken", &[("at", &at.to_string()), ("why", &why)]))
            }
            Err(e) => return crate::public::failure(&app, &visit, &e),
        }
    } else {
        None
    };
    let entries = entries
        .into_iter()
        .map(|e| {
            let when = format!("{} {}", date_bg(in_sofia(e.at).date()), time_bg(e.at));
            let detail = super::audit_words::detail(l, &e.action, &e.detail);
            (e.seq, when, e.actor, super::audit_words::action(l, &e.action), e.subject, detail)
        })
        .collect();
    let (csv_href, xlsx_href) = (q.export_href("csv"), q.export_href("xlsx"));
    let page = AuditPage {
        csv_href,
        xlsx_href,
        c: visit.chrome(&app.charter(), "staff"),
        s: super::StaffHeader::of(&session),
        q,
        entries,
        verdict,
        page,
        more,
        errors,
    };
    visit.page(StatusCode::OK, page.render(), true)
}
