//! Cross-checks the calendar against an independent implementation: the Python `holidays`
//! package (≥ 0.109), which follows the Labour Code and decision 808/2025.
//!
//! The witness is an outside program. Where it is missing the test says so and passes, unless
//! `HARTA_REQUIRE_WITNESS=1` (set by `.ci/run`, which installs it) makes its absence a failure.

use std::collections::BTreeSet;
use std::process::Command;

use harta_domain::calendar::Calendar;
use jiff::civil::{Date, Weekday};

const SCRIPT: &str = r#"
import json, sys
import holidays
from datetime import date, timedelta
assert tuple(int(p) for p in holidays.__version__.split(".")[:2]) >= (0, 109), holidays.__version__
out = []
for year in range(1991, 2036):
    days = holidays.BG(years=year)
    d = date(year, 1, 1)
    while d.year == year:
        if d.weekday() < 5 and d in days:
            out.append(d.isoformat())
        d += timedelta(days=1)
json.dump(out, sys.stdout)
"#;

#[test]
fn every_year_1991_to_2035_matches_the_python_holidays_package() {
    let required = std::env::var("HARTA_REQUIRE_WITNESS").is_ok_and(|v| v == "1");
    let output = Command::new("python3").arg("-c").arg(SCRIPT).output();
    let output = match output {
        Ok(o) if o.status.success() => o,
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            assert!(!required, "the witness is required but failed: {why}");
            eprintln!("skipped: python3 with holidays>=0.109 is not available ({why}); pip install 'holidays>=0.109'");
            return;
        }
    };
    let theirs: BTreeSet<Date> = serde_json_dates(&output.stdout);
    let cal = Calendar::shipped().unwrap();
    let mut ours = BTreeSet::new();
    let mut date = Date::constant(1991, 1, 1);
    while date.year() <= 2035 {
        let weekday = !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        if weekday && !cal.is_working_day(date).unwrap() {
            ours.insert(date);
        }
        date = date.tomorrow().unwrap();
    }
    // The witness records days off, not worked Saturdays; those are checked in the unit tests.
    assert!(theirs.len() > 200, "the witness returned too little: {}", theirs.len());
    let only_ours: Vec<_> = ours.difference(&theirs).collect();
    let only_theirs: Vec<_> = theirs.difference(&ours).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "only harta: {only_ours:?}; only the witness: {only_theirs:?}"
    );
}

/// The witness prints a JSON array of ISO dates; read it without a JSON library.
fn serde_json_dates(bytes: &[u8]) -> BTreeSet<Date> {
    String::from_utf8_lossy(bytes)
        .trim_matches(|c| c == '[' || c == ']' || char::is_whitespace(c))
        .split(',')
        .map(|s| s.trim().trim_matches('"').parse().unwrap())
        .collect()
}
