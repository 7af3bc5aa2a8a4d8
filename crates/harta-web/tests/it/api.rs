use harta_app::Role;
use harta_store::testing::backends;

use crate::support::{get, letter, post_json, request, start};

#[tokio::test]
async fn register_read_and_list_over_http() {
    for db in backends().await {
        // Wednesday 25.11.2026, 14:30 Sofia time.
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let clerk = s.token(Role::CounterClerk, None).await;
        let r = post_json(s.addr, &clerk, &letter("grao")).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let body = r.json();
        assert_eq!(body["registry_number"], "РКС26-ГР94-1");
        assert_eq!(body["received_at"], "2026-11-25T14:30:00+02:00");
        assert_eq!(body["due_date"], "2026-12-09");
        assert_eq!(body["state"], "registered");
        let url = body["url"].as_str().unwrap().to_string();
        assert_eq!(r.header("location"), Some(url.as_str()));

        let case = get(s.addr, &clerk, &url).await;
        assert_eq!(case.status, 200);
        let case = case.json();
        assert_eq!(case["subject"], "Неработещо улично осветление");
        assert_eq!(case["unit"], "grao");
        assert_eq!(case["party"]["phone"], "+359888123456");
        assert_eq!(case["party"]["national_id"], "750314****", "the ЕГН is never returned in clear");
        assert!(!String::from_utf8_lossy(&get(s.addr, &clerk, &url).await.body).contains("7503146242"));
        assert_eq!(case["deadline"]["state"], "on_track");
        assert_eq!(case["deadline"]["working_days_left"], 10);
        assert_eq!(case["events"][0]["event"]["type"], "registered");

        let list =
            get(s.addr, &clerk, "/api/v1/cases?state=registered&kind=letter&unit=grao&due_before=2026-12-31").await;
        assert_eq!(list.status, 200);
        assert_eq!(list.json()["items"].as_array().unwrap().len(), 1);
        let none = get(s.addr, &clerk, "/api/v1/cases?due_before=2026-12-01").await;
        assert_eq!(none.json()["items"].as_array().unwrap().len(), 0);

        // The ЕГН is sealed in the store: the digits appear nowhere in the database.
        let raw = match &s.db.db {
            harta_store::Db::Sqlite(p) => {
                sqlx::query_scalar::<_, Option<Vec<u8>>>("SELECT national_id_sealed FROM parties")
                    .fetch_one(&p.read)
                    .await
                    .unwrap()
            }
            harta_store::Db::Postgres(p) => {
                sqlx::query_scalar::<_, Option<Vec<u8>>>("SELECT national_id_sealed FROM parties")
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
        };
        assert!(!raw.unwrap().windows(10).any(|w| w == b"7503146242"));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn roles_and_units_decide_what_is_visible() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let clerk = s.token(Role::CounterClerk, None).await;
        let grao_officer = s.token(Role::CaseOfficer, Some("grao")).await;
        let cao_officer = s.token(Role::CaseOfficer, Some("cao")).await;
        let auditor = s.token(Role::Auditor, None).await;
        let url = post_json(s.addr, &clerk, &letter("grao")).await.json()["url"].as_str().unwrap().to_string();
        post_json(s.addr, &clerk, &letter("cao")).await;

        assert_eq!(get(s.addr, &grao_officer, &url).await.status, 200);
        // A number that is not one, or that was never issued, is simply not found.
        assert_eq!(get(s.addr, &clerk, "/api/v1/cases/nonsense").await.status, 404);
        assert_eq!(get(s.addr, &clerk, &url.replace("-1", "-99")).await.status, 404);
        // Another unit's case is "not found", never "forbidden": its existence does not leak.
        let hidden = get(s.addr, &cao_officer, &url).await;
        assert_eq!(hidden.status, 404);
        assert_eq!(hidden.header("content-type"), Some("application/problem+json"));
        let mine = get(s.addr, &cao_officer, "/api/v1/cases").await.json();
        assert_eq!(mine["items"].as_array().unwrap().len(), 1);
        assert_eq!(mine["items"][0]["unit"], "cao");
        // The auditor reads everything and registers nothing.
        assert_eq!(get(s.addr, &auditor, &url).await.status, 200);
        assert_eq!(post_json(s.addr, &auditor, &letter("cao")).await.status, 403);
        // Every read of a case with personal data is in the audit trail, and so is the other
        // unit's officer's reach for it.
        let audit = harta_store::audit::Audit::new(s.db.db.clone());
        assert_eq!(audit.count_for("РКС26-ГР94-1").await.unwrap(), 3);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn health_and_unknown_addresses() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        assert_eq!(request(s.addr, "GET", "/healthz", &[], b"").await.status, 200);
        assert_eq!(request(s.addr, "GET", "/readyz", &[], b"").await.status, 200);
        let missing = request(s.addr, "GET", "/api/v1/nowhere", &[], b"").await;
        assert_eq!(missing.status, 404);
        // People get a page, in their language, not a problem document.
        let page = request(s.addr, "GET", "/nowhere", &[], b"").await;
        assert_eq!(page.status, 404);
        assert!(page.header("content-type").unwrap().starts_with("text/html"));
        // Every answer carries a request id (a client's own is kept) for finding the log line.
        assert_eq!(missing.header("x-request-id").map(str::len), Some(36));
        let own = request(s.addr, "GET", "/healthz", &[("x-request-id", "abc-123")], b"").await;
        assert_eq!(own.header("x-request-id"), Some("abc-123"));
        assert_eq!(missing.json()["status"], 404);
        // What axum refuses itself is answered like every other refusal, never in plain English.
        let token = s.token(harta_app::Role::Manager, None).await;
        // A path segment that is not UTF-8.
        let bad_id = get(s.addr, &token, "/api/v1/cases/%FF%FE").await;
        assert_eq!(bad_id.status, 400);
        assert_eq!(bad_id.header("content-type"), Some("application/problem+json"));
        assert_eq!(bad_id.json()["type"], "/problems/bad-request");
        let lang = request(s.addr, "GET", "/lang/xx", &[], b"").await;
        assert_eq!(lang.status, 404);
        let body = String::from_utf8(lang.body.clone()).unwrap();
        assert!(body.contains("Заявката не може да бъде прочетена") && !body.contains("no such language"), "{body}");
        s.db.finish().await;
    }
}

/// The OpenAPI document is generated from the code; `docs/openapi.json` is its reviewed copy.
/// After a change to the API, review the difference and write the new one with
/// `HARTA_UPDATE_OPENAPI=1 cargo test -p harta-web openapi`.
#[tokio::test]
async fn the_openapi_document_is_served_and_equals_the_reviewed_copy() {
    let generated = harta_web::api::openapi_json();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("HARTA_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, format!("{generated}\n")).unwrap();
    }
    let reviewed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(reviewed.trim_end() == generated, "docs/openapi.json is not the generated document: see this test's note");
    let document: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in ["/api/v1/cases", "/api/v1/cases/{registry_number}", "/api/v1/cases/{registry_number}/events"] {
        assert!(document["paths"][path].is_object(), "{path}");
    }
    let db = harta_store::testing::sqlite().await;
    let s = start(db, "2026-11-25T12:30:00Z").await;
    let served = request(s.addr, "GET", "/api/v1/openapi.json", &[], b"").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.json(), document);
    s.db.finish().await;
}

/// A retried event with its `Idempotency-Key` answers the first result and records nothing
/// more; the same key with another body is refused.
#[tokio::test]
async fn a_retried_event_with_its_idempotency_key_is_recorded_once() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let clerk = s.token(Role::CounterClerk, None).await;
        let manager = s.token(Role::Manager, None).await;
        let url = post_json(s.addr, &clerk, &letter("grao")).await.json()["url"].as_str().unwrap().to_string();
        let auth = format!("Bearer {manager}");
        let send = |key: &'static str, body: serde_json::Value| {
            let (auth, path) = (auth.clone(), format!("{url}/events"));
            async move {
                let headers =
                    [("Authorization", auth.as_str()), ("Content-Type", "application/json"), ("Idempotency-Key", key)];
                request(s.addr, "POST", &path, &headers, body.to_string().as_bytes()).await
            }
        };
        let note = serde_json::json!({"type": "note_added", "note": "Обадих се на гражданина."});
        let first = send("note-1", note.clone()).await;
        assert_eq!(first.status, 201, "{}", String::from_utf8_lossy(&first.body));
        let again = send("note-1", note.clone()).await;
        assert_eq!((again.status, again.json()), (201, first.json()));
        let other = send("note-1", serde_json::json!({"type": "note_added", "note": "Друго."})).await;
        assert_eq!(other.status, 422);
        assert_eq!(other.json()["errors"][0]["field"], "Idempotency-Key");
        let history = get(s.addr, &manager, &url).await.json();
        let notes = history["events"].as_array().unwrap().iter().filter(|e| e["event"]["type"] == "note_added").count();
        assert_eq!(notes, 1, "recorded once");
        // Without a key, each send is an event of its own.
        assert_eq!(crate::support::post_event(s.addr, &manager, &url, note.clone()).await.status, 201);
        let history = get(s.addr, &manager, &url).await.json();
        let notes = history["events"].as_array().unwrap().iter().filter(|e| e["event"]["type"] == "note_added").count();
        assert_eq!(notes, 2);
        s.db.finish().await;
    }
}
