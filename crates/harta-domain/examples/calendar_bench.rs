//! `bench/calendar`: add_working_days(random date in 2000–2099, random n in 1..30) over ten
//! million calls, in ns/call. Inputs are generated before timing, so only the calendar is timed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly

use std::hint::black_box;
use std::time::Instant;

use harta_domain::calendar::{Calendar, WorkingDays};
use jiff::civil::Date;

fn main() {
    let calls: usize = std::env::args().nth(1).map_or(10_000_000, |s| s.parse().expect("calls"));
    let started = Instant::now();
    let cal = Calendar::shipped().unwrap();
    let build = started.elapsed();

    // SplitMix64: the same inputs on every run.
    let mut state = 0x5eed_u64;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let first = Date::constant(2000, 1, 1);
    let days = first.until(Date::constant(2099, 12, 31)).unwrap().get_days() as u64 + 1;
    let inputs: Vec<(Date, WorkingDays)> = (0..calls)
        .map(|_| {
            let d = first.checked_add(jiff::Span::new().days((next() % days) as i64)).unwrap();
            (d, WorkingDays::new((next() % 29 + 1) as i64).unwrap())
        })
        .collect();

    let started = Instant::now();
    let mut checksum = 0i64;
    for &(d, n) in &inputs {
        let due = black_box(&cal).add_working_days(black_box(d), black_box(n)).unwrap();
        checksum = checksum.wrapping_add(i64::from(due.date().day()));
    }
    let elapsed = started.elapsed();
    println!("calendar build: {:.2} ms (1991-2100, once at start-up)", build.as_secs_f64() * 1e3);
    println!(
        "add_working_days: {calls} calls in {:.3} s = {:.1} ns/call (checksum {checksum})",
        elapsed.as_secs_f64(),
        elapsed.as_nanos() as f64 / calls as f64
    );
}
