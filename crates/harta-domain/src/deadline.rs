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

#[cfg(test)]
mod tests {
    use super::*;

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
}
