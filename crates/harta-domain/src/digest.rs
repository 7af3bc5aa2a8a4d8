//! The morning warnings (C16, C17): what each officer and each head of unit is told before the
//! day's work, and which citizens are reminded of information they were asked for. Pure: the
//! cases, the calendar and the day come in, the lists go out.

use jiff::civil::Date;

use crate::calendar::Calendar;
use crate::case::{PreferredChannel, State};
use crate::deadline::DeadlineStatus;

/// An open case as the morning run sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    /// Its id in the store.
    pub id: i64,
    /// Its registry number.
    pub number: String,
    /// Its subject.
    pub subject: String,
    /// Its unit.
    pub unit: String,
    /// Its responsible officer.
    pub responsible: Option<i64>,
    /// The due date in force.
    pub due: Date,
    /// Where it is.
    pub state: State,
    /// What is asked of the citizen and the date given to them, while it is.
    pub asked: Option<(String, Date)>,
    /// The citizen's name.
    pub person: String,
    /// How the citizen is reminded of what is asked.
    pub remind_by: RemindBy,
}

/// How a citizen asked for information is reminded of it, on the last working day before the
/// date they were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemindBy {
    /// An e-mail to the address they gave.
    Email,
    /// A call by the responsible officer, to this number: the citizen gave no e-mail address,
    /// or prefers the telephone.
    Phone(String),
    /// Not at all: they can be reached only by post or at the counter, and a letter posted
    /// the day before would arrive after the date.
    Nothing,
}

impl RemindBy {
    /// The way to remind a person with these details: by e-mail where they gave an address
    /// (unless they prefer the telephone and gave a number), else on the telephone.
    pub fn of(email: bool, phone: Option<&str>, preferred: Option<PreferredChannel>) -> Self {
        let phone = phone.map(str::trim).filter(|p| !p.is_empty());
        match (email, phone) {
            (true, Some(number)) if preferred == Some(PreferredChannel::Phone) => Self::Phone(number.to_string()),
            (true, _) => Self::Email,
            (false, Some(number)) => Self::Phone(number.to_string()),
            (false, None) => Self::Nothing,
        }
    }
}

/// One line of a digest: a case and how its deadline stands, or that nobody has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// The case.
    pub case: &'a Watched,
    /// How its deadline stands today.
    pub status: DeadlineStatus,
}

/// An officer's digest: their cases at risk, due today or overdue, the most urgent first.
pub fn for_officer<'a>(
    cases: &'a [Watched],
    officer: i64,
    calendar: &Calendar,
    today: Date,
    at_risk: u32,
) -> Vec<Line<'a>> {
    let mut lines: Vec<Line<'a>> = cases
        .iter()
        .filter(|c| c.responsible == Some(officer) && c.state.is_open())
        .filter_map(|case| {
            let status = DeadlineStatus::of(calendar, case.due, today, at_risk).ok()?;
            (!matches!(status, DeadlineStatus::OnTrack { .. })).then_some(Line { case, status })
        })
        .collect();
    lines.sort_by_key(|l| (l.case.due, l.case.number.clone()));
    lines
}

/// A head of unit's digest: the unit's overdue cases, and its cases nobody is responsible for.
pub fn for_head<'a>(
    cases: &'a [Watched],
    unit: &str,
    calendar: &Calendar,
    today: Date,
    at_risk: u32,
) -> (Vec<Line<'a>>, Vec<&'a Watched>) {
    let ours = || cases.iter().filter(move |c| c.unit == unit && c.state.is_open());
    let mut overdue: Vec<Line<'a>> = ours()
        .filter_map(|case| match DeadlineStatus::of(calendar, case.due, today, at_risk).ok()? {
            status @ DeadlineStatus::Overdue { .. } => Some(Line { case, status }),
            _ => None,
        })
        .collect();
    overdue.sort_by_key(|l| (l.case.due, l.case.number.clone()));
    let mut unassigned: Vec<&Watched> = ours().filter(|c| c.responsible.is_none()).collect();
    unassigned.sort_by_key(|c| (c.due, c.number.clone()));
    (overdue, unassigned)
}

/// The calls an officer makes today to remind citizens of the information asked of them
/// (those reminded by telephone), by the date given.
pub fn reminder_calls<'a>(cases: &'a [Watched], officer: i64, calendar: &Calendar, today: Date) -> Vec<&'a Watched> {
    let mut calls: Vec<&Watched> = cases
        .iter()
        .filter(|c| c.responsible == Some(officer) && matches!(c.remind_by, RemindBy::Phone(_)))
        .filter(|c| c.asked.as_ref().is_some_and(|(_, by)| remind_today(calendar, *by, today)))
        .collect();
    calls.sort_by_key(|c| (c.due, c.number.clone()));
    calls
}

/// Whether a citizen asked for information by `by` is reminded on `today`: once, on the last
/// working day before that date.
pub fn remind_today(calendar: &Calendar, by: Date, today: Date) -> bool {
    calendar.previous_working_day(by).is_ok_and(|day| day.date() == today)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn case(number: &str, unit: &str, responsible: Option<i64>, due: &str) -> Watched {
        Watched {
            id: 1,
            number: number.into(),
            subject: "Осветление".into(),
            unit: unit.into(),
            responsible,
            due: d(due),
            state: State::InProgress,
            asked: None,
            person: "Мария Иванова".into(),
            remind_by: RemindBy::Email,
        }
    }

    #[test]
    fn an_officer_hears_of_their_cases_at_risk_due_today_and_overdue_only() {
        let cal = Calendar::shipped().unwrap();
        // Wednesday 2 December 2026; two working days count as at risk.
        let cases = [
            case("A-1", "cao", Some(7), "2026-12-01"),
            case("A-2", "cao", Some(7), "2026-12-02"),
            case("A-3", "cao", Some(7), "2026-12-04"),
            case("A-4", "cao", Some(7), "2026-12-18"),
            case("A-5", "cao", Some(8), "2026-12-01"),
            Watched { state: State::Answered, ..case("A-6", "cao", Some(7), "2026-11-30") },
        ];
        let lines = for_officer(&cases, 7, &cal, d("2026-12-02"), 2);
        let numbers: Vec<&str> = lines.iter().map(|l| l.case.number.as_str()).collect();
        assert_eq!(numbers, ["A-1", "A-2", "A-3"]);
        assert!(matches!(lines[0].status, DeadlineStatus::Overdue { working_days_late: 1 }));
        assert_eq!(lines[1].status, DeadlineStatus::DueToday);
        assert!(matches!(lines[2].status, DeadlineStatus::AtRisk { .. }));
        assert!(for_officer(&cases, 9, &cal, d("2026-12-02"), 2).is_empty());
    }

    #[test]
    fn a_head_hears_of_the_units_overdue_and_unassigned_cases() {
        let cal = Calendar::shipped().unwrap();
        let cases = [
            case("A-1", "cao", Some(7), "2026-12-01"),
            case("A-2", "cao", None, "2026-12-18"),
            case("A-3", "cao", Some(7), "2026-12-18"),
            case("B-1", "grao", None, "2026-11-20"),
        ];
        let (overdue, unassigned) = for_head(&cases, "cao", &cal, d("2026-12-02"), 2);
        assert_eq!(overdue.iter().map(|l| l.case.number.as_str()).collect::<Vec<_>>(), ["A-1"]);
        assert_eq!(unassigned.iter().map(|c| c.number.as_str()).collect::<Vec<_>>(), ["A-2"]);
    }

    #[test]
    fn a_citizen_is_reminded_once_on_the_last_working_day_before_the_date_given() {
        let cal = Calendar::shipped().unwrap();
        // By Monday 7 December: reminded on Friday 4 December, not on the weekend nor before.
        let by = d("2026-12-07");
        let reminded: Vec<Date> = (0..10)
            .map(|k| d("2026-11-30").checked_add(jiff::Span::new().days(k)).unwrap())
            .filter(|t| remind_today(&cal, by, *t))
            .collect();
        assert_eq!(reminded, [d("2026-12-04")]);
        // By Monday 28 December, after the Christmas days off (24–26 December): on Wednesday 23.
        assert!(remind_today(&cal, d("2026-12-28"), d("2026-12-23")));
    }

    #[test]
    fn a_citizen_is_reminded_by_e_mail_else_by_telephone_else_not_at_all() {
        use PreferredChannel::{Email, Phone, Post};
        assert_eq!(RemindBy::of(true, None, None), RemindBy::Email);
        assert_eq!(RemindBy::of(true, Some("+35928951102"), Some(Email)), RemindBy::Email);
        assert_eq!(RemindBy::of(true, Some("+35928951102"), Some(Post)), RemindBy::Email);
        assert_eq!(RemindBy::of(true, Some("+35928951102"), Some(Phone)), RemindBy::Phone("+35928951102".into()));
        assert_eq!(RemindBy::of(false, Some(" +35928951102 "), Some(Post)), RemindBy::Phone("+35928951102".into()));
        assert_eq!(RemindBy::of(false, Some(" "), Some(Phone)), RemindBy::Nothing);
        assert_eq!(RemindBy::of(false, None, Some(Post)), RemindBy::Nothing);
    }

    #[test]
    fn an_officer_calls_on_the_reminder_day_only_the_people_reminded_by_telephone_on_their_cases() {
        let cal = Calendar::shipped().unwrap();
        let asked = |number: &str, officer: i64, remind_by: RemindBy| Watched {
            state: State::InformationRequested,
            asked: Some(("Скица".into(), d("2026-12-07"))),
            remind_by,
            ..case(number, "cao", Some(officer), "2026-12-18")
        };
        let cases = [
            asked("РКС26-1", 7, RemindBy::Phone("+35928951102".into())),
            asked("РКС26-2", 7, RemindBy::Email),
            asked("РКС26-3", 8, RemindBy::Phone("+35928951103".into())),
            asked("РКС26-4", 7, RemindBy::Nothing),
        ];
        let numbers = |today: &str| -> Vec<String> {
            reminder_calls(&cases, 7, &cal, d(today)).iter().map(|c| c.number.clone()).collect()
        };
        assert_eq!(numbers("2026-12-04"), ["РКС26-1"]);
        assert!(numbers("2026-12-03").is_empty() && numbers("2026-12-07").is_empty());
    }
}
