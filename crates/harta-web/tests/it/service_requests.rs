//! A service request through the API is decided by the use case, as on every channel: the
//! service's unit, its tier's deadline, a required personal number; a wrong one is refused by
//! field with nothing stored. The date of receipt moves the deadline and is audited.

use harta_app::{AuditFilter, Principal, Role};
use harta_domain::case::Actor;
use harta_store::testing::backends;
use serde_json::{Value, json};

use crate::support::{Server, get, post_json, start};

fn request(service: &str, tier: Option<&str>) -> Value {
    let mut body = json!({
        "kind": "service_request",
        "channel": "counter",
        "service": service,
        "text": "Моля, издайте удостоверението.",
        "party": {"type": "person", "name": "Мария Иванова", "egn": "7503146242", "preferred_channel": "in_person"}
    });
    if let Some(t) = tier {
        body["tier"] = t.into();
    }
    body
}

async fn register(s: &Server, token: &str, body: &Value) -> (u16, Value) {
    let r = post_json(s.addr, token, &body.to_string()).await;
    (r.status, r.json())
}

#[tokio::test]
async fn the_service_decides_unit_subject_and_due_date() {
    for db in backends().await {
        // Wednesday 25.11.2026, 14:30 Sofia time.
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let clerk = s.token(Role::CounterClerk, None).await;
        // Same day, ordinary (the first tier when none is named).
        let (status, done) = register(&s, &clerk, &request("2079", None)).await;
        assert_eq!(status, 201, "{done}");
        assert_eq!(done["due_date"], "2026-11-25");
        assert_eq!((done["service"].as_str(), done["tier"].as_str()), (Some("2079"), Some("ordinary")));
        assert_eq!(done["deadline"], "same day");
        let case = get(s.addr, &clerk, done["url"].as_str().unwrap()).await.json();
        assert_eq!(case["unit"], "grao", "the service's unit, whatever the caller said");
        assert_eq!(case["subject"], "2079 Издаване на удостоверение за постоянен адрес");
        assert_eq!((case["service"].as_str(), case["tier"].as_str()), (Some("2079"), Some("ordinary")));
        // Fast: within an hour; 16:30 + 1 hour is still Wednesday.
        let (_, fast) = register(&s, &clerk, &request("2079", Some("fast"))).await;
        assert_eq!((fast["due_date"].as_str(), fast["tier"].as_str()), (Some("2026-11-25"), Some("fast")));
        // Calendar days: 7 from Wednesday 25.11 end on Wednesday 02.12.
        let (_, week) = register(&s, &clerk, &request("2075", None)).await;
        assert_eq!(week["due_date"], "2026-12-02");
        // No deadline of its own (a wedding's day): the charter's 10 working days.
        let (_, charter) = register(&s, &clerk, &request("1999", None)).await;
        assert_eq!(
            (charter["due_date"].as_str(), charter["deadline"].as_str()),
            (Some("2026-12-09"), Some("10 working days"))
        );

        // ЗДОИ, 14 calendar days: received 23.12.2025 → 06.01.2026, not 10 working days later.
        s.set_now("2025-12-23T09:00:00Z");
        let mut zdoi = request("2", None);
        zdoi["party"] = json!({"type": "person", "name": "Иван Петров", "preferred_channel": "in_person"});
        let (status, done) = register(&s, &clerk, &zdoi).await;
        assert_eq!(status, 201, "{done}");
        assert_eq!(done["due_date"], "2026-01-06");
        assert_eq!(get(s.addr, &clerk, done["url"].as_str().unwrap()).await.json()["unit"], "legal");
        // Seven calendar days before Easter 2026 end on Good Friday → Tuesday 14.04.
        s.set_now("2026-04-03T09:00:00Z");
        let (_, easter) = register(&s, &clerk, &request("2075", None)).await;
        assert_eq!(easter["due_date"], "2026-04-14");
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_wrong_service_request_is_refused_by_field_and_stores_nothing() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let clerk = s.token(Role::CounterClerk, None).await;
        let mut no_service = request("2079", None);
        no_service.as_object_mut().unwrap().remove("service");
        let mut no_egn = request("2079", None);
        no_egn["party"].as_object_mut().unwrap().remove("egn");
        let mut letter_with_service = request("2079", None);
        letter_with_service["kind"] = "letter".into();
        letter_with_service["subject"] = "Писмо".into();
        for (body, field, code) in [
            (no_service, "service", "required"),
            (request("9999", None), "service", "unknown"),
            (request("2079", Some("slow")), "tier", "unknown"),
            (request("2079", Some("express")), "tier", "not_offered"),
            (no_egn, "party.egn", "required"),
            (letter_with_service, "service", "unknown"),
        ] {
            let (status, problem) = register(&s, &clerk, &body).await;
            assert_eq!(status, 422, "{problem}");
            assert_eq!(
                (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
                (Some(field), Some(code)),
                "{problem}"
            );
        }
        // A service that does not need a personal number takes none.
        let mut zdoi = request("2", None);
        zdoi["party"].as_object_mut().unwrap().remove("egn");
        let (status, done) = register(&s, &clerk, &zdoi).await;
        assert_eq!(status, 201, "{done}");
        // Nothing was stored and no number consumed by the refusals.
        let (_, first) = register(&s, &clerk, &request("2079", None)).await;
        assert_eq!(first["registry_number"], "РКС26-АУ10-2");
        s.db.finish().await;
    }
}

#[tokio::test]
async fn the_date_of_receipt_moves_the_deadline_and_is_audited() {
    for db in backends().await {
        // Wednesday 25.11.2026; the post of Friday 20.11 is keyed in now.
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let clerk = s.token(Role::CounterClerk, None).await;
        let head = s.token(Role::HeadOfUnit, Some("cao")).await;
        let letter = |on: &str| {
            let mut body: Value = serde_json::from_str(&crate::support::letter("cao")).unwrap();
            body["received_on"] = on.into();
            body
        };
        let (status, done) = register(&s, &clerk, &letter("2026-11-20")).await;
        assert_eq!(status, 201, "{done}");
        assert_eq!(done["received_on"], "2026-11-20");
        // 10 working days from Friday 20.11, not from today.
        assert_eq!(done["due_date"], "2026-12-04");
        let case = get(s.addr, &clerk, done["url"].as_str().unwrap()).await.json();
        assert_eq!(case["received_on"], "2026-11-20");
        let auditor = Principal { actor: Actor::System, role: Role::Auditor, unit: None };
        let filter = AuditFilter { action: Some("set_received_on".into()), limit: 10, ..Default::default() };
        let audited = s.app.audit_entries(&auditor, filter).await.unwrap();
        assert_eq!(audited.len(), 1);
        assert!(audited[0].actor.starts_with("token:") && audited[0].detail.contains("2026-11-20"), "{audited:?}");

        // Four working days back needs a head of unit; the future and nonsense never.
        for (on, code) in
            [("2026-11-19", "needs_approval"), ("2026-11-26", "future_receipt"), ("20.11.2026", "not_a_date")]
        {
            let (status, problem) = register(&s, &clerk, &letter(on)).await;
            assert_eq!((status, problem["errors"][0]["field"].as_str()), (422, Some("received_on")), "{problem}");
            assert_eq!(problem["errors"][0]["code"], code, "{on}");
        }
        let (status, by_head) = register(&s, &head, &letter("2026-11-19")).await;
        assert_eq!(status, 201, "{by_head}");
        assert_eq!(by_head["due_date"], "2026-12-03");
        // Today's date is the same as none.
        let (_, today) = register(&s, &clerk, &letter("2026-11-25")).await;
        assert!(today["received_on"].is_null());
        s.db.finish().await;
    }
}

#[tokio::test]
async fn inbox_days_end_where_the_next_day_starts_when_the_clocks_change() {
    for db in backends().await {
        // Sunday 25.10.2026 lasts 25 hours in Sofia: 23:30 that night is 21:30 UTC.
        let s = start(db, "2026-10-25T21:30:00Z").await;
        let clerk = s.token(Role::CounterClerk, None).await;
        let (status, _) = register(&s, &clerk, &serde_json::from_str(&crate::support::letter("cao")).unwrap()).await;
        assert_eq!(status, 201);
        let found =
            get(s.addr, &clerk, "/api/v1/cases?received_from=2026-10-25&received_until=2026-10-25").await.json();
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "a case of the day's 25th hour is that day's");
        let next = get(s.addr, &clerk, "/api/v1/cases?received_from=2026-10-26").await.json();
        assert!(next["items"].as_array().unwrap().is_empty());
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_stored_catalogue_of_the_old_shape_is_rewritten_in_euro_at_start() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let services = harta_store::services::Services::new(s.db.db.clone());
        let old = json!({"code": "2079", "name": {"bg": "Удостоверение", "en": "Certificate"},
            "purpose": {"bg": "а", "en": "a"}, "who": {"bg": "а", "en": "a"}, "documents": [{"bg": "а", "en": "a"}],
            "fee": {"bg": "5,00 лв. (обикновена услуга); 10,00 лв. (бърза услуга)", "en": "BGN 5.00; BGN 10.00"},
            "deadline": {"bg": "В деня на подаване (обикновена); до 1 час (бърза)", "en": "Same day; 1 hour"},
            "unit": "grao", "how": {"bg": "а", "en": "a"}, "needs_national_id": true, "keywords": []});
        let at = "2026-11-25T12:30:00Z".parse().unwrap();
        services.put("2079", &old.to_string(), at, "system").await.unwrap();
        s.app.set_up(crate::support::CHARTER).await.unwrap();
        let stored: Vec<Value> =
            services.all().await.unwrap().iter().map(|j| serde_json::from_str(j).unwrap()).collect();
        let service = stored.iter().find(|v| v["code"] == "2079").unwrap();
        assert_eq!(
            service["tiers"],
            json!([{"tier": "ordinary", "fee": "2.56", "deadline": "same day"},
                                            {"tier": "fast", "fee": "5.11", "deadline": "1 hour"}])
        );
        assert!(service.get("fee").is_none(), "{service}");
        let fee = s.app.catalogue().service("2079").unwrap().tiers[1].fee.unwrap();
        assert_eq!(fee.cents(), 511);
        s.db.finish().await;
    }
}
