use harta_domain::case::{Actor, CaseEvent, CaseKind, Spoken, State};
use harta_domain::performance::CaseFacts;
use harta_store::Db;
use harta_store::cases::Cases;
use harta_store::performance::{Key, Performance, Scope};
use harta_store::testing::backends;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::support::{letter, officer, registrar};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn scope(from: &str, to: &str) -> Scope {
    Scope { from: d(from), to: d(to), unit: None, kind: None, channel: None, service: None }
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
        let performance = Performance::new(t.db.clone());
        let mut facts = performance.facts(&scope("2026-06-01", "2026-06-30"), Key::Unit).await.unwrap();
        facts.sort_by_key(|f| (f.facts.received_on, f.facts.answered_on));
        let seen: Vec<_> = facts.iter().map(|f| (f.key.as_deref(), f.facts, f.cases)).collect();
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
                (
                    Some("cao"),
                    CaseFacts { answered_on: Some(d("2026-06-06")), ..letter("2026-06-02", "2026-06-16") },
                    1
                ),
                (
                    Some("cao"),
                    CaseFacts {
                        state: State::Answered,
                        extended_due: Some(d("2026-07-08")),
                        held_on: Some(d("2026-06-10")),
                        answered_on: Some(d("2026-06-30")),
                        ..letter("2026-06-02", "2026-06-16")
                    },
                    1
                ),
                (Some("grao"), CaseFacts { state: State::Registered, ..letter("2026-06-03", "2026-06-17") }, 1),
            ],
            "{}",
            t.db.backend()
        );
        // The first of June is outside a period that starts on the second, whose facts are
        // the same as another key's.
        let by_none = performance.facts(&scope("2026-06-03", "2026-06-03"), Key::None).await.unwrap();
        assert_eq!(by_none.len(), 1);
        assert_eq!((by_none[0].key.as_deref(), by_none[0].cases), (None, 1));
        assert!(performance.facts(&scope("2026-06-01", "2026-06-01"), Key::None).await.unwrap().is_empty());

        // As a store migrated from before kept them: nothing of the three, and the marker.
        exec(&t.db, "UPDATE cases SET received_on = NULL, held_on = NULL, answered_on = NULL").await;
        exec(&t.db, "INSERT INTO backfills (name) VALUES ('performance')").await;
        t.db.migrate().await.unwrap();
        let mut again = performance.facts(&scope("2026-06-01", "2026-06-30"), Key::Unit).await.unwrap();
        again.sort_by_key(|f| (f.facts.received_on, f.facts.answered_on));
        assert_eq!(again, facts, "{}", t.db.backend());
        assert_eq!(crate::support::count(&t.db, "backfills").await, 0);
    }
}

/// The list behind each figure picks exactly the cases the domain's definition counts: cases
/// with facts in every combination that matters (answered before, on and after each date, held
/// in time or not, open, withdrawn, forwarded) are counted both ways.
#[tokio::test]
async fn the_list_of_each_outcome_is_what_the_domain_counts() {
    use harta_domain::performance::Outcome;
    use harta_store::cases::CaseFilter;
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        let due = d("2026-06-16");
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
        for (state, extended, held, answered) in &combinations {
            let id = registrar.register(letter("2026-06-02T08:00:00Z", "cao")).await.unwrap().id;
            let quoted = |v: &Option<&str>| v.map_or("NULL".to_string(), |d| format!("'{d}'"));
            let due_in_force = extended.unwrap_or("2026-06-16");
            exec(
                &t.db,
                &format!(
                    "UPDATE cases SET state = '{state}', extended_due = {}, held_on = {}, answered_on = {},
                        due = '{due_in_force}' WHERE id = {id}",
                    quoted(extended),
                    quoted(held),
                    quoted(answered)
                ),
            )
            .await;
        }
        let facts = Performance::new(t.db.clone()).facts(&scope("2026-06-01", "2026-06-30"), Key::None).await.unwrap();
        assert_eq!(facts.iter().map(|f| f.cases).sum::<u64>(), combinations.len() as u64);
        assert!(facts.iter().all(|f| f.facts.original_due == due));
        let cases = Cases::new(t.db.clone());
        for today in [d("2026-06-16"), d("2026-06-20"), d("2026-07-02")] {
            for outcome in Outcome::ALL {
                let counted: u64 = facts.iter().filter(|f| outcome.holds(&f.facts, today)).map(|f| f.cases).sum();
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
