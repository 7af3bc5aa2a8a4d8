use std::collections::BTreeSet;

use harta_domain::case::{Actor, CaseEvent, StaffId, State, TransitionError};
use harta_store::StoreError;
use harta_store::cases::{CaseFilter, Cases, Found, Order};
use harta_store::testing::backends;
use jiff::Timestamp;

use crate::support::{count, execute, letter, registrar};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_registrations_get_exactly_1_to_200() {
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let r = registrar.clone();
            tasks.push(tokio::spawn(async move { r.register(letter("2026-11-25T10:00:00Z", "cao")).await }));
        }
        let mut seqs = BTreeSet::new();
        let mut texts = BTreeSet::new();
        for task in tasks {
            let done = task.await.unwrap().unwrap();
            assert_eq!(done.number.register(), "ГР94");
            assert_eq!(done.due.to_string(), "2026-12-09");
            seqs.insert(done.number.seq());
            texts.insert(done.number.as_str().to_string());
        }
        assert_eq!(seqs, (1..=200).collect::<BTreeSet<u32>>(), "{}", t.db.backend());
        assert!(texts.contains("РКС26-ГР94-200"));
        assert_eq!(count(&t.db, "cases").await, 200);
        assert_eq!(count(&t.db, "case_events").await, 200);
        t.finish().await;
    }
}

#[tokio::test]
async fn a_failed_registration_consumes_no_number_and_leaves_nothing() {
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        let err = registrar.register(letter("2026-11-25T10:00:00Z", "no-such-unit")).await.unwrap_err();
        assert!(matches!(err, StoreError::Missing(ref what) if what.contains("no-such-unit")), "{err}");
        assert_eq!(count(&t.db, "cases").await, 0);
        assert_eq!(count(&t.db, "parties").await, 0);
        assert_eq!(count(&t.db, "case_events").await, 0);
        // Good and bad registrations in the same moment: only the bad ones fail.
        let mut tasks = Vec::new();
        for i in 0..40 {
            let r = registrar.clone();
            let unit = if i % 4 == 0 { "nowhere" } else { "cao" };
            tasks.push(tokio::spawn(async move { r.register(letter("2026-11-25T10:00:00Z", unit)).await }));
        }
        let mut seqs = BTreeSet::new();
        let mut failed = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(done) => {
                    seqs.insert(done.number.seq());
                }
                Err(_) => failed += 1,
            }
        }
        assert_eq!(failed, 10);
        assert_eq!(seqs, (1..=30).collect::<BTreeSet<u32>>(), "{}", t.db.backend());
        let next = registrar.register(letter("2026-11-25T10:00:00Z", "cao")).await.unwrap();
        assert_eq!(next.number.as_str(), "РКС26-ГР94-31");
        t.finish().await;
    }
}

#[tokio::test]
async fn numbers_restart_each_year_per_register() {
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        let a = registrar.register(letter("2025-12-31T21:30:00Z", "cao")).await.unwrap();
        // 23:30 UTC on 31 December is already 1 January in Sofia.
        let b = registrar.register(letter("2026-12-31T22:30:00Z", "cao")).await.unwrap();
        let mut complaint = letter("2026-12-31T22:30:00Z", "cao");
        complaint.kind = harta_domain::case::CaseKind::Complaint;
        let c = registrar.register(complaint).await.unwrap();
        assert_eq!(a.number.as_str(), "РКС25-ГР94-1");
        assert_eq!(b.number.as_str(), "РКС27-ГР94-1");
        assert_eq!(c.number.as_str(), "РКС27-ЖБ12-1");
        t.finish().await;
    }
}

#[tokio::test]
async fn events_drive_the_row_and_illegal_ones_are_refused() {
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        let officer = crate::support::officer(&t.db, "1001").await.0;
        let done = registrar.register(letter("2026-11-25T10:00:00Z", "cao")).await.unwrap();
        let cases = Cases::new(t.db.clone());
        let now = Timestamp::now();
        let actor = Actor::Staff { id: StaffId(officer) };
        let refused = cases.append(done.id, now, &actor, &CaseEvent::Closed).await.unwrap();
        assert_eq!(refused, Err(TransitionError::NotAllowed { state: State::Registered, event: "closed" }));
        let assign = CaseEvent::Assigned { officer: StaffId(officer), note: None };
        let s = cases.append(done.id, now, &actor, &assign).await.unwrap().unwrap();
        assert_eq!(s.state, State::Assigned);
        let hold = CaseEvent::HoldingReplySent {
            reasons: "нужна е проверка на място".into(),
            still_needed: String::new(),
            new_due: "2026-12-18".parse().unwrap(),
        };
        cases.append(done.id, now, &actor, &hold).await.unwrap().unwrap();
        let row = cases.by_number(&done.number, None).await.unwrap().unwrap();
        assert_eq!(row.state, State::Assigned);
        assert_eq!(row.responsible, Some(StaffId(officer)));
        assert_eq!(row.original_due.to_string(), "2026-12-09");
        assert_eq!(row.extended_due.map(|d| d.to_string()).as_deref(), Some("2026-12-18"));
        assert_eq!(row.due.to_string(), "2026-12-18");
        assert_eq!(row.party.name, "Мария Иванова");
        let events = cases.events(done.id).await.unwrap();
        assert_eq!(
            events.iter().map(|e| e.event.name()).collect::<Vec<_>>(),
            ["registered", "assigned", "holding_reply_sent"]
        );
        assert_eq!(events[1].actor, actor);
        // A case outside the caller's unit does not exist for them.
        assert!(cases.by_number(&done.number, Some("grao")).await.unwrap().is_none());
        assert!(cases.by_number(&done.number, Some("cao")).await.unwrap().is_some());
        assert!(matches!(cases.append(999_999, now, &actor, &CaseEvent::Closed).await, Err(StoreError::Missing(_))));
        t.finish().await;
    }
}

#[tokio::test]
async fn lists_filter_and_page_soonest_due_first() {
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        for (i, at) in ["2026-11-20T10:00:00Z", "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z"].iter().enumerate() {
            let mut c = letter(at, if i == 0 { "grao" } else { "cao" });
            if i == 2 {
                c.kind = harta_domain::case::CaseKind::Complaint;
            }
            registrar.register(c).await.unwrap();
        }
        let cases = Cases::new(t.db.clone());
        let all = cases.list(&CaseFilter { limit: 10, ..Default::default() }).await.unwrap();
        let dues: Vec<String> = all.iter().map(|c| c.due.to_string()).collect();
        assert_eq!(dues, ["2026-11-16", "2026-11-19", "2026-12-04"]);
        let cao =
            cases.list(&CaseFilter { unit_scope: Some("cao".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(cao.len(), 2);
        let complaints = cases
            .list(&CaseFilter { kind: Some(harta_domain::case::CaseKind::Complaint), limit: 10, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(complaints.len(), 1);
        let soon = cases
            .list(&CaseFilter { due_before: Some("2026-11-19".parse().unwrap()), limit: 10, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(soon.len(), 2);
        // A page says how many there are in all, on every page and past the last one.
        for (filter, rows, total) in [
            (CaseFilter { limit: 2, ..Default::default() }, 2, 3),
            (CaseFilter { unit_scope: Some("cao".into()), limit: 1, ..Default::default() }, 1, 2),
            (CaseFilter { limit: 2, offset: 4, ..Default::default() }, 0, 3),
        ] {
            let (page, counted) = cases.page(&filter).await.unwrap();
            assert_eq!((page.len(), counted), (rows, Found::Exactly(total)), "{filter:?}");
            assert_eq!(cases.count(&filter).await.unwrap(), total);
        }
        let page2 = cases.list(&CaseFilter { limit: 2, offset: 2, ..Default::default() }).await.unwrap();
        assert_eq!(page2.len(), 1);
        assert_eq!(page2[0].unit, "grao");
        let none =
            cases.list(&CaseFilter { state: Some(State::Closed), limit: 10, ..Default::default() }).await.unwrap();
        assert!(none.is_empty());
        t.finish().await;
    }
}

#[tokio::test]
async fn migrations_are_idempotent() {
    for t in backends().await {
        t.db.migrate().await.unwrap();
        t.db.ping().await.unwrap();
        t.finish().await;
    }
}

#[tokio::test]
async fn cases_stored_before_the_search_index_join_it() {
    use harta_store::Db;
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        for _ in 0..3 {
            registrar.register(letter("2026-11-25T10:00:00Z", "cao")).await.unwrap();
        }
        let cases = Cases::new(t.db.clone());
        let search = |q: &str| CaseFilter { search: Some(q.into()), limit: 10, ..Default::default() };
        assert_eq!(cases.list(&search("ulichno osvetlenie")).await.unwrap().len(), 3);
        // As a store migrated from before the index: the index is empty.
        match &t.db {
            Db::Sqlite(s) => {
                sqlx::query("DROP TABLE cases_fts").execute(&s.write).await.unwrap();
                sqlx::query("CREATE VIRTUAL TABLE cases_fts USING fts5 (text, content = '', tokenize = 'unicode61 remove_diacritics 2')")
                    .execute(&s.write)
                    .await
                    .unwrap();
            }
            Db::Postgres(_) => {}
        }
        // And the cases without their folded text.
        execute(&t.db, "UPDATE cases SET search_text = ''").await;
        assert_eq!(cases.list(&search("осветление")).await.unwrap().len(), 0);
        let mut added = Vec::new();
        loop {
            match cases.index_missing(2).await.unwrap() {
                0 => break,
                n => added.push(n),
            }
        }
        // The folded text first, then (on SQLite) the full-text index from it.
        let expected: &[u64] = if matches!(t.db, Db::Sqlite(_)) { &[2, 1, 2, 1] } else { &[2, 1] };
        assert_eq!(added, expected);
        assert_eq!(cases.list(&search("Осветление ИВАНОВА")).await.unwrap().len(), 3);

        // Pages past the first count what the whole search finds, past the last one too, with
        // the same figure as the count alone; the first page of a search says what it read.
        for (offset, rows, total) in [(0, 2, Found::AtLeast(2)), (2, 1, Found::Exactly(3)), (4, 0, Found::Exactly(3))] {
            let filter = CaseFilter { limit: 2, offset, ..search("osvetlenie") };
            let (page, found) = cases.page(&filter).await.unwrap();
            assert_eq!((page.len(), found), (rows, total), "offset {offset}");
            assert_eq!(cases.count(&filter).await.unwrap(), 3);
        }
        let (first, _) = cases.page(&CaseFilter { limit: 2, ..search("osvetlenie") }).await.unwrap();
        let after = Some(first[1].after(Order::Due));
        let (rest, found) = cases.page(&CaseFilter { limit: 2, after, ..search("osvetlenie") }).await.unwrap();
        assert_eq!((rest.len(), found), (1, Found::AtLeast(1)), "after a cursor, what is after it");
        let (all, found) = cases.page(&search("osvetlenie")).await.unwrap();
        assert_eq!((all.len(), found), (3, Found::Exactly(3)), "a page that holds them all counts them");
        assert_eq!(cases.page(&search("nothing-like-it")).await.unwrap(), (Vec::new(), Found::Exactly(0)));
        // Punctuation alone searches nothing: the list, counted.
        let (listed, found) = cases.page(&CaseFilter { limit: 2, ..search("„!“ …") }).await.unwrap();
        assert_eq!((listed.len(), found), (2, Found::Exactly(3)));
        t.finish().await;
    }
}

/// A search reads the list in its order for a word common enough to fill its page from the
/// cases read, and gathers a rarer word's matches from the full-text index: either way the
/// pages, cursor by cursor, hold exactly the cases with the words, in the list's order.
#[tokio::test]
async fn a_search_finds_the_same_pages_by_reading_the_list_or_the_index() {
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        let (mut common, mut medium, mut rare) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..200u32 {
            // Forty a day, Monday to Friday: the soonest due are the first registered.
            let mut case =
                letter(&format!("2026-11-{:02}T10:00:00Z", 2 + i / 40), if i % 2 == 0 { "cao" } else { "grao" });
            let subject = match i {
                i if i % 3 == 0 => "Неработещо улично осветление",
                i if i % 13 == 1 => "Счупена пейка",
                151 => "Жирафи в парка",
                _ => "Дупка на тротоара",
            };
            case.subject = harta_domain::text::Subject::parse(subject).unwrap();
            case.body = harta_domain::text::Body::parse("Моля за проверка.").unwrap();
            let done = registrar.register(case).await.unwrap();
            match i {
                i if i % 3 == 0 => common.push(done.number.as_str().to_string()),
                i if i % 13 == 1 => medium.push(done.number.as_str().to_string()),
                151 => rare.push(done.number.as_str().to_string()),
                _ => {}
            }
        }
        assert_eq!((common.len(), medium.len(), rare.len()), (67, 11, 1));
        let cases = Cases::new(t.db.clone());
        for (words, expected, order) in [
            ("осветление", &common, Order::Due),
            ("ОСВЕТ улич", &common, Order::Newest),
            // One case in about eighteen: by seven, the first reading (of seventy cases) finds
            // four, and a second one of 147 cases fills the page.
            ("пейка", &medium, Order::Due),
            ("zhiraf", &rare, Order::Due),
            ("жирафи парка", &rare, Order::Newest),
        ] {
            for limit in [1, 2, 7] {
                let mut found = Vec::new();
                let mut after = None;
                loop {
                    let filter = CaseFilter { search: Some(words.into()), order, after, limit, ..Default::default() };
                    let (page, total) = cases.page(&filter).await.unwrap();
                    if after.is_none() {
                        // The first page of a word common enough is read from the list and
                        // counted as far as it went (a rare word's may be too, when the list
                        // read holds it); a rare word's matches gathered are counted, all of them.
                        match total {
                            Found::AtLeast(n) => assert_eq!(n, page.len() as u64, "{words} by {limit}"),
                            Found::Exactly(n) => assert_eq!(n, expected.len() as u64, "{words} by {limit}"),
                        }
                        if expected.len() > 1 {
                            assert_eq!(
                                total,
                                Found::AtLeast(u64::from(limit)),
                                "{words} by {limit}, {}",
                                t.db.backend()
                            );
                        }
                    }
                    found.extend(page.iter().map(|c| c.registry_number.clone()));
                    match page.last() {
                        Some(last) if page.len() == limit as usize => after = Some(last.after(order)),
                        _ => break,
                    }
                }
                let listed = cases.list(&CaseFilter { order, limit: 500, ..Default::default() }).await.unwrap();
                let in_order: Vec<String> =
                    listed.iter().map(|c| c.registry_number.clone()).filter(|n| expected.contains(n)).collect();
                assert_eq!(found, in_order, "{words} by {limit}, {}", t.db.backend());
            }
        }
        t.finish().await;
    }
}

/// The first cases of a list can be of one kind whose subjects never have a word common among
/// the others: a word that none of them has, but a thousand cases of the store have, is still
/// read from the list (a page of it, not its thousand matches).
#[tokio::test]
async fn a_word_missing_from_the_head_of_the_list_but_common_in_the_store_is_read_from_the_list() {
    use harta_domain::case::{CaseEvent, CaseKind, Channel};
    use harta_store::seed::{SeedCase, load};
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        drop(registrar);
        let format = crate::support::charter().registry;
        let seeded: Vec<SeedCase> = (1..=1200u32)
            .map(|seq| {
                let (day, subject) = if seq <= 100 {
                    ("02", "Дупка на тротоара")
                } else {
                    ("03", "Улично осветление")
                };
                let at: jiff::Timestamp = format!("2026-03-{day}T09:00:00Z").parse().unwrap();
                let due = format!("2026-03-{}", if seq <= 100 { "16" } else { "17" }).parse().unwrap();
                let number = format.render("ГР94", 2026, seq);
                let registered = CaseEvent::Registered { registry_number: number.as_str().into(), due };
                let l = letter("2026-03-02T09:00:00Z", "cao");
                SeedCase {
                    number,
                    kind: CaseKind::Letter,
                    channel: Channel::Email,
                    subject: subject.into(),
                    body: l.body.as_str().into(),
                    party: l.party,
                    unit: "cao".into(),
                    received_at: at,
                    events: vec![(at, Actor::System, registered)],
                }
            })
            .collect();
        load(&t.db, &seeded).await.unwrap();
        // PostgreSQL's planner judges the words by the statistics of the table.
        if matches!(t.db, harta_store::Db::Postgres(_)) {
            execute(&t.db, "ANALYZE cases").await;
        }
        let cases = Cases::new(t.db.clone());
        let filter = CaseFilter { search: Some("осветление".into()), limit: 5, ..Default::default() };
        let (page, found) = cases.page(&filter).await.unwrap();
        assert_eq!(found, Found::AtLeast(5), "{}", t.db.backend());
        let numbers: Vec<&str> = page.iter().map(|c| c.registry_number.as_str()).collect();
        assert_eq!(numbers, ["РКС26-ГР94-101", "РКС26-ГР94-102", "РКС26-ГР94-103", "РКС26-ГР94-104", "РКС26-ГР94-105"]);
        // The hole in the pavement is in the hundred cases first due only: read to the end of the
        // list within the cases a page of 500 may read, and counted.
        let (holes, found) =
            cases.page(&CaseFilter { search: Some("дупка".into()), limit: 500, ..Default::default() }).await.unwrap();
        assert_eq!((holes.len(), found), (100, Found::Exactly(100)));
        t.finish().await;
    }
}
