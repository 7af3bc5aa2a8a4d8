use super::*;
use proptest::prelude::*;
use std::sync::LazyLock;

static SHIPPED: LazyLock<Calendar> = LazyLock::new(|| Calendar::shipped().unwrap());

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn n(k: i64) -> WorkingDays {
    WorkingDays::new(k).unwrap()
}

fn weekdays_off(cal: &Calendar, year: i16) -> Vec<String> {
    cal.exceptions_in_year(year)
        .unwrap()
        .into_iter()
        .filter(|(_, s)| !s.is_working())
        .map(|(date, _)| date.strftime("%m-%d").to_string())
        .collect()
}

#[test]
fn orthodox_easter_matches_the_reference() {
    for (year, date) in [
        (2024, "2024-05-05"),
        (2025, "2025-04-20"),
        (2026, "2026-04-12"),
        (2027, "2027-05-02"),
        (2028, "2028-04-16"),
        (2021, "2021-05-02"),
    ] {
        assert_eq!(orthodox_easter(year).unwrap(), d(date), "{year}");
    }
    assert_eq!(orthodox_easter(1990), Err(CalendarError::YearOutOfRange(1990)));
    assert_eq!(orthodox_easter(2101), Err(CalendarError::YearOutOfRange(2101)));
}

#[test]
fn the_worked_deadline_examples_hold() {
    let cal = &*SHIPPED;
    assert_eq!(cal.add_working_days(d("2025-12-22"), n(10)).unwrap().date(), d("2026-01-13"));
    assert_eq!(cal.add_working_days(d("2026-05-20"), n(7)).unwrap().date(), d("2026-06-01"));
    assert_eq!(cal.add_working_days(d("2025-12-27"), n(7)).unwrap().date(), d("2026-01-09"));
}

#[test]
fn working_days_per_year_match_the_reference() {
    let cal = &*SHIPPED;
    assert_eq!(cal.working_days_in_year(2024).unwrap(), 251);
    assert_eq!(cal.working_days_in_year(2025).unwrap(), 248);
    assert_eq!(cal.working_days_in_year(2026).unwrap(), 248);
}

#[test]
fn weekdays_off_in_2026_are_exactly_the_reference_list() {
    let cal = &*SHIPPED;
    assert_eq!(
        weekdays_off(cal, 2026),
        [
            "01-01", "01-02", "03-03", "04-10", "04-13", "05-01", "05-06", "05-25", "09-07", "09-22", "12-24", "12-25",
            "12-28"
        ]
    );
    // No worked Saturday in 2024–2026.
    for year in 2024..=2026 {
        assert!(cal.exceptions_in_year(year).unwrap().iter().all(|(_, s)| !s.is_working()));
    }
}

#[test]
fn weekdays_off_in_2024_and_2025() {
    let cal = &*SHIPPED;
    // 2024: 6 May is both St George's Day and Easter Monday: no extra day; 7 May works.
    assert_eq!(
        weekdays_off(cal, 2024),
        ["01-01", "03-04", "05-01", "05-03", "05-06", "05-24", "09-06", "09-23", "12-24", "12-25", "12-26"]
    );
    assert!(cal.is_working_day(d("2024-05-07")).unwrap());
    assert_eq!(
        weekdays_off(cal, 2025),
        [
            "01-01", "03-03", "04-18", "04-21", "05-01", "05-06", "05-26", "09-08", "09-22", "12-24", "12-25", "12-26",
            "12-31"
        ]
    );
}

#[test]
fn carry_over_cascades_in_date_order() {
    let cal = &*SHIPPED;
    // 2021: 1 May was Holy Saturday; Easter Monday was 3 May, so Tuesday 4 May was off.
    assert!(!cal.is_working_day(d("2021-05-04")).unwrap());
    assert!(cal.is_working_day(d("2021-05-05")).unwrap());
    // 24 Dec on a Sunday (2023) gives 27 Dec.
    assert!(!cal.is_working_day(d("2023-12-27")).unwrap());
    assert!(cal.is_working_day(d("2023-12-28")).unwrap());
    // 24 Dec on a Saturday (2022) gives 27 and 28 Dec.
    assert!(!cal.is_working_day(d("2022-12-27")).unwrap());
    assert!(!cal.is_working_day(d("2022-12-28")).unwrap());
    assert!(cal.is_working_day(d("2022-12-29")).unwrap());
    // 25 and 26 Dec on Saturday and Sunday (2021) give 27 and 28 Dec.
    assert!(!cal.is_working_day(d("2021-12-27")).unwrap());
    assert!(!cal.is_working_day(d("2021-12-28")).unwrap());
    // 26 Dec on a Saturday (2020) gives 28 Dec.
    assert!(!cal.is_working_day(d("2020-12-28")).unwrap());
    assert!(cal.is_working_day(d("2020-12-29")).unwrap());
    // No carry-over before 2017: 1 Jan 2011 was a Saturday, 3 Jan 2011 a working day.
    assert!(cal.is_working_day(d("2011-01-03")).unwrap());
}

#[test]
fn history_of_the_holiday_list_is_followed() {
    let cal = &*SHIPPED;
    // Good Friday became a holiday in 2010: 2009-04-17 was a working Friday.
    assert!(cal.is_working_day(d("2009-04-17")).unwrap());
    assert!(!cal.is_working_day(d("2010-04-02")).unwrap());
    // 9 September was dropped after 1991.
    assert!(!cal.is_working_day(d("1991-09-09")).unwrap());
    assert!(cal.is_working_day(d("1992-09-09")).unwrap());
    // 24 Dec became a full day off in 1996.
    assert!(cal.is_working_day(d("1993-12-24")).unwrap());
    assert!(!cal.is_working_day(d("1996-12-24")).unwrap());
}

#[test]
fn pre_2017_swaps_move_days_both_ways() {
    let cal = &*SHIPPED;
    assert!(!cal.is_working_day(d("2010-05-07")).unwrap());
    assert!(cal.is_working_day(d("2010-05-15")).unwrap());
    let status = cal.status(d("2010-05-15")).unwrap();
    assert!(matches!(status, DayStatus::WorkedWeekend(_)));
    assert!(status.reason_bg().contains("работна събота"));
}

#[test]
fn reasons_name_the_holiday_or_the_decision() {
    let cal = &*SHIPPED;
    assert_eq!(cal.status(d("2026-03-03")).unwrap().reason_bg(), "Ден на Освобождението на България");
    assert!(cal.status(d("2026-01-02")).unwrap().reason_bg().contains("РМС № 808/19.11.2025"));
    assert!(cal.status(d("2026-12-28")).unwrap().reason_en().contains("Second day of Christmas"));
    assert_eq!(cal.status(d("2026-11-28")).unwrap(), DayStatus::Weekend);
    assert_eq!(cal.status(d("2026-11-25")).unwrap(), DayStatus::Working);
}

#[test]
fn a_decision_added_at_run_time_moves_deadlines_and_can_be_refused() {
    let mut decisions = shipped_decisions();
    let base = Calendar::build(decisions.clone()).unwrap();
    assert_eq!(base.add_working_days(d("2026-11-25"), n(10)).unwrap().date(), d("2026-12-09"));
    decisions.push(Decision {
        date: d("2026-12-07"),
        kind: DecisionKind::DayOff,
        number: Some("999".into()),
        decided_on: Some(d("2026-11-20")),
        note: "test".into(),
    });
    let moved = Calendar::build(decisions.clone()).unwrap();
    assert_eq!(moved.add_working_days(d("2026-11-25"), n(10)).unwrap().date(), d("2026-12-10"));
    // Refused: the same date twice, a day off on a holiday, a working day on a weekday.
    let mut dup = decisions.clone();
    dup.push(decisions.last().unwrap().clone());
    assert!(matches!(
        Calendar::build(dup),
        Err(CalendarError::DecisionChangesNothing { .. } | CalendarError::DuplicateDecision(_))
    ));
    let mut on_holiday = shipped_decisions();
    on_holiday.push(Decision {
        date: d("2026-03-03"),
        kind: DecisionKind::DayOff,
        number: None,
        decided_on: None,
        note: String::new(),
    });
    assert!(matches!(Calendar::build(on_holiday), Err(CalendarError::DecisionChangesNothing { .. })));
    let mut on_weekday = shipped_decisions();
    on_weekday.push(Decision {
        date: d("2026-03-04"),
        kind: DecisionKind::WorkingDay,
        number: None,
        decided_on: None,
        note: String::new(),
    });
    assert!(matches!(Calendar::build(on_weekday), Err(CalendarError::DecisionChangesNothing { .. })));
}

#[test]
fn counts_are_parsed_not_trusted() {
    assert_eq!(WorkingDays::new(0), Err(CalendarError::BadCount(0)));
    assert_eq!(WorkingDays::new(-3), Err(CalendarError::BadCount(-3)));
    assert_eq!(WorkingDays::new(10_001), Err(CalendarError::BadCount(10_001)));
    assert_eq!(WorkingDays::new(10_000).unwrap().get(), 10_000);
}

#[test]
fn the_edges_of_the_range_are_errors_not_panics() {
    let cal = &*SHIPPED;
    assert!(matches!(cal.is_working_day(d("1990-12-31")), Err(CalendarError::OutOfRange(_))));
    assert!(matches!(cal.is_working_day(d("2101-01-01")), Err(CalendarError::OutOfRange(_))));
    assert!(matches!(cal.add_working_days(d("2100-12-20"), n(30)), Err(CalendarError::OutOfRange(_))));
    assert!(matches!(cal.sub_working_days(d("1991-01-05"), n(30)), Err(CalendarError::OutOfRange(_))));
    assert!(cal.previous_working_day(d("1991-01-02")).is_err());
    assert_eq!(cal.working_days_in_month(2026, 13), Err(CalendarError::NoSuchMonth(13)));
    assert_eq!(cal.working_days_in_year(1990), Err(CalendarError::YearOutOfRange(1990)));
    assert!(cal.exceptions_in_year(2101).is_err());
}

#[test]
fn months_add_up_to_the_year() {
    let cal = &*SHIPPED;
    for year in [1991, 2004, 2016, 2026, 2100] {
        let months: u32 = (1..=12).map(|m| cal.working_days_in_month(year, m).unwrap()).sum();
        assert_eq!(months, cal.working_days_in_year(year).unwrap(), "{year}");
    }
    assert_eq!(cal.working_days_in_month(2026, 1).unwrap(), 20);
}

fn any_date() -> impl Strategy<Value = Date> {
    (0i64..40_000).prop_map(|k| first_day().checked_add(jiff::Span::new().days(k)).unwrap())
}

proptest! {
    #[test]
    fn add_then_between_round_trips(date in any_date(), k in 1i64..=400) {
        let cal = &*SHIPPED;
        if let Ok(due) = cal.add_working_days(date, n(k)) {
            prop_assert!(cal.is_working_day(due.date()).unwrap());
            prop_assert!(due.date() > date);
            prop_assert_eq!(cal.working_days_between(date, due.date()).unwrap(), k);
            prop_assert_eq!(cal.working_days_between(due.date(), date).unwrap(), -k);
            // Going back from the result lands on the last working day on or before the start.
            // (Only a date before the first working day of 1991 has no such day.)
            match cal.sub_working_days(due.date(), n(k)) {
                Ok(back) => {
                    prop_assert!(back.date() <= date);
                    prop_assert_eq!(cal.working_days_between(back.date(), date).unwrap(), 0);
                }
                Err(_) => prop_assert!(date < d("1991-01-02")),
            }
        }
    }

    #[test]
    fn add_is_strictly_monotonic_in_n(date in any_date(), k in 1i64..=9_999) {
        let cal = &*SHIPPED;
        if let (Ok(a), Ok(b)) = (cal.add_working_days(date, n(k)), cal.add_working_days(date, n(k + 1))) {
            prop_assert!(a < b);
            prop_assert_eq!(cal.next_working_day(a.date()).unwrap(), b);
        }
    }

    #[test]
    fn add_is_monotonic_in_the_date(date in any_date(), k in 1i64..=30) {
        let cal = &*SHIPPED;
        let next = date.tomorrow().unwrap();
        if let (Ok(a), Ok(b)) = (cal.add_working_days(date, n(k)), cal.add_working_days(next, n(k))) {
            prop_assert!(a <= b);
        }
    }

    #[test]
    fn easter_is_a_sunday_in_april_or_may(year in FIRST_YEAR..=LAST_YEAR) {
        let e = orthodox_easter(year).unwrap();
        prop_assert_eq!(e.weekday(), Weekday::Sunday);
        prop_assert!(e.month() == 4 || e.month() == 5);
    }

    #[test]
    fn nothing_panics_for_any_date_or_count(y in 1900i16..2200, m in 1i8..=12, day in 1i8..=28, k in -20_000i64..20_000) {
        let cal = &*SHIPPED;
        let date = Date::new(y, m, day).unwrap();
        let _ = cal.is_working_day(date);
        let _ = cal.status(date);
        let _ = cal.working_days_in_month(y, m);
        let _ = cal.working_days_in_year(y);
        let _ = orthodox_easter(y);
        if let Ok(count) = WorkingDays::new(k) {
            let _ = cal.add_working_days(date, count);
            let _ = cal.sub_working_days(date, count);
        }
        let in_range = (FIRST_YEAR..=LAST_YEAR).contains(&y);
        prop_assert_eq!(cal.is_working_day(date).is_ok(), in_range);
    }
}
