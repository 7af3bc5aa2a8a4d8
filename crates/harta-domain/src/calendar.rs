//! The Bulgarian working-day calendar.
//!
//! A day is a working day unless it is a Saturday or Sunday, an official holiday of the Labour
//! Code (art. 154, with the history of the list since 1991), a substitute day off under the
//! weekend carry-over rule (since 2017), or a day off decreed by the Council of Ministers. A
//! Council decision may also make a Saturday or Sunday a working day.
//!
//! The calendar is computed once for the whole supported range (1991–2100) into flat tables, so
//! that every question ("is this a working day", "the 10th working day after", "how many working
//! days between") is answered in constant time without allocating. Decisions are data: the
//! shipped ones ([`shipped_decisions`]) plus whatever an administrator adds at run time; a new
//! decision means building a new `Calendar`, which takes about a millisecond.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

/// First year the calendar answers for: the Labour Code holiday list as amended in 1990–1991.
pub const FIRST_YEAR: i16 = 1991;
/// Last year the calendar answers for.
pub const LAST_YEAR: i16 = 2100;
/// The largest number of working days any operation accepts (about forty years).
pub const MAX_WORKING_DAYS: u32 = 10_000;

/// Why a question could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The date lies outside 1991–2100, or the answer would.
    #[error("{0} is outside the supported range {FIRST_YEAR}–{LAST_YEAR}")]
    OutOfRange(Date),
    /// A year outside 1991–2100.
    #[error("year {0} is outside the supported range {FIRST_YEAR}–{LAST_YEAR}")]
    YearOutOfRange(i32),
    /// A month that does not exist.
    #[error("month {0} does not exist (1–12)")]
    NoSuchMonth(i8),
    /// A count of working days that is zero, negative or over the maximum.
    #[error("the number of working days must be between 1 and {MAX_WORKING_DAYS}, not {0}")]
    BadCount(i64),
    /// Two decisions about the same date.
    #[error("there is already a decision for {0}")]
    DuplicateDecision(Date),
    /// A decision that would change nothing: a day off on a day that is off anyway, or a
    /// working day on a weekday that is already a working day.
    #[error("{date} is already {what}; the decision would change nothing")]
    DecisionChangesNothing {
        /// The date of the decision.
        date: Date,
        /// "a day off" or "a working day".
        what: &'static str,
    },
}

impl crate::Coded for CalendarError {
    fn code(&self) -> &'static str {
        match self {
            Self::OutOfRange(_) | Self::YearOutOfRange(_) => "out_of_range",
            Self::NoSuchMonth(_) => "no_such_month",
            Self::BadCount(_) => "bad_count",
            Self::DuplicateDecision(_) => "duplicate_decision",
            Self::DecisionChangesNothing { .. } => "changes_nothing",
        }
    }
}

/// A number of working days: 1 to [`MAX_WORKING_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct WorkingDays(u32);

impl WorkingDays {
    /// Parses a count, refusing zero, negative numbers and absurd ones.
    pub fn new(n: i64) -> Result<Self, CalendarError> {
        if (1..=i64::from(MAX_WORKING_DAYS)).contains(&n) {
            // The range check makes the conversion lossless.
            Ok(Self(n as u32))
        } else {
            Err(CalendarError::BadCount(n))
        }
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for WorkingDays {
    type Error = CalendarError;
    fn try_from(n: i64) -> Result<Self, Self::Error> {
        Self::new(n)
    }
}

impl From<WorkingDays> for u32 {
    fn from(n: WorkingDays) -> u32 {
        n.0
    }
}

impl fmt::Display for WorkingDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A date that the calendar has confirmed to be a working day.
///
/// Only a [`Calendar`] makes one, so a due date can never silently land on a day off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct WorkingDate(Date);

impl WorkingDate {
    /// The calendar date.
    pub fn date(self) -> Date {
        self.0
    }
}

impl fmt::Display for WorkingDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An official holiday of the Labour Code, art. 154(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    /// 1 January.
    NewYear,
    /// 3 March.
    LiberationDay,
    /// Orthodox Good Friday (since 2010).
    GoodFriday,
    /// Orthodox Holy Saturday (since 2010).
    HolySaturday,
    /// Orthodox Easter Sunday.
    EasterSunday,
    /// Orthodox Easter Monday.
    EasterMonday,
    /// 1 May.
    LabourDay,
    /// 6 May (since 1999).
    StGeorgesDay,
    /// 24 May.
    AlphabetDay,
    /// 6 September (since 1998).
    UnificationDay,
    /// 9 September (until 1991).
    FreedomDay,
    /// 22 September (since 1998).
    IndependenceDay,
    /// 24 December (a full day off since 1996).
    ChristmasEve,
    /// 25 December.
    ChristmasDay,
    /// 26 December.
    ChristmasSecondDay,
}

impl Holiday {
    /// The holiday's name in Bulgarian.
    pub fn name_bg(self) -> &'static str {
        match self {
            Self::NewYear => "Нова година",
            Self::LiberationDay => "Ден на Освобождението на България",
            Self::GoodFriday => "Велики петък",
            Self::HolySaturday => "Велика събота",
            Self::EasterSunday => "Великден",
            Self::EasterMonday => "Великден (понеделник)",
            Self::LabourDay => "Ден на труда",
            Self::StGeorgesDay => "Гергьовден, Ден на храбростта",
            Self::AlphabetDay => "Ден на светите братя Кирил и Методий",
            Self::UnificationDay => "Ден на Съединението",
            Self::FreedomDay => "Ден на свободата",
            Self::IndependenceDay => "Ден на Независимостта",
            Self::ChristmasEve => "Бъдни вечер",
            Self::ChristmasDay => "Рождество Христово",
            Self::ChristmasSecondDay => "Рождество Христово (втори ден)",
        }
    }

    /// The holiday's name in English.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::NewYear => "New Year's Day",
            Self::LiberationDay => "Liberation Day",
            Self::GoodFriday => "Good Friday",
            Self::HolySaturday => "Holy Saturday",
            Self::EasterSunday => "Easter Sunday",
            Self::EasterMonday => "Easter Monday",
            Self::LabourDay => "Labour Day",
            Self::StGeorgesDay => "St George's Day",
            Self::AlphabetDay => "Day of Saints Cyril and Methodius",
            Self::UnificationDay => "Unification Day",
            Self::FreedomDay => "Freedom Day",
            Self::IndependenceDay => "Independence Day",
            Self::ChristmasEve => "Christmas Eve",
            Self::ChristmasDay => "Christmas Day",
            Self::ChristmasSecondDay => "Second day of Christmas",
        }
    }

    /// Whether the weekend carry-over rule applies: all holidays but Holy Saturday and Easter
    /// Sunday (Good Friday and Easter Monday never fall on a weekend).
    fn carries_over(self) -> bool {
        !matches!(self, Self::HolySaturday | Self::EasterSunday)
    }
}

/// Orthodox Easter Sunday of a year, in the Gregorian calendar.
///
/// The Julian computus (Meeus), then the Julian-to-Gregorian offset of the century.
pub fn orthodox_easter(year: i16) -> Result<Date, CalendarError> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(CalendarError::YearOutOfRange(year.into()));
    }
    let y = i32::from(year);
    let a = y % 4;
    let b = y % 7;
    let c = y % 19;
    let d = (19 * c + 15) % 30;
    let e = (2 * a + 4 * b - d + 34) % 7;
    let month = (d + e + 114) / 31;
    let day = (d + e + 114) % 31 + 1;
    let offset = y / 100 - y / 400 - 2;
    let julian = Date::new(year, month as i8, day as i8).map_err(|_| CalendarError::YearOutOfRange(y))?;
    julian.checked_add(jiff::Span::new().days(i64::from(offset))).map_err(|_| CalendarError::YearOutOfRange(y))
}

/// What a Council of Ministers decision does to a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// A weekday becomes a day off.
    DayOff,
    /// A Saturday or Sunday becomes a working day.
    WorkingDay,
}

impl DecisionKind {
    /// The machine name used in the CLI, the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DayOff => "day_off",
            Self::WorkingDay => "working_day",
        }
    }

    /// Parses the machine name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day_off" => Some(Self::DayOff),
            "working_day" => Some(Self::WorkingDay),
            _ => None,
        }
    }
}

/// A dated decision of the Council of Ministers that moves a working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The day it concerns.
    pub date: Date,
    /// Whether that day becomes a day off or a working day.
    pub kind: DecisionKind,
    /// The decision's number, when known (e.g. "808").
    pub number: Option<String>,
    /// The date the decision was taken, when known.
    pub decided_on: Option<Date>,
    /// A short note ("bridge day for 6 May", "worked in exchange for 7 May").
    pub note: String,
}

impl Decision {
    /// How the decision is cited in reasons and case events: "РМС № 808/19.11.2025".
    pub fn citation(&self) -> String {
        match (&self.number, self.decided_on) {
            (Some(n), Some(d)) => format!("РМС № {n}/{}", crate::format::date_bg(d)),
            (Some(n), None) => format!("РМС № {n}"),
            _ => "РМС".to_string(),
        }
    }
}

/// Why a date is, or is not, a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayStatus<'a> {
    /// An ordinary Monday–Friday.
    Working,
    /// A Saturday or Sunday that a decision made a working day.
    WorkedWeekend(&'a Decision),
    /// Saturday or Sunday.
    Weekend,
    /// One or more official holidays (a weekday or a weekend day).
    Holiday(Vec<Holiday>),
    /// A substitute day off for a holiday that fell on a weekend.
    Substitute {
        /// The holiday that fell on the weekend.
        holiday: Holiday,
        /// The date it fell on.
        on: Date,
    },
    /// A day off decreed by the Council of Ministers.
    DecreedDayOff(&'a Decision),
}

impl DayStatus<'_> {
    /// Whether this status is a working day.
    pub fn is_working(&self) -> bool {
        matches!(self, Self::Working | Self::WorkedWeekend(_))
    }

    /// The reason in Bulgarian, for tables, events and letters.
    pub fn reason_bg(&self) -> String {
        match self {
            Self::Working => "работен ден".into(),
            Self::WorkedWeekend(d) => format!("работен ден по {}: {}", d.citation(), d.note),
            Self::Weekend => "почивен ден".into(),
            Self::Holiday(hs) => hs.iter().map(|h| h.name_bg()).collect::<Vec<_>>().join("; "),
            Self::Substitute { holiday, on } => {
                format!("почивен ден вместо {} ({})", holiday.name_bg(), crate::format::date_bg(*on))
            }
            Self::DecreedDayOff(d) => format!("почивен ден по {}: {}", d.citation(), d.note),
        }
    }

    /// The reason in English.
    pub fn reason_en(&self) -> String {
        match self {
            Self::Working => "working day".into(),
            Self::WorkedWeekend(d) => format!("working day by {}: {}", d.citation(), d.note),
            Self::Weekend => "weekend".into(),
            Self::Holiday(hs) => hs.iter().map(|h| h.name_en()).collect::<Vec<_>>().join("; "),
            Self::Substitute { holiday, on } => {
                format!("day off for {} ({})", holiday.name_en(), crate::format::date_bg(*on))
            }
            Self::DecreedDayOff(d) => format!("day off by {}: {}", d.citation(), d.note),
        }
    }
}

/// Per-day flags in the flat table.
const WORKING: u8 = 1;

/// The working-day calendar for 1991–2100 under a given set of decisions.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Day number (days since 1991-01-01) of 1991-01-01 in the proleptic count used by
    /// [`day_number`]; subtracted to index the tables.
    base: i32,
    /// `WORKING` or 0 per day, from 1991-01-01 to 2100-12-31.
    flags: Vec<u8>,
    /// `cumulative[i]`: how many working days fall on or before day `i`.
    cumulative: Vec<u32>,
    /// Every working day in order.
    working: Vec<Date>,
    /// Official holidays by date (there may be two on one day).
    holidays: BTreeMap<Date, Vec<Holiday>>,
    /// Substitute days off: substitute date -> (holiday, the weekend date it fell on).
    substitutes: BTreeMap<Date, (Holiday, Date)>,
    /// Decisions in force, by date.
    decisions: BTreeMap<Date, Decision>,
}

/// Days since 0000-03-01-based civil epoch (Howard Hinnant's `days_from_civil`), shifted so that
/// 1970-01-01 is 0. Pure arithmetic: no validation, no allocation.
#[inline]
fn day_number(date: Date) -> i32 {
    let (y, m, d) = (i32::from(date.year()), i32::from(date.month()), i32::from(date.day()));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn first_day() -> Date {
    Date::constant(FIRST_YEAR, 1, 1)
}

fn last_day() -> Date {
    Date::constant(LAST_YEAR, 12, 31)
}

impl Calendar {
    /// The calendar with the shipped decisions only (they are constant data, checked by the
    /// tests to build; the error can only come from a mistake in that data).
    pub fn shipped() -> Result<Self, CalendarError> {
        Self::build(shipped_decisions())
    }

    /// Builds the calendar under the given decisions, refusing duplicates and decisions that
    /// would change nothing.
    pub fn build(decisions: impl IntoIterator<Item = Decision>) -> Result<Self, CalendarError> {
        let base = day_number(first_day());
        let len = (day_number(last_day()) - base + 1) as usize;
        let mut holidays: BTreeMap<Date, Vec<Holiday>> = BTreeMap::new();
        let mut substitutes = BTreeMap::new();
        for year in FIRST_YEAR..=LAST_YEAR {
            let of_year = statutory_holidays(year)?;
            for &(date, h) in &of_year {
                holidays.entry(date).or_default().push(h);
            }
            if year >= 2017 {
                carry_over(&of_year, &holidays, &mut substitutes);
            }
        }
        // Substitutes for late-December holidays of 2100 may fall in 2101: outside the range.
        substitutes.retain(|d, _| *d <= last_day());

        let all_days: Vec<Date> = first_day().series(jiff::Span::new().days(1)).take(len).collect();
        let mut flags: Vec<u8> = all_days
            .iter()
            .map(|date| {
                let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
                let off = weekend || holidays.contains_key(date) || substitutes.contains_key(date);
                if off { 0 } else { WORKING }
            })
            .collect();
        let mut by_date = BTreeMap::new();
        for decision in decisions {
            let date = decision.date;
            if !(first_day()..=last_day()).contains(&date) {
                return Err(CalendarError::OutOfRange(date));
            }
            let i = (day_number(date) - base) as usize;
            match decision.kind {
                DecisionKind::DayOff if flags[i] != WORKING => {
                    return Err(CalendarError::DecisionChangesNothing { date, what: "a day off" });
                }
                DecisionKind::WorkingDay if flags[i] == WORKING => {
                    return Err(CalendarError::DecisionChangesNothing { date, what: "a working day" });
                }
                DecisionKind::DayOff => flags[i] = 0,
                DecisionKind::WorkingDay => flags[i] = WORKING,
            }
            if by_date.insert(date, decision).is_some() {
                return Err(CalendarError::DuplicateDecision(date));
            }
        }

        let mut cumulative = Vec::with_capacity(len);
        let mut working = Vec::with_capacity(len * 5 / 7);
        for (&flag, &date) in flags.iter().zip(&all_days) {
            if flag == WORKING {
                working.push(date);
            }
            cumulative.push(working.len() as u32);
        }
        Ok(Self { base, flags, cumulative, working, holidays, substitutes, decisions: by_date })
    }

    /// The index of a date in the tables.
    #[inline]
    fn index(&self, date: Date) -> Result<usize, CalendarError> {
        let i = day_number(date) - self.base;
        if i < 0 || i as usize >= self.flags.len() { Err(CalendarError::OutOfRange(date)) } else { Ok(i as usize) }
    }

    /// Whether `date` is a working day.
    #[inline]
    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        Ok(self.flags[self.index(date)?] == WORKING)
    }

    /// `date` as a [`WorkingDate`], if it is one.
    pub fn working_date(&self, date: Date) -> Result<Option<WorkingDate>, CalendarError> {
        Ok(self.is_working_day(date)?.then_some(WorkingDate(date)))
    }

    /// Why `date` is or is not a working day.
    pub fn status(&self, date: Date) -> Result<DayStatus<'_>, CalendarError> {
        let working = self.is_working_day(date)?;
        if let Some(d) = self.decisions.get(&date) {
            return Ok(if working { DayStatus::WorkedWeekend(d) } else { DayStatus::DecreedDayOff(d) });
        }
        if let Some(hs) = self.holidays.get(&date) {
            return Ok(DayStatus::Holiday(hs.clone()));
        }
        if let Some(&(holiday, on)) = self.substitutes.get(&date) {
            return Ok(DayStatus::Substitute { holiday, on });
        }
        Ok(if working { DayStatus::Working } else { DayStatus::Weekend })
    }

    /// The `n`-th working day after `date` (`date` itself is day 0 and never counts, whether or
    /// not it is a working day).
    #[inline]
    pub fn add_working_days(&self, date: Date, n: WorkingDays) -> Result<WorkingDate, CalendarError> {
        let i = self.index(date)?;
        let k = self.cumulative[i] as usize + n.0 as usize - 1;
        self.working.get(k).map(|&d| WorkingDate(d)).ok_or(CalendarError::OutOfRange(date))
    }

    /// The `n`-th working day before `date`.
    pub fn sub_working_days(&self, date: Date, n: WorkingDays) -> Result<WorkingDate, CalendarError> {
        let i = self.index(date)?;
        let before = self.cumulative[i] as usize - usize::from(self.flags[i] == WORKING);
        before.checked_sub(n.0 as usize).map(|k| WorkingDate(self.working[k])).ok_or(CalendarError::OutOfRange(date))
    }

    /// The first working day after `date`.
    pub fn next_working_day(&self, date: Date) -> Result<WorkingDate, CalendarError> {
        self.add_working_days(date, WorkingDays(1))
    }

    /// The last working day before `date`.
    pub fn previous_working_day(&self, date: Date) -> Result<WorkingDate, CalendarError> {
        self.sub_working_days(date, WorkingDays(1))
    }

    /// The number of working days after `a` up to and including `b`; negative when `b` is
    /// before `a`. `working_days_between(d, add_working_days(d, n)) == n`.
    #[inline]
    pub fn working_days_between(&self, a: Date, b: Date) -> Result<i64, CalendarError> {
        let (i, j) = (self.index(a)?, self.index(b)?);
        Ok(i64::from(self.cumulative[j]) - i64::from(self.cumulative[i]))
    }

    /// The number of working days in a month.
    pub fn working_days_in_month(&self, year: i16, month: i8) -> Result<u32, CalendarError> {
        if !(1..=12).contains(&month) {
            return Err(CalendarError::NoSuchMonth(month));
        }
        let first = Date::new(year, month, 1).map_err(|_| CalendarError::YearOutOfRange(year.into()))?;
        self.count_inclusive(first, first.last_of_month(), year)
    }

    /// The number of working days in a year.
    pub fn working_days_in_year(&self, year: i16) -> Result<u32, CalendarError> {
        let first = Date::new(year, 1, 1).map_err(|_| CalendarError::YearOutOfRange(year.into()))?;
        self.count_inclusive(first, first.last_of_year(), year)
    }

    fn count_inclusive(&self, first: Date, last: Date, year: i16) -> Result<u32, CalendarError> {
        let out = |_| CalendarError::YearOutOfRange(year.into());
        let (i, j) = (self.index(first).map_err(out)?, self.index(last).map_err(out)?);
        let before = if i == 0 { 0 } else { self.cumulative[i - 1] };
        Ok(self.cumulative[j] - before)
    }

    /// Every date of a year with the reason it is special: Monday–Friday days off and worked
    /// Saturdays/Sundays, in date order.
    pub fn exceptions_in_year(&self, year: i16) -> Result<Vec<(Date, DayStatus<'_>)>, CalendarError> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(CalendarError::YearOutOfRange(year.into()));
        }
        let mut out = Vec::new();
        let mut date = Date::constant(year, 1, 1);
        while date.year() == year {
            let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
            let working = self.is_working_day(date)?;
            if weekend == working {
                out.push((date, self.status(date)?));
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        Ok(out)
    }

    /// The decisions in force, in date order.
    pub fn decisions(&self) -> impl Iterator<Item = &Decision> {
        self.decisions.values()
    }
}

/// The statutory holidays of one year, following the amendments to the Labour Code since 1991.
fn statutory_holidays(year: i16) -> Result<Vec<(Date, Holiday)>, CalendarError> {
    use Holiday::*;
    let easter = orthodox_easter(year)?;
    let shift = |days: i64| {
        easter.checked_add(jiff::Span::new().days(days)).map_err(|_| CalendarError::YearOutOfRange(year.into()))
    };
    let on = |m: i8, d: i8| Date::constant(year, m, d);
    let mut out = vec![(on(1, 1), NewYear), (on(3, 3), LiberationDay)];
    if year >= 2010 {
        out.push((shift(-2)?, GoodFriday));
        out.push((shift(-1)?, HolySaturday));
    }
    out.push((easter, EasterSunday));
    out.push((shift(1)?, EasterMonday));
    out.push((on(5, 1), LabourDay));
    if year >= 1999 {
        out.push((on(5, 6), StGeorgesDay));
    }
    out.push((on(5, 24), AlphabetDay));
    if year >= 1998 {
        out.push((on(9, 6), UnificationDay));
    }
    if year <= 1991 {
        out.push((on(9, 9), FreedomDay));
    }
    if year >= 1998 {
        out.push((on(9, 22), IndependenceDay));
    }
    // Until 1995 Christmas Eve was a half day off (from 14:00): still a working day.
    if year >= 1996 {
        out.push((on(12, 24), ChristmasEve));
    }
    out.push((on(12, 25), ChristmasDay));
    out.push((on(12, 26), ChristmasSecondDay));
    out.sort();
    Ok(out)
}

/// Art. 154(2) since 2017: each holiday (but Holy Saturday and Easter Sunday) that falls on a
/// Saturday or Sunday gives the first weekday after it that is neither a holiday nor already a
/// substitute; holidays are served in date order.
fn carry_over(
    of_year: &[(Date, Holiday)],
    holidays: &BTreeMap<Date, Vec<Holiday>>,
    substitutes: &mut BTreeMap<Date, (Holiday, Date)>,
) {
    for &(date, holiday) in of_year {
        if !holiday.carries_over() || !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
            continue;
        }
        let mut candidate = date;
        while let Ok(next) = candidate.tomorrow() {
            candidate = next;
            let weekend = matches!(candidate.weekday(), Weekday::Saturday | Weekday::Sunday);
            if !weekend && !holidays.contains_key(&candidate) && !substitutes.contains_key(&candidate) {
                substitutes.insert(candidate, (holiday, date));
                break;
            }
        }
    }
}

/// The Council of Ministers decisions shipped with harta: the yearly swaps of 2004–2016
/// (a bridge day off, a Saturday worked in exchange), the one-off days off of 2004 and 2007
/// (NATO and EU accession) and decision No. 808 of 19.11.2025.
pub fn shipped_decisions() -> Vec<Decision> {
    /// (month, day)
    type Day = (i8, i8);
    // (year, days off, the Saturdays worked in exchange, pairwise)
    const SWAPS: &[(i16, &[Day], &[Day])] = &[
        (2004, &[(5, 7)], &[(5, 15)]),
        (2005, &[(3, 4), (5, 23), (9, 5), (9, 23)], &[(3, 12), (5, 28), (9, 10), (9, 17)]),
        (2006, &[(1, 2)], &[(1, 28)]),
        (2007, &[(4, 30), (5, 25), (9, 7), (12, 31)], &[(4, 21), (6, 2), (9, 15), (12, 15)]),
        (2008, &[(5, 2), (5, 5), (12, 31)], &[(5, 10), (5, 17), (12, 20)]),
        (
            2009,
            &[(1, 2), (3, 2), (5, 4), (5, 5), (9, 21), (12, 31)],
            &[(1, 10), (3, 14), (5, 16), (5, 30), (9, 26), (12, 19)],
        ),
        (2010, &[(5, 7), (12, 31)], &[(5, 15), (12, 11)]),
        (2011, &[(3, 4), (5, 23), (9, 5), (9, 23)], &[(3, 19), (5, 28), (9, 3), (9, 17)]),
        (2012, &[(1, 2), (4, 30), (5, 25), (9, 7), (12, 31)], &[(1, 21), (4, 21), (5, 19), (9, 29), (12, 15)]),
        (2013, &[(5, 2), (12, 23), (12, 31)], &[(5, 18), (12, 21), (12, 14)]),
        (2014, &[(5, 2), (5, 5), (12, 31)], &[(5, 10), (5, 31), (12, 13)]),
        (2015, &[(1, 2), (3, 2), (9, 21), (12, 31)], &[(1, 24), (3, 21), (9, 12), (12, 12)]),
        (2016, &[(3, 4), (5, 23), (9, 5), (9, 23)], &[(3, 12), (5, 14), (9, 10), (9, 17)]),
    ];
    let mut out = Vec::new();
    for &(year, offs, worked) in SWAPS {
        for (&(om, od), &(wm, wd)) in offs.iter().zip(worked) {
            let off = Date::constant(year, om, od);
            let work = Date::constant(year, wm, wd);
            out.push(Decision {
                date: off,
                kind: DecisionKind::DayOff,
                number: None,
                decided_on: None,
                note: format!("почивен ден, отработва се на {}", crate::format::date_bg(work)),
            });
            out.push(Decision {
                date: work,
                kind: DecisionKind::WorkingDay,
                number: None,
                decided_on: None,
                note: format!("работна събота вместо {}", crate::format::date_bg(off)),
            });
        }
    }
    let one_off = |date: Date, number: &str, decided_on: Date, note: &str| Decision {
        date,
        kind: DecisionKind::DayOff,
        number: Some(number.into()),
        decided_on: Some(decided_on),
        note: note.into(),
    };
    out.push(one_off(Date::constant(2004, 4, 2), "220", Date::constant(2004, 3, 26), "присъединяване към НАТО"));
    out.push(one_off(
        Date::constant(2007, 1, 2),
        "722",
        Date::constant(2006, 10, 18),
        "присъединяване към Европейския съюз",
    ));
    out.push(one_off(Date::constant(2025, 12, 31), "808", Date::constant(2025, 11, 19), "неприсъствен ден"));
    out.push(one_off(Date::constant(2026, 1, 2), "808", Date::constant(2025, 11, 19), "неприсъствен ден"));
    out.sort_by_key(|d| d.date);
    out
}

#[cfg(test)]
mod tests;
