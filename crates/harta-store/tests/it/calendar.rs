use harta_domain::calendar::{Decision, DecisionKind};
use harta_store::calendar::{CalendarCache, DecisionError, Decisions};
use harta_store::cases::Cases;
use harta_store::testing::backends;
use jiff::Timestamp;

use crate::support::{charter, commitments, letter, registrar};

fn day_off(date: &str) -> Decision {
    Decision {
        date: date.parse().unwrap(),
        kind: DecisionKind::DayOff,
        number: Some("901".into()),
        decided_on: Some("2026-11-20".parse().unwrap()),
        note: "неприсъствен ден".into(),
    }
}

#[tokio::test]
async fn a_decision_moves_open_deadlines_with_an_event_and_its_removal_moves_them_back() {
    for t in backends().await {
        let (registrar, cache) = registrar(&t.db).await;
        let commitments = commitments(&charter());
        let open = registrar.register(letter("2026-11-25T10:00:00Z", "cao")).await.unwrap();
        let unaffected = registrar.register(letter("2026-12-08T10:00:00Z", "cao")).await.unwrap();
        assert_eq!(open.due.to_string(), "2026-12-09");
        let decisions = Decisions::new(t.db.clone());
        let now = Timestamp::now();
        let moved = decisions.add(&day_off("2026-12-07"), "admin", now, &commitments, &cache).await.unwrap();
        assert_eq!(moved.moved.len(), 1);
        assert_eq!(moved.moved[0].0, open.number.as_str());
        let cases = Cases::new(t.db.clone());
        let row = cases.by_number(&open.number, None).await.unwrap().unwrap();
        assert_eq!(row.due.to_string(), "2026-12-10");
        let events = cases.events(open.id).await.unwrap();
        let last = &events.last().unwrap().event;
        assert!(
            matches!(last, harta_domain::case::CaseEvent::DeadlineRecomputed { because, .. } if because.contains("РМС № 901/20.11.2026"))
        );
        assert!(!cache.current().is_working_day("2026-12-07".parse().unwrap()).unwrap());
        // A second replica sees the change on its next refresh.
        let other = CalendarCache::load(&t.db).await.unwrap();
        assert!(!other.current().is_working_day("2026-12-07".parse().unwrap()).unwrap());
        // New registrations use it at once.
        let fresh = registrar.register(letter("2026-11-25T11:00:00Z", "cao")).await.unwrap();
        assert_eq!(fresh.due.to_string(), "2026-12-10");
        // The one received after the day is untouched.
        assert_eq!(cases.by_number(&unaffected.number, None).await.unwrap().unwrap().due, unaffected.due);
        // Refusals: a duplicate, and removing a day that was never added.
        let dup = decisions.add(&day_off("2026-12-07"), "admin", now, &commitments, &cache).await;
        assert!(matches!(dup, Err(DecisionError::Calendar(_))));
        let missing = decisions.remove("2026-12-08".parse().unwrap(), now, &commitments, &cache).await;
        assert!(matches!(missing, Err(DecisionError::NotFound(_))));
        // Removal moves both back.
        let back = decisions.remove("2026-12-07".parse().unwrap(), now, &commitments, &cache).await.unwrap();
        assert_eq!(back.moved.len(), 2);
        assert_eq!(cases.by_number(&open.number, None).await.unwrap().unwrap().due.to_string(), "2026-12-09");
        assert!(decisions.list().await.unwrap().is_empty());
        other.refresh(&t.db).await.unwrap();
        assert!(other.current().is_working_day("2026-12-07".parse().unwrap()).unwrap());
        t.finish().await;
    }
}
