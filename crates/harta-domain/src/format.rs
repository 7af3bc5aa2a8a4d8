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
    fn dates_and_times_are_written_the_bulgarian_way() {
        assert_eq!(date_bg(Date::constant(2026, 11, 5)), "05.11.2026");
        let at: Timestamp = "2026-11-25T12:30:00Z".parse().unwrap();
        assert_eq!(time_bg(at), "14:30");
        let summer: Timestamp = "2026-07-01T12:30:00Z".parse().unwrap();
        assert_eq!(time_bg(summer), "15:30");
    }
}
