//! How dates and times are written for people: 25.11.2026, 14:30, Sofia time.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// The administration's time zone. Every deadline and every date shown to a person is in it.
pub fn sofia() -> TimeZone {
    // jiff bundles the time zone database, so the look-up cannot fail at run time; the UTC
    // fallback only guards against a build without it.
    TimeZone::get("Europe/Sofia").unwrap_or(TimeZone::UTC)
}

/// A moment in Sofia time.
pub fn in_sofia(at: Timestamp) -> Zoned {
    at.to_zoned(sofia())
}

/// The first moment of a day in Sofia. Days are not all 24 hours long (23 on the last Sunday
/// of March, 25 on the last Sunday of October), so a range of days runs from the start of the
/// first to the start of the day after the last, never "start plus 24 hours".
pub fn start_of_day(date: Date) -> Timestamp {
    // Only dates at the very ends of jiff's range fail; none is a date harta handles.
    date.to_zoned(sofia()).map_or(Timestamp::MAX, |z| z.timestamp())
}

/// The moments of the days `from` to `until`, both included, in Sofia: `[start, end)`.
pub fn days_in_sofia(from: Date, until: Date) -> (Timestamp, Timestamp) {
    (start_of_day(from), start_of_day(until.tomorrow().unwrap_or(until)))
}

/// A date as Bulgarians write it: `25.11.2026`.
pub fn date_bg(date: Date) -> String {
    format!("{:02}.{:02}.{:04}", date.day(), date.month(), date.year())
}

/// A time of day as `14:30`, Sofia time.
pub fn time_bg(at: Timestamp) -> String {
    let z = in_sofia(at);
    format!("{:02}:{:02}", z.hour(), z.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_have_the_length_sofia_gives_them() {
        let hours = |d: &str| {
            let d: Date = d.parse().unwrap();
            let (from, to) = days_in_sofia(d, d);
            to.duration_since(from).as_hours()
        };
        assert_eq!(hours("2026-03-29"), 23);
        assert_eq!(hours("2026-10-25"), 25);
        assert_eq!(hours("2026-11-25"), 24);
        let (from, _) = days_in_sofia("2026-07-01".parse().unwrap(), "2026-07-01".parse().unwrap());
        assert_eq!(from.to_string(), "2026-06-30T21:00:00Z");
    }

    #[test]
    fn dates_and_times_are_written_the_bulgarian_way() {
        assert_eq!(date_bg(Date::constant(2026, 11, 5)), "05.11.2026");
        let at: Timestamp = "2026-11-25T12:30:00Z".parse().unwrap();
        assert_eq!(time_bg(at), "14:30");
        let summer: Timestamp = "2026-07-01T12:30:00Z".parse().unwrap();
        assert_eq!(time_bg(summer), "15:30");
    }
}
