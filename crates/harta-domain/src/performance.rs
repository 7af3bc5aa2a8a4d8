//! How well the charter's promises are kept (C16, C17, C22, C24): every figure defined once.
//!
//! A figure is always about a *cohort*: the cases received in a period. "Received 120, answered
//! on time 97" means that of the 120 cases received in March, 97 were answered by the date
//! promised at registration, whenever that answer went out. A cohort's counts settle as its
//! cases are answered; a period's figures never mix in cases received in another period, so
//! anyone can check them against the list of cases received in it.
//!
//! The store counts by the same definitions in SQL (it must, to count millions of cases), and a
//! test holds the two to each other: [`CaseFacts::contributions`] is the definition.

use std::collections::BTreeMap;

use jiff::ToSpan;
use jiff::civil::Date;

use crate::case::{CaseKind, State};

names! {
    /// A promise whose keeping is measured: one per kind of case, and the holding reply of C17.
    Commitment {
        /// Service requests, by each service's own deadline.
        ServiceRequest => "service_request",
        /// Letters, faxes and e-mails: 10 working days (C16).
        Letter => "letter",
        /// Complaints: 7 working days (C22).
        Complaint => "complaint",
        /// Suggestions and opinions.
        Suggestion => "suggestion",
        /// A holding reply sent before the original date runs out (C17).
        HoldingReply => "holding_reply",
    }
}

impl Commitment {
    /// The commitment that answering a case of `kind` keeps.
    pub fn of(kind: CaseKind) -> Self {
        match kind {
            CaseKind::ServiceRequest => Self::ServiceRequest,
            CaseKind::Letter => Self::Letter,
            CaseKind::Complaint => Self::Complaint,
            CaseKind::Suggestion => Self::Suggestion,
        }
    }

    /// The kind of case it is about; `None` for the holding reply, which any kind may need.
    pub fn kind(self) -> Option<CaseKind> {
        match self {
            Self::ServiceRequest => Some(CaseKind::ServiceRequest),
            Self::Letter => Some(CaseKind::Letter),
            Self::Complaint => Some(CaseKind::Complaint),
            Self::Suggestion => Some(CaseKind::Suggestion),
            Self::HoldingReply => None,
        }
    }
}

names! {
    /// What the rows of a table of figures stand for, besides their commitment.
    Grouping {
        /// One row per calendar month of receipt.
        Month => "month",
        /// One row per unit.
        Unit => "unit",
        /// One row per commitment, for the whole period.
        Commitment => "commitment",
        /// One row per service (service requests only).
        Service => "service",
        /// One row per channel of receipt.
        Channel => "channel",
    }
}

/// What the figures need to know of one case; the store keeps these in the case's row,
/// written in the transaction that changes the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    /// What it is.
    pub kind: CaseKind,
    /// Where it is now.
    pub state: State,
    /// The day it was received (the cohort it belongs to).
    pub received_on: Date,
    /// The date promised at registration (moved only by the charter's rule while we waited
    /// for the person, or by a calendar decision).
    pub original_due: Date,
    /// The date a holding reply set, if one did.
    pub extended_due: Option<Date>,
    /// The day the first holding reply was sent.
    pub held_on: Option<Date>,
    /// The day the answer was given.
    pub answered_on: Option<Date>,
}

names! {
    /// How an answer kept its promise.
    Timeliness {
        /// By the date promised at registration.
        OnTime => "on_time",
        /// After that date, but by the date of a holding reply sent before it ran out.
        OnTimeWithHoldingReply => "on_time_with_holding_reply",
        /// Later than that.
        Late => "late",
    }
}

impl CaseFacts {
    /// How its answer kept the promise; `None` while it is not answered.
    pub fn timeliness(&self) -> Option<Timeliness> {
        let answered = self.answered_on?;
        Some(if answered <= self.original_due {
            Timeliness::OnTime
        } else if self.extended_due.is_some_and(|d| answered <= d) && self.held_in_time() == Some(true) {
            Timeliness::OnTimeWithHoldingReply
        } else {
            Timeliness::Late
        })
    }

    /// Whether its holding reply went out by the original date; `None` without one.
    pub fn held_in_time(&self) -> Option<bool> {
        self.held_on.map(|held| held <= self.original_due)
    }

    /// Still waiting for its answer after the date in force (`today` not counted as late).
    pub fn is_open_overdue(&self, today: Date) -> bool {
        self.state.is_open() && self.extended_due.unwrap_or(self.original_due) < today
    }

    /// What the case counts for: its kind's commitment, and the holding reply's once it had
    /// one. `days` counts working days from `received_on` to another day (the calendar's
    /// [`working_days_between`](crate::calendar::Calendar::working_days_between)).
    ///
    /// This is the definition the store keeps added up (its view `case_figures`; a test holds
    /// the two together).
    pub fn contributions<E>(
        &self,
        days: impl Fn(Date, Date) -> Result<i64, E>,
    ) -> Result<(Contribution, Option<Contribution>), E> {
        let standing = Standing::of(self.state);
        let due = self.state.is_open().then(|| self.extended_due.unwrap_or(self.original_due));
        // An answer keyed in before the day it is dated took no working days, not fewer.
        let took = |day: Date| days(self.received_on, day).map(|n| n.max(0));
        let answered = match self.answered_on {
            Some(answered) => Some((self.timeliness().unwrap_or(Timeliness::Late), took(answered)?)),
            None => None,
        };
        let own = Contribution { kind: self.kind, holding: false, answered, standing, due };
        let held = match self.held_on {
            Some(held) => {
                let timeliness = if self.held_in_time() == Some(true) { Timeliness::OnTime } else { Timeliness::Late };
                let answered = Some((timeliness, took(held)?));
                Some(Contribution { kind: self.kind, holding: true, answered, standing, due })
            }
            None => None,
        };
        Ok((own, held))
    }
}

names! {
    /// Where a case stands, as the figures see it.
    Standing {
        /// Not answered, forwarded or withdrawn yet.
        Open => "open",
        /// Withdrawn by the person.
        Withdrawn => "withdrawn",
        /// Sent on to the competent authority.
        Forwarded => "forwarded",
        /// Answered or closed.
        Settled => "settled",
    }
}

impl Standing {
    /// Where a case in `state` stands.
    pub fn of(state: State) -> Self {
        match state {
            State::Withdrawn => Self::Withdrawn,
            State::Forwarded => Self::Forwarded,
            s if s.is_open() => Self::Open,
            _ => Self::Settled,
        }
    }
}

/// What one case counts for under one commitment: its kind's (`holding` false) or the holding
/// reply's (`holding` true). Cases with equal contributions are counted together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Contribution {
    /// The kind of case.
    pub kind: CaseKind,
    /// Whether this counts for the holding reply's commitment.
    pub holding: bool,
    /// How its answer (for the holding reply: the holding reply) kept the promise, and after
    /// how many working days from receipt; `None` while there is none.
    pub answered: Option<(Timeliness, i64)>,
    /// Where the case stands.
    pub standing: Standing,
    /// The date in force while it is open.
    pub due: Option<Date>,
}

impl Contribution {
    /// The commitment it counts for.
    pub fn commitment(&self) -> Commitment {
        if self.holding { Commitment::HoldingReply } else { Commitment::of(self.kind) }
    }

    /// Adds `n` cases with this contribution to the tally of its commitment, "open and
    /// overdue" as of `today` (whose own date is not yet late).
    pub fn count(&self, n: u64, today: Date, into: &mut BTreeMap<Commitment, Tally>) {
        let tally = into.entry(self.commitment()).or_default();
        tally.received += n;
        if self.standing == Standing::Open {
            tally.open += n;
            if self.due.is_some_and(|due| due < today) {
                tally.open_overdue += n;
            }
        }
        // A withdrawn or forwarded case's holding reply is counted, the case itself not again.
        match (self.standing, self.holding) {
            (Standing::Withdrawn, false) => tally.withdrawn += n,
            (Standing::Forwarded, false) => tally.forwarded += n,
            _ => {}
        }
        if let Some((timeliness, days)) = self.answered {
            tally.answered(Some(timeliness), days, n);
        }
    }
}

names! {
    /// Which of a figure's cases a list shows: each count of a [`Tally`] has its outcome, so
    /// that every figure links to the cases behind it.
    Outcome {
        /// Every case received.
        Received => "received",
        /// Answered.
        Answered => "answered",
        /// Answered by the date promised at registration.
        OnTime => "on_time",
        /// Answered by the date of a holding reply sent in time.
        OnTimeWithHoldingReply => "on_time_with_holding_reply",
        /// Answered later.
        Late => "late",
        /// Not answered, forwarded or withdrawn yet.
        Open => "open",
        /// Open and past the date in force.
        OpenOverdue => "open_overdue",
        /// Withdrawn.
        Withdrawn => "withdrawn",
        /// Forwarded.
        Forwarded => "forwarded",
        /// Given a holding reply.
        HoldingReply => "holding_reply",
        /// Given a holding reply by the original date.
        HoldingReplyInTime => "holding_reply_in_time",
        /// Given a holding reply after the original date.
        HoldingReplyLate => "holding_reply_late",
    }
}

impl Outcome {
    /// Whether a case with `facts` is one of these on `today`: the definition the store's
    /// list filter follows (and a test holds it to).
    pub fn holds(self, facts: &CaseFacts, today: Date) -> bool {
        match self {
            Self::Received => true,
            Self::Answered => facts.answered_on.is_some(),
            Self::OnTime => facts.timeliness() == Some(Timeliness::OnTime),
            Self::OnTimeWithHoldingReply => facts.timeliness() == Some(Timeliness::OnTimeWithHoldingReply),
            Self::Late => facts.timeliness() == Some(Timeliness::Late),
            Self::Open => facts.state.is_open(),
            Self::OpenOverdue => facts.is_open_overdue(today),
            Self::Withdrawn => facts.state == State::Withdrawn,
            Self::Forwarded => facts.state == State::Forwarded,
            Self::HoldingReply => facts.held_on.is_some(),
            Self::HoldingReplyInTime => facts.held_in_time() == Some(true),
            Self::HoldingReplyLate => facts.held_in_time() == Some(false),
        }
    }
}

/// The counts of one group of cases: one row of a table of figures.
///
/// For the holding reply, "answered" means that a holding reply was sent, "on time" that it
/// was sent by the original date, and the working days are those until it was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases received.
    pub received: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Answered by the date promised at registration.
    pub answered_on_time: u64,
    /// Answered after it, but by the date of a holding reply sent in time.
    pub answered_on_time_with_holding_reply: u64,
    /// Answered later than that.
    pub answered_late: u64,
    /// Not answered, forwarded or withdrawn yet.
    pub open: u64,
    /// Of the open ones, past their date today.
    pub open_overdue: u64,
    /// Withdrawn by the person (not counted as answered, nor as late).
    pub withdrawn: u64,
    /// Sent on to the competent authority (not counted as answered, nor as late).
    pub forwarded: u64,
    /// How many answers took how many working days.
    pub working_days: BTreeMap<u32, u64>,
}

impl Tally {
    /// Counts `n` answers given `days` working days after receipt.
    pub fn answered(&mut self, timeliness: Option<Timeliness>, days: i64, n: u64) {
        self.answered += n;
        match timeliness {
            Some(Timeliness::OnTime) => self.answered_on_time += n,
            Some(Timeliness::OnTimeWithHoldingReply) => self.answered_on_time_with_holding_reply += n,
            Some(Timeliness::Late) | None => self.answered_late += n,
        }
        // An answer on the day of receipt took no working days; one keyed in before the day
        // it is dated cannot have taken fewer.
        let days = u32::try_from(days.max(0)).unwrap_or(u32::MAX);
        *self.working_days.entry(days).or_default() += n;
    }

    /// Adds another group's counts to these.
    pub fn add(&mut self, other: &Tally) {
        self.received += other.received;
        self.answered += other.answered;
        self.answered_on_time += other.answered_on_time;
        self.answered_on_time_with_holding_reply += other.answered_on_time_with_holding_reply;
        self.answered_late += other.answered_late;
        self.open += other.open;
        self.open_overdue += other.open_overdue;
        self.withdrawn += other.withdrawn;
        self.forwarded += other.forwarded;
        for (days, n) in &other.working_days {
            *self.working_days.entry(*days).or_default() += n;
        }
    }

    /// The median of the working days to answer (see [`Tally::percentile`]).
    pub fn median_working_days(&self) -> Option<u32> {
        self.percentile(50)
    }

    /// The 90th percentile of the working days to answer.
    pub fn p90_working_days(&self) -> Option<u32> {
        self.percentile(90)
    }

    /// The `p`th percentile of the working days to answer by nearest rank: the fewest working
    /// days within which at least `p` % of the answers were given. Always a number of days some
    /// answer really took, and the same however the counts were added up. `None` with no
    /// answers.
    pub fn percentile(&self, p: u8) -> Option<u32> {
        let total: u64 = self.working_days.values().sum();
        if total == 0 {
            return None;
        }
        // The rank ⌈p/100 · total⌉, at least 1.
        let rank = (u64::from(p.min(100)) * total).div_ceil(100).max(1);
        let mut seen = 0;
        self.working_days.iter().find_map(|(days, n)| {
            seen += n;
            (seen >= rank).then_some(*days)
        })
    }

    /// The share of answers given on time (by the promised date, or by a holding reply's).
    pub fn on_time_share(&self, too_few: u64) -> Share {
        Share::of(self.answered_on_time + self.answered_on_time_with_holding_reply, self.answered, too_few)
    }
}

/// A share that is stated only when enough cases stand behind it: a unit that answered two
/// letters, both on time, has not shown that it keeps its promise "100 %".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// Fewer cases than the charter's minimum: no percentage.
    TooFew {
        /// The cases there were.
        whole: u64,
    },
    /// `part` of `whole`.
    Of {
        /// The cases that count.
        part: u64,
        /// All the cases.
        whole: u64,
    },
}

impl Share {
    /// `part` of `whole`, or too few when `whole` is under `too_few`.
    pub fn of(part: u64, whole: u64, too_few: u64) -> Self {
        if whole == 0 || whole < too_few { Self::TooFew { whole } } else { Self::Of { part, whole } }
    }

    /// The percentage in tenths (875 for 87.5 %), rounded half up; `None` when too few.
    pub fn per_mille(self) -> Option<u64> {
        match self {
            Self::TooFew { .. } => None,
            Self::Of { part, whole } => Some((part * 2000 + whole) / (2 * whole)),
        }
    }
}

/// A period of days, both ends included: what a table of figures covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    from: Date,
    to: Date,
}

/// The longest period figures are asked for at once.
pub const MAX_YEARS: i16 = 10;

/// Why a period was refused; each names the parameter at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Not a date as YYYY-MM-DD.
    #[error("\"{given}\" is not a date as YYYY-MM-DD")]
    Malformed {
        /// `from` or `to`.
        field: &'static str,
        /// What was given.
        given: String,
    },
    /// The start is after the end.
    #[error("the start {from} is after the end {to}")]
    Backwards {
        /// The start.
        from: Date,
        /// The end.
        to: Date,
    },
    /// Longer than [`MAX_YEARS`].
    #[error("a period may be at most {MAX_YEARS} years long")]
    TooLong,
}

impl PeriodError {
    /// The parameter at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Malformed { field, .. } => field,
            Self::Backwards { .. } | Self::TooLong => "to",
        }
    }
}

impl crate::Coded for PeriodError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed_date",
            Self::Backwards { .. } => "backwards",
            Self::TooLong => "too_long",
        }
    }
}

impl Period {
    /// The days from `from` to `to`, both included.
    pub fn new(from: Date, to: Date) -> Result<Self, PeriodError> {
        if from > to {
            return Err(PeriodError::Backwards { from, to });
        }
        let limit = from.checked_add(MAX_YEARS.years()).map_err(|_| PeriodError::TooLong)?;
        if to >= limit {
            return Err(PeriodError::TooLong);
        }
        Ok(Self { from, to })
    }

    /// Parses `from` and `to` as given in a query (YYYY-MM-DD); a missing end is filled by
    /// `default`'s.
    pub fn parse(from: Option<&str>, to: Option<&str>, default: Period) -> Result<Self, PeriodError> {
        let day = |field: &'static str, given: Option<&str>, or: Date| match given.map(str::trim) {
            None | Some("") => Ok(or),
            Some(s) => parse_day(s).ok_or_else(|| PeriodError::Malformed { field, given: s.to_string() }),
        };
        Self::new(day("from", from, default.from)?, day("to", to, default.to)?)
    }

    /// The first day.
    pub fn from(self) -> Date {
        self.from
    }

    /// The last day.
    pub fn to(self) -> Date {
        self.to
    }

    /// The whole calendar period of `kind` that holds `day`.
    pub fn containing(kind: PeriodKind, day: Date) -> Self {
        let start = match kind {
            PeriodKind::Week => day.checked_sub(i64::from(day.weekday().to_monday_zero_offset()).days()),
            PeriodKind::Month => Ok(day.first_of_month()),
            PeriodKind::Quarter => Date::new(day.year(), (day.month() - 1) / 3 * 3 + 1, 1),
            PeriodKind::Year => Ok(day.first_of_year()),
        }
        .unwrap_or(day);
        let end = start.checked_add(kind.span()).and_then(|d| d.yesterday()).unwrap_or(day);
        Self { from: start, to: end }
    }

    /// The last whole period of `kind` that ended before `today`.
    pub fn last_complete(kind: PeriodKind, today: Date) -> Self {
        let current = Self::containing(kind, today);
        current.from.yesterday().map_or(current, |d| Self::containing(kind, d))
    }

    /// The whole period of `kind` before this one (which starts one).
    pub fn before(self, kind: PeriodKind) -> Self {
        self.from.yesterday().map_or(self, |d| Self::containing(kind, d))
    }

    /// Whether `day` is in it.
    pub fn contains(self, day: Date) -> bool {
        (self.from..=self.to).contains(&day)
    }

    /// The calendar months it touches, each cut to the period.
    pub fn months(self) -> impl Iterator<Item = Period> {
        let mut next = Some(self.from);
        std::iter::from_fn(move || {
            let from = next?;
            let month_end = from.last_of_month();
            let to = month_end.min(self.to);
            next = month_end.tomorrow().ok().filter(|d| *d <= self.to);
            Some(Period { from, to })
        })
    }
}

/// A day as YYYY-MM-DD, and nothing else (jiff also reads longer forms).
fn parse_day(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
    if !shape || !b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

names! {
    /// The calendar periods a scorecard compares.
    PeriodKind {
        /// Monday to Sunday.
        Week => "week",
        /// A calendar month.
        Month => "month",
        /// January–March, April–June, July–September, October–December.
        Quarter => "quarter",
        /// A calendar year.
        Year => "year",
    }
}

impl PeriodKind {
    fn span(self) -> jiff::Span {
        match self {
            Self::Week => 7.days(),
            Self::Month => 1.month(),
            Self::Quarter => 3.months(),
            Self::Year => 1.year(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn letter(received: &str, due: &str) -> CaseFacts {
        CaseFacts {
            kind: CaseKind::Letter,
            state: State::Answered,
            received_on: d(received),
            original_due: d(due),
            extended_due: None,
            held_on: None,
            answered_on: None,
        }
    }

    /// Calendar days stand in for working days where only the counting is under test.
    fn days(a: Date, b: Date) -> Result<i64, ()> {
        Ok((b - a).get_days().into())
    }

    #[test]
    fn an_answer_by_the_promised_date_is_on_time_and_the_last_day_counts() {
        let case = CaseFacts { answered_on: Some(d("2026-12-15")), ..letter("2026-12-01", "2026-12-15") };
        assert_eq!(case.timeliness(), Some(Timeliness::OnTime));
        let late = CaseFacts { answered_on: Some(d("2026-12-16")), ..case };
        assert_eq!(late.timeliness(), Some(Timeliness::Late));
        let open = CaseFacts { state: State::InProgress, answered_on: None, ..case };
        assert_eq!(open.timeliness(), None);
    }

    #[test]
    fn a_holding_reply_sent_in_time_keeps_a_later_answer_on_time_but_apart() {
        let held = CaseFacts {
            extended_due: Some(d("2027-01-15")),
            held_on: Some(d("2026-12-14")),
            answered_on: Some(d("2027-01-10")),
            ..letter("2026-12-01", "2026-12-15")
        };
        assert_eq!(held.timeliness(), Some(Timeliness::OnTimeWithHoldingReply));
        assert_eq!(CaseFacts { answered_on: Some(d("2027-01-18")), ..held }.timeliness(), Some(Timeliness::Late));
        // Sent after the original date ran out, it does not save the answer.
        let sent_late = CaseFacts { held_on: Some(d("2026-12-16")), ..held };
        assert_eq!(sent_late.timeliness(), Some(Timeliness::Late));
        assert_eq!(sent_late.held_in_time(), Some(false));
        // Answered by the original date anyway: plainly on time.
        assert_eq!(CaseFacts { answered_on: Some(d("2026-12-11")), ..held }.timeliness(), Some(Timeliness::OnTime));
    }

    #[test]
    fn overdue_is_open_past_the_date_in_force_and_today_is_not_late() {
        let open = CaseFacts { state: State::InProgress, ..letter("2026-12-01", "2026-12-15") };
        assert!(!open.is_open_overdue(d("2026-12-15")));
        assert!(open.is_open_overdue(d("2026-12-16")));
        let held = CaseFacts { extended_due: Some(d("2027-01-15")), ..open };
        assert!(!held.is_open_overdue(d("2026-12-16")));
        let withdrawn = CaseFacts { state: State::Withdrawn, ..open };
        assert!(!withdrawn.is_open_overdue(d("2026-12-16")));
    }

    #[test]
    fn a_case_counts_for_its_kind_and_its_holding_reply_for_c17() {
        let mut t = BTreeMap::new();
        let held = CaseFacts {
            extended_due: Some(d("2027-01-15")),
            held_on: Some(d("2026-12-14")),
            answered_on: Some(d("2027-01-10")),
            ..letter("2026-12-01", "2026-12-15")
        };
        let withdrawn = CaseFacts { state: State::Withdrawn, ..letter("2026-12-02", "2026-12-16") };
        for (facts, n) in [(held, 1), (withdrawn, 2)] {
            let (own, holding) = facts.contributions(days).unwrap();
            for c in std::iter::once(own).chain(holding) {
                c.count(n, d("2027-02-01"), &mut t);
            }
        }
        let letters = &t[&Commitment::Letter];
        assert_eq!((letters.received, letters.answered, letters.withdrawn), (3, 1, 2));
        assert_eq!(letters.answered_on_time_with_holding_reply, 1);
        assert_eq!(letters.working_days, BTreeMap::from([(40, 1)]));
        let holding = &t[&Commitment::HoldingReply];
        assert_eq!((holding.received, holding.answered, holding.answered_on_time), (1, 1, 1));
        assert_eq!(holding.working_days, BTreeMap::from([(13, 1)]));
    }

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let mut t = Tally::default();
        for days in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] {
            t.answered(Some(Timeliness::OnTime), days, 1);
        }
        assert_eq!(t.median_working_days(), Some(5));
        assert_eq!(t.p90_working_days(), Some(9));
        assert_eq!(t.percentile(100), Some(10));
        assert_eq!(t.percentile(0), Some(1));
        assert_eq!(Tally::default().median_working_days(), None);
        let mut one = Tally::default();
        one.answered(None, 4, 3);
        assert_eq!((one.median_working_days(), one.p90_working_days()), (Some(4), Some(4)));
        assert_eq!(one.answered_late, 3);
    }

    #[test]
    fn a_share_needs_enough_cases_and_rounds_half_up() {
        assert_eq!(Share::of(2, 2, 10), Share::TooFew { whole: 2 });
        assert_eq!(Share::of(0, 0, 0), Share::TooFew { whole: 0 });
        assert_eq!(Share::of(7, 8, 5).per_mille(), Some(875));
        assert_eq!(Share::of(2, 3, 1).per_mille(), Some(667));
        assert_eq!(Share::of(1, 3, 1).per_mille(), Some(333));
        assert_eq!(Share::of(10, 10, 10).per_mille(), Some(1000));
        assert_eq!(Share::of(1, 2000, 1).per_mille(), Some(1));
        assert_eq!(Share::of(1, 2001, 1).per_mille(), Some(0));
    }

    #[test]
    fn periods_refuse_what_the_parameters_name() {
        let default = Period::new(d("2026-01-01"), d("2026-12-31")).unwrap();
        assert_eq!(Period::parse(None, None, default), Ok(default));
        assert_eq!(Period::parse(Some("2026-03-01"), None, default).unwrap().from(), d("2026-03-01"));
        let e = Period::parse(Some("2026-3-1"), None, default).unwrap_err();
        assert_eq!((e.field(), crate::Coded::code(&e)), ("from", "malformed_date"));
        let e = Period::parse(None, Some("2026-02-30"), default).unwrap_err();
        assert_eq!(e.field(), "to");
        let e = Period::parse(Some("2026-05-01"), Some("2026-04-30"), default).unwrap_err();
        assert_eq!((e.field(), crate::Coded::code(&e)), ("to", "backwards"));
        assert!(Period::parse(Some("2016-01-01"), Some("2025-12-31"), default).is_ok());
        let e = Period::parse(Some("2016-01-01"), Some("2026-01-01"), default).unwrap_err();
        assert_eq!(e, PeriodError::TooLong);
        assert!(Period::parse(Some("+002026-01-01"), None, default).is_err());
    }

    #[test]
    fn calendar_periods_hold_the_day_and_follow_each_other() {
        let day = d("2026-12-02");
        let p = |kind| {
            let p = Period::containing(kind, day);
            (p.from().to_string(), p.to().to_string())
        };
        assert_eq!(p(PeriodKind::Week), ("2026-11-30".into(), "2026-12-06".into()));
        assert_eq!(p(PeriodKind::Month), ("2026-12-01".into(), "2026-12-31".into()));
        assert_eq!(p(PeriodKind::Quarter), ("2026-10-01".into(), "2026-12-31".into()));
        assert_eq!(p(PeriodKind::Year), ("2026-01-01".into(), "2026-12-31".into()));
        let last = Period::last_complete(PeriodKind::Quarter, day);
        assert_eq!((last.from(), last.to()), (d("2026-07-01"), d("2026-09-30")));
        let before = last.before(PeriodKind::Quarter);
        assert_eq!((before.from(), before.to()), (d("2026-04-01"), d("2026-06-30")));
    }

    #[test]
    fn months_cut_the_period_into_its_calendar_months() {
        let p = Period::new(d("2026-01-15"), d("2026-03-10")).unwrap();
        let months: Vec<_> = p.months().map(|m| (m.from().to_string(), m.to().to_string())).collect();
        assert_eq!(
            months,
            [
                ("2026-01-15".into(), "2026-01-31".into()),
                ("2026-02-01".into(), "2026-02-28".into()),
                ("2026-03-01".into(), "2026-03-10".into())
            ]
        );
    }

    proptest! {
        /// However a set of answers is split into groups, the groups add up to the whole:
        /// the yearly figures are the months' figures added, the median included.
        #[test]
        fn tallies_add_up_whatever_the_grouping(answers in proptest::collection::vec((0i64..40, 0u8..3), 1..200), cut in 0usize..200) {
            let timeliness = |t: u8| [Timeliness::OnTime, Timeliness::OnTimeWithHoldingReply, Timeliness::Late][usize::from(t)];
            let mut whole = Tally::default();
            let (mut a, mut b) = (Tally::default(), Tally::default());
            for (i, (days, t)) in answers.iter().enumerate() {
                whole.answered(Some(timeliness(*t)), *days, 1);
                if i < cut { &mut a } else { &mut b }.answered(Some(timeliness(*t)), *days, 1);
            }
            a.add(&b);
            prop_assert_eq!(&a, &whole);
            let mut sorted: Vec<i64> = answers.iter().map(|(d, _)| *d).collect();
            sorted.sort_unstable();
            let rank = |p: usize| (p * sorted.len()).div_ceil(100).max(1) - 1;
            prop_assert_eq!(whole.median_working_days(), Some(sorted[rank(50)] as u32));
            prop_assert_eq!(whole.p90_working_days(), Some(sorted[rank(90)] as u32));
            prop_assert_eq!(whole.answered_on_time + whole.answered_on_time_with_holding_reply + whole.answered_late, whole.answered);
        }
    }
}
