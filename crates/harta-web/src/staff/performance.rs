//! The management dashboard (`/staff/performance`): the figures of every commitment for a
//! period, each count a link to the inbox list of the cases behind it; the on-time share per
//! month and per unit, and what is overdue now per unit and officer, as server-drawn charts
//! with their numbers in tables. A head of unit sees their unit; the mayor's secretary,
//! managers, administrators and auditors every unit.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use harta_app::performance::{Figures, FiguresQuery};
use harta_app::{App, AppError};
use harta_domain::performance::{Commitment, Outcome, Period, Tally};
use serde::{Deserialize, Serialize};

use super::SignedIn;
use crate::charts::BarChart;
use crate::i18n::Localizer;
use crate::public::performance::{on_time_text, period_text};
use crate::public::{Chrome, ShownError, Visit};

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(super) struct DashboardQuery {
    from: String,
    to: String,
    unit: String,
}

impl DashboardQuery {
    /// The figures these fields ask for, by `by`.
    pub(super) fn figures(&self, by: &str) -> FiguresQuery {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        FiguresQuery {
            from: some(&self.from),
            to: some(&self.to),
            by: Some(by.into()),
            unit: some(&self.unit),
            ..FiguresQuery::default()
        }
    }

    /// The address of an export of these figures by unit (`csv` or `xlsx`).
    fn export_href(&self, ext: &str) -> String {
        format!("/staff/export/performance.{ext}?{}", serde_urlencoded::to_string(self).unwrap_or_default())
    }
}

/// A number of the table, and the inbox list of its cases when there is one.
struct Cell {
    text: String,
    href: Option<String>,
}

struct CommitmentRow {
    title: String,
    cells: Vec<Cell>,
}

/// A row of a chart's table: what, how many answers, the share on time.
struct ShareRow {
    what: String,
    answered: u64,
    share: String,
}

/// Overdue cases of a unit or an officer, with the list of them.
struct OverdueRow {
    what: String,
    unit: String,
    cases: u64,
    href: String,
}

#[derive(Template)]
#[template(path = "staff_performance.html")]
struct DashboardPage {
    c: Chrome,
    s: super::StaffHeader,
    q: DashboardQuery,
    units: Vec<(String, String)>,
    period: String,
    headings: Vec<String>,
    rows: Vec<CommitmentRow>,
    charts: Vec<BarChart>,
    months: Vec<ShareRow>,
    by_unit: Vec<ShareRow>,
    overdue_units: Vec<OverdueRow>,
    overdue_officers: Vec<OverdueRow>,
    csv_href: String,
    xlsx_href: String,
    /// This year and the one before, for the annual report's links.
    years: (i16, i16),
    errors: Vec<ShownError>,
}

pub(super) async fn dashboard(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<DashboardQuery>,
) -> Response {
    let l = visit.l();
    let who = &session.principal;
    let asked = q.figures("unit");
    let counted = tokio::try_join!(app.dashboard_figures(who, &asked), app.overdue_now(who));
    let ((by_unit, by_month), overdue) = match counted {
        Ok(counted) => counted,
        Err(AppError::Invalid(found)) => {
            let errors = found.iter().map(|e| shown_error(&l, e)).collect();
            return render(&app, &visit, &session, q, None, errors);
        }
        Err(e) => return crate::public::failure(&app, &visit, &e),
    };
    let counted = Counted { by_unit, by_month, overdue };
    render(&app, &visit, &session, q, Some(counted), Vec::new())
}

#[derive(Deserialize)]
pub(super) struct AnnualQuery {
    year: Option<String>,
}

/// `GET /staff/performance/annual?year=YYYY`: the annual report as a PDF.
pub(super) async fn annual(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<AnnualQuery>,
) -> Response {
    let l = visit.l();
    let year = q.year.unwrap_or_default();
    let made = match app.annual_figures(&session.principal, &year).await {
        Ok(figures) => {
            app.report_pdf(crate::report::annual(&app, visit.lang, &figures)).await.map(|pdf| (figures.year, pdf))
        }
        Err(e) => Err(e),
    };
    match made {
        Ok((year, pdf)) => {
            let mut response = axum::response::IntoResponse::into_response(pdf);
            let headers = response.headers_mut();
            headers.insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/pdf"));
            if let Ok(v) =
                axum::http::HeaderValue::from_str(&format!("attachment; filename=\"annual-report-{year}.pdf\""))
            {
                headers.insert(axum::http::header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(AppError::Invalid(_)) => {
            let body = l.ts("staff-performance-annual-year", "given", &year);
            crate::public::error_page(
                &visit,
                &app.charter(),
                StatusCode::BAD_REQUEST,
                &l.t("staff-performance-annual"),
                &body,
                None,
            )
        }
        Err(AppError::Forbidden(_)) => super::forbidden(&app, &visit),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

/// What the dashboard counted.
struct Counted {
    by_unit: Figures,
    by_month: Figures,
    overdue: Vec<harta_app::performance::Overdue>,
}

fn shown_error(l: &Localizer, e: &harta_app::FieldError) -> ShownError {
    let label = match e.field.as_str() {
        "from" => l.t("staff-audit-from"),
        "to" => l.t("staff-audit-until"),
        _ => l.t("service-unit"),
    };
    let text = match e.code {
        "backwards" => l.t("perf-err-backwards"),
        "too_long" => l.t("perf-err-too-long"),
        "malformed_date" => l.field_error(&harta_app::FieldError { code: "not_a_date", ..e.clone() }, &label),
        _ => l.field_error(e, &label),
    };
    ShownError { id: e.field.clone(), text }
}

fn render(
    app: &App,
    visit: &Visit,
    session: &harta_app::signing_in::StaffSession,
    q: DashboardQuery,
    counted: Option<Counted>,
    errors: Vec<ShownError>,
) -> Response {
    let l = visit.l();
    let charter = app.charter();
    let unit_name = |code: &str| charter.unit(code).map_or_else(|| code.to_string(), |u| l.pick(&u.name).to_string());
    let units = if session.principal.performance_scope().is_some() {
        Vec::new()
    } else {
        charter.units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect()
    };
    let headings = [
        "received",
        "answered",
        "on-time",
        "on-time-held",
        "late",
        "open-overdue",
        "withdrawn",
        "forwarded",
        "median",
        "p90",
    ]
    .iter()
    .map(|h| l.t(&format!("perf-{h}")))
    .collect();
    let mut page = DashboardPage {
        c: visit.chrome(&charter, "staff"),
        s: super::StaffHeader::of(session),
        units,
        period: String::new(),
        headings,
        rows: Vec::new(),
        charts: Vec::new(),
        months: Vec::new(),
        by_unit: Vec::new(),
        overdue_units: Vec::new(),
        overdue_officers: Vec::new(),
        csv_href: q.export_href("csv"),
        xlsx_href: q.export_href("xlsx"),
        years: {
            let year = harta_domain::format::in_sofia(app.now()).year();
            (year, year - 1)
        },
        errors,
        q,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    if let Some(Counted { by_unit, by_month, overdue }) = counted {
        let too_few = by_unit.too_few;
        let period = by_unit.period;
        let scope = by_unit.unit.clone();
        let totals = by_unit.totals();
        page.period = period_text(&l, period);
        page.rows = Commitment::ALL
            .iter()
            .map(|c| CommitmentRow {
                title: l.t(&format!("perf-commitment-{}", c.as_str())),
                cells: cells(&l, *c, &totals.get(c).cloned().unwrap_or_default(), period, scope.as_deref(), too_few),
            })
            .collect();
        // The answers of every kind of case (holding replies are not answers).
        let answers = |rows: &mut dyn Iterator<Item = &harta_app::performance::FigureRow>| {
            let mut t = Tally::default();
            rows.filter(|r| r.commitment != Commitment::HoldingReply).for_each(|r| t.add(&r.tally));
            t
        };
        let months: Vec<(Period, Tally)> =
            period.months().map(|m| (m, answers(&mut by_month.rows.iter().filter(|r| r.period == m)))).collect();
        page.months = months
            .iter()
            .map(|(m, t)| ShareRow {
                what: period_text(&l, *m),
                answered: t.answered,
                share: on_time_text(&l, t, too_few),
            })
            .collect();
        let units: Vec<(String, Tally)> = charter
            .units
            .iter()
            .filter(|u| scope.as_ref().is_none_or(|s| *s == u.code))
            .map(|u| {
                (unit_name(&u.code), answers(&mut by_unit.rows.iter().filter(|r| r.unit.as_deref() == Some(&u.code))))
            })
            .collect();
        page.by_unit = units
            .iter()
            .map(|(u, t)| ShareRow { what: u.clone(), answered: t.answered, share: on_time_text(&l, t, too_few) })
            .collect();
        let per_mille = |t: &Tally| t.on_time_share(too_few).per_mille().unwrap_or(0);
        page.charts.push(BarChart::new(
            "trend",
            l.t("perf-chart-trend"),
            l.ts("perf-chart-trend-summary", "period", &page.period),
            months.iter().map(|(m, t)| (month_name(m.from()), per_mille(t), on_time_text(&l, t, too_few))).collect(),
            1000,
        ));
        page.charts.push(BarChart::new(
            "units",
            l.t("perf-chart-units"),
            l.ts("perf-chart-units-summary", "period", &page.period),
            units.iter().map(|(u, t)| (u.clone(), per_mille(t), on_time_text(&l, t, too_few))).collect(),
            1000,
        ));
        let mut per_unit: Vec<(String, u64)> = Vec::new();
        for o in &overdue {
            match per_unit.iter_mut().find(|(u, _)| *u == o.unit) {
                Some((_, n)) => *n += o.cases,
                None => per_unit.push((o.unit.clone(), o.cases)),
            }
        }
        let most = per_unit.iter().map(|(_, n)| *n).max().unwrap_or(0);
        page.charts.push(BarChart::new(
            "overdue",
            l.t("perf-chart-overdue"),
            l.t("perf-chart-overdue-summary"),
            per_unit.iter().map(|(u, n)| (unit_name(u), *n, n.to_string())).collect(),
            most,
        ));
        page.overdue_units = per_unit
            .iter()
            .map(|(u, n)| OverdueRow {
                what: unit_name(u),
                unit: unit_name(u),
                cases: *n,
                href: format!("/staff?overdue=1&unit={u}"),
            })
            .collect();
        page.overdue_officers = overdue
            .iter()
            .map(|o| OverdueRow {
                what: o.officer.as_ref().map_or_else(|| l.t("staff-nobody"), |(_, name)| name.clone()),
                unit: unit_name(&o.unit),
                cases: o.cases,
                href: match &o.officer {
                    Some((id, _)) => format!("/staff?overdue=1&unit={}&officer={id}", o.unit),
                    None => format!("/staff?overdue=1&unit={}&unassigned=1", o.unit),
                },
            })
            .collect();
    }
    visit.page(status, page.render(), true)
}

/// The table's cells of a commitment: each count links to the inbox list behind it.
fn cells(l: &Localizer, c: Commitment, t: &Tally, period: Period, unit: Option<&str>, too_few: u64) -> Vec<Cell> {
    let list = |outcome: Outcome| {
        let kind = c.kind().map(|k| format!("&kind={k}")).unwrap_or_default();
        let unit = unit.map(|u| format!("&unit={u}")).unwrap_or_default();
        Some(format!("/staff?from={}&until={}&outcome={outcome}{kind}{unit}", period.from(), period.to()))
    };
    let held = c == Commitment::HoldingReply;
    let count = |n: u64, outcome: Option<Outcome>| Cell { text: n.to_string(), href: outcome.and_then(list) };
    let days = |d: Option<u32>| Cell {
        text: d.map_or_else(|| "—".into(), |d| l.tn("perf-days", "n", i64::from(d))),
        href: None,
    };
    let share_of = |n: u64, outcome: Option<Outcome>| Cell {
        text: crate::public::performance::share_text(
            l,
            n,
            harta_domain::performance::Share::of(n, t.answered, too_few),
        ),
        href: outcome.and_then(list),
    };
    vec![
        count(t.received, Some(if held { Outcome::HoldingReply } else { Outcome::Received })),
        count(t.answered, Some(if held { Outcome::HoldingReply } else { Outcome::Answered })),
        share_of(t.answered_on_time, Some(if held { Outcome::HoldingReplyInTime } else { Outcome::OnTime })),
        share_of(t.answered_on_time_with_holding_reply, (!held).then_some(Outcome::OnTimeWithHoldingReply)),
        share_of(t.answered_late, Some(if held { Outcome::HoldingReplyLate } else { Outcome::Late })),
        count(t.open_overdue, (!held).then_some(Outcome::OpenOverdue)),
        count(t.withdrawn, (!held).then_some(Outcome::Withdrawn)),
        count(t.forwarded, (!held).then_some(Outcome::Forwarded)),
        days(t.median_working_days()),
        days(t.p90_working_days()),
    ]
}

/// "11.2026" for a chart's label.
fn month_name(first: jiff::civil::Date) -> String {
    format!("{:02}.{}", first.month(), first.year())
}
