//! Conversions between domain values and their stored form.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::StoreError;

/// A moment as stored: UTC Unix milliseconds.
pub(crate) fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

/// A stored moment back.
pub(crate) fn timestamp(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(format!("timestamp {ms}: {e}")))
}

/// A date as stored: `YYYY-MM-DD`.
pub(crate) fn day(date: Date) -> String {
    date.to_string()
}

/// A stored date back.
pub(crate) fn date(s: &str) -> Result<Date, StoreError> {
    s.parse().map_err(|e| StoreError::Corrupt(format!("date {s:?}: {e}")))
}

/// A stored machine name back into its enum.
pub(crate) fn parse<T>(what: &str, s: &str, f: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    f(s).ok_or_else(|| StoreError::Corrupt(format!("{what} {s:?}")))
}
