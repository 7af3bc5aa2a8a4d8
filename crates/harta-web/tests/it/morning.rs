//! The morning run: one digest per officer and head of unit, one reminder per citizen asked for
//! information, on working days only, once a day across replicas, through a real SMTP server.

use harta_app::cases::{PartyInput, RegisterCaseInput};
use harta_app::{Principal, Role};
use harta_channels::testing::SmtpPeer;
use harta_domain::case::{Actor, CaseEvent, StaffId};
use harta_store::testing::backends;

use crate::staff::{contact, staff};
use crate::support::{Server, delivery, replica, start};

async fn letter(s: &Server, subject: &str, email: Option<&str>) -> String {
    letter_from(s, subject, email, None).await
}

async fn letter_from(s: &Server, subject: &str, email: Option<&str>, phone: Option<&str>) -> String {
    let clerk = Principal { actor: Actor::System, role: Role::CounterClerk, unit: None };
    let input = RegisterCaseInput {
        kind: Some("letter".into()),
        channel: Some("counter".into()),
        subject: Some(subject.into()),
        text: Some("Моля за отговор.".into()),
        unit: Some("cao".into()),
        party: PartyInput {
            name: Some("Мария Иванова".into()),
            email: email.map(str::to_string),
            phone: phone.map(str::to_string),
            ..PartyInput::default()
        },
        ..RegisterCaseInput::default()
    };
    s.app.register_case(&clerk, input).await.unwrap().number.as_str().to_string()
}

#[tokio::test]
async fn officers_and_heads_are_warned_each_working_morning_and_citizens_reminded_once() {
    for db in backends().await {
        let s = start(db, "2026-11-10T09:00:00Z").await;
        let admin = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
        let officer = staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        let head = staff(&s, "1050", "head_of_unit", Some("cao"), "парола-на-ани-1").await;
        s.app.set_staff_contact(&admin, officer, &contact("02 895 11 42", "p.koleva@krasnoselo.net")).await.unwrap();
        s.app.set_staff_contact(&admin, head, &contact("02 895 11 50", "a.petrova@krasnoselo.net")).await.unwrap();
        let me = Principal {
            actor: Actor::Staff { id: StaffId(officer) },
            role: Role::CaseOfficer,
            unit: Some("cao".into()),
        };
        // Registered on 10 November: due on 24 November, overdue by 2 December.
        let late = letter(&s, "Дупка на тротоара", None).await;
        s.app.record_event(&me, &late, CaseEvent::Assigned { officer: StaffId(officer), note: None }).await.unwrap();
        let asked = letter(&s, "Разрешение за ремонт", Some("maria@example.bg")).await;
        s.app.record_event(&me, &asked, CaseEvent::Assigned { officer: StaffId(officer), note: None }).await.unwrap();
        s.set_now("2026-12-01T09:00:00Z");
        let ask = CaseEvent::InformationRequested {
            what: "Скица на имота".into(), by: "2026-12-03".parse().unwrap()
        };
        s.app.record_event(&me, &asked, ask.clone()).await.unwrap();
        // Asked too, but reachable only by telephone: the officer is told to call.
        let by_phone = letter_from(&s, "Ограда на двора", None, Some("0888 123 456")).await;
        s.app
            .record_event(&me, &by_phone, CaseEvent::Assigned { officer: StaffId(officer), note: None })
            .await
            .unwrap();
        s.app.record_event(&me, &by_phone, ask).await.unwrap();
        let nobody = letter(&s, "Шум от заведение", None).await;

        // Before the hour (07:30 in Sofia), and on a Saturday, nothing.
        s.set_now("2026-12-02T05:30:00Z");
        assert_eq!(s.app.morning_run().await.unwrap(), 0);
        s.set_now("2026-12-05T07:00:00Z");
        assert_eq!(s.app.morning_run().await.unwrap(), 0);

        // Wednesday 08:05: the officer's digest, the head's, the citizen's reminder; once.
        s.set_now("2026-12-02T06:05:00Z");
        assert_eq!(s.app.morning_run().await.unwrap(), 3);
        assert_eq!(s.app.morning_run().await.unwrap(), 0, "once a day");
        assert_eq!(replica(&s).await.morning_run().await.unwrap(), 0, "on one replica");
        let Some(peer) = SmtpPeer::start() else { return };
        s.app.run_jobs(&delivery(&peer)).await.unwrap();
        let mail = peer.received();
        // Every mail an address got, one after the other (the citizen had her acknowledgement too).
        let to = |address: &str| {
            mail.iter().filter(|m| m.to == [address]).map(|m| m.text()).collect::<Vec<_>>().join("\n---\n")
        };
        let theirs = to("p.koleva@krasnoselo.net");
        assert!(theirs.contains(&late) && theirs.contains("Просрочено с 6 работни дни"), "{theirs}");
        assert!(!theirs.contains(&nobody), "not the officer's case");
        assert!(
            theirs.contains("Обадете се днес, за да напомните") && theirs.contains(&by_phone) && theirs.contains("888"),
            "{theirs}"
        );
        let heads = to("a.petrova@krasnoselo.net");
        assert!(
            heads.contains(&late) && heads.contains(&nobody) && heads.contains("няма отговорен служител"),
            "{heads}"
        );
        let reminder = to("maria@example.bg");
        assert!(reminder.contains("Скица на имота") && reminder.contains("03.12.2026"), "{reminder}");
        let view = s.app.view_case(&me, &asked).await.unwrap();
        assert!(
            view.events.iter().any(|e| matches!(&e.event, CaseEvent::MailSent { to, .. } if to == "maria@example.bg"))
        );

        // The next morning: the digests again, the reminder not (its day has passed).
        s.set_now("2026-12-03T06:05:00Z");
        assert_eq!(s.app.morning_run().await.unwrap(), 2);
        s.db.finish().await;
    }
}
