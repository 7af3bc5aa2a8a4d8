//! A case's life over HTTP: assign, start, hold (C17), answer, close; with the role, unit and
//! life-cycle rules enforced.

use harta_app::Role;
use harta_store::admin::{Admin, NewStaff};
use harta_store::testing::backends;
use jiff::Timestamp;
use serde_json::json;

use crate::support::{get, letter, post_event, post_json, start};

#[tokio::test]
async fn a_letter_is_assigned_held_answered_and_closed() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let admin = Admin::new(s.db.db.clone());
        let staff = NewStaff {
            employee_number: "1042",
            name: "Петя Колева",
            role: "case_officer",
            unit: Some("cao"),
            email: Some("p.koleva@krasnoselo.net"),
            phone: Some("+35928951142"),
            position: Some("главен експерт"),
            password_hash: None,
        };
        let officer = admin.add_staff(&staff, Timestamp::now()).await.unwrap();
        let clerk = s.token(Role::CounterClerk, None).await;
        let cao = s.token(Role::CaseOfficer, Some("cao")).await;
        let grao = s.token(Role::CaseOfficer, Some("grao")).await;
        let auditor = s.token(Role::Auditor, None).await;
        let url = post_json(s.addr, &clerk, &letter("cao")).await.json()["url"].as_str().unwrap().to_string();

        // Not before someone is named; not by the wrong people.
        let early = post_event(s.addr, &cao, &url, json!({"type": "started"})).await;
        assert_eq!(early.status, 409, "{}", early.json());
        assert!(early.json()["detail"].as_str().unwrap().contains("cannot be started"));
        assert_eq!(post_event(s.addr, &grao, &url, json!({"type": "started"})).await.status, 404);
        assert_eq!(
            post_event(s.addr, &auditor, &url, json!({"type": "assigned", "officer": officer})).await.status,
            403
        );
        assert_eq!(post_event(s.addr, &clerk, &url, json!({"type": "answered", "summary": "x"})).await.status, 403);
        let note = json!({"type": "note_added", "note": "Обадих се на лицето."});
        assert_eq!(post_event(s.addr, &clerk, &url, note).await.status, 403, "notes are the handling officers'");
        let nobody = post_event(s.addr, &cao, &url, json!({"type": "assigned", "officer": 999})).await;
        assert_eq!(nobody.json()["errors"][0]["field"], "officer");

        let r = post_event(s.addr, &cao, &url, json!({"type": "assigned", "officer": officer})).await;
        assert_eq!(r.status, 201, "{}", r.json());
        assert_eq!(r.json()["state"], "assigned");
        assert_eq!(r.json()["responsible_id"], officer);
        assert_eq!(post_event(s.addr, &cao, &url, json!({"type": "started"})).await.json()["state"], "in_progress");

        // Bad events: unknown type, missing field, empty reasons, a new date on a Saturday.
        let r = post_event(s.addr, &cao, &url, json!({"type": "teleported"})).await;
        assert_eq!((r.status, r.json()["errors"][0]["field"].as_str()), (422, Some("type")));
        let r = post_event(s.addr, &cao, &url, json!({"type": "holding_reply_sent", "new_due": "2026-12-18"})).await;
        assert_eq!(r.json()["errors"][0]["field"], "reasons");
        let hold = |reasons: &str, new_due: &str| json!({"type": "holding_reply_sent", "reasons": reasons, "still_needed": "скица", "new_due": new_due});
        let r = post_event(s.addr, &cao, &url, hold("  ", "2026-12-18")).await;
        assert_eq!(r.json()["errors"][0]["field"], "reasons");
        let r = post_event(s.addr, &cao, &url, hold("проверка на място", "2026-12-19")).await;
        assert_eq!(r.json()["errors"][0]["field"], "new_due");
        assert!(r.json()["errors"][0]["detail"].as_str().unwrap().contains("not a working day"));
        let r = post_event(s.addr, &cao, &url, hold("проверка на място", "2026-12-18")).await;
        assert_eq!(r.status, 201, "{}", r.json());
        assert_eq!(r.json()["due_date"], "2026-12-18");
        assert_eq!(r.json()["original_due_date"], "2026-12-09");
        assert_eq!(r.json()["extended_due_date"], "2026-12-18");

        // C17: a holding reply only before the original date runs out.
        s.set_now("2026-12-10T08:00:00Z");
        let late = post_event(s.addr, &cao, &url, hold("още проверки", "2026-12-23")).await;
        assert_eq!(late.status, 422);
        assert!(late.json()["errors"][0]["detail"].as_str().unwrap().contains("has passed"));

        let r = post_event(s.addr, &cao, &url, json!({"type": "closed"})).await;
        assert_eq!(r.status, 409);
        // An answer in writing is an answer letter; recorded here is only one given by word of mouth.
        let bare = post_event(s.addr, &cao, &url, json!({"type": "answered", "summary": "Ремонтът е възложен."})).await;
        assert_eq!((bare.status, bare.json()["errors"][0]["field"].as_str()), (422, Some("spoken")), "{}", bare.json());
        let by_letter = json!({"type": "answered", "summary": "x", "letter": "РКС26-ГР94-1/1", "spoken": "phone"});
        assert_eq!(post_event(s.addr, &cao, &url, by_letter).await.status, 422, "harta records the letter's answer");
        let spoken = json!({"type": "answered", "summary": "Ремонтът е възложен.", "spoken": "phone"});
        assert_eq!(post_event(s.addr, &cao, &url, spoken).await.status, 201);
        assert_eq!(post_event(s.addr, &cao, &url, json!({"type": "closed"})).await.json()["state"], "closed");
        assert_eq!(
            post_event(s.addr, &cao, &url, json!({"type": "registered", "registry_number": "x", "due": "2026-12-01"}))
                .await
                .status,
            422
        );

        let case = get(s.addr, &cao, &url).await.json();
        let types: Vec<&str> =
            case["events"].as_array().unwrap().iter().map(|e| e["event"]["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["registered", "assigned", "started", "holding_reply_sent", "answered", "closed"]);
        assert!(case["deadline"].is_null(), "a closed case has no running deadline");
        s.db.finish().await;
    }
}

/// The charter's rule per commitment: while the administration waits for the citizen, the
/// clock pauses (or restarts), applied when the information arrives and told on the tracking page.
#[tokio::test]
async fn waiting_for_the_citizen_pauses_the_clock_where_the_charter_says_so() {
    use harta_app::{Principal, Role};
    use harta_domain::case::{Actor, CaseEvent, StaffId};
    for db in harta_store::testing::backends().await {
        let s = crate::support::start(db, "2026-12-01T09:00:00Z").await;
        let admin = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
        let paused = crate::support::CHARTER
            .replace("[commitments.letter]\n", "[commitments.letter]\nwhile_waiting = \"pause\"\n");
        s.app.update_charter(&admin, &paused, None).await.unwrap();
        let wrong = crate::support::CHARTER
            .replace("[commitments.letter]\n", "[commitments.letter]\nwhile_waiting = \"stop\"\n");
        let err = s.app.update_charter(&admin, &wrong, None).await.unwrap_err();
        assert!(format!("{err:?}").contains("commitments.letter.while_waiting"), "{err:?}");

        let officer = crate::staff::staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        let me = Principal {
            actor: Actor::Staff { id: StaffId(officer) },
            role: Role::CaseOfficer,
            unit: Some("cao".into()),
        };
        let token = s.token(Role::CounterClerk, Some("cao")).await;
        let created = crate::support::post_json(s.addr, &token, &crate::support::letter("cao")).await.json();
        let number = created["registry_number"].as_str().unwrap().to_string();
        assert_eq!(created["due_date"], "2026-12-15");
        s.app.record_event(&me, &number, CaseEvent::Assigned { officer: StaffId(officer), note: None }).await.unwrap();
        s.set_now("2026-12-03T09:00:00Z");
        let ask = CaseEvent::InformationRequested { what: "Скица".into(), by: "2026-12-10".parse().unwrap() };
        s.app.record_event(&me, &number, ask).await.unwrap();
        // Four working days of waiting (4, 7, 8, 9 December): due on 21 instead of 15 December.
        s.set_now("2026-12-09T09:00:00Z");
        let got = CaseEvent::InformationReceived {
            note: "Скицата е донесена на гише.".into(), due: None
        };
        let state = s.app.record_event(&me, &number, got).await.unwrap();
        assert_eq!(state.original_due.to_string(), "2026-12-21");
        assert_eq!(state.state, harta_domain::case::State::InProgress);
        s.db.finish().await;
    }
}
