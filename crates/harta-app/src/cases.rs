//! Cases: reading and listing them (registering is in [`registering`]), and the field
//! parsing every use case shares.

mod registering;

pub use registering::{PartyInput, RegisterCaseInput, Registration};

use harta_domain::Coded;
use harta_domain::case::{CaseKind, PreferredChannel, State};
use harta_domain::deadline::DeadlineStatus;
use harta_domain::format::in_sofia;
use harta_domain::identifiers::{Egn, Email, Lnch, Phone};
use harta_domain::party::NationalIdKind;
use harta_domain::performance::Outcome;
use harta_domain::text::Address;
pub use harta_store::cases::CaseSummary;
use harta_store::cases::{After, CaseFilter, CaseRecord, Contact, Found, Order, PartyRecord, RecordedEvent};
use jiff::civil::Date;

use crate::access::{Action, Principal};
use crate::{App, AppError, FieldError};

/// A case as a caller may see it, with how its deadline stands today.
#[derive(Debug, Clone)]
pub struct CaseView {
    /// The case and its party.
    pub case: CaseRecord,
    /// Its history.
    pub events: Vec<RecordedEvent>,
    /// How the deadline stands today (open cases only).
    pub deadline: Option<DeadlineStatus>,
}

/// Filters for listing cases, unchecked.
#[derive(Debug, Clone, Default)]
pub struct ListInput {
    /// State name.
    pub state: Option<String>,
    /// Kind name.
    pub kind: Option<String>,
    /// Unit code.
    pub unit: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_before: Option<String>,
    /// Page number from 1.
    pub page: Option<String>,
    /// Page size, 1–100.
    pub per_page: Option<String>,
    /// Words to find in the number, subject, text or name (at most 200 characters).
    pub search: Option<String>,
    /// Only open cases (when no state is asked for).
    pub open_only: bool,
    /// Only cases of this responsible officer (a staff id).
    pub officer: Option<String>,
    /// Received on or after this day, `YYYY-MM-DD` (Sofia time).
    pub received_from: Option<String>,
    /// Received on or before this day, `YYYY-MM-DD` (Sofia time).
    pub received_until: Option<String>,
    /// Only open cases past their due date.
    pub overdue: bool,
    /// Only the cases behind a figure: an outcome's name (`on_time`, `late`, `open_overdue`…,
    /// see [`Outcome`]).
    pub outcome: Option<String>,
    /// Only cases nobody is responsible for yet.
    pub unassigned: bool,
    /// `due` (soonest first) or `received` (newest first); by default soonest due first, and
    /// newest first for cases that are no longer open.
    pub sort: Option<String>,
    /// The cursor of the previous page's last row ([`CasePage::next`]).
    pub after: Option<String>,
}

/// A page of cases.
#[derive(Debug, Clone)]
pub struct CasePage {
    /// The cases.
    pub items: Vec<CaseSummary>,
    /// This page's number.
    pub page: u32,
    /// The page size.
    pub per_page: u32,
    /// How many cases the filters find in all: exactly, or at least when `total_exact` is
    /// false (a search for a common word reads only as far as its page goes).
    pub total: u64,
    /// Whether `total` is the whole count.
    pub total_exact: bool,
    /// The cursor for the next page (`after`), when there are more.
    pub next: Option<String>,
}

/// A keyset cursor as text: `d` and the due date, or `r` and the moment received in
/// milliseconds, then `.` and the row id.
fn cursor_text(after: After) -> String {
    match after {
        After::Due(due, id) => format!("d{due}.{id}"),
        After::Received(at, id) => format!("r{}.{id}", at.as_millisecond()),
    }
}

fn parse_cursor(text: &str) -> Option<After> {
    let (key, id) = text.get(1..)?.rsplit_once('.')?;
    let id = id.parse().ok()?;
    match text.as_bytes().first()? {
        b'd' => Some(After::Due(key.parse().ok()?, id)),
        b'r' => Some(After::Received(jiff::Timestamp::from_millisecond(key.parse().ok()?).ok()?, id)),
        _ => None,
    }
}

/// How a person is reached, unchecked.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    /// E-mail.
    pub email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// `email`, `post`, `phone`, `fax` or `in_person`.
    pub preferred_channel: Option<String>,
}

/// Parses how a person is reached (fields named with `prefix`). C20: the answer goes the way
/// the person prefers, so that way must be reachable: e-mail needs an address, post a postal
/// address, telephone and fax a number.
pub(crate) fn parse_contact(
    f: &mut Fields,
    prefix: &str,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    preferred: Option<String>,
) -> Contact {
    let email = f.optional(&format!("{prefix}email"), email.as_deref(), Email::parse);
    let phone = f.optional(&format!("{prefix}phone"), phone.as_deref(), Phone::parse);
    let address = f.optional(&format!("{prefix}address"), address.as_deref(), Address::parse);
    let preferred_channel = f.optional(
        &format!("{prefix}preferred_channel"),
        preferred.as_deref(),
        one_of("channel", PreferredChannel::ALL, |c| c.as_str(), PreferredChannel::parse),
    );
    let (needed, given) = match preferred_channel {
        Some(PreferredChannel::Email) => ("email", email.is_some()),
        Some(PreferredChannel::Post) => ("address", address.is_some()),
        Some(PreferredChannel::Phone | PreferredChannel::Fax) => ("phone", phone.is_some()),
        _ => ("", true),
    };
    let needed = format!("{prefix}{needed}");
    if !given && !f.0.iter().any(|e| e.field == needed) {
        f.0.push(FieldError::new(needed, "is required for the chosen way of answering").with_code("required"));
    }
    Contact { email, phone, address, preferred_channel }
}

/// Collects field errors while parsing, so the caller hears about every field at once.
#[derive(Default)]
pub(crate) struct Fields(pub(crate) Vec<FieldError>);

impl Fields {
    pub(crate) fn required<T, E: Coded>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => {
                self.0.push(FieldError::required(field));
                None
            }
            Some(v) => self.check(field, parse(v)),
        }
    }

    pub(crate) fn optional<T, E: Coded>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        value.map(str::trim).filter(|v| !v.is_empty()).and_then(|v| self.check(field, parse(v)))
    }

    fn check<T, E: Coded>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.0.push(FieldError::coded(field, &e))).ok()
    }
}

/// A value that is not one of the known names.
#[derive(Debug)]
pub(crate) struct Unknown(String);

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Coded for Unknown {
    fn code(&self) -> &'static str {
        "unknown"
    }
}

pub(crate) fn one_of<T>(
    what: &str,
    all: &[T],
    name: fn(&T) -> &'static str,
    parse: fn(&str) -> Option<T>,
) -> impl FnOnce(&str) -> Result<T, Unknown> {
    let names: Vec<&str> = all.iter().map(name).collect();
    let message = format!("is not a known {what} (one of: {})", names.join(", "));
    move |s| parse(s).ok_or(Unknown(message))
}

impl App {
    /// A case by registry number, if the caller may see it; records the read of personal data
    /// in the audit trail. Another unit's case is "not found", never "forbidden".
    pub async fn view_case(&self, who: &Principal, number: &str) -> Result<CaseView, AppError> {
        let case = self.find_case(who, number).await?;
        let events = self.inner.cases.events(case.id).await?;
        let now = self.now();
        self.inner
            .audit
            .record(now, &who.audit_name(), "view_case", &case.registry_number, "case and party details")
            .await?;
        let deadline = if case.state.is_open() {
            let today = in_sofia(now).date();
            let calendar = self.inner.calendar.current();
            DeadlineStatus::of(&calendar, case.due, today, self.charter().at_risk_working_days).ok()
        } else {
            None
        };
        Ok(CaseView { case, events, deadline })
    }

    /// People and organisations already known, for the counter (roles that register): by ЕГН
    /// or ЛНЧ (through the keyed index, never in clear), e-mail, telephone, or name. The same
    /// details seen on several cases are shown once. The look-up is in the audit trail (what
    /// was looked up by, not the number itself). Staff of one unit find only people of their
    /// unit's cases, as they see only those cases.
    pub async fn find_people(&self, who: &Principal, query: &str) -> Result<Vec<PartyRecord>, AppError> {
        use harta_store::cases::PersonKey;
        who.require(Action::LookUpPeople)?;
        let query = query.trim();
        if query.chars().count() < 3 || query.chars().count() > 200 {
            return Ok(Vec::new());
        }
        let today = in_sofia(self.now()).date();
        let digits: String = query.chars().filter(|c| !c.is_whitespace()).collect();
        let cases = &self.inner.cases;
        let unit = who.unit_scope();
        let (by, found) = if let Ok(egn) = Egn::parse(&digits, today) {
            let index = self.inner.key.blind_index(NationalIdKind::Egn.as_str(), egn.as_str());
            ("egn", cases.find_people(PersonKey::NationalIdIndex(&index), unit, 50).await?)
        } else if let Ok(lnch) = Lnch::parse(&digits) {
            let index = self.inner.key.blind_index(NationalIdKind::Lnch.as_str(), lnch.as_str());
            ("lnch", cases.find_people(PersonKey::NationalIdIndex(&index), unit, 50).await?)
        } else if let Ok(email) = Email::parse(query) {
            ("email", cases.find_people(PersonKey::Email(email.as_str()), unit, 50).await?)
        } else if let Ok(phone) = Phone::parse(query) {
            ("phone", cases.find_people(PersonKey::Phone(phone.as_str()), unit, 50).await?)
        } else {
            ("name", cases.find_people(PersonKey::Words(query), unit, 50).await?)
        };
        self.inner
            .audit
            .record(self.now(), &who.audit_name(), "find_person", by, &format!("{} found", found.len()))
            .await?;
        let mut seen = std::collections::BTreeSet::new();
        Ok(found
            .into_iter()
            .filter(|p| seen.insert((p.name.clone(), p.email.clone(), p.phone.clone(), p.national_id_masked.clone())))
            .take(20)
            .collect())
    }

    /// How a due date stands today (for an open case's row in a list).
    pub fn deadline_of(&self, due: Date) -> Option<DeadlineStatus> {
        let today = in_sofia(self.now()).date();
        DeadlineStatus::of(&self.inner.calendar.current(), due, today, self.charter().at_risk_working_days).ok()
    }

    /// A case the caller may see, by its number as written. A number that does not parse, a
    /// case that does not exist and another unit's case all answer the same "not found"; a
    /// reach into another unit's case is in the audit trail.
    pub(crate) async fn find_case(&self, who: &Principal, number: &str) -> Result<CaseRecord, AppError> {
        let not_found = || AppError::NotFound(format!("case {number}"));
        let number = self.charter().registry.parse(number).map_err(|_| not_found())?;
        if let Some(found) = self.inner.cases.by_number(&number, who.unit_scope()).await? {
            return Ok(found);
        }
        if let Some(unit) = who.unit_scope()
            && let Some(theirs) = self.inner.cases.by_number(&number, None).await?
        {
            let detail = format!("of unit {}, asked from unit {unit}", theirs.unit);
            self.inner
                .audit
                .record(self.now(), &who.audit_name(), "case_out_of_scope", number.as_str(), &detail)
                .await?;
        }
        Err(not_found())
    }

    /// A page of the cases the caller may see, soonest due first.
    pub async fn list_cases(&self, who: &Principal, input: &ListInput) -> Result<CasePage, AppError> {
        let Listing { filter, page, per_page, search } = self.listing(who, input)?;
        let order = filter.order;
        // One row more than the page says whether another page follows.
        let filter = CaseFilter { limit: per_page + 1, ..filter };
        let read = self.inner.cases.page(&filter);
        // A search may be for a person's name: who looked for whom is the audit trail's. The
        // entry is committed while the page is read, and the page is shown only once it is.
        let audited = async {
            match &search {
                Some(q) => {
                    let shown: String = q.chars().take(100).collect();
                    self.inner.audit.record(self.now(), &who.audit_name(), "search_cases", "cases", &shown).await
                }
                None => Ok(()),
            }
        };
        let ((mut items, found), ()) = tokio::try_join!(read, audited)?;
        let (total, total_exact) = match found {
            Found::Exactly(n) => (n, true),
            Found::AtLeast(n) => (n, false),
        };
        let more = items.len() > per_page as usize;
        items.truncate(per_page as usize);
        let next = items.last().filter(|_| more).map(|last| cursor_text(last.after(order)));
        Ok(CasePage { items, page, per_page, total, total_exact, next })
    }

    /// Every case of a list (its filters, not its page), at most [`EXPORT_LIMIT`], for an
    /// export: recorded in the audit trail with the filters and the count, before it is given.
    pub async fn export_cases(&self, who: &Principal, input: &ListInput) -> Result<Vec<CaseSummary>, AppError> {
        let Listing { filter, search, .. } =
            self.listing(who, &ListInput { page: None, after: None, ..input.clone() })?;
        let order = filter.order;
        let mut filter = CaseFilter { limit: 1000, offset: 0, ..filter };
        let mut rows: Vec<CaseSummary> = Vec::new();
        loop {
            let page = self.inner.cases.list(&filter).await?;
            let full = page.len() == filter.limit as usize;
            rows.extend(page);
            if !full || rows.len() >= EXPORT_LIMIT {
                break;
            }
            filter.after = rows.last().map(|last| last.after(order));
        }
        rows.truncate(EXPORT_LIMIT);
        let words: String = search.unwrap_or_default().chars().take(100).collect();
        let detail = format!("{} cases; filters: {}; search: {words}", rows.len(), input.described());
        self.inner.audit.record(self.now(), &who.audit_name(), "export_cases", "cases", &detail).await?;
        Ok(rows)
    }

    /// A list's input parsed into the store's filter (the page's size and number apart).
    fn listing(&self, who: &Principal, input: &ListInput) -> Result<Listing, AppError> {
        let mut f = Fields::default();
        let state =
            f.optional("state", input.state.as_deref(), one_of("state", State::ALL, |s| s.as_str(), State::parse));
        let kind =
            f.optional("kind", input.kind.as_deref(), one_of("kind", CaseKind::ALL, |k| k.as_str(), CaseKind::parse));
        let unit = f.optional("unit", input.unit.as_deref(), |u| {
            self.charter().unit(u).map(|u| u.code.clone()).ok_or_else(|| format!("there is no unit {u}"))
        });
        let due_before = f.optional("due_before", input.due_before.as_deref(), |d| {
            d.parse::<Date>().map_err(|_| format!("\"{d}\" is not a date as YYYY-MM-DD"))
        });
        let page = f.optional("page", input.page.as_deref(), |p| match p.parse::<u32>() {
            Ok(n) if (1..=100_000).contains(&n) => Ok(n),
            _ => Err("must be a whole number from 1".to_string()),
        });
        let per_page = f.optional("per_page", input.per_page.as_deref(), |p| match p.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err("must be a whole number from 1 to 100".to_string()),
        });
        let officer = f.optional("officer", input.officer.as_deref(), |o| {
            o.parse::<i64>().map_err(|_| format!("\"{o}\" is not a staff id"))
        });
        let sofia_day = |d: &str| d.parse::<Date>().map_err(|_| format!("\"{d}\" is not a date as YYYY-MM-DD"));
        // The day of receipt (the one on the envelope for the post keyed in on Monday).
        let received_from = f.optional("received_from", input.received_from.as_deref(), sofia_day);
        let received_until = f.optional("received_until", input.received_until.as_deref(), sofia_day);
        let outcome = f.optional(
            "outcome",
            input.outcome.as_deref(),
            one_of("outcome", Outcome::ALL, |o| o.as_str(), Outcome::parse),
        );
        let order = f.optional("sort", input.sort.as_deref(), |o| match o {
            "due" => Ok(Order::Due),
            "received" => Ok(Order::Newest),
            _ => Err(format!("\"{o}\" is not due or received")),
        });
        let after = f.optional("after", input.after.as_deref(), |a| {
            parse_cursor(a).ok_or_else(|| "is not a cursor this list gave".to_string())
        });
        let search = input.search.as_deref().map(str::trim).filter(|q| !q.is_empty());
        if search.is_some_and(|q| q.chars().count() > 200) {
            let too_long = FieldError::new("search", "must be at most 200 characters").with_code("too_long");
            f.0.push(FieldError { limit: Some(200), ..too_long });
        }
        if !f.0.is_empty() {
            return Err(AppError::Invalid(f.0));
        }
        let (page, per_page) = (page.unwrap_or(1), per_page.unwrap_or(50));
        // Cases no longer open are looked back on: the newest first.
        let order = order.unwrap_or(if state.is_some_and(|s| !s.is_open()) { Order::Newest } else { Order::Due });
        if after
            .is_some_and(|a| !matches!((a, order), (After::Due(..), Order::Due) | (After::Received(..), Order::Newest)))
        {
            return Err(AppError::Invalid(vec![FieldError::new("after", "belongs to another order")]));
        }
        // Overdue: open, and due before today.
        let yesterday = in_sofia(self.now()).date().yesterday().ok();
        let due_before = if input.overdue { due_before.into_iter().chain(yesterday).min() } else { due_before };
        let filter = CaseFilter {
            state,
            kind,
            unit,
            due_before,
            unit_scope: who.unit_scope().map(str::to_string),
            search: search.map(str::to_string),
            open_only: (input.open_only || input.overdue) && state.is_none() && outcome.is_none(),
            responsible: officer,
            unassigned: input.unassigned,
            order,
            after,
            received_from,
            received_until,
            outcome: outcome.map(|o| (o, in_sofia(self.now()).date())),
            limit: per_page,
            offset: (page - 1) * per_page,
        };
        Ok(Listing { filter, page, per_page, search: search.map(str::to_string) })
    }
}

/// The most cases one export holds.
pub const EXPORT_LIMIT: usize = 100_000;

/// A list asked for, parsed.
struct Listing {
    filter: CaseFilter,
    page: u32,
    per_page: u32,
    search: Option<String>,
}

impl ListInput {
    /// The filters given, as `name=value` pairs, for the audit trail (the search apart).
    fn described(&self) -> String {
        let given = [
            ("state", &self.state),
            ("kind", &self.kind),
            ("unit", &self.unit),
            ("due_before", &self.due_before),
            ("officer", &self.officer),
            ("received_from", &self.received_from),
            ("received_until", &self.received_until),
            ("sort", &self.sort),
            ("outcome", &self.outcome),
        ];
        let mut out: Vec<String> = given
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k}={}", v.chars().take(40).collect::<String>())))
            .collect();
        for (flag, on) in [("open_only", self.open_only), ("overdue", self.overdue), ("unassigned", self.unassigned)] {
            if on {
                out.push(flag.to_string());
            }
        }
        out.join(" ")
    }
}
