//! The inbox: the open cases a member may see, soonest due first, filtered and searched.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use harta_app::cases::ListInput;
use harta_app::{App, AppError};
use harta_domain::format::{date_bg, in_sofia};
use serde::{Deserialize, Serialize};

use super::{SignedIn, deadline_text};
use crate::public::{Chrome, ShownError, Visit};

/// Splits text into pieces, marking the words that a search word begins (compared folded, so
/// «ivan» marks «Иванова»). The template escapes every piece.
fn marked(text: &str, search: &str) -> Vec<(String, bool)> {
    let fold = harta_domain::text::fold;
    let terms: Vec<String> = fold(search)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<(String, bool)>| {
        if !word.is_empty() {
            let f = fold(word);
            let hit = terms.iter().any(|t| f.trim().starts_with(t.as_str()));
            out.push((std::mem::take(word), hit));
        }
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push((ch.to_string(), false));
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A row of the inbox.
struct Row {
    number: String,
    kind: &'static str,
    /// The subject in pieces, those matching the search marked.
    subject: Vec<(String, bool)>,
    unit: String,
    state: &'static str,
    received: String,
    due: String,
    deadline: Option<(&'static str, &'static str, String)>,
    /// The responsible officer's name, or "nobody yet".
    responsible: String,
}

#[derive(Template)]
#[template(path = "staff_inbox.html")]
struct InboxPage {
    c: Chrome,
    s: super::StaffHeader,
    rows: Vec<Row>,
    /// Whether the role reads the audit trail (auditors, administrators).
    audits: bool,
    /// How many cases the filters find in all (at least, when not `total_exact`).
    total: u64,
    total_exact: bool,
    /// The address of the next page, when there is one; of the first, when this is not it.
    next: Option<String>,
    first: Option<String>,
    /// Units to choose from (none for roles that see one unit only).
    units: Vec<(String, String)>,
    q: String,
    state: String,
    kind: String,
    unit: String,
    officer: String,
    from: String,
    until: String,
    overdue: bool,
    unassigned: bool,
    sort: String,
    /// The figure whose cases are shown (`on_time`, `late`…), or empty.
    outcome: String,
    outcomes: Vec<&'static str>,
    /// The whole list (not only this page) to download.
    csv_href: String,
    xlsx_href: String,
    errors: Vec<ShownError>,
}

/// The inbox's filters as the query holds them (and as the next page's address repeats them).
impl InboxPage {
    /// The count as the plural rules take it.
    fn total_shown(&self) -> i64 {
        i64::try_from(self.total).unwrap_or(i64::MAX)
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(super) struct Filters {
    #[serde(skip_serializing_if = "String::is_empty")]
    q: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    state: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    unit: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    officer: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    from: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    until: String,
    /// `1`: only overdue cases.
    #[serde(skip_serializing_if = "String::is_empty")]
    overdue: String,
    /// `1`: only cases nobody is responsible for.
    #[serde(skip_serializing_if = "String::is_empty")]
    unassigned: String,
    /// `due` or `received`.
    #[serde(skip_serializing_if = "String::is_empty")]
    sort: String,
    /// Where the previous page ended.
    #[serde(skip_serializing_if = "String::is_empty")]
    after: String,
    /// Only the cases behind a figure of the dashboard (`on_time`, `late`…).
    #[serde(skip_serializing_if = "String::is_empty")]
    outcome: String,
}

impl Filters {
    /// The list these filters ask for, for `who` ("mine" is the signed-in member of staff).
    pub(super) fn input(&self, who: &harta_app::Principal) -> ListInput {
        let some = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        ListInput {
            state: some(&self.state),
            kind: some(&self.kind),
            search: some(&self.q),
            overdue: self.overdue == "1",
            unassigned: self.unassigned == "1",
            sort: some(&self.sort),
            after: some(&self.after),
            unit: some(&self.unit),
            officer: match self.officer.as_str() {
                "mine" => match &who.actor {
                    harta_domain::case::Actor::Staff { id } => Some(id.0.to_string()),
                    _ => None,
                },
                other => some(other),
            },
            received_from: some(&self.from),
            received_until: some(&self.until),
            outcome: some(&self.outcome),
            // An inbox shows what is still to do, unless a state or a figure is chosen.
            open_only: true,
            ..ListInput::default()
        }
    }

    /// The address of an export of the list these filters find (`csv` or `xlsx`).
    fn export_href(&self, ext: &str) -> String {
        let all = Filters { after: String::new(), ..self.clone() };
        match serde_urlencoded::to_string(&all) {
            Ok(query) if !query.is_empty() => format!("/staff/export/cases.{ext}?{query}"),
            _ => format!("/staff/export/cases.{ext}"),
        }
    }

    /// The inbox's address with these filters.
    fn href(&self) -> String {
        match serde_urlencoded::to_string(self) {
            Ok(query) if !query.is_empty() => format!("/staff?{query}"),
            _ => "/staff".to_string(),
        }
    }
}

pub(super) async fn inbox(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<Filters>,
) -> Response {
    let l = visit.l();
    let input = q.input(&session.principal);
    let (items, (total, total_exact), next, errors, status) = match app.list_cases(&session.principal, &input).await {
        Ok(page) => (page.items, (page.total, page.total_exact), page.next, Vec::new(), StatusCode::OK),
        Err(AppError::Invalid(found)) => {
            let errors = found
                .iter()
                .map(|e| {
                    let id = match e.field.as_str() {
                        "received_from" => "from",
                        "received_until" => "until",
                        "search" => "q",
                        other => other,
                    };
                    let text = match e.code {
                        "too_long" => l.field_error(e, &l.t("staff-search")),
                        _ => l.t("staff-err-filter"),
                    };
                    ShownError { id: id.to_string(), text }
                })
                .collect();
            (Vec::new(), (0, true), None, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return crate::public::failure(&app, &visit, &e),
    };
    let (csv_href, xlsx_href) = (q.export_href("csv"), q.export_href("xlsx"));
    let next = next.map(|after| Filters { after, ..q.clone() }.href());
    let first = (!q.after.is_empty()).then(|| Filters { after: String::new(), ..q.clone() }.href());
    let rows = items
        .into_iter()
        .map(|c| Row {
            deadline: c.state.is_open().then(|| app.deadline_of(c.due)).flatten().map(|d| deadline_text(l, d)),
            number: c.registry_number,
            kind: c.kind.as_str(),
            subject: marked(&c.subject, &q.q),
            unit: app.charter().unit(&c.unit).map_or(c.unit.clone(), |u| l.pick(&u.name).to_string()),
            state: c.state.as_str(),
            received: date_bg(in_sofia(c.received_at).date()),
            due: date_bg(c.due),
            responsible: c.responsible_name.unwrap_or_else(|| l.t("staff-nobody")),
        })
        .collect();
    let page = InboxPage {
        c: visit.chrome(&app.charter(), "staff"),
        s: super::StaffHeader::of(&session),
        rows,
        audits: session.principal.may(harta_app::Action::ReadAudit),
        total,
        total_exact,
        next,
        first,
        units: if session.principal.unit_scope().is_some() {
            Vec::new()
        } else {
            app.charter().units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect()
        },
        q: q.q,
        state: q.state,
        kind: q.kind,
        unit: q.unit,
        officer: q.officer,
        from: q.from,
        until: q.until,
        overdue: q.overdue == "1",
        unassigned: q.unassigned == "1",
        sort: q.sort,
        outcome: q.outcome,
        outcomes: harta_domain::performance::Outcome::ALL.iter().map(|o| o.as_str()).collect(),
        csv_href,
        xlsx_href,
        errors,
    };
    visit.page(status, page.render(), true)
}
