//! Downloads of the staff lists: the inbox with its filters (every case they find, not one
//! page), the audit trail (auditors and administrators) and the dashboard's figures, each as
//! CSV (UTF-8 with a byte-order mark, so that Excel reads Cyrillic) or XLSX (rust_xlsxwriter).
//! The use cases record every export in the audit trail before it is given.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use harta_app::{App, AppError};
use harta_domain::format::{date_bg, in_sofia, time_bg};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::SignedIn;
use super::audit::AuditQuery;
use super::inbox::Filters;
use super::performance::DashboardQuery;
use crate::i18n::Localizer;
use crate::public::Visit;
use crate::public::performance::OpenRow;

/// A value of a table: text, or a count a spreadsheet can add up.
enum Cell {
    Text(String),
    Count(u64),
    Empty,
}

/// A list to download.
struct Table {
    /// The file's name without its extension.
    file: String,
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

/// `GET /staff/export/{list}.{csv|xlsx}`: `cases` (the inbox's query), `audit` (the audit
/// page's) or `performance` (the dashboard's).
pub(super) async fn export(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(file): Path<String>,
    raw: axum::extract::RawQuery,
) -> Response {
    let l = visit.l();
    let query = raw.0.unwrap_or_default();
    let Some((list, ext)) = file.rsplit_once('.').filter(|(_, ext)| matches!(*ext, "csv" | "xlsx")) else {
        return crate::public::not_found(&visit, &app.charter());
    };
    let who = &session.principal;
    let table = match list {
        "cases" => match parse::<Filters>(&query) {
            Some(q) => app.export_cases(who, &q.input(who)).await.map(|rows| cases(&app, l, rows)),
            None => Err(AppError::field("query", "unreadable")),
        },
        "audit" => match parse::<AuditQuery>(&query) {
            Some(q) => {
                let (filter, errors) = q.filter(l);
                if errors.is_empty() {
                    app.export_audit(who, filter).await.map(|rows| audit(l, rows))
                } else {
                    Err(AppError::field("from", "not a date"))
                }
            }
            None => Err(AppError::field("query", "unreadable")),
        },
        "performance" => match parse::<DashboardQuery>(&query) {
            Some(q) => app.export_figures(who, &q.figures("unit")).await.map(|f| figures(&f)),
            None => Err(AppError::field("query", "unreadable")),
        },
        "directory" => app.export_staff(who).await.map(|rows| directory(&app, l, rows)),
        queue => match queue.strip_prefix("deliveries-").and_then(super::deliveries::View::parse) {
            Some(view) => app.export_delivery_queue(who, view.queue()).await.map(|rows| deliveries(l, rows)),
            None => return crate::public::not_found(&visit, &app.charter()),
        },
    };
    match table {
        Ok(table) => {
            let written = if ext == "csv" {
                csv(&table).map_err(AppError::internal)
            } else {
                xlsx(&table).map_err(AppError::internal)
            };
            written.unwrap_or_else(|e| crate::public::failure(&app, &visit, &e))
        }
        Err(AppError::Invalid(_)) => {
            let (title, body) = (l.t("staff-export-refused-title"), l.t("staff-export-refused"));
            crate::public::error_page(&visit, &app.charter(), StatusCode::BAD_REQUEST, &title, &body, None)
        }
        Err(AppError::Forbidden(_)) => super::forbidden(&app, &visit),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

fn parse<T: serde::de::DeserializeOwned>(query: &str) -> Option<T> {
    serde_urlencoded::from_str(query).ok()
}

fn cases(app: &App, l: Localizer, rows: Vec<harta_app::cases::CaseSummary>) -> Table {
    let charter = app.charter();
    let headers = [
        "track-number",
        "staff-kind",
        "staff-channel",
        "track-subject",
        "service-unit",
        "track-state",
        "track-received",
        "track-due",
        "staff-responsible",
    ];
    Table {
        file: "cases".into(),
        headers: headers.iter().map(|h| l.t(h)).collect(),
        rows: rows
            .into_iter()
            .map(|c| {
                let unit = charter.unit(&c.unit).map_or(c.unit.clone(), |u| l.pick(&u.name).to_string());
                vec![
                    Cell::Text(c.registry_number),
                    Cell::Text(l.t(&format!("kind-{}", c.kind.as_str()))),
                    Cell::Text(l.t(&format!("channel-{}", c.channel.as_str()))),
                    Cell::Text(c.subject),
                    Cell::Text(unit),
                    Cell::Text(l.t(&format!("state-{}", c.state.as_str()))),
                    Cell::Text(date_bg(in_sofia(c.received_at).date())),
                    Cell::Text(date_bg(c.due)),
                    c.responsible_name.map_or(Cell::Empty, Cell::Text),
                ]
            })
            .collect(),
    }
}

fn directory(app: &App, l: Localizer, rows: Vec<harta_app::administration::StaffRecord>) -> Table {
    let charter = app.charter();
    let headers = [
        "staff-login",
        "field-name",
        "staff-position",
        "staff-role",
        "service-unit",
        "field-phone",
        "field-email",
        "staff-active",
    ];
    let text = |v: Option<String>| v.map_or(Cell::Empty, Cell::Text);
    Table {
        file: "directory".into(),
        headers: headers.iter().map(|h| l.t(h)).collect(),
        rows: rows
            .into_iter()
            .map(|m| {
                let unit = m.unit.map(|u| charter.unit(&u).map_or(u.clone(), |unit| l.pick(&unit.name).to_string()));
                vec![
                    Cell::Text(m.employee_number),
                    Cell::Text(m.name),
                    text(m.position),
                    Cell::Text(l.t(&format!("role-{}", m.role))),
                    text(unit),
                    Cell::Text(crate::public::phone_national(m.phone.as_deref())),
                    text(m.email),
                    Cell::Text(l.t(if m.active { "staff-yes" } else { "staff-no" })),
                ]
            })
            .collect(),
    }
}

fn deliveries(l: Localizer, rows: Vec<harta_app::delivering::QueuedDelivery>) -> Table {
    let headers = [
        "track-number",
        "deliveries-letter",
        "track-subject",
        "staff-channel",
        "deliveries-since",
        "field-name",
        "field-address",
        "field-phone",
        "field-email",
        "staff-responsible",
        "deliveries-why",
    ];
    let text = |v: Option<String>| v.map_or(Cell::Empty, Cell::Text);
    Table {
        file: "deliveries".into(),
        headers: headers.iter().map(|h| l.t(h)).collect(),
        rows: rows
            .into_iter()
            .map(|d| {
                vec![
                    Cell::Text(d.registry_number),
                    Cell::Text(d.letter_number),
                    Cell::Text(d.subject),
                    Cell::Text(l.t(&format!("channel-{}", d.channel.as_str()))),
                    Cell::Text(format!("{} {}", date_bg(in_sofia(d.at).date()), time_bg(d.at))),
                    Cell::Text(d.name),
                    text(d.address),
                    Cell::Text(crate::public::phone_national(d.phone.as_deref())),
                    text(d.email),
                    text(d.responsible),
                    text(d.detail),
                ]
            })
            .collect(),
    }
}

fn audit(l: Localizer, rows: Vec<harta_app::AuditEntry>) -> Table {
    let headers =
        ["staff-audit-when", "staff-audit-actor", "staff-audit-action", "staff-audit-subject", "staff-audit-detail"];
    Table {
        file: "audit".into(),
        headers: std::iter::once("№".to_string()).chain(headers.iter().map(|h| l.t(h))).collect(),
        rows: rows
            .into_iter()
            .map(|e| {
                vec![
                    Cell::Count(u64::try_from(e.seq).unwrap_or(0)),
                    Cell::Text(format!("{} {}", date_bg(in_sofia(e.at).date()), time_bg(e.at))),
                    Cell::Text(e.actor),
                    Cell::Text(super::audit_words::action(l, &e.action)),
                    Cell::Text(e.subject),
                    Cell::Text(super::audit_words::detail(l, &e.action, &e.detail)),
                ]
            })
            .collect(),
    }
}

/// The figures with the open data's fields, in its order, so that a download and the open
/// data read alike (its days written as people in Bulgaria write them).
fn figures(f: &harta_app::performance::Figures) -> Table {
    let mut headers = Vec::new();
    let rows = f
        .rows
        .iter()
        .map(|row| {
            let serde_json::Value::Object(fields) = serde_json::to_value(OpenRow::of(row)).unwrap_or_default() else {
                return Vec::new();
            };
            if headers.is_empty() {
                headers = fields.keys().cloned().collect();
            }
            fields
                .into_iter()
                .map(|(name, value)| match value {
                    serde_json::Value::Number(n) => n.as_u64().map_or(Cell::Empty, Cell::Count),
                    serde_json::Value::String(t) if name.starts_with("period_") => {
                        Cell::Text(t.parse::<jiff::civil::Date>().map_or(t, date_bg))
                    }
                    serde_json::Value::String(t) => Cell::Text(t),
                    _ => Cell::Empty,
                })
                .collect()
        })
        .collect();
    Table { file: format!("performance-{}-{}", f.period.from(), f.period.to()), headers, rows }
}

/// The table as CSV with a byte-order mark.
fn csv(table: &Table) -> Result<Response, csv::Error> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&table.headers)?;
        for row in &table.rows {
            w.write_record(row.iter().map(|c| match c {
                Cell::Text(t) => t.clone(),
                Cell::Count(n) => n.to_string(),
                Cell::Empty => String::new(),
            }))?;
        }
        w.flush()?;
    }
    Ok(download(out, "text/csv; charset=utf-8", &format!("{}.csv", table.file)))
}

/// The table as an XLSX workbook of one sheet, its header row bold and frozen.
fn xlsx(table: &Table) -> Result<Response, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    for (col, h) in (0u16..).zip(&table.headers) {
        sheet.write_string_with_format(0, col, h, &bold)?;
    }
    for (row, cells) in (1u32..).zip(&table.rows) {
        for (col, cell) in (0u16..).zip(cells) {
            match cell {
                Cell::Text(t) => {
                    sheet.write_string(row, col, t)?;
                }
                // Counts stay far below 2^53: exact as a spreadsheet's number.
                Cell::Count(n) => {
                    sheet.write_number(row, col, *n as f64)?;
                }
                Cell::Empty => {}
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    let bytes = book.save_to_buffer()?;
    let media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    Ok(download(bytes, media, &format!("{}.xlsx", table.file)))
}

fn download(body: Vec<u8>, media: &'static str, name: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
