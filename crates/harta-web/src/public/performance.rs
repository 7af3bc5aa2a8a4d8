//! "Как изпълняваме обещанията си" (C24): the public scorecard, and the same figures as open
//! data with stable addresses and documented fields (docs/api.md). Counts only: no personal
//! data and no case text ever reach these pages.

use std::sync::{Arc, Mutex, PoisonError};

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use harta_app::performance::{Figures, FiguresQuery, scorecard_periods};
use harta_app::{App, AppError};
use harta_domain::charter::Charter;
use harta_domain::format::in_sofia;
use harta_domain::performance::{Commitment, Grouping, Period, PeriodKind, Share, Tally};
use serde::Serialize;

use super::{Chrome, Visit};
use crate::i18n::{Lang, Localizer};
use crate::problem::Problem;

pub(super) fn router() -> Router<App> {
    Router::new()
        .route("/performance", get(scorecard))
        .route("/open-data/performance.json", get(open_json))
        .route("/open-data/performance.csv", get(open_csv))
}

/// One row of the open data, field for field (and in this order) as docs/api.md describes it:
/// first the fields every consumer was promised, then those added since.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct OpenRow {
    period_start: String,
    period_end: String,
    commitment: &'static str,
    unit: Option<String>,
    service: Option<String>,
    received: u64,
    answered: u64,
    answered_on_time: u64,
    answered_on_time_with_holding_reply: u64,
    answered_late: u64,
    open_overdue: u64,
    median_working_days: Option<u32>,
    p90_working_days: Option<u32>,
    open: u64,
    withdrawn: u64,
    forwarded: u64,
    channel: Option<&'static str>,
}

impl OpenRow {
    pub(crate) fn of(row: &harta_app::performance::FigureRow) -> Self {
        let t = &row.tally;
        Self {
            period_start: row.period.from().to_string(),
            period_end: row.period.to().to_string(),
            commitment: row.commitment.as_str(),
            unit: row.unit.clone(),
            service: row.service.clone(),
            received: t.received,
            answered: t.answered,
            answered_on_time: t.answered_on_time,
            answered_on_time_with_holding_reply: t.answered_on_time_with_holding_reply,
            answered_late: t.answered_late,
            open_overdue: t.open_overdue,
            median_working_days: t.median_working_days(),
            p90_working_days: t.p90_working_days(),
            open: t.open,
            withdrawn: t.withdrawn,
            forwarded: t.forwarded,
            channel: row.channel.map(|c| c.as_str()),
        }
    }
}

/// The open data as JSON: what was counted, and the rows.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct OpenData {
    from: String,
    to: String,
    by: &'static str,
    /// The day "open and overdue now" was counted on.
    counted_on: String,
    /// Groups with fewer answered cases than this are too few for a share to mean much.
    too_few_cases: u64,
    rows: Vec<OpenRow>,
}

/// A refused query as RFC 9457 problem with status 400, naming each parameter at fault.
fn bad_query(e: AppError) -> Response {
    match e {
        AppError::Invalid(errors) => Problem::bad_parameters(errors).into_response(),
        other => Problem::from(other).into_response(),
    }
}

/// The query of the open data, as the OpenAPI document describes it (the use case's
/// [`FiguresQuery`] has the same fields).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct OpenQuery {
    /// The first day of receipt, YYYY-MM-DD (default: 1 January of this year).
    from: Option<String>,
    /// The last day of receipt, YYYY-MM-DD (default: today); at most 10 years after `from`.
    to: Option<String>,
    /// `commitment` (default), `month`, `unit`, `service` or `channel`.
    by: Option<String>,
    /// Only this unit's cases (its code).
    unit: Option<String>,
    /// `service_request`, `letter`, `complaint`, `suggestion` or `holding_reply`.
    commitment: Option<String>,
    /// Only cases received on this channel.
    channel: Option<String>,
    /// Only requests for this service (its number).
    service: Option<String>,
}

impl From<OpenQuery> for FiguresQuery {
    fn from(q: OpenQuery) -> Self {
        Self {
            from: q.from,
            to: q.to,
            by: q.by,
            unit: q.unit,
            commitment: q.commitment,
            channel: q.channel,
            service: q.service,
        }
    }
}

type OpenQueryResult = Result<Query<OpenQuery>, axum::extract::rejection::QueryRejection>;

/// The figures of how promises are kept, per commitment and group; see docs/api.md.
#[utoipa::path(get, path = "/open-data/performance.json", tag = "open data", params(OpenQuery),
    responses((status = 200, body = OpenData), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn open_json(State(app): State<App>, query: OpenQueryResult) -> Response {
    let q = match query {
        Ok(Query(q)) => FiguresQuery::from(q),
        Err(e) => return Problem::bad_body(e.body_text()).into_response(),
    };
    match app.public_figures(&q).await {
        Ok(figures) => {
            let data = OpenData {
                from: figures.period.from().to_string(),
                to: figures.period.to().to_string(),
                by: figures.by.as_str(),
                counted_on: figures.today.to_string(),
                too_few_cases: figures.too_few,
                rows: figures.rows.iter().map(OpenRow::of).collect(),
            };
            let mut response = axum::Json(data).into_response();
            open_headers(&mut response);
            response
        }
        Err(e) => bad_query(e),
    }
}

async fn open_csv(State(app): State<App>, query: OpenQueryResult) -> Response {
    let q = match query {
        Ok(Query(q)) => FiguresQuery::from(q),
        Err(e) => return Problem::bad_body(e.body_text()).into_response(),
    };
    let figures = match app.public_figures(&q).await {
        Ok(figures) => figures,
        Err(e) => return bad_query(e),
    };
    match csv_of(figures.rows.iter().map(OpenRow::of)) {
        Ok(body) => {
            let mut response = body.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            let name =
                format!("attachment; filename=\"performance-{}-{}.csv\"", figures.period.from(), figures.period.to());
            if let Ok(v) = HeaderValue::from_str(&name) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            open_headers(&mut response);
            response
        }
        Err(e) => Problem::from(AppError::internal(e)).into_response(),
    }
}

/// The open data's rows as CSV with a header line of the field names, and no byte-order mark:
/// programs read it, and its first field is always `period_start` (the staff's downloads,
/// which Excel opens, have one).
fn csv_of(rows: impl IntoIterator<Item = OpenRow>) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        for row in rows {
            w.serialize(row)?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// Open data may be read by any site, and is counted afresh at every request.
fn open_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

#[derive(serde::Deserialize)]
struct ScorecardQuery {
    period: Option<String>,
}

/// One figure of a tally as the scorecard writes it.
pub(crate) struct ShownTally {
    pub received: u64,
    pub answered: u64,
    pub on_time: String,
    pub on_time_held: String,
    pub late: String,
    pub open_overdue: u64,
    pub withdrawn: u64,
    pub forwarded: u64,
    pub median: String,
    pub p90: String,
}

impl ShownTally {
    pub(crate) fn of(l: &Localizer, t: &Tally, too_few: u64) -> Self {
        let part = |n: u64| share_text(l, n, Share::of(n, t.answered, too_few));
        let days = |d: Option<u32>| d.map_or_else(|| "—".to_string(), |d| l.tn("perf-days", "n", i64::from(d)));
        Self {
            received: t.received,
            answered: t.answered,
            on_time: part(t.answered_on_time),
            on_time_held: part(t.answered_on_time_with_holding_reply),
            late: part(t.answered_late),
            open_overdue: t.open_overdue,
            withdrawn: t.withdrawn,
            forwarded: t.forwarded,
            median: days(t.median_working_days()),
            p90: days(t.p90_working_days()),
        }
    }
}

/// "97 (87,5 %)", or "2 (too few cases to say)".
pub(crate) fn share_text(l: &Localizer, n: u64, share: Share) -> String {
    match percent(l, share) {
        Some(p) => format!("{n} ({p})"),
        None => format!("{n} ({})", l.t("perf-too-few")),
    }
}

/// A group's on-time share as the language writes it, or "too few cases to say".
pub(crate) fn on_time_text(l: &Localizer, t: &Tally, too_few: u64) -> String {
    percent(l, t.on_time_share(too_few)).unwrap_or_else(|| l.t("perf-too-few"))
}

/// A share as the language writes it: "87,5 %", "87.5%"; `None` when too few.
pub(crate) fn percent(l: &Localizer, share: Share) -> Option<String> {
    let m = share.per_mille()?;
    Some(match l.lang() {
        Lang::Bg => format!("{},{} %", m / 10, m % 10),
        Lang::En => format!("{}.{}%", m / 10, m % 10),
    })
}

/// A commitment's part of the scorecard: its promise, this period and the one before.
struct ShownCommitment {
    id: &'static str,
    title: String,
    promise: String,
    now: ShownTally,
    before: ShownTally,
}

/// A unit's on-time shares, one per commitment, in the table of units.
struct ShownUnit {
    name: String,
    shares: Vec<String>,
}

#[derive(Template)]
#[template(path = "performance.html")]
struct ScorecardPage {
    c: Chrome,
    kind: &'static str,
    now: String,
    before: String,
    counted_on: String,
    commitments: Vec<ShownCommitment>,
    columns: Vec<String>,
    units: Vec<ShownUnit>,
    json_href: String,
    csv_href: String,
    too_few_text: String,
}

/// How long a counted scorecard is shown before it is counted again. The page says when it was
/// counted; the open data and the dashboard are counted afresh at every request.
const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// Scorecards as rendered, per charter (a new charter in force is a new `Arc`), language and
/// period: the page anyone may ask for thousands of times a second costs one count every
/// [`FRESH_FOR`].
type Counted = (Arc<Charter>, Lang, PeriodKind, std::time::Instant, String);
static RENDERED: Mutex<Vec<Counted>> = Mutex::new(Vec::new());
static COUNTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn scorecard(State(app): State<App>, visit: Visit, Query(q): Query<ScorecardQuery>) -> Response {
    let l = visit.l();
    let charter = app.charter();
    let kind = match q.period.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => PeriodKind::Quarter,
        Some(given) => match PeriodKind::parse(given).filter(|k| *k != PeriodKind::Week) {
            Some(kind) => kind,
            None => {
                let body = l.ts("perf-err-period", "given", given);
                return super::error_page(
                    &visit,
                    &charter,
                    StatusCode::BAD_REQUEST,
                    &l.t("perf-err-title"),
                    &body,
                    None,
                );
            }
        },
    };
    let fresh = |(c, lang, k, at, _): &Counted| {
        Arc::ptr_eq(c, &charter) && *lang == visit.lang && *k == kind && at.elapsed() < FRESH_FOR
    };
    let cached =
        || RENDERED.lock().unwrap_or_else(PoisonError::into_inner).iter().find(|c| fresh(c)).map(|c| c.4.clone());
    if let Some(html) = cached() {
        return visit.page(StatusCode::OK, Ok(html), false);
    }
    // One count at a time: the views that find the page expired while it is being counted wait
    // for that count instead of each making its own.
    let _counting = COUNTING.lock().await;
    if let Some(html) = cached() {
        return visit.page(StatusCode::OK, Ok(html), false);
    }
    let html = render_scorecard(&app, &visit, &charter, kind).await;
    if let Ok(html) = &html {
        let mut cache = RENDERED.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|c| Arc::ptr_eq(&c.0, &charter) && !(c.1 == visit.lang && c.2 == kind));
        cache.push((charter.clone(), visit.lang, kind, std::time::Instant::now(), html.clone()));
    }
    match html {
        Ok(html) => visit.page(StatusCode::OK, Ok(html), false),
        Err(e) => super::failure(&app, &visit, &e),
    }
}

/// The scorecard of the last whole period of `kind` and the one before, counted now.
async fn render_scorecard(
    app: &App,
    visit: &Visit,
    charter: &Arc<Charter>,
    kind: PeriodKind,
) -> Result<String, AppError> {
    let l = visit.l();
    let today = in_sofia(app.now()).date();
    let (now, before) = match kind {
        PeriodKind::Quarter => scorecard_periods(today),
        _ => {
            let last = Period::last_complete(kind, today);
            (last, last.before(kind))
        }
    };
    let ask = |p: Period, by: Grouping| FiguresQuery {
        from: Some(p.from().to_string()),
        to: Some(p.to().to_string()),
        by: Some(by.as_str().into()),
        ..FiguresQuery::default()
    };
    // The units' rows add up to the whole period's: two counts, not three.
    let (units_now, whole_before) = (ask(now, Grouping::Unit), ask(before, Grouping::Commitment));
    let (units, last) = tokio::try_join!(app.public_figures(&units_now), app.public_figures(&whole_before))?;
    let (this_totals, last_totals) = (units.totals(), last.totals());
    let too_few = units.too_few;
    let commitments = Commitment::ALL
        .iter()
        .map(|c| ShownCommitment {
            id: c.as_str(),
            title: l.t(&format!("perf-commitment-{}", c.as_str())),
            promise: match c.kind() {
                Some(kind) => l.pick(&charter.commitment(kind).promise).to_string(),
                None => l.t("perf-holding-promise"),
            },
            now: ShownTally::of(&l, &this_totals.get(c).cloned().unwrap_or_default(), too_few),
            before: ShownTally::of(&l, &last_totals.get(c).cloned().unwrap_or_default(), too_few),
        })
        .collect();
    let columns = Commitment::ALL.iter().map(|c| l.t(&format!("perf-commitment-{}", c.as_str()))).collect();
    let units = charter
        .units
        .iter()
        .map(|u| ShownUnit {
            name: l.pick(&u.name).to_string(),
            shares: Commitment::ALL.iter().map(|c| unit_share(&l, &units, &u.code, *c)).collect(),
        })
        .collect();
    let href = |ext: &str| format!("/open-data/performance.{ext}?from={}&to={}&by=unit", now.from(), now.to());
    let page = ScorecardPage {
        c: visit.chrome(charter, "performance"),
        kind: kind.as_str(),
        now: period_text(&l, now),
        before: period_text(&l, before),
        counted_on: format!("{}, {}", l.date(&today), harta_domain::format::time_bg(app.now())),
        commitments,
        columns,
        units,
        json_href: href("json"),
        csv_href: href("csv"),
        too_few_text: l.tn("perf-def-too-few", "n", i64::try_from(too_few).unwrap_or(i64::MAX)),
    };
    page.render().map_err(AppError::internal)
}

/// A unit's on-time share for a commitment, with the number of answers behind it.
fn unit_share(l: &Localizer, figures: &Figures, unit: &str, c: Commitment) -> String {
    let row = figures.rows.iter().find(|r| r.commitment == c && r.unit.as_deref() == Some(unit));
    let Some(t) = row.map(|r| &r.tally) else { return "—".into() };
    match percent(l, t.on_time_share(figures.too_few)) {
        Some(p) => l.t_args("perf-unit-share", &[("share", &p), ("answered", &t.answered.to_string())]),
        None if t.answered == 0 => "—".into(),
        None => l.tn("perf-unit-too-few", "answered", i64::try_from(t.answered).unwrap_or(i64::MAX)),
    }
}

/// "01.07.2026 – 30.09.2026".
pub(crate) fn period_text(l: &Localizer, p: Period) -> String {
    format!("{} – {}", l.date(&p.from()), l.date(&p.to()))
}
