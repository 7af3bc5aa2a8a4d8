use std::collections::BTreeSet;

use harta_domain::case::{CaseKind, Channel, State};
use harta_store::Db;
use harta_store::cases::{CaseFilter, Cases};

use crate::{harta, stderr, stdout};

#[tokio::test]
async fn demo_seed_covers_every_kind_channel_unit_and_state_and_keeps_numbers_gapless() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let o = harta(dir.path(), &["demo", "seed", "--cases", "3000"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("seeded 3000 cases"));
    }
    let db = Db::open_sqlite(&dir.path().join("harta.db")).await.unwrap();
    let cases = Cases::new(db.clone());
    let all = cases.list(&CaseFilter { limit: 10_000, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 6000);
    let kinds: BTreeSet<CaseKind> = all.iter().map(|c| c.kind).collect();
    let channels: BTreeSet<Channel> = all.iter().map(|c| c.channel).collect();
    let states: BTreeSet<State> = all.iter().map(|c| c.state).collect();
    let units: BTreeSet<&str> = all.iter().map(|c| c.unit.as_str()).collect();
    assert_eq!(kinds.len(), CaseKind::ALL.len());
    assert_eq!(channels.len(), Channel::ALL.len());
    assert_eq!(states.len(), State::ALL.len(), "{states:?}");
    assert_eq!(units.len(), 10);
    // Each subject is the work of its own unit: no rubbish collection at the civil registry.
    for c in &all {
        if c.subject.contains("сметосъбирането") || c.subject.contains("отсичане на дърво")
        {
            assert_eq!(c.unit, "eco", "{}", c.subject);
        }
        if c.subject.contains("постоянен адрес") {
            assert_eq!(c.unit, "grao", "{}", c.subject);
        }
    }
    let years: BTreeSet<i16> = all.iter().map(|c| c.due.year()).collect();
    assert!(years.len() >= 10, "{years:?}");

    // Per register and year the numbers are exactly 1..=n, and the counter says n.
    let Db::Sqlite(pool) = &db else { unreachable!() };
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT c.register, c.year, COUNT(*), MAX(c.seq), r.last FROM cases c
         JOIN registry_counters r ON r.register = c.register AND r.year = c.year GROUP BY c.register, c.year, r.last",
    )
    .fetch_all(&pool.read)
    .await
    .unwrap();
    assert!(rows.len() >= 40);
    for (register, year, count, max, last) in rows {
        assert_eq!((count, max, last), (count, count, count), "{register} {year}");
    }
    // Every seeded history is one the life cycle accepts (replay checks each transition).
    let charter =
        harta_domain::charter::Charter::from_toml(include_str!("../../../../charters/krasno-selo.toml")).unwrap();
    let number = charter.registry.parse(&all[0].registry_number).unwrap();
    let sample = cases.by_number(&number, None).await.unwrap().unwrap();
    let events = cases.events(sample.id).await.unwrap();
    let replayed = harta_domain::case::CaseState::replay(events.iter().map(|e| &e.event)).unwrap();
    assert_eq!(replayed.state, sample.state);
}

/// `harta report annual YEAR --pdf FILE` writes the year's report of a seeded store as a PDF,
/// and names what is wrong with a year it cannot report on.
#[test]
fn the_annual_report_of_a_seeded_year_is_a_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let o = harta(dir.path(), &["demo", "seed", "--cases", "2000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let year = (jiff::Zoned::now().year() - 1).to_string();
    let file = dir.path().join("report.pdf");
    let o = harta(dir.path(), &["report", "annual", &year, "--pdf", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&format!("wrote the annual report for {year}")), "{}", stdout(&o));
    let pdf = std::fs::read(&file).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // PDF/A keeps the title in its (uncompressed) XMP metadata.
    let title = format!("Годишен доклад за административното обслужване за {year} г.");
    assert!(pdf.windows(title.len()).any(|w| w == title.as_bytes()), "the title in the metadata");
    let pages = hayro_syntax::Pdf::new(pdf).unwrap().pages().len();
    assert!(pages >= 2, "{pages} pages");
    let o = harta(dir.path(), &["report", "annual", "1999", "--pdf", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("year"), "{}", stderr(&o));
}
