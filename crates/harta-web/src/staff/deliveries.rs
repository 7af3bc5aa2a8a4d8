//! Letters on their way: the registry office's print queue for the post, the officers' calls,
//! the counter's letters for collection, and the not-delivered list where another channel is
//! chosen. Each list is within what the member sees; each action says what was really done.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::App;
use harta_app::delivering::{Done, Queue};
use harta_domain::case::PreferredChannel;
use harta_domain::format::{date_bg, in_sofia, time_bg};
use serde::Deserialize;

use super::{SignedIn, StaffHeader};
use crate::edge::PageError;
use crate::forms::CsrfForm;
use crate::public::{Chrome, Visit};

/// The four lists, by their address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum View {
    Post,
    Calls,
    Collection,
    Undelivered,
}

impl View {
    pub(super) fn parse(name: &str) -> Option<Self> {
        match name {
            "post" => Some(Self::Post),
            "calls" => Some(Self::Calls),
            "collection" => Some(Self::Collection),
            "undelivered" => Some(Self::Undelivered),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Post => "post",
            Self::Calls => "calls",
            Self::Collection => "collection",
            Self::Undelivered => "undelivered",
        }
    }

    pub(super) fn queue(self) -> Queue {
        match self {
            Self::Post => Queue::Waiting(PreferredChannel::Post),
            Self::Calls => Queue::Waiting(PreferredChannel::Phone),
            Self::Collection => Queue::Waiting(PreferredChannel::InPerson),
            Self::Undelivered => Queue::Undelivered,
        }
    }
}

/// A letter in a list.
struct Row {
    id: i64,
    number: String,
    letter: String,
    letter_n: i64,
    subject: String,
    issued: String,
    channel: String,
    at: String,
    reason: String,
    name: String,
    address: String,
    phone: String,
    responsible: String,
    /// Goes by registered post with a return receipt.
    return_receipt: bool,
    /// The channels the person can be reached on, to send it again by.
    reachable: Vec<&'static str>,
}

/// The letters waiting for the post that were issued on one day: printed and posted together.
struct Day {
    date: String,
    ids: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "staff_deliveries.html")]
struct DeliveriesPage {
    c: Chrome,
    s: StaffHeader,
    view: &'static str,
    days: Vec<Day>,
    notice: Option<String>,
    refused: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Said {
    saved: String,
    refused: String,
}

/// A refusal's words by its machine code, from the messages `{prefix}-{code}` (only codes of our
/// own reach the page).
pub(super) fn refusal_words(l: crate::i18n::Localizer, prefix: &str, code: &str) -> Option<String> {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return None;
    }
    let own = format!("{prefix}-{code}");
    Some(match l.t(&own) {
        t if t != own => t,
        _ => l.t("delivery-refused"),
    })
}

pub(super) async fn list(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(name): Path<String>,
    Query(said): Query<Said>,
) -> Result<Response, PageError> {
    let Some(view) = View::parse(&name) else {
        return Ok(crate::public::not_found(&visit, &app.charter()));
    };
    let l = visit.l();
    let found = app.delivery_queue(&session.principal, view.queue()).await?;
    let mut days: Vec<Day> = Vec::new();
    for d in found {
        let issued = date_bg(in_sofia(d.issued_at).date());
        let reach = harta_domain::delivery::Reach {
            email: d.email.as_deref(),
            phone: d.phone.as_deref(),
            address: d.address.as_deref(),
        };
        let reachable = app.reachable_channels(reach).into_iter().map(|ch| ch.as_str()).collect();
        let row = Row {
            id: d.id,
            number: d.registry_number,
            letter: d.letter_number,
            letter_n: d.letter_n,
            subject: d.subject,
            issued: issued.clone(),
            channel: l.t(&format!("channel-{}", d.channel.as_str())),
            at: format!("{} {}", date_bg(in_sofia(d.at).date()), time_bg(d.at)),
            reason: d.detail.as_deref().map(|r| reason_words(l, r)).unwrap_or_default(),
            name: d.name,
            address: d.address.unwrap_or_default(),
            phone: d
                .phone
                .as_deref()
                .and_then(|p| harta_domain::identifiers::Phone::parse(p).ok())
                .map_or_else(|| d.phone.clone().unwrap_or_default(), |p| p.national()),
            responsible: d.responsible.unwrap_or_default(),
            return_receipt: d.return_receipt,
            reachable,
        };
        // The print queue is grouped by the day of issue; the other lists are one group.
        let key = if view == View::Post { issued } else { String::new() };
        match days.last_mut() {
            Some(day) if day.date == key => day.rows.push(row),
            _ => days.push(Day { date: key, ids: String::new(), rows: vec![row] }),
        }
    }
    for day in &mut days {
        day.ids = day.rows.iter().map(|r| r.id.to_string()).collect::<Vec<_>>().join(",");
    }
    let notice = match said.saved.as_str() {
        "" => None,
        "posted" => Some(l.t("delivery-posted-notice")),
        _ => Some(l.t("staff-done")),
    };
    let page = DeliveriesPage {
        c: visit.chrome(&app.charter(), "staff"),
        s: StaffHeader::of(&session),
        view: view.name(),
        days,
        notice,
        refused: refusal_words(l, "delivery-refused", &said.refused),
    };
    Ok(visit.page(StatusCode::OK, page.render(), true))
}

/// A failure's reason in the page's words: ours by code, a mail server's as it said it.
pub(super) fn reason_words(l: crate::i18n::Localizer, reason: &str) -> String {
    let own = format!("undeliverable-{reason}");
    match l.t(&own) {
        t if t != own => t,
        _ => reason.to_string(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Ids {
    ids: String,
}

/// Ids as the page lists them, `1,2,3`; anything else is no id.
fn ids_of(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|id| id.trim().parse().ok()).collect()
}

/// One PDF of the listed letters that still wait for the post, to print.
pub(super) async fn print(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    Query(q): Query<Ids>,
) -> Result<Response, PageError> {
    let (_, pdf) = app.print_run(&session.principal, &ids_of(&q.ids)).await?;
    let name = format!("attachment; filename=\"post-{}.pdf\"", in_sofia(app.now()).date());
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, name)], pdf)
        .into_response())
}

/// Marks the listed letters posted (those printed together).
pub(super) async fn posted(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    CsrfForm(f): CsrfForm<Ids>,
) -> Result<Redirect, PageError> {
    let ids = ids_of(&f.ids);
    if ids.is_empty() {
        return Ok(Redirect::to("/staff/deliveries/post?refused=nothing_chosen"));
    }
    for id in ids {
        match app.delivery_done(&session.principal, id, Done::Posted).await {
            // Posted by someone else meanwhile: it is posted all the same.
            Ok(_) | Err(harta_app::AppError::Conflict { code: "already_done", .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Redirect::to("/staff/deliveries/post?saved=posted"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Outcome {
    /// `handed_over`, `called` or `failed`.
    outcome: String,
    note: String,
    /// The day a returned receipt was signed (`2026-11-25`).
    signed_on: String,
    /// The list (or `case`) to go back to.
    back: String,
}

/// Where to go after an action: the list it came from, or the case page.
fn back_to(back: &str, number: &str, query: &str) -> String {
    match View::parse(back) {
        Some(view) => format!("/staff/deliveries/{}{query}", view.name()),
        None => format!("/staff/cases/{}{query}#letters", crate::public::percent_encode(number)),
    }
}

/// What a member of staff did with one letter: handed it over, called, or could not; or that
/// its return receipt came back.
pub(super) async fn done(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<Outcome>,
) -> Result<Redirect, PageError> {
    let who = &session.principal;
    // A receipt's refusals have words of their own (`receipt_…`).
    let (done, refused) = if f.outcome == "receipt_returned" {
        (app.receipt_returned(who, id, &f.signed_on).await, "receipt_")
    } else {
        let done = match f.outcome.as_str() {
            "posted" => Done::Posted,
            "handed_over" => Done::HandedOver,
            "called" => Done::Called { note: f.note.clone() },
            "failed" => Done::Failed { reason: f.note.clone() },
            _ => return Ok(Redirect::to(&back_to(&f.back, "", "?refused=outcome"))),
        };
        (app.delivery_done(who, id, done).await, "")
    };
    Ok(Redirect::to(&match done {
        Ok(number) => back_to(&f.back, &number, "?saved=1"),
        Err(e) => match refusal_code(&e) {
            // Back to the case the delivery belongs to (only then is its number read again).
            Some(code) => {
                let number = app.delivery_case(who, id).await?;
                back_to(&f.back, &number, &format!("?refused={refused}{code}"))
            }
            None => return Err(e.into()),
        },
    }))
}

/// The machine code of a refusal the page explains (a wrong field, a conflict).
fn refusal_code(e: &harta_app::AppError) -> Option<&'static str> {
    match e {
        harta_app::AppError::Invalid(found) => Some(found.first().map_or("invalid", |f| f.code)),
        harta_app::AppError::Conflict { code, .. } => Some(code),
        _ => None,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Again {
    channel: String,
    /// `yes`: by post, with a return receipt.
    return_receipt: String,
    back: String,
}

/// Sends an issued letter again on the channel chosen.
pub(super) async fn again(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    Path((number, n)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<Again>,
) -> Result<Redirect, PageError> {
    Ok(Redirect::to(&match app
        .deliver_again(&session.principal, &number, n, &f.channel, f.return_receipt == "yes")
        .await
    {
        Ok(_) => back_to(&f.back, &number, "?saved=1"),
        Err(e) => match refusal_code(&e) {
            Some(code) => back_to(&f.back, &number, &format!("?refused={code}")),
            None => return Err(e.into()),
        },
    }))
}
