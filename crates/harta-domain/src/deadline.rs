//! Charter deadlines: "a full answer within N working days of receipt" (C16, C22), the holding
//! reply that extends it (C17), and how a deadline stands today.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::calendar::{Calendar, CalendarError, WorkingDate, WorkingDays};
use crate::format::in_sofia;

/// The due date of a commitment of `n` working days for something received at `received_at`.
///
/// Day 0 is the day of receipt in Sofia, whatever the hour and whether or not it is a working
/// day; day 1 is the first working day after it; the deadline is the end of day `n`.
pub fn due_date(calendar: &Calendar, received_at: Timestamp, n: WorkingDays) -> Result<WorkingDate, CalendarError> {
    calendar.add_working_days(in_sofia(received_at).date(), n)
}

/// The longest deadline a service may state in hours (three days: beyond that people count
/// in days).
pub const MAX_HOURS: u32 = 72;
/// The longest deadline a service may state in calendar days (ten years).
pub const MAX_CALENDAR_DAYS: u32 = 3650;

/// How a service's deadline is counted (the Sofia ordinance on local fees states a term per
/// tier: the same day, within hours, or within days, working or calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineRule {
    /// Done on the day of receipt (the next working day when that is a day off).
    SameDay,
    /// Within this many hours of receipt; the due date is the day those hours end on, or the
    /// next working day.
    Hours(u32),
    /// Within this many working days, counted as the charter's commitments are.
    WorkingDays(WorkingDays),
    /// Within this many calendar days of receipt (ЗДОИ art. 28: 14 days); a term that ends on a
    /// day off ends on the next working day.
    CalendarDays(u32),
}

/// Why a text is not a deadline rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "is not a deadline (write \"same day\", \"2 hours\", \"7 working days\" or \"14 calendar days\"; hours 1–{MAX_HOURS}, working days 1–10000, calendar days 1–{MAX_CALENDAR_DAYS})"
)]
pub struct DeadlineRuleError;

impl crate::Coded for DeadlineRuleError {
    fn code(&self) -> &'static str {
        "deadline"
    }
}

impl DeadlineRule {
    /// Parses the form files and the API use: `same day`, `1 hour`, `3 hours`,
    /// `7 working days`, `14 calendar days`.
    pub fn parse(s: &str) -> Result<Self, DeadlineRuleError> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let count = |n: &str, max: u32| n.parse::<u32>().ok().filter(|n| (1..=max).contains(n));
        match words.as_slice() {
            ["same", "day"] | ["same_day"] => Ok(Self::SameDay),
            [n, "hour" | "hours"] => count(n, MAX_HOURS).map(Self::Hours).ok_or(DeadlineRuleError),
            [n, "working", "day" | "days"] => n
                .parse::<i64>()
                .ok()
                .and_then(|n| WorkingDays::new(n).ok())
                .map(Self::WorkingDays)
                .ok_or(DeadlineRuleError),
            [n, "calendar", "day" | "days"] => {
                count(n, MAX_CALENDAR_DAYS).map(Self::CalendarDays).ok_or(DeadlineRuleError)
            }
            _ => Err(DeadlineRuleError),
        }
    }

    /// The due date for something received on `received_on` (Sofia) and registered at
    /// `registered_at`. Hours count from the registration when it was made on the day of
    /// receipt, otherwise from the start of that day.
    pub fn due_date(
        self,
        calendar: &Calendar,
        received_on: Date,
        registered_at: Timestamp,
    ) -> Result<WorkingDate, CalendarError> {
        let on_or_after = |d: Date| match calendar.working_date(d)? {
            Some(w) => Ok(w),
            None => calendar.next_working_day(d),
        };
        match self {
            Self::SameDay => on_or_after(received_on),
            Self::Hours(n) => {
                let registered = in_sofia(registered_at);
                let from = if registered.date() == received_on {
                    registered
                } else {
                    crate::format::start_of_day(received_on).to_zoned(crate::format::sofia())
                };
                let end = from.saturating_add(jiff::SignedDuration::from_hours(i64::from(n)));
                on_or_after(end.date())
            }
            Self::WorkingDays(n) => calendar.add_working_days(received_on, n),
            Self::CalendarDays(n) => {
                let end = received_on
                    .checked_add(jiff::Span::new().days(i64::from(n)))
                    .map_err(|_| CalendarError::OutOfRange(received_on))?;
                on_or_after(end)
            }
        }
    }
}

/// The machine form (`7 working days`), as [`DeadlineRule::parse`] reads it.
impl std::fmt::Display for DeadlineRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: u32| if n == 1 { "" } else { "s" };
        match *self {
            Self::SameDay => f.write_str("same day"),
            Self::Hours(n) => write!(f, "{n} hour{}", plural(n)),
            Self::WorkingDays(n) => write!(f, "{n} working day{}", plural(n.get())),
            Self::CalendarDays(n) => write!(f, "{n} calendar day{}", plural(n)),
        }
    }
}

impl serde::Serialize for DeadlineRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DeadlineRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// How a deadline stands on a given day, for display (by text and icon, never colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// More than the at-risk threshold of working days left.
    OnTrack {
        /// Working days after today up to and including the due date.
        working_days_left: u32,
    },
    /// A few working days left.
    AtRisk {
        /// Working days after today up to and including the due date.
        working_days_left: u32,
    },
    /// The due date is today.
    DueToday,
    /// The due date has passed.
    Overdue {
        /// Working days late: the working days after the due date up to today, counting the
        /// next working day when today is a day off (that is the earliest an answer can go).
        working_days_late: u32,
    },
}

impl DeadlineStatus {
    /// The status of `due` on `today`; `at_risk` is the most working days left that still
    /// counts as at risk (the charter default is 2).
    pub fn of(calendar: &Calendar, due: Date, today: Date, at_risk: u32) -> Result<Self, CalendarError> {
        if today == due {
            return Ok(Self::DueToday);
        }
        let between = calendar.working_days_between(today, due)?;
        if due > today {
            let left = u32::try_from(between).unwrap_or(u32::MAX);
            return Ok(if left <= at_risk {
                Self::AtRisk { working_days_left: left }
            } else {
                Self::OnTrack { working_days_left: left }
            });
        }
        let late = u32::try_from(-between).unwrap_or(u32::MAX);
        let late = if calendar.is_working_day(today)? { late } else { late + 1 };
        Ok(Self::Overdue { working_days_late: late.max(1) })
    }

    /// Machine name, also used for CSS classes and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnTrack { .. } => "on_track",
            Self::AtRisk { .. } => "at_risk",
            Self::DueToday => "due_today",
            Self::Overdue { .. } => "overdue",
        }
    }
}

/// Why a holding reply was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoldingReplyError {
    /// C17: the holding reply must go out before the original deadline runs out.
    #[error("the original deadline {0} has passed; a holding reply can only be sent before it")]
    TooLate(Date),
    /// The new date must be later than the date in force.
    #[error("the new date must be after the current due date {0}")]
    NotLater(Date),
    /// The new date must be a working day.
    #[error("the new date {0} is not a working day")]
    NotWorkingDay(Date),
    /// The reasons are required.
    #[error("the reasons are required")]
    NoReasons,
    /// The calendar could not answer.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl crate::Coded for HoldingReplyError {
    fn code(&self) -> &'static str {
        match self {
            Self::TooLate(_) => "too_late",
            Self::NotLater(_) => "not_later",
            Self::NotWorkingDay(_) => "not_working_day",
            Self::NoReasons => "required",
            Self::Calendar(_) => "invalid",
        }
    }
}

/// A holding reply's new date, checked against C17: sent on or before the original due date,
/// later than the date in force, on a working day, with reasons.
pub fn check_holding_reply(
    calendar: &Calendar,
    original_due: Date,
    current_due: Date,
    new_due: Date,
    today: Date,
    reasons: &str,
) -> Result<WorkingDate, HoldingReplyError> {
    if reasons.trim().is_empty() {
        return Err(HoldingReplyError::NoReasons);
    }
    if today > original_due {
        return Err(HoldingReplyError::TooLate(original_due));
    }
    if new_due <= current_due {
        return Err(HoldingReplyError::NotLater(current_due));
    }
    calendar.working_date(new_due)?.ok_or(HoldingReplyError::NotWorkingDay(new_due))
}

names! {
    /// What a case's deadline does while the administration waits for information it asked
    /// of the person: a rule per commitment in the charter.
    WhileWaiting {
        /// The deadline stays as it was.
        RunOn => "run_on",
        /// The working days spent waiting are added to it.
        Pause => "pause",
        /// It starts again, with the case's whole term, from the day the information arrived.
        Restart => "restart",
    }
}

/// The due date once the information asked for on `asked` arrived on `received`, by the rule;
/// `None` when it does not move. `due` is the date in force without a holding reply; the
/// case's term is the working days from `registered` to it.
pub fn due_after_waiting(
    rule: WhileWaiting,
    calendar: &Calendar,
    registered: Date,
    due: Date,
    asked: Date,
    received: Date,
) -> Result<Option<Date>, CalendarError> {
    let moved = match rule {
        WhileWaiting::RunOn => return Ok(None),
        WhileWaiting::Pause => {
            let waited = calendar.working_days_between(asked, received)?;
            if waited <= 0 {
                return Ok(None);
            }
            calendar.add_working_days(due, WorkingDays::new(waited)?)?.date()
        }
        WhileWaiting::Restart => {
            let term = calendar.working_days_between(registered, due)?.max(1);
            calendar.add_working_days(received, WorkingDays::new(term)?)?.date()
        }
    };
    Ok((moved > due).then_some(moved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn ten() -> WorkingDays {
        WorkingDays::new(10).unwrap()
    }

    #[test]
    fn receipt_on_a_saturday_night_or_a_holiday_counts_from_the_next_working_day() {
        let cal = Calendar::shipped().unwrap();
        // Saturday 27.12.2025 at 23:59 Sofia time (21:59 UTC).
        let sat: Timestamp = "2025-12-27T21:59:00Z".parse().unwrap();
        assert_eq!(due_date(&cal, sat, WorkingDays::new(7).unwrap()).unwrap().date(), d("2026-01-09"));
        // 22:30 UTC on Monday 22.12.2025 is already Tuesday in Sofia.
        let late: Timestamp = "2025-12-22T22:30:00Z".parse().unwrap();
        let mon: Timestamp = "2025-12-22T10:00:00Z".parse().unwrap();
        assert_eq!(due_date(&cal, mon, ten()).unwrap().date(), d("2026-01-13"));
        assert_eq!(due_date(&cal, late, ten()).unwrap().date(), d("2026-01-14"));
        // Received on 3 March (a holiday): day 1 is 4 March.
        let holiday: Timestamp = "2026-03-03T08:00:00Z".parse().unwrap();
        assert_eq!(due_date(&cal, holiday, WorkingDays::new(1).unwrap()).unwrap().date(), d("2026-03-04"));
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn deadline_rules_read_and_write_alike() {
        for text in ["same day", "1 hour", "3 hours", "1 working day", "7 working days", "14 calendar days"] {
            assert_eq!(DeadlineRule::parse(text).unwrap().to_string(), text);
        }
        for bad in ["", "0 hours", "73 hours", "7 days", "seven working days", "0 working days", "3651 calendar days"] {
            assert_eq!(DeadlineRule::parse(bad), Err(DeadlineRuleError), "{bad}");
        }
    }

    #[test]
    fn a_same_day_service_received_on_a_day_off_is_due_the_next_working_day() {
        let cal = Calendar::shipped().unwrap();
        let noon = at("2026-12-02T10:00:00Z");
        assert_eq!(DeadlineRule::SameDay.due_date(&cal, d("2026-12-02"), noon).unwrap().date(), d("2026-12-02"));
        // Good Friday 10.04.2026 → Easter Monday is off too → Tuesday 14.04.
        let easter = at("2026-04-10T08:00:00Z");
        assert_eq!(DeadlineRule::SameDay.due_date(&cal, d("2026-04-10"), easter).unwrap().date(), d("2026-04-14"));
    }

    #[test]
    fn hours_end_on_the_day_they_run_out() {
        let cal = Calendar::shipped().unwrap();
        // Wednesday 16:30 Sofia + 1 hour: the same day; + 8 hours: Thursday.
        let late = at("2026-12-02T14:30:00Z");
        assert_eq!(DeadlineRule::Hours(1).due_date(&cal, d("2026-12-02"), late).unwrap().date(), d("2026-12-02"));
        assert_eq!(DeadlineRule::Hours(8).due_date(&cal, d("2026-12-02"), late).unwrap().date(), d("2026-12-03"));
        // Wednesday 23.12.2026 at 23:30 + 1 hour is Christmas Eve (off) → Tuesday 29.12.
        let eve = at("2026-12-23T21:30:00Z");
        assert_eq!(DeadlineRule::Hours(1).due_date(&cal, d("2026-12-23"), eve).unwrap().date(), d("2026-12-29"));
        // Received on Friday, registered on Monday: hours count from Friday's start.
        let monday = at("2026-11-30T08:00:00Z");
        assert_eq!(DeadlineRule::Hours(2).due_date(&cal, d("2026-11-27"), monday).unwrap().date(), d("2026-11-27"));
    }

    #[test]
    fn calendar_days_that_end_on_a_day_off_end_on_the_next_working_day() {
        let cal = Calendar::shipped().unwrap();
        let zdoi = DeadlineRule::CalendarDays(14);
        // ЗДОИ: received 23.12.2025 → 06.01.2026 (a Tuesday, a working day).
        let received = at("2025-12-23T09:00:00Z");
        assert_eq!(zdoi.due_date(&cal, d("2025-12-23"), received).unwrap().date(), d("2026-01-06"));
        // Received 20.12.2026 (Sunday) + 14 = 03.01.2027 (Sunday) → Monday 04.01.2027.
        let sunday = at("2026-12-20T09:00:00Z");
        assert_eq!(zdoi.due_date(&cal, d("2026-12-20"), sunday).unwrap().date(), d("2027-01-04"));
        // 7 days from 29.03.2026 end on Sunday 05.04 → Monday 06.04 (Easter is the week after).
        let spring = at("2026-03-29T09:00:00Z");
        let week = DeadlineRule::CalendarDays(7);
        assert_eq!(week.due_date(&cal, d("2026-03-29"), spring).unwrap().date(), d("2026-04-06"));
        // 7 days from 03.04.2026 end on Good Friday 10.04 → Tuesday 14.04.
        let before_easter = at("2026-04-03T09:00:00Z");
        assert_eq!(week.due_date(&cal, d("2026-04-03"), before_easter).unwrap().date(), d("2026-04-14"));
    }

    #[test]
    fn working_days_count_as_the_charter_counts_them() {
        let cal = Calendar::shipped().unwrap();
        let seven = DeadlineRule::WorkingDays(WorkingDays::new(7).unwrap());
        let received = at("2026-05-20T09:00:00Z");
        assert_eq!(seven.due_date(&cal, d("2026-05-20"), received).unwrap().date(), d("2026-06-01"));
        // New Year: 10 working days from Monday 22.12.2025 → Tuesday 13.01.2026.
        let ten_days = DeadlineRule::WorkingDays(ten());
        let winter = at("2025-12-22T09:00:00Z");
        assert_eq!(ten_days.due_date(&cal, d("2025-12-22"), winter).unwrap().date(), d("2026-01-13"));
    }

    proptest! {
        #[test]
        fn every_due_date_is_a_working_day_on_or_after_receipt(
            day in 0i64..3650, rule in 0usize..4, n in 1u32..40, hour in 0i64..24
        ) {
            let cal = Calendar::shipped().unwrap();
            let received = d("2020-01-01").saturating_add(jiff::Span::new().days(day));
            let registered = crate::format::start_of_day(received) + jiff::SignedDuration::from_hours(hour);
            let rule = match rule {
                0 => DeadlineRule::SameDay,
                1 => DeadlineRule::Hours(n.min(MAX_HOURS)),
                2 => DeadlineRule::WorkingDays(WorkingDays::new(i64::from(n)).unwrap()),
                _ => DeadlineRule::CalendarDays(n),
            };
            let due = rule.due_date(&cal, received, registered).unwrap().date();
            prop_assert!(due >= received);
            prop_assert!(cal.is_working_day(due).unwrap());
            prop_assert_eq!(DeadlineRule::parse(&rule.to_string()), Ok(rule));
        }
    }

    #[test]
    fn status_by_working_days() {
        let cal = Calendar::shipped().unwrap();
        let due = d("2026-12-09"); // Wednesday
        let of = |today: &str| DeadlineStatus::of(&cal, due, d(today), 2).unwrap();
        assert_eq!(of("2026-11-25"), DeadlineStatus::OnTrack { working_days_left: 10 });
        assert_eq!(of("2026-12-04"), DeadlineStatus::OnTrack { working_days_left: 3 });
        assert_eq!(of("2026-12-05"), DeadlineStatus::OnTrack { working_days_left: 3 });
        assert_eq!(of("2026-12-07"), DeadlineStatus::AtRisk { working_days_left: 2 });
        assert_eq!(of("2026-12-08"), DeadlineStatus::AtRisk { working_days_left: 1 });
        assert_eq!(of("2026-12-09"), DeadlineStatus::DueToday);
        assert_eq!(of("2026-12-10"), DeadlineStatus::Overdue { working_days_late: 1 });
        assert_eq!(of("2026-12-11"), DeadlineStatus::Overdue { working_days_late: 2 });
        // Saturday after: the earliest answer is Monday, the third working day late.
        assert_eq!(of("2026-12-12"), DeadlineStatus::Overdue { working_days_late: 3 });
        assert_eq!(of("2026-12-14"), DeadlineStatus::Overdue { working_days_late: 3 });
    }

    #[test]
    fn holding_reply_rules() {
        let cal = Calendar::shipped().unwrap();
        let (orig, new) = (d("2026-12-09"), d("2026-12-18"));
        assert_eq!(check_holding_reply(&cal, orig, orig, new, d("2026-12-09"), "експертиза").unwrap().date(), new);
        assert_eq!(
            check_holding_reply(&cal, orig, orig, new, d("2026-12-10"), "x"),
            Err(HoldingReplyError::TooLate(orig))
        );
        assert_eq!(
            check_holding_reply(&cal, orig, orig, orig, d("2026-12-01"), "x"),
            Err(HoldingReplyError::NotLater(orig))
        );
        assert_eq!(
            check_holding_reply(&cal, orig, orig, d("2026-12-19"), d("2026-12-01"), "x"),
            Err(HoldingReplyError::NotWorkingDay(d("2026-12-19")))
        );
        assert_eq!(
            check_holding_reply(&cal, orig, orig, new, d("2026-12-01"), "  "),
            Err(HoldingReplyError::NoReasons)
        );
    }

    #[test]
    fn waiting_for_the_citizen_runs_on_pauses_or_restarts_the_deadline_by_the_rule() {
        let cal = Calendar::shipped().unwrap();
        let d = |s: &str| s.parse::<Date>().unwrap();
        // Registered Tue 1 Dec 2026, due Tue 15 Dec (10 working days); asked on Thu 3 Dec,
        // answered on Wed 9 Dec: four working days spent waiting (4, 7, 8, 9 December).
        let at =
            |rule| due_after_waiting(rule, &cal, d("2026-12-01"), d("2026-12-15"), d("2026-12-03"), d("2026-12-09"));
        assert_eq!(at(WhileWaiting::RunOn).unwrap(), None);
        assert_eq!(at(WhileWaiting::Pause).unwrap(), Some(d("2026-12-21")));
        assert_eq!(at(WhileWaiting::Restart).unwrap(), Some(d("2026-12-23")));
        // An answer on the day asked moves nothing; a restart never brings the date forward.
        let same = due_after_waiting(
            WhileWaiting::Pause,
            &cal,
            d("2026-12-01"),
            d("2026-12-15"),
            d("2026-12-03"),
            d("2026-12-03"),
        );
        assert_eq!(same.unwrap(), None);
        let early = due_after_waiting(
            WhileWaiting::Restart,
            &cal,
            d("2026-12-01"),
            d("2026-12-15"),
            d("2026-12-01"),
            d("2026-12-01"),
        );
        assert_eq!(early.unwrap(), None);
    }
}
