//! `harta calendar YEAR` and `harta calendar due DATE N`: the working-day calendar for people
//! and scripts.

use std::fmt::Write as _;

use anyhow::{Result, anyhow};
use harta_domain::calendar::{Calendar, DayStatus, FIRST_YEAR, LAST_YEAR, WorkingDays};
use harta_domain::format::date_bg;
use jiff::civil::{Date, Weekday};
use serde_json::json;

const MONTHS_BG: [&str; 12] = [
    "Януари",
    "Февруари",
    "Март",
    "Април",
    "Май",
    "Юни",
    "Юли",
    "Август",
    "Септември",
    "Октомври",
    "Ноември",
    "Декември",
];

/// Parses a year in the supported range.
pub fn parse_year(s: &str) -> Result<i16> {
    match s.trim().parse::<i64>() {
        Ok(y) if (i64::from(FIRST_YEAR)..=i64::from(LAST_YEAR)).contains(&y) => Ok(y as i16),
        Ok(y) => Err(anyhow!("year {y} is outside the supported range {FIRST_YEAR}–{LAST_YEAR}")),
        Err(_) => Err(anyhow!("\"{s}\" is not a year (e.g. 2026)")),
    }
}

/// Parses a date given as YYYY-MM-DD (or DD.MM.YYYY, as Bulgarians write it).
pub fn parse_date(s: &str) -> Result<Date> {
    let s = s.trim();
    let iso = match s.split('.').collect::<Vec<_>>()[..] {
        [d, m, y] if y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => s.to_string(),
    };
    iso.parse().map_err(|_| anyhow!("\"{s}\" is not a date that exists (write it as YYYY-MM-DD, e.g. 2025-12-22)"))
}

/// Parses a number of working days (1–10,000).
pub fn parse_count(s: &str) -> Result<WorkingDays> {
    let n: i64 = s.trim().parse().map_err(|_| anyhow!("\"{s}\" is not a whole number of working days"))?;
    WorkingDays::new(n).map_err(|e| anyhow!("{e}"))
}

/// The year as JSON: working days, weekdays off and worked weekend days, with reasons.
pub fn year_json(cal: &Calendar, year: i16) -> Result<serde_json::Value> {
    let exceptions = cal.exceptions_in_year(year)?;
    let entry = |(d, s): &(Date, DayStatus<'_>)| json!({ "date": d.to_string(), "reason": s.reason_bg(), "reason_en": s.reason_en() });
    Ok(json!({
        "year": year,
        "working_days": cal.working_days_in_year(year)?,
        "days_off": exceptions.iter().filter(|(_, s)| !s.is_working()).map(entry).collect::<Vec<_>>(),
        "working_weekend_days": exceptions.iter().filter(|(_, s)| s.is_working()).map(entry).collect::<Vec<_>>(),
    }))
}

/// The year as a table, month by month; weekdays off are marked `*`, worked weekend days `+`,
/// each explained under its month.
pub fn year_table(cal: &Calendar, year: i16) -> Result<String> {
    let mut out = String::new();
    writeln!(out, "{year}: {} работни дни (working days)", cal.working_days_in_year(year)?)?;
    writeln!(out, "* почивен делничен ден (weekday off)   + работен почивен ден (worked weekend day)")?;
    let exceptions = cal.exceptions_in_year(year)?;
    for month in 1..=12i8 {
        let first = Date::new(year, month, 1)?;
        writeln!(
            out,
            "\n{} {year} ({} работни дни)",
            MONTHS_BG[(month - 1) as usize],
            cal.working_days_in_month(year, month)?
        )?;
        writeln!(out, "  Пн  Вт  Ср  Чт  Пт  Сб  Нд")?;
        let offset = first.weekday().to_monday_zero_offset();
        let mut line = "    ".repeat(offset as usize);
        let mut day = first;
        while day.month() == month {
            let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
            let mark = match (weekend, cal.is_working_day(day)?) {
                (false, false) => '*',
                (true, true) => '+',
                _ => ' ',
            };
            write!(line, "{:>3}{mark}", day.day())?;
            if day.weekday() == Weekday::Sunday {
                writeln!(out, "{}", line.trim_end())?;
                line.clear();
            }
            day = day.tomorrow()?;
        }
        if !line.is_empty() {
            writeln!(out, "{}", line.trim_end())?;
        }
        for (date, status) in exceptions.iter().filter(|(d, _)| d.month() == month) {
            let mark = if status.is_working() { '+' } else { '*' };
            writeln!(out, "  {mark} {}  {}", date_bg(*date), status.reason_bg())?;
        }
    }
    Ok(out)
}
