use std::collections::BTreeMap;

use harta_domain::calendar::{Calendar, Decision, DecisionKind};
use harta_domain::case::{Actor, CaseEvent, CaseKind, Channel, Spoken, State};
use harta_domain::performance::{CaseFacts, Contribution};
use harta_store::Db;
use harta_store::calendar::Decisions;
use harta_store::cases::Cases;
use harta_store::performance::{Key, Performance, Scope};
use harta_store::testing::backends;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::support::{commitments, letter, officer, registrar};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn scope(from: &str, to: &str) -> Scope {
    Scope { from: d(from), to: d(to), unit: None, kind: None, channel: None, service: None }
}

type FactsRow =
    (String, String, String, String, Option<String>, String, Option<String>, Option<String>, Option<String>);

/// Every case's facts as its row keeps them, with its unit and channel, in the order of ids.
async fn stored_facts(db: &Db) -> Vec<(String, Channel, CaseFacts)> {
    let sql = "SELECT unit_code, channel, kind, state, received_on, original_due, extended_due, held_on, answered_on
               FROM cases ORDER BY id";
    let rows: Vec<FactsRow> = match db {
        Db::Sqlite(s) => sqlx::query_as(sql).fetch_all(&s.read).await.unwrap(),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    };
    let day = |v: &Option<String>| v.as_deref().map(d);
    rows.iter()
        .map(|(unit, channel, kind, state, received, due, extended, held, answered)| {
            let facts = CaseFacts {
                kind: CaseKind::parse(kind).unwrap(),
                state: State::parse(state).unwrap(),
                received_on: day(received).unwrap(),
                original_due: d(due),
                extended_due: day(extended),
                held_on: day(held),
                answered_on: day(answered),
            };
            (unit.clone(), Channel::parse(channel).unwrap(), facts)
        })
        .collect()
}

/// What the domain says the cases count for, as the store's contributions would be read by
/// month: keyed by (key, month, contribution).
fn by_the_domain(
    cases: &[(String, Channel, CaseFacts)],
    calendar: &Calendar,
    key: impl Fn(&str, Channel) -> Option<String>,
) -> BTreeMap<(Option<String>, Date, Contribution), i64> {
    let mut out = BTreeMap::new();
    for (unit, channel, facts) in cases {
        let (own, held) = facts.contributions(|a, b| calendar.working_days_between(a, b)).unwrap();
        for c in std::iter::once(own).chain(held) {
            *out.entry((key(unit, *channel), facts.received_on.first_of_month(), c)).or_default() += 1;
        }
    }
    out
}

/// The store's contributions of `scope` by month, added up the same way.
async fn by_the_store(db: &Db, scope: &Scope, key: Key) -> BTreeMap<(Option<String>, Date, Contribution), i64> {
    let mut out = BTreeMap::new();
    for c in Performance::new(db.clone()).contributions(scope, key, true).await.unwrap() {
        *out.entry((c.key, c.month.unwrap(), c.contribution)).or_default() += c.cases;
    }
    out.retain(|_, n| *n != 0);
    out
}

/// The table of figures as the triggers kept it, and as it would be rebuilt from the view.
async fn figures_kept_and_rebuilt(db: &Db) -> (Vec<String>, Vec<String>) {
    let columns = "dim || '/' || key || '/' || month || '/' || kind || '/' || CAST(holding AS TEXT) || '/' || answer
        || '/' || CAST(days AS TEXT) || '/' || standing || '/' || due";
    let kept = format!("SELECT {columns} || '=' || CAST(cases AS TEXT) FROM figures WHERE cases <> 0 ORDER BY 1");
    let rebuilt = format!(
        "SELECT {columns} || '=' || CAST(COUNT(*) AS TEXT) FROM case_figures
         GROUP BY dim, key, month, kind, holding, answer, days, standing, due ORDER BY 1"
    );
    let (kept, rebuilt) = (sqlx::AssertSqlSafe(kept), sqlx::AssertSqlSafe(rebuilt));
    match db {
        Db::Sqlite(s) => (
            sqlx::query_scalar(kept).fetch_all(&s.read).await.unwrap(),
            sqlx::query_scalar(rebuilt).fetch_all(&s.read).await.unwrap(),
        ),
        Db::Postgres(p) => (
            sqlx::query_scalar(kept).fetch_all(p).await.unwrap(),
            sqlx::query_scalar(rebuilt).fetch_all(p).await.unwrap(),
        ),
    }
}

async fn exec(db: &Db, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match db {
        Db::Sqlite(s) => sqlx::query(sql).execute(&s.write).await.map(drop).unwrap(),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(drop).unwrap(),
    }
}

/// A case's facts follow its history as it is written: the day of receipt in Sofia (a letter
/// registered at 23:30 UTC in summer was received the next day), the day of the first holding
/// reply and of the answer; and a store migrated from before it kept them gets them filled.
#[tokio::test]
async fn the_facts_of_the_figures_are_written_with_each_change_and_filled_for_old_cases() {
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        let officer = officer(&t.db, "D012").await;
        let cases = Cases::new(t.db.clone());
        let me = Actor::Staff { id: officer };
        let late_night = registrar.register(letter("2026-06-01T21:30:00Z", "cao")).await.unwrap();
        let held = registrar.register(letter("2026-06-02T08:00:00Z", "cao")).await.unwrap();
        registrar.register(letter("2026-06-03T08:00:00Z", "grao")).await.unwrap();
        let history = [
            (late_night.id, "2026-06-03T09:00:00Z", CaseEvent::Assigned { officer, note: None }),
            (
                late_night.id,
                "2026-06-05T21:10:00Z",
                CaseEvent::Answered { summary: "отговор".into(), letter: None, spoken: Some(Spoken::Phone) },
            ),
            (late_night.id, "2026-06-09T09:00:00Z", CaseEvent::Closed),
            (held.id, "2026-06-03T09:00:00Z", CaseEvent::Assigned { officer, note: None }),
            (
                held.id,
                "2026-06-10T09:00:00Z",
                CaseEvent::HoldingReplySent {
                    reasons: "нужна е проверка на място".into(),
                    still_needed: String::new(),
                    new_due: d("2026-07-01"),
                },
            ),
            (
                held.id,
                "2026-06-12T09:00:00Z",
                CaseEvent::HoldingReplySent {
                    reasons: "още".into(),
                    still_needed: String::new(),
                    new_due: d("2026-07-08"),
                },
            ),
            (
                held.id,
                "2026-06-30T09:00:00Z",
                CaseEvent::Answered { summary: "отговор".into(), letter: None, spoken: Some(Spoken::InPerson) },
            ),
        ];
        for (id, when, event) in &history {
            cases.append(*id, at(when), &me, event).await.unwrap().unwrap();
        }
        let facts = stored_facts(&t.db).await;
        let seen: Vec<_> = facts.iter().map(|(unit, _, f)| (unit.as_str(), *f)).collect();
        let letter = |received: &str, due: &str| CaseFacts {
            kind: CaseKind::Letter,
            state: State::Closed,
            received_on: d(received),
            original_due: d(due),
            extended_due: None,
            held_on: None,
            answered_on: None,
        };
        assert_eq!(
            seen,
            [
                ("cao", CaseFacts { answered_on: Some(d("2026-06-06")), ..letter("2026-06-02", "2026-06-16") }),
                (
                    "cao",
                    CaseFacts {
                        state: State::Answered,
                        extended_due: Some(d("2026-07-08")),
                        held_on: Some(d("2026-06-10")),
                        answered_on: Some(d("2026-06-30")),
                        ..letter("2026-06-02", "2026-06-16")
                    }
                ),
                ("grao", CaseFacts { state: State::Registered, ..letter("2026-06-03", "2026-06-17") }),
            ],
            "{}",
            t.db.backend()
        );
        // What they count for, by unit; a period of one day has the one case received on it.
        let calendar = Calendar::shipped().unwrap();
        let by_unit = by_the_domain(&facts, &calendar, |unit, _| Some(unit.to_string()));
        assert_eq!(by_the_store(&t.db, &scope("2026-06-01", "2026-06-30"), Key::Unit).await, by_unit);
        let one_day = by_the_store(&t.db, &scope("2026-06-03", "2026-06-03"), Key::None).await;
        assert_eq!(one_day.values().sum::<i64>(), 1);
        assert!(by_the_store(&t.db, &scope("2026-06-01", "2026-06-01"), Key::None).await.is_empty());

        // As a store migrated from before kept them: nothing of the three, and the marker.
        exec(&t.db, "UPDATE cases SET received_on = NULL, held_on = NULL, answered_on = NULL").await;
        exec(&t.db, "INSERT INTO backfills (name) VALUES ('performance')").await;
        t.db.migrate().await.unwrap();
        assert_eq!(stored_facts(&t.db).await, facts, "{}", t.db.backend());
        assert_eq!(crate::support::count(&t.db, "backfills").await, 0);
        assert_eq!(by_the_store(&t.db, &scope("2026-06-01", "2026-06-30"), Key::Unit).await, by_unit);
    }
}

/// Registers a letter received on 2 June 2026 for each combination of facts that matters
/// (answered before, on and after each date, held in time or not, open, withdrawn, forwarded),
/// its facts written straight into its row, at each of `days_of_receipt`; returns how many.
async fn every_combination(db: &Db, registrar: &harta_store::cases::Registrar, received: &[&str]) -> usize {
    let days = ["2026-06-10", "2026-06-16", "2026-06-17", "2026-06-30", "2026-07-01"];
    let mut combinations = Vec::new();
    for state in ["registered", "in_progress", "answered", "closed", "withdrawn", "forwarded"] {
        for extended in [None, Some("2026-06-30")] {
            for held in [None, Some("2026-06-12"), Some("2026-06-17")] {
                for answered in std::iter::once(None).chain(days.iter().map(|d| Some(*d))) {
                    let answered = answered.filter(|_| matches!(state, "answered" | "closed"));
                    let held = held.filter(|_| extended.is_some());
                    combinations.push((state, extended, held, answered));
                }
            }
        }
    }
    combinations.sort();
    combinations.dedup();
    for (i, (state, extended, held, answered)) in combinations.iter().enumerate() {
        let unit = if i % 3 == 0 { "grao" } else { "cao" };
        let at = received[i % received.len()];
        let id = registrar.register(letter(at, unit)).await.unwrap().id;
        let quoted = |v: &Option<&str>| v.map_or("NULL".to_string(), |d| format!("'{d}'"));
        let due_in_force = extended.unwrap_or("2026-06-16");
        let channel = if i % 2 == 0 { "post" } else { "email" };
        exec(
            db,
            &format!(
                "UPDATE cases SET state = '{state}', extended_due = {}, held_on = {}, answered_on = {},
                    due = '{due_in_force}', original_due = '2026-06-16', channel = '{channel}' WHERE id = {id}",
                quoted(extended),
                quoted(held),
                quoted(answered)
            ),
        )
        .await;
    }
    combinations.len()
}

/// The list behind each figure picks exactly the cases the domain's definition counts, for
/// cases with facts in every combination that matters.
#[tokio::test]
async fn the_list_of_each_outcome_is_what_the_domain_counts() {
    use harta_domain::performance::Outcome;
    use harta_store::cases::CaseFilter;
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        let made = every_combination(&t.db, &registrar, &["2026-06-02T08:00:00Z"]).await;
        let facts: Vec<CaseFacts> = stored_facts(&t.db).await.into_iter().map(|(_, _, f)| f).collect();
        assert_eq!(facts.len(), made);
        let cases = Cases::new(t.db.clone());
        for today in [d("2026-06-16"), d("2026-06-20"), d("2026-07-02")] {
            for outcome in Outcome::ALL {
                let counted = facts.iter().filter(|f| outcome.holds(f, today)).count() as u64;
                let filter = CaseFilter {
                    outcome: Some((*outcome, today)),
                    received_from: Some(d("2026-06-01")),
                    received_until: Some(d("2026-06-30")),
                    limit: 10,
                    ..CaseFilter::default()
                };
                let listed = cases.count(&filter).await.unwrap();
                assert_eq!(listed, counted, "{outcome} on {today} ({})", t.db.backend());
            }
        }
    }
}

/// The figures the store keeps are what the domain says every case counts for, for cases with
/// facts in every combination that matters, received over three months: read from the whole
/// months, from the days of a month in part or from its whole less the days outside, by unit or
/// channel, and narrowed by two things at once (read from the cases); and a decision of the
/// calendar keeps them so, as does its removal.
#[tokio::test]
async fn the_figures_kept_are_what_the_domain_counts_through_changes_of_the_calendar() {
    for t in backends().await {
        let (registrar, cache) = registrar(&t.db).await;
        let received = ["2026-05-20T08:00:00Z", "2026-06-02T08:00:00Z", "2026-06-09T08:00:00Z", "2026-07-01T08:00:00Z"];
        every_combination(&t.db, &registrar, &received).await;
        let check = |calendar: Calendar, when: &'static str| {
            let db = t.db.clone();
            async move {
                // Kept, unless a bulk load is under way.
                if crate::support::count(&db, "backfills").await == 0 {
                    let (kept, rebuilt) = figures_kept_and_rebuilt(&db).await;
                    assert_eq!(kept, rebuilt, "{when} ({})", db.backend());
                }
                let facts = stored_facts(&db).await;
                let within = |from: &str, to: &str, unit: Option<&str>, channel: Option<Channel>| {
                    facts
                        .iter()
                        .filter(|(u, c, f)| {
                            f.received_on >= d(from)
                                && f.received_on <= d(to)
                                && unit.is_none_or(|x| x == u)
                                && channel.is_none_or(|x| x == *c)
                        })
                        .cloned()
                        .collect::<Vec<_>>()
                };
                let narrowed = |from: &str, to: &str, unit: Option<&str>, channel: Option<Channel>| Scope {
                    unit: unit.map(str::to_string),
                    channel,
                    ..scope(from, to)
                };
                // Whole months; a month in part read from its days; a month in part read as the
                // whole month less the days outside (one end or both in one month).
                let periods = [
                    ("2026-06-01", "2026-06-30"),
                    ("2026-05-21", "2026-07-31"),
                    ("2026-06-05", "2026-06-20"),
                    ("2026-05-03", "2026-07-10"),
                    ("2026-06-03", "2026-07-01"),
                ];
                for (from, to) in periods {
                    for (unit, channel) in [(None, None), (Some("cao"), None), (Some("cao"), Some(Channel::Email))] {
                        let cases = within(from, to, unit, channel);
                        let scope = narrowed(from, to, unit, channel);
                        let all = by_the_domain(&cases, &calendar, |_, _| None);
                        assert_eq!(by_the_store(&db, &scope, Key::None).await, all, "{when} {scope:?}");
                        let by_unit = by_the_domain(&cases, &calendar, |u, _| Some(u.to_string()));
                        assert_eq!(by_the_store(&db, &scope, Key::Unit).await, by_unit, "{when} {scope:?} by unit");
                        // Not by month: the same, the months added up.
                        let mut whole = BTreeMap::new();
                        for c in Performance::new(db.clone()).contributions(&scope, Key::Unit, false).await.unwrap() {
                            assert_eq!(c.month, None);
                            *whole.entry((c.key, c.contribution)).or_insert(0) += c.cases;
                        }
                        whole.retain(|_, n| *n != 0);
                        let mut expected = BTreeMap::new();
                        for ((key, _, c), n) in &by_unit {
                            *expected.entry((key.clone(), *c)).or_insert(0) += n;
                        }
                        assert_eq!(whole, expected, "{when} {scope:?} by unit, not by month");
                        let by_channel = by_the_domain(&cases, &calendar, |_, c| Some(c.as_str().to_string()));
                        assert_eq!(by_the_store(&db, &scope, Key::Channel).await, by_channel, "{when} {scope:?}");
                    }
                }
            }
        };
        let shipped = Calendar::shipped().unwrap();
        check(shipped.clone(), "as registered").await;

        // 15 June 2026 (a Monday) becomes a day off: answers after it took a working day less.
        let day_off = Decision {
            date: d("2026-06-15"),
            kind: DecisionKind::DayOff,
            number: Some("901".into()),
            decided_on: Some(d("2026-06-01")),
            note: "неприсъствен ден".into(),
        };
        let decisions = Decisions::new(t.db.clone());
        let commitments = commitments(&crate::support::charter());
        let now = Timestamp::now();
        decisions.add(&day_off, "admin", now, &commitments, &cache).await.unwrap();
        let with_decision =
            Calendar::build(harta_domain::calendar::shipped_decisions().into_iter().chain([day_off])).unwrap();
        check(with_decision, "with the day off").await;
        decisions.remove(d("2026-06-15"), now, &commitments, &cache).await.unwrap();
        check(shipped, "without it again").await;

        // During a bulk load the figures are not kept case by case but counted from the cases,
        // and added up after it; a store whose figures cannot be vouched for (a load stopped
        // half-way) has them rebuilt at its next start.
        t.db.prepare_bulk_load().await.unwrap();
        exec(&t.db, "DELETE FROM figures").await;
        every_combination(&t.db, &registrar, &["2026-06-03T08:00:00Z"]).await;
        assert_eq!(crate::support::count(&t.db, "figures").await, 0);
        check(Calendar::shipped().unwrap(), "during a bulk load").await;
        t.db.settle_after_load().await.unwrap();
        check(Calendar::shipped().unwrap(), "after a bulk load").await;
        assert_eq!(crate::support::count(&t.db, "backfills").await, 0);
        t.db.prepare_bulk_load().await.unwrap();
        exec(&t.db, "DELETE FROM figures").await;
        t.db.migrate().await.unwrap();
        let (kept, rebuilt) = figures_kept_and_rebuilt(&t.db).await;
        assert_eq!(kept, rebuilt);
        assert!(!kept.is_empty());
    }
}
