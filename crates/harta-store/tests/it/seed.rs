use harta_domain::case::{Actor, CaseEvent, CaseKind, Channel, State};
use harta_store::cases::{CaseFilter, Cases};
use harta_store::seed::{SeedCase, counters, load};
use harta_store::testing::backends;
use jiff::Timestamp;

use crate::support::{charter, letter, officer, registrar};

#[tokio::test]
async fn seeded_histories_load_whole_and_registration_continues_the_numbers() {
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        let officer = officer(&t.db, "D011").await;
        let format = charter().registry;
        let at: Timestamp = "2026-03-02T09:00:00Z".parse().unwrap();
        let due = "2026-03-16".parse().unwrap();
        let seeded: Vec<SeedCase> = (1..=3)
            .map(|seq| {
                let number = format.render("ГР94", 2026, seq);
                let mut events =
                    vec![(at, Actor::System, CaseEvent::Registered { registry_number: number.as_str().into(), due })];
                if seq > 1 {
                    events.push((at, Actor::System, CaseEvent::Assigned { officer, note: None }));
                }
                if seq > 2 {
                    events.push((
                        at,
                        Actor::Staff { id: officer },
                        CaseEvent::Answered { summary: "отговор".into(), letter: None, spoken: None },
                    ));
                }
                let l = letter("2026-03-02T09:00:00Z", "cao");
                SeedCase {
                    number,
                    kind: CaseKind::Letter,
                    channel: Channel::Email,
                    subject: l.subject.as_str().into(),
                    body: l.body.as_str().into(),
                    party: l.party,
                    unit: "cao".into(),
                    received_at: at,
                    events,
                }
            })
            .collect();
        load(&t.db, &seeded).await.unwrap();
        assert_eq!(counters(&t.db).await.unwrap()[&("ГР94".to_string(), 2026)], 3);
        let cases = Cases::new(t.db.clone());
        let answered = cases.by_number(&format.parse("РКС26-ГР94-3").unwrap(), None).await.unwrap().unwrap();
        assert_eq!(answered.state, State::Answered);
        assert_eq!(answered.responsible, Some(officer));
        assert_eq!(cases.events(answered.id).await.unwrap().len(), 3);
        let next = registrar.register(letter("2026-11-25T10:00:00Z", "cao")).await.unwrap();
        assert_eq!(next.number.as_str(), "РКС26-ГР94-4");
        assert_eq!(cases.list(&CaseFilter { limit: 10, ..Default::default() }).await.unwrap().len(), 4);
        t.finish().await;
    }
}
